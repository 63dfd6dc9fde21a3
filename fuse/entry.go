package fuse

// Requests on names: LOOKUP, FORGET, MKDIR, MKNOD, SYMLINK, LINK,
// UNLINK, RMDIR, RENAME(2) and READLINK. Each is one call of the core's
// inode API on the single name the kernel sends; the core claims the name
// (rules L1, D1) and installs the result. Every reply that hands the kernel
// an entry takes a node reference (nodes.ref). No locks of their own.

import (
	"context"
	"errors"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/netvfs/netvfs/vfs"
)

// Lookup resolves name in the directory of the request. A name that does
// not exist is answered as a negative entry (node id 0) that the kernel
// caches for the negative timeout.
func (s *fileSystem) Lookup(cancel <-chan struct{}, h *gofuse.InHeader, name string, out *gofuse.EntryOut) gofuse.Status {
	dir, st := s.inode(h.NodeId)
	if !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, h, interruptible)
	defer end()
	if err := s.lookupEntry(ctx, dir, name, out); err != nil {
		if errors.Is(err, syscall.ENOENT) && s.ttl.negative > 0 {
			*out = gofuse.EntryOut{}
			out.SetEntryTimeout(s.ttl.negative)
			return gofuse.OK
		}
		return s.status(ctx, "lookup", h, err)
	}
	return gofuse.OK
}

// maxRelookups bounds how often one request looks a name up again because
// the Inode the core answered with was forgotten before it could be pinned.
const maxRelookups = 8

// lookupEntry fills out with the entry that name in dir is now. The core
// hands out Inodes unpinned: one may lose its last reference and be
// forgotten before entryOut pins it, and is then looked up again.
func (s *fileSystem) lookupEntry(ctx context.Context, dir *vfs.Inode, name string, out *gofuse.EntryOut) error {
	for range maxRelookups {
		ino, a, err := s.fsys.Lookup(ctx, dir, name)
		if err != nil {
			return err
		}
		if s.entryOut(out, ino, &a) {
			return nil
		}
	}
	return syscall.ESTALE
}

// Forget gives back nlookup references of a node id.
func (s *fileSystem) Forget(nodeid, nlookup uint64) {
	s.nodes.forget(nodeid, nlookup)
	if s.kdir != nil && s.nodes.inode(nodeid) == nil {
		s.kdir.forget(nodeid)
	}
}

// created answers a request that made name in dir for ino: the entry reply
// with the Inode's attributes (fresh in the cache after the create). If the
// core forgot ino already (the name went, or the cache let it go), or its
// attributes cannot be had, the reply is the entry the name is now.
func (s *fileSystem) created(op string, h *gofuse.InHeader, dir *vfs.Inode, name string, ino *vfs.Inode, err error, out *gofuse.EntryOut) gofuse.Status {
	ctx, end := requestCtx(nil, h, mutating)
	defer end()
	if err != nil {
		return s.status(ctx, op, h, err)
	}
	if a, err := s.fsys.GetattrInode(ctx, ino); err != nil || !s.entryOut(out, ino, &a) {
		if err := s.lookupEntry(ctx, dir, name, out); err != nil {
			return s.status(ctx, op, h, err)
		}
	}
	return gofuse.OK
}

func (s *fileSystem) Mkdir(cancel <-chan struct{}, in *gofuse.MkdirIn, name string, out *gofuse.EntryOut) gofuse.Status {
	dir, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	ino, err := s.fsys.MkdirAt(ctx, dir, name, in.Mode&^in.Umask&0o7777)
	return s.created("mkdir", &in.InHeader, dir, name, ino, err, out)
}

func (s *fileSystem) Mknod(cancel <-chan struct{}, in *gofuse.MknodIn, name string, out *gofuse.EntryOut) gofuse.Status {
	dir, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	mode := in.Mode&vfs.S_IFMT | in.Mode&^in.Umask&0o7777
	ino, err := s.fsys.MknodAt(ctx, dir, name, mode, decodeDev(in.Rdev))
	return s.created("mknod", &in.InHeader, dir, name, ino, err, out)
}

func (s *fileSystem) Symlink(cancel <-chan struct{}, h *gofuse.InHeader, target, name string, out *gofuse.EntryOut) gofuse.Status {
	dir, st := s.inode(h.NodeId)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, h, mutating)
	defer end()
	ino, err := s.fsys.SymlinkAt(ctx, target, dir, name)
	return s.created("symlink", h, dir, name, ino, err, out)
}

// Link makes name in the request's directory a hard link to in.Oldnodeid;
// the reply names the same node id (same Inode) with its new link count.
func (s *fileSystem) Link(cancel <-chan struct{}, in *gofuse.LinkIn, name string, out *gofuse.EntryOut) gofuse.Status {
	dir, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	src, st := s.inode(in.Oldnodeid)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	ino, err := s.fsys.LinkAt(ctx, src, dir, name)
	return s.created("link", &in.InHeader, dir, name, ino, err, out)
}

func (s *fileSystem) Unlink(cancel <-chan struct{}, h *gofuse.InHeader, name string) gofuse.Status {
	dir, st := s.inode(h.NodeId)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, h, mutating)
	defer end()
	return s.status(ctx, "unlink", h, s.fsys.UnlinkAt(ctx, dir, name))
}

func (s *fileSystem) Rmdir(cancel <-chan struct{}, h *gofuse.InHeader, name string) gofuse.Status {
	dir, st := s.inode(h.NodeId)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, h, mutating)
	defer end()
	return s.status(ctx, "rmdir", h, s.fsys.RmdirAt(ctx, dir, name))
}

// renameFlags are renameat2's flags as the kernel sends them.
const (
	renameNoReplace = 1 << 0
	renameExchange  = 1 << 1
)

// Rename is RENAME and RENAME2 (rule D3). RENAME_WHITEOUT (overlayfs) is
// refused with EINVAL, as on filesystems without whiteouts.
func (s *fileSystem) Rename(cancel <-chan struct{}, in *gofuse.RenameIn, oldName, newName string) gofuse.Status {
	olddir, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	newdir, st := s.inode(in.Newdir)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	var flags uint32
	switch in.Flags {
	case 0:
	case renameNoReplace:
		flags = vfs.RenameNoReplace
	case renameExchange:
		flags = vfs.RenameExchange
	default:
		return gofuse.Status(syscall.EINVAL)
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	return s.status(ctx, "rename", &in.InHeader, s.fsys.RenameAt(ctx, olddir, oldName, newdir, newName, flags))
}

func (s *fileSystem) Readlink(cancel <-chan struct{}, h *gofuse.InHeader) ([]byte, gofuse.Status) {
	ino, st := s.inode(h.NodeId)
	if !st.Ok() {
		return nil, st
	}
	ctx, end := requestCtx(cancel, h, interruptible)
	defer end()
	target, err := s.fsys.ReadlinkInode(ctx, ino)
	if err != nil {
		return nil, s.status(ctx, "readlink", h, err)
	}
	return []byte(target), gofuse.OK
}
