package sftpfs

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

// Rules O1, O3: a new file is created, opened and described in one round
// trip, and reported as created.
func TestO1_AtomicOpenCreatesNewFileInOneRoundTrip(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.rec.start()
	res, err := e.fs.AtomicOpen(ctx(t), root, "new", os.O_RDWR|os.O_CREATE, 0o640)
	events := e.rec.stop()
	if err != nil {
		t.Fatal(err)
	}
	defer res.Handle.Release(ctx(t))
	if !res.Created || res.Handle == nil || res.Node == nil || !res.Attr.IsRegular() || res.Attr.Mode&0o777 != 0o640 {
		t.Fatalf("AtomicOpen = %+v, want created and opened, mode 0640", res)
	}
	if got := fmt.Sprint(sent(events)); got != "[OPEN LSTAT]" {
		t.Errorf("requests = %s, want [OPEN LSTAT]", got)
	}
	if rt := roundTrips(events); rt != 1 {
		t.Errorf("%d round trips (%v), want 1", rt, events)
	}
	if st, err := os.Lstat(e.local("new")); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("server: %v, %v", st, err)
	}
	if _, err := res.Handle.WriteAt(ctx(t), []byte("data"), 0); err != nil {
		t.Fatal(err)
	}
	if err := res.Handle.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("new"); got != "data" {
		t.Errorf("content %q", got)
	}
}

// Rule O3: an existing file opened with O_CREAT is not reported as
// created; O_TRUNC applies to it.
func TestO3_AtomicOpenExistingIsNotCreated(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "keep")
	res, err := e.fs.AtomicOpen(ctx(t), root, "f", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil || res.Created || res.Handle == nil || res.Attr.Size != 4 {
		t.Fatalf("AtomicOpen(existing, O_CREAT) = %+v, %v", res, err)
	}
	res.Handle.Release(ctx(t))
	if got := e.readLocal("f"); got != "keep" {
		t.Errorf("content %q, want it untouched", got)
	}
	res, err = e.fs.AtomicOpen(ctx(t), root, "f", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil || res.Created || res.Handle == nil || res.Attr.Size != 0 {
		t.Fatalf("AtomicOpen(existing, O_CREAT|O_TRUNC) = %+v, %v", res, err)
	}
	res.Handle.Release(ctx(t))
	if got := e.readLocal("f"); got != "" {
		t.Errorf("content %q after O_TRUNC", got)
	}
}

// Rule O3: O_CREAT|O_EXCL on any existing name is EEXIST, a dangling
// symlink included (and its target is not created).
func TestO3_AtomicOpenExclusiveOnExistingIsEEXIST(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "")
	e.mkdirLocal("d")
	if err := os.Symlink("nowhere", e.local("dangling")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"f", "d", "dangling"} {
		_, err := e.fs.AtomicOpen(ctx(t), root, name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		wantErrno(t, "O_EXCL on "+name, err, syscall.EEXIST)
		_, _, _, err = e.fs.Create(ctx(t), root, name, os.O_RDWR, 0o600)
		wantErrno(t, "Create on "+name, err, syscall.EEXIST)
	}
	if _, err := os.Lstat(e.local("nowhere")); !os.IsNotExist(err) {
		t.Errorf("the dangling symlink's target was created: %v", err)
	}
}

// Rule O2: what the driver cannot open it reports as found, not opened,
// and falls back to nothing.
func TestO2_AtomicOpenReportsNotOpened(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("target", "precious")
	e.mkdirLocal("d")
	if err := os.Symlink("target", e.local("l")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		flags int
		typ   uint32
	}{
		{"d", os.O_RDONLY, vfs.S_IFDIR},
		{"d", os.O_WRONLY, vfs.S_IFDIR},
		{"d", os.O_RDWR | os.O_CREATE, vfs.S_IFDIR},
		{"l", os.O_RDONLY, vfs.S_IFLNK},
		{"l", os.O_RDWR | os.O_CREATE, vfs.S_IFLNK},
		{"l", os.O_WRONLY | os.O_TRUNC, vfs.S_IFLNK},
		{"l", os.O_WRONLY | os.O_CREATE | os.O_TRUNC, vfs.S_IFLNK},
	} {
		res, err := e.fs.AtomicOpen(ctx(t), root, tc.name, tc.flags, 0o600)
		if err != nil || res.Handle != nil || res.Node == nil || res.Created || res.Attr.Mode&vfs.S_IFMT != tc.typ {
			t.Errorf("AtomicOpen(%s, %#o) = %+v, %v; want not opened, type %o", tc.name, tc.flags, res, err, tc.typ)
		}
	}
	if got := e.readLocal("target"); got != "precious" {
		t.Errorf("symlink target truncated to %q behind the core's back", got)
	}
}

func TestAtomicOpenWithoutCreate(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "abc")
	e.rec.start()
	res, err := e.fs.AtomicOpen(ctx(t), root, "f", os.O_RDONLY, 0)
	events := e.rec.stop()
	if err != nil || res.Handle == nil || res.Created || res.Attr.Size != 3 {
		t.Fatalf("AtomicOpen(existing) = %+v, %v", res, err)
	}
	res.Handle.Release(ctx(t))
	if rt := roundTrips(events); rt != 1 {
		t.Errorf("open of an existing file took %d round trips (%v)", rt, sent(events))
	}
	res, err = e.fs.AtomicOpen(ctx(t), root, "missing", os.O_RDONLY, 0)
	if err != nil || res.Node != nil || res.Handle != nil {
		t.Fatalf("AtomicOpen(missing) = %+v, %v; want absent", res, err)
	}
	res, err = e.fs.AtomicOpen(ctx(t), root, "f", os.O_RDWR|os.O_TRUNC, 0)
	if err != nil || res.Handle == nil || res.Attr.Size != 0 {
		t.Fatalf("AtomicOpen(O_TRUNC) = %+v, %v", res, err)
	}
	res.Handle.Release(ctx(t))
	if got := e.readLocal("f"); got != "" {
		t.Errorf("content %q after O_TRUNC", got)
	}
	res, err = e.fs.AtomicOpen(ctx(t), root, "missing", os.O_RDWR|os.O_TRUNC, 0)
	if err != nil || res.Node != nil {
		t.Fatalf("AtomicOpen(missing, O_TRUNC) = %+v, %v; want absent", res, err)
	}
	d, _ := e.lookup("f")
	_, err = e.fs.AtomicOpen(ctx(t), d, "x", os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil {
		t.Error("AtomicOpen(O_CREAT) below a file succeeded")
	}
}

func TestCreateExclusive(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	n, a, h, err := e.fs.Create(ctx(t), root, "c", os.O_WRONLY, 0o604)
	if err != nil || n == nil || h == nil || !a.IsRegular() || a.Mode&0o777 != 0o604 {
		t.Fatalf("Create = %v %+v %v %v", n, a, h, err)
	}
	if _, err := h.WriteAt(ctx(t), []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	h.Release(ctx(t))
	if got := e.readLocal("c"); got != "x" {
		t.Errorf("content %q", got)
	}
}

// Rule O3 across clients: when two connections race to create one name
// with O_CREAT, exactly one call reports Created.
func TestO3_CreatedReportedOnceAcrossClients(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	other := e.dial(baseOptions(e.srv))
	roots := []vfs.Node{e.rootNode()}
	if n, _, err := other.Root(ctx(t)); err == nil {
		roots = append(roots, n)
	} else {
		t.Fatal(err)
	}
	drivers := []*FS{e.fs, other}
	for round := range 20 {
		name := fmt.Sprintf("race%d", round)
		var created atomic.Int32
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				res, err := drivers[i%2].AtomicOpen(ctx(t), roots[i%2], name, os.O_RDWR|os.O_CREATE, 0o600)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Handle == nil {
					t.Errorf("%s: not opened: %+v", name, res)
					return
				}
				if res.Created {
					created.Add(1)
				}
				res.Handle.Release(ctx(t))
			})
		}
		wg.Wait()
		if c := created.Load(); c != 1 {
			t.Fatalf("%s: %d callers told they created the file, want 1", name, c)
		}
	}
}
