package localfs

// This file holds Open and AtomicOpen (rules O1..O4 on the driver's side).
// No locks: the core holds the name exclusively during AtomicOpen (rule
// O1), and everything else is the kernel's.

import (
	"context"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// passFlags are the open(2) flags passed on to the kernel. O_DIRECT is not
// among them (it would put alignment rules on the core's buffers), nor
// O_CREAT/O_EXCL (only Create and AtomicOpen create), nor O_NONBLOCK.
const passFlags = unix.O_ACCMODE | unix.O_APPEND | unix.O_SYNC | unix.O_DSYNC | unix.O_TRUNC

// maxOpenRaces bounds AtomicOpen's create-or-open loop, which repeats only
// when another process removes the name between two of our calls.
const maxOpenRaces = 16

// Open opens existing node n for I/O. The object is pinned (path first,
// then an open handle, see pin) and re-opened through /proc, so the open
// applies to exactly that object. Directories open read-only (EISDIR for
// write or O_TRUNC); a symlink gives ELOOP, a socket ENXIO; FIFOs and
// devices open with O_NONBLOCK so that the call never blocks.
func (f *FS) Open(ctx context.Context, n vfs.Node, flags int) (vfs.Handle, error) {
	nd, err := f.asNode(n)
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return nil, err
	}
	defer f.leave()
	fd, st, err := f.pin(ctx, nd, false)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	oflags := flags & passFlags
	switch fileType(&st) {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		if oflags&(unix.O_ACCMODE|unix.O_TRUNC) != unix.O_RDONLY {
			return nil, syscall.EISDIR
		}
		oflags = unix.O_RDONLY | unix.O_DIRECTORY
	case unix.S_IFLNK:
		return nil, syscall.ELOOP
	case unix.S_IFSOCK:
		return nil, syscall.ENXIO
	default:
		oflags |= unix.O_NONBLOCK
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hfd, err := reopen(fd, oflags)
	if err != nil {
		return nil, err
	}
	return newHandle(nd, hfd), nil
}

// AtomicOpen looks name up in dir, creating it with O_CREAT, and opens it
// if it is a regular file (vfs.AtomicOpener, rule O1). It answers:
//   - opened, Created true: this call's openat(O_CREAT|O_EXCL) made the
//     file. Without O_EXCL it tries that first and, on EEXIST, opens the
//     existing file with Created false, so Created is exact (rule O3);
//   - not opened, with the node: the name is a directory, a symlink (which
//     the core may follow: O_CREAT follows a final symlink, rule O4) or a
//     special file;
//   - not opened, no node: the name is absent and O_CREAT was not given.
//
// A mount point gives EXDEV (not crossed); EAGAIN means another process
// kept creating and removing the name for maxOpenRaces rounds. The driver
// does not fall back to anything (rule O2).
func (f *FS) AtomicOpen(ctx context.Context, dir vfs.Node, name string, flags int, mode uint32) (vfs.OpenResult, error) {
	d, err := f.asNode(dir)
	if err == nil {
		err = checkName(name)
	}
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return vfs.OpenResult{}, err
	}
	defer f.leave()
	dirfd, dst, err := f.pinDir(ctx, d)
	if err != nil {
		return vfs.OpenResult{}, err
	}
	defer unix.Close(dirfd)
	oflags := flags & passFlags
	for range maxOpenRaces {
		if err := ctx.Err(); err != nil {
			return vfs.OpenResult{}, err
		}
		if flags&unix.O_CREAT != 0 {
			// O_TRUNC means nothing for a file this call creates (rule O3).
			cflags := oflags&^unix.O_TRUNC | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
			fd, err := unix.Openat(dirfd, name, cflags, mode&0o7777)
			if err == nil {
				return f.opened(ctx, d, dirfd, &dst, name, fd, mode)
			}
			if err != syscall.EEXIST || flags&unix.O_EXCL != 0 {
				return vfs.OpenResult{}, err
			}
		}
		r, found, err := f.openExisting(ctx, d, dirfd, name, oflags)
		if err != nil || found || flags&unix.O_CREAT == 0 {
			return r, err
		}
		// The name existed a moment ago and is gone now: create again.
	}
	return vfs.OpenResult{}, syscall.EAGAIN
}

// openExisting pins name in the pinned directory dirfd without following
// it and opens it (through /proc, so exactly the pinned object) if it is a
// regular file. found is false when the name does not exist.
func (f *FS) openExisting(ctx context.Context, d *node, dirfd int, name string, oflags int) (r vfs.OpenResult, found bool, err error) {
	pfd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == syscall.ENOENT {
		return vfs.OpenResult{}, false, nil
	}
	if err != nil {
		return vfs.OpenResult{}, false, err
	}
	defer unix.Close(pfd)
	st, err := statFD(pfd)
	if err != nil {
		return vfs.OpenResult{}, true, err
	}
	if isMountRoot(&st) {
		return vfs.OpenResult{}, true, syscall.EXDEV
	}
	n := f.nodeAt(d, name, &st)
	if fileType(&st) != unix.S_IFREG {
		return vfs.OpenResult{Node: n, Attr: toAttr(&st)}, true, nil
	}
	if err := ctx.Err(); err != nil {
		return vfs.OpenResult{}, true, err
	}
	fd, err := reopen(pfd, oflags)
	if err != nil {
		return vfs.OpenResult{}, true, err
	}
	if oflags&unix.O_TRUNC != 0 {
		if st, err = statFD(fd); err != nil {
			unix.Close(fd)
			return vfs.OpenResult{}, true, err
		}
	}
	return vfs.OpenResult{Node: n, Attr: toAttr(&st), Handle: newHandle(n, fd)}, true, nil
}
