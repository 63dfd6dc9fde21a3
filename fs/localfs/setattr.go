package localfs

// This file holds Setattr. No locks: each change is one kernel call on the
// pinned object, applied in the order size, owner, mode, times (so that
// chown's clearing of set-user-ID bits and truncate's mtime update do not
// undo a requested mode or time).

import (
	"context"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// Setattr changes the attributes named in s.Valid on n and returns n's
// attributes afterwards. A size change uses s.Handle when it is one of this
// driver's handles on the same object (ftruncate), otherwise opens n for
// writing (EISDIR for a
// directory, EINVAL for other non-regular files, as truncate(2)). A mode
// change on a symlink is EOPNOTSUPP (Linux has no lchmod). Changes are not
// atomic as a whole: on error, those before the failing one stay made.
func (f *FS) Setattr(ctx context.Context, n vfs.Node, s vfs.SetAttr) (vfs.Attr, error) {
	nd, err := f.asNode(n)
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return vfs.Attr{}, err
	}
	defer f.leave()
	fd, st, err := f.pin(ctx, nd, true)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer unix.Close(fd)
	steps := []func() error{
		func() error { return setSize(ctx, fd, &st, nd, s) },
		func() error { return setOwner(fd, s) },
		func() error { return setMode(fd, &st, s) },
		func() error { return setTimes(fd, s) },
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return vfs.Attr{}, err
		}
		if err := step(); err != nil {
			return vfs.Attr{}, err
		}
	}
	if st, err = statFD(fd); err != nil {
		return vfs.Attr{}, err
	}
	return toAttr(&st), nil
}

// setSize truncates or extends (sparse) the pinned regular file fd.
func setSize(ctx context.Context, fd int, st *unix.Statx_t, n *node, s vfs.SetAttr) error {
	if s.Valid&vfs.SetSize == 0 {
		return nil
	}
	switch fileType(st) {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return syscall.EISDIR
	default:
		return syscall.EINVAL
	}
	if h, ok := s.Handle.(*handle); ok && h.node.dev == n.dev && h.node.ino == n.ino {
		return h.truncate(ctx, s.Size)
	}
	wfd, err := reopen(fd, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer unix.Close(wfd)
	return unix.Ftruncate(wfd, s.Size)
}

// setOwner changes uid and/or gid of fd's object (a symlink itself, never
// its target).
func setOwner(fd int, s vfs.SetAttr) error {
	if s.Valid&(vfs.SetUid|vfs.SetGid) == 0 {
		return nil
	}
	uid, gid := -1, -1
	if s.Valid&vfs.SetUid != 0 {
		uid = int(s.Uid)
	}
	if s.Valid&vfs.SetGid != 0 {
		gid = int(s.Gid)
	}
	return unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
}

// setMode changes the permission bits of fd's object.
func setMode(fd int, st *unix.Statx_t, s vfs.SetAttr) error {
	if s.Valid&vfs.SetMode == 0 {
		return nil
	}
	if fileType(st) == unix.S_IFLNK {
		return syscall.EOPNOTSUPP
	}
	return chmodFD(fd, s.Mode&0o7777)
}

// setTimes sets atime and/or mtime of fd's object (a symlink itself: the
// /proc link leads to the pinned object and is not followed further).
func setTimes(fd int, s vfs.SetAttr) error {
	if s.Valid&(vfs.SetAtime|vfs.SetMtime|vfs.SetAtimeNow|vfs.SetMtimeNow) == 0 {
		return nil
	}
	ts := []unix.Timespec{
		timespec(s.Valid, vfs.SetAtime, vfs.SetAtimeNow, s.AtimeNs),
		timespec(s.Valid, vfs.SetMtime, vfs.SetMtimeNow, s.MtimeNs),
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, procPath(fd), ts, 0)
}

// timespec is one utimensat time: UTIME_NOW, the given time, or UTIME_OMIT.
func timespec(valid, set, now vfs.SetAttrMask, ns int64) unix.Timespec {
	switch {
	case valid&now != 0:
		return unix.Timespec{Nsec: unix.UTIME_NOW}
	case valid&set != 0:
		return unix.NsecToTimespec(ns)
	}
	return unix.Timespec{Nsec: unix.UTIME_OMIT}
}
