package sftpfs

// This file opens files: Open (an existing node), Create (exclusive) and
// AtomicOpen (rule O1: lookup, create and open in one round trip where the
// protocol allows). Every OPEN is pipelined with an LSTAT of the same path
// in one batch; the server runs them in order, so the LSTAT tells what the
// OPEN found or made (a new file's attributes, or why it failed) without a
// second round trip. The core holds the name exclusively during these
// calls (rules L1, D1); the driver takes no lock of its own.

import (
	"context"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// accessFlags converts the access mode and O_APPEND to SFTP pflags.
func accessFlags(flags int) uint32 {
	var pf uint32
	switch flags & syscall.O_ACCMODE {
	case syscall.O_RDONLY:
		pf = fxfRead
	case syscall.O_WRONLY:
		pf = fxfWrite
	default:
		pf = fxfRead | fxfWrite
	}
	if flags&syscall.O_APPEND != 0 {
		pf |= fxfAppend
	}
	return pf
}

func isRegular(a fileAttrs) bool { return a.perm&vfs.S_IFMT == vfs.S_IFREG }

// openOutcome is what an OPEN+LSTAT pair found.
type openOutcome struct {
	h      string    // the server handle, if the file was opened
	a      fileAttrs // attributes of the name, if it exists
	exists bool
}

// Open opens an existing node. A directory needs no server state.
func (fs *FS) Open(ctx context.Context, n vfs.Node, flags int) (vfs.Handle, error) {
	nd, err := nodeOf(n)
	if err != nil {
		return nil, err
	}
	p := fs.path(nd)
	if nd.typ.Load() == vfs.S_IFDIR {
		if flags&syscall.O_ACCMODE != syscall.O_RDONLY {
			return nil, errorf("open", p, syscall.EISDIR, "directory opened for writing")
		}
		return dirHandle{}, nil
	}
	ctx, cancel, s, err := fs.begin(ctx, "open", p)
	if err != nil {
		return nil, err
	}
	defer cancel()
	pf := accessFlags(flags)
	if flags&syscall.O_TRUNC != 0 {
		pf |= fxfTrunc
	}
	r, err := s.do(ctx, reqOpen(p, pf, fileAttrs{}))
	if err != nil {
		return nil, failure("open", p, err)
	}
	h, err := r.handle()
	if err != nil {
		if isStatus(err, fxFailure) {
			if a, exists, _ := probe(fs.lstatReply(ctx, s, p)); exists && a.perm&vfs.S_IFMT == vfs.S_IFDIR {
				return nil, withErrno("open", p, syscall.EISDIR, err)
			}
		}
		return nil, nodeFailure("open", p, err)
	}
	return fs.newFileHandle(nd, flags, s, h), nil
}

// Create creates and opens name exclusively; EEXIST if the name exists in
// any form (a dangling symlink included).
func (fs *FS) Create(ctx context.Context, dirN vfs.Node, name string, flags int, mode uint32) (vfs.Node, vfs.Attr, vfs.Handle, error) {
	dir, err := nodeOf(dirN)
	if err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	p := fs.childPath(dir, name)
	ctx, cancel, s, err := fs.begin(ctx, "create", p)
	if err != nil {
		return nil, vfs.Attr{}, nil, err
	}
	defer cancel()
	out, created, err := fs.openExclusive(ctx, s, p, flags, mode)
	if err != nil {
		return nil, vfs.Attr{}, nil, failure("create", p, err)
	}
	if !created {
		return nil, vfs.Attr{}, nil, errorf("create", p, syscall.EEXIST, "name exists")
	}
	nd := newChild(dir, name, out.a)
	return nd, toAttr(out.a), fs.newFileHandle(nd, flags, s, out.h), nil
}

// AtomicOpen implements rule O1 with one OPEN:
//
//   - O_CREAT: OPEN with CREAT|EXCL first, so that Created is exact
//     (rule O3): one round trip when the file is new, the common case. If
//     the name exists (OpenSSH answers a bare FAILURE; the pipelined LSTAT
//     shows the name), O_EXCL gives EEXIST; a directory, symlink or
//     special file is "not opened" for the core to handle (rule O2); a
//     regular file is opened with a plain OPEN (with O_TRUNC if asked).
//   - no O_CREAT: OPEN plus LSTAT in one round trip; a name that is not a
//     regular file is "not opened" (its handle, if the server opened
//     through a symlink, is closed); a missing name is "absent". With
//     O_TRUNC the LSTAT goes first, alone, so a symlink's target is never
//     truncated behind the core's back (O_NOFOLLOW must see ELOOP).
//
// Known hazard of the one-round-trip open without O_CREAT: if the name is
// a FIFO with no writer, OpenSSH's sftp-server blocks in open(2) and stops
// answering the whole session until a writer appears; the caller's ctx and
// Options.Timeout still bound this call. (With O_CREAT the exclusive OPEN
// fails at once on a FIFO, and Open is only called for regular files.)
func (fs *FS) AtomicOpen(ctx context.Context, dirN vfs.Node, name string, flags int, mode uint32) (vfs.OpenResult, error) {
	dir, err := nodeOf(dirN)
	if err != nil {
		return vfs.OpenResult{}, err
	}
	p := fs.childPath(dir, name)
	ctx, cancel, s, err := fs.begin(ctx, "open", p)
	if err != nil {
		return vfs.OpenResult{}, err
	}
	defer cancel()
	pf := accessFlags(flags)
	if flags&syscall.O_TRUNC != 0 {
		pf |= fxfTrunc
	}
	opened := func(out openOutcome, created bool) vfs.OpenResult {
		nd := newChild(dir, name, out.a)
		return vfs.OpenResult{Node: nd, Attr: toAttr(out.a), Handle: fs.newFileHandle(nd, flags, s, out.h), Created: created}
	}
	notOpened := func(a fileAttrs) vfs.OpenResult {
		return vfs.OpenResult{Node: newChild(dir, name, a), Attr: toAttr(a)}
	}

	if flags&syscall.O_CREAT == 0 {
		if flags&syscall.O_TRUNC != 0 {
			a, exists, err := probe(fs.lstatReply(ctx, s, p))
			switch {
			case err != nil:
				return vfs.OpenResult{}, failure("open", p, err)
			case !exists:
				return vfs.OpenResult{}, nil
			case !isRegular(a):
				return notOpened(a), nil
			}
		}
		out, err := fs.openExisting(ctx, s, p, pf)
		switch {
		case err != nil:
			return vfs.OpenResult{}, failure("open", p, err)
		case out.h != "":
			return opened(out, false), nil
		case out.exists:
			return notOpened(out.a), nil
		}
		return vfs.OpenResult{}, nil
	}

	// A name that vanishes between our exclusive create and the plain
	// open (another client) sends us round again; give up after a few.
	for range 4 {
		out, created, err := fs.openExclusive(ctx, s, p, flags, mode)
		switch {
		case err != nil:
			return vfs.OpenResult{}, failure("open", p, err)
		case created:
			return opened(out, true), nil
		case flags&syscall.O_EXCL != 0:
			return vfs.OpenResult{}, errorf("open", p, syscall.EEXIST, "name exists")
		case !isRegular(out.a):
			return notOpened(out.a), nil
		}
		out, err = fs.openExisting(ctx, s, p, pf)
		switch {
		case err != nil:
			return vfs.OpenResult{}, failure("open", p, err)
		case out.h != "":
			return opened(out, false), nil
		case out.exists:
			return notOpened(out.a), nil
		}
	}
	return vfs.OpenResult{}, errorf("open", p, syscall.EIO, "name keeps appearing and disappearing")
}

// openExclusive sends OPEN(CREAT|EXCL) with the permission bits, pipelined
// with an LSTAT. It reports created with the open handle, or the existing
// name's attributes (whatever made the OPEN fail: the name exists, so we
// did not create it), or the OPEN's error when the name is absent.
func (fs *FS) openExclusive(ctx context.Context, s *session, p string, flags int, mode uint32) (openOutcome, bool, error) {
	req := reqOpen(p, accessFlags(flags)|fxfCreat|fxfExcl, fileAttrs{flags: attrPermissions, perm: mode & 0o7777})
	calls, err := s.start(ctx, req, reqLstat(p))
	if err != nil {
		return openOutcome{}, false, err
	}
	rs, err := s.waitAll(ctx, calls)
	if err != nil {
		return openOutcome{}, false, err
	}
	h, openErr := rs[0].handle()
	if openErr == nil {
		a, err := rs[1].attrs()
		if err != nil || !isRegular(a) {
			// Replaced right after we made it: ask the handle.
			if a, err = fstatHandle(ctx, s, h); err != nil {
				s.send(reqClose(h))
				return openOutcome{}, false, err
			}
		}
		return openOutcome{h: h, a: a, exists: true}, true, nil
	}
	a, exists, err := probe(rs[1])
	if exists {
		return openOutcome{a: a, exists: true}, false, nil
	}
	if err != nil && rs[1].err != nil {
		return openOutcome{}, false, err // the connection failed
	}
	return openOutcome{}, false, openErr
}

// openExisting sends OPEN without CREAT, pipelined with an LSTAT, and
// sorts the result into opened (a regular file), not opened (the name is
// something else; a handle the server opened through a symlink is
// closed), or absent (zero outcome, nil error).
func (fs *FS) openExisting(ctx context.Context, s *session, p string, pf uint32) (openOutcome, error) {
	calls, err := s.start(ctx, reqOpen(p, pf, fileAttrs{}), reqLstat(p))
	if err != nil {
		return openOutcome{}, err
	}
	rs, err := s.waitAll(ctx, calls)
	if err != nil {
		return openOutcome{}, err
	}
	h, openErr := rs[0].handle()
	a, exists, probeErr := probe(rs[1])
	if openErr == nil {
		switch {
		case exists && isRegular(a):
			return openOutcome{h: h, a: a, exists: true}, nil
		case exists:
			s.send(reqClose(h))
			return openOutcome{a: a, exists: true}, nil
		}
		// The name went away right after the OPEN: ask the handle.
		if a, err = fstatHandle(ctx, s, h); err != nil {
			s.send(reqClose(h))
			return openOutcome{}, err
		}
		return openOutcome{h: h, a: a, exists: true}, nil
	}
	switch {
	case exists && !isRegular(a):
		return openOutcome{a: a, exists: true}, nil
	case !exists && probeErr == nil && isStatus(openErr, fxNoSuchFile):
		return openOutcome{}, nil
	}
	return openOutcome{}, openErr
}

// fstatHandle asks for the attributes of an open handle.
func fstatHandle(ctx context.Context, s *session, h string) (fileAttrs, error) {
	r, err := s.do(ctx, reqFstat(h))
	if err != nil {
		return fileAttrs{}, err
	}
	return r.attrs()
}
