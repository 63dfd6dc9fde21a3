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

// TestD1_RmdirWaitsAndRefuses: a directory being removed takes no new names
// (ENOENT) and rmdir waits for the names in flight inside it.
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
	err := f.Remove(bg, "d") // waits for the create, then finds d not empty
	must(t, <-createDone)
	wantErrno(t, err, syscall.ENOTEMPTY)
	must(t, f.Remove(bg, "d/slow"))
	must(t, f.Remove(bg, "d"))
	_, err = f.OpenFile(bg, "d/late", os.O_CREATE|os.O_WRONLY, 0o644)
	wantErrno(t, err, syscall.ENOENT)
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
