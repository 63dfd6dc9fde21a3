package vfs

// Directory operations (rules D1, D2, D4): create, mkdir, mknod, symlink,
// link, unlink and rmdir claim the one name they change and nothing else, so
// operations on different names of one directory run in parallel. rmdir
// marks the victim as being removed: new names in it wait for the outcome.

import (
	"context"
	"syscall"
)

// withName claims (dir, name), makes its state known when needState (a
// lookup on the claimed dentry, L1), runs op and lets go.
func (f *FS) withName(ctx context.Context, dir *Inode, name string, needState bool, force reval, op func(d *dentry) error) error {
	if dir.dir == nil {
		return syscall.ENOTDIR
	}
	if err := checkName(name); err != nil {
		return err
	}
	for tries := 0; ; tries++ {
		d, _, err := f.acquire(ctx, dir.dir, name, false, 0, mutGated)
		if err != nil {
			return err
		}
		if needState && (d.st() == stateInLookup || !f.fresh(d, force)) {
			if err = f.lookupOwned(ctx, dir, d); err == errRetry && tries < 100 {
				f.release(d, err)
				continue
			}
		}
		if err == nil {
			err = op(d)
		}
		f.release(d, err)
		return f.staleDir(dir, err)
	}
}

// created installs a node a driver just created at the claimed d.
func (f *FS) created(dir *Inode, d *dentry, n Node, a Attr, err error) (*Inode, error) {
	if err != nil {
		if isErrno(err, syscall.EEXIST) && d.st() == stateNegative {
			d.deadline.Store(0) // our negative entry was stale
		}
		return nil, err
	}
	subdirs := 0
	if a.IsDir() {
		subdirs = 1
	}
	f.dirChanged(dir, subdirs)
	return f.installPositive(d, n, a)
}

// existing reports EEXIST for a claimed name known to exist.
func (f *FS) existing(d *dentry) bool {
	return d.st() == statePositive && f.valid(d, f.now())
}

func (f *FS) mkdirIn(ctx context.Context, dir *Inode, name string, mode uint32) (ino *Inode, err error) {
	err = f.withName(ctx, dir, name, false, 0, func(d *dentry) error {
		if f.existing(d) {
			return syscall.EEXIST
		}
		n, a, err := f.drv.Mkdir(ctx, dir.node, name, mode)
		if ino, err = f.created(dir, d, n, a, err); err == nil {
			f.listMade(ino) // C1: a new directory is empty
		}
		return err
	})
	return ino, err
}

func (f *FS) mknodIn(ctx context.Context, dir *Inode, name string, mode uint32, rdev uint64) (ino *Inode, err error) {
	err = f.withName(ctx, dir, name, false, 0, func(d *dentry) error {
		if f.existing(d) {
			return syscall.EEXIST
		}
		n, a, err := f.drv.Mknod(ctx, dir.node, name, mode, rdev)
		ino, err = f.created(dir, d, n, a, err)
		return err
	})
	return ino, err
}

func (f *FS) symlinkIn(ctx context.Context, target string, dir *Inode, name string) (ino *Inode, err error) {
	if err := checkPath(target); err != nil {
		return nil, err
	}
	err = f.withName(ctx, dir, name, false, 0, func(d *dentry) error {
		if f.existing(d) {
			return syscall.EEXIST
		}
		n, a, err := f.drv.Symlink(ctx, dir.node, name, target)
		if ino, err = f.created(dir, d, n, a, err); err == nil {
			ino.link.Store(&target)
		}
		return err
	})
	return ino, err
}

func (f *FS) linkIn(ctx context.Context, src *Inode, dir *Inode, name string) error {
	if src.dir != nil {
		return syscall.EPERM
	}
	return f.withName(ctx, dir, name, false, 0, func(d *dentry) error {
		if f.existing(d) {
			return syscall.EEXIST
		}
		a, err := f.drv.Link(ctx, src.node, dir.node, name)
		if err != nil {
			if isErrno(err, syscall.ESTALE) {
				f.dropInode(src)
			}
			_, err = f.created(dir, d, nil, Attr{}, err)
			return err
		}
		f.dirChanged(dir, 0)
		f.setAttr(src, a)
		f.idMu.Lock()
		if a.ID != "" && f.ids[a.ID] == nil {
			f.ids[a.ID] = src // hard-linked now: later lookups share this inode (A2)
		}
		old := f.bind(d, src)
		f.idMu.Unlock()
		if old != nil {
			f.unrefInode(old)
		}
		f.lruAdd(d)
		return nil
	})
}

func (f *FS) unlinkIn(ctx context.Context, dir *Inode, name string, force reval) error {
	return f.withName(ctx, dir, name, true, force, func(d *dentry) error {
		ino := d.inode.Load()
		if d.st() != statePositive || ino == nil {
			return syscall.ENOENT
		}
		if ino.dir != nil {
			return syscall.EISDIR
		}
		err := f.drv.Unlink(ctx, dir.node, name)
		if err != nil {
			if isErrno(err, syscall.ENOENT) {
				f.installNegative(d)
			}
			return err
		}
		f.dirChanged(dir, 0)
		f.expireAttr(ino)
		f.removed(d, ino)
		return nil
	})
}

// removed records that the claimed d's name is gone (D2): a negative entry.
// While the object is still open, d, which names it, is unhashed instead
// and a new negative dentry takes the name in the same step. The name is
// never left without an entry: a listing or multi-name walk read before
// the removal primes the names the cache has nothing for, and would bring
// the removed object back (a create of the name then fails with EEXIST).
func (f *FS) removed(d *dentry, ino *Inode) {
	if ino.users.Load() == 0 {
		f.installNegative(d)
		return
	}
	p := d.parent
	neg := &dentry{parent: p, name: d.name}
	neg.deadline.Store(f.entryDeadline(true))
	neg.setState(stateNegative, f.staleEpoch.Load())
	p.mu.Lock()
	f.checkMuRLock()
	drop := f.unhashLocked(d)
	f.listNoteLocked(d) // C1
	f.hash.insert(neg)
	p.children.Add(1)
	f.checkMuRUnlock()
	p.mu.Unlock()
	if drop != nil {
		f.unrefInode(drop)
	}
	f.lruAdd(neg)
}

// emptying marks directory ino as being removed (D1): new names in it wait
// for the outcome, and it waits for the changes already on the wire inside
// it, so that the server's answer (ENOTEMPTY or success) never gets ahead of
// the cache. Changes whose holder is parked waiting for another name (a
// rename, perhaps for the name this removal holds) are not waited for: they
// have sent nothing yet. done(ok) ends the removal; ok makes it dead.
func (f *FS) emptying(ctx context.Context, ino *Inode) (done func(ok bool), err error) {
	ds := ino.dir
	ds.mu.Lock()
	ch := make(chan struct{})
	ds.removing = ch
	end := func(ok bool) {
		ds.mu.Lock()
		if ok {
			ds.dying.Store(true)
		}
		ds.removing = nil
		ds.mu.Unlock()
		close(ch)
	}
	for ds.mutating-ds.parked > 0 {
		gate := ds.gateLocked()
		ds.mu.Unlock()
		select {
		case <-gate:
		case <-ctx.Done():
			end(false)
			return nil, ctx.Err()
		}
		ds.mu.Lock()
	}
	ds.mu.Unlock()
	return end, nil
}

func (f *FS) rmdirIn(ctx context.Context, dir *Inode, name string, force reval) error {
	return f.withName(ctx, dir, name, true, force, func(d *dentry) error {
		ino := d.inode.Load()
		if d.st() != statePositive || ino == nil {
			return syscall.ENOENT
		}
		if ino.dir == nil {
			return syscall.ENOTDIR
		}
		if ino == f.Root() {
			return syscall.EBUSY
		}
		done, err := f.emptying(ctx, ino)
		if err != nil {
			return err
		}
		if err := f.drv.Rmdir(ctx, dir.node, name); err != nil {
			done(false)
			f.listNotRemoved(ino.dir, err) // C1
			if isErrno(err, syscall.ENOENT) {
				f.installNegative(d)
			}
			return err
		}
		f.dirChanged(dir, -1)
		f.removed(d, ino)
		done(true)
		return nil
	})
}
