package memfs

// This file is the "second client": path-based changes to the tree made
// behind the core's back, for tests of revalidation (rule V1, V2) and
// staleness (rule V3). Remote calls take the same locks as driver calls and
// bump the same change counters, but are neither counted, observed, delayed
// nor subject to injected faults.

import (
	"strings"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// Remote changes the filesystem as another client of the same server would.
// Paths are slash-separated and relative to the root ("" or "/" is the
// root); empty and "." components are skipped, ".." is EINVAL, and no
// symlink is followed (a symlink in the middle of a path is ENOTDIR, at the
// end it is the object itself). New objects belong to Options.Uid/Gid.
type Remote struct {
	m *FS
}

// Remote returns the second client of m.
func (m *FS) Remote() *Remote { return &Remote{m: m} }

// splitPath returns the components of p.
func splitPath(p string) ([]string, error) {
	var comps []string
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." {
			continue
		}
		if err := validName(c); err != nil {
			return nil, err
		}
		comps = append(comps, c)
	}
	return comps, nil
}

// parentLocked resolves every component of p but the last and returns the
// directory and the last name; for the root it returns (nil, "", nil).
// m.mu held.
func (r *Remote) parentLocked(p string) (*inode, string, error) {
	comps, err := splitPath(p)
	if err != nil || len(comps) == 0 {
		return nil, "", err
	}
	d := r.m.root
	for _, c := range comps[:len(comps)-1] {
		child := d.dir.get(c)
		if child == nil {
			return nil, "", syscall.ENOENT
		}
		if !child.isDir() {
			return nil, "", syscall.ENOTDIR
		}
		d = child
	}
	return d, comps[len(comps)-1], nil
}

// lookupLocked resolves p completely. m.mu held.
func (r *Remote) lookupLocked(p string) (*inode, error) {
	d, name, err := r.parentLocked(p)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return r.m.root, nil
	}
	child := d.dir.get(name)
	if child == nil {
		return nil, syscall.ENOENT
	}
	return child, nil
}

func (r *Remote) object(mode uint32) newObject {
	return newObject{mode: mode, uid: r.m.opts.Uid, gid: r.m.opts.Gid}
}

// Mkdir creates directory path with permissions mode&07777.
func (r *Remote) Mkdir(path string, mode uint32) error {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	d, name, err := r.parentLocked(path)
	if err != nil {
		return err
	}
	if d == nil {
		return syscall.EEXIST
	}
	_, err = r.m.newChildLocked(d, name, r.object(vfs.S_IFDIR|mode&permMask))
	return err
}

// WriteFile creates regular file path with permissions mode&07777, or
// truncates the existing one, and writes data. EISDIR for a directory,
// ELOOP for a symlink, EINVAL for a special file.
func (r *Remote) WriteFile(path string, data []byte, mode uint32) error {
	m := r.m
	m.mu.Lock()
	defer m.mu.Unlock()
	d, name, err := r.parentLocked(path)
	if err != nil {
		return err
	}
	if d == nil {
		return syscall.EISDIR
	}
	ino := d.dir.get(name)
	if ino == nil {
		ino, err = m.newChildLocked(d, name, r.object(vfs.S_IFREG|mode&permMask))
		if err != nil {
			return err
		}
	} else if err := regularForIO(ino); err != nil {
		return err
	}
	now := m.now()
	ino.mu.Lock()
	defer ino.mu.Unlock()
	m.truncateLocked(ino, 0)
	_, err = m.writeAtLocked(ino, data, 0)
	ino.touchLocked(now, true)
	return err
}

// regularForIO is the error of opening ino's path for I/O without following
// a symlink, or nil for a regular file.
func regularForIO(ino *inode) error {
	switch ino.fileType {
	case vfs.S_IFREG:
		return nil
	case vfs.S_IFDIR:
		return syscall.EISDIR
	case vfs.S_IFLNK:
		return syscall.ELOOP
	}
	return syscall.EINVAL
}

// ReadFile returns the contents of regular file path.
func (r *Remote) ReadFile(path string) ([]byte, error) {
	m := r.m
	m.mu.RLock()
	ino, err := r.lookupLocked(path)
	m.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := regularForIO(ino); err != nil {
		return nil, err
	}
	ino.mu.RLock()
	buf := make([]byte, ino.size)
	n := ino.readAtLocked(buf, 0)
	ino.mu.RUnlock()
	ino.touchAtime(m.now())
	return buf[:n], nil
}

// Remove unlinks a non-directory or removes an empty directory (ENOTEMPTY
// otherwise). The root is EBUSY.
func (r *Remote) Remove(path string) error {
	m := r.m
	m.mu.Lock()
	defer m.mu.Unlock()
	d, name, err := r.parentLocked(path)
	if err != nil {
		return err
	}
	if d == nil {
		return syscall.EBUSY
	}
	child := d.dir.get(name)
	if child == nil {
		return syscall.ENOENT
	}
	if child.isDir() {
		return m.rmdirLocked(d, name)
	}
	return m.unlinkLocked(d, name)
}

// Rename renames oldPath to newPath with rename(2) semantics (flags 0).
func (r *Remote) Rename(oldPath, newPath string) error {
	m := r.m
	m.mu.Lock()
	defer m.mu.Unlock()
	od, oldName, err := r.parentLocked(oldPath)
	if err != nil {
		return err
	}
	nd, newName, err := r.parentLocked(newPath)
	if err != nil {
		return err
	}
	if od == nil || nd == nil {
		return syscall.EBUSY
	}
	return m.renameLocked(od, oldName, nd, newName, 0)
}

// Symlink creates symlink path pointing at target.
func (r *Remote) Symlink(target, path string) error {
	if err := checkSymlinkTarget(target); err != nil {
		return err
	}
	m := r.m
	m.mu.Lock()
	defer m.mu.Unlock()
	d, name, err := r.parentLocked(path)
	if err != nil {
		return err
	}
	if d == nil {
		return syscall.EEXIST
	}
	obj := r.object(vfs.S_IFLNK | 0o777)
	obj.target = target
	_, err = m.newChildLocked(d, name, obj)
	return err
}

// Stat returns the attributes of path (not following a final symlink).
func (r *Remote) Stat(path string) (vfs.Attr, error) {
	m := r.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := r.lookupLocked(path)
	if err != nil {
		return vfs.Attr{}, err
	}
	return m.attrLocked(ino), nil
}

// Chmod sets the permission bits of path to mode&07777. A symlink is
// EOPNOTSUPP (Linux fchmodat with AT_SYMLINK_NOFOLLOW).
func (r *Remote) Chmod(path string, mode uint32) error {
	m := r.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := r.lookupLocked(path)
	if err != nil {
		return err
	}
	if ino.fileType == vfs.S_IFLNK {
		return syscall.EOPNOTSUPP
	}
	now := m.now()
	ino.mu.Lock()
	ino.perm = mode & permMask
	ino.touchLocked(now, false)
	ino.mu.Unlock()
	return nil
}

// Replace gives path a new inode (a new number and identity), as a server
// that recreated the object would; every node and handle of the old inode
// is stale from then on (ESTALE, rule V3), open or not. The new object has
// the old one's type, permissions and owner, and:
//   - a regular file gets data as its contents;
//   - a directory keeps its entries (data must be empty);
//   - a symlink points at string(data), or the old target if data is empty;
//   - a special file keeps its rdev (data must be empty).
//
// Other hard links of a replaced file are removed, so no name refers to a
// dead inode. The root is EBUSY; non-empty data for a directory or special
// file is EINVAL.
func (r *Remote) Replace(path string, data []byte) error {
	m := r.m
	m.mu.Lock()
	defer m.mu.Unlock()
	d, name, err := r.parentLocked(path)
	if err != nil {
		return err
	}
	if d == nil {
		return syscall.EBUSY
	}
	old := d.dir.get(name)
	if old == nil {
		return syscall.ENOENT
	}
	if len(data) > 0 && old.fileType != vfs.S_IFREG && old.fileType != vfs.S_IFLNK {
		return syscall.EINVAL
	}
	if old.fileType == vfs.S_IFLNK && len(data) > symlinkMax {
		return syscall.ENAMETOOLONG
	}
	old.mu.RLock()
	mode, uid, gid := old.fileType|old.perm, old.uid, old.gid
	old.mu.RUnlock()

	now := m.now()
	nu := m.newInodeLocked(mode, uid, gid, now)
	nu.rdev = old.rdev
	nu.nlink = 1
	switch old.fileType {
	case vfs.S_IFREG:
		nu.mu.Lock()
		_, err := m.writeAtLocked(nu, data, 0)
		nu.mu.Unlock()
		if err != nil {
			m.killLocked(nu)
			return err
		}
	case vfs.S_IFDIR:
		nu.dir, old.dir = old.dir, newDirents()
		nu.nlink = old.nlink
		nu.parent = d
		nu.dir.each(func(_ string, child *inode) bool {
			if child.isDir() {
				child.parent = nu
			}
			return true
		})
	case vfs.S_IFLNK:
		nu.target = old.target
		if len(data) > 0 {
			nu.target = string(data)
		}
		nu.size = int64(len(nu.target))
	}
	d.dir.set(name, nu)
	if !old.isDir() && old.nlink > 1 {
		r.unlinkEverywhereLocked(old, now)
	}
	old.nlink = 0
	m.killLocked(old)
	d.touch(now, true)
	return nil
}

// unlinkEverywhereLocked removes every remaining name of non-directory ino.
// m.mu held for writing.
func (r *Remote) unlinkEverywhereLocked(ino *inode, now int64) {
	var visit func(d *inode)
	visit = func(d *inode) {
		var names []string
		var subdirs []*inode
		d.dir.each(func(name string, child *inode) bool {
			switch {
			case child == ino:
				names = append(names, name)
			case child.isDir():
				subdirs = append(subdirs, child)
			}
			return true
		})
		for _, name := range names {
			d.dir.remove(name)
			d.touch(now, true)
		}
		for _, sub := range subdirs {
			visit(sub)
		}
	}
	visit(r.m.root)
}
