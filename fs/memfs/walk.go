package memfs

// This file implements two optional capabilities: the multi-name walk
// (vfs.Walker, up to 16 names per call like 9P Twalk) and the cheap validity
// check (vfs.Revalidator, rule V1) that compares per-inode change counters.
// Both hold FS.mu for reading.

import (
	"context"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// maxWalk is how many names one Walk resolves.
const maxWalk = 16

// MaxWalk returns 16.
func (m *FS) MaxWalk() int { return maxWalk }

// Walk resolves names below dir in one call. It returns a step per resolved
// name and stops early, with a nil error, after a symlink (the core follows
// it) or after a non-directory that another name follows (the core reports
// ENOTDIR); at a missing name it returns ENOENT with len(steps) the index of
// that name. Other errors (ENAMETOOLONG, ENOTDIR for dir itself, ESTALE)
// concern component len(steps). More than MaxWalk names is EINVAL.
func (m *FS) Walk(ctx context.Context, dir vfs.Node, names []string) ([]vfs.WalkStep, error) {
	if err := m.beginWalk(ctx, names); err != nil {
		return nil, err
	}
	if len(names) > maxWalk {
		return nil, syscall.EINVAL
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	cur, err := m.dirLocked(dir)
	if err != nil {
		return nil, err
	}
	steps := make([]vfs.WalkStep, 0, len(names))
	for i, name := range names {
		if err := validName(name); err != nil {
			return steps, err
		}
		child := cur.dir.get(name)
		if child == nil {
			return steps, syscall.ENOENT
		}
		steps = append(steps, vfs.WalkStep{Node: child, Attr: m.attrLocked(child)})
		last := i == len(names)-1
		if child.fileType == vfs.S_IFLNK || (!child.isDir() && !last) {
			break
		}
		cur = child
	}
	return steps, nil
}

// Revalidate returns n's current attributes and whether its change counter
// moved since cached was taken (any change of data, attributes other than
// atime, or directory entries moves it). ESTALE when n's inode is gone.
func (m *FS) Revalidate(ctx context.Context, n vfs.Node, cached vfs.Attr) (vfs.Attr, bool, error) {
	if err := m.begin(ctx, opRevalidate, ""); err != nil {
		return vfs.Attr{}, false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.liveLocked(n)
	if err != nil {
		return vfs.Attr{}, false, err
	}
	fresh := m.attrLocked(ino)
	return fresh, fresh.Change != cached.Change || fresh.Ino != cached.Ino, nil
}
