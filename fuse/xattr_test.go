package fuse

// Extended attributes through the kernel, compared call by call with the
// same calls on a local directory: the size-0 probe, ERANGE, ENODATA and the
// create/replace flags.

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/fs/memfs"
)

// errnoOf returns the errno of err (0 for nil).
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if err == nil || !errors.As(err, &e) {
		return 0
	}
	return e
}

// xattrResult is the outcome of one xattr call: a size or a value, and an
// errno.
type xattrResult struct {
	n     int
	value string
	errno syscall.Errno
}

func xattrScript(dir string) []xattrResult {
	f := filepath.Join(dir, "f")
	os.WriteFile(f, nil, 0o644)
	var out []xattrResult
	add := func(n int, v []byte, err error) {
		r := xattrResult{n: n, errno: errnoOf(err)}
		if err == nil && v != nil {
			r.value = string(v[:n])
		}
		out = append(out, r)
	}
	add(0, nil, unix.Setxattr(f, "user.one", []byte("first value"), 0))
	add(0, nil, unix.Setxattr(f, "user.two", []byte("2"), 0))
	n, err := unix.Getxattr(f, "user.one", nil) // size probe
	add(n, nil, err)
	small := make([]byte, 3)
	n, err = unix.Getxattr(f, "user.one", small)
	add(n, nil, err)
	buf := make([]byte, 64)
	n, err = unix.Getxattr(f, "user.one", buf)
	add(n, buf, err)
	n, err = unix.Getxattr(f, "user.missing", buf)
	add(n, nil, err)
	n, err = unix.Listxattr(f, nil)
	add(n, nil, err)
	n, err = unix.Listxattr(f, small)
	add(n, nil, err)
	add(0, nil, unix.Setxattr(f, "user.one", []byte("x"), unix.XATTR_CREATE))
	add(0, nil, unix.Setxattr(f, "user.new", []byte("x"), unix.XATTR_REPLACE))
	add(0, nil, unix.Setxattr(f, "user.one", []byte("replaced"), unix.XATTR_REPLACE))
	n, err = unix.Getxattr(f, "user.one", buf)
	add(n, buf, err)
	add(0, nil, unix.Removexattr(f, "user.two"))
	add(0, nil, unix.Removexattr(f, "user.two"))
	n, err = unix.Listxattr(f, buf)
	add(n, buf, err)
	return out
}

func TestXattrMatchesLocal(t *testing.T) {
	m := mountMem(t, nil, Options{})
	local := xattrScript(t.TempDir())
	mounted := xattrScript(m.dir)
	for i := range local {
		if local[i] != mounted[i] {
			t.Errorf("step %d: mount %+v, local directory %+v", i, mounted[i], local[i])
		}
	}
}

// TestXattrsUnsupported: on a driver without extended attributes every
// xattr call fails with EOPNOTSUPP, the first (answered ENOSYS, which the
// kernel turns into EOPNOTSUPP and remembers) and the ones after.
func TestXattrsUnsupported(t *testing.T) {
	mem := memfs.New(memfs.Options{NoXattr: true})
	m := mountDriver(t, mem.Driver(), nil, Options{})
	m.mem = mem
	p := m.path("f")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	for range 2 {
		if _, err := unix.Getxattr(p, "user.a", buf); errnoOf(err) != unix.EOPNOTSUPP {
			t.Fatalf("getxattr: %v, want EOPNOTSUPP", err)
		}
		if _, err := unix.Listxattr(p, buf); errnoOf(err) != unix.EOPNOTSUPP {
			t.Fatalf("listxattr: %v, want EOPNOTSUPP", err)
		}
		if err := unix.Setxattr(p, "user.a", []byte("v"), 0); errnoOf(err) != unix.EOPNOTSUPP {
			t.Fatalf("setxattr: %v, want EOPNOTSUPP", err)
		}
		if err := unix.Removexattr(p, "user.a"); errnoOf(err) != unix.EOPNOTSUPP {
			t.Fatalf("removexattr: %v, want EOPNOTSUPP", err)
		}
	}
	if s := m.fsys.CheckInvariants(); s != nil {
		t.Fatal(s)
	}
}
