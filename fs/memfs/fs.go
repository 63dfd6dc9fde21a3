package memfs

// This file holds the filesystem object: Options, New, Root, the clock, the
// capacity accounting and the helpers every operation uses to turn a
// vfs.Node back into a live inode. FS.mu guards the namespace (see doc.go);
// the counters here are atomics.

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// Options configures a memfs filesystem. The zero value is a full-featured
// 1 TiB filesystem owned by root.
type Options struct {
	// NoAtomicOpen, NoWalk, NoRevalidate and NoXattr hide the optional
	// capability from the value FS.Driver returns (the type assertion to
	// vfs.AtomicOpener, vfs.Walker, vfs.Revalidator or vfs.Xattrer fails).
	NoAtomicOpen, NoWalk, NoRevalidate, NoXattr bool
	// NoIdentity leaves Attr.ID empty, like SFTP (rule A1).
	NoIdentity bool
	// Capacity is the size Statfs reports, in bytes; writes that would
	// allocate beyond it fail with ENOSPC. Default 1 TiB.
	Capacity int64
	// Uid and Gid own new objects when the context carries no vfs.Caller,
	// and own the root directory and everything Remote creates.
	Uid, Gid uint32
}

// Statfs constants: tmpfs-like made-up numbers.
const (
	blockSize       = 4096
	totalFiles      = 1 << 32
	nameMax         = 255
	symlinkMax      = 4095 // PATH_MAX - 1
	defaultCapacity = 1 << 40
	rootIno         = 1
)

// FS is an in-memory filesystem. It implements vfs.Driver and every optional
// capability memfs has (vfs.AtomicOpener, vfs.Walker, vfs.Revalidator,
// vfs.Xattrer); Driver returns a view limited by Options. It is safe for
// concurrent use.
type FS struct {
	opts     Options
	capacity int64
	root     *inode

	// mu guards the namespace (doc.go): every inode's nlink, parent and
	// dir, plus nextIno and inodes below. Inode attributes have their own
	// lock.
	mu      sync.RWMutex
	nextIno uint64 // next inode number to hand out
	inodes  int64  // live inodes, for Statfs

	used    atomic.Int64 // bytes of allocated data chunks (capacity)
	lastNow atomic.Int64 // last timestamp handed out by now

	hooks hooks // latency, counters, OnCall, faults (hooks.go)
}

// New returns an empty filesystem: a root directory with mode 0755.
func New(opts Options) *FS {
	m := &FS{opts: opts, capacity: opts.Capacity, nextIno: rootIno}
	if m.capacity <= 0 {
		m.capacity = defaultCapacity
	}
	m.root = m.newInodeLocked(vfs.S_IFDIR|0o755, opts.Uid, opts.Gid, m.now())
	m.root.nlink = 2
	m.root.parent = m.root
	return m
}

// Root returns the root directory. It is not an Op: it is neither counted
// nor delayed, but it honours ctx.
func (m *FS) Root(ctx context.Context) (vfs.Node, vfs.Attr, error) {
	if err := ctx.Err(); err != nil {
		return nil, vfs.Attr{}, wrapCtx("root", err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.root, m.attrLocked(m.root), nil
}

// now returns the current time in nanoseconds, strictly later than any time
// it returned before, so that "the mtime changed" is always observable.
func (m *FS) now() int64 {
	t := time.Now().UnixNano()
	for {
		last := m.lastNow.Load()
		if t <= last {
			t = last + 1
		}
		if m.lastNow.CompareAndSwap(last, t) {
			return t
		}
	}
}

// owner returns the uid and gid for an object created on behalf of ctx.
func (m *FS) owner(ctx context.Context) (uid, gid uint32) {
	if c, ok := vfs.CallerFrom(ctx); ok {
		return c.Uid, c.Gid
	}
	return m.opts.Uid, m.opts.Gid
}

// reserve accounts n more bytes of data against the capacity; false means
// the filesystem is full (ENOSPC).
func (m *FS) reserve(n int64) bool {
	for {
		u := m.used.Load()
		if u+n > m.capacity {
			return false
		}
		if m.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// unreserve gives n bytes of data back.
func (m *FS) unreserve(n int64) { m.used.Add(-n) }

// inodeOf returns the inode behind a node without checking that it lives.
// A node that memfs did not hand out (or another FS did) is EINVAL.
func (m *FS) inodeOf(n vfs.Node) (*inode, error) {
	ino, ok := n.(*inode)
	if !ok || ino == nil || ino.fs != m {
		return nil, syscall.EINVAL
	}
	return ino, nil
}

// liveLocked returns the inode behind n, or ESTALE when it is gone (rule
// V3). Caller holds m.mu (read or write).
func (m *FS) liveLocked(n vfs.Node) (*inode, error) {
	ino, err := m.inodeOf(n)
	if err != nil {
		return nil, err
	}
	if ino.dead.Load() {
		return nil, syscall.ESTALE
	}
	return ino, nil
}

// dirLocked returns the live directory behind n: ESTALE when it is gone,
// ENOTDIR when it is not a directory. Caller holds m.mu.
func (m *FS) dirLocked(n vfs.Node) (*inode, error) {
	ino, err := m.liveLocked(n)
	if err != nil {
		return nil, err
	}
	if ino.fileType != vfs.S_IFDIR {
		return nil, syscall.ENOTDIR
	}
	return ino, nil
}

// validName checks one path component as Linux would: too long is
// ENAMETOOLONG; "", ".", ".." or a name with '/' or NUL cannot name an entry
// (the core never sends them, Remote paths might): EINVAL.
func validName(name string) error {
	if len(name) > nameMax {
		return syscall.ENAMETOOLONG
	}
	if name == "" || name == "." || name == ".." {
		return syscall.EINVAL
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return syscall.EINVAL
		}
	}
	return nil
}
