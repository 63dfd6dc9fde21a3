package memfs

// Tests of the name operations: Root, Lookup, Mkdir, Mknod, Symlink, Link,
// Unlink, Rmdir, ReadDir, Statfs, and the identity, owner, mode and time
// rules they follow.

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

func TestRootIsAnEmptyDirectory(t *testing.T) {
	m, root := setup(t, Options{Uid: 7, Gid: 8})
	a := getattr(t, m, root)
	if a.Mode != vfs.S_IFDIR|0o755 || a.Nlink != 2 || a.Uid != 7 || a.Gid != 8 || a.Ino != rootIno || a.Size != 40 {
		t.Errorf("root attr = %+v", a)
	}
	if got := names(t, m, root); len(got) != 0 {
		t.Errorf("root lists %v", got)
	}
}

// Rule A1: Attr.ID is the inode number as 8 big-endian bytes, distinct per
// object, or empty with NoIdentity.
func TestA1_IdentityIsBigEndianInodeNumber(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "")
	d := mkdir(t, m, root, "d")
	fa, da := getattr(t, m, f), getattr(t, m, d)
	for _, a := range []vfs.Attr{fa, da} {
		if len(a.ID) != 8 || binary.BigEndian.Uint64([]byte(a.ID)) != a.Ino {
			t.Errorf("ID %x does not encode Ino %d", a.ID, a.Ino)
		}
	}
	if fa.ID == da.ID || fa.Ino == da.Ino {
		t.Errorf("two objects share an identity: %+v %+v", fa, da)
	}

	m2, root2 := setup(t, Options{NoIdentity: true})
	if a := getattr(t, m2, createFile(t, m2, root2, "f", "")); a.ID != "" || a.Ino == 0 {
		t.Errorf("NoIdentity: ID %q Ino %d, want empty ID and an inode number", a.ID, a.Ino)
	}
}

func TestMkdirAppliesModeWithoutUmaskAndCountsLinks(t *testing.T) {
	m, root := setup(t, Options{})
	n, a, err := m.Mkdir(bg, root, "d", 0o171777) // type bits in mode are ignored
	must(t, "Mkdir", err)
	if a.Mode != vfs.S_IFDIR|0o1777 || a.Nlink != 2 || a.Size != 40 {
		t.Errorf("new dir attr = %o nlink %d size %d", a.Mode, a.Nlink, a.Size)
	}
	if ra := getattr(t, m, root); ra.Nlink != 3 || ra.Size != 60 {
		t.Errorf("parent nlink %d size %d after mkdir, want 3 and 60", ra.Nlink, ra.Size)
	}
	mkdir(t, m, n, "sub")
	createFile(t, m, n, "file", "")
	if a := getattr(t, m, n); a.Nlink != 3 {
		t.Errorf("nlink %d with one subdirectory and one file, want 3", a.Nlink)
	}
}

func TestNewObjectsBelongToTheCaller(t *testing.T) {
	m, root := setup(t, Options{Uid: 5, Gid: 6})
	ctx := vfs.WithCaller(bg, vfs.Caller{Uid: 1000, Gid: 100, Pid: 1})
	_, a, err := m.Mkdir(ctx, root, "mine", 0o700)
	must(t, "Mkdir", err)
	if a.Uid != 1000 || a.Gid != 100 {
		t.Errorf("caller's dir owned by %d:%d", a.Uid, a.Gid)
	}
	_, a, h, err := m.Create(bg, root, "default", syscall.O_RDONLY, 0o600)
	must(t, "Create", err)
	h.Release(bg)
	if a.Uid != 5 || a.Gid != 6 {
		t.Errorf("file without caller owned by %d:%d, want Options 5:6", a.Uid, a.Gid)
	}
}

func TestSetgidDirectoryPassesItsGroupOn(t *testing.T) {
	m, root := setup(t, Options{})
	d, _, err := m.Mkdir(vfs.WithCaller(bg, vfs.Caller{Uid: 1, Gid: 50}), root, "shared", 0o2775)
	must(t, "Mkdir", err)
	ctx := vfs.WithCaller(bg, vfs.Caller{Uid: 2, Gid: 60})
	_, fa, h, err := m.Create(ctx, d, "f", syscall.O_RDONLY, 0o644)
	must(t, "Create", err)
	h.Release(bg)
	_, da, err := m.Mkdir(ctx, d, "sub", 0o755)
	must(t, "Mkdir sub", err)
	if fa.Gid != 50 || fa.Mode&modeSetgid != 0 {
		t.Errorf("file in setgid dir: gid %d mode %o, want gid 50 without S_ISGID", fa.Gid, fa.Mode)
	}
	if da.Gid != 50 || da.Mode&modeSetgid == 0 {
		t.Errorf("dir in setgid dir: gid %d mode %o, want gid 50 with S_ISGID", da.Gid, da.Mode)
	}
}

func TestNamesAreCheckedLikeLinux(t *testing.T) {
	m, root := setup(t, Options{})
	long := strings.Repeat("x", 256)
	_, _, err := m.Lookup(bg, root, long)
	wantErrno(t, "Lookup 256 bytes", err, syscall.ENAMETOOLONG)
	_, _, err = m.Mkdir(bg, root, long, 0o755)
	wantErrno(t, "Mkdir 256 bytes", err, syscall.ENAMETOOLONG)
	_, _, _, err = m.Create(bg, root, long, syscall.O_RDWR, 0o644)
	wantErrno(t, "Create 256 bytes", err, syscall.ENAMETOOLONG)
	createFile(t, m, root, long[:255], "") // 255 is fine
	for _, bad := range []string{"", ".", "..", "a/b", "nul\x00"} {
		_, _, err := m.Lookup(bg, root, bad)
		wantErrno(t, fmt.Sprintf("Lookup %q", bad), err, syscall.EINVAL)
	}
}

func TestLookupErrors(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "")
	_, _, err := m.Lookup(bg, root, "missing")
	wantErrno(t, "Lookup missing", err, syscall.ENOENT)
	_, _, err = m.Lookup(bg, f, "x")
	wantErrno(t, "Lookup in a file", err, syscall.ENOTDIR)
	_, _, err = m.Mkdir(bg, f, "x", 0o755)
	wantErrno(t, "Mkdir in a file", err, syscall.ENOTDIR)
	_, _, err = m.Lookup(bg, "not a node", "x")
	wantErrno(t, "Lookup on a foreign node", err, syscall.EINVAL)
	other, _ := setup(t, Options{})
	_, err = other.Getattr(bg, f)
	wantErrno(t, "Getattr of another FS's node", err, syscall.EINVAL)
}

func TestCreateIsExclusiveForEveryType(t *testing.T) {
	m, root := setup(t, Options{})
	createFile(t, m, root, "f", "")
	mkdir(t, m, root, "d")
	_, _, err := m.Symlink(bg, root, "l", "nowhere")
	must(t, "Symlink", err)
	for _, name := range []string{"f", "d", "l"} {
		_, _, _, err := m.Create(bg, root, name, syscall.O_RDWR, 0o644)
		wantErrno(t, "Create "+name, err, syscall.EEXIST)
		_, _, err = m.Mkdir(bg, root, name, 0o755)
		wantErrno(t, "Mkdir "+name, err, syscall.EEXIST)
		_, _, err = m.Mknod(bg, root, name, vfs.S_IFIFO|0o644, 0)
		wantErrno(t, "Mknod "+name, err, syscall.EEXIST)
		_, _, err = m.Symlink(bg, root, name, "t")
		wantErrno(t, "Symlink "+name, err, syscall.EEXIST)
	}
}

func TestMknodTypes(t *testing.T) {
	m, root := setup(t, Options{})
	cases := []struct {
		name     string
		mode     uint32
		rdev     uint64
		wantMode uint32
		wantRdev uint64
		err      syscall.Errno
	}{
		{"fifo", vfs.S_IFIFO | 0o644, 9, vfs.S_IFIFO | 0o644, 0, 0},
		{"sock", vfs.S_IFSOCK | 0o600, 9, vfs.S_IFSOCK | 0o600, 0, 0},
		{"chr", vfs.S_IFCHR | 0o666, 0x0103, vfs.S_IFCHR | 0o666, 0x0103, 0},
		{"blk", vfs.S_IFBLK | 0o660, 0x0801, vfs.S_IFBLK | 0o660, 0x0801, 0},
		{"reg", vfs.S_IFREG | 0o640, 9, vfs.S_IFREG | 0o640, 0, 0},
		{"notype", 0o640, 0, vfs.S_IFREG | 0o640, 0, 0},
		{"dir", vfs.S_IFDIR | 0o755, 0, 0, 0, syscall.EPERM},
		{"link", vfs.S_IFLNK | 0o777, 0, 0, 0, syscall.EINVAL},
	}
	for _, c := range cases {
		n, a, err := m.Mknod(bg, root, c.name, c.mode, c.rdev)
		if c.err != 0 {
			wantErrno(t, "Mknod "+c.name, err, c.err)
			continue
		}
		must(t, "Mknod "+c.name, err)
		if a.Mode != c.wantMode || a.Rdev != c.wantRdev || a.Nlink != 1 {
			t.Errorf("%s: mode %o rdev %#x nlink %d, want %o %#x 1", c.name, a.Mode, a.Rdev, a.Nlink, c.wantMode, c.wantRdev)
		}
		if got := getattr(t, m, n); got.Rdev != c.wantRdev {
			t.Errorf("%s: rdev not kept: %#x", c.name, got.Rdev)
		}
	}
}

func TestSymlinkStoresTargetVerbatim(t *testing.T) {
	m, root := setup(t, Options{})
	target := "..//weird/./path/"
	n, a, err := m.Symlink(bg, root, "l", target)
	must(t, "Symlink", err)
	if a.Mode != vfs.S_IFLNK|0o777 || a.Size != int64(len(target)) || a.Nlink != 1 {
		t.Errorf("symlink attr = %o size %d nlink %d", a.Mode, a.Size, a.Nlink)
	}
	got, err := m.Readlink(bg, n)
	must(t, "Readlink", err)
	if got != target {
		t.Errorf("Readlink = %q, want %q", got, target)
	}
	_, err = m.Readlink(bg, root)
	wantErrno(t, "Readlink of a directory", err, syscall.EINVAL)
	_, err = m.Readlink(bg, createFile(t, m, root, "f", ""))
	wantErrno(t, "Readlink of a file", err, syscall.EINVAL)
	_, _, err = m.Symlink(bg, root, "empty", "")
	wantErrno(t, "Symlink to empty target", err, syscall.ENOENT)
	_, _, err = m.Symlink(bg, root, "long", strings.Repeat("a", 4096))
	wantErrno(t, "Symlink to 4096-byte target", err, syscall.ENAMETOOLONG)
	n2, ln, err := m.Lookup(bg, root, "l")
	must(t, "Lookup symlink", err)
	if n2 != n || !ln.IsSymlink() {
		t.Errorf("Lookup followed or lost the symlink: %+v", ln)
	}
}

func TestLinkCountsAndErrors(t *testing.T) {
	m, root := setup(t, Options{})
	d := mkdir(t, m, root, "d")
	f := createFile(t, m, root, "f", "data")
	before := getattr(t, m, f)
	a, err := m.Link(bg, f, d, "g")
	must(t, "Link", err)
	if a.Nlink != 2 || a.CtimeNs <= before.CtimeNs || a.Change == before.Change {
		t.Errorf("after Link: nlink %d ctime moved %v change moved %v", a.Nlink, a.CtimeNs > before.CtimeNs, a.Change != before.Change)
	}
	g, ga := lookup(t, m, d, "g")
	if g != f || ga.Ino != before.Ino {
		t.Errorf("the new link is another object")
	}
	_, err = m.Link(bg, f, d, "g")
	wantErrno(t, "Link onto an existing name", err, syscall.EEXIST)
	_, err = m.Link(bg, d, root, "dlink")
	wantErrno(t, "Link of a directory", err, syscall.EPERM)
	_, err = m.Link(bg, d, root, "f")
	wantErrno(t, "Link of a directory onto an existing name", err, syscall.EEXIST)
	_, err = m.Link(bg, f, f, "x")
	wantErrno(t, "Link into a file", err, syscall.ENOTDIR)

	must(t, "Unlink f", m.Unlink(bg, root, "f"))
	if a := getattr(t, m, f); a.Nlink != 1 {
		t.Errorf("nlink %d after unlinking one of two links", a.Nlink)
	}

	// A file whose last link is gone but which is still open cannot get a
	// new name (Linux: ENOENT).
	h, err := m.Open(bg, f, syscall.O_RDONLY)
	must(t, "Open", err)
	must(t, "Unlink g", m.Unlink(bg, d, "g"))
	_, err = m.Link(bg, f, root, "again")
	wantErrno(t, "Link of an unlinked open file", err, syscall.ENOENT)
	must(t, "Release", h.Release(bg))
}

func TestUnlinkAndRmdirErrors(t *testing.T) {
	m, root := setup(t, Options{})
	d := mkdir(t, m, root, "d")
	createFile(t, m, d, "f", "")
	createFile(t, m, root, "file", "")
	wantErrno(t, "Unlink a directory", m.Unlink(bg, root, "d"), syscall.EISDIR)
	wantErrno(t, "Unlink missing", m.Unlink(bg, root, "missing"), syscall.ENOENT)
	wantErrno(t, "Rmdir non-empty", m.Rmdir(bg, root, "d"), syscall.ENOTEMPTY)
	wantErrno(t, "Rmdir a file", m.Rmdir(bg, root, "file"), syscall.ENOTDIR)
	wantErrno(t, "Rmdir missing", m.Rmdir(bg, root, "missing"), syscall.ENOENT)
	wantErrno(t, "Unlink in a file", m.Unlink(bg, lookupNode(t, m, root, "file"), "x"), syscall.ENOTDIR)

	must(t, "Unlink d/f", m.Unlink(bg, d, "f"))
	must(t, "Rmdir d", m.Rmdir(bg, root, "d"))
	if a := getattr(t, m, root); a.Nlink != 2 {
		t.Errorf("root nlink %d after rmdir, want 2", a.Nlink)
	}
	_, _, err := m.Lookup(bg, root, "d")
	wantErrno(t, "Lookup removed dir", err, syscall.ENOENT)
}

func lookupNode(t testing.TB, m *FS, dir vfs.Node, name string) vfs.Node {
	t.Helper()
	n, _ := lookup(t, m, dir, name)
	return n
}

// Directory mtime and ctime move on every entry change; the object's ctime
// moves when its link count does.
func TestDirectoryTimesMoveOnEntryChanges(t *testing.T) {
	m, root := setup(t, Options{})
	d := mkdir(t, m, root, "d")
	f := createFile(t, m, root, "f", "")
	steps := []struct {
		name string
		do   func() error
	}{
		{"create", func() error { _, _, h, err := m.Create(bg, d, "c", syscall.O_RDONLY, 0o644); h.Release(bg); return err }},
		{"mkdir", func() error { _, _, err := m.Mkdir(bg, d, "sub", 0o755); return err }},
		{"mknod", func() error { _, _, err := m.Mknod(bg, d, "p", vfs.S_IFIFO|0o644, 0); return err }},
		{"symlink", func() error { _, _, err := m.Symlink(bg, d, "s", "t"); return err }},
		{"link", func() error { _, err := m.Link(bg, f, d, "hard"); return err }},
		{"rename within", func() error { return m.Rename(bg, d, "c", d, "c2", 0) }},
		{"unlink", func() error { return m.Unlink(bg, d, "c2") }},
		{"rmdir", func() error { return m.Rmdir(bg, d, "sub") }},
	}
	for _, s := range steps {
		before := getattr(t, m, d)
		must(t, s.name, s.do())
		after := getattr(t, m, d)
		if after.MtimeNs <= before.MtimeNs || after.CtimeNs <= before.CtimeNs || after.Change == before.Change {
			t.Errorf("%s: dir mtime/ctime/change did not move: %+v -> %+v", s.name, before, after)
		}
	}
	before := getattr(t, m, f)
	must(t, "Unlink hard", m.Unlink(bg, d, "hard"))
	if after := getattr(t, m, f); after.CtimeNs <= before.CtimeNs || after.MtimeNs != before.MtimeNs {
		t.Errorf("unlinking a link: file ctime must move, mtime stay: %+v -> %+v", before, after)
	}
}

func TestReadDirListsInCreationOrderWithAttributes(t *testing.T) {
	m, root := setup(t, Options{})
	var want []string
	for i := range 100 {
		name := fmt.Sprintf("n%03d", 99-i) // not sorted: order is creation order
		createFile(t, m, root, name, strings.Repeat("x", i))
		want = append(want, name)
	}
	// Remove most of them (forcing compaction) and add one back: it goes last.
	for i, name := range slices.Clone(want) {
		if i%4 != 0 {
			must(t, "Unlink", m.Unlink(bg, root, name))
		}
	}
	var kept []string
	for i, name := range want {
		if i%4 == 0 {
			kept = append(kept, name)
		}
	}
	mkdir(t, m, root, want[1])
	kept = append(kept, want[1])

	var got []string
	err := m.ReadDir(bg, root, func(e vfs.DirEntry) bool {
		got = append(got, e.Name)
		a := getattr(t, m, e.Node)
		if !e.HasAttr || e.Attr.Ino != e.Ino || a.Ino != e.Ino || e.Type != a.Mode&vfs.S_IFMT || e.Attr.Size != a.Size {
			t.Errorf("entry %s: %+v does not match Getattr %+v", e.Name, e, a)
		}
		return true
	})
	must(t, "ReadDir", err)
	if !slices.Equal(got, kept) {
		t.Errorf("ReadDir = %v\nwant      %v", got, kept)
	}
	if again := names(t, m, root); !slices.Equal(again, got) {
		t.Errorf("second listing differs: %v", again)
	}
	var first []string
	must(t, "ReadDir", m.ReadDir(bg, root, func(e vfs.DirEntry) bool {
		first = append(first, e.Name)
		return len(first) < 3
	}))
	if len(first) != 3 {
		t.Errorf("ReadDir went on after fn returned false: %d entries", len(first))
	}
	err = m.ReadDir(bg, lookupNode(t, m, root, kept[0]), func(vfs.DirEntry) bool { return true })
	wantErrno(t, "ReadDir of a file", err, syscall.ENOTDIR)
}

func TestStatfsNumbersAreConsistent(t *testing.T) {
	m, root := setup(t, Options{Capacity: 1 << 30})
	s0, err := m.Statfs(bg, root)
	must(t, "Statfs", err)
	if s0.Bsize != 4096 || s0.Blocks != (1<<30)/4096 || s0.Bfree != s0.Blocks || s0.Bavail != s0.Bfree || s0.NameLen != 255 || s0.Ffree != s0.Files-1 {
		t.Errorf("empty Statfs = %+v", s0)
	}
	createFile(t, m, root, "f", "x") // one 64 KiB chunk
	s1, err := m.Statfs(bg, root)
	must(t, "Statfs", err)
	if s0.Bfree-s1.Bfree != chunkSize/4096 || s0.Ffree-s1.Ffree != 1 {
		t.Errorf("after one file of one chunk: %+v -> %+v", s0, s1)
	}
	must(t, "Unlink", m.Unlink(bg, root, "f"))
	s2, err := m.Statfs(bg, root)
	must(t, "Statfs", err)
	if s2 != s0 {
		t.Errorf("after unlink: %+v, want %+v", s2, s0)
	}
	_, err = New(Options{}).Statfs(bg, root)
	wantErrno(t, "Statfs on another FS's node", err, syscall.EINVAL)
	mm := New(Options{})
	s, err := mm.Statfs(bg, mm.root)
	must(t, "Statfs", err)
	if s.Blocks*uint64(s.Bsize) != 1<<40 {
		t.Errorf("default capacity %d bytes, want 1 TiB", s.Blocks*uint64(s.Bsize))
	}
}

// A directory removed while open keeps answering Getattr (nlink 0) but has
// no entries and accepts none (ENOENT); once closed it is stale (rule V3).
func TestRemovedOpenDirectory(t *testing.T) {
	m, root := setup(t, Options{})
	d := mkdir(t, m, root, "d")
	h, err := m.Open(bg, d, syscall.O_RDONLY)
	must(t, "Open dir", err)
	must(t, "Rmdir", m.Rmdir(bg, root, "d"))
	if a := getattr(t, m, d); a.Nlink != 0 {
		t.Errorf("removed dir nlink %d", a.Nlink)
	}
	_, _, err = m.Lookup(bg, d, "x")
	wantErrno(t, "Lookup in removed dir", err, syscall.ENOENT)
	_, _, _, err = m.Create(bg, d, "x", syscall.O_RDWR, 0o644)
	wantErrno(t, "Create in removed dir", err, syscall.ENOENT)
	_, _, err = m.Mkdir(bg, d, "x", 0o755)
	wantErrno(t, "Mkdir in removed dir", err, syscall.ENOENT)
	if got := names(t, m, d); len(got) != 0 {
		t.Errorf("removed dir lists %v", got)
	}
	must(t, "Release", h.Release(bg))
	_, err = m.Getattr(bg, d)
	wantErrno(t, "Getattr of removed closed dir", err, syscall.ESTALE)
}
