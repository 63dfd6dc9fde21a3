package localfs

// This file holds the FS type: opening and closing the root, the reference
// count that keeps the root descriptor alive while calls are in flight, and
// the argument checks every method starts with.
//
// Locking: nodesMu guards the node table (see node.go). rootfd is
// immutable; refs (atomic) counts the owner (1 until Close) plus every call
// in flight, and the call that drops it to zero closes rootfd, so a
// descriptor number is never used after it was closed and possibly reused.
// A call enters only while refs > 0 (CAS) and Close has not been called.

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"weak"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// FS is a vfs.Driver over one local directory. It is safe for concurrent
// use. Besides vfs.Driver it implements vfs.AtomicOpener, vfs.Revalidator,
// vfs.Xattrer and vfs.Mover; its handles implement vfs.Allocator.
type FS struct {
	rootfd     int          // O_PATH descriptor of the root directory
	refs       atomic.Int64 // owner reference + calls in flight; 0 = rootfd closed
	closed     atomic.Bool  // Close was called
	root       *node
	privileged bool // euid 0 at New: created objects get the vfs.Caller's owner

	nodesMu sync.Mutex
	nodes   map[idKey]weak.Pointer[node] // live nodes by identity; guarded by nodesMu
}

var (
	_ vfs.Driver       = (*FS)(nil)
	_ vfs.AtomicOpener = (*FS)(nil)
	_ vfs.Revalidator  = (*FS)(nil)
	_ vfs.Xattrer      = (*FS)(nil)
	_ vfs.Mover        = (*FS)(nil)
)

// New opens the directory root (following symlinks in root itself, which
// is the administrator's own path) and returns a driver confined to it.
// It fails when root is missing or not a directory, when the kernel lacks
// openat2(2), or when /proc is not mounted (see the package comment).
func New(root string) (*FS, error) {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "localfs.New", Path: root, Err: err}
	}
	f := &FS{rootfd: fd, privileged: unix.Geteuid() == 0, nodes: make(map[idKey]weak.Pointer[node])}
	f.refs.Store(1)
	if err := f.init(root); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return f, nil
}

// init records the root's identity and checks the kernel features the
// driver depends on.
func (f *FS) init(root string) error {
	st, err := statFD(f.rootfd)
	if err != nil {
		return &fs.PathError{Op: "localfs.New", Path: root, Err: err}
	}
	f.root = nodeFor(f, &st)
	probe, err := openat2(f.rootfd, ".", unix.O_PATH)
	if err != nil {
		return &fs.PathError{Op: "localfs.New", Path: root,
			Err: fmt.Errorf("openat2 unusable (Linux 5.6 or newer needed): %w", err)}
	}
	unix.Close(probe)
	var viaProc unix.Statx_t
	err = unix.Statx(unix.AT_FDCWD, procPath(f.rootfd), unix.AT_STATX_SYNC_AS_STAT, statMask, &viaProc)
	if err != nil || !f.root.is(&viaProc) {
		if err == nil {
			err = syscall.ENOENT
		}
		return &fs.PathError{Op: "localfs.New", Path: root,
			Err: fmt.Errorf("/proc/self/fd does not resolve (is /proc mounted?): %w", err)}
	}
	return nil
}

// Close releases the root directory. Calls in flight finish first (the
// last one closes the descriptor); later calls fail with EBADF. Open
// handles stay usable until released. Close is idempotent.
func (f *FS) Close() error {
	if f.closed.CompareAndSwap(false, true) {
		f.leave()
	}
	return nil
}

// enter starts a call: it fails with ctx's error when ctx is done and with
// EBADF after Close; otherwise the caller must call leave when done.
func (f *FS) enter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.closed.Load() {
		// Refuse new calls even while others are in flight, or a steady
		// stream of calls would keep the count above zero forever.
		return syscall.EBADF
	}
	for {
		r := f.refs.Load()
		if r <= 0 {
			return syscall.EBADF
		}
		if f.refs.CompareAndSwap(r, r+1) {
			return nil
		}
	}
}

// leave ends a call started by enter (or, from Close, the owner's
// reference) and closes the root when it was the last one.
func (f *FS) leave() {
	if f.refs.Add(-1) == 0 {
		unix.Close(f.rootfd)
	}
}

// Root returns the root directory's node and attributes.
func (f *FS) Root(ctx context.Context) (vfs.Node, vfs.Attr, error) {
	if err := f.enter(ctx); err != nil {
		return nil, vfs.Attr{}, err
	}
	defer f.leave()
	st, err := statFD(f.rootfd)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	return f.root, toAttr(&st), nil
}

// asNode returns the driver's node behind n: EINVAL for nil or a foreign
// type, EXDEV for a node of another FS.
func (f *FS) asNode(n vfs.Node) (*node, error) {
	nd, ok := n.(*node)
	if !ok || nd == nil {
		return nil, syscall.EINVAL
	}
	if nd.fs != f {
		return nil, syscall.EXDEV
	}
	return nd, nil
}

// checkName rejects what is not a single directory entry name. The core
// never passes such names (rule P3); the driver checks anyway because "..",
// "/" or an empty name handed to an *at call would reach outside the
// directory it names.
func checkName(name string) error {
	switch {
	case name == "":
		return syscall.ENOENT
	case name == "." || name == "..":
		return syscall.EINVAL
	case len(name) > 255:
		return syscall.ENAMETOOLONG
	case strings.ContainsAny(name, "/\x00"):
		return syscall.EINVAL
	}
	return nil
}
