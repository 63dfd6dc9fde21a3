package fuse

// Clearing set-user-ID and set-group-ID bits (CAP_HANDLE_KILLPRIV_V2).
//
// By default the kernel protects the set-id bits itself: before every write
// to a file it asks for the file's security.capability attribute and sends
// a mode change when a bit must go. That is a second round trip for every
// write(2). With HANDLE_KILLPRIV_V2 the kernel leaves it to the filesystem:
// it flags a WRITE, a SETATTR (truncate, chown) or an OPEN with O_TRUNC made
// by a caller without CAP_FSETID, and the frontend clears the bits the way
// Linux (6.x, setattr_should_drop_sgid) does: S_ISUID always, S_ISGID when
// the group may execute or the caller is not in the file's group, with a
// mode change through the core when the cached mode has one of them.
//
// What the frontend does not do is remove a security.capability attribute:
// on the nosuid mounts it is used for (the default), the kernel ignores file
// capabilities at exec anyway; a mount with "suid" keeps the kernel's own
// protection. No locks.

import (
	"context"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/netvfs/netvfs/vfs"
)

const (
	modeSetuid = 0o4000
	modeSetgid = 0o2000
	modeXGroup = 0o0010
)

// killPrivMode returns the mode without the set-id bits a write by an
// unprivileged caller clears, and whether that is a change. inGroup reports
// whether the caller is in the file's group.
func killPrivMode(mode uint32, inGroup func() bool) (uint32, bool) {
	kill := uint32(modeSetuid)
	if mode&modeSetgid != 0 && (mode&modeXGroup != 0 || !inGroup()) {
		kill |= modeSetgid
	}
	if mode&kill == 0 || mode&vfs.S_IFMT != vfs.S_IFREG {
		return mode, false
	}
	return mode &^ kill, true
}

// callerInGroup returns a test of whether the request's caller is in group
// gid (primary or supplementary).
func callerInGroup(h *gofuse.InHeader, gid uint32) func() bool {
	return func() bool { return h.Gid == gid || inGroups(h.Pid, gid) }
}

// killPriv clears the set-id bits of ino, if its cached mode has bits that
// the request's caller loses by writing.
func (s *fileSystem) killPriv(ctx context.Context, h *gofuse.InHeader, ino *vfs.Inode) error {
	a := ino.Attr()
	mode, change := killPrivMode(a.Mode, callerInGroup(h, a.Gid))
	if !change {
		return nil
	}
	_, err := s.fsys.SetattrInode(ctx, ino, vfs.SetAttr{Valid: vfs.SetMode, Mode: mode & 0o7777})
	return err
}
