package memfs

// This file implements the attribute operations of vfs.Driver: Getattr,
// Setattr and Readlink. They hold FS.mu for reading (the namespace does not
// change) and the inode's mu for the attributes.

import (
	"context"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// Getattr returns the attributes of n; ESTALE when its inode is gone.
func (m *FS) Getattr(ctx context.Context, n vfs.Node) (vfs.Attr, error) {
	if err := m.begin(ctx, opGetattr, ""); err != nil {
		return vfs.Attr{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.liveLocked(n)
	if err != nil {
		return vfs.Attr{}, err
	}
	return m.attrLocked(ino), nil
}

// Setattr applies s as Linux notify_change does: any change sets ctime; a
// size change (truncate, always sparse) sets mtime too unless s sets it;
// chown of a non-directory clears set-uid and group-executable set-gid
// bits unless the same call sets the mode; a truncate by a caller other than
// root clears them the same way. Truncating a directory is EISDIR, another
// non-regular file EINVAL, through a handle not open for writing EINVAL.
func (m *FS) Setattr(ctx context.Context, n vfs.Node, s vfs.SetAttr) (vfs.Attr, error) {
	if err := m.begin(ctx, opSetattr, ""); err != nil {
		return vfs.Attr{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.liveLocked(n)
	if err != nil {
		return vfs.Attr{}, err
	}
	if s.Valid&vfs.SetSize != 0 {
		if err := checkTruncate(ino, s); err != nil {
			return vfs.Attr{}, err
		}
	}
	if s.Valid != 0 {
		m.setattr(ctx, ino, s)
	}
	return m.attrLocked(ino), nil
}

func checkTruncate(ino *inode, s vfs.SetAttr) error {
	switch {
	case ino.isDir():
		return syscall.EISDIR
	case ino.fileType != vfs.S_IFREG:
		return syscall.EINVAL
	case s.Size < 0:
		return syscall.EINVAL
	}
	if h, ok := s.Handle.(*handle); ok && !h.writable {
		return syscall.EINVAL // ftruncate on a read-only descriptor
	}
	return nil
}

// setattr applies a checked SetAttr. m.mu held for reading.
func (m *FS) setattr(ctx context.Context, ino *inode, s vfs.SetAttr) {
	now := m.now()
	kill := killPrivAll(ctx) // evaluated before ino.mu: it reads ctx only
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if s.Valid&vfs.SetMode != 0 {
		ino.perm = s.Mode & permMask
	}
	if s.Valid&(vfs.SetUid|vfs.SetGid) != 0 {
		if s.Valid&vfs.SetUid != 0 {
			ino.uid = s.Uid
		}
		if s.Valid&vfs.SetGid != 0 {
			ino.gid = s.Gid
		}
		if !ino.isDir() && s.Valid&vfs.SetMode == 0 {
			ino.killPrivLocked()
		}
	}
	if s.Valid&vfs.SetSize != 0 {
		m.truncateLocked(ino, s.Size)
		ino.mtime = now
		if kill && s.Valid&vfs.SetMode == 0 {
			ino.killPrivLocked()
		}
	}
	switch {
	case s.Valid&vfs.SetAtimeNow != 0:
		ino.atime = now
	case s.Valid&vfs.SetAtime != 0:
		ino.atime = s.AtimeNs
	}
	switch {
	case s.Valid&vfs.SetMtimeNow != 0:
		ino.mtime = now
	case s.Valid&vfs.SetMtime != 0:
		ino.mtime = s.MtimeNs
	}
	ino.touchLocked(now, false)
}

// killPrivAll reports whether a write or truncate on behalf of ctx must
// clear set-id bits: Linux clears them unless the writer has CAP_FSETID,
// which here means the caller is root or unknown (an in-process user).
func killPrivAll(ctx context.Context) bool {
	c, ok := vfs.CallerFrom(ctx)
	return ok && c.Uid != 0
}

// killPrivLocked clears S_ISUID, and S_ISGID when group-executable (without
// group execute S_ISGID means mandatory locking and stays), as Linux's
// should_remove_suid. ino.mu held for writing.
func (ino *inode) killPrivLocked() {
	ino.perm &^= modeSetuid
	if ino.perm&modeXGroup != 0 {
		ino.perm &^= modeSetgid
	}
}

// Readlink returns the target of symlink n; EINVAL for any other type.
func (m *FS) Readlink(ctx context.Context, n vfs.Node) (string, error) {
	if err := m.begin(ctx, opReadlink, ""); err != nil {
		return "", err
	}
	m.mu.RLock()
	ino, err := m.liveLocked(n)
	m.mu.RUnlock()
	if err != nil {
		return "", err
	}
	if ino.fileType != vfs.S_IFLNK {
		return "", syscall.EINVAL
	}
	ino.touchAtime(m.now())
	return ino.target, nil
}
