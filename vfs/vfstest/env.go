package vfstest

// This file is the per-subtest environment (a fresh driver mounted with the
// invariant checker on) and the assertion helpers every case uses. An env
// belongs to one subtest's goroutine; only the helpers documented as such
// (errnoOf, isE1) may be used from other goroutines.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// env is one subtest: its mount and its config.
type env struct {
	*testing.T
	cfg Config
	fs  *vfs.FS
	ctx context.Context
}

// newEnv mounts a fresh driver from cfg.New with the invariant checker on,
// and checks the invariants again when the subtest ends.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	drv := cfg.New(t)
	if drv == nil {
		t.Fatal("vfstest: Config.New returned nil")
	}
	var opts vfs.Options
	if cfg.Options != nil {
		opts = *cfg.Options
	}
	opts.CheckInvariants = true
	if opts.MaxDentries == 0 {
		// The invariant checker scans the whole dentry hash table after
		// every operation, and the table is sized from MaxDentries: the
		// default (1<<17) makes a -race run of the suite take minutes.
		// 2048 names are plenty for any case here (and past them the
		// LRU evicts, which the cases must survive, rule V4).
		opts.MaxDentries = 2048
	}
	ctx := t.Context()
	f, err := vfs.New(ctx, drv, &opts)
	if err != nil {
		t.Fatalf("vfs.New: %v", err)
	}
	e := &env{T: t, cfg: cfg, fs: f, ctx: ctx}
	t.Cleanup(func() {
		if err := f.CheckInvariants(); err != nil {
			t.Errorf("CheckInvariants at the end of the test: %v", err)
		}
	})
	return e
}

// isE1 reports whether err has the shape rule E1 demands: an *fs.PathError
// or *os.LinkError whose Err carries a syscall.Errno. Safe for concurrent use.
func isE1(err error) bool {
	var inner error
	switch e := err.(type) {
	case *fs.PathError:
		inner = e.Err
	case *os.LinkError:
		inner = e.Err
	default:
		return false
	}
	var errno syscall.Errno
	return errors.As(inner, &errno)
}

// errnoOf returns the errno err carries, or 0. Safe for concurrent use.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return 0
}

// errnoList formats errnos by their names for messages.
func errnoList(want []syscall.Errno) string {
	s := make([]string, len(want))
	for i, w := range want {
		s[i] = errnoName(w)
	}
	return strings.Join(s, " or ")
}

// errnoName is an errno's symbolic name where the suite knows it.
func errnoName(e syscall.Errno) string {
	names := map[syscall.Errno]string{
		syscall.ENOENT: "ENOENT", syscall.EEXIST: "EEXIST", syscall.ENOTDIR: "ENOTDIR",
		syscall.EISDIR: "EISDIR", syscall.EINVAL: "EINVAL", syscall.ENOTEMPTY: "ENOTEMPTY",
		syscall.EBUSY: "EBUSY", syscall.ELOOP: "ELOOP", syscall.ENAMETOOLONG: "ENAMETOOLONG",
		syscall.EPERM: "EPERM", syscall.ENOSYS: "ENOSYS", syscall.EBADF: "EBADF",
		syscall.ENODATA: "ENODATA", syscall.ENOTSUP: "ENOTSUP", syscall.EACCES: "EACCES",
		syscall.EXDEV: "EXDEV", syscall.EIO: "EIO",
	}
	if n, ok := names[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d (%v)", int(e), e)
}

// wantErr asserts that err (from what) is an E1 error carrying one of want.
// It reports with Errorf and returns whether the assertion held.
func (e *env) wantErr(err error, what string, want ...syscall.Errno) bool {
	e.Helper()
	if err == nil {
		e.Errorf("%s: succeeded, want %s", what, errnoList(want))
		return false
	}
	ok := false
	for _, w := range want {
		if errors.Is(err, w) {
			ok = true
		}
	}
	if !ok {
		e.Errorf("%s: got %v (%s), want %s", what, err, errnoName(errnoOf(err)), errnoList(want))
		return false
	}
	if !isE1(err) {
		e.Errorf("%s: error %v is a %T, want *fs.PathError or *os.LinkError carrying a syscall.Errno (rule E1)", what, err, err)
		return false
	}
	return true
}

// ok asserts err is nil (Errorf).
func (e *env) ok(err error, what string) bool {
	e.Helper()
	if err != nil {
		e.Errorf("%s: %v", what, err)
		return false
	}
	return true
}

// must fails the test now if err is not nil (for setup steps).
func (e *env) must(err error, what string) {
	e.Helper()
	if err != nil {
		e.Fatalf("%s: %v", what, err)
	}
}

// openFile opens name and closes it when the test ends if the case did not.
func (e *env) openFile(name string, flags int, perm fs.FileMode) (*vfs.File, error) {
	e.Helper()
	fl, err := e.fs.OpenFile(e.ctx, name, flags, perm)
	if err == nil {
		e.Cleanup(func() { _ = fl.Close() })
	}
	return fl, err
}

// mustOpen is openFile that fails the test on error.
func (e *env) mustOpen(name string, flags int, perm fs.FileMode) *vfs.File {
	e.Helper()
	fl, err := e.openFile(name, flags, perm)
	e.must(err, fmt.Sprintf("open %q flags %#o", name, flags))
	return fl
}

// writeFile creates or truncates name with data.
func (e *env) writeFile(name string, data string) {
	e.Helper()
	e.must(e.fs.WriteFile(e.ctx, name, []byte(data), 0o644), "write file "+name)
}

// wantContent asserts name's content.
func (e *env) wantContent(name, want string) {
	e.Helper()
	b, err := e.fs.ReadFile(e.ctx, name)
	if !e.ok(err, "read "+name) {
		return
	}
	if string(b) != want {
		e.Errorf("content of %s = %q, want %q", name, short(b), short([]byte(want)))
	}
}

// short abbreviates long data for messages.
func short(b []byte) string {
	if len(b) > 64 {
		return fmt.Sprintf("%q...(%d bytes)", b[:64], len(b))
	}
	return string(b)
}

// mkdir creates directory name (0755), failing the test on error.
func (e *env) mkdir(name string) {
	e.Helper()
	e.must(e.fs.Mkdir(e.ctx, name, 0o755), "mkdir "+name)
}

// symlink creates name pointing at target, failing the test on error.
func (e *env) symlink(target, name string) {
	e.Helper()
	e.must(e.fs.Symlink(e.ctx, target, name), fmt.Sprintf("symlink %q -> %q", name, target))
}

// attr returns name's attributes following symlinks, failing on error.
func (e *env) attr(name string) vfs.Attr {
	e.Helper()
	a, err := e.fs.Getattr(e.ctx, name)
	e.must(err, "stat "+name)
	return a
}

// lattr returns name's attributes without following a final symlink.
func (e *env) lattr(name string) vfs.Attr {
	e.Helper()
	a, err := e.fs.Lgetattr(e.ctx, name)
	e.must(err, "lstat "+name)
	return a
}

// fstat returns the attributes of regular file or directory name through an
// open handle (File.Stat always asks the driver).
func (e *env) fstat(name string) vfs.Attr {
	e.Helper()
	fl, err := e.fs.OpenFile(e.ctx, name, os.O_RDONLY, 0)
	e.must(err, "open "+name)
	defer fl.Close()
	return handleAttr(e, fl)
}

// handleAttr returns fl's attributes from File.Stat.
func handleAttr(e *env, fl *vfs.File) vfs.Attr {
	e.Helper()
	fi, err := fl.Stat()
	e.must(err, "File.Stat")
	return *fi.Sys().(*vfs.Attr)
}

// wantMissing asserts name does not exist (lstat gives ENOENT).
func (e *env) wantMissing(name string) {
	e.Helper()
	_, err := e.fs.Lgetattr(e.ctx, name)
	e.wantErr(err, "lstat "+name+" (should be gone)", syscall.ENOENT)
}

// wantType asserts the file type of name (without following) is typ.
func (e *env) wantType(name string, typ uint32) {
	e.Helper()
	a, err := e.fs.Lgetattr(e.ctx, name)
	if !e.ok(err, "lstat "+name) {
		return
	}
	if a.Mode&vfs.S_IFMT != typ {
		e.Errorf("lstat %s: type %#o, want %#o", name, a.Mode&vfs.S_IFMT, typ)
	}
}

// names lists directory dir, sorted, failing on error.
func (e *env) names(dir string) []string {
	e.Helper()
	ents, err := e.fs.ReadDir(e.ctx, dir)
	e.must(err, "readdir "+dir)
	out := make([]string, len(ents))
	for i, d := range ents {
		out[i] = d.Name()
	}
	return out
}

// wantNames asserts the sorted listing of dir.
func (e *env) wantNames(dir string, want ...string) {
	e.Helper()
	got := e.names(dir)
	w := append([]string{}, want...)
	sort.Strings(w)
	if strings.Join(got, "\x00") != strings.Join(w, "\x00") {
		e.Errorf("readdir %s = %q, want %q", dir, got, w)
	}
}

// readAll reads fl from offset 0 with ReadAt until EOF.
func readAll(e *env, fl *vfs.File) string {
	e.Helper()
	var buf bytes.Buffer
	p := make([]byte, 64<<10)
	for off := int64(0); ; {
		n, err := fl.ReadAt(p, off)
		buf.Write(p[:n])
		off += int64(n)
		if err == io.EOF {
			return buf.String()
		}
		e.must(err, "ReadAt")
	}
}

// advanced runs op until check reports the time it watches moved past
// before, or gives up after 2.5 s: servers stamp times with coarse clocks
// (a kernel tick, or a second), so one op may land in the same tick as the
// time it is compared with. memfs and fine-grained servers pass at once.
func (e *env) advanced(before int64, op func(), now func() int64) (after int64) {
	e.Helper()
	deadline := time.Now().Add(2500 * time.Millisecond)
	for wait := time.Millisecond; ; wait *= 2 {
		op()
		after = now()
		if after > before || time.Now().After(deadline) {
			return after
		}
		time.Sleep(wait)
	}
}

// pastNs is a fixed time in the past (2001-09-09T01:46:40Z) that every
// protocol can store (whole seconds).
const pastNs = int64(1_000_000_000) * 1_000_000_000

// freshMount mounts the driver under test a second time, with a cold cache:
// what it shows is what the server holds. Its invariants are checked when
// the test ends.
func (e *env) freshMount() *vfs.FS {
	e.Helper()
	opts := e.fs.Options()
	cold, err := vfs.New(e.ctx, e.fs.Driver(), &opts)
	e.must(err, "mount the driver a second time")
	e.Cleanup(func() {
		if err := cold.CheckInvariants(); err != nil {
			e.Errorf("CheckInvariants of the second mount: %v", err)
		}
	})
	return cold
}
