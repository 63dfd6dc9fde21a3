package fuse

// The kernel's directory cache (kdir.go): a warm listing costs no request,
// a change through the mount is seen at once, and the kernel's copy goes no
// staler than the core's listing (rule C1) even when the directory's mtime
// does not move.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

func listNames(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

// kdirGen is the generation of the last listing the daemon served from
// offset 0: it moves only when the kernel asks for a listing.
func kdirGen(m *testMount) uint64 {
	c := m.srv.fs.kdir
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func TestKernelDirCacheServesWarmListings(t *testing.T) {
	m := mountMem(t, nil, Options{})
	if err := os.MkdirAll(m.path("d/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if err := os.WriteFile(m.path("d/"+name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := listNames(t, m.path("d")); got != "a b sub" {
		t.Fatalf("listing %q", got)
	}
	gen := kdirGen(m)
	for range 3 {
		if got := listNames(t, m.path("d")); got != "a b sub" {
			t.Fatalf("warm listing %q", got)
		}
	}
	if g := kdirGen(m); g != gen {
		t.Fatalf("warm listings asked the daemon %d times, want 0", g-gen)
	}
	// A change through the mount is in the next listing (the kernel drops
	// its copy when it changes the directory).
	if err := os.WriteFile(m.path("d/c"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(m.path("d/a")); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, m.path("d")); got != "b c sub" {
		t.Fatalf("listing after create and unlink through the mount: %q", got)
	}
}

// TestKernelDirCacheExpiresWithCoreListing: a name added behind our back
// with the directory's mtime put back (a change within one second of an
// SFTP server's mtime looks so) is listed once the core's listing expired:
// the daemon drops the kernel's copy then, which the unchanged mtime alone
// would never make it do (C1).
func TestKernelDirCacheExpiresWithCoreListing(t *testing.T) {
	const ttl = 200 * time.Millisecond
	m, backing := mountLocal(t, &vfs.Options{CheckInvariants: true, TTL: ttl}, Options{})
	d := filepath.Join(backing, "d")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "a"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, m.path("d")); got != "a" {
		t.Fatalf("listing %q", got)
	}
	st, err := os.Stat(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "b"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(d, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * ttl)
	if got := listNames(t, m.path("d")); got != "a b" {
		t.Fatalf("listing %v after the core's listing expired: %q, want \"a b\"", 3*ttl, got)
	}
}

// TestCloseToOpenListsAtEveryOpen: under PolicyCloseToOpen the kernel keeps
// no listing: every opendir asks, so a change behind our back shows at the
// next open once the TTL let the core look again.
func TestCloseToOpenListsAtEveryOpen(t *testing.T) {
	m := mountMem(t, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyCloseToOpen, TTL: time.Nanosecond}, Options{})
	if m.srv.fs.kdir != nil {
		t.Fatal("close-to-open mount uses the kernel's directory cache")
	}
	if err := os.Mkdir(m.path("d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, m.path("d")); got != "" {
		t.Fatalf("listing %q", got)
	}
	if err := m.mem.Remote().WriteFile("d/x", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, m.path("d")); got != "x" {
		t.Fatalf("listing after a remote create: %q, want \"x\"", got)
	}
}

// TestKdirCacheBounds: the kernel's copy is dropped at the earliest
// deadline of the listings it was served (C1), a snapshot lives until a
// request reads past its end or its node is forgotten, and the generation
// in an offset finds only its own snapshot.
func TestKdirCacheBounds(t *testing.T) {
	c := newKdirCache()
	ents := []listEntry{{name: "."}, {name: ".."}, {name: "a"}}
	s1 := c.put(7, ents, time.Hour)
	due := c.expiry[7].due
	c.put(7, ents, 2*time.Hour) // later: the first deadline stands
	if c.expiry[7].due != due {
		t.Fatalf("a later listing moved the kernel's deadline from %v to %v", due, c.expiry[7].due)
	}
	s3 := c.put(7, ents, 0) // not kept by the core: dropped at once
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		_, pending := c.expiry[7]
		c.mu.Unlock()
		if !pending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a listing the core does not keep was not dropped from the kernel")
		}
		time.Sleep(time.Millisecond)
	}
	if c.snapshot(7, s1.gen) != nil || c.snapshot(7, s3.gen) != s3 {
		t.Fatal("an offset's generation found another snapshot")
	}
	if gen, from := splitDirOffset(dirOffset(s3.gen, 2)); gen != s3.gen || from != 3 {
		t.Fatalf("offset of entry 2 splits to generation %d position %d", gen, from)
	}
	c.done(7, s1) // an older pass ending leaves the newer snapshot
	if c.snapshot(7, s3.gen) != s3 {
		t.Fatal("the end of an older pass dropped the current snapshot")
	}
	c.put(8, ents, time.Hour)
	c.forget(8)
	c.done(7, s3)
	if len(c.snaps) != 0 || len(c.expiry) != 0 {
		t.Fatalf("%d snapshots and %d pending drops left after their ends", len(c.snaps), len(c.expiry))
	}
}
