package localfs

// This file holds the calls that make new names: Create, Mkdir, Mknod,
// Symlink and Link, and adopt, which gives a new object its final owner and
// mode. The core excludes other calls on the name (rule D1); nothing here
// locks.

import (
	"context"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// Create creates regular file name in dir exclusively (O_CREAT|O_EXCL,
// never following a symlink) and opens it with flags. EEXIST if the name
// exists in any form.
func (f *FS) Create(ctx context.Context, dir vfs.Node, name string, flags int, mode uint32) (vfs.Node, vfs.Attr, vfs.Handle, error) {
	d, err := f.asNode(dir)
	if err == nil {
		err = checkName(name)
	}
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	defer f.leave()
	dirfd, dst, err := f.pinDir(ctx, d)
	if err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	defer unix.Close(dirfd)
	if err := ctx.Err(); err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	oflags := flags&passFlags&^unix.O_TRUNC | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(dirfd, name, oflags, mode&0o7777)
	if err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	r, err := f.opened(ctx, d, dirfd, &dst, name, fd, mode)
	return r.Node, r.Attr, r.Handle, err
}

// opened finishes a file this call created as name in d and opened as fd
// (Create, AtomicOpen): adopt, then wrap fd in a handle. On failure it
// closes fd and removes the name again, so no half-made file is left.
func (f *FS) opened(ctx context.Context, d *node, dirfd int, dst *unix.Statx_t, name string, fd int, mode uint32) (vfs.OpenResult, error) {
	st, err := f.adopt(ctx, fd, dst, mode)
	if err != nil {
		unix.Close(fd)
		unix.Unlinkat(dirfd, name, 0)
		return vfs.OpenResult{}, err
	}
	n := f.nodeAt(d, name, &st)
	return vfs.OpenResult{Node: n, Attr: toAttr(&st), Handle: newHandle(n, fd), Created: true}, nil
}

// Mkdir creates directory name in dir with permission bits mode&0o7777.
func (f *FS) Mkdir(ctx context.Context, dir vfs.Node, name string, mode uint32) (vfs.Node, vfs.Attr, error) {
	return f.makeNode(ctx, dir, name, unix.S_IFDIR, mode, func(dirfd int) error {
		return unix.Mkdirat(dirfd, name, mode&0o7777)
	})
}

// Mknod creates a special file: the type in mode (S_IFIFO, S_IFSOCK,
// S_IFCHR, S_IFBLK, or S_IFREG/0 for an empty regular file) and rdev go to
// mknodat as they are; devices need CAP_MKNOD (EPERM otherwise).
func (f *FS) Mknod(ctx context.Context, dir vfs.Node, name string, mode uint32, rdev uint64) (vfs.Node, vfs.Attr, error) {
	typ := mode & unix.S_IFMT
	if typ == 0 {
		typ = unix.S_IFREG
	}
	return f.makeNode(ctx, dir, name, typ, mode, func(dirfd int) error {
		return unix.Mknodat(dirfd, name, mode, int(rdev))
	})
}

// Symlink creates symlink name in dir pointing at target, stored as is:
// the driver never follows it (the core resolves symlinks, rule P2).
func (f *FS) Symlink(ctx context.Context, dir vfs.Node, name string, target string) (vfs.Node, vfs.Attr, error) {
	return f.makeNode(ctx, dir, name, unix.S_IFLNK, 0o777, func(dirfd int) error {
		return unix.Symlinkat(target, dirfd, name)
	})
}

// makeNode runs mk (mkdirat, mknodat or symlinkat of name in the pinned
// directory dir), then pins the new object, checks it is the one just
// made, and adopts it.
func (f *FS) makeNode(ctx context.Context, dir vfs.Node, name string, typ, mode uint32, mk func(dirfd int) error) (vfs.Node, vfs.Attr, error) {
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
	dirfd, dst, err := f.pinDir(ctx, d)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer unix.Close(dirfd)
	if err := ctx.Err(); err != nil {
		return nil, vfs.Attr{}, err
	}
	if err := mk(dirfd); err != nil {
		return nil, vfs.Attr{}, err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, vfs.Attr{}, staleIfGone(err)
	}
	defer unix.Close(fd)
	st, err := statFD(fd)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	if !looksNew(&st, typ) {
		// Someone replaced the name between our make and our open: do
		// not give the caller's owner to an object we did not make.
		return nil, vfs.Attr{}, syscall.ESTALE
	}
	if st, err = f.adopt(ctx, fd, &dst, mode); err != nil {
		return nil, vfs.Attr{}, err
	}
	return f.nodeAt(d, name, &st), toAttr(&st), nil
}

// looksNew reports whether st can be the object just made with type typ:
// right type, and no other name yet (a hard link planted in its place, say
// to a root-owned file, has more).
func looksNew(st *unix.Statx_t, typ uint32) bool {
	if fileType(st) != typ {
		return false
	}
	return typ == unix.S_IFDIR || st.Nlink == 1
}

// adopt finishes an object this call created, through fd (an O_PATH or
// open descriptor of exactly that object), and returns its attributes:
//   - when the driver runs as root and ctx carries a vfs.Caller, the object
//     gets the caller's uid, and its gid unless the parent directory is
//     set-group-ID (then the directory's group, as Linux does);
//   - the permission bits the process umask removed are put back, so the
//     object has the mode the core asked for (the core and FUSE apply the
//     user's umask themselves); special bits are kept as the kernel set
//     them. Symlinks have no mode of their own.
func (f *FS) adopt(ctx context.Context, fd int, parent *unix.Statx_t, mode uint32) (unix.Statx_t, error) {
	st, err := statFD(fd)
	if err != nil {
		return st, err
	}
	special := uint32(st.Mode) & 0o7000
	if c, ok := vfs.CallerFrom(ctx); ok && f.privileged {
		gid := c.Gid
		if parent.Mode&unix.S_ISGID != 0 {
			gid = st.Gid
		}
		if c.Uid != st.Uid || gid != st.Gid {
			err := unix.Fchownat(fd, "", int(c.Uid), int(gid), unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
			if err != nil {
				return st, err
			}
			if st, err = statFD(fd); err != nil {
				return st, err
			}
		}
	}
	if fileType(&st) == unix.S_IFLNK {
		return st, nil
	}
	want := special | mode&0o777
	if uint32(st.Mode)&0o7777 == want {
		return st, nil
	}
	if err := chmodFD(fd, want); err != nil {
		return st, err
	}
	return statFD(fd)
}

// chmodFD changes the mode of fd's object (there is no fchmod for O_PATH
// descriptors before fchmodat2).
func chmodFD(fd int, mode uint32) error {
	return unix.Fchmodat(unix.AT_FDCWD, procPath(fd), mode, 0)
}

// Link makes name in dir a new hard link to n and returns n's attributes
// after the link. EPERM if n is a directory (the kernel's answer). The
// source is pinned by path only, never through an open handle: a handle's
// file may have been moved out of the root, and linking it back in would
// bring an outside file inside.
func (f *FS) Link(ctx context.Context, n vfs.Node, dir vfs.Node, name string) (vfs.Attr, error) {
	src, err := f.asNode(n)
	var d *node
	if err == nil {
		d, err = f.asNode(dir)
	}
	if err == nil {
		err = checkName(name)
	}
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return vfs.Attr{}, err
	}
	defer f.leave()
	srcfd, _, err := f.pinPath(ctx, src)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer unix.Close(srcfd)
	dirfd, _, err := f.pinDir(ctx, d)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer unix.Close(dirfd)
	if err := ctx.Err(); err != nil {
		return vfs.Attr{}, err
	}
	// AT_SYMLINK_FOLLOW follows only the /proc link, to srcfd's object,
	// which is linked as is even when it is a symlink.
	if err := unix.Linkat(unix.AT_FDCWD, procPath(srcfd), dirfd, name, unix.AT_SYMLINK_FOLLOW); err != nil {
		return vfs.Attr{}, err
	}
	src.foundAt(location{d, name}) // one node per object (rule A1): the new name is n's too
	st, err := statFD(srcfd)
	if err != nil {
		return vfs.Attr{}, err
	}
	return toAttr(&st), nil
}
