package sftpfs

// This file is an open file: a server handle string bound to the session
// that issued it, reopened by path on a new session after a reconnect
// (without O_CREAT, O_TRUNC or O_EXCL) unless the file was unlinked or
// replaced through this FS meanwhile, in which case the path no longer
// names it and the handle fails with EIO.
//
// Writes are sent behind (writeback.go): a handle whose unacknowledged
// WRITEs died with a connection is not reopened either, and fails with EIO.
//
// Locking: fileHandle.mu guards sess, h and reopening and is never held
// across a round trip: one caller reopens (reopening non-nil), others wait
// for it or for their ctx. gone is atomic. The write window has its own
// lock (writeback.go), never held with fileHandle.mu. FS.handlesMu guards
// the registry of open handles (names.go keeps it in step with unlinks and
// renames).

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// fileHandle is an open regular file.
type fileHandle struct {
	fs     *FS
	node   *node
	pflags uint32 // access mode and APPEND: what a reopen asks for
	sync   bool   // O_SYNC/O_DSYNC: fsync after every write

	gone atomic.Bool // unlinked or replaced through this FS: never reopen by path

	wb writeWindow // WRITEs sent and not yet answered (writeback.go)

	mu        sync.Mutex
	sess      *session      // guarded by mu: the session h belongs to
	h         string        // guarded by mu: the server's handle
	reopening chan struct{} // guarded by mu: non-nil while a reopen runs
}

// newFileHandle registers an open handle.
func (fs *FS) newFileHandle(n *node, flags int, s *session, h string) *fileHandle {
	fh := &fileHandle{
		fs:     fs,
		node:   n,
		pflags: accessFlags(flags),
		sync:   flags&syscall.O_DSYNC != 0,
		sess:   s,
		h:      h,
		wb:     writeWindow{maxReqs: fs.opts.MaxInflight, maxBytes: writeBehindBytes},
	}
	fs.handlesMu.Lock()
	fs.handles[fh] = struct{}{}
	fs.handlesMu.Unlock()
	return fh
}

// openHandleOf returns an open handle on node n, if any.
func (fs *FS) openHandleOf(n *node) *fileHandle {
	fs.handlesMu.Lock()
	defer fs.handlesMu.Unlock()
	for fh := range fs.handles {
		if fh.node == n {
			return fh
		}
	}
	return nil
}

// ensure returns a live session and the handle on it, reopening the file
// after a reconnect unless writes were lost with the connection.
func (fh *fileHandle) ensure(ctx context.Context) (*session, string, error) {
	for {
		if err := fh.wb.deadErr(); err != nil {
			return nil, "", err
		}
		fh.mu.Lock()
		if fh.sess != nil && fh.sess.alive() {
			s, h := fh.sess, fh.h
			fh.mu.Unlock()
			return s, h, nil
		}
		if ch := fh.reopening; ch != nil {
			fh.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, "", ctxError(ctx)
			}
		}
		if fh.gone.Load() {
			fh.mu.Unlock()
			return nil, "", errors.New("the connection was lost and the file was removed or replaced: " +
				"it cannot be reopened by name")
		}
		ch := make(chan struct{})
		fh.reopening = ch
		fh.mu.Unlock()

		s, h, err := fh.reopenAfterWrites(ctx)
		fh.mu.Lock()
		fh.reopening = nil
		if err == nil {
			fh.sess, fh.h = s, h
		}
		fh.mu.Unlock()
		close(ch)
		if err != nil {
			return nil, "", err
		}
	}
}

// reopenAfterWrites reopens the file unless WRITEs sent on the dead
// session were lost with it. They all fail at once (session.fail answers
// every request in flight), so waiting for them is short; a failure marks
// the handle dead.
func (fh *fileHandle) reopenAfterWrites(ctx context.Context) (*session, string, error) {
	if err := fh.wb.drain(ctx); err != nil {
		return nil, "", err
	}
	if err := fh.wb.deadErr(); err != nil {
		return nil, "", err
	}
	return fh.reopen(ctx)
}

// reopen opens the file again by path on a live session (redialing if
// needed) and checks with a pipelined LSTAT that the path still names a
// regular file.
func (fh *fileHandle) reopen(ctx context.Context) (*session, string, error) {
	s, err := fh.fs.session(ctx)
	if err != nil {
		return nil, "", err
	}
	p := fh.fs.path(fh.node)
	calls, err := s.start(ctx, reqOpen(p, fh.pflags, fileAttrs{}), reqLstat(p))
	if err != nil {
		return nil, "", err
	}
	rs, err := s.waitAll(ctx, calls)
	if err != nil {
		return nil, "", err
	}
	h, err := rs[0].handle()
	var st *statusError
	if errors.As(err, &st) {
		return nil, "", &opError{op: "reopen", path: p, errno: syscall.EIO, cause: err}
	}
	if err != nil {
		return nil, "", err
	}
	if a, err := rs[1].attrs(); err != nil || a.perm&vfs.S_IFMT != vfs.S_IFREG {
		s.send(reqClose(h))
		return nil, "", errors.New("reopening after reconnect: the path no longer names a regular file")
	}
	return s, h, nil
}

// Flush waits for the WRITEs sent before it and returns the first
// failure that no call has returned yet (writeback.go). With no WRITE
// outstanding it sends nothing.
func (fh *fileHandle) Flush(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, fh.fs.opts.Timeout, &timeoutError{d: fh.fs.opts.Timeout})
	defer cancel()
	if err := fh.wb.drain(ctx); err != nil {
		return failure("flush", fh.fs.path(fh.node), err)
	}
	if err := fh.wb.takeFailure(); err != nil {
		return failure("flush", fh.fs.path(fh.node), err)
	}
	return nil
}

// Fsync asks the server to fsync(2) the file (fsync@openssh.com), behind
// the WRITEs sent before it, in the same round trip as their replies. A
// WRITE failure not yet returned comes first; ENOSYS if the server cannot
// fsync (FUSE then stops asking).
func (fh *fileHandle) Fsync(ctx context.Context, datasync bool) error {
	ctx, cancel := context.WithTimeoutCause(ctx, fh.fs.opts.Timeout, &timeoutError{d: fh.fs.opts.Timeout})
	defer cancel()
	p := fh.fs.path(fh.node)
	writes := fh.wb.mark()
	s, h, err := fh.ensure(ctx)
	if err != nil {
		return failure("fsync", p, err)
	}
	var c *call
	if s.has(extFsync) {
		calls, err := s.start(ctx, reqFsync(h))
		if err != nil {
			return failure("fsync", p, err)
		}
		c = calls[0]
	}
	if err := fh.wb.waitFor(ctx, writes); err != nil {
		if c != nil {
			s.abandon(c)
		}
		return failure("fsync", p, err)
	}
	if err := fh.wb.takeFailure(); err != nil {
		if c != nil {
			s.abandon(c)
		}
		return failure("fsync", p, err)
	}
	if c == nil {
		return failure("fsync", p, errNoFsync)
	}
	r, err := s.wait(ctx, c)
	if err == nil {
		err = r.status()
	}
	if err != nil {
		return failure("fsync", p, err)
	}
	return nil
}

// errNoFsync is the error of an fsync the server cannot do.
var errNoFsync = &opError{op: "fsync", errno: syscall.ENOSYS, cause: errors.New("server lacks " + extFsync)}

// fsync sends FSYNC and waits for it (O_SYNC writes).
func fsync(ctx context.Context, s *session, h string) error {
	if !s.has(extFsync) {
		return errNoFsync
	}
	r, err := s.do(ctx, reqFsync(h))
	if err != nil {
		return err
	}
	return r.status()
}

// Release closes the handle on the server (if its session still lives: a
// dead session took its handles with it). The CLOSE goes behind the
// handle's WRITEs and its reply is not waited for, as sshfs does: through
// FUSE nobody sees a release's outcome (the kernel returned from close(2)
// after FLUSH), and the data's fate is known from the WRITE replies. The
// price: a close(2) that fails on the server (possible where the server's
// own storage is NFS) goes unreported. What Release does wait for is the
// WRITEs nobody flushed, so that their failure is returned here (the
// core's close without flush).
func (fh *fileHandle) Release(ctx context.Context) error {
	fh.fs.handlesMu.Lock()
	delete(fh.fs.handles, fh)
	fh.fs.handlesMu.Unlock()
	fh.mu.Lock()
	s, h := fh.sess, fh.h
	fh.sess, fh.h = nil, ""
	fh.mu.Unlock()
	if s != nil && s.alive() {
		s.send(reqClose(h))
	}
	ctx, cancel := context.WithTimeoutCause(ctx, fh.fs.opts.Timeout, &timeoutError{d: fh.fs.opts.Timeout})
	defer cancel()
	if err := fh.wb.drain(ctx); err != nil {
		return failure("close", fh.fs.path(fh.node), err)
	}
	// Writes lost with the connection, once reported, need no report
	// here: there is nothing left to close.
	if err := fh.wb.takeFailed(); err != nil {
		return failure("close", fh.fs.path(fh.node), err)
	}
	return nil
}

// dirHandle is an open directory: SFTP needs no server state for it (the
// core lists through Driver.ReadDir).
type dirHandle struct{}

func (dirHandle) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	return 0, &opError{op: "read", errno: syscall.EISDIR}
}

func (dirHandle) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	return 0, &opError{op: "write", errno: syscall.EISDIR}
}

func (dirHandle) Flush(ctx context.Context) error                { return nil }
func (dirHandle) Fsync(ctx context.Context, datasync bool) error { return nil }
func (dirHandle) Release(ctx context.Context) error              { return nil }
