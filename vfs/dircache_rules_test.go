package vfs_test

// Tests of rule C1: the directory listing cache and complete-directory
// knowledge (dircache.go).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// listing renders directory entries as "name" or "name/" (directories),
// sorted.
func listing(ents []fs.DirEntry) string {
	var s []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		s = append(s, n)
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

// serverListing is the server's view of directory path, read from memfs
// directly (it counts as driver calls: call it after measuring).
func serverListing(t testing.TB, m *memfs.FS, path string) string {
	t.Helper()
	ctx := context.Background()
	n, _, err := m.Root(ctx)
	must(t, err)
	for _, c := range strings.Split(path, "/") {
		if c == "" {
			continue
		}
		n, _, err = m.Lookup(ctx, n, c)
		must(t, err)
	}
	var s []string
	must(t, m.ReadDir(ctx, n, func(e vfs.DirEntry) bool {
		name := e.Name
		if e.Type == vfs.S_IFDIR {
			name += "/"
		}
		s = append(s, name)
		return true
	}))
	slices.Sort(s)
	return strings.Join(s, " ")
}

// cachedListing lists path through f and fails if that asked the driver.
func cachedListing(t testing.TB, f *vfs.FS, m *memfs.FS, path string) string {
	t.Helper()
	before := m.Calls(memfs.OpReadDir)
	ents, err := f.ReadDir(bg, path)
	must(t, err)
	if n := m.Calls(memfs.OpReadDir) - before; n != 0 {
		t.Fatalf("listing %q asked the driver (%d ReadDir)", path, n)
	}
	return listing(ents)
}

func lookupIno(t testing.TB, f *vfs.FS, path string) *vfs.Inode {
	t.Helper()
	fl, err := f.OpenFileAt(bg, nil, path, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	must(t, err)
	defer fl.Close()
	return fl.Inode()
}

// TestC1_ListingCachedUntilDeadline: a second listing within the TTL makes
// no driver call at all; one after the deadline reads the directory again.
func TestC1_ListingCachedUntilDeadline(t *testing.T) {
	setup := func(m *memfs.FS) {
		r := m.Remote()
		must(t, r.Mkdir("d", 0o755))
		must(t, r.Mkdir("d/sub", 0o755))
		must(t, r.WriteFile("d/a", []byte("a"), 0o644))
		must(t, r.Symlink("a", "d/l"))
	}
	t.Run("within", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, TTL: time.Hour})
		setup(m)
		first, err := f.ReadDir(bg, "d")
		must(t, err)
		f.WaitReadAhead() // the listing reads d/sub ahead in the background
		m.ResetCalls()
		again, err := f.ReadDir(bg, "d")
		must(t, err)
		if n := m.Calls(""); n != 0 {
			t.Fatalf("second listing made %d driver calls, want 0", n)
		}
		if listing(again) != listing(first) || listing(again) != "a l sub/" {
			t.Fatalf("cached listing %q, first %q", listing(again), listing(first))
		}
		// The cached answer carries attributes like the driver's did.
		for _, e := range again {
			if info, err := e.Info(); err != nil || info.Name() != e.Name() {
				t.Fatalf("Info of %s: %v", e.Name(), err)
			}
		}
		if n := m.Calls(""); n != 0 {
			t.Fatalf("Info of cached entries made %d driver calls", n)
		}
	})
	t.Run("after", func(t *testing.T) {
		// NoReadAhead: the second listing would read d/sub ahead, which
		// also counts as a ReadDir.
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, TTL: 20 * time.Millisecond, NoReadAhead: true})
		setup(m)
		_, err := f.ReadDir(bg, "d")
		must(t, err)
		time.Sleep(30 * time.Millisecond)
		m.ResetCalls()
		_, err = f.ReadDir(bg, "d")
		must(t, err)
		if n := m.Calls(memfs.OpReadDir); n != 1 {
			t.Fatalf("%d ReadDir after the deadline, want 1", n)
		}
	})
}

// TestC1_RemoteChangeSeenAfterDeadline: a change behind our back is not
// seen while the listing is trusted, and is seen after its deadline.
func TestC1_RemoteChangeSeenAfterDeadline(t *testing.T) {
	for _, ttl := range []time.Duration{time.Hour, 20 * time.Millisecond} {
		t.Run(ttl.String(), func(t *testing.T) {
			f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, TTL: ttl})
			must(t, f.Mkdir(bg, "d", 0o755))
			must(t, f.WriteFile(bg, "d/a", nil, 0o644))
			must(t, f.WriteFile(bg, "d/b", nil, 0o644))
			if got := listing(must2(f.ReadDir(bg, "d"))); got != "a b" {
				t.Fatalf("listing %q", got)
			}
			must(t, m.Remote().WriteFile("d/new", nil, 0o644))
			must(t, m.Remote().Remove("d/a"))
			if ttl == time.Hour {
				if got := cachedListing(t, f, m, "d"); got != "a b" {
					t.Fatalf("listing %q within the TTL, want the cached a b", got)
				}
				return
			}
			time.Sleep(30 * time.Millisecond)
			ents, err := f.ReadDir(bg, "d")
			must(t, err)
			if got, want := listing(ents), serverListing(t, m, "d"); got != want || got != "b new" {
				t.Fatalf("listing %q after the deadline, server has %q", got, want)
			}
			// The new name is found, not answered absent from the old listing.
			if _, err := f.Getattr(bg, "d/new"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestC1_OwnChangesKeepListingExact: every kind of change this client makes
// in a listed directory keeps the cached listing equal to the server's, with
// no driver ReadDir, and names that are not listed are answered absent
// without a lookup.
func TestC1_OwnChangesKeepListingExact(t *testing.T) {
	for _, c := range []struct {
		name string
		mo   memfs.Options
	}{{"full", memfs.Options{}}, {"noatomic-nowalk", memfs.Options{NoAtomicOpen: true, NoWalk: true}}, {"noidentity", memfs.Options{NoIdentity: true}}} {
		t.Run(c.name, func(t *testing.T) { testOwnChanges(t, c.mo) })
	}
}

func testOwnChanges(t *testing.T, mo memfs.Options) {
	f, m := mount(t, mo, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
	r := m.Remote()
	must(t, r.Mkdir("r", 0o755)) // listed from the driver, not made here
	must(t, r.WriteFile("r/x", []byte("x"), 0o644))
	must(t, r.WriteFile("r/y", []byte("y"), 0o644))
	must(t, f.Mkdir(bg, "a", 0o755)) // made here: known empty
	must(t, f.Mkdir(bg, "b", 0o755))
	_, err := f.ReadDir(bg, "r")
	must(t, err)
	var held *vfs.File
	steps := []struct {
		name string
		do   func() error
		// strict: the cached listing must answer (no driver ReadDir). A
		// rename over a file without identities cannot tell whether the
		// two names were one file, so it drops the listing.
		strict bool
	}{
		{"create", func() error {
			fl, err := f.OpenFile(bg, "a/f1", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err == nil {
				err = fl.Close()
			}
			return err
		}, true},
		{"create-truncate", func() error { return f.WriteFile(bg, "a/f2", []byte("2"), 0o644) }, true},
		{"mkdir", func() error { return f.Mkdir(bg, "a/sub", 0o755) }, true},
		{"mknod", func() error { return f.Mknod(bg, "a/fifo", vfs.S_IFIFO|0o644, 0) }, true},
		{"symlink", func() error { return f.Symlink(bg, "f1", "a/ln") }, true},
		{"link", func() error { return f.Link(bg, "a/f1", "a/hard") }, true},
		{"unlink", func() error { return f.Remove(bg, "a/f2") }, true},
		{"unlink-open", func() error {
			var err error
			if held, err = f.Open(bg, "a/f1"); err != nil {
				return err
			}
			return f.Remove(bg, "a/f1") // D2: the name goes, the file stays open
		}, true},
		{"rmdir", func() error { return f.Remove(bg, "a/sub") }, true},
		{"rename-within", func() error { return f.Rename(bg, "a/hard", "a/hard2") }, true},
		{"rename-out", func() error { return f.Rename(bg, "a/hard2", "b/moved") }, true},
		{"rename-in-from-listed", func() error { return f.Rename(bg, "r/x", "a/x") }, true},
		{"rename-over-file", func() error { return f.Rename(bg, "a/ln", "r/y") }, mo.NoIdentity == false},
		{"exchange", func() error { return f.Rename2(bg, "a/x", "b/moved", vfs.RenameExchange) }, true},
		{"rename-dir", func() error {
			if err := f.Mkdir(bg, "a/d2", 0o755); err != nil {
				return err
			}
			return f.Rename(bg, "a/d2", "b/d2")
		}, true},
		{"rename-over-dir", func() error {
			if err := f.Mkdir(bg, "b/e1", 0o755); err != nil {
				return err
			}
			return f.Rename(bg, "b/d2", "b/e1")
		}, true},
		{"create-in-moved-dir", func() error { return f.WriteFile(bg, "b/e1/z", nil, 0o644) }, true},
		{"rmdir-not-empty", func() error {
			if err := f.Remove(bg, "b/e1"); !isErrno(err, syscall.ENOTEMPTY) {
				return fmt.Errorf("rmdir of a full directory: %v", err)
			}
			return nil
		}, true},
	}
	for _, s := range steps {
		if mo.NoAtomicOpen && s.name == "mknod" {
			continue
		}
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for _, dir := range []string{"a", "b", "r", "b/e1"} {
			if _, err := f.Getattr(bg, dir); err != nil {
				continue // not made yet
			}
			var got string
			if s.strict {
				got = cachedListing(t, f, m, dir)
			} else {
				ents, err := f.ReadDir(bg, dir)
				must(t, err)
				got = listing(ents)
			}
			if want := serverListing(t, m, dir); got != want {
				t.Fatalf("after %s: %s lists %q, server has %q", s.name, dir, got, want)
			}
		}
		// Names that are not listed are known absent (C1).
		m.ResetCalls()
		for _, dir := range []string{"a", "b"} {
			if _, _, err := f.Lookup(bg, lookupIno(t, f, dir), "absent"); !isErrno(err, syscall.ENOENT) {
				t.Fatalf("after %s: lookup of an absent name in %s: %v", s.name, dir, err)
			}
		}
		if n := m.Calls(memfs.OpLookup) + m.Calls(memfs.OpWalk); n != 0 && s.strict {
			t.Fatalf("after %s: %d lookups of names a complete directory does not have", s.name, n)
		}
	}
	must(t, held.Close())
	must(t, f.CheckInvariants())
}

func isErrno(err error, e syscall.Errno) bool { return errors.Is(err, e) }

// TestC1_NewDirectoryNeedsNoLookups: names created in a directory this
// client made are known absent, so a create costs the create alone. The
// frontend's pattern is a lookup, then the create (FUSE: LOOKUP, CREATE).
func TestC1_NewDirectoryNeedsNoLookups(t *testing.T) {
	const n = 50
	for _, mo := range []memfs.Options{{}, {NoAtomicOpen: true}} {
		t.Run(fmt.Sprintf("atomic=%v", !mo.NoAtomicOpen), func(t *testing.T) {
			f, m := mount(t, mo, &vfs.Options{CheckInvariants: true, TTL: time.Hour})
			must(t, m.Remote().Mkdir("old", 0o755))
			must(t, f.Mkdir(bg, "new", 0o755))
			for _, dir := range []string{"new", "old"} {
				d := lookupIno(t, f, dir)
				m.ResetCalls()
				for i := 0; i < n; i++ {
					name := fmt.Sprintf("f%d", i)
					if _, _, err := f.Lookup(bg, d, name); !isErrno(err, syscall.ENOENT) {
						t.Fatalf("lookup %s/%s: %v", dir, name, err)
					}
					fl, err := f.OpenFileAt(bg, d, name, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
					must(t, err)
					must(t, fl.Close())
				}
				lookups := m.Calls(memfs.OpLookup)
				creates := m.Calls(memfs.OpAtomicOpen) + m.Calls(memfs.OpCreate)
				t.Logf("%s: %.2f driver calls per create (%d lookups, %d creates)", dir, float64(lookups+creates)/n, lookups, creates)
				switch {
				case creates != n:
					t.Fatalf("%s: %d create calls for %d creates", dir, creates, n)
				case dir == "new" && lookups != 0:
					t.Fatalf("%d lookups for %d creates in a directory made here, want 0", lookups, n)
				case dir == "old" && lookups == 0:
					t.Fatal("no lookups in a directory whose contents are unknown: nothing to compare with")
				}
			}
			// Through paths too.
			m.ResetCalls()
			must(t, f.WriteFile(bg, "new/p", nil, 0o644))
			if _, err := f.Getattr(bg, "new/nothing"); !isErrno(err, syscall.ENOENT) {
				t.Fatal(err)
			}
			if n := m.Calls(memfs.OpLookup) + m.Calls(memfs.OpWalk); n != 0 {
				t.Fatalf("%d lookups through paths in a directory made here", n)
			}
		})
	}
}

// TestC1_CompletenessEnds: what ends the knowledge of a directory's
// contents, after which a lookup of an unlisted name asks the driver.
func TestC1_CompletenessEnds(t *testing.T) {
	// asks reports whether a lookup of a new name in dir asked the driver.
	asks := func(t *testing.T, f *vfs.FS, m *memfs.FS, dir, name string) bool {
		t.Helper()
		d := lookupIno(t, f, dir)
		m.ResetCalls()
		f.Lookup(bg, d, name)
		return m.Calls(memfs.OpLookup) != 0
	}
	t.Run("listing evicted", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive, MaxDentries: 16})
		must(t, f.Mkdir(bg, "a", 0o755))
		if asks(t, f, m, "a", "x0") {
			t.Fatal("a lookup in a directory made here asked the driver")
		}
		// Listings used since push a's out of the budget (16 entries).
		for i := 0; i < 8; i++ {
			dir := fmt.Sprintf("d%d", i)
			must(t, f.Mkdir(bg, dir, 0o755))
			for j := 0; j < 6; j++ {
				must(t, f.WriteFile(bg, fmt.Sprintf("%s/f%d", dir, j), nil, 0o644))
			}
			must2(f.ReadDir(bg, dir))
		}
		if !asks(t, f, m, "a", "x1") {
			t.Fatal("a lookup was answered from a listing past the budget")
		}
		if got, want := listing(must2(f.ReadDir(bg, "a"))), serverListing(t, m, "a"); got != want {
			t.Fatalf("a lists %q, server %q", got, want)
		}
	})
	t.Run("dentries evicted", func(t *testing.T) {
		// Evicting a child's dentry loses nothing: the listing still has
		// the name, so the name is looked up, and others stay known absent.
		// (No read-ahead: big, filled behind our back, must not be listed.)
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive, MaxDentries: 64, NoReadAhead: true})
		must(t, f.Mkdir(bg, "a", 0o755))
		for i := 0; i < 10; i++ {
			must(t, f.WriteFile(bg, fmt.Sprintf("a/f%d", i), nil, 0o644))
		}
		must(t, m.Remote().Mkdir("big", 0o755))
		for i := 0; i < 100; i++ {
			must(t, m.Remote().WriteFile(fmt.Sprintf("big/x%d", i), nil, 0o644))
			must2(f.Getattr(bg, fmt.Sprintf("big/x%d", i)))
		}
		if !asks(t, f, m, "a", "f0") {
			t.Fatal("a/f0 still cached: nothing was evicted")
		}
		if _, err := f.Getattr(bg, "a/f0"); err != nil {
			t.Fatalf("an evicted, listed name: %v", err)
		}
		if asks(t, f, m, "a", "zz") {
			t.Fatal("a lookup of an unlisted name asked the driver after a child's eviction")
		}
		if got, want := cachedListing(t, f, m, "a"), serverListing(t, m, "a"); got != want {
			t.Fatalf("a lists %q, server %q", got, want)
		}
	})
	t.Run("ESTALE", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
		must(t, f.Mkdir(bg, "a", 0o755))
		must(t, f.WriteFile(bg, "a/f", nil, 0o644))
		m.InjectFault(memfs.OpOpen, "", 1, syscall.ESTALE)
		fl, err := f.Open(bg, "a/f")
		must(t, err)
		fl.Close()
		if !asks(t, f, m, "a", "x") {
			t.Fatal("the listing was trusted after ESTALE about a name in it")
		}
	})
	t.Run("unknown outcome", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
		must(t, f.Mkdir(bg, "a", 0o755))
		if _, err := f.Getattr(bg, "a/f"); !isErrno(err, syscall.ENOENT) {
			t.Fatal(err) // known absent: a negative entry
		}
		m.InjectFault(memfs.OpAtomicOpen, "", 1, syscall.ETIMEDOUT)
		if err := f.WriteFile(bg, "a/f", nil, 0o644); !isErrno(err, syscall.ETIMEDOUT) {
			t.Fatalf("create with a lost answer: %v", err)
		}
		if !asks(t, f, m, "a", "g") {
			t.Fatal("the listing was trusted after a create whose outcome is unknown")
		}
		must(t, m.Remote().WriteFile("a/f", nil, 0o644)) // as if it had happened
		if _, err := f.Getattr(bg, "a/f"); err != nil {
			t.Fatalf("the name of a create whose outcome is unknown: %v", err)
		}
	})
	t.Run("directory mtime changed", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, TTL: time.Hour})
		must(t, m.Remote().Mkdir("d", 0o755))
		cachedOK := func() string { ents, err := f.ReadDir(bg, "d"); must(t, err); return listing(ents) }
		cachedOK()
		must(t, m.Remote().WriteFile("d/new", nil, 0o644))
		dir, err := f.Open(bg, "d")
		must(t, err)
		_, err = dir.Stat() // fresh attributes: a new mtime
		must(t, err)
		dir.Close()
		m.ResetCalls()
		if got := cachedOK(); got != "new" || m.Calls(memfs.OpReadDir) != 1 {
			t.Fatalf("listing %q with %d ReadDir after the directory's mtime changed", got, m.Calls(memfs.OpReadDir))
		}
	})
	t.Run("deadline", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, TTL: 20 * time.Millisecond})
		must(t, f.Mkdir(bg, "a", 0o755))
		must(t, m.Remote().WriteFile("a/theirs", nil, 0o644))
		time.Sleep(30 * time.Millisecond)
		if _, err := f.Getattr(bg, "a/theirs"); err != nil {
			t.Fatalf("a name made behind our back, after the deadline: %v", err)
		}
	})
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestC1_ConcurrentChangesKeepListingExact: parallel creates, unlinks,
// renames, mkdirs, rmdirs, lookups and listings in two listed directories
// (under -race, with the invariant checker): the cached listings answer
// throughout and end equal to the server's.
func TestC1_ConcurrentChangesKeepListingExact(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
	must(t, m.Remote().Mkdir("a", 0o755)) // listed from the driver
	must(t, m.Remote().WriteFile("a/n0", nil, 0o644))
	must(t, f.Mkdir(bg, "b", 0o755)) // made here: known empty
	_, err := f.ReadDir(bg, "a")
	must(t, err)
	m.SetLatency("", 100*time.Microsecond)
	m.ResetCalls()
	dirs := []string{"a", "b"}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			name := func() string { return fmt.Sprintf("%s/n%d", dirs[rng.IntN(2)], rng.IntN(6)) }
			for i := 0; i < 120; i++ {
				switch k := rng.IntN(8); k {
				case 7:
					if _, err := f.ReadDir(bg, dirs[rng.IntN(2)]); err != nil {
						t.Error(err)
					}
				default:
					randomChange(f, []randomOp{opCreate, opCreate, opRemove, opRename, opRename, opMkdir, opStat}[k], name)
				}
			}
		}()
	}
	wg.Wait()
	if n := m.Calls(memfs.OpReadDir); n != 0 {
		t.Errorf("%d listings asked the driver: the cached ones were dropped (seed %d)", n, seed)
	}
	for _, dir := range dirs {
		if got, want := cachedListing(t, f, m, dir), serverListing(t, m, dir); got != want {
			t.Fatalf("%s lists %q, server has %q (seed %d)", dir, got, want, seed)
		}
	}
	must(t, f.CheckInvariants())
}
