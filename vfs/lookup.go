package vfs

// Name claims and lookup: the slow path of the walk (rules L1, L2, L3) and the
// only code that installs a driver's answer in the cache (L4, A2).
//
// An operation that needs the driver for (dir, name) first claims the name:
// it creates an in-lookup dentry, or takes an existing one, under dir.mu, and
// no one else may claim it until it lets go. Walkers that find the name
// claimed wait for the claim to end and then use what the holder installed
// (L1). Different names in one directory are claimed independently, so their
// driver calls run in parallel (L2, D1). When a holder fails transiently or
// is cancelled, its waiters retry and one of them becomes the holder (L3).

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"syscall"
	"time"
)

// mutation classifies a claim for the listing gate (see acquire).
type mutation uint8

const (
	mutNone  mutation = iota // a lookup: changes nothing on the server
	mutGated                 // a change; waits while the directory is listed
	mutHeld                  // a change by an operation already holding a claim
)

// errRetry tells the owner of a claim to let go and start again: an A2
// splice found the rename lock or the alias's old name busy.
var errRetry = errors.New("vfs: retry")

// valid reports whether d's positive or negative state may be used without
// asking the driver.
func (f *FS) valid(d *dentry, now int64) bool {
	s := d.st()
	return (s == statePositive || s == stateNegative) && d.deadline.Load() > now
}

// acquire returns the dentry for (dir, name). In lookup mode it returns a
// valid dentry without claiming it when there is one (after waiting for a
// holder, whose error it shares unless transient). Otherwise it claims the
// name and returns owned=true: the dentry is then in-lookup (new), or
// positive/negative (possibly expired), and the caller must call release.
//
// mut says the claim may change the directory on the server: mutGated waits
// while the directory is being listed, mutHeld is for a second claim of an
// operation that already holds one (it must not wait on a listing, which
// may be waiting for the first).
func (f *FS) acquire(ctx context.Context, dir *dirState, name string, lookup bool, force reval, mut mutation) (d *dentry, owned bool, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, false, err // no driver call for a caller that gave up
		}
		dir.mu.Lock()
		d = f.hash.find(dir, name)
		if d != nil && d.owner.Load() != nil {
			c := d.owner.Load()
			dir.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
			if lookup && c.err != nil {
				return nil, false, c.err
			}
			if lookup && f.fresh(d, force) {
				return d, false, nil
			}
			continue
		}
		if lookup && d != nil && f.fresh(d, force) {
			dir.mu.Unlock()
			return d, false, nil
		}
		if ch := dir.removing; ch != nil {
			// D1: a directory being removed takes no new names until the
			// removal's outcome is known (then ENOENT, or go ahead).
			dir.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
			continue
		}
		if dir.dying.Load() {
			dir.mu.Unlock()
			return nil, false, syscall.ENOENT // D1: removed
		}
		if mut == mutGated && (dir.listers > 0 || dir.listWait > 0) {
			ch := dir.gateLocked()
			dir.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
			continue
		}
		c := &claim{done: make(chan struct{}), forced: force != 0, mut: mut != mutNone}
		if c.mut {
			dir.mutating++
		}
		if d == nil {
			d = &dentry{parent: dir, name: strings.Clone(name)}
			d.state.Store(stateInLookup)
			d.owner.Store(c)
			f.checkMuRLock()
			f.hash.insert(d)
			dir.children.Add(1)
			f.checkMuRUnlock()
		} else {
			d.owner.Store(c)
		}
		dir.inflight.Add(1)
		dir.mu.Unlock()
		return d, true, nil
	}
}

// tryClaimAbsent claims (dir, name) only if the cache has nothing for it, for
// priming from readdirplus or a multi-name walk without a second lookup of a
// name that someone is already looking up (L1).
func (f *FS) tryClaimAbsent(dir *dirState, name string) *dentry {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	if dir.dying.Load() || dir.removing != nil || f.hash.find(dir, name) != nil {
		return nil
	}
	d := &dentry{parent: dir, name: strings.Clone(name)}
	d.owner.Store(&claim{done: make(chan struct{})})
	d.state.Store(stateInLookup)
	f.checkMuRLock()
	f.hash.insert(d)
	dir.children.Add(1)
	f.checkMuRUnlock()
	dir.inflight.Add(1)
	return d
}

// release ends the claim on d. A dentry still in-lookup (the operation
// failed before learning anything) is unhashed. Waiters retry.
func (f *FS) release(d *dentry, err error) { f.releaseShared(d, err, false) }

// releaseLookup ends a lookup's claim: its error is the answer the waiters
// wanted (L1), so they share it, unless it is transient (L3) or errRetry.
func (f *FS) releaseLookup(d *dentry, err error) { f.releaseShared(d, err, true) }

func (f *FS) releaseShared(d *dentry, err error, share bool) {
	dir := d.parent
	if c := d.owner.Load(); c != nil && c.mut && changeUnsure(d, err) {
		listDoubt(dir)      // C1: the change's outcome is unknown,
		d.deadline.Store(0) // and so is the name's
	}
	dir.mu.Lock()
	f.checkMuRLock()
	c := d.owner.Swap(nil)
	var drop *Inode
	if d.st() == stateInLookup {
		drop = f.unhashLocked(d)
	}
	f.checkMuRUnlock()
	if share && err != nil && !transient(err) && err != errRetry {
		c.err = err
	}
	dir.inflight.Add(-1)
	if c.mut {
		dir.mutating--
		dir.openGateLocked() // removals wait for mutating-parked, listings for 0
	}
	dir.mu.Unlock()
	close(c.done)
	if drop != nil {
		f.unrefInode(drop)
	}
	f.listTrimIfOver()
	f.checkInvariants()
}

// unhashLocked removes d from the cache. Caller holds d.parent.mu; the
// returned inode (if any) must be unreferenced after that lock is released.
func (f *FS) unhashLocked(d *dentry) *Inode {
	if d.st() == stateUnhashed {
		return nil
	}
	d.setState(stateUnhashed, f.staleEpoch.Load())
	f.hash.remove(d)
	d.parent.children.Add(-1)
	f.lruDel(d)
	ino := d.inode.Load()
	if ino != nil {
		ino.dentry.CompareAndSwap(d, nil) // evicted (childless) or dropped: not removed
	}
	return ino
}

// lookupName resolves name in directory dir to a valid positive or negative
// dentry, asking the driver at most once per name at a time (L1).
func (f *FS) lookupName(ctx context.Context, dir *Inode, name string, force reval) (*dentry, error) {
	if dir.dir == nil {
		return nil, syscall.ENOTDIR
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	for tries := 0; ; tries++ {
		d, owned, err := f.acquire(ctx, dir.dir, name, true, force, mutNone)
		if err != nil || !owned {
			return d, err
		}
		err = f.lookupOwned(ctx, dir, d)
		f.releaseLookup(d, err)
		if err == errRetry && tries < 100 {
			time.Sleep(time.Duration(tries+1) * 50 * time.Microsecond)
			continue
		}
		if err != nil {
			return nil, f.staleDir(dir, err)
		}
		return d, nil
	}
}

// lookupOwned asks the driver about the claimed d and installs the answer.
//
// A driver whose nodes are paths (Mover) may have looked in the old place of
// a directory that a rename was moving at that moment: such an answer is
// asked again (and never cached if renames keep coming).
func (f *FS) lookupOwned(ctx context.Context, dir *Inode, d *dentry) error {
	if f.absentByListing(d) {
		return nil // C1: the directory's listing is complete
	}
	if ok, err := f.lookupByListing(ctx, dir, d); ok {
		return err // read-ahead: listed instead (readahead_lookup.go)
	}
	for tries := 0; ; tries++ {
		started, finished := f.renStarted.Load(), f.renFinished.Load()
		n, a, err := f.drv.Lookup(ctx, dir.node, d.name)
		if f.mover == nil || started == finished && f.renStarted.Load() == started {
			return f.installLookup(d, n, a, err)
		}
		if tries == 3 {
			err = f.installLookup(d, n, a, err)
			d.deadline.Store(0) // answered, but not worth caching
			return err
		}
	}
}

// installLookup installs a driver's lookup answer in the claimed d: a node
// makes it positive, ENOENT negative, anything else leaves it alone.
func (f *FS) installLookup(d *dentry, n Node, a Attr, err error) error {
	switch {
	case err == nil:
		_, err = f.installPositive(d, n, a)
		return err
	case isErrno(err, syscall.ENOENT):
		f.installNegative(d)
		return nil
	}
	return err
}

// staleDir handles ESTALE about a directory (V3): what it concerned is
// dropped so the retry looks it up afresh.
func (f *FS) staleDir(dir *Inode, err error) error {
	if isErrno(err, syscall.ESTALE) {
		f.dropInode(dir)
	}
	return err
}

// dropInode unhashes the dentry of ino (if it is not claimed) after the
// driver called ino stale.
func (f *FS) dropInode(ino *Inode) {
	d := ino.dentry.Load()
	if d == nil || d.parent == nil {
		return
	}
	p := d.parent
	if ino.dir != nil && ino.attr.Load().ID == "" {
		// Without identity a directory is its path (see sameObject): ask
		// again before trusting it, but keep it, so that operations inside
		// it do not fail as if it had been removed.
		d.deadline.Store(0)
		f.expireAttr(ino)
		listDoubt(p) // C1
		listDoubt(ino.dir)
		return
	}
	p.mu.Lock()
	var drop *Inode
	if d.owner.Load() == nil && d.inode.Load() == ino {
		f.checkMuRLock()
		drop = f.unhashLocked(d)
		listDoubt(p) // C1
		if ino.dir != nil {
			f.detach(ino) // its cached children are suspect too; found again, it reattaches
		}
		f.checkMuRUnlock()
	}
	p.mu.Unlock()
	if drop != nil {
		f.unrefInode(drop)
	}
}

// sameObject reports whether cached inode ino is the object a fresh answer
// for the claimed d describes: same identity where the driver has one, else
// same file type, unless the claim revalidates a file after ESTALE.
// Without identity a directory is taken for the same even then: its driver
// node names the same place, so a new inode would gain nothing but would
// fail every operation holding the old one as if it had been removed (D1);
// what the ESTALE concerned is revalidated below it.
func sameObject(d *dentry, ino *Inode, n Node, a *Attr) bool {
	c := ino.attr.Load()
	if c.Mode&S_IFMT != a.Mode&S_IFMT {
		return false
	}
	if a.ID == "" {
		if a.IsDir() {
			return true
		}
		cl := d.owner.Load()
		return cl == nil || !cl.forced || sameNode(ino.node, n)
	}
	return c.ID == a.ID
}

// sameNode reports whether two driver nodes are equal, when their type
// can be compared at all.
func sameNode(a, b Node) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta != nil && ta.Comparable() && a == b
}

// installPositive makes the claimed d name the object (n, a), reusing the
// cached inode of that identity where there is one (hard links, A2). A
// directory already cached under another name is moved here (splice, A2),
// unless that would put it inside its own subtree (ELOOP).
func (f *FS) installPositive(d *dentry, n Node, a Attr) (*Inode, error) {
	if cur := d.inode.Load(); cur != nil && d.st() == statePositive && sameObject(d, cur, n, &a) {
		f.setAttr(cur, a)
		if a.IsSymlink() && a.ID == "" {
			cur.link.Store(nil) // without identity a symlink may have been replaced
		}
		d.deadline.Store(f.entryDeadline(false))
		d.setState(statePositive, f.staleEpoch.Load()) // stamp: revalidated now
		f.lruAdd(d)
		return cur, nil
	}
	var ino *Inode
	f.idMu.Lock()
	if a.ID != "" {
		if e := f.ids[a.ID]; e != nil && e.attr.Load().Mode&S_IFMT == a.Mode&S_IFMT {
			if e.dir != nil {
				if od := e.dentry.Load(); od != nil && od != d && od.st() != stateUnhashed {
					err := f.splice(d, e, od, a)
					f.idMu.Unlock()
					if err != nil {
						return nil, err
					}
					f.lruAdd(d)
					return e, nil
				}
			}
			if e.dir != nil && e.dentry.Load() == nil {
				e.dir.dying.Store(false) // found again: reattach (A2)
			}
			ino = e
			f.setAttr(e, a)
		}
	}
	if ino == nil {
		ino = f.newInode(n, a)
		if a.ID != "" && (a.IsDir() || a.Nlink > 1) {
			f.ids[a.ID] = ino
		}
	}
	old := f.bind(d, ino)
	f.idMu.Unlock()
	if old != nil {
		f.unrefInode(old)
	}
	f.lruAdd(d)
	return ino, nil
}

// bind makes d positive for ino. Caller holds idMu (directory bindings, A2)
// and unreferences the returned previous inode after releasing it.
func (f *FS) bind(d *dentry, ino *Inode) (old *Inode) {
	dir := d.parent
	dir.mu.Lock()
	f.checkMuRLock()
	old = d.inode.Load()
	if old == ino {
		old = nil
	} else {
		ino.refs.Add(1)
		d.inode.Store(ino)
		if old != nil && old.dentry.CompareAndSwap(d, nil) && old.dir != nil {
			f.detach(old)
		}
	}
	if ino.dir != nil {
		ino.dentry.Store(d)
	} else {
		ino.dentry.CompareAndSwap(nil, d)
	}
	d.deadline.Store(f.entryDeadline(false))
	d.setState(statePositive, f.staleEpoch.Load())
	f.listNoteLocked(d) // C1
	f.checkMuRUnlock()
	dir.mu.Unlock()
	return old
}

// detach marks a directory that lost its only name: it takes no new names
// and its cached children are unreachable orphans left to the LRU. A
// lookup that finds the same identity again reattaches it (installPositive).
func (f *FS) detach(ino *Inode) {
	if ino != f.Root() {
		ino.dir.dying.Store(true)
		listDoubt(ino.dir) // C1
	}
}

// installNegative makes the claimed d a negative entry.
func (f *FS) installNegative(d *dentry) {
	dir := d.parent
	dir.mu.Lock()
	f.checkMuRLock()
	old := d.inode.Swap(nil)
	d.deadline.Store(f.entryDeadline(true))
	d.setState(stateNegative, f.staleEpoch.Load())
	f.listNoteLocked(d) // C1
	if old != nil && old.dentry.CompareAndSwap(d, nil) && old.dir != nil {
		f.detach(old)
	}
	f.checkMuRUnlock()
	dir.mu.Unlock()
	if old != nil {
		f.unrefInode(old)
	}
	f.lruAdd(d)
}

// splice moves directory e, cached at od, to the claimed d (rule A2: the
// server renamed it behind our back). Caller holds idMu.
func (f *FS) splice(d *dentry, e *Inode, od *dentry, a Attr) error {
	if e == f.Root() {
		return syscall.ESTALE
	}
	if !f.renameMu.TryLock() {
		return errRetry // lock order: renameMu comes before name claims
	}
	defer f.renameMu.Unlock()
	for p := d.parent; p != nil; {
		if p.inode == e {
			return syscall.ELOOP // the cache must stay a tree
		}
		pd := p.inode.dentry.Load()
		if pd == nil {
			break
		}
		p = pd.parent
	}
	odir := od.parent
	f.seqBegin()
	odir.mu.Lock()
	if od.owner.Load() != nil {
		odir.mu.Unlock()
		f.seqEnd()
		return errRetry
	}
	f.checkMuRLock()
	od.setState(stateUnhashed, f.staleEpoch.Load())
	listDoubt(odir) // C1: moved behind our back
	f.hash.remove(od)
	odir.children.Add(-1)
	f.checkMuRUnlock()
	odir.mu.Unlock()
	f.lruDel(od)

	dir := d.parent
	dir.mu.Lock()
	f.checkMuRLock()
	old := d.inode.Swap(e) // e's reference moves from od to d
	if old != nil && old.dentry.CompareAndSwap(d, nil) && old.dir != nil {
		f.detach(old)
	}
	e.dentry.Store(d)
	d.deadline.Store(f.entryDeadline(false))
	d.setState(statePositive, f.staleEpoch.Load())
	f.listNoteLocked(d) // C1
	f.checkMuRUnlock()
	dir.mu.Unlock()
	f.seqEnd()
	f.setAttr(e, a)
	if old != nil {
		go f.unrefInode(old) // idMu is held by our caller
	}
	return nil
}

// seqBegin and seqEnd bracket a change that moves names, so that cached
// walks running across it retry under locks (L5, D3).
func (f *FS) seqBegin() { f.seqMu.Lock(); f.seq.Add(1) }
func (f *FS) seqEnd()   { f.seq.Add(1); f.seqMu.Unlock() }
