package memfs

// Tests of the multi-name walk and of Revalidate's change counters (rule V1).

import (
	"slices"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

func TestWalkResolvesAndStopsWhereTheContractSays(t *testing.T) {
	m, root := setup(t, Options{})
	a := mkdir(t, m, root, "a")
	b := mkdir(t, m, a, "b")
	f := createFile(t, m, b, "f", "")
	l, _, err := m.Symlink(bg, b, "l", "../..")
	must(t, "Symlink", err)
	if m.MaxWalk() != 16 {
		t.Errorf("MaxWalk = %d", m.MaxWalk())
	}
	cases := []struct {
		names []string
		want  []vfs.Node
		err   syscall.Errno
	}{
		{[]string{"a", "b", "f"}, []vfs.Node{a, b, f}, 0},
		{[]string{"a", "b", "l", "x", "y"}, []vfs.Node{a, b, l}, 0},    // stops after a symlink
		{[]string{"a", "b", "f", "x"}, []vfs.Node{a, b, f}, 0},         // stops after a non-directory
		{[]string{"a", "missing", "x"}, []vfs.Node{a}, syscall.ENOENT}, // index of the missing name
		{[]string{"a", string(make([]byte, 256))}, []vfs.Node{a}, syscall.ENAMETOOLONG},
		{nil, nil, 0},
	}
	for _, c := range cases {
		steps, err := m.Walk(bg, root, c.names)
		if c.err != 0 {
			wantErrno(t, "Walk", err, c.err)
		} else {
			must(t, "Walk", err)
		}
		var got []vfs.Node
		for _, s := range steps {
			got = append(got, s.Node)
			if s.Attr.Ino != getattr(t, m, s.Node).Ino {
				t.Errorf("step attr does not describe its node")
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Walk %q: %d steps, want %d", c.names, len(got), len(c.want))
		}
	}
	_, err = m.Walk(bg, f, []string{"x"})
	wantErrno(t, "Walk from a file", err, syscall.ENOTDIR)
	_, err = m.Walk(bg, root, make([]string, 17))
	wantErrno(t, "Walk of 17 names", err, syscall.EINVAL)
}

// Rule V1: Revalidate reports a change exactly when the object changed,
// whether through this driver or behind its back (Remote).
func TestV1_RevalidateSeesChanges(t *testing.T) {
	m, root := setup(t, Options{})
	d := mkdir(t, m, root, "d")
	f := createFile(t, m, d, "f", "v1")
	check := func(what string, n vfs.Node, change func(), wantChanged bool) {
		t.Helper()
		cached := getattr(t, m, n)
		change()
		fresh, changed, err := m.Revalidate(bg, n, cached)
		must(t, "Revalidate", err)
		if changed != wantChanged {
			t.Errorf("%s: changed = %v, want %v", what, changed, wantChanged)
		}
		if fresh != getattr(t, m, n) {
			t.Errorf("%s: fresh attributes are not current", what)
		}
	}
	nothing := func() {}
	check("nothing", d, nothing, false)
	check("nothing", f, nothing, false)
	check("read", f, func() { readAll(t, m, f) }, false) // atime is not a change
	check("create in dir", d, func() { createFile(t, m, d, "g", "") }, true)
	check("write", f, func() {
		h, err := m.Open(bg, f, syscall.O_WRONLY)
		must(t, "Open", err)
		h.WriteAt(bg, []byte("v2"), 0)
		h.Release(bg)
	}, true)
	check("chmod", f, func() { m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o600}) }, true)
	check("xattr", f, func() { must(t, "SetXattr", m.SetXattr(bg, f, "user.k", []byte("v"), 0)) }, true)
	check("remote write", f, func() { must(t, "WriteFile", m.Remote().WriteFile("d/f", []byte("v3"), 0)) }, true)
	check("remote create", d, func() { must(t, "Mkdir", m.Remote().Mkdir("d/sub", 0o755)) }, true)
	check("remote chmod", d, func() { must(t, "Chmod", m.Remote().Chmod("d", 0o700)) }, true)
	check("remote rename out", d, func() { must(t, "Rename", m.Remote().Rename("d/g", "g")) }, true)
	check("link changes the file", f, func() { m.Link(bg, f, root, "f2") }, true)

	m.Remote().Replace("d/f", []byte("new"))
	_, _, err := m.Revalidate(bg, f, getattr(t, m, d))
	wantErrno(t, "Revalidate a replaced file", err, syscall.ESTALE)
}
