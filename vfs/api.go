package vfs

// The path API: calls named like package os, each taking a context, and
// their "at" forms that resolve a relative path from a directory *Inode
// (nil means the root). Errors are *fs.PathError or *os.LinkError wrapping
// a syscall.Errno (rule E1). Every call retries once with forced
// revalidation on ESTALE (V3).
//
// The core does no permission checks: it acts with the credentials the
// driver has on its server (the FUSE frontend lets the kernel check).

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"syscall"
	"time"
)

func (f *FS) start(dir *Inode) *Inode {
	if dir == nil {
		return f.Root()
	}
	return dir
}

// unixMode converts an fs.FileMode's permission and special bits.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= syscall.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		u |= syscall.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		u |= syscall.S_ISVTX
	}
	return u
}

// OpenFile opens a file like os.OpenFile (flag: os.O_RDONLY|os.O_CREATE...).
func (f *FS) OpenFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	return f.OpenFileAt(ctx, nil, name, flag, unixMode(perm))
}

// Open opens a file for reading.
func (f *FS) Open(ctx context.Context, name string) (*File, error) {
	return f.OpenFileAt(ctx, nil, name, syscall.O_RDONLY, 0)
}

// Create creates or truncates a file (mode 0666).
func (f *FS) Create(ctx context.Context, name string) (*File, error) {
	return f.OpenFileAt(ctx, nil, name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o666)
}

// OpenFileAt opens name relative to dir with open(2) flags and mode bits.
func (f *FS) OpenFileAt(ctx context.Context, dir *Inode, name string, flags int, mode uint32) (*File, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	fl, err := f.openAt(ctx, f.start(dir), name, flags, mode)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return fl, nil
}

// Getattr returns the attributes of name, following symlinks, by value. A
// fully cached path costs no driver call, no lock and no allocation (L5).
func (f *FS) Getattr(ctx context.Context, name string) (Attr, error) {
	return f.GetattrAt(ctx, nil, name, true)
}

// GetattrAt is Getattr relative to dir; follow says whether a final symlink
// is followed (false: lstat).
func (f *FS) GetattrAt(ctx context.Context, dir *Inode, name string, follow bool) (Attr, error) {
	start := f.start(dir)
	clk := clock{f: f}
	if ino, neg, ok := f.walkCached(start, name, follow, &clk); ok {
		if neg {
			return Attr{}, pathErr("stat", name, syscall.ENOENT)
		}
		if clk.before(ino.adl.Load()) {
			return *ino.attr.Load(), nil
		}
	}
	return f.getattrSlow(ctx, start, name, follow)
}

func (f *FS) getattrSlow(ctx context.Context, start *Inode, name string, follow bool) (Attr, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	var a Attr
	err := f.retryStale(func(force reval) error {
		ino, err := f.resolve(ctx, start, name, follow, force)
		if err != nil {
			return err
		}
		a, err = f.getattrRaced(ctx, ino, force != 0)
		return err
	})
	if err != nil {
		return Attr{}, pathErr("stat", name, err)
	}
	return a, nil
}

// Stat returns a FileInfo for name, following symlinks.
func (f *FS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	a, err := f.GetattrAt(ctx, nil, name, true)
	if err != nil {
		return nil, err
	}
	return newFileInfo(baseName(name), a), nil
}

// Lstat returns a FileInfo for name without following a final symlink.
func (f *FS) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	a, err := f.GetattrAt(ctx, nil, name, false)
	if err != nil {
		return nil, err
	}
	return newFileInfo(baseName(name), a), nil
}

// getattr returns ino's attributes, from the cache while valid (V1).
func (f *FS) getattr(ctx context.Context, ino *Inode, force bool) (Attr, error) {
	a, err := f.getattrRaced(ctx, ino, force)
	if err == errRaced {
		err = syscall.ESTALE
	}
	return a, err
}

// getattrRaced is getattr, but says errRaced for an ESTALE that a local
// change explains.
func (f *FS) getattrRaced(ctx context.Context, ino *Inode, force bool) (Attr, error) {
	if !force && ino.adl.Load() > f.now() {
		return *ino.attr.Load(), nil
	}
	if !force && f.attrByListing(ctx, ino) {
		return *ino.attr.Load(), nil // read-ahead (readahead_lookup.go)
	}
	var a Attr
	var err error
	if f.reval != nil {
		a, _, err = f.reval.Revalidate(ctx, ino.node, *ino.attr.Load())
	} else {
		a, err = f.drv.Getattr(ctx, ino.node)
	}
	if err != nil {
		if isErrno(err, syscall.ESTALE) {
			if f.raced(ino) {
				return Attr{}, errRaced
			}
			f.dropInode(ino)
		}
		return Attr{}, err
	}
	f.setAttr(ino, a)
	return *ino.attr.Load(), nil
}

// errRaced reports ESTALE about an inode the cache has already let go of
// (a local unlink or rename raced the call): the caller looks the name up
// again, and this does not count as the one ESTALE retry (V3).
var errRaced = errors.New("vfs: raced")

// raced reports whether ino no longer is what its name holds in the cache,
// or its name is being changed right now.
func (f *FS) raced(ino *Inode) bool {
	d := ino.dentry.Load()
	return d == nil || d.st() != statePositive || d.inode.Load() != ino || d.owner.Load() != nil
}

// setattr changes ino's attributes through the driver.
func (f *FS) setattr(ctx context.Context, ino *Inode, s SetAttr) (Attr, error) {
	if s.Valid&SetSize != 0 {
		if ino.dir != nil {
			return Attr{}, syscall.EISDIR
		}
		if s.Size < 0 {
			return Attr{}, syscall.EINVAL
		}
	}
	f.completePairs(ino, &s)
	a, err := f.drv.Setattr(ctx, ino.node, s)
	if err != nil {
		if isErrno(err, syscall.ESTALE) {
			f.dropInode(ino)
		}
		return Attr{}, err
	}
	f.setAttr(ino, a)
	return *ino.attr.Load(), nil
}

// completePairs fills the half of a time or owner pair that s leaves alone
// (futimens with UTIME_OMIT, chown to -1) from cached attributes, as sshfs
// does from its cache: protocols that set the pair together (SFTP v3)
// would otherwise first ask the server for it, a round trip (tar sets only
// mtime on every file it extracts, right after writing it). The attributes
// must be trusted (V1), except that an access time fetched within
// AcRegMin is used even after this client's own writes expired the rest:
// writing does not change it.
func (f *FS) completePairs(ino *Inode, s *SetAttr) {
	now := f.now()
	fresh := ino.adl.Load() > now
	recent := now-ino.fetched.Load() < int64(f.opts.AcRegMin)
	c := ino.attr.Load()
	const atime, mtime = SetAtime | SetAtimeNow, SetMtime | SetMtimeNow
	switch {
	case s.Valid&atime != 0 && s.Valid&mtime == 0 && fresh:
		s.Valid |= SetMtime
		s.MtimeNs = c.MtimeNs
	case s.Valid&mtime != 0 && s.Valid&atime == 0 && (fresh || recent):
		s.Valid |= SetAtime
		s.AtimeNs = c.AtimeNs
	}
	if !fresh {
		return
	}
	switch s.Valid & (SetUid | SetGid) {
	case SetUid:
		s.Valid |= SetGid
		s.Gid = c.Gid
	case SetGid:
		s.Valid |= SetUid
		s.Uid = c.Uid
	}
}

// withInode resolves name and runs op on it, retrying once on ESTALE.
func (f *FS) withInode(ctx context.Context, dir *Inode, name string, follow bool, op func(ctx context.Context, ino *Inode) error) error {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	return f.retryStale(func(force reval) error {
		ino, err := f.resolve(ctx, f.start(dir), name, follow, force)
		if err != nil {
			return err
		}
		return op(ctx, ino)
	})
}

// SetattrAt changes the attributes of name relative to dir.
func (f *FS) SetattrAt(ctx context.Context, dir *Inode, name string, follow bool, s SetAttr) (Attr, error) {
	var a Attr
	err := f.withInode(ctx, dir, name, follow, func(ctx context.Context, ino *Inode) (err error) {
		a, err = f.setattr(ctx, ino, s)
		return err
	})
	return a, pathErr("setattr", name, err)
}

// Chmod changes the mode of name (following symlinks).
func (f *FS) Chmod(ctx context.Context, name string, mode fs.FileMode) error {
	_, err := f.SetattrAt(ctx, nil, name, true, SetAttr{Valid: SetMode, Mode: unixMode(mode)})
	return retag(err, "chmod")
}

// Chown changes the owner of name (following symlinks); -1 keeps a value.
func (f *FS) Chown(ctx context.Context, name string, uid, gid int) error {
	return retag(f.chown(ctx, name, uid, gid, true), "chown")
}

// Lchown is Chown on a symlink itself.
func (f *FS) Lchown(ctx context.Context, name string, uid, gid int) error {
	return retag(f.chown(ctx, name, uid, gid, false), "lchown")
}

func (f *FS) chown(ctx context.Context, name string, uid, gid int, follow bool) error {
	var s SetAttr
	if uid >= 0 {
		s.Valid |= SetUid
		s.Uid = uint32(uid)
	}
	if gid >= 0 {
		s.Valid |= SetGid
		s.Gid = uint32(gid)
	}
	_, err := f.SetattrAt(ctx, nil, name, follow, s)
	return err
}

// Chtimes changes the access and modification times of name; a zero
// time.Time leaves that time unchanged (as os.Chtimes).
func (f *FS) Chtimes(ctx context.Context, name string, atime, mtime time.Time) error {
	var s SetAttr
	if !atime.IsZero() {
		s.Valid |= SetAtime
		s.AtimeNs = atime.UnixNano()
	}
	if !mtime.IsZero() {
		s.Valid |= SetMtime
		s.MtimeNs = mtime.UnixNano()
	}
	_, err := f.SetattrAt(ctx, nil, name, true, s)
	return retag(err, "chtimes")
}

// Truncate changes the size of file name.
func (f *FS) Truncate(ctx context.Context, name string, size int64) error {
	_, err := f.SetattrAt(ctx, nil, name, true, SetAttr{Valid: SetSize, Size: size})
	return retag(err, "truncate")
}

// retag renames the Op of a PathError.
func retag(err error, op string) error {
	if pe, ok := err.(*fs.PathError); ok {
		pe.Op = op
	}
	return err
}

// withParent resolves all but the last component of name and runs op on
// (dir, last), retrying once on ESTALE.
func (f *FS) withParent(ctx context.Context, dir *Inode, name string, op func(ctx context.Context, w *walk, dir *Inode, last string, mustDir bool) error) error {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	return f.retryStale(func(force reval) error {
		w := f.newWalk(ctx, force)
		d, last, mustDir, err := w.parent(f.start(dir), name)
		if err != nil {
			return err
		}
		return op(ctx, w, d, last, mustDir)
	})
}

// Mkdir creates a directory.
func (f *FS) Mkdir(ctx context.Context, name string, perm fs.FileMode) error {
	_, err := f.MkdirAt(ctx, nil, name, unixMode(perm))
	return err
}

// MkdirAt creates directory name relative to dir and returns its inode.
func (f *FS) MkdirAt(ctx context.Context, dir *Inode, name string, mode uint32) (*Inode, error) {
	var ino *Inode
	err := f.withParent(ctx, dir, name, func(ctx context.Context, w *walk, d *Inode, last string, _ bool) (err error) {
		if special(last) {
			return syscall.EEXIST
		}
		ino, err = f.mkdirIn(ctx, d, last, mode&0o7777)
		return err
	})
	return ino, pathErr("mkdir", name, err)
}

// MkdirAll creates a directory and any missing parents.
func (f *FS) MkdirAll(ctx context.Context, name string, perm fs.FileMode) error {
	if a, err := f.Getattr(ctx, name); err == nil {
		if a.IsDir() {
			return nil
		}
		return pathErr("mkdir", name, syscall.ENOTDIR)
	}
	i := len(name)
	for i > 0 && name[i-1] == '/' {
		i--
	}
	j := i
	for j > 0 && name[j-1] != '/' {
		j--
	}
	if j > 1 {
		if err := f.MkdirAll(ctx, name[:j-1], perm); err != nil {
			return err
		}
	}
	err := f.Mkdir(ctx, name, perm)
	if err != nil {
		if a, serr := f.Lgetattr(ctx, name); serr == nil && a.IsDir() {
			return nil
		}
	}
	return err
}

// Lgetattr is Getattr without following a final symlink.
func (f *FS) Lgetattr(ctx context.Context, name string) (Attr, error) {
	return f.GetattrAt(ctx, nil, name, false)
}

// Mknod creates a special file (mode includes the S_IF* type).
func (f *FS) Mknod(ctx context.Context, name string, mode uint32, dev uint64) error {
	_, err := f.MknodAt(ctx, nil, name, mode, dev)
	return err
}

// MknodAt creates a special file relative to dir.
func (f *FS) MknodAt(ctx context.Context, dir *Inode, name string, mode uint32, dev uint64) (*Inode, error) {
	var ino *Inode
	err := f.withParent(ctx, dir, name, func(ctx context.Context, w *walk, d *Inode, last string, mustDir bool) (err error) {
		if special(last) {
			return syscall.EEXIST
		}
		if mode&S_IFMT == S_IFDIR {
			return syscall.EPERM
		}
		if mode&S_IFMT == 0 {
			mode |= S_IFREG
		}
		ino, err = f.mknodIn(ctx, d, last, mode, dev)
		return err
	})
	return ino, pathErr("mknod", name, err)
}

// Symlink creates newname as a symbolic link to oldname.
func (f *FS) Symlink(ctx context.Context, oldname, newname string) error {
	_, err := f.SymlinkAt(ctx, oldname, nil, newname)
	return err
}

// SymlinkAt creates a symlink to target at name relative to dir.
func (f *FS) SymlinkAt(ctx context.Context, target string, dir *Inode, name string) (*Inode, error) {
	var ino *Inode
	err := f.withParent(ctx, dir, name, func(ctx context.Context, w *walk, d *Inode, last string, mustDir bool) (err error) {
		if special(last) {
			return syscall.EEXIST
		}
		if mustDir {
			return f.slashedName(ctx, d, last, w.force, syscall.EEXIST, syscall.EEXIST)
		}
		ino, err = f.symlinkIn(ctx, target, d, last)
		return err
	})
	if err != nil {
		return nil, linkErr("symlink", target, name, err)
	}
	return ino, nil
}

// Link creates newname as a hard link to oldname (not following symlinks).
func (f *FS) Link(ctx context.Context, oldname, newname string) error {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	src, err := f.resolve(ctx, f.Root(), oldname, false, 0)
	if err != nil {
		return linkErr("link", oldname, newname, err)
	}
	_, err = f.LinkAt(ctx, src, nil, newname)
	if err != nil {
		return linkErr("link", oldname, newname, err)
	}
	return nil
}

// LinkAt makes name (relative to dir) a new hard link to src.
func (f *FS) LinkAt(ctx context.Context, src *Inode, dir *Inode, name string) (*Inode, error) {
	err := f.withParent(ctx, dir, name, func(ctx context.Context, w *walk, d *Inode, last string, mustDir bool) error {
		if special(last) {
			return syscall.EEXIST
		}
		if mustDir {
			return f.slashedName(ctx, d, last, w.force, syscall.EEXIST, syscall.EEXIST)
		}
		return f.linkIn(ctx, src, d, last)
	})
	if err != nil {
		return nil, pathErr("link", name, err)
	}
	return src, nil
}

// Remove removes a file or an empty directory (os.Remove).
func (f *FS) Remove(ctx context.Context, name string) error {
	err := f.UnlinkAt(ctx, nil, name)
	if err != nil && isErrno(err, syscall.EISDIR) {
		err = f.RmdirAt(ctx, nil, name)
	}
	return retag(err, "remove")
}

// UnlinkAt removes the non-directory name relative to dir.
func (f *FS) UnlinkAt(ctx context.Context, dir *Inode, name string) error {
	err := f.withParent(ctx, dir, name, func(ctx context.Context, w *walk, d *Inode, last string, mustDir bool) error {
		if special(last) {
			return syscall.EISDIR
		}
		if mustDir {
			return f.slashedName(ctx, d, last, w.force, syscall.EISDIR, syscall.ENOTDIR)
		}
		return f.unlinkIn(ctx, d, last, w.force)
	})
	return pathErr("unlink", name, err)
}

// RmdirAt removes the empty directory name relative to dir.
func (f *FS) RmdirAt(ctx context.Context, dir *Inode, name string) error {
	err := f.withParent(ctx, dir, name, func(ctx context.Context, w *walk, d *Inode, last string, mustDir bool) error {
		switch last {
		case ".":
			return syscall.EINVAL
		case "..":
			return syscall.ENOTEMPTY
		case "/":
			return syscall.EBUSY
		}
		return f.rmdirIn(ctx, d, last, w.force)
	})
	return pathErr("rmdir", name, err)
}

// RemoveAll removes name and everything below it (os.RemoveAll).
func (f *FS) RemoveAll(ctx context.Context, name string) error {
	a, err := f.Lgetattr(ctx, name)
	if err != nil {
		if isErrno(err, syscall.ENOENT) {
			return nil
		}
		return err
	}
	if a.IsDir() {
		ents, err := f.ReadDir(ctx, name)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := f.RemoveAll(ctx, name+"/"+e.Name()); err != nil {
				return err
			}
		}
	}
	if err := f.Remove(ctx, name); err != nil && !isErrno(err, syscall.ENOENT) {
		return err
	}
	return nil
}

// Rename renames oldname to newname, replacing a file or empty directory.
func (f *FS) Rename(ctx context.Context, oldname, newname string) error {
	return f.Rename2(ctx, oldname, newname, 0)
}

// Rename2 is renameat2: flags RenameNoReplace or RenameExchange.
func (f *FS) Rename2(ctx context.Context, oldname, newname string, flags uint32) error {
	return f.RenameAt(ctx, nil, oldname, nil, newname, flags)
}

// RenameAt renames oldname relative to olddir to newname relative to newdir.
func (f *FS) RenameAt(ctx context.Context, olddir *Inode, oldname string, newdir *Inode, newname string, flags uint32) error {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	err := f.retryStale(func(force reval) error {
		w := f.newWalk(ctx, force)
		od, olast, omust, err := w.parent(f.start(olddir), oldname)
		if err != nil {
			return err
		}
		nd, nlast, nmust, err := w.parent(f.start(newdir), newname)
		if err != nil {
			return err
		}
		if special(olast) || special(nlast) {
			return syscall.EBUSY
		}
		// Linux: a non-directory source with a trailing slash on its name,
		// or (not exchanging) on the target's, is ENOTDIR.
		if omust || nmust && flags&RenameExchange == 0 {
			flags |= renameSourceMustBeDir
		}
		return f.renameIn(ctx, od, olast, nd, nlast, flags, force)
	})
	return linkErr("rename", oldname, newname, err)
}

// Readlink returns the target of symlink name.
func (f *FS) Readlink(ctx context.Context, name string) (string, error) {
	return f.ReadlinkAt(ctx, nil, name)
}

// ReadlinkAt returns the target of symlink name relative to dir.
func (f *FS) ReadlinkAt(ctx context.Context, dir *Inode, name string) (string, error) {
	var t string
	err := f.withInode(ctx, dir, name, false, func(ctx context.Context, ino *Inode) (err error) {
		t, err = f.readlink(ctx, ino)
		return err
	})
	return t, pathErr("readlink", name, err)
}

// ReadDir lists directory name sorted by name (os.ReadDir).
func (f *FS) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	fl, err := f.OpenFileAt(ctx, nil, name, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, retag(err, "readdir")
	}
	defer fl.Close()
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	ents, err := f.listDir(ctx, fl.ino, false) // Info() gets what is not cached
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	return sortedEntries(ents, fl), nil
}

// ReadFile reads a whole file.
func (f *FS) ReadFile(ctx context.Context, name string) ([]byte, error) {
	fl, err := f.OpenFileAt(ctx, nil, name, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer fl.Close()
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := fl.ReadAtContext(ctx, buf[len(buf):cap(buf)], int64(len(buf)))
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// WriteFile writes data to name, creating or truncating it.
func (f *FS) WriteFile(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	fl, err := f.OpenFile(ctx, name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, perm)
	if err != nil {
		return err
	}
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	if _, err = fl.WriteAtContext(ctx, data, 0); err != nil {
		fl.CloseContext(ctx, true)
		return err
	}
	return fl.CloseContext(ctx, true)
}

// Statfs reports usage of the filesystem.
func (f *FS) Statfs(ctx context.Context) (Statfs, error) {
	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	s, err := f.drv.Statfs(ctx, f.Root().node)
	return s, pathErr("statfs", "/", err)
}

// baseName is path.Base without allocation for the common case.
func baseName(p string) string {
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			if i == len(p)-1 {
				return "/"
			}
			return p[i+1:]
		}
	}
	if p == "" {
		return "."
	}
	return p
}

// slashedName answers for "name/" where the call wants a non-directory
// (Linux): ENOENT if absent, else ifDir or ifOther. A symlink is followed,
// as the trailing slash asks.
func (f *FS) slashedName(ctx context.Context, dir *Inode, name string, force reval, ifDir, ifOther syscall.Errno) error {
	ino, err := f.newWalk(ctx, force).step(dir, name, true)
	switch {
	case err != nil:
		return err
	case ino.dir != nil:
		return ifDir
	}
	return ifOther
}
