package sftpfs

// This file is an open file: a server handle string bound to the session
// that issued it, reopened by path on a new session after a reconnect
// (without O_CREAT, O_TRUNC or O_EXCL) unless the file was unlinked or
// replaced through this FS meanwhile, in which case the path no longer
// names it and the handle fails with EIO.
//
// Locking: fileHandle.mu guards sess, h and reopening and is never held
// across a round trip: one caller reopens (reopening non-nil), others wait
// for it or for their ctx. gone is atomic. FS.handlesMu guards the
// registry of open handles (names.go keeps it in step with unlinks and
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
// after a reconnect.
func (fh *fileHandle) ensure(ctx context.Context) (*session, string, error) {
	for {
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

		s, h, err := fh.reopen(ctx)
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

// Flush has nothing to send: writes are not buffered, and each WriteAt
// returned only after the server acknowledged it.
func (fh *fileHandle) Flush(ctx context.Context) error { return nil }

// Fsync asks the server to fsync(2) the file (fsync@openssh.com). ENOSYS
// if the server cannot (FUSE then stops asking).
func (fh *fileHandle) Fsync(ctx context.Context, datasync bool) error {
	ctx, cancel := context.WithTimeoutCause(ctx, fh.fs.opts.Timeout, &timeoutError{d: fh.fs.opts.Timeout})
	defer cancel()
	s, h, err := fh.ensure(ctx)
	if err != nil {
		return failure("fsync", fh.fs.path(fh.node), err)
	}
	if err := fsync(ctx, s, h); err != nil {
		return failure("fsync", fh.fs.path(fh.node), err)
	}
	return nil
}

func fsync(ctx context.Context, s *session, h string) error {
	if !s.has(extFsync) {
		return &opError{op: "fsync", errno: syscall.ENOSYS, cause: errors.New("server lacks " + extFsync)}
	}
	r, err := s.do(ctx, reqFsync(h))
	if err != nil {
		return err
	}
	return r.status()
}

// Release closes the handle on the server (if its session still lives:
// a dead session took its handles with it).
func (fh *fileHandle) Release(ctx context.Context) error {
	fh.fs.handlesMu.Lock()
	delete(fh.fs.handles, fh)
	fh.fs.handlesMu.Unlock()
	fh.mu.Lock()
	s, h := fh.sess, fh.h
	fh.sess, fh.h = nil, ""
	fh.mu.Unlock()
	if s == nil || !s.alive() {
		return nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, fh.fs.opts.Timeout, &timeoutError{d: fh.fs.opts.Timeout})
	defer cancel()
	r, err := s.do(ctx, reqClose(h))
	if err == nil {
		err = r.status()
	}
	if err != nil {
		var cl *connLostError
		if errors.As(err, &cl) {
			return nil // the server dropped the handle with the connection
		}
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
