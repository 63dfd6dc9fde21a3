package localfs

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

func TestLookup(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	e.writeFile("d/f", "hello")
	must(t, "symlink", os.Symlink("f", e.path("d/l")))
	d, dattr := e.lookup("d")
	if !dattr.IsDir() {
		t.Fatalf("d: mode %o, want a directory", dattr.Mode)
	}
	f, fattr, err := e.fs.Lookup(e.ctx, d, "f")
	must(t, "Lookup f", err)
	st := e.lstat("d/f")
	if !fattr.IsRegular() || fattr.Size != 5 || fattr.Ino != st.Ino || fattr.Nlink != 1 || fattr.ID != identity(st.Dev, st.Ino) {
		t.Fatalf("f: attr %+v, disk ino %d", fattr, st.Ino)
	}
	// A final symlink is returned as a symlink, not followed.
	_, lattr, err := e.fs.Lookup(e.ctx, d, "l")
	must(t, "Lookup l", err)
	if !lattr.IsSymlink() {
		t.Fatalf("l: mode %o, want a symlink", lattr.Mode)
	}
	_, _, err = e.fs.Lookup(e.ctx, d, "missing")
	wantErr(t, "Lookup missing", err, syscall.ENOENT)
	_, _, err = e.fs.Lookup(e.ctx, f, "x")
	wantErr(t, "Lookup in a file", err, syscall.ENOTDIR)
	_, _, err = e.fs.Lookup(e.ctx, d, strings.Repeat("n", 256))
	wantErr(t, "Lookup of a 256-byte name", err, syscall.ENAMETOOLONG)
	// Getattr asks the kernel each time.
	must(t, "write", os.WriteFile(e.path("d/f"), []byte("hello, world"), 0o644))
	attr, err := e.fs.Getattr(e.ctx, f)
	must(t, "Getattr", err)
	if attr.Size != 12 {
		t.Fatalf("Getattr size %d, want 12", attr.Size)
	}
}

func TestLookupRejectsNamesThatAreNotOneEntry(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		want syscall.Errno
	}{
		{"", syscall.ENOENT},
		{".", syscall.EINVAL},
		{"..", syscall.EINVAL},
		{"a/b", syscall.EINVAL},
		{"/etc", syscall.EINVAL},
		{"nul\x00", syscall.EINVAL},
	} {
		_, _, err := e.fs.Lookup(e.ctx, e.root, tc.name)
		wantErr(t, "Lookup "+tc.name, err, tc.want)
	}
}

func TestReadlink(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x/", 1000) + "end" // longer than the first buffer
	for _, target := range []string{"f", "/etc/passwd", "../../..", long} {
		must(t, "symlink", os.Symlink(target, e.path("l")))
		n, _ := e.lookup("l")
		got, err := e.fs.Readlink(e.ctx, n)
		must(t, "Readlink", err)
		if got != target {
			t.Errorf("Readlink = %q, want %q", got, target)
		}
		must(t, "rm", os.Remove(e.path("l")))
	}
	e.writeFile("f", "")
	f, _ := e.lookup("f")
	_, err := e.fs.Readlink(e.ctx, f)
	wantErr(t, "Readlink of a file", err, syscall.EINVAL)
}

func TestStatfs(t *testing.T) {
	e := newEnv(t)
	s, err := e.fs.Statfs(e.ctx, e.root)
	must(t, "Statfs", err)
	var want unix.Statfs_t
	must(t, "statfs", unix.Statfs(e.dir, &want))
	if s.Blocks != want.Blocks || s.Bsize != uint32(want.Bsize) || s.NameLen != uint32(want.Namelen) || s.Files != want.Files {
		t.Fatalf("Statfs %+v, kernel %+v", s, want)
	}
}

func TestRevalidate(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "one")
	n, cached := e.lookup("f")
	fresh, changed, err := e.fs.Revalidate(e.ctx, n, cached)
	must(t, "Revalidate", err)
	if changed || fresh.ID != cached.ID {
		t.Fatalf("unchanged file reported changed=%v", changed)
	}
	// A new mtime (set explicitly: timestamps may be coarse) is a change.
	later := time.Unix(0, cached.MtimeNs).Add(time.Hour)
	must(t, "chtimes", os.Chtimes(e.path("f"), later, later))
	if _, changed, err = e.fs.Revalidate(e.ctx, n, cached); err != nil || !changed {
		t.Fatalf("after touch: changed=%v err=%v, want changed", changed, err)
	}
	// Replaced while open: the open object's real attributes, changed (the
	// name must be looked up again).
	h, err := e.fs.Open(e.ctx, n, unix.O_RDONLY)
	must(t, "Open", err)
	must(t, "ln", os.Link(e.path("f"), e.path("keep"))) // keep the inode number busy
	must(t, "rm", os.Remove(e.path("f")))
	e.writeFile("f", "two!")
	fresh, changed, err = e.fs.Revalidate(e.ctx, n, cached)
	if err != nil || !changed || fresh.ID != cached.ID || fresh.Size != 3 {
		t.Fatalf("replaced while open: %+v changed=%v err=%v, want the open file's attributes, changed", fresh, changed, err)
	}
	// Replaced and closed: ESTALE, never made-up attributes.
	h.Release(e.ctx)
	fresh, _, err = e.fs.Revalidate(e.ctx, n, cached)
	wantErr(t, "Revalidate of a replaced file", err, syscall.ESTALE)
	if fresh != (vfs.Attr{}) {
		t.Fatalf("attributes with ESTALE: %+v", fresh)
	}
}
