package vfstest

// Concurrency smoke tests, to be run under -race: many goroutines create,
// stat, rename and remove distinct and shared names through one mount with
// the invariant checker on; afterwards the cached tree must match what a
// fresh mount of the same driver sees. Randomised: the seed is printed on
// failure so a run can be replayed.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

const (
	workers    = 16
	iterations = 120
	// namesPerWorker bounds each worker's distinct names (it reuses them
	// round robin): the invariant checker walks the whole cache after
	// every operation, so the cache must stay small for the test to stay
	// fast under -race.
	namesPerWorker = 4
)

var concurrencyCases = []testCase{
	{"DistinctAndSharedNames", func(e *env) {
		seed := uint64(time.Now().UnixNano())
		e.Cleanup(func() {
			if e.Failed() {
				e.Logf("seed %d", seed)
			}
		})
		for w := 0; w < workers; w++ {
			e.mkdir(fmt.Sprintf("w%d", w))
		}
		e.mkdir("sd")
		var wg sync.WaitGroup
		errs := make(chan string, workers*4)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(w)))
				if msg := concurrentWorker(e, w, rng); msg != "" {
					errs <- msg
				}
			}()
		}
		wg.Wait()
		close(errs)
		for msg := range errs {
			e.Error(msg)
		}
		e.ok(e.fs.CheckInvariants(), "CheckInvariants")
		for w := 0; w < workers; w++ {
			e.wantNames(fmt.Sprintf("w%d", w))
		}
		e.compareWithFreshMount("/", "sd")
	}},
	{"StatDuringRenames", func(e *env) {
		// D3: a walk racing renames sees the old tree or the new one, never
		// a wrong object: every successful stat finds the right file.
		e.must(e.fs.MkdirAll(e.ctx, "p/q", 0o755), "MkdirAll")
		e.writeFile("p/q/file", "12345")
		e.writeFile("x", "123")
		var wg sync.WaitGroup
		stop := make(chan struct{})
		bad := make(chan string, 64)
		for r := 0; r < 3; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					for _, c := range []struct {
						path string
						size int64
						dir  bool
					}{{"p/q/file", 5, false}, {"p/r/file", 5, false}, {"p/q", 0, true}, {"p/r", 0, true}, {"x", 3, false}, {"y", 3, false}} {
						a, err := e.fs.Getattr(e.ctx, c.path)
						switch {
						case err != nil && (errnoOf(err) != syscall.ENOENT || !isE1(err)):
							bad <- fmt.Sprintf("stat %s during renames: %v", c.path, err)
						case err == nil && c.dir && !a.IsDir():
							bad <- fmt.Sprintf("stat %s during renames: mode %#o, want a directory", c.path, a.Mode)
						case err == nil && !c.dir && (!a.IsRegular() || a.Size != c.size):
							bad <- fmt.Sprintf("stat %s during renames: mode %#o size %d, want a file of %d bytes", c.path, a.Mode, a.Size, c.size)
						}
					}
				}
			}()
		}
		for i := 0; i < 400; i++ {
			from, to := "p/q", "p/r"
			ff, ft := "x", "y"
			if i%2 == 1 {
				from, to, ff, ft = to, from, ft, ff
			}
			e.must(e.fs.Rename(e.ctx, from, to), "rename directory")
			e.must(e.fs.Rename(e.ctx, ff, ft), "rename file")
		}
		close(stop)
		wg.Wait()
		close(bad)
		n := 0
		for msg := range bad {
			if n++; n <= 10 {
				e.Error(msg)
			}
		}
		e.wantContent("p/q/file", "12345")
		e.wantContent("x", "123")
		e.ok(e.fs.CheckInvariants(), "CheckInvariants")
	}},
}

// concurrentWorker runs one goroutine's share of DistinctAndSharedNames and
// returns a description of the first wrong result ("" if none).
func concurrentWorker(e *env, w int, rng *rand.Rand) string {
	ctx := e.ctx
	shared := []string{"s0", "s1", "s2", "sd/a", "sd/b"}
	// Errors a racing operation on a shared name may legitimately get.
	allowed := func(err error, errnos ...syscall.Errno) string {
		if err == nil {
			return ""
		}
		if !isE1(err) {
			return fmt.Sprintf("worker %d: %v is a %T, not an E1 error", w, err, err)
		}
		if slices.Contains(errnos, errnoOf(err)) {
			return ""
		}
		return fmt.Sprintf("worker %d: unexpected error %v", w, err)
	}
	for k := 0; k < iterations; k++ {
		// Distinct names: every step must succeed.
		f := fmt.Sprintf("w%d/f%d", w, k%namesPerWorker)
		g := fmt.Sprintf("w%d/g%d", w, k%namesPerWorker)
		fl, err := e.fs.OpenFile(ctx, f, oRDWR|oCREAT|oEXCL, 0o644)
		if err != nil {
			return fmt.Sprintf("worker %d: create %s: %v", w, f, err)
		}
		if !fl.Created() {
			return fmt.Sprintf("worker %d: create %s: Created() = false", w, f)
		}
		_, err = fl.Write([]byte(f))
		cerr := fl.Close()
		if err != nil || cerr != nil {
			return fmt.Sprintf("worker %d: write %s: %v %v", w, f, err, cerr)
		}
		if a, err := e.fs.Getattr(ctx, f); err != nil || a.Size != int64(len(f)) {
			return fmt.Sprintf("worker %d: stat %s = size %d, %v", w, f, a.Size, err)
		}
		if err := e.fs.Rename(ctx, f, g); err != nil {
			return fmt.Sprintf("worker %d: rename %s: %v", w, f, err)
		}
		if _, err := e.fs.Getattr(ctx, f); errnoOf(err) != syscall.ENOENT {
			return fmt.Sprintf("worker %d: stat %s after rename: %v, want ENOENT", w, f, err)
		}
		if err := e.fs.Remove(ctx, g); err != nil {
			return fmt.Sprintf("worker %d: remove %s: %v", w, g, err)
		}
		// Shared names: any outcome a serial order allows.
		s := shared[rng.IntN(len(shared))]
		t := shared[rng.IntN(len(shared))]
		var msg string
		switch rng.IntN(7) {
		case 0:
			fl, err := e.fs.OpenFile(ctx, s, oRDWR|oCREAT, 0o644)
			if err == nil {
				_, err = fl.Write([]byte("x"))
				fl.Close()
			}
			msg = allowed(err, syscall.EISDIR)
		case 1:
			fl, err := e.fs.OpenFile(ctx, s, oRDWR|oCREAT|oEXCL, 0o644)
			if err == nil {
				fl.Close()
			}
			msg = allowed(err, syscall.EEXIST)
		case 2:
			_, err := e.fs.Getattr(ctx, s)
			msg = allowed(err, syscall.ENOENT)
		case 3:
			// Remove is unlink, then rmdir on EISDIR: a name that changes
			// type in between gives either step's error.
			msg = allowed(e.fs.Remove(ctx, s), syscall.ENOENT, syscall.ENOTEMPTY, syscall.EISDIR, syscall.ENOTDIR)
		case 4:
			msg = allowed(e.fs.Mkdir(ctx, s, 0o755), syscall.EEXIST)
		case 5:
			msg = allowed(e.fs.Rename(ctx, s, t), syscall.ENOENT, syscall.EISDIR, syscall.ENOTDIR, syscall.ENOTEMPTY, syscall.EINVAL)
		case 6:
			_, err := e.fs.ReadDir(ctx, "sd")
			msg = allowed(err)
		}
		if msg != "" {
			return msg
		}
	}
	return ""
}

// compareWithFreshMount asserts that the listings and types of dirs as this
// mount's cache shows them are what a cold mount of the same driver sees.
func (e *env) compareWithFreshMount(dirs ...string) {
	e.Helper()
	cold := e.freshMount()
	describe := func(f *vfs.FS, dir string) []string {
		ents, err := f.ReadDir(e.ctx, dir)
		e.must(err, "readdir "+dir)
		var out []string
		for _, d := range ents {
			a, err := f.Lgetattr(e.ctx, dir+"/"+d.Name())
			e.must(err, "lstat "+d.Name())
			out = append(out, fmt.Sprintf("%s:%o:%d", d.Name(), a.Mode&vfs.S_IFMT, a.Size*int64(btoi(a.IsRegular()))))
		}
		return out
	}
	for _, dir := range dirs {
		hot, fresh := describe(e.fs, dir), describe(cold, dir)
		if !slices.Equal(hot, fresh) {
			e.Errorf("%s: the cache shows %q, a fresh mount %q", dir, hot, fresh)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
