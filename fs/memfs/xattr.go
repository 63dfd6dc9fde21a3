package memfs

// This file implements the extended-attribute capability (vfs.Xattrer) with
// Linux's checks: namespaces user., trusted. and security. (others
// EOPNOTSUPP), names of 1..255 bytes (ERANGE), values up to 64 KiB (E2BIG),
// user.* only on regular files and directories, XATTR_CREATE and
// XATTR_REPLACE. Xattrs live in inode.mu; FS.mu is held for reading to keep
// the inode alive.

import (
	"context"
	"sort"
	"strings"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// setxattr(2) flags and limits.
const (
	xattrCreate  = 0x1
	xattrReplace = 0x2
	xattrNameMax = 255
	xattrSizeMax = 65536
)

// checkXattrName validates name; write says whether the caller modifies.
func checkXattrName(ino *inode, name string, write bool) error {
	if name == "" || len(name) > xattrNameMax {
		return syscall.ERANGE
	}
	var suffix string
	switch {
	case strings.HasPrefix(name, "user."):
		suffix = name[len("user."):]
		// xattr_permission: user.* exists only on files and directories.
		if ino.fileType != vfs.S_IFREG && !ino.isDir() {
			if write {
				return syscall.EPERM
			}
			return syscall.ENODATA
		}
	case strings.HasPrefix(name, "trusted."):
		suffix = name[len("trusted."):]
	case strings.HasPrefix(name, "security."):
		suffix = name[len("security."):]
	default:
		return syscall.EOPNOTSUPP
	}
	if suffix == "" {
		return syscall.EINVAL
	}
	return nil
}

// xattrInode returns the live inode behind n. Caller holds m.mu for reading.
func (m *FS) xattrInode(n vfs.Node, name string, write bool) (*inode, error) {
	ino, err := m.liveLocked(n)
	if err != nil {
		return nil, err
	}
	if err := checkXattrName(ino, name, write); err != nil {
		return nil, err
	}
	return ino, nil
}

// GetXattr returns a copy of the value of name; ENODATA when it is not set.
func (m *FS) GetXattr(ctx context.Context, n vfs.Node, name string) ([]byte, error) {
	if err := m.begin(ctx, opGetxattr, name); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.xattrInode(n, name, false)
	if err != nil {
		return nil, err
	}
	ino.mu.RLock()
	defer ino.mu.RUnlock()
	v, ok := ino.xattrs[name]
	if !ok {
		return nil, syscall.ENODATA
	}
	return append([]byte{}, v...), nil
}

// SetXattr sets name to a copy of value. flags: XATTR_CREATE (EEXIST when
// set), XATTR_REPLACE (ENODATA when not set); other bits EINVAL.
func (m *FS) SetXattr(ctx context.Context, n vfs.Node, name string, value []byte, flags int) error {
	if err := m.begin(ctx, opSetxattr, name); err != nil {
		return err
	}
	if flags&^(xattrCreate|xattrReplace) != 0 {
		return syscall.EINVAL
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.xattrInode(n, name, true)
	if err != nil {
		return err
	}
	if len(value) > xattrSizeMax {
		return syscall.E2BIG
	}
	now := m.now()
	ino.mu.Lock()
	defer ino.mu.Unlock()
	_, exists := ino.xattrs[name]
	switch {
	case flags&xattrCreate != 0 && exists:
		return syscall.EEXIST
	case flags&xattrReplace != 0 && !exists:
		return syscall.ENODATA
	}
	if ino.xattrs == nil {
		ino.xattrs = make(map[string][]byte)
	}
	ino.xattrs[name] = append([]byte{}, value...)
	ino.touchLocked(now, false)
	return nil
}

// ListXattr returns the names set on n, sorted.
func (m *FS) ListXattr(ctx context.Context, n vfs.Node) ([]string, error) {
	if err := m.begin(ctx, opListxattr, ""); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.liveLocked(n)
	if err != nil {
		return nil, err
	}
	ino.mu.RLock()
	names := make([]string, 0, len(ino.xattrs))
	for name := range ino.xattrs {
		names = append(names, name)
	}
	ino.mu.RUnlock()
	sort.Strings(names)
	return names, nil
}

// RemoveXattr removes name; ENODATA when it is not set.
func (m *FS) RemoveXattr(ctx context.Context, n vfs.Node, name string) error {
	if err := m.begin(ctx, opRemovexattr, name); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.xattrInode(n, name, true)
	if err != nil {
		return err
	}
	now := m.now()
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if _, ok := ino.xattrs[name]; !ok {
		return syscall.ENODATA
	}
	delete(ino.xattrs, name)
	ino.touchLocked(now, false)
	return nil
}
