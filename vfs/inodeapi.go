package vfs

// The inode API: operations on an *Inode the caller already holds, for
// frontends that keep their own references (FUSE node ids). Names passed
// here are single components. The same rules apply as on the path API: a
// Lookup claims the name (L1), creates go through the atomic open (O1).

import (
	"context"
	"slices"
	"strings"
	"syscall"
)

// Lookup resolves one name in dir without following a symlink. "." and ".."
// are resolved by the core (".." at the root stays at the root). The Inode
// is not pinned: a frontend that keeps it pins it (Pin), and looks the name
// up again if Pin reports it forgotten meanwhile.
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
		var err error
		ino, err = f.lookupInode(ctx, dir, name, force)
		return err
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
	return a, inodeErr("getattr", ino, err)
}

// SetattrInode changes ino's attributes.
func (f *FS) SetattrInode(ctx context.Context, ino *Inode, s SetAttr) (Attr, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	a, err := f.setattr(ctx, ino, s)
	return a, inodeErr("setattr", ino, err)
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
		return nil, inodeErr("open", ino, err)
	}
	return fl, nil
}

// ReadlinkInode returns the target of symlink ino.
func (f *FS) ReadlinkInode(ctx context.Context, ino *Inode) (string, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	t, err := f.readlink(ctx, ino)
	return t, inodeErr("readlink", ino, err)
}

// ReadDirInode lists directory ino with attributes where the driver gave
// them, priming the cache (readdirplus). The entries' Inodes are not
// pinned, as Lookup's.
func (f *FS) ReadDirInode(ctx context.Context, ino *Inode) ([]DirEntryPlus, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	ents, err := f.readDir(ctx, ino)
	return ents, inodeErr("readdir", ino, err)
}

// Xattr operations on an inode (ENOTSUP when the driver has none).

// GetxattrInode returns extended attribute name of ino.
func (f *FS) GetxattrInode(ctx context.Context, ino *Inode, name string) ([]byte, error) {
	if f.xattr == nil {
		return nil, inodeErr("getxattr", ino, syscall.ENOTSUP)
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	v, err := f.xattr.GetXattr(ctx, ino.node, name)
	return v, inodeErr("getxattr", ino, err)
}

// SetxattrInode sets extended attribute name of ino.
func (f *FS) SetxattrInode(ctx context.Context, ino *Inode, name string, value []byte, flags int) error {
	if f.xattr == nil {
		return inodeErr("setxattr", ino, syscall.ENOTSUP)
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	err := f.xattr.SetXattr(ctx, ino.node, name, value, flags)
	f.expireAttr(ino)
	return inodeErr("setxattr", ino, err)
}

// ListxattrInode lists the extended attribute names of ino.
func (f *FS) ListxattrInode(ctx context.Context, ino *Inode) ([]string, error) {
	if f.xattr == nil {
		return nil, inodeErr("listxattr", ino, syscall.ENOTSUP)
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	v, err := f.xattr.ListXattr(ctx, ino.node)
	return v, inodeErr("listxattr", ino, err)
}

// RemovexattrInode removes extended attribute name of ino.
func (f *FS) RemovexattrInode(ctx context.Context, ino *Inode, name string) error {
	if f.xattr == nil {
		return inodeErr("removexattr", ino, syscall.ENOTSUP)
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	err := f.xattr.RemoveXattr(ctx, ino.node, name)
	f.expireAttr(ino)
	return inodeErr("removexattr", ino, err)
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

// inodeErr is pathErr for a call on ino. The path costs a walk up the cache
// and allocations, so it is made only for an error (rule E1).
func inodeErr(op string, ino *Inode, err error) error {
	if err == nil {
		return nil
	}
	return pathErr(op, ino.path(), err)
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
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}

// Path returns the inode's path from the root as the cache knows it.
func (ino *Inode) Path() string { return ino.path() }
