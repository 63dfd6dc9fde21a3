package sftpfs

// This file holds the directory operations: Mkdir, Mknod, Symlink, Link,
// Unlink, Rmdir and Rename. The core excludes other operations on the
// names they touch (rule D1); the driver adds no lock of its own.
//
// OpenSSH's sftp-server answers most failures with a bare SSH_FX_FAILURE.
// To return the errno Linux would (rule D4) the driver pipelines an LSTAT
// of the name behind the request when it needs the attributes anyway
// (creations: one round trip), or sends one after a failure (removals,
// renames: the extra round trip is paid only on the error path).

import (
	"context"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// createWithProbe sends req and an LSTAT of p in one batch: the server runs
// them in order, so the LSTAT sees the result of req. It returns the
// node's attributes, or the error with EEXIST when req failed on a name
// that exists.
func (fs *FS) createWithProbe(ctx context.Context, s *session, op, p string, req *packet) (fileAttrs, error) {
	calls, err := s.start(ctx, req, reqLstat(p))
	if err != nil {
		return fileAttrs{}, failure(op, p, err)
	}
	rs, err := s.waitAll(ctx, calls)
	if err != nil {
		return fileAttrs{}, failure(op, p, err)
	}
	if err := rs[0].status(); err != nil {
		if _, exists, _ := probe(rs[1]); exists {
			return fileAttrs{}, withErrno(op, p, syscall.EEXIST, err)
		}
		return fileAttrs{}, failure(op, p, err)
	}
	a, err := rs[1].attrs()
	if err != nil {
		return fileAttrs{}, failure(op, p, err)
	}
	return a, nil
}

// Mkdir creates directory name with permission bits mode&0o7777 (the
// server's umask applies, as for mkdir(2)).
func (fs *FS) Mkdir(ctx context.Context, dirN vfs.Node, name string, mode uint32) (vfs.Node, vfs.Attr, error) {
	dir, err := nodeOf(dirN)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	p := fs.childPath(dir, name)
	ctx, cancel, s, err := fs.begin(ctx, "mkdir", p)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer cancel()
	req := reqMkdir(p, fileAttrs{flags: attrPermissions, perm: mode & 0o7777})
	a, err := fs.createWithProbe(ctx, s, "mkdir", p, req)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	return newChild(dir, name, a), toAttr(a), nil
}

// Mknod creates an empty regular file for S_IFREG; SFTP cannot create
// special files (EPERM, as Linux does on filesystems without them).
func (fs *FS) Mknod(ctx context.Context, dirN vfs.Node, name string, mode uint32, rdev uint64) (vfs.Node, vfs.Attr, error) {
	dir, err := nodeOf(dirN)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	p := fs.childPath(dir, name)
	if mode&vfs.S_IFMT != vfs.S_IFREG && mode&vfs.S_IFMT != 0 {
		return nil, vfs.Attr{}, errorf("mknod", p, syscall.EPERM, "SFTP cannot create special files")
	}
	ctx, cancel, s, err := fs.begin(ctx, "mknod", p)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer cancel()
	open := reqOpen(p, fxfWrite|fxfCreat|fxfExcl, fileAttrs{flags: attrPermissions, perm: mode & 0o7777})
	calls, err := s.start(ctx, open, reqLstat(p))
	if err != nil {
		return nil, vfs.Attr{}, failure("mknod", p, err)
	}
	rs, err := s.waitAll(ctx, calls)
	if err != nil {
		return nil, vfs.Attr{}, failure("mknod", p, err)
	}
	h, err := rs[0].handle()
	if err != nil {
		if _, exists, _ := probe(rs[1]); exists {
			return nil, vfs.Attr{}, withErrno("mknod", p, syscall.EEXIST, err)
		}
		return nil, vfs.Attr{}, failure("mknod", p, err)
	}
	s.send(reqClose(h))
	a, err := rs[1].attrs()
	if err != nil {
		return nil, vfs.Attr{}, failure("mknod", p, err)
	}
	return newChild(dir, name, a), toAttr(a), nil
}

// Symlink creates name in dir pointing at target, stored as is.
func (fs *FS) Symlink(ctx context.Context, dirN vfs.Node, name string, target string) (vfs.Node, vfs.Attr, error) {
	dir, err := nodeOf(dirN)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	p := fs.childPath(dir, name)
	ctx, cancel, s, err := fs.begin(ctx, "symlink", p)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer cancel()
	a, err := fs.createWithProbe(ctx, s, "symlink", p, reqSymlink(target, p))
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	return newChild(dir, name, a), toAttr(a), nil
}

// Link makes name in dir a hard link to n (hardlink@openssh.com). The core
// binds the new name to n (rule A2), so n records it as another of its
// places (names.go). SFTP v3 reports no link count: Nlink stays 1.
func (fs *FS) Link(ctx context.Context, n vfs.Node, dirN vfs.Node, name string) (vfs.Attr, error) {
	src, err := nodeOf(n)
	if err != nil {
		return vfs.Attr{}, err
	}
	dir, err := nodeOf(dirN)
	if err != nil {
		return vfs.Attr{}, err
	}
	oldPath, p := fs.path(src), fs.childPath(dir, name)
	if src.typ.Load() == vfs.S_IFDIR {
		return vfs.Attr{}, errorf("link", oldPath, syscall.EPERM, "hard link to a directory")
	}
	ctx, cancel, s, err := fs.begin(ctx, "link", p)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer cancel()
	if !s.has(extHardlink) {
		return vfs.Attr{}, errorf("link", p, syscall.EPERM, "server lacks %s", extHardlink)
	}
	calls, err := s.start(ctx, reqHardlink(oldPath, p), reqLstat(p))
	if err != nil {
		return vfs.Attr{}, failure("link", p, err)
	}
	rs, err := s.waitAll(ctx, calls)
	if err != nil {
		return vfs.Attr{}, failure("link", p, err)
	}
	if err := rs[0].status(); err != nil {
		if _, exists, _ := probe(rs[1]); exists {
			return vfs.Attr{}, withErrno("link", p, syscall.EEXIST, err)
		}
		if isStatus(err, fxNoSuchFile) {
			// The source's path names nothing (ESTALE: the core looks it
			// up again) unless it is the new name's directory that is
			// missing.
			if _, exists, _ := probe(fs.lstatReply(ctx, s, oldPath)); !exists {
				return vfs.Attr{}, withErrno("link", oldPath, syscall.ESTALE, err)
			}
			return vfs.Attr{}, failure("link", p, err)
		}
		if isStatus(err, fxPermissionDenied) || isStatus(err, fxFailure) {
			// Linux refuses to link a directory with EPERM, which
			// sftp-server reports as PERMISSION_DENIED.
			if sa, exists, _ := probe(fs.lstatReply(ctx, s, oldPath)); exists && sa.perm&vfs.S_IFMT == vfs.S_IFDIR {
				return vfs.Attr{}, withErrno("link", oldPath, syscall.EPERM, err)
			}
		}
		return vfs.Attr{}, failure("link", p, err)
	}
	fs.addLink(src, dir, name)
	a, err := rs[1].attrs()
	if err != nil {
		return vfs.Attr{}, failure("link", p, err)
	}
	return toAttr(a), nil
}

// lstatReply sends an LSTAT and returns its reply (transport and ctx
// errors inside it), for probing after a failure.
func (fs *FS) lstatReply(ctx context.Context, s *session, p string) reply {
	r, err := s.do(ctx, reqLstat(p))
	if err != nil && r.err == nil {
		r.err = err
	}
	return r
}

// Unlink removes the non-directory name; EISDIR for a directory. Open
// handles to the file keep working: the server keeps its descriptor.
func (fs *FS) Unlink(ctx context.Context, dirN vfs.Node, name string) error {
	dir, err := nodeOf(dirN)
	if err != nil {
		return err
	}
	p := fs.childPath(dir, name)
	ctx, cancel, s, err := fs.begin(ctx, "unlink", p)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := s.do(ctx, reqRemove(p))
	if err == nil {
		err = r.status()
	}
	if err == nil {
		fs.unlinked(p)
		return nil
	}
	if isStatus(err, fxFailure) || isStatus(err, fxPermissionDenied) {
		if a, exists, _ := probe(fs.lstatReply(ctx, s, p)); exists && a.perm&vfs.S_IFMT == vfs.S_IFDIR {
			return withErrno("unlink", p, syscall.EISDIR, err)
		}
	}
	return failure("unlink", p, err)
}

// Rmdir removes the empty directory name: ENOTEMPTY if it has entries,
// ENOTDIR if it is not a directory (both established by an LSTAT after
// the failure, as sftp-server reports them as FAILURE and NO_SUCH_FILE).
func (fs *FS) Rmdir(ctx context.Context, dirN vfs.Node, name string) error {
	dir, err := nodeOf(dirN)
	if err != nil {
		return err
	}
	p := fs.childPath(dir, name)
	ctx, cancel, s, err := fs.begin(ctx, "rmdir", p)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := s.do(ctx, reqRmdir(p))
	if err == nil {
		err = r.status()
	}
	if err == nil {
		return nil
	}
	if isStatus(err, fxFailure) || isStatus(err, fxNoSuchFile) {
		a, exists, _ := probe(fs.lstatReply(ctx, s, p))
		switch {
		case exists && a.perm&vfs.S_IFMT != vfs.S_IFDIR:
			return withErrno("rmdir", p, syscall.ENOTDIR, err)
		case exists && isStatus(err, fxFailure):
			return withErrno("rmdir", p, syscall.ENOTEMPTY, err)
		}
	}
	return failure("rmdir", p, err)
}

// Rename moves oldName to newName with renameat2 semantics. flags 0 uses
// posix-rename@openssh.com (rename(2): atomic replace). RenameNoReplace
// uses the protocol's own RENAME, which never replaces: OpenSSH links the
// new name then unlinks the old one for a regular file (atomic), and
// checks-then-renames for other types. RenameExchange cannot be expressed:
// EINVAL.
func (fs *FS) Rename(ctx context.Context, oldDirN vfs.Node, oldName string, newDirN vfs.Node, newName string, flags uint32) error {
	oldDir, err := nodeOf(oldDirN)
	if err != nil {
		return err
	}
	newDir, err := nodeOf(newDirN)
	if err != nil {
		return err
	}
	oldPath, newPath := fs.childPath(oldDir, oldName), fs.childPath(newDir, newName)
	var req *packet
	switch flags {
	case 0:
		req = reqPosixRename(oldPath, newPath)
	case vfs.RenameNoReplace:
		req = reqRename(oldPath, newPath)
	default:
		return errorf("rename", oldPath, syscall.EINVAL, "rename flags %#x not supported over SFTP", flags)
	}
	ctx, cancel, s, err := fs.begin(ctx, "rename", oldPath)
	if err != nil {
		return err
	}
	defer cancel()
	if flags == 0 && !s.has(extPosixRename) {
		return errorf("rename", oldPath, syscall.ENOSYS, "server lacks %s (no atomic replacing rename)", extPosixRename)
	}
	r, err := s.do(ctx, req)
	if err == nil {
		err = r.status()
	}
	if err == nil {
		fs.renamed(oldPath, newPath, newDir, newName)
		return nil
	}
	if _, ok := err.(*statusError); !ok {
		return failure("rename", oldPath, err)
	}
	return fs.renameError(ctx, s, oldPath, newPath, flags, err)
}

// renameError establishes the errno of a failed rename from the types of
// the two names (one more round trip, on the error path only).
func (fs *FS) renameError(ctx context.Context, s *session, oldPath, newPath string, flags uint32, err error) error {
	if isStatus(err, fxBadMessage) {
		return withErrno("rename", oldPath, syscall.EINVAL, err) // e.g. a directory into itself
	}
	calls, serr := s.start(ctx, reqLstat(oldPath), reqLstat(newPath))
	if serr != nil {
		return failure("rename", oldPath, err)
	}
	rs, serr := s.waitAll(ctx, calls)
	if serr != nil {
		return failure("rename", oldPath, err)
	}
	oldA, oldExists, _ := probe(rs[0])
	newA, newExists, _ := probe(rs[1])
	oldDir := oldA.perm&vfs.S_IFMT == vfs.S_IFDIR
	newIsDir := newA.perm&vfs.S_IFMT == vfs.S_IFDIR
	switch {
	case !oldExists:
		return withErrno("rename", oldPath, syscall.ENOENT, err)
	case isStatus(err, fxPermissionDenied):
		return failure("rename", oldPath, err)
	case newExists && flags&vfs.RenameNoReplace != 0:
		return withErrno("rename", newPath, syscall.EEXIST, err)
	case newExists && oldDir && !newIsDir:
		return withErrno("rename", newPath, syscall.ENOTDIR, err)
	case newExists && !oldDir && newIsDir:
		return withErrno("rename", newPath, syscall.EISDIR, err)
	case newExists && oldDir && newIsDir && isStatus(err, fxFailure):
		return withErrno("rename", newPath, syscall.ENOTEMPTY, err)
	}
	return failure("rename", oldPath, err)
}
