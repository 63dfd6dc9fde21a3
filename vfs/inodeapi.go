package vfs

// The inode API: operations on an *Inode the caller already holds, for
// frontends that keep their own references (FUSE node ids). Names passed
// here are single components. The same rules apply as on the path API: a
// Lookup claims the name (L1), creates go through the atomic open (O1).

import (
	"context"
	"syscall"
)

// Lookup resolves one name in dir without following a symlink. "." and ".."
// are resolved by the core (".." at the root stays at the root).
func (f *FS) Lookup(ctx context.Context, dir *Inode, name string) (*Inode, Attr, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	var ino *Inode
	err := f.retryStale(func(force reval) error {
		switch name {
		case ".":
			ino = dir
			return nil
		case "..":
			ino = f.parentDir(dir)
			return nil
		}
		d, err := f.lookupName(ctx, dir, name, force)
		if err != nil {
			return err
		}
		if ino = d.inode.Load(); d.st() != statePositive || ino == nil {
			return syscall.ENOENT
		}
		return nil
	})
	if err != nil {
		return nil, Attr{}, pathErr("lookup", name, err)
	}
	a, err := f.getattr(ctx, ino, false)
	if err != nil {
		return nil, Attr{}, pathErr("lookup", name, err)
	}
	return ino, a, nil
}

// GetattrInode returns ino's attributes, asking the driver when the cached
// ones expired (V1).
func (f *FS) GetattrInode(ctx context.Context, ino *Inode) (Attr, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	a, err := f.getattr(ctx, ino, false)
	return a, pathErr("getattr", ino.path(), err)
}

// SetattrInode changes ino's attributes.
func (f *FS) SetattrInode(ctx context.Context, ino *Inode, s SetAttr) (Attr, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	a, err := f.setattr(ctx, ino, s)
	return a, pathErr("setattr", ino.path(), err)
}

// OpenInode opens ino (flags as open(2), without O_CREAT).
func (f *FS) OpenInode(ctx context.Context, ino *Inode, flags int) (*File, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	fl, err := f.openInode(ctx, ino, flags&^(syscall.O_CREAT|syscall.O_EXCL), false)
	if err == errRaced {
		err = syscall.ESTALE
	}
	if err != nil {
		return nil, pathErr("open", ino.path(), err)
	}
	return fl, nil
}

// ReadlinkInode returns the target of symlink ino.
func (f *FS) ReadlinkInode(ctx context.Context, ino *Inode) (string, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	t, err := f.readlink(ctx, ino)
	return t, pathErr("readlink", ino.path(), err)
}

// ReadDirInode lists directory ino with attributes where the driver gave
// them, priming the cache (readdirplus).
func (f *FS) ReadDirInode(ctx context.Context, ino *Inode) ([]DirEntryPlus, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	ents, err := f.readDir(ctx, ino)
	return ents, pathErr("readdir", ino.path(), err)
}

// Xattr operations on an inode (ENOTSUP when the driver has none).

// GetxattrInode returns extended attribute name of ino.
func (f *FS) GetxattrInode(ctx context.Context, ino *Inode, name string) ([]byte, error) {
	if f.xattr == nil {
		return nil, pathErr("getxattr", ino.path(), syscall.ENOTSUP)
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	v, err := f.xattr.GetXattr(ctx, ino.node, name)
	return v, pathErr("getxattr", ino.path(), err)
}

// SetxattrInode sets extended attribute name of ino.
func (f *FS) SetxattrInode(ctx context.Context, ino *Inode, name string, value []byte, flags int) error {
	if f.xattr == nil {
		return pathErr("setxattr", ino.path(), syscall.ENOTSUP)
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	err := f.xattr.SetXattr(ctx, ino.node, name, value, flags)
	f.expireAttr(ino)
	return pathErr("setxattr", ino.path(), err)
}

// ListxattrInode lists the extended attribute names of ino.
func (f *FS) ListxattrInode(ctx context.Context, ino *Inode) ([]string, error) {
	if f.xattr == nil {
		return nil, pathErr("listxattr", ino.path(), syscall.ENOTSUP)
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	v, err := f.xattr.ListXattr(ctx, ino.node)
	return v, pathErr("listxattr", ino.path(), err)
}

// RemovexattrInode removes extended attribute name of ino.
func (f *FS) RemovexattrInode(ctx context.Context, ino *Inode, name string) error {
	if f.xattr == nil {
		return pathErr("removexattr", ino.path(), syscall.ENOTSUP)
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	err := f.xattr.RemoveXattr(ctx, ino.node, name)
	f.expireAttr(ino)
	return pathErr("removexattr", ino.path(), err)
}

// Getxattr returns extended attribute attr of path name (following symlinks).
func (f *FS) Getxattr(ctx context.Context, name, attr string) ([]byte, error) {
	var v []byte
	err := f.withInode(ctx, nil, name, true, func(ctx context.Context, ino *Inode) (err error) {
		v, err = f.GetxattrInode(ctx, ino, attr)
		return err
	})
	return v, pathErr("getxattr", name, err)
}

// Setxattr sets extended attribute attr of path name.
func (f *FS) Setxattr(ctx context.Context, name, attr string, value []byte, flags int) error {
	err := f.withInode(ctx, nil, name, true, func(ctx context.Context, ino *Inode) error {
		return f.SetxattrInode(ctx, ino, attr, value, flags)
	})
	return pathErr("setxattr", name, err)
}

// Listxattr lists the extended attribute names of path name.
func (f *FS) Listxattr(ctx context.Context, name string) ([]string, error) {
	var v []string
	err := f.withInode(ctx, nil, name, true, func(ctx context.Context, ino *Inode) (err error) {
		v, err = f.ListxattrInode(ctx, ino)
		return err
	})
	return v, pathErr("listxattr", name, err)
}

// Removexattr removes extended attribute attr of path name.
func (f *FS) Removexattr(ctx context.Context, name, attr string) error {
	err := f.withInode(ctx, nil, name, true, func(ctx context.Context, ino *Inode) error {
		return f.RemovexattrInode(ctx, ino, attr)
	})
	return pathErr("removexattr", name, err)
}

// path returns the inode's path from the root as the cache knows it (for
// messages; "?" where a name is unknown).
func (ino *Inode) path() string {
	var parts []string
	for p, n := ino, 0; n < 256; n++ {
		d := p.dentry.Load()
		if d == nil {
			parts = append(parts, "?")
			break
		}
		if d.parent == nil {
			break
		}
		parts = append(parts, d.name)
		p = d.parent.inode
	}
	s := ""
	for i := len(parts) - 1; i >= 0; i-- {
		s += "/" + parts[i]
	}
	if s == "" {
		return "/"
	}
	return s
}

// Path returns the inode's path from the root as the cache knows it.
func (ino *Inode) Path() string { return ino.path() }
