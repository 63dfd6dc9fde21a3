package localfs

import (
	"bytes"
	"os"
	"slices"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestXattrs(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "")
	e.mkdir("d")
	for _, name := range []string{"f", "d"} {
		n, _ := e.lookup(name)
		must(t, "SetXattr", e.fs.SetXattr(e.ctx, n, "user.a", []byte("1"), 0))
		must(t, "SetXattr empty", e.fs.SetXattr(e.ctx, n, "user.empty", nil, 0))
		big := bytes.Repeat([]byte("v"), 3000)
		must(t, "SetXattr big", e.fs.SetXattr(e.ctx, n, "user.big", big, 0))
		v, err := e.fs.GetXattr(e.ctx, n, "user.a")
		if err != nil || string(v) != "1" {
			t.Errorf("%s: GetXattr = %q, %v", name, v, err)
		}
		if v, err := e.fs.GetXattr(e.ctx, n, "user.big"); err != nil || !bytes.Equal(v, big) {
			t.Errorf("%s: big value: %d bytes, %v", name, len(v), err)
		}
		if v, err := e.fs.GetXattr(e.ctx, n, "user.empty"); err != nil || len(v) != 0 {
			t.Errorf("%s: empty value %q, %v", name, v, err)
		}
		names, err := e.fs.ListXattr(e.ctx, n)
		must(t, "ListXattr", err)
		for _, want := range []string{"user.a", "user.empty", "user.big"} {
			if !slices.Contains(names, want) {
				t.Errorf("%s: ListXattr = %q, missing %s", name, names, want)
			}
		}
		_, err = e.fs.GetXattr(e.ctx, n, "user.missing")
		wantErr(t, "GetXattr missing", err, syscall.ENODATA)
		err = e.fs.SetXattr(e.ctx, n, "user.a", []byte("2"), unix.XATTR_CREATE)
		wantErr(t, "SetXattr XATTR_CREATE existing", err, syscall.EEXIST)
		err = e.fs.SetXattr(e.ctx, n, "user.none", []byte("2"), unix.XATTR_REPLACE)
		wantErr(t, "SetXattr XATTR_REPLACE missing", err, syscall.ENODATA)
		must(t, "RemoveXattr", e.fs.RemoveXattr(e.ctx, n, "user.a"))
		wantErr(t, "RemoveXattr again", e.fs.RemoveXattr(e.ctx, n, "user.a"), syscall.ENODATA)
		buf := make([]byte, 16)
		if _, err := unix.Lgetxattr(e.path(name), "user.big", buf[:0]); err != nil {
			t.Errorf("%s: xattr not on disk: %v", name, err)
		}
	}
}

// Xattr calls on a symlink act on the link itself, never on its target.
func TestXattrOnSymlinkActsOnLink(t *testing.T) {
	requireRoot(t, "trusted.* xattrs need CAP_SYS_ADMIN (user.* ones are not allowed on symlinks)")
	e := newEnv(t)
	e.writeFile("f", "")
	must(t, "symlink", os.Symlink("f", e.path("l")))
	l, _ := e.lookup("l")
	must(t, "SetXattr on symlink", e.fs.SetXattr(e.ctx, l, "trusted.k", []byte("v"), 0))
	buf := make([]byte, 8)
	if n, err := unix.Lgetxattr(e.path("l"), "trusted.k", buf); err != nil || string(buf[:n]) != "v" {
		t.Fatalf("link's own xattr: %q %v", buf[:n], err)
	}
	if _, err := unix.Lgetxattr(e.path("f"), "trusted.k", buf); err != unix.ENODATA {
		t.Fatalf("target got the xattr: %v", err)
	}
	err := e.fs.SetXattr(e.ctx, l, "user.k", []byte("v"), 0)
	wantErr(t, "user.* xattr on a symlink", err, syscall.EPERM)
}
