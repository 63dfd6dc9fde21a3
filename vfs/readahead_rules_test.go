package vfs_test

// Tests of the read-ahead heuristics (readahead.go, readahead_lookup.go):
// they save round trips and never change an answer (rules L1, C1).

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// listingDriver counts the ReadDir calls in flight at once. With a
// barrier, a ReadDir waits (up to barrierWait) until another one is in
// flight too: listings made one after another then take barrierWait each,
// listings made together pass at once. Other capabilities are hidden.
type listingDriver struct {
	vfs.Driver
	readdirs inflight
	mu       sync.Mutex
	barrier  chan struct{} // nil: no barrier; closed when two met
	pass     int           // ReadDirs let through before the barrier holds
}

const barrierWait = 10 * time.Second

func (l *listingDriver) setBarrier() { l.setBarrierAfter(0) }

// setBarrierAfter sets a barrier that lets the next pass ReadDirs through.
func (l *listingDriver) setBarrierAfter(pass int) {
	l.mu.Lock()
	l.barrier = make(chan struct{})
	l.pass = pass
	l.mu.Unlock()
}

func (l *listingDriver) ReadDir(ctx context.Context, dir vfs.Node, fn func(vfs.DirEntry) bool) error {
	l.readdirs.enter()
	defer l.readdirs.exit()
	l.mu.Lock()
	b := l.barrier
	if b != nil && l.pass > 0 {
		l.pass--
		b = nil
	}
	if b != nil && l.readdirs.cur.Load() >= 2 {
		select {
		case <-b:
		default:
			close(b)
		}
	}
	l.mu.Unlock()
	if b != nil {
		select {
		case <-b:
		case <-time.After(barrierWait):
		case <-ctx.Done():
		}
	}
	return l.Driver.ReadDir(ctx, dir, fn)
}

// smallTree makes 4 directories of 3 subdirectories of 2 files (17
// directories with the root) and returns the directories' paths.
func smallTree(t testing.TB, m *memfs.FS) []string {
	r := m.Remote()
	dirs := []string{""}
	for a := 0; a < 4; a++ {
		da := fmt.Sprintf("a%d", a)
		must(t, r.Mkdir(da, 0o755))
		must(t, r.WriteFile(da+"/file", []byte("x"), 0o644))
		dirs = append(dirs, da)
		for b := 0; b < 3; b++ {
			db := fmt.Sprintf("%s/b%d", da, b)
			must(t, r.Mkdir(db, 0o755))
			must(t, r.WriteFile(db+"/f1", []byte("1"), 0o644))
			must(t, r.WriteFile(db+"/f2", []byte("22"), 0o644))
			dirs = append(dirs, db)
		}
	}
	return dirs
}

// TestReadAhead_TreeWalkListsConcurrently: a depth-first walk (list a
// directory, then each subdirectory in turn) gets its subdirectories'
// listings made together, each directory listed once (a caller waits for
// the listing on the wire rather than making another), and sees exactly
// the server's tree. With NoReadAhead the old one-at-a-time counts return.
func TestReadAhead_TreeWalkListsConcurrently(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("noreadahead=%v", off), func(t *testing.T) {
			m := memfs.New(memfs.Options{NoWalk: true})
			dirs := smallTree(t, m)
			ld := &listingDriver{Driver: m.Driver()}
			f, err := vfs.New(bg, ld, &vfs.Options{CheckInvariants: true, NoReadAhead: off})
			must(t, err)
			_, err = f.ReadDirInode(bg, f.Root())
			must(t, err)
			if !off {
				ld.setBarrier() // the read-ahead of the root's subdirectories is on the wire
			}
			start := time.Now()
			for _, e := range must2(f.ReadDirInode(bg, f.Root())) {
				ino, _, err := f.Lookup(bg, f.Root(), e.Name)
				must(t, err)
				if ino.IsDir() {
					walkTree(t, f, ino)
				}
			}
			f.WaitReadAhead()
			max, readdirs, lookups := ld.readdirs.max.Load(), m.Calls(memfs.OpReadDir), m.Calls(memfs.OpLookup)
			t.Logf("%d ReadDir (at most %d at once), %d Lookup, walk %v", readdirs, max, lookups, time.Since(start))
			switch {
			case readdirs != int64(len(dirs)):
				t.Errorf("%d listings of %d directories, want each listed once", readdirs, len(dirs))
			case lookups != 0:
				t.Errorf("%d lookups of listed names", lookups)
			case !off && max < 2:
				t.Errorf("at most %d listing on the wire at once, want the subdirectories read ahead together", max)
			case off && max != 1:
				t.Errorf("%d listings at once without read-ahead", max)
			}
			for _, dir := range dirs {
				ents, err := f.ReadDir(bg, dir+"/.")
				must(t, err)
				if got, want := listing(ents), serverListing(t, m, dir); got != want {
					t.Fatalf("%q lists %q, server has %q", dir, got, want)
				}
			}
			must(t, f.CheckInvariants())
		})
	}
}

// TestReadAhead_StaleAttrsRefreshConcurrently: a walk with attributes
// (READDIRPLUS, as du) of a tree listed before, whose listings are still
// valid but whose files' attributes expired, gets its subdirectories'
// listings read again together ahead of it, each directory once, and sees
// exactly the server's tree and attributes (C1). With NoReadAhead they are
// read again one after another, as before.
func TestReadAhead_StaleAttrsRefreshConcurrently(t *testing.T) {
	const attrTTL = 300 * time.Millisecond
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("noreadahead=%v", off), func(t *testing.T) {
			m := memfs.New(memfs.Options{NoWalk: true})
			dirs := smallTree(t, m)
			ld := &listingDriver{Driver: m.Driver()}
			f, err := vfs.New(bg, ld, &vfs.Options{CheckInvariants: true, NoReadAhead: off,
				AcRegMin: attrTTL, AcRegMax: attrTTL, AcDirMin: time.Hour})
			must(t, err)
			walkTree(t, f, f.Root())
			f.WaitReadAhead()
			time.Sleep(attrTTL) // the files' attributes expire, not the listings
			// Changed behind our back: seen once the listing is read again.
			must(t, m.Remote().WriteFile("a1/b2/f2", []byte("longer"), 0o644))
			m.ResetCalls()
			if !off {
				// a0's listing by the walk goes first; the refreshes of its
				// subdirectories, read ahead, must meet.
				ld.setBarrierAfter(1)
			}
			walkTree(t, f, f.Root())
			f.WaitReadAhead()
			max, readdirs := ld.readdirs.max.Load(), m.Calls(memfs.OpReadDir)
			other := m.Calls("") - readdirs
			t.Logf("%d ReadDir (at most %d at once), %d other calls", readdirs, max, other)
			switch {
			case readdirs != int64(len(dirs)-1): // the root lists directories only: still fresh
				t.Errorf("%d listings of %d directories with files, want each listed once", readdirs, len(dirs)-1)
			case other != 0:
				t.Errorf("%d other driver calls, want the listings to answer", other)
			case !off && max < 2:
				t.Errorf("at most %d listing on the wire at once, want the refreshes read ahead together", max)
			case off && max != 1:
				t.Errorf("%d listings at once without read-ahead", max)
			}
			for _, dir := range dirs {
				if got, want := listing(must2(f.ReadDir(bg, dir+"/."))), serverListing(t, m, dir); got != want {
					t.Fatalf("%q lists %q, server has %q", dir, got, want)
				}
				ino := f.Root()
				if dir != "" {
					for _, c := range strings.Split(dir, "/") {
						ino, _, err = f.Lookup(bg, ino, c)
						must(t, err)
					}
				}
				for _, e := range must2(f.ReadDirInode(bg, ino)) {
					want, err := m.Remote().Stat(strings.TrimPrefix(dir+"/"+e.Name, "/"))
					must(t, err)
					if e.Inode == nil || e.Attr.Size != want.Size || e.Attr.MtimeNs != want.MtimeNs {
						t.Fatalf("%s/%s: cached %v size %d, server has size %d", dir, e.Name, e.Inode != nil, e.Attr.Size, want.Size)
					}
				}
			}
			must(t, f.CheckInvariants())
		})
	}
}

// TestReadAhead_LsReadsAheadOneLevel: listing one directory lists its
// subdirectories in the background, not theirs; a listing read ahead reads
// ahead the next level only once a caller uses it.
func TestReadAhead_LsReadsAheadOneLevel(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("noreadahead=%v", off), func(t *testing.T) {
			f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, NoReadAhead: off})
			smallTree(t, m) // root: 4 subdirectories of 3
			m.ResetCalls()
			_, err := f.ReadDir(bg, "/")
			must(t, err)
			f.WaitReadAhead()
			want := int64(1 + 4)
			if off {
				want = 1
			}
			if n := m.Calls(memfs.OpReadDir); n != want {
				t.Fatalf("ls of the root made %d listings, want %d", n, want)
			}
			if off {
				return
			}
			m.ResetCalls()
			ents, err := f.ReadDir(bg, "a0") // served from the cache: its first use
			must(t, err)
			f.WaitReadAhead() // reads ahead a0's 3 subdirectories, not a0
			if n := m.Calls(memfs.OpReadDir); n != 3 {
				t.Fatalf("using a listing read ahead made %d listings, want 3", n)
			}
			_, err = f.ReadDir(bg, "a0")
			must(t, err)
			f.WaitReadAhead()
			if n := m.Calls(memfs.OpReadDir); n != 3 {
				t.Fatalf("a second use read ahead again: %d listings", n-3)
			}
			if got, want := listing(ents), serverListing(t, m, "a0"); got != want {
				t.Fatalf("a0 lists %q, server has %q", got, want)
			}
		})
	}
}

// TestReadAhead_WalkReadsTwoLevelsAhead: once a walk is served a listing
// that was read ahead (it descends), the read-ahead goes two levels in
// front of it: the subdirectories' listings and theirs. A single ls stays
// one level deep (TestReadAhead_LsReadsAheadOneLevel).
func TestReadAhead_WalkReadsTwoLevelsAhead(t *testing.T) {
	f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true})
	r := m.Remote()
	for _, d := range []string{"a", "a/b0", "a/b1", "a/b0/c0", "a/b0/c1", "a/b1/c0", "a/b0/c0/d", "x"} {
		must(t, r.Mkdir(d, 0o755))
	}
	m.ResetCalls()
	must2(f.ReadDir(bg, "/"))
	f.WaitReadAhead()
	if n := m.Calls(memfs.OpReadDir); n != 1+2 { // the root, a and x
		t.Fatalf("ls of the root made %d listings, want 3", n)
	}
	m.ResetCalls()
	must2(f.ReadDir(bg, "a")) // read ahead: the walk descends
	f.WaitReadAhead()
	if n := m.Calls(memfs.OpReadDir); n != 2+3 { // b0 and b1, then their c's
		t.Fatalf("descending into a read-ahead listing made %d listings, want 5", n)
	}
	rest := []string{"a/b0", "a/b0/c0", "a/b0/c0/d", "a/b0/c1", "a/b1", "a/b1/c0"}
	want := map[string]string{}
	for _, d := range rest {
		want[d] = serverListing(t, m, d)
	}
	m.ResetCalls()
	for _, d := range rest {
		if got := listing(must2(f.ReadDir(bg, d))); got != want[d] {
			t.Fatalf("%s lists %q, server has %q", d, got, want[d])
		}
		f.WaitReadAhead()
	}
	if n := m.Calls(memfs.OpReadDir); n != 1 { // a/b0/c0/d, two levels below a
		t.Fatalf("the rest of the walk made %d listings, want 1", n)
	}
}

// TestReadAhead_LookupsListOnce: lookups of many names of one uncached
// directory cost one driver lookup and one listing, and give the server's
// answers; a big directory is looked up by name.
func TestReadAhead_LookupsListOnce(t *testing.T) {
	const n = 20
	setup := func(t *testing.T, off bool) (*vfs.FS, *memfs.FS, *vfs.Inode) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, NoReadAhead: off})
		must(t, m.Remote().Mkdir("d", 0o755))
		for i := 0; i < n; i++ {
			must(t, m.Remote().WriteFile(fmt.Sprintf("d/f%d", i), make([]byte, i), 0o644))
		}
		d, _, err := f.Lookup(bg, f.Root(), "d")
		must(t, err)
		m.ResetCalls()
		return f, m, d
	}
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("noreadahead=%v", off), func(t *testing.T) {
			f, m, d := setup(t, off)
			for i := 0; i < n; i++ {
				_, a, err := f.Lookup(bg, d, fmt.Sprintf("f%d", i))
				must(t, err)
				if a.Size != int64(i) {
					t.Fatalf("f%d: size %d", i, a.Size)
				}
				if i%4 == 0 { // absent names too
					_, _, err := f.Lookup(bg, d, fmt.Sprintf("g%d", i))
					wantErrno(t, err, syscall.ENOENT)
				}
			}
			lookups, readdirs := m.Calls(memfs.OpLookup), m.Calls(memfs.OpReadDir)
			t.Logf("%d Lookup, %d ReadDir", lookups, readdirs)
			if !off && (lookups > 3 || readdirs != 1) || off && (lookups != n+n/4 || readdirs != 0) {
				t.Fatalf("%d lookups and %d listings for %d names", lookups, readdirs, n+n/4)
			}
			// Through paths too, and the answers stay the server's.
			must(t, m.Remote().Remove("d/f3")) // behind our back: still cached
			for i := 0; i < n; i++ {
				if _, err := f.Getattr(bg, fmt.Sprintf("d/f%d", i)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	t.Run("big", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true})
		must(t, m.Remote().Mkdir("big", 0o755))
		for i := 0; i < 1<<20/20; i++ { // memfs: 20 bytes of size per entry
			must(t, m.Remote().WriteFile(fmt.Sprintf("big/%d", i), nil, 0o644))
		}
		big, a, err := f.Lookup(bg, f.Root(), "big")
		must(t, err)
		if a.Size <= 1<<20 {
			t.Fatalf("big has size %d", a.Size)
		}
		m.ResetCalls()
		for i := 0; i < 5; i++ {
			_, _, err := f.Lookup(bg, big, fmt.Sprint(i))
			must(t, err)
		}
		if n := m.Calls(memfs.OpReadDir); n != 0 {
			t.Fatalf("a big directory was listed for %d lookups", 5)
		}
	})
}

// TestReadAhead_ExpiredAttrsListOnce: getattrs of names whose entries are
// valid but whose attributes expired (rm -rf or ls -l a few seconds after
// the last look, the kernel listing from its own cache) list the directory
// on the second one (in a big directory, after one per 64 entries) instead
// of asking the driver for each; the answers are the server's. With
// NoReadAhead each goes to the driver, as before.
func TestReadAhead_ExpiredAttrsListOnce(t *testing.T) {
	const attrTTL = 250 * time.Millisecond // outlasts the getattrs after the refresh
	for _, c := range []struct {
		n   int
		off bool
	}{{20, false}, {20, true}, {300, false}} {
		t.Run(fmt.Sprintf("n=%d,noreadahead=%v", c.n, c.off), func(t *testing.T) {
			n := c.n
			f, m := mount(t, memfs.Options{NoRevalidate: true}, &vfs.Options{CheckInvariants: true, NoReadAhead: c.off,
				AcRegMin: attrTTL, AcRegMax: attrTTL, AcDirMin: time.Hour})
			must(t, m.Remote().Mkdir("d", 0o755))
			for i := 0; i < n; i++ {
				must(t, m.Remote().WriteFile(fmt.Sprintf("d/f%d", i), nil, 0o644))
			}
			must2(f.ReadDir(bg, "d"))
			f.WaitReadAhead()
			time.Sleep(2 * attrTTL) // the files' attributes expire, not their names
			for i := 0; i < n; i++ {
				must(t, m.Remote().WriteFile(fmt.Sprintf("d/f%d", i), make([]byte, i), 0o644))
			}
			m.ResetCalls()
			for i := 0; i < n; i++ {
				a, err := f.Getattr(bg, fmt.Sprintf("d/f%d", i))
				must(t, err)
				if a.Size != int64(i) {
					t.Fatalf("f%d: size %d, the server has %d", i, a.Size, i)
				}
			}
			getattrs, readdirs := m.Calls(memfs.OpGetattr), m.Calls(memfs.OpReadDir)
			t.Logf("%d Getattr, %d ReadDir", getattrs, readdirs)
			// A listed directory is read again after one miss per 64 of its
			// entries (at least 2).
			wantGetattrs := int64(max(2, n/64) - 1)
			if !c.off && (getattrs != wantGetattrs || readdirs != 1) || c.off && (getattrs != int64(n) || readdirs != 0) {
				t.Fatalf("%d getattrs and %d listings for %d names with expired attributes", getattrs, readdirs, n)
			}
		})
	}
}

// TestReadAhead_OpenInCompleteDirectory: an open without O_CREAT of a name
// a complete directory does not list is ENOENT without a driver call (C1),
// atomic open or not.
func TestReadAhead_OpenInCompleteDirectory(t *testing.T) {
	for _, mo := range []memfs.Options{{}, {NoAtomicOpen: true}} {
		f, m := mount(t, mo, &vfs.Options{CheckInvariants: true})
		must(t, f.Mkdir(bg, "d", 0o755))
		m.ResetCalls()
		_, err := f.OpenFile(bg, "d/x", os.O_RDWR, 0)
		wantErrno(t, err, syscall.ENOENT)
		if n := m.Calls(""); n != 0 {
			t.Fatalf("atomic=%v: open of an unlisted name made %d driver calls", !mo.NoAtomicOpen, n)
		}
	}
}

// TestReadAhead_ErrorsChangeNothing: a listing read ahead that fails (even
// with ESTALE) leaves no trace: the directory lists and looks up as before.
func TestReadAhead_ErrorsChangeNothing(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EIO, syscall.ESTALE, syscall.EACCES} {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true})
		must(t, m.Remote().Mkdir("d", 0o755))
		must(t, m.Remote().WriteFile("d/x", nil, 0o644))
		_, err := f.Getattr(bg, "d")
		must(t, err)
		// The root's listing answers; d's read ahead fails, and so does d's
		// listing for lookups.
		var readdirs atomic.Int32
		m.OnCall(func(op memfs.Op, _ string) {
			if op == memfs.OpReadDir && readdirs.Add(1) <= 3 && readdirs.Load() >= 2 {
				m.InjectFault(memfs.OpReadDir, "", 1, errno) // this very call
			}
		})
		_, err = f.ReadDir(bg, "/")
		must(t, err)
		f.WaitReadAhead()
		if n := readdirs.Load(); n != 2 {
			t.Fatalf("%d listings, want the root's and d's read ahead", n)
		}
		for _, name := range []string{"x", "y", "x"} { // the second miss lists d, and fails
			_, err := f.Getattr(bg, "d/"+name)
			if name == "x" && err != nil || name == "y" && !isErrno(err, syscall.ENOENT) {
				t.Fatalf("%v: d/%s: %v", errno, name, err)
			}
		}
		if n := readdirs.Load(); n != 3 {
			t.Fatalf("%d listings, want one more for the lookups", n)
		}
		if got, want := listing(must2(f.ReadDir(bg, "d"))), serverListing(t, m, "d"); got != want {
			t.Fatalf("%v: d lists %q, server has %q", errno, got, want)
		}
		must(t, f.CheckInvariants())
	}
}

// TestReadAhead_ConcurrentChangesStayExact: listings (and so read-ahead)
// and lookups (and so lookup-driven listings) race creates, unlinks,
// renames, mkdirs and rmdirs in the same directories, under -race with the
// invariant checker; afterwards every listing and lookup equals the
// server's. With a small cache, listings are also evicted throughout.
func TestReadAhead_ConcurrentChangesStayExact(t *testing.T) {
	for _, max := range []int{0, 64} {
		t.Run(fmt.Sprintf("maxdentries=%d", max), func(t *testing.T) { testReadAheadRaces(t, max) })
	}
}

func testReadAheadRaces(t *testing.T, maxDentries int) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive, MaxDentries: maxDentries})
	r := m.Remote()
	dirs := []string{"a", "b", "a/s", "a/t", "b/s"}
	for _, d := range dirs {
		must(t, r.Mkdir(d, 0o755))
		for i := 0; i < 3; i++ {
			must(t, r.WriteFile(fmt.Sprintf("%s/n%d", d, i), nil, 0o644))
		}
	}
	m.SetLatency("", 50*time.Microsecond)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			dir := func() string { return dirs[rng.IntN(len(dirs))] }
			name := func() string { return fmt.Sprintf("%s/n%d", dir(), rng.IntN(6)) }
			for i := 0; i < 150; i++ {
				switch k := rng.IntN(10); k {
				case 0, 1, 2, 3, 4, 5, 6:
					randomChange(f, []randomOp{opCreate, opCreate, opRemove, opRename, opMkdir, opStat, opStat}[k], name)
				default:
					dir := f.Root()
					if i := rng.IntN(3); i > 0 {
						var err error
						if dir, _, err = f.Lookup(bg, dir, dirs[i-1]); err != nil {
							t.Error(err) // a and b are never renamed
							return
						}
					}
					ents, err := f.ReadDirInode(bg, dir)
					if err != nil {
						t.Error(err)
					}
					for _, e := range ents {
						if e.Inode != nil && e.Inode.IsDir() {
							f.ReadDirInode(bg, e.Inode) // a walk's next step: uses a listing read ahead
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	f.WaitReadAhead()
	m.SetLatency("", 0)
	if n := m.Calls(memfs.OpReadDir); n < 2 {
		t.Fatalf("%d listings: nothing raced (seed %d)", n, seed)
	} else {
		t.Logf("%d listings, %d lookups", n, m.Calls(memfs.OpLookup))
	}
	// Compare the whole tree as the server has it now.
	var check func(dir string)
	check = func(dir string) {
		want := serverListing(t, m, dir)
		ents, err := f.ReadDir(bg, dir+"/.")
		must(t, err)
		if got := listing(ents); got != want {
			t.Fatalf("%q lists %q, server has %q (seed %d)", dir, got, want, seed)
		}
		for i := 0; i < 6; i++ {
			n := fmt.Sprintf("n%d", i)
			_, err := f.Getattr(bg, strings.TrimPrefix(dir+"/"+n, "/"))
			listed := strings.Contains(" "+want+" ", " "+n+" ") || strings.Contains(" "+want+" ", " "+n+"/ ")
			if listed != (err == nil) {
				t.Fatalf("%s/%s: %v, server lists %q (seed %d)", dir, n, err, want, seed)
			}
		}
		for _, e := range strings.Fields(want) {
			if strings.HasSuffix(e, "/") {
				check(strings.TrimPrefix(dir+"/"+strings.TrimSuffix(e, "/"), "/"))
			}
		}
	}
	check("")
	must(t, f.CheckInvariants())
}
