package sftpfs

// This file is Setattr: one SETSTAT (or FSETSTAT through the handle the
// change came through, or lsetstat@openssh.com for a symlink) pipelined
// with the stat that returns the attributes after the change. SFTP v3 sets
// uid and gid together and atime and mtime together, in whole seconds;
// when the caller changes only one of a pair, the current value of the
// other is read first (one more round trip). A change through a handle
// goes behind the handle's unanswered WRITEs and returns after them
// (writeback.go); one by path goes behind every request sent before it
// too, so it never overtakes a write that has returned. The driver keeps
// no attributes, so it cannot tell a change that changes nothing without
// asking; the core can. No driver lock is taken.

import (
	"context"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// Setattr changes the attributes named in sa.Valid.
func (fs *FS) Setattr(ctx context.Context, n vfs.Node, sa vfs.SetAttr) (vfs.Attr, error) {
	nd, err := nodeOf(n)
	if err != nil {
		return vfs.Attr{}, err
	}
	if sa.Valid == 0 {
		return fs.Getattr(ctx, n)
	}
	p := fs.path(nd)
	ctx, cancel, s, err := fs.begin(ctx, "setattr", p)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer cancel()

	// Choose how to address the object: the open handle, the path without
	// following a final symlink, or the path.
	var set func(fileAttrs) *packet
	var get func() *packet
	fh, _ := sa.Handle.(*fileHandle)
	var writes uint64 // the handle's WRITEs sent before this call
	switch {
	case fh != nil:
		writes = fh.wb.mark()
		hs, h, err := fh.ensure(ctx)
		if err != nil {
			return vfs.Attr{}, failure("setattr", p, err)
		}
		s = hs
		set = func(a fileAttrs) *packet { return reqFsetstat(h, a) }
		get = func() *packet { return reqFstat(h) }
	case nd.typ.Load() == vfs.S_IFLNK:
		if !s.has(extLsetstat) {
			return vfs.Attr{}, errorf("setattr", p, syscall.EOPNOTSUPP,
				"server lacks %s: cannot change a symlink without following it", extLsetstat)
		}
		set = func(a fileAttrs) *packet { return reqLsetstat(p, a) }
		get = func() *packet { return reqLstat(p) }
	case nd == fs.root:
		set = func(a fileAttrs) *packet { return reqSetstat(p, a) }
		get = func() *packet { return reqStat(p) }
	default:
		set = func(a fileAttrs) *packet { return reqSetstat(p, a) }
		get = func() *packet { return reqLstat(p) }
	}

	var cur fileAttrs
	if needsCurrent(sa.Valid) {
		r, err := s.do(ctx, get())
		if err == nil {
			cur, err = r.attrs()
		}
		if err != nil {
			return vfs.Attr{}, nodeFailure("setattr", p, err)
		}
	}
	change := buildChange(sa, cur, time.Now())

	calls, err := s.start(ctx, set(change), get())
	if err != nil {
		return vfs.Attr{}, failure("setattr", p, err)
	}
	if fh != nil {
		// Their replies come before ours: no extra round trip. A WRITE
		// failure is left for write, flush, fsync or close to report.
		if err := fh.wb.waitFor(ctx, writes); err != nil {
			s.abandon(calls...)
			return vfs.Attr{}, failure("setattr", p, err)
		}
	}
	rs, err := s.waitAll(ctx, calls)
	if err != nil {
		return vfs.Attr{}, failure("setattr", p, err)
	}
	if err := rs[0].status(); err != nil {
		if isStatus(err, fxPermissionDenied) && sa.Valid&^vfs.SetSize != 0 {
			// Changing mode, owner or explicit times of a file we do
			// not own is EPERM in Linux; sftp-server folds EPERM and
			// EACCES into one status.
			return vfs.Attr{}, withErrno("setattr", p, syscall.EPERM, err)
		}
		return vfs.Attr{}, nodeFailure("setattr", p, err)
	}
	a, err := rs[1].attrs()
	if err != nil {
		return vfs.Attr{}, failure("setattr", p, err)
	}
	nd.typ.Store(a.perm & vfs.S_IFMT)
	return toAttr(a), nil
}

// needsCurrent reports whether a change sets only one half of a pair SFTP
// sets together (uid/gid, atime/mtime).
func needsCurrent(v vfs.SetAttrMask) bool {
	ids := v & (vfs.SetUid | vfs.SetGid)
	atime := v&(vfs.SetAtime|vfs.SetAtimeNow) != 0
	mtime := v&(vfs.SetMtime|vfs.SetMtimeNow) != 0
	return (ids != 0 && ids != vfs.SetUid|vfs.SetGid) || atime != mtime
}

// buildChange makes the ATTRS of a SETSTAT from sa, taking the unchanged
// half of a pair from cur.
func buildChange(sa vfs.SetAttr, cur fileAttrs, now time.Time) fileAttrs {
	var a fileAttrs
	v := sa.Valid
	if v&vfs.SetSize != 0 {
		a.flags |= attrSize
		a.size = uint64(sa.Size)
	}
	if v&vfs.SetMode != 0 {
		a.flags |= attrPermissions
		a.perm = sa.Mode & 0o7777
	}
	if v&(vfs.SetUid|vfs.SetGid) != 0 {
		a.flags |= attrUIDGID
		a.uid, a.gid = cur.uid, cur.gid
		if v&vfs.SetUid != 0 {
			a.uid = sa.Uid
		}
		if v&vfs.SetGid != 0 {
			a.gid = sa.Gid
		}
	}
	if v&(vfs.SetAtime|vfs.SetAtimeNow|vfs.SetMtime|vfs.SetMtimeNow) != 0 {
		a.flags |= attrACModTime
		a.atime, a.mtime = cur.atime, cur.mtime
		switch {
		case v&vfs.SetAtimeNow != 0:
			a.atime = uint32(now.Unix())
		case v&vfs.SetAtime != 0:
			a.atime = uint32(sa.AtimeNs / 1e9)
		}
		switch {
		case v&vfs.SetMtimeNow != 0:
			a.mtime = uint32(now.Unix())
		case v&vfs.SetMtime != 0:
			a.mtime = uint32(sa.MtimeNs / 1e9)
		}
	}
	return a
}
