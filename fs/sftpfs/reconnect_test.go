package sftpfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// connectionError reports whether err is what a call in flight on a cut
// connection may return (rule E1: ENOTCONN or EIO with the cause, never a
// hang).
func connectionError(err error) bool {
	return errors.Is(err, syscall.ENOTCONN) || errors.Is(err, syscall.EIO)
}

func TestReconnectAfterKillConnectionsMidWorkload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "content")
	var (
		stop                  atomic.Bool
		killed                atomic.Bool
		okAfterKill, failures atomic.Int64
		slowest               atomic.Int64
		wg                    sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				start := time.Now()
				err := workloadStep(e, root, w, i)
				if d := time.Since(start); int64(d) > slowest.Load() {
					slowest.Store(int64(d))
				}
				switch {
				case err == nil && killed.Load():
					okAfterKill.Add(1)
				case err != nil && !connectionError(err):
					t.Errorf("worker %d: unexpected error %v", w, err)
				case err != nil:
					failures.Add(1)
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	e.srv.KillConnections()
	killed.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for okAfterKill.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if okAfterKill.Load() < 20 {
		t.Fatalf("only %d operations succeeded after the connection was cut", okAfterKill.Load())
	}
	if d := time.Duration(slowest.Load()); d > 5*time.Second {
		t.Errorf("slowest operation took %v: calls on a cut connection must fail promptly", d)
	}
	if e.fs.dials.Load() == 0 {
		t.Error("no redial recorded")
	}
	t.Logf("%d calls failed with a connection error, %d succeeded after the cut", failures.Load(), okAfterKill.Load())
}

// workloadStep is one mixed operation of worker w.
func workloadStep(e *env, root vfs.Node, w, i int) error {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name := fmt.Sprintf("w%d-%d", w, i%3)
	switch i % 4 {
	case 0:
		_, _, err := e.fs.Lookup(c, root, "f")
		return err
	case 1:
		res, err := e.fs.AtomicOpen(c, root, name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		if res.Handle == nil {
			return fmt.Errorf("%s not opened", name)
		}
		defer res.Handle.Release(c)
		_, err = res.Handle.WriteAt(c, []byte(name), 0)
		return err
	case 2:
		return e.fs.ReadDir(c, root, func(vfs.DirEntry) bool { return true })
	default:
		err := e.fs.Unlink(c, root, name)
		if errors.Is(err, syscall.ENOENT) {
			return nil
		}
		return err
	}
}

func TestOpenHandleIsReopenedAfterReconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeLocal("f", "")
	f, _ := e.lookup("f")
	h, err := e.fs.Open(ctx(t), f, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	if _, err := h.WriteAt(ctx(t), []byte("before;"), 0); err != nil {
		t.Fatal(err)
	}
	// Flushed: no write is lost with the cut, so the handle may be
	// reopened (writeback.go).
	if err := h.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	e.srv.KillConnections()
	// Let the driver see the cut and reconnect first: a write sent on the
	// dying connection would be lost with it, and would rightly fail the
	// handle for good (writeback.go).
	if err := eventually(10*time.Second, func() error {
		_, err := e.fs.Getattr(ctx(t), f)
		return err
	}); err != nil {
		t.Fatalf("no reconnect after the cut: %v", err)
	}
	err = eventually(10*time.Second, func() error {
		_, err := h.WriteAt(ctx(t), []byte("after;"), 7)
		if err == nil {
			err = h.Flush(ctx(t))
		}
		if err != nil && !connectionError(err) {
			t.Fatalf("write after the cut: %v", err)
		}
		return err
	})
	if err != nil {
		t.Fatalf("the handle never worked again: %v", err)
	}
	buf := make([]byte, 64)
	n, _ := h.ReadAt(ctx(t), buf, 0)
	if got := string(buf[:n]); got != "before;after;" {
		t.Errorf("read back %q", got)
	}
	if got := e.readLocal("f"); got != "before;after;" {
		t.Errorf("server has %q", got)
	}
}

func TestRenamedHandleFollowsItsFileAfterReconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.rootNode()
	e.writeLocal("old", "x")
	f, _ := e.lookup("old")
	h, err := e.fs.Open(ctx(t), f, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	if err := e.fs.Rename(ctx(t), root, "old", root, "new", 0); err != nil {
		t.Fatal(err)
	}
	e.fs.Moved(f, root, "new")
	e.srv.KillConnections()
	if err := eventually(10*time.Second, func() error { // see above
		_, err := e.fs.Getattr(ctx(t), f)
		return err
	}); err != nil {
		t.Fatalf("no reconnect after the cut: %v", err)
	}
	err = eventually(10*time.Second, func() error {
		_, err := h.WriteAt(ctx(t), []byte("y"), 1)
		if err == nil {
			err = h.Flush(ctx(t))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("new"); got != "xy" {
		t.Errorf("new = %q, want %q", got, "xy")
	}
	if _, err := os.Lstat(e.local("old")); !os.IsNotExist(err) {
		t.Errorf("the reopen recreated old: %v", err)
	}
}

func TestUnlinkedHandleIsNotReopenedByName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "mine")
	f, _ := e.lookup("f")
	h, err := e.fs.Open(ctx(t), f, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	if err := e.fs.Unlink(ctx(t), root, "f"); err != nil {
		t.Fatal(err)
	}
	e.writeLocal("f", "someone else's") // a new file under the old name
	e.srv.KillConnections()
	// Once a call works again, the old connection is known dead: a write
	// cannot be queued on it (and be lost with it) any more.
	if err := eventually(10*time.Second, func() error {
		_, _, err := e.fs.Lookup(ctx(t), root, "f")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, err = h.WriteAt(ctx(t), []byte("oops"), 0)
	wantErrno(t, "write to an unlinked file after reconnect", err, syscall.EIO)
	if got := e.readLocal("f"); got != "someone else's" {
		t.Errorf("the new file under the old name was written: %q", got)
	}
}

func TestAcknowledgedWritesSurviveACut(t *testing.T) {
	t.Parallel()
	var writesSent atomic.Int32
	var cut sync.Once
	var e *env
	e = newEnv(t, func(o *Options) {
		inner := o.trace
		o.trace = func(ev traceEvent) {
			inner(ev)
			// Cut the connection while writes are on the wire.
			if ev.send && ev.typ == fxpWrite && writesSent.Add(1) == 30 {
				cut.Do(func() { go e.srv.KillConnections() })
			}
		}
	})
	e.writeLocal("f", "")
	f, _ := e.lookup("f")
	h, err := e.fs.Open(ctx(t), f, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	const block, blocks = 512 << 10, 24
	pattern := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, block) }
	// A block is acknowledged when its write and the flush after it
	// succeeded (writes are sent behind, writeback.go).
	var acked []int
	for i := 0; i < blocks; i++ {
		_, err := h.WriteAt(ctx(t), pattern(i), int64(i)*block)
		if err == nil {
			err = h.Flush(ctx(t))
		}
		if err == nil {
			acked = append(acked, i)
		} else if !connectionError(err) {
			t.Fatalf("block %d: %v", i, err)
		}
	}
	// The next call redials.
	if err := eventually(10*time.Second, func() error {
		_, err := e.fs.Getattr(ctx(t), f)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(e.local("f"))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range acked {
		if end := (i + 1) * block; end > len(got) || !bytes.Equal(got[i*block:end], pattern(i)) {
			t.Fatalf("acknowledged block %d is not on the server", i)
		}
	}
	if e.fs.dials.Load() == 0 {
		t.Error("the connection was never cut and redialed")
	}
	t.Logf("%d of %d blocks acknowledged", len(acked), blocks)
}

// A call waiting for a reply fails with ENOTCONN as soon as the connection
// is cut, not when its timeout expires.
func TestInFlightCallFailsWhenConnectionIsCut(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.KeepaliveInterval = -1 })
	root := e.rootNode()
	resume := e.srv.SuspendConnections()
	t.Cleanup(resume)
	errc := make(chan error, 1)
	go func() {
		_, _, err := e.fs.Lookup(context.Background(), root, "x")
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond) // the LSTAT is on the wire, unanswered
	start := time.Now()
	e.srv.KillConnections()
	select {
	case err := <-errc:
		wantErrno(t, "in-flight Lookup on a cut connection", err, syscall.ENOTCONN)
	case <-time.After(promptly):
		t.Fatal("the in-flight call did not fail after the connection was cut")
	}
	t.Logf("failed %v after the cut", time.Since(start))
}

func TestRestartedServerIsRedialed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.rootNode()
	e.writeLocal("f", "")
	e.srv.Stop()
	start := time.Now()
	_, _, err := e.fs.Lookup(ctx(t), root, "f")
	if !errors.Is(err, syscall.ENOTCONN) {
		t.Fatalf("Lookup with the server down = %v, want ENOTCONN", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing took %v", d)
	}
	if err := e.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	err = eventually(10*time.Second, func() error {
		_, _, err := e.fs.Lookup(ctx(t), root, "f")
		return err
	})
	if err != nil {
		t.Fatalf("Lookup after Restart: %v", err)
	}
}

func TestClosedFSFailsPromptly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.rootNode()
	e.fs.Close()
	_, _, err := e.fs.Lookup(ctx(t), root, "x")
	wantErrno(t, "Lookup after Close", err, syscall.ENOTCONN)
}
