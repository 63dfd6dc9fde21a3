package memfs

// Tests of Remote, the second client, and of staleness (rule V3): nodes
// whose inode died or was replaced answer ESTALE.

import (
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

func TestRemoteOperationsAndErrnos(t *testing.T) {
	m, root := setup(t, Options{Uid: 3, Gid: 4})
	r := m.Remote()
	must(t, "Mkdir", r.Mkdir("d", 0o750))
	must(t, "Mkdir nested", r.Mkdir("/d//sub/", 0o700))
	must(t, "WriteFile", r.WriteFile("d/f", []byte("hello"), 0o640))
	must(t, "Symlink", r.Symlink("d/f", "l"))

	a, err := r.Stat("d/f")
	must(t, "Stat", err)
	if a.Mode != vfs.S_IFREG|0o640 || a.Size != 5 || a.Uid != 3 || a.Gid != 4 {
		t.Errorf("remote file attr %+v", a)
	}
	if la, err := r.Stat("l"); err != nil || !la.IsSymlink() {
		t.Errorf("Stat followed the symlink: %+v %v", la, err)
	}
	if ra, err := r.Stat(""); err != nil || ra.Ino != rootIno {
		t.Errorf("Stat of the root: %+v %v", ra, err)
	}
	data, err := r.ReadFile("./d/f")
	must(t, "ReadFile", err)
	if string(data) != "hello" {
		t.Errorf("ReadFile = %q", data)
	}
	// Rewriting keeps the inode and the mode.
	must(t, "WriteFile again", r.WriteFile("d/f", []byte("bye"), 0o600))
	if b, _ := r.Stat("d/f"); b.Ino != a.Ino || b.Mode != a.Mode || b.Size != 3 {
		t.Errorf("rewrite: %+v -> %+v", a, b)
	}
	must(t, "Chmod", r.Chmod("d", 0o711))
	if b, _ := r.Stat("d"); b.Mode != vfs.S_IFDIR|0o711 {
		t.Errorf("Chmod: mode %o", b.Mode)
	}

	errs := []struct {
		what string
		err  error
		want syscall.Errno
	}{
		{"Mkdir existing", r.Mkdir("d", 0o755), syscall.EEXIST},
		{"Mkdir root", r.Mkdir("", 0o755), syscall.EEXIST},
		{"Mkdir under missing", r.Mkdir("nope/x", 0o755), syscall.ENOENT},
		{"Mkdir under file", r.Mkdir("d/f/x", 0o755), syscall.ENOTDIR},
		{"Mkdir through symlink", r.Mkdir("l/x", 0o755), syscall.ENOTDIR},
		{"Mkdir dotdot", r.Mkdir("d/../x", 0o755), syscall.EINVAL},
		{"WriteFile dir", r.WriteFile("d", nil, 0o644), syscall.EISDIR},
		{"WriteFile symlink", r.WriteFile("l", nil, 0o644), syscall.ELOOP},
		{"WriteFile root", r.WriteFile("/", nil, 0o644), syscall.EISDIR},
		{"Remove non-empty", r.Remove("d"), syscall.ENOTEMPTY},
		{"Remove root", r.Remove(""), syscall.EBUSY},
		{"Remove missing", r.Remove("missing"), syscall.ENOENT},
		{"Rename file over dir", r.Rename("d/f", "d/sub"), syscall.EISDIR},
		{"Rename dir over its ancestor", r.Rename("d/sub", "d"), syscall.ENOTEMPTY},
		{"Rename root", r.Rename("", "x"), syscall.EBUSY},
		{"Symlink existing", r.Symlink("t", "l"), syscall.EEXIST},
		{"Symlink empty target", r.Symlink("", "e"), syscall.ENOENT},
		{"Chmod symlink", r.Chmod("l", 0o700), syscall.EOPNOTSUPP},
		{"Chmod missing", r.Chmod("missing", 0o700), syscall.ENOENT},
	}
	for _, e := range errs {
		wantErrno(t, e.what, e.err, e.want)
	}
	_, err = r.ReadFile("d")
	wantErrno(t, "ReadFile dir", err, syscall.EISDIR)
	_, err = r.ReadFile("missing")
	wantErrno(t, "ReadFile missing", err, syscall.ENOENT)

	must(t, "Rename", r.Rename("d/f", "g"))
	must(t, "Remove file", r.Remove("g"))
	must(t, "Remove dir", r.Remove("d/sub"))
	if got := names(t, m, root); len(got) != 2 {
		t.Errorf("root lists %v, want d and l", got)
	}
}

// Remote calls are not driver calls: not counted, observed, delayed or
// faulted.
func TestRemoteBypassesTheTestBench(t *testing.T) {
	m, _ := setup(t, Options{})
	m.SetLatency("", time.Hour)
	m.InjectFault("", "", 100, syscall.EIO)
	observed := false
	m.OnCall(func(Op, string) { observed = true })
	r := m.Remote()
	must(t, "Mkdir", r.Mkdir("d", 0o755))
	must(t, "WriteFile", r.WriteFile("d/f", []byte("x"), 0o644))
	must(t, "Replace", r.Replace("d/f", []byte("y")))
	_, err := r.ReadFile("d/f")
	must(t, "ReadFile", err)
	if m.Calls("") != 0 || observed {
		t.Errorf("remote calls counted (%d) or observed (%v)", m.Calls(""), observed)
	}
}

// Rule V3: once the inode is gone, every call on its node is ESTALE.
func TestV3_RemovedBehindTheCoresBackIsStale(t *testing.T) {
	m, root := setup(t, Options{})
	r := m.Remote()
	must(t, "WriteFile", r.WriteFile("f", []byte("x"), 0o644))
	must(t, "Mkdir", r.Mkdir("d", 0o755))
	f, _ := lookup(t, m, root, "f")
	d, _ := lookup(t, m, root, "d")
	must(t, "Remove f", r.Remove("f"))
	must(t, "Remove d", r.Remove("d"))
	_, err := m.Getattr(bg, f)
	wantErrno(t, "Getattr", err, syscall.ESTALE)
	_, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetMode})
	wantErrno(t, "Setattr", err, syscall.ESTALE)
	_, err = m.Open(bg, f, syscall.O_RDONLY)
	wantErrno(t, "Open", err, syscall.ESTALE)
	_, err = m.Link(bg, f, root, "again")
	wantErrno(t, "Link", err, syscall.ESTALE)
	_, err = m.GetXattr(bg, f, "user.a")
	wantErrno(t, "GetXattr", err, syscall.ESTALE)
	_, _, err = m.Lookup(bg, d, "x")
	wantErrno(t, "Lookup in stale dir", err, syscall.ESTALE)
	_, _, _, err = m.Create(bg, d, "x", syscall.O_RDWR, 0o644)
	wantErrno(t, "Create in stale dir", err, syscall.ESTALE)
	_, err = m.AtomicOpen(bg, d, "x", syscall.O_RDWR|syscall.O_CREAT, 0o644)
	wantErrno(t, "AtomicOpen in stale dir", err, syscall.ESTALE)
	_, err = m.Walk(bg, d, []string{"x"})
	wantErrno(t, "Walk from stale dir", err, syscall.ESTALE)
	wantErrno(t, "Rename into stale dir", m.Rename(bg, root, "x", d, "x", 0), syscall.ESTALE)
	wantErrno(t, "ReadDir of stale dir", m.ReadDir(bg, d, func(vfs.DirEntry) bool { return true }), syscall.ESTALE)
	_, err = m.Statfs(bg, d)
	wantErrno(t, "Statfs", err, syscall.ESTALE)
}

// Rule V3: Replace gives the path a new identity; the old node, open or not,
// is stale.
func TestV3_ReplacedFileIsStaleEvenWhenOpen(t *testing.T) {
	m, root := setup(t, Options{})
	r := m.Remote()
	must(t, "WriteFile", r.WriteFile("f", []byte("old"), 0o640))
	old, oldAttr := lookup(t, m, root, "f")
	_, err := m.Link(bg, old, root, "hard")
	must(t, "Link", err)
	h, err := m.Open(bg, old, syscall.O_RDWR)
	must(t, "Open", err)
	must(t, "Replace", r.Replace("f", []byte("new!")))

	nu, nuAttr := lookup(t, m, root, "f")
	if nu == old || nuAttr.Ino == oldAttr.Ino || nuAttr.ID == oldAttr.ID {
		t.Errorf("Replace kept the identity")
	}
	if nuAttr.Mode != oldAttr.Mode || nuAttr.Size != 4 || nuAttr.Nlink != 1 {
		t.Errorf("replacement attr %+v", nuAttr)
	}
	if got := readAll(t, m, nu); got != "new!" {
		t.Errorf("replacement reads %q", got)
	}
	_, err = m.Getattr(bg, old)
	wantErrno(t, "Getattr old", err, syscall.ESTALE)
	_, err = h.ReadAt(bg, make([]byte, 3), 0)
	wantErrno(t, "ReadAt through old handle", err, syscall.ESTALE)
	_, err = h.WriteAt(bg, []byte("x"), 0)
	wantErrno(t, "WriteAt through old handle", err, syscall.ESTALE)
	must(t, "Release old handle", h.Release(bg))
	_, _, err = m.Lookup(bg, root, "hard")
	wantErrno(t, "other link of the replaced file", err, syscall.ENOENT)
	if m.used.Load() != chunkSize {
		t.Errorf("%d bytes allocated, want only the replacement's chunk", m.used.Load())
	}
}

func TestV3_ReplacedDirectoryKeepsItsEntries(t *testing.T) {
	m, root := setup(t, Options{})
	r := m.Remote()
	must(t, "Mkdir", r.Mkdir("d", 0o755))
	must(t, "Mkdir", r.Mkdir("d/sub", 0o755))
	must(t, "WriteFile", r.WriteFile("d/f", []byte("x"), 0o644))
	old, _ := lookup(t, m, root, "d")
	sub, _ := lookup(t, m, old, "sub")
	f, _ := lookup(t, m, old, "f")
	wantErrno(t, "Replace dir with data", r.Replace("d", []byte("x")), syscall.EINVAL)
	must(t, "Replace", r.Replace("d", nil))

	_, _, err := m.Lookup(bg, old, "f")
	wantErrno(t, "Lookup in old dir", err, syscall.ESTALE)
	nu, na := lookup(t, m, root, "d")
	if nu == old || na.Nlink != 3 {
		t.Errorf("new dir: same node %v, nlink %d", nu == old, na.Nlink)
	}
	if n, _ := lookup(t, m, nu, "f"); n != f {
		t.Errorf("children changed identity")
	}
	if n, _ := lookup(t, m, nu, "sub"); n != sub {
		t.Errorf("subdirectory changed identity")
	}
	// The subdirectory's parent is the new directory.
	wantErrno(t, "move d below its child", m.Rename(bg, root, "d", sub, "x", 0), syscall.EINVAL)
	if got := getattr(t, m, root); got.Nlink != 3 {
		t.Errorf("root nlink %d", got.Nlink)
	}
}

func TestReplaceOtherTypesAndErrors(t *testing.T) {
	m, root := setup(t, Options{})
	r := m.Remote()
	must(t, "Symlink", r.Symlink("a", "l"))
	_, _, err := m.Mknod(bg, root, "c", vfs.S_IFCHR|0o600, 0x0501)
	must(t, "Mknod", err)
	oldL, _ := lookup(t, m, root, "l")
	must(t, "Replace symlink", r.Replace("l", []byte("b")))
	nl, _ := lookup(t, m, root, "l")
	if target, _ := m.Readlink(bg, nl); target != "b" || nl == oldL {
		t.Errorf("replaced symlink points at %q", target)
	}
	_, err = m.Readlink(bg, oldL)
	wantErrno(t, "Readlink old symlink", err, syscall.ESTALE)
	must(t, "Replace device", r.Replace("c", nil))
	if a, _ := r.Stat("c"); a.Rdev != 0x0501 || a.Mode != vfs.S_IFCHR|0o600 {
		t.Errorf("replaced device %+v", a)
	}
	wantErrno(t, "Replace device with data", r.Replace("c", []byte("x")), syscall.EINVAL)
	wantErrno(t, "Replace root", r.Replace("", nil), syscall.EBUSY)
	wantErrno(t, "Replace missing", r.Replace("missing", nil), syscall.ENOENT)
}
