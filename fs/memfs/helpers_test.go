package memfs

// Test helpers: a fresh filesystem, must-succeed wrappers around driver calls
// and errno assertions.

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

var bg = context.Background()

// setup returns a fresh filesystem and its root node.
func setup(t testing.TB, opts Options) (*FS, vfs.Node) {
	t.Helper()
	m := New(opts)
	root, _, err := m.Root(bg)
	if err != nil {
		t.Fatalf("Root: %v", err)
	}
	return m, root
}

func wantErrno(t testing.TB, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v (%d)", what, err, want, int(want))
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func mkdir(t testing.TB, m *FS, dir vfs.Node, name string) vfs.Node {
	t.Helper()
	n, _, err := m.Mkdir(bg, dir, name, 0o755)
	must(t, "Mkdir "+name, err)
	return n
}

// createFile creates name in dir, writes data and releases the handle.
func createFile(t testing.TB, m *FS, dir vfs.Node, name string, data string) vfs.Node {
	t.Helper()
	n, _, h, err := m.Create(bg, dir, name, syscall.O_RDWR, 0o644)
	must(t, "Create "+name, err)
	if data != "" {
		_, err = h.WriteAt(bg, []byte(data), 0)
		must(t, "WriteAt "+name, err)
	}
	must(t, "Release "+name, h.Release(bg))
	return n
}

func lookup(t testing.TB, m *FS, dir vfs.Node, name string) (vfs.Node, vfs.Attr) {
	t.Helper()
	n, a, err := m.Lookup(bg, dir, name)
	must(t, "Lookup "+name, err)
	return n, a
}

func getattr(t testing.TB, m *FS, n vfs.Node) vfs.Attr {
	t.Helper()
	a, err := m.Getattr(bg, n)
	must(t, "Getattr", err)
	return a
}

// readAll reads the whole file behind n through a fresh handle.
func readAll(t testing.TB, m *FS, n vfs.Node) string {
	t.Helper()
	a := getattr(t, m, n)
	h, err := m.Open(bg, n, syscall.O_RDONLY)
	must(t, "Open", err)
	defer h.Release(bg)
	buf := make([]byte, a.Size)
	k, err := h.ReadAt(bg, buf, 0)
	if err != nil && k != len(buf) {
		t.Fatalf("ReadAt: %d, %v", k, err)
	}
	return string(buf[:k])
}

// names lists dir through ReadDir.
func names(t testing.TB, m *FS, dir vfs.Node) []string {
	t.Helper()
	var out []string
	err := m.ReadDir(bg, dir, func(e vfs.DirEntry) bool {
		out = append(out, e.Name)
		return true
	})
	must(t, "ReadDir", err)
	return out
}
