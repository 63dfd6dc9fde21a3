package fuse

// fileSystem: the go-fuse RawFileSystem over one *vfs.FS, and the parts of
// it that are not one request: its state, start-up and shutdown. The
// requests live in entry.go (names), file.go (open files and attributes),
// dir.go (listings), xattr.go and misc.go.
//
// Locks: none of its own; nodes and handles have theirs (nodes.go,
// handles.go). Everything else is immutable after newFileSystem.

import (
	"context"
	"log/slog"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/netvfs/netvfs/vfs"
)

type fileSystem struct {
	// RawFileSystem answers ENOSYS for what netvfs does not implement
	// (locks, ioctl, lseek, copy_file_range, tmpfile, statx): the kernel
	// then handles locks locally and falls back to generic code.
	gofuse.RawFileSystem

	fsys     *vfs.FS
	log      *slog.Logger
	ttl      timeouts
	readOnly bool
	// noXattrs: the driver has no extended attributes. The xattr requests
	// answer ENOSYS, after which the kernel answers EOPNOTSUPP itself
	// instead of asking on every write (security.capability) and copy.
	noXattrs bool

	nodes   nodeTable
	handles handleTable
	// kdir: the kernel caches directory listings (kdir.go); nil under
	// PolicyCloseToOpen, where every opendir asks.
	kdir *kdirCache
}

func newFileSystem(fsys *vfs.FS, log *slog.Logger, readOnly bool) *fileSystem {
	s := &fileSystem{
		RawFileSystem: gofuse.NewDefaultRawFileSystem(),
		fsys:          fsys,
		log:           log,
		ttl:           timeoutsFor(fsys.Options()),
		readOnly:      readOnly,
		noXattrs:      !fsys.HasXattrs(),
	}
	s.nodes.init(fsys)
	if s.ttl.keepCache {
		s.kdir = newKdirCache()
	}
	return s
}

func (s *fileSystem) String() string { return "netvfs" }

// SetDebug is go-fuse's switch for its own logging; Options.Debug sets that.
func (s *fileSystem) SetDebug(bool) {}

func (s *fileSystem) Init(srv *gofuse.Server) {
	if s.kdir != nil {
		s.kdir.mu.Lock()
		s.kdir.srv = srv
		s.kdir.mu.Unlock()
	}
}

// OnUnmount runs after the last request: the kernel sends no RELEASE or
// FORGET for what it still held, so close the files and unpin the Inodes
// here, leaving the core as if the kernel had let go of everything.
func (s *fileSystem) OnUnmount() {
	ctx := context.Background()
	for _, h := range s.handles.removeAll() {
		s.closeHandle(ctx, h)
	}
	s.nodes.forgetAll()
	if s.kdir != nil {
		s.kdir.stop()
	}
}

// inode resolves the node id of a request.
func (s *fileSystem) inode(id uint64) (*vfs.Inode, gofuse.Status) {
	if ino := s.nodes.inode(id); ino != nil {
		return ino, gofuse.OK
	}
	s.log.Warn("fuse: request for an unknown node id", "node", id)
	return nil, gofuse.Status(syscall.ESTALE)
}

// closeHandle releases an open file or directory handle.
func (s *fileSystem) closeHandle(ctx context.Context, h *handle) error {
	h.dropSnapshot()
	return h.file.CloseContext(ctx, false)
}

// refuseWrite answers EROFS on a read-only mount. The kernel refuses writes
// to a mount made with "ro" before they reach us; this is the second line.
func (s *fileSystem) refuseWrite() gofuse.Status {
	if s.readOnly {
		return gofuse.Status(syscall.EROFS)
	}
	return gofuse.OK
}
