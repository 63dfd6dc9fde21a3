package fuse

// Extended attributes: GETXATTR, LISTXATTR, SETXATTR, REMOVEXATTR, with the
// size-0 probe of getxattr(2)/listxattr(2): a request for 0 bytes learns the
// size, a buffer too small gets ERANGE (go-fuse turns ERANGE into the size
// reply for a probe). For a driver without xattrs the requests answer
// ENOSYS: the kernel then answers EOPNOTSUPP itself. No locks.

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
)

func (s *fileSystem) GetXAttr(cancel <-chan struct{}, h *gofuse.InHeader, name string, dest []byte) (uint32, gofuse.Status) {
	if s.noXattrs {
		return 0, gofuse.ENOSYS
	}
	ino, st := s.inode(h.NodeId)
	if !st.Ok() {
		return 0, st
	}
	ctx, end := requestCtx(cancel, h, interruptible)
	defer end()
	v, err := s.fsys.GetxattrInode(ctx, ino, name)
	if err != nil {
		return 0, s.status(ctx, "getxattr", h, err)
	}
	return copyOut(dest, v)
}

func (s *fileSystem) ListXAttr(cancel <-chan struct{}, h *gofuse.InHeader, dest []byte) (uint32, gofuse.Status) {
	if s.noXattrs {
		return 0, gofuse.ENOSYS
	}
	ino, st := s.inode(h.NodeId)
	if !st.Ok() {
		return 0, st
	}
	ctx, end := requestCtx(cancel, h, interruptible)
	defer end()
	names, err := s.fsys.ListxattrInode(ctx, ino)
	if err != nil {
		return 0, s.status(ctx, "listxattr", h, err)
	}
	var list []byte
	for _, n := range names {
		list = append(append(list, n...), 0)
	}
	return copyOut(dest, list)
}

// copyOut copies v into dest, or reports the size needed with ERANGE.
func copyOut(dest, v []byte) (uint32, gofuse.Status) {
	if len(v) > len(dest) {
		return uint32(len(v)), gofuse.Status(syscall.ERANGE)
	}
	return uint32(copy(dest, v)), gofuse.OK
}

func (s *fileSystem) SetXAttr(cancel <-chan struct{}, in *gofuse.SetXAttrIn, name string, value []byte) gofuse.Status {
	if s.noXattrs {
		return gofuse.ENOSYS
	}
	ino, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	// go-fuse reuses the request buffer once we return: the driver may keep
	// the value, so it gets its own copy.
	value = append([]byte(nil), value...)
	return s.status(ctx, "setxattr", &in.InHeader, s.fsys.SetxattrInode(ctx, ino, name, value, int(in.Flags)))
}

func (s *fileSystem) RemoveXAttr(cancel <-chan struct{}, h *gofuse.InHeader, name string) gofuse.Status {
	if s.noXattrs {
		return gofuse.ENOSYS
	}
	ino, st := s.inode(h.NodeId)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, h, mutating)
	defer end()
	return s.status(ctx, "removexattr", h, s.fsys.RemovexattrInode(ctx, ino, name))
}
