package localfs

// Test helpers: a driver over a fresh temporary root next to an "outside"
// directory whose contents the escape tests snapshot and compare.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// env is one driver under test.
type env struct {
	t       *testing.T
	ctx     context.Context
	base    string // parent of dir and outside
	dir     string // the driver's root on disk
	outside string // a directory the driver must never touch
	fs      *FS
	root    vfs.Node
}

func newEnv(t *testing.T) *env {
	t.Helper()
	base := t.TempDir()
	e := &env{t: t, ctx: context.Background(), base: base,
		dir: filepath.Join(base, "root"), outside: filepath.Join(base, "outside")}
	for _, d := range []string{e.dir, e.outside, filepath.Join(e.outside, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"secret", "sub/secret"} {
		if err := os.WriteFile(filepath.Join(e.outside, p), []byte("do not touch"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := New(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	e.fs = f
	if e.root, _, err = f.Root(e.ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// path returns the on-disk path of rel below the root.
func (e *env) path(rel string) string { return filepath.Join(e.dir, rel) }

// writeFile creates rel below the root on disk, behind the driver's back.
func (e *env) writeFile(rel, content string) {
	e.t.Helper()
	if err := os.WriteFile(e.path(rel), []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// mkdir creates directory rel below the root on disk.
func (e *env) mkdir(rel string) {
	e.t.Helper()
	if err := os.Mkdir(e.path(rel), 0o755); err != nil {
		e.t.Fatal(err)
	}
}

// readFile reads rel below the root from disk.
func (e *env) readFile(rel string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.path(rel))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// lstat stats rel below the root on disk without following it.
func (e *env) lstat(rel string) unix.Stat_t {
	e.t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(e.path(rel), &st); err != nil {
		e.t.Fatal(err)
	}
	return st
}

// lookup walks a slash-separated path with the driver, failing the test on
// error.
func (e *env) lookup(rel string) (vfs.Node, vfs.Attr) {
	e.t.Helper()
	n, attr := e.root, vfs.Attr{}
	for _, name := range strings.Split(rel, "/") {
		var err error
		if n, attr, err = e.fs.Lookup(e.ctx, n, name); err != nil {
			e.t.Fatalf("Lookup %q in %q: %v", name, rel, err)
		}
	}
	return n, attr
}

// wantErr fails the test unless err is (or wraps) want.
func wantErr(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v (%d)", what, err, want, int(want))
	}
}

// must fails the test on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// snapshot describes every object below top, except the subtree skip, by
// type, permissions, owner, size, mtime, content or target, and xattrs.
func snapshot(t *testing.T, top, skip string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		desc := fmt.Sprintf("mode=%o uid=%d gid=%d nlink=%d size=%d mtime=%d.%d",
			st.Mode, st.Uid, st.Gid, st.Nlink, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " content=" + string(b)
		case unix.S_IFLNK:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " target=" + target
		}
		buf := make([]byte, 4096)
		if n, err := unix.Llistxattr(p, buf); err == nil {
			names := strings.Split(string(bytes.TrimRight(buf[:n], "\x00")), "\x00")
			sort.Strings(names)
			desc += " xattrs=" + strings.Join(names, ",")
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// outsideSnapshot snapshots everything next to the root: the outside
// directory and any sibling an escape could create.
func (e *env) outsideSnapshot() map[string]string { return snapshot(e.t, e.base, e.dir) }

// checkOutside fails the test if anything outside the root changed since
// before was taken.
func (e *env) checkOutside(before map[string]string) {
	e.t.Helper()
	after := e.outsideSnapshot()
	for p, d := range before {
		if after[p] != d {
			e.t.Errorf("outside the root, %s changed:\n before %s\n after  %s", p, d, after[p])
		}
	}
	for p, d := range after {
		if _, ok := before[p]; !ok {
			e.t.Errorf("outside the root, %s appeared: %s", p, d)
		}
	}
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// requireRoot skips a test that needs root, saying why (CI runs as root,
// so it runs there).
func requireRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("skipped when not root (uid %d): %s; CI runs it as root", os.Geteuid(), why)
	}
}
