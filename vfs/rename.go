package vfs

// Rename (rule D3). A rename claims its two names in one global order
// ((directory id, name) ascending), so two renames never deadlock; a rename
// between directories also holds FS.renameMu for its whole length, so the
// "is the target inside the source" check cannot be raced by another move.
// The cache changes in one step inside a FS.seq write section, so a cached
// walk sees the old tree or the new one, never a mix.

import (
	"context"
	"syscall"
)

// renameSourceMustBeDir is an internal flag: a trailing slash made the
// source's name require a directory (Linux: ENOTDIR for a file).
const renameSourceMustBeDir = 1 << 31

func (f *FS) renameIn(ctx context.Context, odir *Inode, oname string, ndir *Inode, nname string, flags uint32, force reval) error {
	mustDir := flags&renameSourceMustBeDir != 0
	flags &^= renameSourceMustBeDir
	if flags&^(RenameNoReplace|RenameExchange) != 0 || flags == RenameNoReplace|RenameExchange {
		return syscall.EINVAL
	}
	if odir.dir == nil || ndir.dir == nil {
		return syscall.ENOTDIR
	}
	if err := checkName(oname); err != nil {
		return err
	}
	if err := checkName(nname); err != nil {
		return err
	}
	if odir == ndir && oname == nname {
		return f.withName(ctx, odir, oname, true, force, func(d *dentry) error {
			switch {
			case d.st() != statePositive:
				return syscall.ENOENT
			case mustDir && d.inode.Load().dir == nil:
				return syscall.ENOTDIR
			case flags&RenameNoReplace != 0:
				return syscall.EEXIST // Linux checks NOREPLACE before "same dentry"
			}
			return nil // rename onto itself
		})
	}
	if odir != ndir {
		f.renameMu.Lock()
		defer f.renameMu.Unlock()
	}
	first, fname, second, sname := odir, oname, ndir, nname
	if first.dir.id > second.dir.id || first.dir.id == second.dir.id && fname > sname {
		first, fname, second, sname = second, sname, first, fname
	}
	d1, _, err := f.acquire(ctx, first.dir, fname, false, 0, mutGated)
	if err != nil {
		return err
	}
	first.dir.park(1)
	d2, _, err := f.acquire(ctx, second.dir, sname, false, 0, mutHeld)
	first.dir.park(-1)
	if err != nil {
		f.release(d1, nil)
		return err
	}
	dOld, dNew := d1, d2
	if first != odir || fname != oname {
		dOld, dNew = d2, d1
	}
	err = f.renameClaimed(ctx, odir, dOld, ndir, dNew, flags, force, mustDir)
	f.release(d2, err)
	f.release(d1, err)
	return err
}

func (f *FS) renameClaimed(ctx context.Context, odir *Inode, dOld *dentry, ndir *Inode, dNew *dentry, flags uint32, force reval, mustDir bool) error {
	for _, p := range [2]struct {
		dir *Inode
		d   *dentry
	}{{odir, dOld}, {ndir, dNew}} {
		if p.d.st() == stateInLookup || !f.fresh(p.d, force) {
			if err := f.lookupOwned(ctx, p.dir, p.d); err != nil {
				if err == errRetry {
					err = syscall.EAGAIN
				}
				return f.staleDir(p.dir, err)
			}
		}
	}
	src := dOld.inode.Load()
	if dOld.st() != statePositive || src == nil {
		return syscall.ENOENT
	}
	dst := dNew.inode.Load()
	if dNew.st() != statePositive {
		dst = nil
	}
	if mustDir && src.dir == nil {
		return syscall.ENOTDIR
	}
	exchange := flags&RenameExchange != 0
	switch {
	case exchange && dst == nil:
		return syscall.ENOENT
	case flags&RenameNoReplace != 0 && dst != nil:
		return syscall.EEXIST
	case src == dst:
		return nil // two names of one object: POSIX says do nothing
	}
	root := f.Root()
	if src == root || dst == root {
		return syscall.EBUSY
	}
	// The target must not be inside the source (EINVAL), nor the source
	// inside a directory target (ENOTEMPTY, or EINVAL for an exchange).
	if src.dir != nil && f.inside(ndir, src) {
		return syscall.EINVAL
	}
	if dst != nil && dst.dir != nil && f.inside(odir, dst) {
		if exchange {
			return syscall.EINVAL
		}
		return syscall.ENOTEMPTY
	}
	if !exchange && dst != nil {
		switch {
		case src.dir != nil && dst.dir == nil:
			return syscall.ENOTDIR
		case src.dir == nil && dst.dir != nil:
			return syscall.EISDIR
		}
	}
	var done func(ok bool)
	if !exchange && dst != nil && dst.dir != nil {
		var err error
		if done, err = f.emptying(ctx, dst); err != nil {
			return err
		}
	}
	f.renStarted.Add(1)
	defer f.renFinished.Add(1)
	if err := f.drv.Rename(ctx, odir.node, dOld.name, ndir.node, dNew.name, flags); err != nil {
		if done != nil {
			done(false)
			f.listNotRemoved(dst.dir, err) // C1
		}
		return err
	}
	f.move(dOld, src, dNew, dst, exchange)
	if done != nil {
		done(true)
	}
	for _, ino := range [2]*Inode{src, dst} {
		if ino != nil && ino.dir != nil && (ino == src || exchange) {
			f.listTouched(ino.dir) // C1: a moved directory's ".." changed
		}
	}
	if f.mover != nil {
		f.mover.Moved(src.node, ndir.node, dNew.name)
		if exchange {
			f.mover.Moved(dst.node, odir.node, dOld.name)
		}
	}
	isDir := func(ino *Inode) int {
		if ino != nil && ino.dir != nil {
			return 1
		}
		return 0
	}
	oDelta, nDelta := -isDir(src), isDir(src)-isDir(dst) // dst replaced, or exchanged away
	if exchange {
		oDelta += isDir(dst)
	}
	if ndir == odir {
		f.dirChanged(odir, oDelta+nDelta)
	} else {
		f.dirChanged(odir, oDelta)
		f.dirChanged(ndir, nDelta)
	}
	for _, ino := range [2]*Inode{src, dst} {
		if ino != nil {
			f.expireAttr(ino)
		}
	}
	return nil
}

// inside reports whether dir is ino or below it.
func (f *FS) inside(dir, ino *Inode) bool {
	root := f.Root()
	for p := dir; ; p = f.parentDir(p) {
		if p == ino {
			return true
		}
		if p == root || p.dentry.Load() == nil {
			return false
		}
	}
}

// move updates the cache after a successful rename, in one seq section.
func (f *FS) move(dOld *dentry, src *Inode, dNew *dentry, dst *Inode, exchange bool) {
	f.idMu.Lock()
	f.seqBegin()
	setInode := func(d *dentry, ino *Inode) {
		p := d.parent
		p.mu.Lock()
		f.checkMuRLock()
		d.inode.Store(ino)
		if ino == nil {
			d.deadline.Store(f.entryDeadline(true))
			d.setState(stateNegative, f.staleEpoch.Load())
		} else {
			d.deadline.Store(f.entryDeadline(false))
			d.setState(statePositive, f.staleEpoch.Load())
		}
		f.listNoteLocked(d) // C1
		f.checkMuRUnlock()
		p.mu.Unlock()
	}
	var gone *Inode
	if exchange {
		setInode(dNew, src)
		setInode(dOld, dst)
		if dst.dir != nil {
			dst.dentry.Store(dOld)
		} else {
			dst.dentry.CompareAndSwap(dNew, dOld)
		}
	} else {
		setInode(dNew, src) // src's reference moves from dOld to dNew
		setInode(dOld, nil)
		if dst != nil && dst.dir == nil && src.attr.Load().ID == "" {
			// Without identity dst may have been another name of src, which
			// a rename leaves in place (POSIX): we cannot tell, so forget
			// what the old name holds rather than cache it as absent.
			dOld.deadline.Store(0)
			listDoubt(dOld.parent) // C1: nor list it as absent
		}
		gone = dst // lost its name to src
		if dst != nil && dst.dentry.CompareAndSwap(dNew, nil) && dst.dir != nil {
			f.detach(dst)
		}
	}
	if src.dir != nil {
		src.dentry.Store(dNew)
	} else {
		src.dentry.CompareAndSwap(dOld, dNew)
	}
	f.seqEnd()
	f.idMu.Unlock()
	if gone != nil {
		f.unrefInode(gone)
	}
	f.lruAdd(dNew)
	f.lruAdd(dOld)
}
