package memfs

// This file implements opening: Open, Create and the atomic-open capability
// (rules O1-O3). Opening registers a handle in the inode's openCount with
// FS.mu held (for reading is enough: openCount is atomic and only Release,
// holding FS.mu for writing, may let it reach zero).

import (
	"context"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// Open opens an existing node. Regular files open with any access mode;
// O_TRUNC truncates them (Linux truncates even with O_RDONLY). Directories
// open read-only (EISDIR for write access or O_TRUNC), symlinks give ELOOP
// and special files ENXIO: memfs has no device or pipe behind them.
func (m *FS) Open(ctx context.Context, n vfs.Node, flags int) (vfs.Handle, error) {
	if err := m.begin(ctx, opOpen, ""); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.liveLocked(n)
	if err != nil {
		return nil, err
	}
	switch ino.fileType {
	case vfs.S_IFREG:
	case vfs.S_IFDIR:
		if flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0 {
			return nil, syscall.EISDIR
		}
	case vfs.S_IFLNK:
		return nil, syscall.ELOOP
	default:
		return nil, syscall.ENXIO
	}
	return m.openLocked(ctx, ino, flags, false), nil
}

// openLocked makes a handle on ino, applying O_TRUNC to a regular file
// unless this call just created it (rule O3). m.mu held.
func (m *FS) openLocked(ctx context.Context, ino *inode, flags int, created bool) *handle {
	acc := flags & syscall.O_ACCMODE
	h := &handle{
		fs:       m,
		ino:      ino,
		readable: acc == syscall.O_RDONLY || acc == syscall.O_RDWR,
		writable: acc == syscall.O_WRONLY || acc == syscall.O_RDWR,
		append:   flags&syscall.O_APPEND != 0,
	}
	ino.openCount.Add(1)
	if !created && flags&syscall.O_TRUNC != 0 && ino.fileType == vfs.S_IFREG {
		now := m.now()
		kill := killPrivAll(ctx)
		ino.mu.Lock()
		m.truncateLocked(ino, 0)
		if kill {
			ino.killPrivLocked()
		}
		ino.touchLocked(now, true)
		ino.mu.Unlock()
	}
	return h
}

// Create creates regular file name in dir exclusively (EEXIST if the name
// exists in any form) with permissions mode&07777 and opens it.
func (m *FS) Create(ctx context.Context, dir vfs.Node, name string, flags int, mode uint32) (vfs.Node, vfs.Attr, vfs.Handle, error) {
	if err := m.begin(ctx, opCreate, name); err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	uid, gid := m.owner(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.dirLocked(dir)
	if err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	ino, err := m.newChildLocked(d, name, newObject{mode: vfs.S_IFREG | mode&permMask, uid: uid, gid: gid})
	if err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	h := m.openLocked(ctx, ino, flags, true)
	return ino, m.attrLocked(ino), h, nil
}

// AtomicOpen looks name up, creates it if asked and opens it, in one call
// (rule O1). It answers exactly as vfs.AtomicOpener says:
//   - an existing regular file is opened (O_TRUNC applied), Created false,
//     unless O_CREAT|O_EXCL, which is EEXIST;
//   - an existing directory, symlink or special file is not opened: its node
//     and attributes come back with a nil Handle, even with O_CREAT (the
//     core decides EISDIR or follows the link, rule O2);
//   - a missing name without O_CREAT gives the zero OpenResult;
//   - a missing name with O_CREAT is created and opened, Created true.
func (m *FS) AtomicOpen(ctx context.Context, dir vfs.Node, name string, flags int, mode uint32) (vfs.OpenResult, error) {
	if err := m.begin(ctx, opAtomicOpen, name); err != nil {
		return vfs.OpenResult{}, err
	}
	creating := flags&syscall.O_CREAT != 0
	uid, gid := m.owner(ctx)
	// Only a create changes names; a plain open needs FS.mu for reading.
	if creating {
		m.mu.Lock()
		defer m.mu.Unlock()
	} else {
		m.mu.RLock()
		defer m.mu.RUnlock()
	}
	d, err := m.dirLocked(dir)
	if err != nil {
		return vfs.OpenResult{}, err
	}
	if err := validName(name); err != nil {
		return vfs.OpenResult{}, err
	}
	if child := d.dir.get(name); child != nil {
		if creating && flags&syscall.O_EXCL != 0 {
			return vfs.OpenResult{}, syscall.EEXIST
		}
		if child.fileType != vfs.S_IFREG {
			return vfs.OpenResult{Node: child, Attr: m.attrLocked(child)}, nil
		}
		h := m.openLocked(ctx, child, flags, false)
		return vfs.OpenResult{Node: child, Attr: m.attrLocked(child), Handle: h}, nil
	}
	if !creating {
		return vfs.OpenResult{}, nil
	}
	ino, err := m.newChildLocked(d, name, newObject{mode: vfs.S_IFREG | mode&permMask, uid: uid, gid: gid})
	if err != nil {
		return vfs.OpenResult{}, err
	}
	h := m.openLocked(ctx, ino, flags, true)
	return vfs.OpenResult{Node: ino, Attr: m.attrLocked(ino), Handle: h, Created: true}, nil
}
