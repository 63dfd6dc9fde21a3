package vfs_test

// Races between the cache's bookkeeping and a walker's use of what it found
// (rules D2, V4), staged deterministically.

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// gatedWalker is a driver whose first multi-name walk, once the server has
// answered, waits until released: the answer the core then installs is
// older than whatever the test did meanwhile. Other capabilities are hidden.
type gatedWalker struct {
	vfs.Driver
	w       vfs.Walker
	once    sync.Once
	walked  chan struct{} // closed when the first walk has its answer
	release chan struct{} // closed by the test to let it return
}

func newGatedWalker(m *memfs.FS) *gatedWalker {
	drv := m.Driver()
	return &gatedWalker{Driver: drv, w: drv.(vfs.Walker), walked: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedWalker) MaxWalk() int { return g.w.MaxWalk() }

func (g *gatedWalker) Walk(ctx context.Context, dir vfs.Node, names []string) ([]vfs.WalkStep, error) {
	steps, err := g.w.Walk(ctx, dir, names)
	g.once.Do(func() {
		close(g.walked)
		<-g.release
	})
	return steps, err
}

// TestD2_RemovedOpenNameNotPrimedBack: a name removed while its object is
// open (D2) is known absent at once. A multi-name walk (or a readdirplus)
// answered before the removal primes only names the cache has nothing for;
// had the removal left nothing for the name, the old file would come back
// and an O_EXCL create of the name would fail with EEXIST (the
// linearizability failure of seed 836162376741).
func TestD2_RemovedOpenNameNotPrimedBack(t *testing.T) {
	m := memfs.New(memfs.Options{})
	for _, dir := range []string{"d", "e"} {
		must(t, m.Remote().Mkdir(dir, 0o755))
	}
	must(t, m.Remote().WriteFile("d/x", nil, 0o644))
	gw := newGatedWalker(m)
	// NoReadAhead: the staging needs the lookup of e to reach the driver,
	// not a listing of the root instead.
	f, err := vfs.New(bg, gw, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive, NoReadAhead: true})
	must(t, err)
	x, err := f.Open(bg, "d/x") // held open across the unlink (D2)
	must(t, err)
	defer x.Close()
	d, _, err := f.Lookup(bg, f.Root(), "d")
	must(t, err)

	// The stat's first try meets ESTALE looking up e; its retry
	// revalidates what it had cached (V3), so it walks d and x in one call,
	// answered before the unlink.
	m.InjectFault(memfs.OpLookup, "e", 1, syscall.ESTALE)
	statted := make(chan struct{})
	go func() {
		defer close(statted)
		f.Getattr(bg, "e/../d/x/q") // ENOTDIR or ENOENT: it overlaps the unlink
	}()
	<-gw.walked
	must(t, f.UnlinkAt(bg, d, "x"))
	close(gw.release)
	<-statted

	_, err = f.Getattr(bg, "d/x")
	wantErrno(t, err, syscall.ENOENT)
	fl, err := f.OpenFile(bg, "d/x", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	must(t, err)
	must(t, fl.Close())
	must(t, f.CheckInvariants())
}

// TestV4_EvictedUnderItsFinder: a walker that found a valid entry holds no
// reference on it, so the LRU may evict it before the walker reads it. That
// is no answer about the name: the walker looks it up again rather than
// report ENOENT for a name that exists (the -lin.tinycache failures).
func TestV4_EvictedUnderItsFinder(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(f *vfs.FS) error
	}{
		{"Lookup", func(f *vfs.FS) error { _, _, err := f.Lookup(bg, f.Root(), "x"); return err }},
		{"Getattr", func(f *vfs.FS) error { _, err := f.Getattr(bg, "x"); return err }},
		{"Open", func(f *vfs.FS) error { // through a symlink: the open's own lookup finds x
			fl, err := f.Open(bg, "l")
			if err == nil {
				err = fl.Close()
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, m := mount(t, memfs.Options{NoWalk: true}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
			must(t, m.Remote().WriteFile("x", []byte("X"), 0o644))
			must(t, m.Remote().Symlink("x", "l"))
			if tc.name == "Open" {
				_, err := f.Getattr(bg, "x") // cached: the open finds it without a claim
				must(t, err)
				_, err = f.GetattrAt(bg, nil, "l", false) // cached, its target not yet
				must(t, err)
			}
			evicted := false
			defer vfs.SetTestHookFound(func(name string) {
				if name == "x" && !evicted {
					evicted = f.EvictName(f.Root(), "x")
				}
			})()
			must(t, tc.call(f))
			if !evicted {
				t.Fatal("the entry was not evicted under its finder: the test staged nothing")
			}
			must(t, f.CheckInvariants())
		})
	}
}
