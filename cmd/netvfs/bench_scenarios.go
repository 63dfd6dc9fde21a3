package main

// The scenarios of `netvfs bench`: the core benchmarks of issue 2
// (vfs/bench_test.go, same names and metrics) rerun without the testing
// package, on an embedded memfs with injected latency. Each scenario builds
// its own filesystem; nothing is shared between them.
//
// Metric names are those of the core benchmarks: ns/op, allocs/op,
// rtt/op (wall time in units of the injected latency), drivercalls/op,
// bytes/dentry; plus cpu-ns/op (ns/op times the goroutines that ran in
// parallel: what one operation costs one CPU), floor-rtt/op (the rtt/op of
// goroutines that only sleep the latency: the machine's own limit) and
// drivercalls/name.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// benchConfig is what the flags decide.
type benchConfig struct {
	latency  time.Duration // injected per driver call
	duration time.Duration // of each timed scenario
	rounds   int           // of each scenario that measures one burst
	procs    int           // GOMAXPROCS: goroutines of the timed scenarios
}

// scenario is one row of the table.
type scenario struct {
	name     string
	measures func(cfg *benchConfig) string
	run      func(ctx context.Context, cfg *benchConfig) (*benchResult, error)
}

// benchPath is the 5-component path of the walk scenarios (as the core's).
const benchPath = "a/b/c/d/e"

// fanOutWidth is how many goroutines the latency scenarios start.
const fanOutWidth = 64

// dentryNames is how many names DentryMemory caches.
const dentryNames = 100000

var scenarios = []scenario{
	{
		name: "WalkCached",
		measures: func(cfg *benchConfig) string {
			return fmt.Sprintf("Getattr of cached %s, %d goroutines, %v", benchPath, cfg.procs, cfg.duration)
		},
		run: benchWalkCached,
	},
	{
		name: "KernelStat",
		measures: func(cfg *benchConfig) string {
			return fmt.Sprintf("syscall.Stat of the same path on %s, %d goroutines", kernelStatDir(), cfg.procs)
		},
		run: benchKernelStat,
	},
	{
		name: "ParallelLookupMiss",
		measures: func(cfg *benchConfig) string {
			return fmt.Sprintf("%d goroutines look up %d uncached names in one dir", fanOutWidth, fanOutWidth)
		},
		run: benchParallelLookupMiss,
	},
	{
		name: "SameNameLookup",
		measures: func(cfg *benchConfig) string {
			return fmt.Sprintf("%d goroutines look up one uncached name", fanOutWidth)
		},
		run: benchSameNameLookup,
	},
	{
		name: "ParallelCreate",
		measures: func(cfg *benchConfig) string {
			return fmt.Sprintf("%d goroutines create %d names in one dir", fanOutWidth, fanOutWidth)
		},
		run: benchParallelCreate,
	},
	{
		name:     "AtomicOpenCreate",
		measures: func(cfg *benchConfig) string { return "open(O_CREAT) of a new name" },
		run:      benchAtomicOpenCreate,
	},
	{
		name: "DentryMemory",
		measures: func(cfg *benchConfig) string {
			return fmt.Sprintf("heap per cached file dentry, %d names, stub driver", dentryNames)
		},
		run: benchDentryMemory,
	},
}

// benchWalkCached: attributes of a cached 5-component path (rule L5): no
// driver call, no allocation, target 200 ns of one CPU.
func benchWalkCached(ctx context.Context, cfg *benchConfig) (*benchResult, error) {
	m := memfs.New(memfs.Options{})
	m.SetLatency("", cfg.latency) // a driver call would show as milliseconds
	f, err := vfs.New(ctx, m.Driver(), &vfs.Options{Policy: vfs.PolicyExclusive})
	if err != nil {
		return nil, err
	}
	if err := f.MkdirAll(ctx, filepath.Dir(benchPath), 0o755); err != nil {
		return nil, err
	}
	if err := f.WriteFile(ctx, benchPath, nil, 0o644); err != nil {
		return nil, err
	}
	if _, err := f.Getattr(ctx, benchPath); err != nil {
		return nil, err
	}
	m.ResetCalls()
	bg := context.Background() // the hot loop as the core benchmark runs it
	p, err := runParallel(ctx, cfg, func() error { _, err := f.Getattr(bg, benchPath); return err })
	if err != nil {
		return nil, err
	}
	calls := float64(m.Calls("")) / float64(p.ops)
	cpuNs := p.nsPerOp() * float64(cfg.procs)
	r := &benchResult{
		Metrics: map[string]float64{"ns/op": p.nsPerOp(), "cpu-ns/op": cpuNs, "allocs/op": p.allocsPerOp(), "drivercalls/op": calls},
		Result:  fmt.Sprintf("%.1f ns/op (%.0f cpu-ns/op), %.0f allocs/op", p.nsPerOp(), cpuNs, p.allocsPerOp()),
		Target:  "≤ 200 cpu-ns/op, 0 allocs/op",
	}
	r.met(cpuNs <= 200 && p.allocsPerOp() == 0)
	return r, nil
}

// kernelStatDir is where KernelStat creates its path: tmpfs if there is one.
func kernelStatDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() && syscall.Access("/dev/shm", 2) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}

// benchKernelStat: the same path on the local kernel, as the anchor.
func benchKernelStat(ctx context.Context, cfg *benchConfig) (*benchResult, error) {
	dir, err := os.MkdirTemp(kernelStatDir(), "netvfs-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, benchPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		return nil, err
	}
	res, err := runParallel(ctx, cfg, func() error {
		var st syscall.Stat_t
		return syscall.Stat(p, &st)
	})
	if err != nil {
		return nil, err
	}
	cpuNs := res.nsPerOp() * float64(cfg.procs)
	return &benchResult{
		Metrics: map[string]float64{"ns/op": res.nsPerOp(), "cpu-ns/op": cpuNs, "allocs/op": res.allocsPerOp()},
		Result:  fmt.Sprintf("%.1f ns/op (%.0f cpu-ns/op)", res.nsPerOp(), cpuNs),
		Target:  "anchor: no target",
	}, nil
}

// benchParallelLookupMiss: distinct uncached names in one directory look
// up in parallel (rule L2): 1 rtt/op when all overlap, 64 when serialised.
func benchParallelLookupMiss(ctx context.Context, cfg *benchConfig) (*benchResult, error) {
	m := memfs.New(memfs.Options{})
	names := make([]string, fanOutWidth)
	for i := range names {
		names[i] = fmt.Sprintf("f%d", i)
		if err := m.Remote().WriteFile(names[i], nil, 0o644); err != nil {
			return nil, err
		}
	}
	m.SetLatency("", cfg.latency)
	m.ResetCalls()
	var elapsed time.Duration
	for range cfg.rounds {
		f, err := vfs.New(ctx, m.Driver(), nil) // a cold cache each round
		if err != nil {
			return nil, err
		}
		start := time.Now()
		err = fanOut(func(i int) error { _, err := f.Getattr(ctx, names[i]); return err })
		elapsed += time.Since(start)
		if err != nil {
			return nil, err
		}
	}
	rtt := float64(elapsed) / float64(cfg.rounds) / float64(cfg.latency)
	perName := float64(m.Calls("")) / float64(cfg.rounds*fanOutWidth)
	floor := sleepFloor(cfg)
	r := &benchResult{
		Metrics: map[string]float64{"rtt/op": rtt, "drivercalls/name": perName, "floor-rtt/op": floor},
		Result:  fmt.Sprintf("%.2f rtt/op (%.2f drivercalls/name; floor %.2f)", rtt, perName, floor),
		Target:  "≤ 1.5 rtt/op",
	}
	r.met(rtt <= 1.5)
	return r, nil
}

// benchSameNameLookup: one uncached name looked up by many goroutines
// costs one driver call (rule L1).
func benchSameNameLookup(ctx context.Context, cfg *benchConfig) (*benchResult, error) {
	m := memfs.New(memfs.Options{})
	if err := m.Remote().WriteFile("x", nil, 0o644); err != nil {
		return nil, err
	}
	m.SetLatency("", cfg.latency)
	var calls int64
	for range cfg.rounds {
		f, err := vfs.New(ctx, m.Driver(), nil)
		if err != nil {
			return nil, err
		}
		m.ResetCalls()
		if err := fanOut(func(int) error { _, err := f.Getattr(ctx, "x"); return err }); err != nil {
			return nil, err
		}
		calls += m.Calls("")
	}
	perOp := float64(calls) / float64(cfg.rounds)
	r := &benchResult{Metrics: map[string]float64{"drivercalls/op": perOp}, Result: fmt.Sprintf("%.2f drivercalls/op", perOp), Target: "1 drivercalls/op"}
	r.met(perOp == 1)
	return r, nil
}

// benchParallelCreate: creates of distinct names in one directory run in
// parallel (rule D1).
func benchParallelCreate(ctx context.Context, cfg *benchConfig) (*benchResult, error) {
	m := memfs.New(memfs.Options{})
	m.SetLatency(memfs.OpAtomicOpen, cfg.latency)
	m.SetLatency(memfs.OpMkdir, cfg.latency)
	f, err := vfs.New(ctx, m.Driver(), nil)
	if err != nil {
		return nil, err
	}
	var elapsed time.Duration
	for n := range cfg.rounds {
		dir := fmt.Sprintf("d%d", n)
		if err := f.Mkdir(ctx, dir, 0o755); err != nil {
			return nil, err
		}
		files := make([]*vfs.File, fanOutWidth)
		start := time.Now()
		err := fanOut(func(i int) error {
			fl, err := f.OpenFile(ctx, fmt.Sprintf("%s/f%d", dir, i), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			files[i] = fl
			return err
		})
		elapsed += time.Since(start)
		for _, fl := range files { // closing is not part of the create
			if fl != nil {
				fl.Close()
			}
		}
		if err != nil {
			return nil, err
		}
	}
	rtt := float64(elapsed) / float64(cfg.rounds) / float64(cfg.latency)
	floor := sleepFloor(cfg)
	r := &benchResult{
		Metrics: map[string]float64{"rtt/op": rtt, "floor-rtt/op": floor},
		Result:  fmt.Sprintf("%.2f rtt/op (floor %.2f)", rtt, floor),
		Target:  "≤ 2 rtt/op",
	}
	r.met(rtt <= 2)
	return r, nil
}

// benchAtomicOpenCreate: open(O_CREAT) of a new name is one driver call
// (rule O1), counting the open only (not the close's flush and release).
func benchAtomicOpenCreate(ctx context.Context, cfg *benchConfig) (*benchResult, error) {
	m := memfs.New(memfs.Options{})
	m.SetLatency("", cfg.latency)
	f, err := vfs.New(ctx, m.Driver(), nil)
	if err != nil {
		return nil, err
	}
	var calls int64
	var elapsed time.Duration
	for n := range cfg.rounds {
		before := m.Calls("")
		start := time.Now()
		fl, err := f.OpenFile(ctx, fmt.Sprintf("f%d", n), os.O_CREATE|os.O_WRONLY, 0o644)
		elapsed += time.Since(start)
		if err != nil {
			return nil, err
		}
		calls += m.Calls("") - before
		fl.Close()
	}
	perOp := float64(calls) / float64(cfg.rounds)
	rtt := float64(elapsed) / float64(cfg.rounds) / float64(cfg.latency)
	r := &benchResult{
		Metrics: map[string]float64{"drivercalls/op": perOp, "rtt/op": rtt},
		Result:  fmt.Sprintf("%.2f drivercalls/op (%.2f rtt/op)", perOp, rtt),
		Target:  "1 drivercalls/op",
	}
	r.met(perOp == 1)
	return r, nil
}

// tinyDriver answers every lookup with a nil node: the heap it holds per
// name is nothing, so the core's own cost per dentry shows. Only Root and
// Lookup are ever called.
type tinyDriver struct{ vfs.Driver }

func (tinyDriver) Root(context.Context) (vfs.Node, vfs.Attr, error) {
	return nil, vfs.Attr{Mode: vfs.S_IFDIR | 0o755, Ino: 1, Nlink: 2}, nil
}

func (tinyDriver) Lookup(context.Context, vfs.Node, string) (vfs.Node, vfs.Attr, error) {
	return nil, vfs.Attr{Mode: vfs.S_IFREG | 0o644, Ino: 2, Nlink: 1}, nil
}

// benchDentryMemory: heap per cached file dentry, core only.
func benchDentryMemory(ctx context.Context, cfg *benchConfig) (*benchResult, error) {
	names := make([]string, dentryNames)
	for i := range names {
		names[i] = fmt.Sprintf("file%06d", i)
	}
	f, err := vfs.New(ctx, tinyDriver{}, &vfs.Options{Policy: vfs.PolicyExclusive, MaxDentries: 2 * dentryNames})
	if err != nil {
		return nil, err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, name := range names {
		if _, err := f.Getattr(ctx, name); err != nil {
			return nil, err
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if st := f.CacheStats(); st.Positive != dentryNames {
		return nil, fmt.Errorf("the cache holds %d names, want %d", st.Positive, dentryNames)
	}
	perDentry := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / dentryNames
	runtime.KeepAlive(f)
	r := &benchResult{Metrics: map[string]float64{"bytes/dentry": perDentry}, Result: fmt.Sprintf("%.0f bytes/dentry", perDentry), Target: "≤ 256 bytes/dentry"}
	r.met(perDentry <= 256)
	return r, nil
}

// sleepFloor is the rtt/op of fanOutWidth goroutines that only sleep the
// latency: what this machine's scheduler and timers allow at best, shown
// next to the burst scenarios' results (no core, no driver involved).
func sleepFloor(cfg *benchConfig) float64 {
	var elapsed time.Duration
	for range cfg.rounds {
		start := time.Now()
		fanOut(func(int) error { time.Sleep(cfg.latency); return nil })
		elapsed += time.Since(start)
	}
	return float64(elapsed) / float64(cfg.rounds) / float64(cfg.latency)
}

// fanOut runs fn(i) for i in [0, fanOutWidth) on as many goroutines, waits,
// and returns the first error.
func fanOut(fn func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, fanOutWidth)
	for i := range fanOutWidth {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn(i) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// parallelRun is what runParallel measured.
type parallelRun struct {
	ops     int64
	elapsed time.Duration
	mallocs uint64
}

func (p parallelRun) nsPerOp() float64 { return float64(p.elapsed.Nanoseconds()) / float64(p.ops) }

// allocsPerOp rounds down, as the testing package does.
func (p parallelRun) allocsPerOp() float64 { return float64(p.mallocs / uint64(p.ops)) }

// runParallel calls fn on cfg.procs goroutines for cfg.duration (after a
// short warm-up) as testing.B.RunParallel does, and returns the count of
// calls, the wall time and the heap allocations made meanwhile. The first
// error (or ctx being done) stops it.
func runParallel(ctx context.Context, cfg *benchConfig, fn func() error) (parallelRun, error) {
	if _, err := runParallelFor(ctx, cfg.procs, min(cfg.duration/10, 100*time.Millisecond), fn); err != nil {
		return parallelRun{}, err
	}
	return runParallelFor(ctx, cfg.procs, cfg.duration, fn)
}

func runParallelFor(ctx context.Context, procs int, d time.Duration, fn func() error) (parallelRun, error) {
	const batch = 64 // calls between looks at the stop flag
	var (
		stop  atomic.Bool
		wg    sync.WaitGroup
		first atomic.Pointer[error]
		ops   = make([]int64, procs) // each written once, by its goroutine, at the end
	)
	fail := func(err error) {
		first.CompareAndSwap(nil, &err)
		stop.Store(true)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	for g := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int64
			for !stop.Load() {
				for range batch {
					if err := fn(); err != nil {
						fail(err) // out of line: &err here would allocate per call
						break
					}
					n++
				}
			}
			ops[g] = n
		}()
	}
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	stop.Store(true)
	wg.Wait()
	p := parallelRun{elapsed: time.Since(start)}
	runtime.ReadMemStats(&ms1)
	p.mallocs = ms1.Mallocs - ms0.Mallocs
	for _, n := range ops {
		p.ops += n
	}
	if e := first.Load(); e != nil {
		return p, *e
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	if p.ops == 0 {
		return p, errors.New("no operation completed")
	}
	return p, nil
}
