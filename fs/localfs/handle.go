package localfs

// This file holds the open-file handle: a local file descriptor serving
// pread/pwrite, fsync and fallocate.
//
// Locking: handle.mu is held for reading by every call that uses fd and for
// writing by Release, so the descriptor is never used after it is closed
// (its number could already name another file). I/O calls run in parallel.
// Lock order: handle.mu before node.mu (Release unregisters under both).

import (
	"context"
	"io"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// handle is the driver's vfs.Handle (and vfs.Allocator).
type handle struct {
	node *node
	mu   sync.RWMutex
	fd   int // -1 once released; guarded by mu
}

var (
	_ vfs.Handle    = (*handle)(nil)
	_ vfs.Allocator = (*handle)(nil)
)

// newHandle wraps open descriptor fd of n and registers it with n (see
// pin: an open file stays reachable after its name is gone).
func newHandle(n *node, fd int) *handle {
	h := &handle{node: n, fd: fd}
	n.addHandle(h, fd)
	return h
}

// use read-locks h and returns its descriptor; the caller must RUnlock.
func (h *handle) use(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return -1, err
	}
	h.mu.RLock()
	if h.fd < 0 {
		h.mu.RUnlock()
		return -1, syscall.EBADF
	}
	return h.fd, nil
}

// ReadAt reads up to len(p) bytes at off with pread; io.EOF at end of file.
func (h *handle) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	fd, err := h.use(ctx)
	if err != nil {
		return 0, err
	}
	defer h.mu.RUnlock()
	n := 0
	for n < len(p) {
		if n > 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		m, err := unix.Pread(fd, p[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// WriteAt writes p at off with pwrite. For a handle opened with O_APPEND
// the kernel ignores off and appends (Linux pwrite semantics).
func (h *handle) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	fd, err := h.use(ctx)
	if err != nil {
		return 0, err
	}
	defer h.mu.RUnlock()
	n := 0
	for n < len(p) {
		if n > 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		m, err := unix.Pwrite(fd, p[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrShortWrite
		}
		n += m
	}
	return n, nil
}

// Flush has nothing to send: writes reach the kernel when WriteAt returns.
func (h *handle) Flush(ctx context.Context) error {
	if _, err := h.use(ctx); err != nil {
		return err
	}
	h.mu.RUnlock()
	return nil
}

// Fsync makes written data durable (fdatasync when datasync).
func (h *handle) Fsync(ctx context.Context, datasync bool) error {
	fd, err := h.use(ctx)
	if err != nil {
		return err
	}
	defer h.mu.RUnlock()
	if datasync {
		return unix.Fdatasync(fd)
	}
	return unix.Fsync(fd)
}

// Allocate is fallocate(2); the kernel answers EOPNOTSUPP for modes the
// filesystem does not support.
func (h *handle) Allocate(ctx context.Context, off, length int64, mode uint32) error {
	fd, err := h.use(ctx)
	if err != nil {
		return err
	}
	defer h.mu.RUnlock()
	return unix.Fallocate(fd, mode, off, length)
}

// truncate is ftruncate on the handle's descriptor (Setattr with a Handle).
func (h *handle) truncate(ctx context.Context, size int64) error {
	fd, err := h.use(ctx)
	if err != nil {
		return err
	}
	defer h.mu.RUnlock()
	return unix.Ftruncate(fd, size)
}

// Release closes the descriptor. It ignores ctx: a release must always
// happen, and close on a local descriptor does not block. A second Release
// returns EBADF.
func (h *handle) Release(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fd < 0 {
		return syscall.EBADF
	}
	h.node.removeHandle(h)
	err := unix.Close(h.fd)
	h.fd = -1
	return err
}
