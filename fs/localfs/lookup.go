package localfs

// This file holds the calls that only read: Lookup, Getattr, Readlink,
// Statfs and Revalidate. No locks beyond those of resolve.go.

import (
	"context"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// Lookup resolves name in directory dir without following a final symlink
// (rule L4: it only answers; the core installs the result). ENOENT when the
// name does not exist, ENOTDIR when dir is not a directory, EXDEV when the
// name is a mount point (not crossed), ESTALE when dir is stale.
func (f *FS) Lookup(ctx context.Context, dir vfs.Node, name string) (vfs.Node, vfs.Attr, error) {
	d, err := f.asNode(dir)
	if err == nil {
		err = checkName(name)
	}
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer f.leave()
	dirfd, _, err := f.pinDir(ctx, d)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer unix.Close(dirfd)
	if err := ctx.Err(); err != nil {
		return nil, vfs.Attr{}, err
	}
	st, err := statAt(dirfd, name)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	if isMountRoot(&st) {
		return nil, vfs.Attr{}, syscall.EXDEV
	}
	return f.nodeAt(d, name, &st), toAttr(&st), nil
}

// Getattr returns n's current attributes; ESTALE if n's path no longer
// leads to it and no handle keeps it open.
func (f *FS) Getattr(ctx context.Context, n vfs.Node) (vfs.Attr, error) {
	nd, err := f.asNode(n)
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return vfs.Attr{}, err
	}
	defer f.leave()
	fd, st, err := f.pin(ctx, nd, false)
	if err != nil {
		return vfs.Attr{}, err
	}
	unix.Close(fd)
	return toAttr(&st), nil
}

// Readlink returns the target of symlink n; EINVAL if n is not a symlink.
func (f *FS) Readlink(ctx context.Context, n vfs.Node) (string, error) {
	nd, err := f.asNode(n)
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return "", err
	}
	defer f.leave()
	fd, st, err := f.pinPath(ctx, nd)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	if fileType(&st) != unix.S_IFLNK {
		return "", syscall.EINVAL
	}
	for size := 256; ; size *= 2 {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		buf := make([]byte, size)
		m, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return "", err
		}
		if m < size {
			return string(buf[:m]), nil
		}
	}
}

// Statfs reports usage of the filesystem holding n (fstatfs).
func (f *FS) Statfs(ctx context.Context, n vfs.Node) (vfs.Statfs, error) {
	nd, err := f.asNode(n)
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return vfs.Statfs{}, err
	}
	defer f.leave()
	fd, _, err := f.pin(ctx, nd, false)
	if err != nil {
		return vfs.Statfs{}, err
	}
	defer unix.Close(fd)
	var s unix.Statfs_t
	if err := unix.Fstatfs(fd, &s); err != nil {
		return vfs.Statfs{}, err
	}
	return vfs.Statfs{
		Bsize:   uint32(s.Bsize),
		Frsize:  uint32(s.Frsize),
		Blocks:  s.Blocks,
		Bfree:   s.Bfree,
		Bavail:  s.Bavail,
		Files:   s.Files,
		Ffree:   s.Ffree,
		NameLen: uint32(s.Namelen),
	}, nil
}

// Revalidate returns n's current attributes, as Getattr does, and whether
// the object changed since the core cached it (vfs.Revalidator, rule V1):
// its identity, mtime or ctime differ from cached, or no name leads to it
// any more and only an open handle keeps it (then the attributes are the
// open object's, and changed tells the core to look its name up again).
// Without a name or a handle it is ESTALE, as in Getattr: fresh attributes
// are always real ones, since the core installs them.
func (f *FS) Revalidate(ctx context.Context, n vfs.Node, cached vfs.Attr) (vfs.Attr, bool, error) {
	nd, err := f.asNode(n)
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return vfs.Attr{}, false, err
	}
	defer f.leave()
	fd, st, err := f.pinPath(ctx, nd)
	nameless := err == syscall.ESTALE
	if nameless {
		fd, st, err = pinHandle(nd)
	}
	if err != nil {
		return vfs.Attr{}, false, err
	}
	unix.Close(fd)
	fresh := toAttr(&st)
	changed := nameless || fresh.ID != cached.ID || fresh.MtimeNs != cached.MtimeNs || fresh.CtimeNs != cached.CtimeNs
	return fresh, changed, nil
}
