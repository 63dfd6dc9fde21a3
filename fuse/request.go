package fuse

// Per-request plumbing: the context a FUSE request runs with (the caller's
// credentials, and for operations that change nothing the kernel's
// interrupt), and the errno a failed request replies with. Nothing here is
// shared between requests; there are no locks.

import (
	"context"
	"errors"
	"log/slog"
	"syscall"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/netvfs/netvfs/vfs"
)

// interruptCtx is a context that is cancelled when the kernel interrupts the
// request: go-fuse closes the request's cancel channel on FUSE_INTERRUPT (and
// on unmount). It carries no deadline; the core adds the mount's timeout.
//
// The channel belongs to go-fuse's request, which is recycled once the
// handler returns, so an interruptCtx must not outlive its request.
type interruptCtx struct{ cancel <-chan struct{} }

func (c interruptCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c interruptCtx) Done() <-chan struct{}       { return c.cancel }
func (c interruptCtx) Value(any) any               { return nil }

func (c interruptCtx) Err() error {
	select {
	case <-c.cancel:
		return context.Canceled
	default:
		return nil
	}
}

// Whether a request may be abandoned when the kernel interrupts it.
const (
	mutating      = false // changes the filesystem: finish it (or time out)
	interruptible = true  // changes nothing: cancel it on FUSE_INTERRUPT
)

// requestCtx returns the context for one request: the caller's uid, gid and
// pid (so drivers give new files the caller as owner) and, when the
// operation is interruptible, cancellation by the kernel's interrupt.
func requestCtx(cancel <-chan struct{}, h *gofuse.InHeader, intr bool) context.Context {
	var base context.Context = context.Background()
	if intr && cancel != nil {
		base = interruptCtx{cancel}
	}
	return vfs.WithCaller(base, vfs.Caller{Uid: h.Uid, Gid: h.Gid, Pid: h.Pid})
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
