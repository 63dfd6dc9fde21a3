package vfs

// Open (rules O1-O4). The final component of an open is resolved here, not
// by the generic walk, so that lookup, create and open can be one driver
// call (atomic open) on a name the core has claimed (O1), and so that every
// answer "not opened" (a directory, a symlink to follow, a special file)
// continues on that same claimed dentry through the normal path (O2). No
// driver contains a fallback.

import (
	"context"
	"syscall"
)

// openFlagsToDriver are the flags a driver's Open/Create/AtomicOpen sees.
const openFlagsToDriver = syscall.O_ACCMODE | syscall.O_CREAT | syscall.O_EXCL | syscall.O_TRUNC | syscall.O_APPEND | syscall.O_SYNC | syscall.O_DSYNC

// openAt opens path relative to start with open(2) flags.
func (f *FS) openAt(ctx context.Context, start *Inode, path string, flags int, mode uint32) (*File, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if flags&syscall.O_CREAT != 0 && flags&syscall.O_DIRECTORY != 0 {
		return nil, syscall.EINVAL // Linux 6.4+
	}
	cachedStale, start0 := false, f.staleEpoch.Load()
	if flags&syscall.O_CREAT == 0 {
		if ino, neg, ok := f.walkCached(start, path, flags&syscall.O_NOFOLLOW == 0, &clock{f: f}); ok {
			if neg {
				return nil, syscall.ENOENT
			}
			if ino.attr.Load().IsSymlink() {
				return nil, syscall.ELOOP // O4: O_NOFOLLOW on a final symlink
			}
			file, err := f.openInode(ctx, ino, flags, false)
			switch {
			case err == errRaced:
				// a local change raced us: the slow path sorts it out
			case err == nil || !isErrno(err, syscall.ESTALE):
				return file, err
			default:
				cachedStale = true // V3: this was the one try; retry forced
			}
		}
	}
	var file *File
	op := func(force reval) error {
		w := f.newWalk(ctx, force)
		dir, last, mustDir, err := w.parent(start, path)
		if err != nil {
			return err
		}
		if special(last) {
			if flags&syscall.O_CREAT != 0 {
				return syscall.EISDIR
			}
			file, err = f.openInode(ctx, dir, flags, false)
			return err
		}
		file, err = w.openLast(dir, last, mustDir, flags, mode)
		return err
	}
	var err error
	if cachedStale {
		err = op(f.forceSince(start0))
	} else {
		err = f.retryStale(op)
	}
	if err == errRaced {
		err = syscall.ESTALE
	}
	return file, err
}

// openLast opens name in dir, following final symlinks as open(2) does.
func (w *walk) openLast(dir *Inode, name string, mustDir bool, flags int, mode uint32) (*File, error) {
	f := w.f
	creat := flags&syscall.O_CREAT != 0
	excl := creat && flags&syscall.O_EXCL != 0
	if mustDir && creat {
		return nil, syscall.EISDIR
	}
	start := f.staleEpoch.Load()
	for tries := 0; ; tries++ {
		if dir.dir == nil {
			return nil, syscall.ENOTDIR
		}
		if err := checkName(name); err != nil {
			return nil, err
		}
		mut := mutNone
		if creat {
			mut = mutGated // an atomic open may create
		}
		d, owned, err := f.acquire(w.ctx, dir.dir, name, true, w.force, mut)
		if err != nil {
			return nil, f.staleDir(dir, err)
		}
		if !owned && creat && d.st() == stateNegative {
			// A valid negative entry and O_CREAT: claim it to create (O1).
			if d, owned, err = f.acquire(w.ctx, dir.dir, name, false, 0, mutGated); err != nil {
				return nil, err
			}
		}
		var ino *Inode
		if owned && d.st() == statePositive && f.fresh(d, w.force) {
			ino = d.inode.Load() // someone created it while we waited
			f.release(d, nil)
		} else if owned {
			var file *File
			file, ino, err = w.openOwned(dir, d, flags, mode)
			if file != nil || (err != nil && err != errRetry) {
				return file, err
			}
			if err == errRetry {
				if tries > 100 {
					return nil, syscall.EIO
				}
				continue
			}
		} else if found, again := foundInode(d); found != nil {
			ino = found
		} else {
			if (creat || again) && tries < maxLookAgain {
				continue // it went away since we looked: create it, or look again
			}
			return nil, syscall.ENOENT
		}
		// The name exists (O2: whatever the driver could not open itself).
		if ino.attr.Load().IsSymlink() {
			switch {
			case flags&syscall.O_NOFOLLOW != 0:
				return nil, syscall.ELOOP
			case excl:
				return nil, syscall.EEXIST // O4: O_CREAT|O_EXCL never follows
			}
			w.links++
			if w.links > maxSymlinks {
				return nil, syscall.ELOOP
			}
			target, err := f.readlink(w.ctx, ino)
			if err != nil {
				return nil, err
			}
			if target == "" {
				return nil, syscall.ENOENT
			}
			pdir, last, md, err := w.parent(dir, target)
			if err != nil {
				return nil, err
			}
			if special(last) {
				if creat {
					return nil, syscall.EISDIR
				}
				return f.openInode(w.ctx, pdir, flags, false)
			}
			dir, name, mustDir = pdir, last, mustDir || md
			continue
		}
		if excl {
			return nil, syscall.EEXIST
		}
		if mustDir && ino.dir == nil {
			return nil, syscall.ENOTDIR
		}
		file, err := f.openInode(w.ctx, ino, flags, false)
		if err == errRaced && tries < 8 {
			// The object went away after we found its name (a racing
			// unlink, or a stale cache): look at the name again, asking
			// the driver unless someone else did since we started (V3).
			if w.force == 0 {
				w.force = f.forceSince(start)
			}
			continue
		}
		return file, err
	}
}

// openOwned asks the driver about the claimed d: an atomic open when the
// driver has one (O1), else lookup and, with O_CREAT on an absent name, an
// exclusive create. It releases d. It returns an open file, or the inode the
// name turned out to be (for openLast to continue, O2), or an error.
func (w *walk) openOwned(dir *Inode, d *dentry, flags int, mode uint32) (*File, *Inode, error) {
	f, ctx := w.f, w.ctx
	creat := flags&syscall.O_CREAT != 0
	if !creat && f.absentByListing(d) {
		f.release(d, nil) // C1: known absent, no atomic open needed
		return nil, nil, syscall.ENOENT
	}
	if f.ao != nil && !(d.st() == statePositive && f.fresh(d, w.force)) {
		res, err := f.ao.AtomicOpen(ctx, dir.node, d.name, flags&openFlagsToDriver, mode)
		if err != nil {
			f.release(d, err)
			return nil, nil, f.staleDir(dir, err)
		}
		switch {
		case res.Handle != nil && res.Node != nil:
			ino, err := f.installPositive(d, res.Node, res.Attr)
			f.release(d, err)
			if err != nil {
				res.Handle.Release(ctx)
				return nil, nil, err
			}
			if flags&syscall.O_EXCL != 0 && !res.Created {
				res.Handle.Release(ctx) // O3: EEXIST unless this call created it
				return nil, nil, syscall.EEXIST
			}
			if res.Created {
				f.dirChanged(dir, 0)
			}
			return f.newFile(ino, res.Handle, flags, res.Created), nil, nil
		case res.Handle != nil:
			res.Handle.Release(ctx)
			f.release(d, syscall.EIO)
			return nil, nil, syscall.EIO // a driver bug: opened, but no node
		case res.Node != nil:
			ino, err := f.installPositive(d, res.Node, res.Attr)
			f.release(d, err)
			return nil, ino, err
		}
		if creat {
			f.release(d, syscall.EIO)
			return nil, nil, syscall.EIO // a driver bug: O_CREAT but neither opened nor found
		}
		f.installNegative(d)
		f.release(d, nil)
		return nil, nil, syscall.ENOENT
	}
	if d.st() == stateInLookup || !f.fresh(d, w.force) {
		if err := f.lookupOwned(ctx, dir, d); err != nil {
			f.release(d, err)
			if err == errRetry {
				return nil, nil, errRetry
			}
			return nil, nil, f.staleDir(dir, err)
		}
	}
	if d.st() == statePositive {
		ino := d.inode.Load()
		f.release(d, nil)
		return nil, ino, nil
	}
	if !creat {
		f.release(d, nil)
		return nil, nil, syscall.ENOENT
	}
	n, a, h, err := f.drv.Create(ctx, dir.node, d.name, flags&openFlagsToDriver&^(syscall.O_CREAT|syscall.O_EXCL|syscall.O_TRUNC), mode)
	if err != nil {
		if isErrno(err, syscall.EEXIST) {
			// Another client created it after our negative entry: look again.
			d.deadline.Store(0)
			f.release(d, nil)
			if flags&syscall.O_EXCL != 0 {
				return nil, nil, syscall.EEXIST
			}
			return nil, nil, errRetry
		}
		f.release(d, err)
		return nil, nil, f.staleDir(dir, err)
	}
	ino, err := f.installPositive(d, n, a)
	f.release(d, err)
	if err != nil {
		h.Release(ctx)
		return nil, nil, err
	}
	f.dirChanged(dir, 0)
	return f.newFile(ino, h, flags, true), nil, nil // O3: no O_TRUNC sent for a new file
}

// openInode opens an inode that exists (O4 type checks).
func (f *FS) openInode(ctx context.Context, ino *Inode, flags int, created bool) (*File, error) {
	acc := flags & syscall.O_ACCMODE
	if ino.dir != nil {
		if acc != syscall.O_RDONLY || flags&(syscall.O_CREAT|syscall.O_TRUNC) != 0 {
			return nil, syscall.EISDIR
		}
		return f.newFile(ino, nil, flags, false), nil
	}
	if flags&syscall.O_DIRECTORY != 0 {
		return nil, syscall.ENOTDIR
	}
	if ino.attr.Load().IsSymlink() {
		return nil, syscall.ELOOP
	}
	h, err := f.drv.Open(ctx, ino.node, flags&openFlagsToDriver&^(syscall.O_CREAT|syscall.O_EXCL))
	if err != nil {
		if isErrno(err, syscall.ESTALE) {
			if f.raced(ino) {
				return nil, errRaced
			}
			f.dropInode(ino)
		}
		return nil, err
	}
	if flags&syscall.O_TRUNC != 0 && acc != syscall.O_RDONLY {
		f.expireAttr(ino)
	}
	if f.opts.Policy == PolicyCloseToOpen {
		if a, err := f.drv.Getattr(ctx, ino.node); err == nil {
			f.setAttr(ino, a) // V1: close-to-open revalidates on open
		}
	}
	return f.newFile(ino, h, flags, created), nil
}

// reval is a forced revalidation (V3): nonzero, it makes every dentry
// stamped with an epoch before it count as expired, so a retry after ESTALE
// asks the driver again about everything it had used — but not about what
// others revalidated since the failed try began.
type reval uint32

// stale reports whether d was cached before r's epoch.
func (r reval) stale(d *dentry) bool {
	return r != 0 && int16(uint16(r)-d.epoch()) > 0
}

// fresh reports whether d may be used as it is under r.
func (f *FS) fresh(d *dentry, r reval) bool {
	return f.valid(d, f.now()) && !r.stale(d)
}

// retryStale runs op, and once more with forced revalidation if it failed
// with ESTALE (V3). An ESTALE that a racing local change explains (errRaced)
// is not that one retry: op runs again, forced, so it waits for the change.
func (f *FS) retryStale(op func(force reval) error) error {
	start := f.staleEpoch.Load()
	var force reval
	counted := false
	for tries := 0; ; tries++ {
		err := op(force)
		switch {
		case err == errRaced && tries < 8:
		case err != nil && err != errRaced && isErrno(err, syscall.ESTALE) && !counted:
			counted = true
		default:
			if err == errRaced {
				err = syscall.ESTALE
			}
			return err
		}
		force = f.forceSince(start)
	}
}

// forceSince starts a new epoch and returns the revalidation of everything
// cached in epochs up to start.
func (f *FS) forceSince(start uint32) reval {
	f.staleEpoch.Add(1)
	r := reval(start + 1)
	if uint16(r) == 0 {
		r++ // keep r nonzero and its stamp comparable
	}
	return r
}
