package vfs_test

// Benchmarks of the core (names fixed by issue 2 so results compare over
// time). Custom metrics: rtt/op (wall time in units of the injected driver
// latency), drivercalls/op, bytes/dentry.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

const benchPath = "a/b/c/d/e"

// BenchmarkWalkCached: attributes of a cached 5-component path (L5).
func BenchmarkWalkCached(b *testing.B) {
	f, _ := mount(b, memfs.Options{}, &vfs.Options{Policy: vfs.PolicyExclusive})
	must(b, f.MkdirAll(bg, "a/b/c/d", 0o755))
	must(b, f.WriteFile(bg, benchPath, nil, 0o644))
	if _, err := f.Getattr(bg, benchPath); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.Getattr(bg, benchPath); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkKernelStat: the same path on the local kernel, as the anchor.
func BenchmarkKernelStat(b *testing.B) {
	dir := "/dev/shm"
	if _, err := os.Stat(dir); err != nil {
		dir = b.TempDir()
	}
	dir, err := os.MkdirTemp(dir, "netvfs-bench")
	must(b, err)
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, benchPath)
	must(b, os.MkdirAll(filepath.Dir(p), 0o755))
	must(b, os.WriteFile(p, nil, 0o644))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var st syscall.Stat_t
		for pb.Next() {
			if err := syscall.Stat(p, &st); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

const benchLatency = 2 * time.Millisecond

// fanOut runs fn(i) on 64 goroutines and waits.
func fanOut(fn func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	wg.Wait()
}

// BenchmarkParallelLookupMiss: 64 goroutines look up 64 distinct uncached
// names in one directory (L2); rtt/op is 1 when they all overlap, 64 when
// serialised.
func BenchmarkParallelLookupMiss(b *testing.B) {
	m := memfs.New(memfs.Options{})
	for i := 0; i < 64; i++ {
		must(b, m.Remote().WriteFile(fmt.Sprintf("f%d", i), nil, 0o644))
	}
	m.SetLatency("", benchLatency)
	b.ResetTimer()
	var elapsed time.Duration
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		f, err := vfs.New(bg, m.Driver(), nil) // cold cache
		must(b, err)
		b.StartTimer()
		start := time.Now()
		fanOut(func(i int) { f.Getattr(bg, fmt.Sprintf("f%d", i)) })
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(elapsed)/float64(b.N)/float64(benchLatency), "rtt/op")
}

// BenchmarkSameNameLookup: 64 goroutines look up one uncached name (L1).
func BenchmarkSameNameLookup(b *testing.B) {
	m := memfs.New(memfs.Options{})
	must(b, m.Remote().WriteFile("x", nil, 0o644))
	m.SetLatency("", benchLatency)
	b.ResetTimer()
	var calls int64
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		f, err := vfs.New(bg, m.Driver(), nil)
		must(b, err)
		m.ResetCalls()
		b.StartTimer()
		fanOut(func(int) { f.Getattr(bg, "x") })
		calls += m.Calls("")
	}
	b.ReportMetric(float64(calls)/float64(b.N), "drivercalls/op")
}

// BenchmarkParallelCreate: 64 goroutines create 64 distinct names in one
// directory (D1); rtt/op as above.
func BenchmarkParallelCreate(b *testing.B) {
	m := memfs.New(memfs.Options{})
	m.SetLatency(memfs.OpAtomicOpen, benchLatency)
	m.SetLatency(memfs.OpMkdir, benchLatency)
	f, err := vfs.New(bg, m.Driver(), nil)
	must(b, err)
	b.ResetTimer()
	var elapsed time.Duration
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		dir := fmt.Sprintf("d%d", n)
		must(b, f.Mkdir(bg, dir, 0o755))
		b.StartTimer()
		files := make([]*vfs.File, 64)
		start := time.Now()
		fanOut(func(i int) {
			fl, err := f.OpenFile(bg, fmt.Sprintf("%s/f%d", dir, i), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil {
				b.Error(err)
				return
			}
			files[i] = fl
		})
		elapsed += time.Since(start)
		b.StopTimer() // closing is not part of the create
		for _, fl := range files {
			if fl != nil {
				fl.Close()
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(elapsed)/float64(b.N)/float64(benchLatency), "rtt/op")
}

// BenchmarkAtomicOpenCreate: open(O_CREAT) of a new name (O1): the driver
// calls of the open itself (the close's flush and release not counted).
func BenchmarkAtomicOpenCreate(b *testing.B) {
	f, m := mount(b, memfs.Options{}, &vfs.Options{})
	b.ResetTimer()
	var calls int64
	for n := 0; n < b.N; n++ {
		before := m.Calls("")
		fl, err := f.OpenFile(bg, fmt.Sprintf("f%d", n), os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		calls += m.Calls("") - before
		b.StopTimer()
		fl.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "drivercalls/op")
}

// tinyDriver answers every lookup with a one-byte node: the heap it holds
// per name is (almost) nothing, so the cache's own cost per dentry shows.
type tinyDriver struct{ vfs.Driver }

func (tinyDriver) Root(context.Context) (vfs.Node, vfs.Attr, error) {
	return nil, vfs.Attr{Mode: vfs.S_IFDIR | 0o755, Ino: 1, Nlink: 2}, nil
}

func (tinyDriver) Lookup(_ context.Context, _ vfs.Node, name string) (vfs.Node, vfs.Attr, error) {
	return nil, vfs.Attr{Mode: vfs.S_IFREG | 0o644, Ino: 2, Nlink: 1}, nil
}

// BenchmarkDentryMemory: heap per cached file dentry, core only.
func BenchmarkDentryMemory(b *testing.B) {
	const n = 100000
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("file%06d", i)
	}
	var perDentry float64
	for it := 0; it < b.N; it++ {
		f, err := vfs.New(bg, tinyDriver{}, &vfs.Options{Policy: vfs.PolicyExclusive, MaxDentries: 2 * n})
		must(b, err)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, name := range names {
			if _, err := f.Getattr(bg, name); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if st := f.CacheStats(); st.Positive != n {
			b.Fatalf("cached %d, want %d", st.Positive, n)
		}
		perDentry = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(f)
	}
	b.ReportMetric(perDentry, "bytes/dentry")
}

// BenchmarkListingCached: listing a directory of 100 files again within
// the TTL (C1); drivercalls/op counts every driver call of one listing.
func BenchmarkListingCached(b *testing.B) {
	f, m := mount(b, memfs.Options{}, &vfs.Options{TTL: time.Hour})
	must(b, m.Remote().Mkdir("d", 0o755))
	for i := 0; i < 100; i++ {
		must(b, m.Remote().WriteFile(fmt.Sprintf("d/f%d", i), nil, 0o644))
	}
	if _, err := f.ReadDir(bg, "d"); err != nil {
		b.Fatal(err)
	}
	m.ResetCalls()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if _, err := f.ReadDir(bg, "d"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m.Calls(""))/float64(b.N), "drivercalls/op")
}

// BenchmarkCreateInNewDir: a lookup then an exclusive create of a new name
// in a directory this client just made, as FUSE sends them (LOOKUP,
// CREATE); drivercalls/op counts lookups and creates (C1: no lookup).
func BenchmarkCreateInNewDir(b *testing.B) {
	f, m := mount(b, memfs.Options{}, &vfs.Options{TTL: time.Hour})
	dir, err := f.MkdirAt(bg, nil, "d", 0o755)
	must(b, err)
	m.ResetCalls()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		name := fmt.Sprintf("f%d", n)
		if _, _, err := f.Lookup(bg, dir, name); err == nil {
			b.Fatal("a new name exists")
		}
		fl, err := f.OpenFileAt(bg, dir, name, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		fl.Close()
		b.StartTimer()
	}
	calls := m.Calls(memfs.OpLookup) + m.Calls(memfs.OpAtomicOpen) + m.Calls(memfs.OpCreate)
	b.ReportMetric(float64(calls)/float64(b.N), "drivercalls/op")
}
