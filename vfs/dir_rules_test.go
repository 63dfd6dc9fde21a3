package vfs_test

// Tests of the directory-operation rules D1-D4.

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// TestD1_ParallelCreatesInOneDirectory: creates of different names in one
// directory are on the wire together (beyond Linux's exclusive i_rwsem).
func TestD1_ParallelCreatesInOneDirectory(t *testing.T) {
	for _, atomicOpen := range []bool{true, false} {
		t.Run(fmt.Sprintf("atomic=%v", atomicOpen), func(t *testing.T) {
			m := memfs.New(memfs.Options{NoAtomicOpen: !atomicOpen})
			m.SetLatency(memfs.OpCreate, 20*time.Millisecond)
			m.SetLatency(memfs.OpAtomicOpen, 20*time.Millisecond)
			cd := &countingDriver{Driver: m.Driver()}
			var drv vfs.Driver = cd
			if atomicOpen {
				drv = countingAO{cd, m.Driver().(vfs.AtomicOpener)}
			}
			f, err := vfs.New(bg, drv, &vfs.Options{CheckInvariants: true})
			must(t, err)
			must(t, f.Mkdir(bg, "d", 0o755))
			var wg sync.WaitGroup
			for i := 0; i < 64; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					fl, err := f.OpenFile(bg, fmt.Sprintf("d/f%d", i), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
					if err != nil {
						t.Error(err)
						return
					}
					fl.Close()
				}()
			}
			wg.Wait()
			if max := cd.creates.max.Load(); max < 32 {
				t.Fatalf("at most %d creates in flight in one directory, want parallel (>= 32 of 64)", max)
			}
			ents, err := f.ReadDir(bg, "d")
			must(t, err)
			if len(ents) != 64 {
				t.Fatalf("%d entries, want 64", len(ents))
			}
		})
	}
}

// TestD1_SameNameExcluded: operations on one name exclude each other: a
// mkdir and an unlink of the same name never overlap on the wire.
func TestD1_SameNameExcluded(t *testing.T) {
	m := memfs.New(memfs.Options{})
	m.SetLatency("", 100*time.Microsecond)
	var mu sync.Mutex
	busy := map[string]int{}
	overlap := false
	m.OnCall(func(op memfs.Op, name string) {
		switch op {
		case memfs.OpMkdir, memfs.OpRmdir, memfs.OpLookup, memfs.OpAtomicOpen:
			mu.Lock()
			busy[name]++
			if busy[name] > 1 {
				overlap = true
			}
			mu.Unlock()
			time.Sleep(50 * time.Microsecond)
			mu.Lock()
			busy[name]--
			mu.Unlock()
		}
	})
	f, err := vfs.New(bg, m.Driver(), &vfs.Options{CheckInvariants: true, TTL: time.Millisecond})
	must(t, err)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				switch (g + i) % 3 {
				case 0:
					f.Mkdir(bg, "x", 0o755)
				case 1:
					f.Remove(bg, "x")
				default:
					f.Getattr(bg, "x")
				}
			}
		}()
	}
	wg.Wait()
	if overlap {
		t.Fatal("two driver calls on one name overlapped")
	}
}

// TestD1_RmdirWaitsAndRefuses: new names in a directory being removed wait
// for the outcome (ENOENT once it is gone, or go ahead if the removal
// failed); a create already in flight is ordered by the server.
func TestD1_RmdirWaitsAndRefuses(t *testing.T) {
	f, m := mount(t, memfs.Options{}, nil)
	must(t, f.Mkdir(bg, "d", 0o755))
	m.SetLatency(memfs.OpAtomicOpen, 50*time.Millisecond)
	started := make(chan struct{}, 1)
	m.OnCall(func(op memfs.Op, name string) {
		if op == memfs.OpAtomicOpen && name == "slow" {
			started <- struct{}{}
		}
	})
	createDone := make(chan error, 1)
	go func() {
		fl, err := f.OpenFile(bg, "d/slow", os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fl.Close()
		}
		createDone <- err
	}()
	<-started
	// The create is on the wire (sleeping in the driver): the server orders
	// it against the rmdir. Either the rmdir wins and the create fails, or
	// the create wins and the rmdir finds the directory not empty.
	err := f.Remove(bg, "d")
	cerr := <-createDone
	switch {
	case err == nil && errors.Is(cerr, syscall.ENOENT):
	case errors.Is(err, syscall.ENOTEMPTY) && cerr == nil:
		must(t, f.Remove(bg, "d/slow"))
		must(t, f.Remove(bg, "d"))
	default:
		t.Fatalf("rmdir: %v, create: %v; want one of them to win", err, cerr)
	}
	_, err = f.OpenFile(bg, "d/late", os.O_CREATE|os.O_WRONLY, 0o644)
	wantErrno(t, err, syscall.ENOENT)

	// A new name waits while the removal is on the wire, and goes ahead
	// when it fails.
	must(t, f.MkdirAll(bg, "e/full", 0o755))
	m.SetLatency(memfs.OpRmdir, 50*time.Millisecond)
	rmDone := make(chan error, 1)
	go func() { rmDone <- f.Remove(bg, "e") }()
	time.Sleep(10 * time.Millisecond)
	fl, err := f.OpenFile(bg, "e/new", os.O_CREATE|os.O_WRONLY, 0o644)
	must(t, err)
	fl.Close()
	wantErrno(t, <-rmDone, syscall.ENOTEMPTY)
}

// TestD1_RenameAndRmdirNoDeadlock: a rename inside a directory onto the
// directory's own name, racing an rmdir of that directory, both finish.
func TestD1_RenameAndRmdirNoDeadlock(t *testing.T) {
	f, m := mount(t, memfs.Options{}, nil)
	must(t, f.MkdirAll(bg, "b/v", 0o755))
	must(t, f.WriteFile(bg, "b/v/f", nil, 0o644))
	m.SetLatency("", time.Millisecond)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); f.Rename(bg, "b/v/f", "b/v") }()
		go func() { defer wg.Done(); f.Remove(bg, "b/v") }()
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("rename and rmdir deadlocked")
	}
	must(t, f.CheckInvariants())
}

// TestV4_EvictionWhenAllInUse: with every cached entry in use, adding more
// neither recurses nor evicts what is open.
func TestV4_EvictionWhenAllInUse(t *testing.T) {
	f, _ := mount(t, memfs.Options{}, &vfs.Options{MaxDentries: 1, Policy: vfs.PolicyExclusive})
	var files []*vfs.File
	for i := 0; i < 3; i++ {
		fl, err := f.OpenFile(bg, fmt.Sprintf("f%d", i), os.O_CREATE|os.O_RDWR, 0o644)
		must(t, err)
		files = append(files, fl)
	}
	for _, fl := range files {
		must(t, fl.Close())
	}
}

// TestD2_UnlinkLeavesNegativeOrKeepsOpenFile: unlink of an unopened name
// leaves a negative entry (no lookup afterwards); an open file lives on
// after its name is gone.
func TestD2_UnlinkLeavesNegativeOrKeepsOpenFile(t *testing.T) {
	f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
	must(t, f.WriteFile(bg, "a", []byte("A"), 0o644))
	must(t, f.Remove(bg, "a"))
	m.ResetCalls()
	_, err := f.Getattr(bg, "a")
	wantErrno(t, err, syscall.ENOENT)
	if n := m.Calls(""); n != 0 {
		t.Fatalf("%d driver calls after unlink: want a negative entry", n)
	}
	must(t, f.WriteFile(bg, "b", []byte("B"), 0o644))
	fl, err := f.OpenFile(bg, "b", os.O_RDWR, 0)
	must(t, err)
	must(t, f.Remove(bg, "b"))
	_, err = f.Getattr(bg, "b")
	wantErrno(t, err, syscall.ENOENT)
	if _, err := fl.WriteAt([]byte("b2"), 1); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := fl.ReadAt(buf, 0); err != nil || string(buf) != "Bb2" {
		t.Fatalf("read %q, %v from an unlinked open file", buf, err)
	}
	must(t, fl.Close())
	must(t, f.CheckInvariants())
}

// TestD3_RenameNoDeadlock: renames crossing each other in opposite
// directions between two directories all finish (global lock order).
func TestD3_RenameNoDeadlock(t *testing.T) {
	f, m := mount(t, memfs.Options{}, nil)
	m.SetLatency(memfs.OpRename, 100*time.Microsecond)
	must(t, f.Mkdir(bg, "p", 0o755))
	must(t, f.Mkdir(bg, "q", 0o755))
	for i := 0; i < 4; i++ {
		must(t, f.WriteFile(bg, fmt.Sprintf("p/%d", i), nil, 0o644))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 100; i++ {
					n := fmt.Sprint((g + i) % 4)
					if g%2 == 0 {
						f.Rename(bg, "p/"+n, "q/"+n)
					} else {
						f.Rename(bg, "q/"+n, "p/"+n)
					}
					f.Rename2(bg, "p", "q", vfs.RenameExchange)
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("renames deadlocked")
	}
	must(t, f.CheckInvariants())
	n := 0
	for _, d := range []string{"p", "q"} {
		ents, err := f.ReadDir(bg, d)
		must(t, err)
		n += len(ents)
	}
	if n != 4 {
		t.Fatalf("%d files after the renames, want 4", n)
	}
}

// TestD3_RenameRules: directory into itself, flags, errors (and D4).
func TestD3_RenameRules(t *testing.T) {
	for _, mo := range []memfs.Options{{}, {NoAtomicOpen: true, NoWalk: true, NoIdentity: true}} {
		f, _ := mount(t, mo, nil)
		must(t, f.MkdirAll(bg, "a/b/c", 0o755))
		must(t, f.MkdirAll(bg, "e/full", 0o755))
		must(t, f.WriteFile(bg, "file", nil, 0o644))
		must(t, f.WriteFile(bg, "file2", nil, 0o644))
		cases := []struct {
			old, new string
			flags    uint32
			want     syscall.Errno
		}{
			{"a", "a/b/c/a", 0, syscall.EINVAL},
			{"a/b", "a/b/c/x", 0, syscall.EINVAL},
			{"a/b/c", "a", 0, syscall.ENOTEMPTY},
			{"a", "e", 0, syscall.ENOTEMPTY},
			{"file", "e", 0, syscall.EISDIR},
			{"e", "file", 0, syscall.ENOTDIR},
			{"file", "file2", vfs.RenameNoReplace, syscall.EEXIST},
			{"file", "none", vfs.RenameExchange, syscall.ENOENT},
			{"none", "x", 0, syscall.ENOENT},
			{"/", "x", 0, syscall.EBUSY},
			{"a/.", "x", 0, syscall.EBUSY},
			{"file", "x", vfs.RenameNoReplace | vfs.RenameExchange, syscall.EINVAL},
		}
		for _, c := range cases {
			err := f.Rename2(bg, c.old, c.new, c.flags)
			if !errors.Is(err, c.want) {
				t.Errorf("rename(%q, %q, %d) = %v, want %v", c.old, c.new, c.flags, err, c.want)
			}
			var le *os.LinkError
			if err != nil && !errors.As(err, &le) {
				t.Errorf("rename error %T is not an *os.LinkError (E1)", err)
			}
		}
		must(t, f.Rename(bg, "file", "file")) // onto itself
		must(t, f.Rename2(bg, "a", "e", vfs.RenameExchange))
		if _, err := f.Getattr(bg, "e/b/c"); err != nil || !isDir(f, "a/full") {
			t.Fatal("exchange did not swap:", err)
		}
		must(t, f.CheckInvariants())
	}
}

// TestD4_DriverErrorsPassThrough: errors only the server knows (EXDEV, a
// full disk) reach the caller unchanged.
func TestD4_DriverErrorsPassThrough(t *testing.T) {
	f, m := mount(t, memfs.Options{}, nil)
	must(t, f.WriteFile(bg, "a", nil, 0o644))
	m.InjectFault(memfs.OpRename, "", 1, syscall.EXDEV)
	wantErrno(t, f.Rename(bg, "a", "b"), syscall.EXDEV)
	m.InjectFault(memfs.OpMkdir, "", 1, syscall.ENOSPC)
	wantErrno(t, f.Mkdir(bg, "m", 0o755), syscall.ENOSPC)
	must(t, f.Rename(bg, "a", "b"))
	must(t, f.Mkdir(bg, "m", 0o755))
	wantErrno(t, f.Remove(bg, "/"), syscall.EBUSY)
}

func isDir(f *vfs.FS, p string) bool {
	a, err := f.Getattr(bg, p)
	return err == nil && a.IsDir()
}
