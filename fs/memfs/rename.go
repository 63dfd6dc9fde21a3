package memfs

// This file implements Rename with Linux renameat2 semantics (rule D3, D4):
// flags 0, RENAME_NOREPLACE and RENAME_EXCHANGE, every error in the order
// fs/namei.c do_renameat2 and vfs_rename check them. It holds FS.mu for
// writing, so a rename is one atomic step for every other call.

import (
	"context"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// Rename moves oldName in oldDir to newName in newDir.
func (m *FS) Rename(ctx context.Context, oldDir vfs.Node, oldName string, newDir vfs.Node, newName string, flags uint32) error {
	if err := m.beginRename(ctx, oldName, newName); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	od, err := m.dirLocked(oldDir)
	if err != nil {
		return err
	}
	nd, err := m.dirLocked(newDir)
	if err != nil {
		return err
	}
	return m.renameLocked(od, oldName, nd, newName, flags)
}

// renameLocked is the body of Rename, shared with Remote. od and nd are live
// directories. m.mu held for writing.
func (m *FS) renameLocked(od *inode, oldName string, nd *inode, newName string, flags uint32) error {
	const known = vfs.RenameNoReplace | vfs.RenameExchange
	if flags&^known != 0 || flags == known {
		return syscall.EINVAL
	}
	exchange := flags&vfs.RenameExchange != 0
	if err := validName(oldName); err != nil {
		return err
	}
	if err := validName(newName); err != nil {
		return err
	}
	src := od.dir.get(oldName)
	if src == nil {
		return syscall.ENOENT
	}
	dst := nd.dir.get(newName)
	if flags&vfs.RenameNoReplace != 0 && dst != nil {
		return syscall.EEXIST // even when dst is src (Linux checks first)
	}
	if exchange && dst == nil {
		return syscall.ENOENT
	}
	// A directory may not move below itself; a target may not be an
	// ancestor of the source (do_renameat2's "trap").
	if src.isDir() && isAncestor(src, nd) {
		return syscall.EINVAL
	}
	if dst != nil && dst.isDir() && isAncestor(dst, od) {
		if exchange {
			return syscall.EINVAL
		}
		return syscall.ENOTEMPTY
	}
	if src == dst {
		return nil // same name, or two links to one inode: nothing to do
	}
	now := m.now()
	if exchange {
		m.exchangeLocked(od, oldName, src, nd, newName, dst)
	} else if err := m.moveLocked(od, oldName, src, nd, newName, dst); err != nil {
		return err
	}
	src.touch(now, false)
	od.touch(now, true)
	if nd != od {
		nd.touch(now, true)
	}
	return nil
}

// moveLocked is a rename without exchange: dst (nil when absent) is replaced
// when the types allow it. m.mu held for writing.
func (m *FS) moveLocked(od *inode, oldName string, src *inode, nd *inode, newName string, dst *inode) error {
	if dst != nil {
		switch {
		case src.isDir() && !dst.isDir():
			return syscall.ENOTDIR
		case !src.isDir() && dst.isDir():
			return syscall.EISDIR
		case dst.isDir() && dst.dir.count() > 0:
			return syscall.ENOTEMPTY
		}
	} else if nd.removedLocked() {
		return syscall.ENOENT
	}
	if dst != nil {
		nd.dir.set(newName, src)
		if dst.isDir() {
			dst.nlink = 0
			nd.nlink--
		} else {
			dst.nlink--
		}
		dst.touch(m.now(), false)
		m.maybeDieLocked(dst)
	} else {
		nd.dir.add(newName, src)
	}
	od.dir.remove(oldName)
	if src.isDir() && od != nd {
		src.parent = nd
		od.nlink--
		nd.nlink++
	}
	return nil
}

// exchangeLocked swaps two existing names, whatever their types. m.mu held
// for writing.
func (m *FS) exchangeLocked(od *inode, oldName string, src *inode, nd *inode, newName string, dst *inode) {
	od.dir.set(oldName, dst)
	nd.dir.set(newName, src)
	if od == nd {
		dst.touch(m.now(), false)
		return
	}
	if src.isDir() {
		src.parent = nd
		od.nlink--
		nd.nlink++
	}
	if dst.isDir() {
		dst.parent = od
		nd.nlink--
		od.nlink++
	}
	dst.touch(m.now(), false)
}

// isAncestor reports whether directory a is d or one of d's ancestors.
// m.mu held.
func isAncestor(a, d *inode) bool {
	for x := d; ; x = x.parent {
		if x == a {
			return true
		}
		if x.parent == x {
			return false
		}
	}
}
