package fuse

// Requests on files: CREATE (the core's atomic open, rule O1), OPEN, READ,
// WRITE, FLUSH, FSYNC, RELEASE, FALLOCATE, GETATTR and SETATTR. Open files
// are *vfs.File values registered in the handle table; the kernel names them
// by file handle. No locks of their own.

import (
	"io"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/netvfs/netvfs/vfs"
)

// Open flags the core is given. The kernel strips O_CREAT, O_EXCL and
// O_NOCTTY from OPEN; O_TRUNC arrives with OPEN because we ask for
// CAP_ATOMIC_O_TRUNC (one request instead of SETATTR then OPEN).
const (
	openFlags   = syscall.O_ACCMODE | syscall.O_APPEND | syscall.O_TRUNC | syscall.O_SYNC | syscall.O_DSYNC | syscall.O_DIRECTORY
	createFlags = openFlags | syscall.O_CREAT | syscall.O_EXCL | syscall.O_NOFOLLOW
)

// openReplyFlags are the FOPEN_* flags of an OPEN or CREATE reply.
func (s *fileSystem) openReplyFlags() uint32 {
	if s.ttl.keepCache {
		return gofuse.FOPEN_KEEP_CACHE
	}
	return 0
}

// Create is the kernel's atomic open of a name it has no entry for: the
// core's OpenFileAt with O_CREAT on that one name looks up, creates and
// opens in one claimed step (rules O1-O3); with O_EXCL it fails with EEXIST
// unless this very call created the file.
func (s *fileSystem) Create(cancel <-chan struct{}, in *gofuse.CreateIn, name string, out *gofuse.CreateOut) gofuse.Status {
	dir, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	if st := s.refuseWrite(); !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	flags := int(in.Flags)&createFlags | syscall.O_CREAT
	fl, err := s.fsys.OpenFileAt(ctx, dir, name, flags, in.Mode&^in.Umask&0o7777)
	if err != nil {
		return s.status(ctx, "create", &in.InHeader, err)
	}
	ino := fl.Inode()
	if in.OpenFlags&gofuse.OPEN_KILL_SUIDGID != 0 && !fl.Created() && flags&syscall.O_TRUNC != 0 {
		s.killPriv(ctx, &in.InHeader, ino)
	}
	a, err := s.fsys.GetattrInode(ctx, ino)
	if err != nil {
		fl.CloseContext(ctx, false)
		return s.status(ctx, "create", &in.InHeader, err)
	}
	if !s.entryOut(&out.EntryOut, ino, &a) { // held open, so alive unless opened dead
		fl.CloseContext(ctx, false)
		return s.status(ctx, "create", &in.InHeader, syscall.ESTALE)
	}
	out.OpenOut = gofuse.OpenOut{Fh: s.handles.add(&handle{file: fl}), OpenFlags: s.openReplyFlags()}
	return gofuse.OK
}

func (s *fileSystem) Open(cancel <-chan struct{}, in *gofuse.OpenIn, out *gofuse.OpenOut) gofuse.Status {
	ino, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	flags := int(in.Flags) & openFlags
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0 {
		if st := s.refuseWrite(); !st.Ok() {
			return st
		}
	}
	// Opening changes nothing on the server unless it truncates: a
	// process killed while its open waits for a stalled server gets out.
	ctx, end := requestCtx(cancel, &in.InHeader, flags&syscall.O_TRUNC == 0)
	defer end()
	fl, err := s.fsys.OpenInode(ctx, ino, flags)
	if err != nil {
		return s.status(ctx, "open", &in.InHeader, err)
	}
	if in.Mode&gofuse.OPEN_KILL_SUIDGID != 0 && flags&syscall.O_TRUNC != 0 { // OpenIn.Mode holds open flags
		s.killPriv(ctx, &in.InHeader, ino)
	}
	*out = gofuse.OpenOut{Fh: s.handles.add(&handle{file: fl}), OpenFlags: s.openReplyFlags()}
	return gofuse.OK
}

// file returns the open file of handle fh.
func (s *fileSystem) file(fh uint64) (*vfs.File, gofuse.Status) {
	if h := s.handles.get(fh); h != nil {
		return h.file, gofuse.OK
	}
	return nil, gofuse.Status(syscall.EBADF)
}

// Read reads into go-fuse's buffer. A short read at end of file is the
// answer the kernel expects there.
func (s *fileSystem) Read(cancel <-chan struct{}, in *gofuse.ReadIn, buf []byte) (gofuse.ReadResult, gofuse.Status) {
	fl, st := s.file(in.Fh)
	if !st.Ok() {
		return nil, st
	}
	if int(in.Size) < len(buf) {
		buf = buf[:in.Size]
	}
	ctx, end := requestCtx(cancel, &in.InHeader, interruptible)
	defer end()
	n, err := fl.ReadAtContext(ctx, buf, int64(in.Offset))
	if err != nil && err != io.EOF {
		return nil, s.status(ctx, "read", &in.InHeader, err)
	}
	return gofuse.ReadResultData(buf[:n]), gofuse.OK
}

func (s *fileSystem) Write(cancel <-chan struct{}, in *gofuse.WriteIn, data []byte) (uint32, gofuse.Status) {
	fl, st := s.file(in.Fh)
	if !st.Ok() {
		return 0, st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	if in.WriteFlags&gofuse.WRITE_KILL_SUIDGID != 0 {
		if err := s.killPriv(ctx, &in.InHeader, fl.Inode()); err != nil {
			return 0, s.status(ctx, "write", &in.InHeader, err)
		}
	}
	n, err := fl.WriteAtContext(ctx, data, int64(in.Offset))
	if err != nil {
		return uint32(n), s.status(ctx, "write", &in.InHeader, err)
	}
	return uint32(n), gofuse.OK
}

// Writev takes WRITE data in the pieces go-fuse read it in. One piece (the
// usual case) is written without a copy; several are joined so that the
// write stays one call (one append on an O_APPEND handle).
func (s *fileSystem) Writev(cancel <-chan struct{}, in *gofuse.WriteIn, data [][]byte) (uint32, gofuse.Status) {
	if len(data) == 1 {
		return s.Write(cancel, in, data[0])
	}
	var joined []byte
	for _, d := range data {
		joined = append(joined, d...)
	}
	return s.Write(cancel, in, joined)
}

// Flush is sent on every close(2) of a descriptor of the file.
func (s *fileSystem) Flush(cancel <-chan struct{}, in *gofuse.FlushIn) gofuse.Status {
	fl, st := s.file(in.Fh)
	if !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	return s.status(ctx, "flush", &in.InHeader, fl.FlushContext(ctx))
}

func (s *fileSystem) Fsync(cancel <-chan struct{}, in *gofuse.FsyncIn) gofuse.Status {
	fl, st := s.file(in.Fh)
	if !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	return s.status(ctx, "fsync", &in.InHeader, fl.SyncContext(ctx, in.FsyncFlags&1 != 0))
}

// Release closes the file once the kernel has no descriptor left; FLUSH came
// before, so the file is not flushed again.
func (s *fileSystem) Release(cancel <-chan struct{}, in *gofuse.ReleaseIn) {
	h := s.handles.remove(in.Fh)
	if h == nil {
		return
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	if err := s.closeHandle(ctx, h); err != nil {
		s.status(ctx, "release", &in.InHeader, err)
	}
}

func (s *fileSystem) Fallocate(cancel <-chan struct{}, in *gofuse.FallocateIn) gofuse.Status {
	fl, st := s.file(in.Fh)
	if !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	return s.status(ctx, "fallocate", &in.InHeader, fl.Allocate(ctx, int64(in.Offset), int64(in.Length), in.Mode))
}

// GetAttr answers from the core's attribute cache while it is valid (rule
// V1). With a file handle the attributes are those of the handle's Inode,
// which is the request's node.
func (s *fileSystem) GetAttr(cancel <-chan struct{}, in *gofuse.GetAttrIn, out *gofuse.AttrOut) gofuse.Status {
	ino, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	if in.Flags()&gofuse.FUSE_GETATTR_FH != 0 {
		if h := s.handles.get(in.Fh()); h != nil {
			ino = h.file.Inode()
		}
	}
	ctx, end := requestCtx(cancel, &in.InHeader, interruptible)
	defer end()
	a, err := s.fsys.GetattrInode(ctx, ino)
	if err != nil {
		return s.status(ctx, "getattr", &in.InHeader, err)
	}
	s.attrOut(out, ino, &a)
	return gofuse.OK
}

// SetAttr is chmod, chown, truncate and utimensat (UTIME_NOW included); a
// change made through an open file (ftruncate, futimens) passes the
// driver's handle along.
func (s *fileSystem) SetAttr(cancel <-chan struct{}, in *gofuse.SetAttrIn, out *gofuse.AttrOut) gofuse.Status {
	ino, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	sa := setAttrOf(&in.SetAttrInCommon)
	if in.Valid&gofuse.FATTR_KILL_SUIDGID != 0 && sa.Valid&vfs.SetMode == 0 {
		a := ino.Attr()
		if mode, change := killPrivMode(a.Mode, callerInGroup(&in.InHeader, a.Gid)); change {
			sa.Valid |= vfs.SetMode
			sa.Mode = mode & 0o7777
		}
	}
	ctx, end := requestCtx(cancel, &in.InHeader, mutating)
	defer end()
	var a vfs.Attr
	var err error
	if sa.Valid == 0 {
		a, err = s.fsys.GetattrInode(ctx, ino)
	} else {
		if st := s.refuseWrite(); !st.Ok() {
			return st
		}
		if fh, ok := in.GetFh(); ok {
			if h := s.handles.get(fh); h != nil {
				sa.Handle = h.file.Handle()
			}
		}
		a, err = s.fsys.SetattrInode(ctx, ino, sa)
	}
	if err != nil {
		return s.status(ctx, "setattr", &in.InHeader, err)
	}
	s.attrOut(out, ino, &a)
	return gofuse.OK
}

// setAttrOf translates the kernel's SETATTR fields. FATTR_CTIME and
// FATTR_LOCKOWNER have no counterpart (the driver sets the ctime itself);
// FATTR_KILL_SUIDGID is handled by SetAttr (killpriv.go).
func setAttrOf(in *gofuse.SetAttrInCommon) vfs.SetAttr {
	var sa vfs.SetAttr
	if in.Valid&gofuse.FATTR_MODE != 0 {
		sa.Valid |= vfs.SetMode
		sa.Mode = in.Mode & 0o7777
	}
	if in.Valid&gofuse.FATTR_UID != 0 {
		sa.Valid |= vfs.SetUid
		sa.Uid = in.Uid
	}
	if in.Valid&gofuse.FATTR_GID != 0 {
		sa.Valid |= vfs.SetGid
		sa.Gid = in.Gid
	}
	if in.Valid&gofuse.FATTR_SIZE != 0 {
		sa.Valid |= vfs.SetSize
		sa.Size = int64(in.Size)
	}
	switch {
	case in.Valid&gofuse.FATTR_ATIME_NOW != 0:
		sa.Valid |= vfs.SetAtimeNow
	case in.Valid&gofuse.FATTR_ATIME != 0:
		sa.Valid |= vfs.SetAtime
		sa.AtimeNs = int64(in.Atime)*1e9 + int64(in.Atimensec)
	}
	switch {
	case in.Valid&gofuse.FATTR_MTIME_NOW != 0:
		sa.Valid |= vfs.SetMtimeNow
	case in.Valid&gofuse.FATTR_MTIME != 0:
		sa.Valid |= vfs.SetMtime
		sa.MtimeNs = int64(in.Mtime)*1e9 + int64(in.Mtimensec)
	}
	return sa
}
