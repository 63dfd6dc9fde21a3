package vfs_test

// Tests of the inode API's contract with frontends: the Inodes it hands out
// are unpinned, Pin never revives a forgotten one (so the driver's Forget
// runs once per Inode), and errors name the inode's path.

import (
	"errors"
	"io/fs"
	"sync"
	"testing"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// forgetCounter is a driver that counts the core's Forget calls per node.
type forgetCounter struct {
	vfs.Driver
	mu      sync.Mutex
	forgets map[vfs.Node]int
}

func (c *forgetCounter) Forget(n vfs.Node) {
	c.mu.Lock()
	c.forgets[n]++
	c.mu.Unlock()
}

func (c *forgetCounter) count(n vfs.Node) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.forgets[n]
}

func mountForgetCounter(t *testing.T) (*vfs.FS, *memfs.FS, *forgetCounter) {
	m := memfs.New(memfs.Options{})
	c := &forgetCounter{Driver: m.Driver(), forgets: map[vfs.Node]int{}}
	f, err := vfs.New(bg, c, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
	must(t, err)
	return f, m, c
}

// TestPinOfForgottenInodeFails: an Inode from Lookup whose name goes before
// the frontend pins it is forgotten (Forget runs); Pin then fails and takes
// nothing, so no second Forget follows, and a new Lookup gives an Inode
// that pins.
func TestPinOfForgottenInodeFails(t *testing.T) {
	f, m, c := mountForgetCounter(t)
	must(t, m.Remote().WriteFile("x", nil, 0o644))
	ino, _, err := f.Lookup(bg, f.Root(), "x")
	must(t, err)
	if !f.EvictName(f.Root(), "x") {
		t.Fatal("x not evicted")
	}
	if n := c.count(ino.Node()); n != 1 {
		t.Fatalf("%d Forgets after the last reference went, want 1", n)
	}
	if f.Pin(ino) {
		f.Unpin(ino)
		t.Fatalf("Pin of a forgotten Inode succeeded (Forgets now %d)", c.count(ino.Node()))
	}
	again, _, err := f.Lookup(bg, f.Root(), "x")
	must(t, err)
	if again == ino || !f.Pin(again) {
		t.Fatal("a new lookup did not give a live Inode")
	}
	f.Unpin(again)
	must(t, f.Remove(bg, "x"))
	if n := c.count(ino.Node()); n != 2 {
		t.Fatalf("%d Forgets of x's node after two Inodes died, want 2", n)
	}
}

// TestPinRacingLastUnrefForgetsOnce: frontends looking a name up and
// pinning it while the name is removed and made again: every Inode is
// forgotten exactly once, however a Pin and the last unreference interleave.
func TestPinRacingLastUnrefForgetsOnce(t *testing.T) {
	f, _, c := mountForgetCounter(t)
	var mu sync.Mutex
	seen := map[vfs.Node]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ino, _, err := f.Lookup(bg, f.Root(), "x")
				if err != nil || !f.Pin(ino) {
					continue
				}
				mu.Lock()
				seen[ino.Node()] = true
				mu.Unlock()
				f.Unpin(ino)
			}
		})
	}
	for i := range 60 {
		must(t, f.WriteFile(bg, "x", []byte{byte(i)}, 0o644))
		if err := f.Remove(bg, "x"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for n := range seen {
		if k := c.count(n); k != 1 {
			t.Fatalf("a removed file's node was forgotten %d times, want once", k)
		}
	}
	must(t, f.CheckInvariants())
}

// TestInodeErrorsNamePathOnlyOnFailure: a failing call on an Inode names its
// path (rule E1); a succeeding one does not build it, so its allocations do
// not grow with the depth of the file.
func TestInodeErrorsNamePathOnlyOnFailure(t *testing.T) {
	f, _ := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
	deep := "a/b/c/d/e/f/g/h"
	must(t, f.MkdirAll(bg, deep, 0o755))
	must(t, f.WriteFile(bg, deep+"/file", nil, 0o644))
	must(t, f.WriteFile(bg, "file", nil, 0o644))
	inode := func(p string) *vfs.Inode {
		fl, err := f.Open(bg, p)
		must(t, err)
		defer fl.Close()
		return fl.Inode()
	}
	shallow, deepIno := inode("file"), inode(deep+"/file")

	_, err := f.ReadlinkInode(bg, deepIno)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "/"+deep+"/file" || pe.Op != "readlink" {
		t.Fatalf("readlink of a regular file: %v, want a PathError naming /%s/file", err, deep)
	}

	allocs := func(ino *vfs.Inode) float64 {
		return testing.AllocsPerRun(100, func() {
			if _, err := f.GetattrInode(bg, ino); err != nil {
				t.Fatal(err)
			}
		})
	}
	if s, d := allocs(shallow), allocs(deepIno); s != d {
		t.Fatalf("GetattrInode allocates %v times at depth 1, %v at depth 9: it builds the path on success", s, d)
	}
}
