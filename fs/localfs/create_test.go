package localfs

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

func TestCreate(t *testing.T) {
	e := newEnv(t)
	old := unix.Umask(0o077) // the result must not depend on the process umask
	defer unix.Umask(old)
	n, attr, h, err := e.fs.Create(e.ctx, e.root, "f", unix.O_RDWR, 0o664)
	must(t, "Create", err)
	defer h.Release(e.ctx)
	st := e.lstat("f")
	if attr.Mode != unix.S_IFREG|0o664 || st.Mode != unix.S_IFREG|0o664 || attr.Ino != st.Ino {
		t.Fatalf("created mode %o (disk %o), want %o", attr.Mode, st.Mode, unix.S_IFREG|0o664)
	}
	if _, err := h.WriteAt(e.ctx, []byte("abc"), 0); err != nil {
		t.Fatal(err)
	}
	got, err := e.fs.Getattr(e.ctx, n)
	must(t, "Getattr", err)
	if got.Size != 3 {
		t.Fatalf("size %d after write", got.Size)
	}
	// Exclusive: EEXIST for any existing name, symlinks included (even
	// dangling ones, which must not be followed).
	must(t, "symlink", os.Symlink("nowhere", e.path("dangling")))
	e.mkdir("d")
	for _, name := range []string{"f", "d", "dangling"} {
		_, _, _, err := e.fs.Create(e.ctx, e.root, name, unix.O_RDWR, 0o644)
		wantErr(t, "Create existing "+name, err, syscall.EEXIST)
	}
	if _, err := os.Lstat(e.path("nowhere")); !os.IsNotExist(err) {
		t.Fatalf("Create followed a dangling symlink: %v", err)
	}
	_, _, _, err = e.fs.Create(e.ctx, n, "x", unix.O_RDWR, 0o644)
	wantErr(t, "Create in a file", err, syscall.ENOTDIR)
}

func TestMkdir(t *testing.T) {
	e := newEnv(t)
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	d, attr, err := e.fs.Mkdir(e.ctx, e.root, "d", 0o777|unix.S_ISVTX)
	must(t, "Mkdir", err)
	if attr.Mode != unix.S_IFDIR|0o777|unix.S_ISVTX || e.lstat("d").Mode != attr.Mode {
		t.Fatalf("mode %o, want %o", attr.Mode, unix.S_IFDIR|0o1777)
	}
	if _, _, err := e.fs.Mkdir(e.ctx, d, "sub", 0o700); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.fs.Mkdir(e.ctx, e.root, "d", 0o755)
	wantErr(t, "Mkdir existing", err, syscall.EEXIST)
}

func TestMknod(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		mode uint32
	}{
		{"fifo", unix.S_IFIFO | 0o640},
		{"sock", unix.S_IFSOCK | 0o600},
		{"reg", unix.S_IFREG | 0o644},
		{"zero", 0o644}, // type 0 is a regular file, as mknod(2)
	} {
		_, attr, err := e.fs.Mknod(e.ctx, e.root, tc.name, tc.mode, 0)
		must(t, "Mknod "+tc.name, err)
		want := tc.mode
		if want&unix.S_IFMT == 0 {
			want |= unix.S_IFREG
		}
		if attr.Mode != want || e.lstat(tc.name).Mode != want {
			t.Errorf("%s: mode %o, want %o", tc.name, attr.Mode, want)
		}
	}
	_, _, err := e.fs.Mknod(e.ctx, e.root, "fifo", unix.S_IFIFO|0o644, 0)
	wantErr(t, "Mknod existing", err, syscall.EEXIST)
}

func TestMknodDevice(t *testing.T) {
	requireRoot(t, "mknod of a device needs CAP_MKNOD")
	e := newEnv(t)
	rdev := unix.Mkdev(1, 3) // /dev/null's numbers
	_, attr, err := e.fs.Mknod(e.ctx, e.root, "null", unix.S_IFCHR|0o666, rdev)
	must(t, "Mknod char device", err)
	if attr.Mode != unix.S_IFCHR|0o666 || attr.Rdev != rdev || e.lstat("null").Rdev != rdev {
		t.Fatalf("device attr mode %o rdev %x, want rdev %x", attr.Mode, attr.Rdev, rdev)
	}
}

func TestSymlinkStoresTargetAsIs(t *testing.T) {
	e := newEnv(t)
	for i, target := range []string{"rel/x", e.outside + "/secret", "../outside/secret", "a//b/../c/"} {
		name := string(rune('a' + i))
		n, attr, err := e.fs.Symlink(e.ctx, e.root, name, target)
		must(t, "Symlink", err)
		if !attr.IsSymlink() || attr.Size != int64(len(target)) {
			t.Errorf("symlink attr %+v", attr)
		}
		got, err := e.fs.Readlink(e.ctx, n)
		must(t, "Readlink", err)
		disk, _ := os.Readlink(e.path(name))
		if got != target || disk != target {
			t.Errorf("target %q, Readlink %q, disk %q", target, got, disk)
		}
	}
	_, _, err := e.fs.Symlink(e.ctx, e.root, "a", "x")
	wantErr(t, "Symlink existing", err, syscall.EEXIST)
	_, _, err = e.fs.Symlink(e.ctx, e.root, "empty", "")
	wantErr(t, "Symlink with an empty target", err, syscall.ENOENT)
}

// With a vfs.Caller in the context (the FUSE frontend), new objects belong
// to the caller when the driver runs as root.
func TestCreateGivesCallerOwnership(t *testing.T) {
	requireRoot(t, "giving files to another uid needs root")
	e := newEnv(t)
	ctx := vfs.WithCaller(e.ctx, vfs.Caller{Uid: 1234, Gid: 5678})
	_, _, h, err := e.fs.Create(ctx, e.root, "file", unix.O_RDWR, 0o4755)
	must(t, "Create", err)
	h.Release(ctx)
	_, _, err = e.fs.Mkdir(ctx, e.root, "dir", 0o755)
	must(t, "Mkdir", err)
	_, _, err = e.fs.Mknod(ctx, e.root, "fifo", unix.S_IFIFO|0o644, 0)
	must(t, "Mknod", err)
	_, _, err = e.fs.Symlink(ctx, e.root, "link", "file")
	must(t, "Symlink", err)
	r, err := e.fs.AtomicOpen(ctx, e.root, "aopen", unix.O_RDWR|unix.O_CREAT, 0o600)
	must(t, "AtomicOpen", err)
	r.Handle.Release(ctx)
	for _, name := range []string{"file", "dir", "fifo", "link", "aopen"} {
		st := e.lstat(name)
		if st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("%s owned by %d:%d, want 1234:5678", name, st.Uid, st.Gid)
		}
	}
	// chown clears set-user-ID; the requested mode is restored.
	if st := e.lstat("file"); st.Mode != unix.S_IFREG|0o4755 {
		t.Errorf("file mode %o, want %o", st.Mode, unix.S_IFREG|0o4755)
	}
	// In a set-group-ID directory the new object takes the directory's group.
	must(t, "chown", os.Chown(e.path("dir"), 0, 4321))
	must(t, "chmod", unix.Chmod(e.path("dir"), 0o2777))
	dir, _ := e.lookup("dir")
	_, attr, err := e.fs.Mkdir(ctx, dir, "inherits", 0o755)
	must(t, "Mkdir in setgid dir", err)
	if attr.Uid != 1234 || attr.Gid != 4321 || attr.Mode&unix.S_ISGID == 0 {
		t.Errorf("in a setgid directory: %d:%d mode %o, want 1234:4321 with S_ISGID", attr.Uid, attr.Gid, attr.Mode)
	}
}

func TestLink(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	e.writeFile("f", "data")
	f, fattr := e.lookup("f")
	d, _ := e.lookup("d")
	attr, err := e.fs.Link(e.ctx, f, d, "g")
	must(t, "Link", err)
	if attr.Nlink != 2 || attr.ID != fattr.ID {
		t.Fatalf("after Link: nlink %d ID %x, want 2 and %x", attr.Nlink, attr.ID, fattr.ID)
	}
	// Hard links share one identity (rule A1).
	_, gattr := e.lookup("d/g")
	if gattr.ID != fattr.ID || e.lstat("d/g").Ino != e.lstat("f").Ino {
		t.Fatalf("link has ID %x, file %x", gattr.ID, fattr.ID)
	}
	_, err = e.fs.Link(e.ctx, f, d, "g")
	wantErr(t, "Link over an existing name", err, syscall.EEXIST)
	_, err = e.fs.Link(e.ctx, d, e.root, "dlink")
	wantErr(t, "Link of a directory", err, syscall.EPERM)
	_, err = e.fs.Link(e.ctx, f, f, "x")
	wantErr(t, "Link into a file", err, syscall.ENOTDIR)
	// A hard link to a symlink links the symlink itself.
	must(t, "symlink", os.Symlink(e.outside+"/secret", e.path("sl")))
	sl, slattr := e.lookup("sl")
	attr, err = e.fs.Link(e.ctx, sl, e.root, "sl2")
	must(t, "Link of a symlink", err)
	if attr.ID != slattr.ID || !attr.IsSymlink() || attr.Nlink != 2 {
		t.Fatalf("link of symlink: %+v", attr)
	}
	if target, _ := os.Readlink(e.path("sl2")); target != e.outside+"/secret" {
		t.Fatalf("sl2 -> %q", target)
	}
}
