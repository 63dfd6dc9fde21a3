package localfs

// This file holds the calls that remove or move names: Unlink, Rmdir and
// Rename (Moved, which records a rename in the nodes, is in node.go). The
// core excludes other calls on the names involved (rule D1); the kernel
// gives every error (rule D4).

import (
	"context"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// Unlink removes non-directory name from dir: EISDIR for a directory.
// Handles open on the file keep working (POSIX).
func (f *FS) Unlink(ctx context.Context, dir vfs.Node, name string) error {
	return f.remove(ctx, dir, name, 0)
}

// Rmdir removes empty directory name from dir: ENOTEMPTY, ENOTDIR.
func (f *FS) Rmdir(ctx context.Context, dir vfs.Node, name string) error {
	return f.remove(ctx, dir, name, unix.AT_REMOVEDIR)
}

// remove is unlinkat(name, flag) in the pinned directory dir.
func (f *FS) remove(ctx context.Context, dir vfs.Node, name string, flag int) error {
	d, err := f.asNode(dir)
	if err == nil {
		err = checkName(name)
	}
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return err
	}
	defer f.leave()
	dirfd, _, err := f.pinDir(ctx, d)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	if err := ctx.Err(); err != nil {
		return err
	}
	return unix.Unlinkat(dirfd, name, flag)
}

// Rename is renameat2 between the two pinned directories. flags is 0,
// vfs.RenameNoReplace or vfs.RenameExchange (the kernel's values); any
// other bit is EINVAL, as is the combination of both (kernel answer).
// After success the core reports the move through Moved (vfs.Mover).
func (f *FS) Rename(ctx context.Context, oldDir vfs.Node, oldName string, newDir vfs.Node, newName string, flags uint32) error {
	if flags&^(vfs.RenameNoReplace|vfs.RenameExchange) != 0 {
		return syscall.EINVAL
	}
	od, err := f.asNode(oldDir)
	var nd *node
	if err == nil {
		nd, err = f.asNode(newDir)
	}
	if err == nil {
		err = checkName(oldName)
	}
	if err == nil {
		err = checkName(newName)
	}
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return err
	}
	defer f.leave()
	oldfd, _, err := f.pinDir(ctx, od)
	if err != nil {
		return err
	}
	defer unix.Close(oldfd)
	newfd := oldfd
	if nd != od {
		if newfd, _, err = f.pinDir(ctx, nd); err != nil {
			return err
		}
		defer unix.Close(newfd)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return unix.Renameat2(oldfd, oldName, newfd, newName, uint(flags))
}
