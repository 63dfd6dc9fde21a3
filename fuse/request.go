package fuse

// Per-request plumbing: the context a FUSE request runs with (the caller's
// credentials, and for operations that change nothing cancellation when
// the caller is killed), and the errno a failed request replies with.
// Nothing here is shared between requests.

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/netvfs/netvfs/vfs"
)

// killableCtx is the context of a request that changes nothing: it is
// cancelled when the kernel interrupts the request and the caller is dying.
//
// The kernel sends FUSE_INTERRUPT for any signal, but most signals are not
// a reason to fail a system call: a Go program's runtime preempts its
// threads with SIGURG all the time, shells take SIGCHLD, and a stat that
// answered EINTR to those would break programs that never expect it (the
// Linux NFS client, too, lets only fatal signals end a call). So an
// interrupt is honoured once the calling thread has SIGKILL pending, which
// is how the kernel marks every thread of a process a fatal signal is
// killing. The kernel interrupts a request only once, so after an
// interrupt for a signal that was not fatal, a watcher polls for a fatal
// one until the request ends.
//
// go-fuse's cancel channel belongs to its request, which is recycled once
// the handler returns: the handler calls end before returning, and the
// context must not outlive it.
type killableCtx struct {
	cancel <-chan struct{} // go-fuse's: closed on FUSE_INTERRUPT
	tid    uint32          // the calling thread, as the kernel sent it

	mu    sync.Mutex
	done  chan struct{} // made by the first Done, with the watcher
	stop  chan struct{} // closed by end: the watcher returns
	ended bool
	err   error
}

// killPoll is how often a watcher looks for a fatal signal after an
// interrupt for one that was not.
const killPoll = 20 * time.Millisecond

func (c *killableCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *killableCtx) Value(any) any               { return nil }

func (c *killableCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if !c.ended {
			c.stop = make(chan struct{})
			go c.watch(c.stop)
		}
	}
	return c.done
}

func (c *killableCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *killableCtx) watch(stop <-chan struct{}) {
	select {
	case <-stop:
		return
	case <-c.cancel:
	}
	t := time.NewTicker(killPoll)
	defer t.Stop()
	for !fatalSignalPending(c.tid) {
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
	c.mu.Lock()
	if c.err == nil {
		c.err = context.Canceled
		close(c.done)
	}
	c.mu.Unlock()
}

func (c *killableCtx) end() {
	c.mu.Lock()
	c.ended = true
	if c.stop != nil {
		close(c.stop)
		c.stop = nil
	}
	c.mu.Unlock()
}

// fatalSignalPending reports whether thread tid is being killed: the
// kernel adds SIGKILL to the pending set of every thread of a process that
// a fatal signal ends (complete_signal). A thread that no longer exists
// waits for nothing.
func fatalSignalPending(tid uint32) bool {
	if tid == 0 {
		return false // the kernel's own request: nobody to kill
	}
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(tid), 10) + "/status")
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	const sigkill = 1 << (syscall.SIGKILL - 1)
	for line := range strings.Lines(string(b)) {
		hex, ok := strings.CutPrefix(line, "SigPnd:")
		if !ok {
			hex, ok = strings.CutPrefix(line, "ShdPnd:")
		}
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64); err == nil && v&sigkill != 0 {
			return true
		}
	}
	return false
}

// Whether a request may be abandoned when the kernel interrupts it.
const (
	mutating      = false // changes the filesystem: finish it (or time out)
	interruptible = true  // changes nothing: cancel it when its caller is killed
)

func noEnd() {}

// requestCtx returns the context for one request: the caller's uid, gid and
// pid (so drivers give new files the caller as owner) and, when the
// operation is interruptible, cancellation when the caller is killed. The
// handler calls end before it returns.
func requestCtx(cancel <-chan struct{}, h *gofuse.InHeader, intr bool) (ctx context.Context, end func()) {
	var base context.Context = context.Background()
	end = noEnd
	if intr && cancel != nil {
		k := &killableCtx{cancel: cancel, tid: h.Pid}
		base, end = k, k.end
	}
	return vfs.WithCaller(base, vfs.Caller{Uid: h.Uid, Gid: h.Gid, Pid: h.Pid}), end
}

// status turns the result of a core call into the reply status: the errno
// the error stands for (vfs.ErrnoOf), EINTR when the kernel interrupted the
// request. Failures are logged at debug level with their cause; failures that
// hide a cause worth seeing (EIO, a timeout, a lost connection) at warning
// level.
func (s *fileSystem) status(ctx context.Context, op string, h *gofuse.InHeader, err error) gofuse.Status {
	if err == nil {
		return gofuse.OK
	}
	e := vfs.ErrnoOf(err)
	if ctx != nil && ctx.Err() != nil && (e == syscall.ECANCELED || errors.Is(err, context.Canceled)) {
		e = syscall.EINTR
	}
	level := slog.LevelDebug
	switch e {
	case syscall.EIO, syscall.ETIMEDOUT, syscall.ENOTCONN, syscall.ECONNRESET:
		level = slog.LevelWarn
	}
	if s.log.Enabled(context.Background(), level) {
		s.log.Log(context.Background(), level, "fuse request failed",
			"op", op, "node", h.NodeId, "pid", h.Pid, "errno", e.Error(), "err", err)
	}
	return gofuse.Status(e)
}
