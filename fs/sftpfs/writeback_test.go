package sftpfs

// Write-behind (writeback.go): what is sent when, what waits for which
// reply, and where a failure surfaces. A suspended server (SIGSTOP) makes
// the order deterministic: it answers nothing meanwhile, so a call that
// returns while it is stopped waited for no reply, and requests recorded
// meanwhile were all sent before any reply.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

func noKeepalive(o *Options) { o.KeepaliveInterval = -1 }

// openFile creates name (empty) on the server and opens it.
func (e *env) openFile(name string, flags int) (vfs.Node, vfs.Handle) {
	e.t.Helper()
	e.writeLocal(name, "")
	f, _ := e.lookup(name)
	h, err := e.fs.Open(ctx(e.t), f, flags)
	if err != nil {
		e.t.Fatal(err)
	}
	return f, h
}

// quick is a ctx for a call that must not wait for the (stalled) server.
func quick(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), promptly)
	t.Cleanup(cancel)
	return c
}

// result waits for a call started in a goroutine.
func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the call never returned")
		return nil
	}
}

func TestWriteBehindSendsEveryWriteBeforeAnyReply(t *testing.T) {
	e := newEnv(t, noKeepalive)
	_, h := e.openFile("f", os.O_RDWR)
	defer h.Release(ctx(t))
	resume := e.srv.SuspendConnections()
	t.Cleanup(resume)

	e.rec.start()
	const n = 16
	var want strings.Builder
	for i := range n {
		s := fmt.Sprintf("%04d", i)
		want.WriteString(s)
		if k, err := h.WriteAt(quick(t), []byte(s), int64(4*i)); err != nil || k != 4 {
			t.Fatalf("write %d on a stalled server = %d, %v; want it sent without waiting", i, k, err)
		}
	}
	events := e.rec.stop()
	if got := sent(events); len(got) != n || strings.Join(got, " ") != strings.TrimSpace(strings.Repeat("WRITE ", n)) {
		t.Errorf("sent %v, want %d WRITEs", got, n)
	}
	resume()
	if err := h.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("f"); got != want.String() {
		t.Errorf("server has %q after Flush, want %q", got, want.String())
	}
}

// A WRITE the server refuses (here: past the largest file offset, EFBIG
// on the server) fails the Flush after it, once; the WRITEs around it
// are applied.
func TestWriteFailureSurfacesAtFlushOnce(t *testing.T) {
	e := newEnv(t, noKeepalive)
	_, h := e.openFile("f", os.O_RDWR)
	resume := e.srv.SuspendConnections()
	t.Cleanup(resume)
	for _, w := range []struct {
		data string
		off  int64
	}{{"a", 0}, {"bad", math.MaxInt64}, {"c", 1}} {
		if _, err := h.WriteAt(quick(t), []byte(w.data), w.off); err != nil {
			t.Fatalf("WriteAt(%q) on a stalled server: %v", w.data, err)
		}
	}
	resume()
	err := h.Flush(ctx(t))
	var errno syscall.Errno
	if err == nil || !errors.As(err, &errno) {
		t.Fatalf("Flush after a refused WRITE = %v, want an errno", err)
	}
	t.Logf("Flush: %v", err)
	if err := h.Flush(ctx(t)); err != nil {
		t.Errorf("second Flush = %v: the failure is reported once", err)
	}
	if err := h.Release(ctx(t)); err != nil {
		t.Errorf("Release = %v", err)
	}
	if got := e.readLocal("f"); got != "ac" {
		t.Errorf("server has %q, want the WRITEs around the failed one", got)
	}
}

// The next WriteAt returns a failure already known, and sends nothing.
func TestWriteFailureReturnedByNextWrite(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	_, h := e.openFile("f", os.O_RDWR)
	defer h.Release(ctx(t))
	if _, err := h.WriteAt(ctx(t), []byte("bad"), math.MaxInt64); err != nil {
		t.Fatalf("WriteAt = %v; the failure comes with a later call", err)
	}
	if err := h.(*fileHandle).wb.drain(ctx(t)); err != nil { // its reply is in
		t.Fatal(err)
	}
	e.rec.start()
	_, err := h.WriteAt(ctx(t), []byte("x"), 0)
	events := e.rec.stop()
	var errno syscall.Errno
	if err == nil || !errors.As(err, &errno) {
		t.Fatalf("WriteAt after a refused WRITE = %v, want its errno", err)
	}
	if len(sent(events)) != 0 {
		t.Errorf("the failing WriteAt sent %v", sent(events))
	}
	if err := h.Flush(ctx(t)); err != nil {
		t.Errorf("Flush = %v: the failure was reported by the write", err)
	}
	if _, err := h.WriteAt(ctx(t), []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("f"); got != "y" {
		t.Errorf("server has %q", got)
	}
}

// Setattr, ReadAt, Fsync and Release through a handle with a WRITE
// outstanding send their requests behind it at once (no round trip of
// their own) and return after it is acknowledged.
func TestCallsOnAHandleGoBehindItsWrites(t *testing.T) {
	e := newEnv(t, noKeepalive)
	mtime := time.Unix(1_600_000_000, 0)
	cases := []struct {
		name string
		want string // requests sent, the WRITE first
		call func(f vfs.Node, h vfs.Handle) error
	}{
		{"setattr", "[WRITE FSETSTAT FSTAT]", func(f vfs.Node, h vfs.Handle) error {
			a, err := e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetAtime | vfs.SetMtime,
				AtimeNs: mtime.UnixNano(), MtimeNs: mtime.UnixNano(), Handle: h})
			if err == nil && (a.Size != 5 || a.MtimeNs != mtime.UnixNano()) {
				err = fmt.Errorf("attributes %+v: want size 5 (after the WRITE) and the new mtime", a)
			}
			return err
		}},
		{"read", "[WRITE READ FSTAT]", func(f vfs.Node, h vfs.Handle) error {
			buf := make([]byte, 64)
			n, err := h.ReadAt(ctx(t), buf, 0)
			if string(buf[:n]) != "hello" {
				return fmt.Errorf("read %q, %v: want the data written", buf[:n], err)
			}
			return nil
		}},
		{"fsync", "[WRITE " + extFsync + "]", func(f vfs.Node, h vfs.Handle) error {
			return h.Fsync(ctx(t), false)
		}},
		{"release", "[WRITE CLOSE]", func(f vfs.Node, h vfs.Handle) error {
			return h.Release(ctx(t))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, h := e.openFile(tc.name, os.O_RDWR)
			if tc.name != "release" {
				defer h.Release(ctx(t))
			}
			resume := e.srv.SuspendConnections()
			defer resume()
			e.rec.start()
			if _, err := h.WriteAt(quick(t), []byte("hello"), 0); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tc.call(f, h) }()
			events := e.rec.waitSent(t, 1+strings.Count(tc.want, " "))
			if got := fmt.Sprint(sent(events)); got != tc.want {
				t.Errorf("sent %s before any reply, want %s", got, tc.want)
			}
			select {
			case err := <-done:
				t.Fatalf("%s returned (%v) before the WRITE was acknowledged", tc.name, err)
			default:
			}
			resume()
			if err := result(t, done); err != nil {
				t.Fatal(err)
			}
			e.rec.stop()
			if got := e.readLocal(tc.name); got != "hello" {
				t.Errorf("server has %q", got)
			}
		})
	}
}

// What a tar extract does per file: open(O_CREAT|O_EXCL), write,
// futimens, fchmod, close. Through FUSE the kernel sends the times and the
// mode as SETATTR by node. The driver waits for three replies: the OPEN's,
// the times' (with the WRITE's) and the mode's; the write, the flush and
// the close wait for none.
func TestTarExtractOfOneFileWaitsThreeTimes(t *testing.T) {
	e := newEnv(t, noKeepalive)
	root := e.rootNode()

	e.rec.start()
	f, _, h, err := e.fs.Create(ctx(t), root, "f", os.O_WRONLY, 0o600)
	events := e.rec.stop()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sent(events)); got != "[OPEN LSTAT]" || roundTrips(events) != 1 {
		t.Errorf("create sent %s in %d round trips, want [OPEN LSTAT] in one", got, roundTrips(events))
	}

	resume := e.srv.SuspendConnections()
	t.Cleanup(resume)
	e.rec.start()
	if _, err := h.WriteAt(quick(t), []byte("data"), 0); err != nil {
		t.Fatalf("write on a stalled server: %v", err)
	}
	mtime := time.Unix(1_600_000_000, 0)
	done := make(chan error, 1)
	go func() {
		_, err := e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetAtime | vfs.SetMtime,
			AtimeNs: mtime.UnixNano(), MtimeNs: mtime.UnixNano()})
		done <- err
	}()
	events = e.rec.waitSent(t, 3)
	if got := fmt.Sprint(sent(events)); got != "[WRITE SETSTAT LSTAT]" {
		t.Errorf("write and utimes sent %s before any reply, want [WRITE SETSTAT LSTAT]", got)
	}
	resume()
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
	e.rec.stop()

	e.rec.start()
	_, err = e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o644})
	events = e.rec.stop()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sent(events)); got != "[SETSTAT LSTAT]" || roundTrips(events) != 1 {
		t.Errorf("chmod sent %s in %d round trips, want [SETSTAT LSTAT] in one", got, roundTrips(events))
	}

	e.rec.start()
	if err := h.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := sent(e.rec.stop()); len(got) != 0 {
		t.Errorf("flush with nothing outstanding sent %v", got)
	}

	resume = e.srv.SuspendConnections()
	t.Cleanup(resume)
	e.rec.start()
	if err := h.Release(quick(t)); err != nil {
		t.Fatalf("Release on a stalled server = %v; want it not to wait for the CLOSE", err)
	}
	if got := fmt.Sprint(sent(e.rec.stop())); got != "[CLOSE]" {
		t.Errorf("release sent %s, want [CLOSE]", got)
	}
	resume()

	st, err := os.Stat(e.local("f"))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("f"); got != "data" || st.Mode().Perm() != 0o644 || !st.ModTime().Equal(mtime) {
		t.Errorf("server has %q mode %v mtime %v", got, st.Mode(), st.ModTime())
	}
}

// A ctx that ends while WRITEs are outstanding ends the wait, not the
// WRITEs: a later Flush sees them acknowledged.
func TestFlushCancelledWhileWritesOutstanding(t *testing.T) {
	e := newEnv(t, noKeepalive)
	_, h := e.openFile("f", os.O_RDWR)
	resume := e.srv.SuspendConnections()
	t.Cleanup(resume)
	if _, err := h.WriteAt(quick(t), []byte("kept"), 0); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.Flush(c)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > promptly {
		t.Fatalf("Flush on a stalled server = %v after %v; want DeadlineExceeded promptly", err, time.Since(start))
	}
	resume()
	if err := h.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("f"); got != "kept" {
		t.Errorf("server has %q", got)
	}
}

// WRITEs that die with the connection may or may not have reached the
// file: the handle fails with EIO from then on (rule E1), promptly, and is
// not reopened after the reconnect.
func TestWritesLostWithTheConnectionFailTheHandle(t *testing.T) {
	e := newEnv(t, noKeepalive)
	f, h := e.openFile("f", os.O_RDWR)
	resume := e.srv.SuspendConnections()
	t.Cleanup(resume)
	if _, err := h.WriteAt(quick(t), []byte("lost?"), 0); err != nil {
		t.Fatal(err)
	}
	e.srv.KillConnections()
	start := time.Now()
	err := h.Flush(ctx(t))
	wantErrno(t, "Flush after the connection died with a WRITE outstanding", err, syscall.EIO)
	if d := time.Since(start); d > promptly {
		t.Errorf("Flush failed after %v", d)
	}
	if err := eventually(10*time.Second, func() error {
		_, err := e.fs.Getattr(ctx(t), f)
		return err
	}); err != nil {
		t.Fatalf("no reconnect: %v", err)
	}
	_, err = h.WriteAt(ctx(t), []byte("x"), 0)
	wantErrno(t, "WriteAt on the failed handle", err, syscall.EIO)
	_, err = h.ReadAt(ctx(t), make([]byte, 8), 0)
	wantErrno(t, "ReadAt on the failed handle", err, syscall.EIO)
	err = h.Fsync(ctx(t), false)
	wantErrno(t, "Fsync on the failed handle", err, syscall.EIO)
	if err := h.Release(ctx(t)); err != nil {
		t.Errorf("Release = %v; the loss was reported already", err)
	}
}

// Many writers and flushers share one handle through a window of two
// requests (run with -race).
func TestConcurrentWritesThroughASmallWindow(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxInflight = 2 })
	_, h := e.openFile("f", os.O_RDWR)
	const block, writers, each = 10000, 8, 4
	pattern := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, block) }
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for j := range each {
				i := w*each + j
				if _, err := h.WriteAt(ctx(t), pattern(i), int64(i*block)); err != nil {
					t.Error(err)
				}
				if j%2 == 1 {
					if err := h.Flush(ctx(t)); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := h.Release(ctx(t)); err != nil {
		t.Fatal(err)
	}
	got := []byte(e.readLocal("f"))
	if len(got) != writers*each*block {
		t.Fatalf("server has %d bytes, want %d", len(got), writers*each*block)
	}
	for i := range writers * each {
		if !bytes.Equal(got[i*block:(i+1)*block], pattern(i)) {
			t.Errorf("block %d differs", i)
		}
	}
}
