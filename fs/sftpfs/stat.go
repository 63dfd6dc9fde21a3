package sftpfs

// This file holds the calls that read metadata: Lookup, Getattr, Readlink,
// Statfs, and the conversion of SFTP attributes to vfs.Attr. They take no
// driver lock beyond FS.treeMu (shared) to compute a path.

import (
	"context"
	"errors"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// toAttr converts SFTP v3 attributes. The protocol has no inode number,
// link count, ctime or sub-second times: Ino is 0 (the core makes one up),
// Nlink is 1 for every type (the convention for "unknown", as on btrfs
// directories), Ctime is Mtime, Blocks is estimated from the size, and ID
// is empty (rule A1: SFTP has no identity).
func toAttr(a fileAttrs) vfs.Attr {
	out := vfs.Attr{
		Mode:    a.perm,
		Nlink:   1,
		Uid:     a.uid,
		Gid:     a.gid,
		Size:    int64(a.size),
		Blocks:  int64((a.size + 511) / 512),
		AtimeNs: int64(a.atime) * 1e9,
		MtimeNs: int64(a.mtime) * 1e9,
		CtimeNs: int64(a.mtime) * 1e9,
	}
	return out
}

// Lookup resolves name in dir with LSTAT (a final symlink is not
// followed). ENOENT is an answer, not a failure. OpenSSH reports a
// non-directory dir as NO_SUCH_FILE too, so that case is ENOENT here
// rather than ENOTDIR.
func (fs *FS) Lookup(ctx context.Context, dirN vfs.Node, name string) (vfs.Node, vfs.Attr, error) {
	dir, err := nodeOf(dirN)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	p := fs.childPath(dir, name)
	ctx, cancel, s, err := fs.begin(ctx, "lookup", p)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	defer cancel()
	a, err := lstat(ctx, s, p)
	if err != nil {
		return nil, vfs.Attr{}, failure("lookup", p, err)
	}
	return newChild(dir, name, a), toAttr(a), nil
}

// lstat sends one LSTAT and decodes the reply.
func lstat(ctx context.Context, s *session, p string) (fileAttrs, error) {
	r, err := s.do(ctx, reqLstat(p))
	if err != nil {
		return fileAttrs{}, err
	}
	return r.attrs()
}

// probe decodes an LSTAT reply sent to explain a failure: whether the name
// exists and what it is. An absent name is not an error.
func probe(r reply) (a fileAttrs, exists bool, err error) {
	a, err = r.attrs()
	switch {
	case err == nil:
		return a, true, nil
	case isStatus(err, fxNoSuchFile):
		return fileAttrs{}, false, nil
	}
	return fileAttrs{}, false, err
}

// Getattr asks the server for n's attributes: LSTAT, or STAT for the root
// (which may be reached through a symlink).
func (fs *FS) Getattr(ctx context.Context, n vfs.Node) (vfs.Attr, error) {
	nd, err := nodeOf(n)
	if err != nil {
		return vfs.Attr{}, err
	}
	p := fs.path(nd)
	ctx, cancel, s, err := fs.begin(ctx, "getattr", p)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer cancel()
	req := reqLstat(p)
	if nd == fs.root {
		req = reqStat(p)
	}
	r, err := s.do(ctx, req)
	if err != nil {
		return vfs.Attr{}, failure("getattr", p, err)
	}
	a, err := r.attrs()
	if isStatus(err, fxNoSuchFile) {
		// The path is gone, but an open file still reaches the object
		// (fstat(2) of an unlinked file).
		if fh := fs.openHandleOf(nd); fh != nil {
			if hs, h, herr := fh.ensure(ctx); herr == nil {
				a, err = fstatHandle(ctx, hs, h)
			}
		}
	}
	if err != nil {
		return vfs.Attr{}, nodeFailure("getattr", p, err)
	}
	nd.typ.Store(a.perm & vfs.S_IFMT)
	return toAttr(a), nil
}

// nodeFailure is failure for a call that names an object by its node
// rather than by (directory, name): when the node's path names nothing any
// more, the node is stale (rule V3: the core drops it and retries with a
// fresh lookup), not absent.
func nodeFailure(op, path string, err error) error {
	if isStatus(err, fxNoSuchFile) {
		return withErrno(op, path, syscall.ESTALE, err)
	}
	return failure(op, path, err)
}

// Readlink returns a symlink's target; EINVAL if n is not a symlink
// (OpenSSH answers readlink(2)'s EINVAL with BAD_MESSAGE).
func (fs *FS) Readlink(ctx context.Context, n vfs.Node) (string, error) {
	nd, err := nodeOf(n)
	if err != nil {
		return "", err
	}
	p := fs.path(nd)
	ctx, cancel, s, err := fs.begin(ctx, "readlink", p)
	if err != nil {
		return "", err
	}
	defer cancel()
	r, err := s.do(ctx, reqReadlink(p))
	if err != nil {
		return "", failure("readlink", p, err)
	}
	names, err := r.names()
	if errors.Is(err, errShortPacket) || (err == nil && len(names) != 1) {
		return "", errorf("readlink", p, syscall.EIO, "malformed NAME reply")
	}
	if err != nil {
		if isStatus(err, fxFailure) {
			return "", withErrno("readlink", p, syscall.EINVAL, err)
		}
		return "", nodeFailure("readlink", p, err)
	}
	return names[0].name, nil
}

// Statfs reports usage through statvfs@openssh.com.
func (fs *FS) Statfs(ctx context.Context, n vfs.Node) (vfs.Statfs, error) {
	nd, err := nodeOf(n)
	if err != nil {
		return vfs.Statfs{}, err
	}
	p := fs.path(nd)
	ctx, cancel, s, err := fs.begin(ctx, "statfs", p)
	if err != nil {
		return vfs.Statfs{}, err
	}
	defer cancel()
	if !s.has(extStatvfs) {
		return vfs.Statfs{}, errorf("statfs", p, syscall.ENOSYS, "server lacks %s", extStatvfs)
	}
	r, err := s.do(ctx, reqStatvfs(p))
	if err != nil {
		return vfs.Statfs{}, failure("statfs", p, err)
	}
	d, err := r.extended()
	if err != nil {
		return vfs.Statfs{}, nodeFailure("statfs", p, err)
	}
	// f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree,
	// f_favail, f_fsid, f_flag, f_namemax.
	st := vfs.Statfs{
		Bsize:  uint32(d.u64()),
		Frsize: uint32(d.u64()),
		Blocks: d.u64(),
		Bfree:  d.u64(),
		Bavail: d.u64(),
		Files:  d.u64(),
		Ffree:  d.u64(),
	}
	d.u64() // favail
	d.u64() // fsid
	d.u64() // flag
	st.NameLen = uint32(d.u64())
	if d.err != nil {
		return vfs.Statfs{}, failure("statfs", p, d.err)
	}
	return st, nil
}
