package sftpfs

import (
	"fmt"
	"io"
	"os"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

func TestRootAndGetattrMatchServer(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.writeLocal("f", "hello")
	mtime := time.Unix(1_600_000_000, 0)
	if err := os.Chtimes(e.local("f"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if got := e.fs.RootPath(); got != e.root {
		t.Errorf("RootPath = %q, want %q", got, e.root)
	}
	n, _ := e.lookup("f")
	a, err := e.fs.Getattr(ctx(t), n)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Lstat(e.local("f"))
	sys := st.Sys().(*syscall.Stat_t)
	if !a.IsRegular() || a.Size != 5 || a.Mode&0o7777 != uint32(st.Mode().Perm()) ||
		a.Uid != sys.Uid || a.Gid != sys.Gid || a.MtimeNs != mtime.UnixNano() {
		t.Errorf("Getattr = %+v; server has size 5 mode %v uid %d gid %d mtime %v", a, st.Mode(), sys.Uid, sys.Gid, mtime)
	}
	if a.ID != "" {
		t.Errorf("Attr.ID = %q, want empty (rule A1: SFTP has no identity)", a.ID)
	}
}

func TestDialRootMustBeADirectory(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.writeLocal("file", "x")
	_, err := Dial(ctx(t), e.url()+"/file", baseOptions(e.srv))
	wantErrno(t, "Dial to a file", err, syscall.ENOTDIR)
	_, err = Dial(ctx(t), e.url()+"/missing", baseOptions(e.srv))
	wantErrno(t, "Dial to a missing path", err, syscall.ENOENT)
	_, err = Dial(ctx(t), "http://x/", baseOptions(e.srv))
	if err == nil {
		t.Error("Dial accepted a non-sftp URL")
	}
}

func TestLookupDoesNotFollowSymlinksAndReportsENOENT(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.mkdirLocal("d")
	e.writeLocal("d/f", "x")
	if err := os.Symlink("f", e.local("d/l")); err != nil {
		t.Fatal(err)
	}
	d, da := e.lookup("d")
	if !da.IsDir() {
		t.Errorf("d: mode %o, want a directory", da.Mode)
	}
	_, la, err := e.fs.Lookup(ctx(t), d, "l")
	if err != nil || !la.IsSymlink() {
		t.Fatalf("Lookup(l) = %o, %v; want a symlink", la.Mode, err)
	}
	_, _, err = e.fs.Lookup(ctx(t), d, "missing")
	wantErrno(t, "Lookup(missing)", err, syscall.ENOENT)
}

func TestMkdir(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	n, a, err := e.fs.Mkdir(ctx(t), root, "d", 0o750)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(e.local("d"))
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o750 || !a.IsDir() || a.Mode&0o777 != 0o750 {
		t.Fatalf("after Mkdir: server %v (%v), attr mode %o", st.Mode(), err, a.Mode)
	}
	if _, _, err := e.fs.Mkdir(ctx(t), n, "sub", 0o755); err != nil {
		t.Fatalf("Mkdir in the new node: %v", err)
	}
	_, _, err = e.fs.Mkdir(ctx(t), root, "d", 0o755)
	wantErrno(t, "Mkdir over a directory", err, syscall.EEXIST)
	e.writeLocal("f", "")
	_, _, err = e.fs.Mkdir(ctx(t), root, "f", 0o755)
	wantErrno(t, "Mkdir over a file", err, syscall.EEXIST)
	if err := os.RemoveAll(e.local("d")); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.fs.Mkdir(ctx(t), n, "x", 0o755)
	wantErrno(t, "Mkdir in a removed directory", err, syscall.ENOENT)
}

func TestMknod(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	_, a, err := e.fs.Mknod(ctx(t), root, "reg", vfs.S_IFREG|0o600, 0)
	if err != nil || !a.IsRegular() || a.Size != 0 || a.Mode&0o777 != 0o600 {
		t.Fatalf("Mknod(S_IFREG) = %+v, %v", a, err)
	}
	if st, err := os.Lstat(e.local("reg")); err != nil || !st.Mode().IsRegular() {
		t.Fatalf("server: %v %v", st, err)
	}
	_, _, err = e.fs.Mknod(ctx(t), root, "reg", vfs.S_IFREG|0o600, 0)
	wantErrno(t, "Mknod over an existing name", err, syscall.EEXIST)
	_, _, err = e.fs.Mknod(ctx(t), root, "fifo", vfs.S_IFIFO|0o600, 0)
	wantErrno(t, "Mknod(S_IFIFO)", err, syscall.EPERM)
	if _, err := os.Lstat(e.local("fifo")); !os.IsNotExist(err) {
		t.Errorf("fifo exists on the server: %v", err)
	}
}

func TestSymlinkAndReadlink(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	n, a, err := e.fs.Symlink(ctx(t), root, "l", "../some/where")
	if err != nil || !a.IsSymlink() {
		t.Fatalf("Symlink = %o, %v", a.Mode, err)
	}
	// OpenSSH takes SYMLINK's paths in reverse order: check the server
	// made l -> ../some/where, not the other way round.
	if got, err := os.Readlink(e.local("l")); err != nil || got != "../some/where" {
		t.Fatalf("server readlink = %q, %v", got, err)
	}
	if got, err := e.fs.Readlink(ctx(t), n); err != nil || got != "../some/where" {
		t.Fatalf("Readlink = %q, %v", got, err)
	}
	_, _, err = e.fs.Symlink(ctx(t), root, "l", "x")
	wantErrno(t, "Symlink over an existing name", err, syscall.EEXIST)
	e.writeLocal("f", "")
	f, _ := e.lookup("f")
	_, err = e.fs.Readlink(ctx(t), f)
	wantErrno(t, "Readlink of a file", err, syscall.EINVAL)
}

func TestLink(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "data")
	e.mkdirLocal("d")
	f, _ := e.lookup("f")
	a, err := e.fs.Link(ctx(t), f, root, "g")
	if err != nil || !a.IsRegular() || a.Size != 4 {
		t.Fatalf("Link = %+v, %v", a, err)
	}
	st1, _ := os.Stat(e.local("f"))
	st2, _ := os.Stat(e.local("g"))
	if !os.SameFile(st1, st2) {
		t.Error("f and g are not the same file on the server")
	}
	_, err = e.fs.Link(ctx(t), f, root, "d")
	wantErrno(t, "Link over an existing name", err, syscall.EEXIST)
	d, _ := e.lookup("d")
	_, err = e.fs.Link(ctx(t), d, root, "d2")
	wantErrno(t, "Link of a directory", err, syscall.EPERM)
	if err := os.Remove(e.local("f")); err != nil {
		t.Fatal(err)
	}
	_, err = e.fs.Link(ctx(t), f, root, "h")
	wantErrno(t, "Link of a removed file", err, syscall.ESTALE)
}

func TestUnlink(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "keep reading me")
	e.mkdirLocal("d")
	f, _ := e.lookup("f")
	h, err := e.fs.Open(ctx(t), f, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	if err := e.fs.Unlink(ctx(t), root, "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(e.local("f")); !os.IsNotExist(err) {
		t.Fatalf("f still on the server: %v", err)
	}
	buf := make([]byte, 100)
	n, err := h.ReadAt(ctx(t), buf, 0)
	if string(buf[:n]) != "keep reading me" || err != io.EOF {
		t.Errorf("read after unlink = %q, %v; want the data and io.EOF (POSIX: open files survive unlink)", buf[:n], err)
	}
	wantErrno(t, "Unlink missing", e.fs.Unlink(ctx(t), root, "f"), syscall.ENOENT)
	wantErrno(t, "Unlink directory", e.fs.Unlink(ctx(t), root, "d"), syscall.EISDIR)
}

func TestRmdir(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.mkdirLocal("empty")
	e.mkdirLocal("full/sub")
	e.writeLocal("file", "")
	if err := e.fs.Rmdir(ctx(t), root, "empty"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(e.local("empty")); !os.IsNotExist(err) {
		t.Fatalf("empty still there: %v", err)
	}
	wantErrno(t, "Rmdir non-empty", e.fs.Rmdir(ctx(t), root, "full"), syscall.ENOTEMPTY)
	wantErrno(t, "Rmdir file", e.fs.Rmdir(ctx(t), root, "file"), syscall.ENOTDIR)
	wantErrno(t, "Rmdir missing", e.fs.Rmdir(ctx(t), root, "empty"), syscall.ENOENT)
}

func TestRenameReplacesAtomically(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("a", "new")
	e.writeLocal("b", "old")
	a, _ := e.lookup("a")
	if err := e.fs.Rename(ctx(t), root, "a", root, "b", 0); err != nil {
		t.Fatal(err)
	}
	e.fs.Moved(a, root, "b")
	if got := e.readLocal("b"); got != "new" {
		t.Errorf("b = %q after rename, want %q", got, "new")
	}
	if _, err := os.Lstat(e.local("a")); !os.IsNotExist(err) {
		t.Errorf("a still exists: %v", err)
	}
	if attr, err := e.fs.Getattr(ctx(t), a); err != nil || attr.Size != 3 {
		t.Errorf("Getattr of the moved node = %+v, %v", attr, err)
	}
}

func TestRenameNoReplace(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("a", "A")
	e.writeLocal("b", "B")
	e.mkdirLocal("d1")
	e.mkdirLocal("d2")
	err := e.fs.Rename(ctx(t), root, "a", root, "b", vfs.RenameNoReplace)
	wantErrno(t, "RenameNoReplace onto a file", err, syscall.EEXIST)
	if e.readLocal("a") != "A" || e.readLocal("b") != "B" {
		t.Error("a failed RenameNoReplace changed the files")
	}
	err = e.fs.Rename(ctx(t), root, "d1", root, "d2", vfs.RenameNoReplace)
	wantErrno(t, "RenameNoReplace of a directory onto a directory", err, syscall.EEXIST)
	if err := e.fs.Rename(ctx(t), root, "a", root, "c", vfs.RenameNoReplace); err != nil {
		t.Fatal(err)
	}
	if e.readLocal("c") != "A" {
		t.Error("c does not hold a's data")
	}
	if err := e.fs.Rename(ctx(t), root, "d1", root, "d3", vfs.RenameNoReplace); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(e.local("d3")); err != nil || !st.IsDir() {
		t.Errorf("d3: %v %v", st, err)
	}
}

func TestRenameErrors(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "")
	e.mkdirLocal("empty")
	e.mkdirLocal("full/x")
	e.mkdirLocal("d/sub")
	for _, tc := range []struct {
		old, new string
		flags    uint32
		want     syscall.Errno
	}{
		{"missing", "g", 0, syscall.ENOENT},
		{"f", "g", vfs.RenameExchange, syscall.EINVAL},
		{"f", "g", vfs.RenameNoReplace | vfs.RenameExchange, syscall.EINVAL},
		{"empty", "f", 0, syscall.ENOTDIR},
		{"f", "empty", 0, syscall.EISDIR},
		{"d", "full", 0, syscall.ENOTEMPTY},
		{"d", "d/sub/inside", 0, syscall.EINVAL},
	} {
		oldDir, newDir := root, root
		oldName, newName := tc.old, tc.new
		if tc.new == "d/sub/inside" {
			newDir, _ = e.lookup("d/sub")
			newName = "inside"
		}
		err := e.fs.Rename(ctx(t), oldDir, oldName, newDir, newName, tc.flags)
		wantErrno(t, fmt.Sprintf("Rename(%s, %s, %#x)", tc.old, tc.new, tc.flags), err, tc.want)
	}
	// Nothing moved.
	for _, name := range []string{"f", "empty", "full/x", "d/sub"} {
		if _, err := os.Lstat(e.local(name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRenameDirectoryCarriesChildNodes(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.mkdirLocal("a/b")
	e.writeLocal("a/b/f", "deep")
	a, _ := e.lookup("a")
	b, _, err := e.fs.Lookup(ctx(t), a, "b")
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := e.fs.Lookup(ctx(t), b, "f")
	if err != nil {
		t.Fatal(err)
	}
	e.mkdirLocal("z")
	z, _ := e.lookup("z")
	if err := e.fs.Rename(ctx(t), root, "a", z, "moved", 0); err != nil {
		t.Fatal(err)
	}
	e.fs.Moved(a, z, "moved") // what the core does (vfs.Mover)
	attr, err := e.fs.Getattr(ctx(t), f)
	if err != nil || attr.Size != 4 {
		t.Fatalf("Getattr of a file below the moved directory = %+v, %v", attr, err)
	}
	if got := e.fs.path(f.(*node)); got != e.local("z/moved/b/f") {
		t.Errorf("path = %q, want %q", got, e.local("z/moved/b/f"))
	}
}

func TestReadDirListsEverythingWithAttributes(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.mkdirLocal("big")
	want := map[string]int64{}
	for i := range 350 { // several READDIR batches (OpenSSH sends 100 per batch)
		name := fmt.Sprintf("f%03d", i)
		e.writeLocal("big/"+name, name[:1+i%4])
		want[name] = int64(1 + i%4)
	}
	e.mkdirLocal("big/sub")
	if err := os.Symlink("f000", e.local("big/link")); err != nil {
		t.Fatal(err)
	}
	big, _ := e.lookup("big")
	seen := map[string]vfs.DirEntry{}
	err := e.fs.ReadDir(ctx(t), big, func(de vfs.DirEntry) bool {
		if _, dup := seen[de.Name]; dup {
			t.Errorf("%s listed twice", de.Name)
		}
		seen[de.Name] = de
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 352 {
		t.Fatalf("listed %d entries, want 352", len(seen))
	}
	for name, size := range want {
		de := seen[name]
		if !de.HasAttr || de.Node == nil || de.Type != vfs.S_IFREG || de.Attr.Size != size {
			t.Fatalf("%s: %+v, want a regular file of %d bytes with attributes", name, de, size)
		}
	}
	if seen["sub"].Type != vfs.S_IFDIR || seen["link"].Type != vfs.S_IFLNK {
		t.Errorf("sub type %o, link type %o", seen["sub"].Type, seen["link"].Type)
	}
	// A node from ReadDir works like one from Lookup.
	if a, err := e.fs.Getattr(ctx(t), seen["f001"].Node); err != nil || a.Size != want["f001"] {
		t.Errorf("Getattr of a ReadDir node = %+v, %v", a, err)
	}
}

func TestReadDirStopsEarlyAndSkipsDots(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	for i := range 5 {
		e.writeLocal(fmt.Sprintf("f%d", i), "")
	}
	root := e.rootNode()
	var names []string
	err := e.fs.ReadDir(ctx(t), root, func(de vfs.DirEntry) bool {
		names = append(names, de.Name)
		return len(names) < 2
	})
	if err != nil || len(names) != 2 {
		t.Fatalf("early stop: %v, %v", names, err)
	}
	names = nil
	if err := e.fs.ReadDir(ctx(t), root, func(de vfs.DirEntry) bool { names = append(names, de.Name); return true }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	if fmt.Sprint(names) != "[f0 f1 f2 f3 f4]" {
		t.Errorf("names = %v", names)
	}
}

func TestStatfs(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	st, err := e.fs.Statfs(ctx(t), e.rootNode())
	if err != nil {
		t.Fatal(err)
	}
	var local syscall.Statfs_t
	if err := syscall.Statfs(e.root, &local); err != nil {
		t.Fatal(err)
	}
	if st.Blocks != local.Blocks || st.Bsize != uint32(local.Bsize) || st.NameLen != uint32(local.Namelen) {
		t.Errorf("Statfs = %+v; server's statfs: blocks %d bsize %d namelen %d", st, local.Blocks, local.Bsize, local.Namelen)
	}
}

// A hard link made through Link is another name of the same node (the core
// binds both dentries to it, rule A2): when the first name goes, the node
// reaches the file through the second.
func TestLinkedNodeSurvivesRemovalOfItsFirstName(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "shared")
	e.mkdirLocal("d")
	f, _ := e.lookup("f")
	d, _ := e.lookup("d")
	if _, err := e.fs.Link(ctx(t), f, d, "h"); err != nil {
		t.Fatal(err)
	}
	if err := e.fs.Unlink(ctx(t), root, "f"); err != nil {
		t.Fatal(err)
	}
	a, err := e.fs.Getattr(ctx(t), f)
	if err != nil || a.Size != 6 {
		t.Fatalf("Getattr of the linked node after unlinking its first name = %+v, %v", a, err)
	}
	h, err := e.fs.Open(ctx(t), f, os.O_RDONLY)
	if err != nil {
		t.Fatalf("Open of the linked node: %v", err)
	}
	buf := make([]byte, 16)
	n, _ := h.ReadAt(ctx(t), buf, 0)
	h.Release(ctx(t))
	if string(buf[:n]) != "shared" {
		t.Errorf("read %q", buf[:n])
	}
	// Renaming the remaining name moves the node's place with it.
	if err := e.fs.Rename(ctx(t), d, "h", root, "g", 0); err != nil {
		t.Fatal(err)
	}
	e.fs.Moved(f, root, "g")
	if got := e.fs.path(f.(*node)); got != e.local("g") {
		t.Errorf("path after rename = %q, want %q", got, e.local("g"))
	}
	// With no name left the node is stale.
	if err := e.fs.Unlink(ctx(t), root, "g"); err != nil {
		t.Fatal(err)
	}
	_, err = e.fs.Getattr(ctx(t), f)
	wantErrno(t, "Getattr with every name gone", err, syscall.ESTALE)
}

// Rule V3: a call that names an object by its node, whose path names
// nothing any more, reports ESTALE (the core looks the name up again);
// a call that names (directory, name) reports ENOENT.
func TestV3_VanishedNodeIsStale(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "x")
	if err := os.Symlink("f", e.local("l")); err != nil {
		t.Fatal(err)
	}
	f, _ := e.lookup("f")
	l, _ := e.lookup("l")
	if err := os.Remove(e.local("f")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(e.local("l")); err != nil {
		t.Fatal(err)
	}
	_, err := e.fs.Getattr(ctx(t), f)
	wantErrno(t, "Getattr", err, syscall.ESTALE)
	_, err = e.fs.Open(ctx(t), f, os.O_RDONLY)
	wantErrno(t, "Open", err, syscall.ESTALE)
	_, err = e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o600})
	wantErrno(t, "Setattr", err, syscall.ESTALE)
	_, err = e.fs.Readlink(ctx(t), l)
	wantErrno(t, "Readlink", err, syscall.ESTALE)
	_, err = e.fs.Link(ctx(t), f, root, "g")
	wantErrno(t, "Link", err, syscall.ESTALE)
	_, _, err = e.fs.Lookup(ctx(t), root, "f")
	wantErrno(t, "Lookup", err, syscall.ENOENT)
	wantErrno(t, "Unlink", e.fs.Unlink(ctx(t), root, "f"), syscall.ENOENT)
}

// What a driver writes, its ReadDir reports: attributes come from the
// server at listing time.
func TestReadDirSeesWrittenSize(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	_, _, h, err := e.fs.Create(ctx(t), root, "f", os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(ctx(t), []byte("12345"), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx(t)); err != nil {
		t.Fatal(err)
	}
	var size int64 = -1
	var nlink uint32
	if err := e.fs.ReadDir(ctx(t), root, func(de vfs.DirEntry) bool { size, nlink = de.Attr.Size, de.Attr.Nlink; return true }); err != nil {
		t.Fatal(err)
	}
	if size != 5 || nlink != 1 {
		t.Errorf("ReadDir: size %d nlink %d, want 5 and 1 (SFTP has no link count: 1 means unknown)", size, nlink)
	}
}
