package sftpfs

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// promptly bounds how long a call may take to return once its context is
// done (generous for a loaded CI machine; a hang would take forever).
const promptly = 2 * time.Second

func TestCtxCancellationOnStalledServerReturnsPromptly(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.KeepaliveInterval = -1 })
	root := e.rootNode()
	e.writeLocal("f", "")
	f, _ := e.lookup("f")
	h, err := e.fs.Open(ctx(t), f, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	resume := e.srv.SuspendConnections()
	t.Cleanup(resume)

	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = e.fs.Lookup(c, root, "f")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > promptly {
		t.Fatalf("Lookup on a stalled server = %v after %v; want DeadlineExceeded promptly", err, time.Since(start))
	}

	// A large write fills the SSH window and then the send queue: the call
	// must still return when its ctx is cancelled.
	c2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel2() }()
	start = time.Now()
	_, err = h.WriteAt(c2, make([]byte, 16<<20), 0)
	if !errors.Is(err, context.Canceled) || time.Since(start) > promptly+300*time.Millisecond {
		t.Fatalf("WriteAt on a stalled server = %v after %v; want Canceled promptly", err, time.Since(start))
	}

	// The server wakes up: the same connection works again.
	resume()
	dials := e.fs.dials.Load()
	if _, _, err := e.fs.Lookup(ctx(t), root, "f"); err != nil {
		t.Fatalf("Lookup after resume: %v", err)
	}
	if e.fs.dials.Load() != dials {
		t.Error("the connection was replaced; a stall alone must not drop it")
	}
	if err := h.Release(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

func TestTimeoutOnStalledServerIsETIMEDOUT(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.KeepaliveInterval = -1
		o.Timeout = 500 * time.Millisecond
	})
	root := e.rootNode()
	resume := e.srv.SuspendConnections()
	t.Cleanup(resume)
	start := time.Now()
	_, _, err := e.fs.Lookup(context.Background(), root, "f")
	wantErrno(t, "Lookup on a stalled server", err, syscall.ETIMEDOUT)
	if d := time.Since(start); d > promptly {
		t.Errorf("timed out after %v", d)
	}
}

func TestKeepaliveDetectsDeadPeerAndRedials(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.KeepaliveInterval = 100 * time.Millisecond
		o.KeepaliveCountMax = 2
	})
	root := e.rootNode()
	e.writeLocal("f", "")
	resume := e.srv.SuspendConnections() // the old connection stays stalled
	t.Cleanup(resume)
	// Without keepalives this would wait for Options.Timeout (10s); the
	// dead peer is detected and the call goes out on a new connection.
	start := time.Now()
	err := eventually(5*time.Second, func() error {
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _, err := e.fs.Lookup(c, root, "f")
		return err
	})
	if err != nil {
		t.Fatalf("Lookup never succeeded on a new connection: %v", err)
	}
	if e.fs.dials.Load() == 0 {
		t.Error("no redial: the stalled connection was not detected as dead")
	}
	t.Logf("recovered after %v", time.Since(start))
}
