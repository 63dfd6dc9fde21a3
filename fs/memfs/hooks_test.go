package memfs

// Tests of the test bench: call counters, OnCall, latency (slept outside
// every lock so parallel calls overlap, rule L2) and fault injection.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// callEveryOp makes exactly one call of every Op.
func callEveryOp(t *testing.T, m *FS, root vfs.Node) {
	t.Helper()
	d, _, err := m.Mkdir(bg, root, "d", 0o755)
	must(t, "mkdir", err)
	_, _, err = m.Lookup(bg, root, "d")
	must(t, "lookup", err)
	_, err = m.Getattr(bg, d)
	must(t, "getattr", err)
	_, err = m.Setattr(bg, d, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o700})
	must(t, "setattr", err)
	l, _, err := m.Symlink(bg, root, "l", "d")
	must(t, "symlink", err)
	_, err = m.Readlink(bg, l)
	must(t, "readlink", err)
	f, _, h, err := m.Create(bg, root, "f", syscall.O_RDWR, 0o644)
	must(t, "create", err)
	_, err = h.WriteAt(bg, []byte("x"), 0)
	must(t, "write", err)
	_, err = h.ReadAt(bg, make([]byte, 1), 0)
	must(t, "read", err)
	must(t, "flush", h.Flush(bg))
	must(t, "fsync", h.Fsync(bg, false))
	must(t, "allocate", h.(vfs.Allocator).Allocate(bg, 0, 10, 0))
	must(t, "release", h.Release(bg))
	h, err = m.Open(bg, f, syscall.O_RDONLY)
	must(t, "open", err)
	h.Release(bg)
	res, err := m.AtomicOpen(bg, root, "f", syscall.O_RDONLY, 0)
	must(t, "atomicopen", err)
	res.Handle.Release(bg)
	_, _, err = m.Mknod(bg, root, "p", vfs.S_IFIFO|0o644, 0)
	must(t, "mknod", err)
	_, err = m.Link(bg, f, root, "f2")
	must(t, "link", err)
	must(t, "unlink", m.Unlink(bg, root, "f2"))
	must(t, "rename", m.Rename(bg, root, "p", root, "p2", 0))
	must(t, "rmdir", m.Rmdir(bg, root, "d"))
	must(t, "readdir", m.ReadDir(bg, root, func(vfs.DirEntry) bool { return true }))
	_, err = m.Statfs(bg, root)
	must(t, "statfs", err)
	_, err = m.Walk(bg, root, []string{"f"})
	must(t, "walk", err)
	_, _, err = m.Revalidate(bg, f, vfs.Attr{})
	must(t, "revalidate", err)
	must(t, "setxattr", m.SetXattr(bg, f, "user.a", nil, 0))
	_, err = m.GetXattr(bg, f, "user.a")
	must(t, "getxattr", err)
	_, err = m.ListXattr(bg, f)
	must(t, "listxattr", err)
	must(t, "removexattr", m.RemoveXattr(bg, f, "user.a"))
}

func TestCallsCountEveryOperationOnce(t *testing.T) {
	m, root := setup(t, Options{})
	callEveryOp(t, m, root)
	// Release is called three times above, every other op once.
	for _, op := range allOps {
		want := int64(1)
		if op == OpRelease {
			want = 3
		}
		if got := m.Calls(op); got != want {
			t.Errorf("Calls(%s) = %d, want %d", op, got, want)
		}
	}
	if got := m.Calls(""); got != int64(numOps)+2 {
		t.Errorf("Calls(\"\") = %d, want %d", got, numOps+2)
	}
	must(t, "remote", m.Remote().WriteFile("r", []byte("x"), 0o644))
	if _, err := m.Remote().Stat("r"); err != nil || m.Calls("") != int64(numOps)+2 {
		t.Errorf("Remote calls were counted")
	}
	m.ResetCalls()
	if got := m.Calls(""); got != 0 {
		t.Errorf("after ResetCalls: %d", got)
	}
}

func TestOpTableIsConsistent(t *testing.T) {
	seen := map[Op]bool{}
	for i, op := range allOps {
		if op.index() != opIndex(i) || seen[op] || op == "" {
			t.Errorf("allOps[%d] = %q is misplaced or repeated", i, op)
		}
		seen[op] = true
	}
	defer func() {
		if recover() == nil {
			t.Errorf("an unknown Op did not panic")
		}
	}()
	New(Options{}).Calls("bogus")
}

func TestOnCallSeesOpsAndNames(t *testing.T) {
	m, root := setup(t, Options{})
	createFile(t, m, root, "a", "")
	mkdir(t, m, root, "dir")
	var mu sync.Mutex
	var got []string
	m.OnCall(func(op Op, name string) {
		mu.Lock()
		got = append(got, string(op)+":"+name)
		mu.Unlock()
	})
	m.Lookup(bg, root, "a")
	m.Getattr(bg, root)
	m.Rename(bg, root, "a", root, "b", 0)
	m.Walk(bg, root, []string{"dir", "x"})
	m.GetXattr(bg, root, "user.k")
	m.OnCall(nil)
	m.Lookup(bg, root, "b")
	want := []string{"lookup:a", "getattr:", "rename:a", "rename:->b", "walk:dir", "walk:x", "getxattr:user.k"}
	if !slices.Equal(got, want) {
		t.Errorf("OnCall saw %q\nwant        %q", got, want)
	}
}

// probeCtx records how many calls reached the latency sleep: the sleep is
// the only place a call asks for ctx.Done().
type probeCtx struct {
	context.Context
	sleeping *atomic.Int32
}

func (c probeCtx) Done() <-chan struct{} {
	c.sleeping.Add(1)
	return c.Context.Done()
}

// Rule L2: latency is slept before any lock, so 64 parallel calls, even of
// operations that change names, all sleep at once; and a call that takes
// FS.mu exclusively runs while they sleep. Overlap is counted, never timed:
// the latency is an hour and the calls end by cancellation.
func TestL2_LatencyOverlapsAcrossParallelCalls(t *testing.T) {
	const parallel = 64
	for _, op := range []Op{OpLookup, OpMkdir, OpRename} {
		t.Run(string(op), func(t *testing.T) {
			m, root := setup(t, Options{})
			for i := range parallel {
				createFile(t, m, root, fmt.Sprint("f", i), "")
			}
			m.SetLatency(op, time.Hour)
			ctx, cancel := context.WithCancel(bg)
			defer cancel()
			var sleeping atomic.Int32
			pctx := probeCtx{ctx, &sleeping}
			errs := make(chan error, parallel)
			for i := range parallel {
				go func() {
					var err error
					switch op {
					case OpLookup:
						_, _, err = m.Lookup(pctx, root, fmt.Sprint("f", i))
					case OpMkdir:
						_, _, err = m.Mkdir(pctx, root, fmt.Sprint("d", i), 0o755)
					case OpRename:
						err = m.Rename(pctx, root, fmt.Sprint("f", i), root, fmt.Sprint("g", i), 0)
					}
					errs <- err
				}()
			}
			waitFor(t, func() bool { return sleeping.Load() == parallel }, "all calls sleeping at once")
			// FS.mu is free while they sleep: an exclusive call goes through.
			done := make(chan error, 1)
			go func() { _, _, err := m.Symlink(bg, root, "probe", "x"); done <- err }()
			select {
			case err := <-done:
				must(t, "Symlink during the sleeps", err)
			case <-time.After(10 * time.Second):
				t.Fatalf("an exclusive call blocked behind sleeping calls")
			}
			if n := sleeping.Load(); n != parallel {
				t.Fatalf("%d calls sleeping after the probe, want %d", n, parallel)
			}
			cancel()
			for range parallel {
				if err := <-errs; !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled call returned %v", err)
				}
			}
			// Cancelled calls did nothing.
			if got := names(t, m, root); len(got) != parallel+1 {
				t.Errorf("cancelled calls changed the tree: %d entries", len(got))
			}
		})
	}
}

// waitFor polls cond; failing after 10 s is a hang detector, not a timing
// assertion.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSetLatencyForEveryOpAndDeadline(t *testing.T) {
	m, root := setup(t, Options{})
	m.SetLatency("", time.Hour)
	m.SetLatency(OpStatfs, 0)
	for i := range m.hooks.latency {
		want := time.Hour
		if allOps[i] == OpStatfs {
			want = 0
		}
		if got := time.Duration(m.hooks.latency[i].Load()); got != want {
			t.Errorf("latency of %s = %v, want %v", allOps[i], got, want)
		}
	}
	_, err := m.Statfs(bg, root)
	must(t, "Statfs without latency", err)
	ctx, cancel := context.WithTimeout(bg, 5*time.Millisecond)
	defer cancel()
	_, err = m.Getattr(ctx, root)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Getattr past its deadline returned %v", err)
	}
	cancelled, cancel2 := context.WithCancel(bg)
	cancel2()
	m.SetLatency("", 0)
	_, err = m.Statfs(cancelled, root)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("call with a cancelled context returned %v", err)
	}
	_, _, err = m.Root(cancelled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Root with a cancelled context returned %v", err)
	}
}

func TestInjectFault(t *testing.T) {
	m, root := setup(t, Options{})
	createFile(t, m, root, "x", "")
	createFile(t, m, root, "y", "")
	m.InjectFault(OpLookup, "x", 2, syscall.EIO)
	_, _, err := m.Lookup(bg, root, "y")
	must(t, "Lookup of another name", err)
	for i := range 2 {
		_, _, err = m.Lookup(bg, root, "x")
		wantErrno(t, fmt.Sprint("faulted Lookup ", i), err, syscall.EIO)
	}
	_, _, err = m.Lookup(bg, root, "x")
	must(t, "Lookup after the faults", err)

	// A faulted call changes nothing.
	m.InjectFault(OpMkdir, "", 1, syscall.ENOSPC)
	_, _, err = m.Mkdir(bg, root, "d", 0o755)
	wantErrno(t, "faulted Mkdir", err, syscall.ENOSPC)
	_, _, err = m.Lookup(bg, root, "d")
	wantErrno(t, "Lookup after faulted Mkdir", err, syscall.ENOENT)

	// Rename matches either name; walk any of its names.
	m.InjectFault(OpRename, "z", 1, syscall.EXDEV)
	wantErrno(t, "faulted Rename", m.Rename(bg, root, "y", root, "z", 0), syscall.EXDEV)
	m.InjectFault(OpWalk, "y", 1, syscall.EIO)
	_, err = m.Walk(bg, root, []string{"a", "y"})
	wantErrno(t, "faulted Walk", err, syscall.EIO)

	// Op "" means any operation; faults are consumed in order.
	m.InjectFault("", "", 1, syscall.ETIMEDOUT)
	m.InjectFault(OpGetattr, "", 1, syscall.EIO)
	_, err = m.Getattr(bg, root)
	wantErrno(t, "first fault", err, syscall.ETIMEDOUT)
	_, err = m.Getattr(bg, root)
	wantErrno(t, "second fault", err, syscall.EIO)

	// n <= 0 cancels.
	m.InjectFault(OpStatfs, "", 5, syscall.EIO)
	m.InjectFault(OpStatfs, "", 0, nil)
	_, err = m.Statfs(bg, root)
	must(t, "Statfs after cancelled faults", err)

	// A faulted Release still releases: the unlinked file then dies.
	f, _, h, err := m.Create(bg, root, "open", syscall.O_RDWR, 0o644)
	must(t, "Create", err)
	must(t, "Unlink", m.Unlink(bg, root, "open"))
	m.InjectFault(OpRelease, "", 1, syscall.EIO)
	wantErrno(t, "faulted Release", h.Release(bg), syscall.EIO)
	_, err = m.Getattr(bg, f)
	wantErrno(t, "Getattr after faulted Release", err, syscall.ESTALE)
	if m.hooks.pending.Load() != 0 {
		t.Errorf("%d faults left pending", m.hooks.pending.Load())
	}
}
