package memfs

// This file implements open files: vfs.Handle and vfs.Allocator. Data calls
// take only the inode's mu (for reading in ReadAt, for writing in WriteAt
// and Allocate), never FS.mu, so I/O on different files runs in parallel and
// I/O never waits for name operations. Release takes FS.mu for writing: it
// may be the moment an unlinked inode dies.

import (
	"context"
	"io"
	"sync/atomic"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// Linux fallocate(2) mode bits.
const (
	fallocKeepSize  = 0x01
	fallocPunchHole = 0x02
)

// handle is one open file. Its fields are immutable except released.
type handle struct {
	fs                 *FS
	ino                *inode
	readable, writable bool
	append             bool
	released           atomic.Bool
}

var _ vfs.Allocator = (*handle)(nil)

// check reports EBADF after Release and ESTALE when the inode was killed
// behind the handle's back (Remote.Replace).
func (h *handle) check() error {
	if h.released.Load() {
		return syscall.EBADF
	}
	if h.ino.dead.Load() {
		return syscall.ESTALE
	}
	return nil
}

// ReadAt reads at off; at end of file it returns the bytes read and io.EOF.
// Holes read as zeros. EBADF when not open for reading, EISDIR on a
// directory.
func (h *handle) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	if err := h.fs.begin(ctx, opRead, ""); err != nil {
		return 0, err
	}
	if err := h.check(); err != nil {
		return 0, err
	}
	if !h.readable {
		return 0, syscall.EBADF
	}
	if h.ino.isDir() {
		return 0, syscall.EISDIR
	}
	if off < 0 {
		return 0, syscall.EINVAL
	}
	ino := h.ino
	ino.mu.RLock()
	n := ino.readAtLocked(p, off)
	ino.mu.RUnlock()
	ino.touchAtime(h.fs.now())
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes p at off, or at the end of file when opened with O_APPEND,
// and sets mtime and ctime. A write by a caller other than root clears
// set-id bits as Linux does. A write the capacity cannot hold stops with
// ENOSPC after what fitted.
func (h *handle) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	if err := h.fs.begin(ctx, opWrite, ""); err != nil {
		return 0, err
	}
	if err := h.check(); err != nil {
		return 0, err
	}
	if !h.writable {
		return 0, syscall.EBADF
	}
	if !h.append && off < 0 {
		return 0, syscall.EINVAL
	}
	if len(p) == 0 {
		return 0, nil // Linux: a zero-length write changes nothing
	}
	m, ino := h.fs, h.ino
	kill := killPrivAll(ctx)
	now := m.now()
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if ino.dead.Load() {
		return 0, syscall.ESTALE // killed (and its data freed) since check
	}
	if h.append {
		off = ino.size
	}
	if err := checkRange(off, int64(len(p))); err != nil {
		return 0, err
	}
	n, err := m.writeAtLocked(ino, p, off)
	if n > 0 {
		if kill {
			ino.killPrivLocked()
		}
		ino.touchLocked(now, true)
	}
	return n, err
}

// Flush has nothing to send: memfs writes through.
func (h *handle) Flush(ctx context.Context) error {
	if err := h.fs.begin(ctx, opFlush, ""); err != nil {
		return err
	}
	return h.check()
}

// Fsync has nothing to make durable.
func (h *handle) Fsync(ctx context.Context, datasync bool) error {
	if err := h.fs.begin(ctx, opFsync, ""); err != nil {
		return err
	}
	return h.check()
}

// Release closes the handle. The handle is released even when the call
// reports an injected fault or a cancelled context, as close(2) releases
// the descriptor whatever it returns. An unlinked inode dies with its last
// handle.
func (h *handle) Release(ctx context.Context) error {
	err := h.fs.begin(ctx, opRelease, "")
	if h.released.Swap(true) {
		return syscall.EBADF
	}
	m := h.fs
	m.mu.Lock()
	h.ino.openCount.Add(-1)
	m.maybeDieLocked(h.ino)
	m.mu.Unlock()
	return err
}

// Allocate implements fallocate(2) modes 0, KEEP_SIZE and
// PUNCH_HOLE|KEEP_SIZE with Linux's checks, in Linux's order: a bad range is
// EINVAL, PUNCH_HOLE without KEEP_SIZE and any other mode EOPNOTSUPP, a
// handle not open for writing EBADF, a range beyond the largest file EFBIG.
// Allocating sets ctime; punching a hole sets mtime and ctime.
func (h *handle) Allocate(ctx context.Context, off, length int64, mode uint32) error {
	if err := h.fs.begin(ctx, opAllocate, ""); err != nil {
		return err
	}
	if off < 0 || length <= 0 {
		return syscall.EINVAL
	}
	switch mode {
	case 0, fallocKeepSize, fallocPunchHole | fallocKeepSize:
	default:
		return syscall.EOPNOTSUPP
	}
	if err := h.check(); err != nil {
		return err
	}
	if !h.writable {
		return syscall.EBADF
	}
	if off > maxFileSize-length {
		return syscall.EFBIG
	}
	m, ino := h.fs, h.ino
	now := m.now()
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if ino.dead.Load() {
		return syscall.ESTALE // killed (and its data freed) since check
	}
	if mode&fallocPunchHole != 0 {
		m.punchHoleLocked(ino, off, length)
		ino.touchLocked(now, true)
		return nil
	}
	if err := m.allocateLocked(ino, off, length, mode&fallocKeepSize != 0); err != nil {
		return err
	}
	ino.touchLocked(now, false)
	return nil
}
