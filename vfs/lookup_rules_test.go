package vfs_test

// Tests of the lookup rules L1-L5 (DESIGN.md).

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// TestL1_OneLookupPerName: 64 walkers of one uncached name cause one driver
// lookup; the others wait for it and use its result.
func TestL1_OneLookupPerName(t *testing.T) {
	for _, neg := range []bool{false, true} {
		t.Run(fmt.Sprintf("negative=%v", neg), func(t *testing.T) {
			f, m := mount(t, memfs.Options{NoWalk: true}, nil)
			if !neg {
				must(t, m.Remote().Mkdir("dir", 0o755))
			}
			var lookups atomic.Int64
			m.OnCall(func(op memfs.Op, name string) {
				if name == "dir" {
					lookups.Add(1)
				}
			})
			m.SetLatency(memfs.OpLookup, 5*time.Millisecond)
			var wg sync.WaitGroup
			for i := 0; i < 64; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := f.Getattr(bg, "dir")
					if neg && !errors.Is(err, syscall.ENOENT) || !neg && err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if n := lookups.Load(); n != 1 {
				t.Fatalf("%d driver lookups of one name, want 1", n)
			}
		})
	}
}

// TestL2_ParallelLookupsOfDifferentNames: lookups of different names in one
// directory are on the wire together.
func TestL2_ParallelLookupsOfDifferentNames(t *testing.T) {
	m := memfs.New(memfs.Options{})
	for i := 0; i < 64; i++ {
		must(t, m.Remote().WriteFile(fmt.Sprintf("f%d", i), nil, 0o644))
	}
	m.SetLatency(memfs.OpLookup, 20*time.Millisecond)
	cd := &countingDriver{Driver: m.Driver()}
	// NoReadAhead: lookups are measured, not a listing answering them.
	f, err := vfs.New(bg, cd, &vfs.Options{CheckInvariants: true, NoReadAhead: true})
	must(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.Getattr(bg, fmt.Sprintf("f%d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if max := cd.lookups.max.Load(); max < 32 {
		t.Fatalf("at most %d lookups in flight, want them parallel (>= 32 of 64)", max)
	}
}

// TestL3_WaitersTakeOver: when the owner of an in-lookup name fails
// transiently or is cancelled, a waiter becomes the owner; nobody hangs.
func TestL3_WaitersTakeOver(t *testing.T) {
	t.Run("transient error", func(t *testing.T) {
		f, m := mount(t, memfs.Options{NoWalk: true}, nil)
		must(t, m.Remote().WriteFile("x", []byte("1"), 0o644))
		m.SetLatency(memfs.OpLookup, 5*time.Millisecond)
		m.InjectFault(memfs.OpLookup, "x", 1, syscall.EIO)
		var wg sync.WaitGroup
		var fails atomic.Int64
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.Getattr(bg, "x"); err != nil {
					if !errors.Is(err, syscall.EIO) {
						t.Error(err)
					}
					fails.Add(1)
				}
			}()
		}
		wg.Wait()
		if fails.Load() != 1 {
			t.Fatalf("%d callers failed, want only the owner that got EIO", fails.Load())
		}
		if n := m.Calls(memfs.OpLookup); n != 2 {
			t.Fatalf("%d lookups, want 2 (the failed one and one retry)", n)
		}
	})
	t.Run("owner cancelled", func(t *testing.T) {
		f, m := mount(t, memfs.Options{NoWalk: true}, nil)
		must(t, m.Remote().WriteFile("x", []byte("1"), 0o644))
		m.SetLatency(memfs.OpLookup, 50*time.Millisecond)
		started := make(chan struct{}, 4)
		m.OnCall(func(op memfs.Op, name string) {
			if op == memfs.OpLookup {
				started <- struct{}{}
			}
		})
		ctx, cancel := context.WithCancel(bg)
		ownerDone := make(chan error, 1)
		go func() { _, err := f.Getattr(ctx, "x"); ownerDone <- err }()
		<-started
		waiterDone := make(chan error, 1)
		go func() { _, err := f.Getattr(bg, "x"); waiterDone <- err }()
		time.Sleep(5 * time.Millisecond) // let the waiter queue behind the owner
		cancel()
		if err := <-ownerDone; err == nil {
			t.Fatal("cancelled owner succeeded")
		}
		select {
		case err := <-waiterDone:
			must(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("waiter hangs after the owner was cancelled")
		}
	})
	t.Run("no goroutine leak", func(t *testing.T) {
		f, m := mount(t, memfs.Options{NoWalk: true}, nil)
		m.SetLatency(memfs.OpLookup, 20*time.Millisecond)
		before := runtime.NumGoroutine()
		var wg sync.WaitGroup
		for i := 0; i < 32; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(bg, time.Duration(i%4)*5*time.Millisecond)
				defer cancel()
				f.Getattr(ctx, "y")
			}()
		}
		wg.Wait()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before+2 {
			t.Fatalf("%d goroutines left, started with %d", n, before)
		}
	})
}

// TestL4_DriverAnswersCoreInstalls: an atomic open that answers "not opened"
// (a directory) is completed by the core on the same dentry: no driver
// lookup follows, and a later walk finds the name cached.
func TestL4_DriverAnswersCoreInstalls(t *testing.T) {
	f, m := mount(t, memfs.Options{NoWalk: true}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
	must(t, m.Remote().Mkdir("d", 0o755))
	fl, err := f.Open(bg, "d")
	must(t, err)
	must(t, fl.Close())
	if n := m.Calls(memfs.OpLookup); n != 0 {
		t.Fatalf("%d lookups after an atomic open answered \"not opened\"", n)
	}
	if n := m.Calls(memfs.OpAtomicOpen); n != 1 {
		t.Fatalf("%d atomic opens, want 1", n)
	}
	m.ResetCalls()
	_, err = f.Getattr(bg, "d")
	must(t, err)
	if n := m.Calls(""); n != 0 {
		t.Fatalf("%d driver calls for a cached name", n)
	}
}

// TestL5_CachedWalk: a fully cached walk makes no driver call and allocates
// nothing.
func TestL5_CachedWalk(t *testing.T) {
	f, m := mount(t, memfs.Options{}, &vfs.Options{Policy: vfs.PolicyExclusive})
	must(t, f.MkdirAll(bg, "a/b/c/d", 0o755))
	must(t, f.WriteFile(bg, "a/b/c/d/e", []byte("x"), 0o644))
	must(t, f.Symlink(bg, "c", "a/b/l"))
	for _, p := range []string{"a/b/c/d/e", "/a//b/./c/d/../d/e", "a/b/l/d/e"} {
		if _, err := f.Getattr(bg, p); err != nil {
			t.Fatal(err)
		}
		m.ResetCalls()
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := f.Getattr(bg, p); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per cached walk", p, allocs)
		}
		if n := m.Calls(""); n != 0 {
			t.Errorf("%s: %d driver calls on a cached walk", p, n)
		}
	}
}

// TestL5_CachedWalkSeesRenameAtomically: walkers of a path that exists in
// both the old and the new tree never see it missing while directories are
// exchanged (D3, L5 sequence check).
func TestL5_CachedWalkSeesRenameAtomically(t *testing.T) {
	f, _ := mount(t, memfs.Options{}, &vfs.Options{Policy: vfs.PolicyExclusive})
	for _, d := range []string{"A", "B"} {
		must(t, f.Mkdir(bg, d, 0o755))
		must(t, f.WriteFile(bg, d+"/f", []byte(d), 0o644))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var walks atomic.Int64
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, p := range []string{"A/f", "B/f"} {
					if _, err := f.Getattr(bg, p); err != nil {
						t.Errorf("%s: %v during exchange", p, err)
						return
					}
					walks.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		must(t, f.Rename2(bg, "A", "B", vfs.RenameExchange))
	}
	close(stop)
	wg.Wait()
	t.Logf("%d walks during 2000 exchanges", walks.Load())
}
