package memfs

// This file implements the name operations of vfs.Driver: Lookup, Mkdir,
// Mknod, Symlink, Link, Unlink, Rmdir and ReadDir, and the *Locked helpers
// Remote shares with them. Each takes FS.mu (for reading when it only
// looks, for writing when it changes names) after its latency; the helpers
// run with FS.mu held for writing and take inode.mu one inode at a time.

import (
	"context"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// Lookup resolves name in dir; ENOENT when absent (also in a directory that
// was removed while open), ENOTDIR when dir is not a directory.
func (m *FS) Lookup(ctx context.Context, dir vfs.Node, name string) (vfs.Node, vfs.Attr, error) {
	if err := m.begin(ctx, opLookup, name); err != nil {
		return nil, vfs.Attr{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	d, err := m.dirLocked(dir)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	if err := validName(name); err != nil {
		return nil, vfs.Attr{}, err
	}
	child := d.dir.get(name)
	if child == nil {
		return nil, vfs.Attr{}, syscall.ENOENT
	}
	return child, m.attrLocked(child), nil
}

// Mkdir creates directory name in dir with permissions mode&07777 (no umask:
// the caller applied it).
func (m *FS) Mkdir(ctx context.Context, dir vfs.Node, name string, mode uint32) (vfs.Node, vfs.Attr, error) {
	if err := m.begin(ctx, opMkdir, name); err != nil {
		return nil, vfs.Attr{}, err
	}
	uid, gid := m.owner(ctx)
	return m.create(dir, name, newObject{mode: vfs.S_IFDIR | mode&permMask, uid: uid, gid: gid})
}

// Mknod creates a special file: mode carries the type (S_IFIFO, S_IFSOCK,
// S_IFCHR, S_IFBLK, or S_IFREG / 0 for an empty regular file). As Linux:
// S_IFDIR is EPERM, any other type EINVAL. rdev is kept for devices only.
func (m *FS) Mknod(ctx context.Context, dir vfs.Node, name string, mode uint32, rdev uint64) (vfs.Node, vfs.Attr, error) {
	if err := m.begin(ctx, opMknod, name); err != nil {
		return nil, vfs.Attr{}, err
	}
	typ := mode & vfs.S_IFMT
	switch typ {
	case 0:
		typ = vfs.S_IFREG
		fallthrough
	case vfs.S_IFREG, vfs.S_IFIFO, vfs.S_IFSOCK:
		rdev = 0
	case vfs.S_IFCHR, vfs.S_IFBLK:
	case vfs.S_IFDIR:
		return nil, vfs.Attr{}, syscall.EPERM
	default:
		return nil, vfs.Attr{}, syscall.EINVAL
	}
	uid, gid := m.owner(ctx)
	return m.create(dir, name, newObject{mode: typ | mode&permMask, rdev: rdev, uid: uid, gid: gid})
}

// Symlink creates symlink name in dir pointing at target, stored verbatim.
// An empty target is ENOENT and one of PATH_MAX bytes or more ENAMETOOLONG,
// as Linux.
func (m *FS) Symlink(ctx context.Context, dir vfs.Node, name string, target string) (vfs.Node, vfs.Attr, error) {
	if err := m.begin(ctx, opSymlink, name); err != nil {
		return nil, vfs.Attr{}, err
	}
	if err := checkSymlinkTarget(target); err != nil {
		return nil, vfs.Attr{}, err
	}
	uid, gid := m.owner(ctx)
	return m.create(dir, name, newObject{mode: vfs.S_IFLNK | 0o777, target: target, uid: uid, gid: gid})
}

func checkSymlinkTarget(target string) error {
	if target == "" {
		return syscall.ENOENT
	}
	if len(target) > symlinkMax {
		return syscall.ENAMETOOLONG
	}
	return nil
}

// create is the common body of Mkdir, Mknod and Symlink.
func (m *FS) create(dir vfs.Node, name string, obj newObject) (vfs.Node, vfs.Attr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.dirLocked(dir)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	ino, err := m.newChildLocked(d, name, obj)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	return ino, m.attrLocked(ino), nil
}

// newObject describes an inode to create.
type newObject struct {
	mode     uint32 // type and permission bits
	rdev     uint64
	target   string
	uid, gid uint32
}

// newChildLocked creates obj as name in directory d: EEXIST when the name is
// taken, ENOENT when d was removed. It applies Linux's setgid-directory rule
// (the child takes d's group; a child directory inherits S_ISGID) and
// updates d's times. m.mu held for writing.
func (m *FS) newChildLocked(d *inode, name string, obj newObject) (*inode, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	if d.dir.get(name) != nil {
		return nil, syscall.EEXIST
	}
	if d.removedLocked() {
		return nil, syscall.ENOENT
	}
	d.mu.RLock()
	if d.perm&modeSetgid != 0 {
		obj.gid = d.gid
		if obj.mode&vfs.S_IFMT == vfs.S_IFDIR {
			obj.mode |= modeSetgid
		}
	}
	d.mu.RUnlock()
	now := m.now()
	ino := m.newInodeLocked(obj.mode, obj.uid, obj.gid, now)
	ino.rdev = obj.rdev
	ino.target = obj.target
	ino.size = int64(len(obj.target))
	ino.nlink = 1
	if ino.isDir() {
		ino.nlink = 2
		ino.parent = d
		d.nlink++
	}
	d.dir.add(name, ino)
	d.touch(now, true)
	return ino, nil
}

// Link makes name in dir another link to n. As Linux: EEXIST first, then
// EPERM for a directory, ENOENT for a file whose last link is gone.
func (m *FS) Link(ctx context.Context, n vfs.Node, dir vfs.Node, name string) (vfs.Attr, error) {
	if err := m.begin(ctx, opLink, name); err != nil {
		return vfs.Attr{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	src, err := m.liveLocked(n)
	if err != nil {
		return vfs.Attr{}, err
	}
	d, err := m.dirLocked(dir)
	if err != nil {
		return vfs.Attr{}, err
	}
	if err := validName(name); err != nil {
		return vfs.Attr{}, err
	}
	if d.dir.get(name) != nil {
		return vfs.Attr{}, syscall.EEXIST
	}
	if d.removedLocked() {
		return vfs.Attr{}, syscall.ENOENT
	}
	if src.isDir() {
		return vfs.Attr{}, syscall.EPERM
	}
	if src.nlink == 0 {
		return vfs.Attr{}, syscall.ENOENT
	}
	now := m.now()
	d.dir.add(name, src)
	src.nlink++
	src.touch(now, false)
	d.touch(now, true)
	return m.attrLocked(src), nil
}

// Unlink removes the non-directory name from dir (EISDIR for a directory).
// An open file lives on until its last handle is released.
func (m *FS) Unlink(ctx context.Context, dir vfs.Node, name string) error {
	if err := m.begin(ctx, opUnlink, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.dirLocked(dir)
	if err != nil {
		return err
	}
	return m.unlinkLocked(d, name)
}

// unlinkLocked removes non-directory name from d. m.mu held for writing.
func (m *FS) unlinkLocked(d *inode, name string) error {
	if err := validName(name); err != nil {
		return err
	}
	child := d.dir.get(name)
	if child == nil {
		return syscall.ENOENT
	}
	if child.isDir() {
		return syscall.EISDIR
	}
	now := m.now()
	d.dir.remove(name)
	child.nlink--
	child.touch(now, false)
	d.touch(now, true)
	m.maybeDieLocked(child)
	return nil
}

// Rmdir removes the empty directory name from dir: ENOTDIR for a
// non-directory, ENOTEMPTY when it has entries.
func (m *FS) Rmdir(ctx context.Context, dir vfs.Node, name string) error {
	if err := m.begin(ctx, opRmdir, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.dirLocked(dir)
	if err != nil {
		return err
	}
	return m.rmdirLocked(d, name)
}

// rmdirLocked removes empty directory name from d. m.mu held for writing.
func (m *FS) rmdirLocked(d *inode, name string) error {
	if err := validName(name); err != nil {
		return err
	}
	child := d.dir.get(name)
	if child == nil {
		return syscall.ENOENT
	}
	if !child.isDir() {
		return syscall.ENOTDIR
	}
	if child.dir.count() > 0 {
		return syscall.ENOTEMPTY
	}
	now := m.now()
	d.dir.remove(name)
	d.nlink--
	child.nlink = 0
	child.touch(now, false)
	d.touch(now, true)
	m.maybeDieLocked(child)
	return nil
}

// ReadDir lists dir in creation order with attributes (readdirplus). The
// listing is a snapshot taken under FS.mu; fn runs with no lock held, so it
// may call back into the driver.
func (m *FS) ReadDir(ctx context.Context, dir vfs.Node, fn func(vfs.DirEntry) bool) error {
	if err := m.begin(ctx, opReadDir, ""); err != nil {
		return err
	}
	m.mu.RLock()
	d, err := m.dirLocked(dir)
	if err != nil {
		m.mu.RUnlock()
		return err
	}
	entries := make([]vfs.DirEntry, 0, d.dir.count())
	d.dir.each(func(name string, ino *inode) bool {
		a := m.attrLocked(ino)
		entries = append(entries, vfs.DirEntry{
			Name: name, Type: ino.fileType, Ino: ino.ino,
			HasAttr: true, Node: ino, Attr: a,
		})
		return true
	})
	m.mu.RUnlock()
	d.touchAtime(m.now())
	for i, e := range entries {
		if i%256 == 255 {
			if err := ctx.Err(); err != nil {
				return wrapCtx(string(OpReadDir), err)
			}
		}
		if !fn(e) {
			break
		}
	}
	return nil
}

// Statfs reports Options.Capacity in 4 KiB blocks, the bytes allocated to
// file data as used, and 2^32 inodes.
func (m *FS) Statfs(ctx context.Context, n vfs.Node) (vfs.Statfs, error) {
	if err := m.begin(ctx, opStatfs, ""); err != nil {
		return vfs.Statfs{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, err := m.liveLocked(n); err != nil {
		return vfs.Statfs{}, err
	}
	blocks := uint64(m.capacity / blockSize)
	used := uint64(m.used.Load()+blockSize-1) / blockSize
	free := blocks - min(used, blocks)
	return vfs.Statfs{
		Bsize:   blockSize,
		Frsize:  blockSize,
		Blocks:  blocks,
		Bfree:   free,
		Bavail:  free,
		Files:   totalFiles,
		Ffree:   totalFiles - uint64(m.inodes),
		NameLen: nameMax,
	}, nil
}
