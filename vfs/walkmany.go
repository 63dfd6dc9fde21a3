package vfs

// Multi-name walk: when the next components of a path are not cached and the
// driver can resolve several names in one round trip (NFSv4 COMPOUND, 9P
// Twalk), the slow walk claims the first name (L1) and asks for up to
// MaxWalk() names at once. The first answer is installed in the claimed
// dentry; the others are installed only where the cache has nothing for the
// name (tryClaimAbsent), the way readdirplus primes, so no name ever gets two
// lookups installed. The walk then continues component by component and
// finds them cached.

import "syscall"

// prefetch is called before stepping into name (in dir) with rest still to
// walk after it.
func (w *walk) prefetch(dir *Inode, name, rest string) {
	f := w.f
	if f.walker == nil || dir.dir == nil || checkName(name) != nil {
		return
	}
	if d := f.hash.find(dir.dir, name); d != nil && f.fresh(d, w.force) {
		return
	}
	if _, absent := f.listedAbsent(dir.dir, name); absent && w.force == 0 {
		return // C1: the step answers from the listing
	}
	var buf [16]string
	names := append(buf[:0], name)
	max := f.walker.MaxWalk()
	if max > len(buf) {
		max = len(buf)
	}
	for r := rest; len(names) < max; {
		var n string
		n, r = nextComponent(r)
		if onlySlashes(r) || n == "" || n == "." || n == ".." || checkName(n) != nil {
			break // the last component is left to the caller (it may be created or opened)
		}
		names = append(names, n)
	}
	if len(names) < 2 {
		return
	}
	d, owned, err := f.acquire(w.ctx, dir.dir, name, true, w.force, mutNone)
	if err != nil || !owned {
		return // someone else looked it up (or failed); the step decides
	}
	steps, werr := f.walker.Walk(w.ctx, dir.node, names)
	var ferr error
	switch {
	case len(steps) > 0:
		ferr = f.installLookup(d, steps[0].Node, steps[0].Attr, nil)
	case isErrno(werr, syscall.ENOENT):
		ferr = f.installLookup(d, nil, Attr{}, werr)
	default:
		ferr = werr
	}
	f.releaseLookup(d, ferr)
	if ferr != nil || len(steps) == 0 {
		return
	}
	parent := d.inode.Load()
	for i := 1; i < len(steps) && parent != nil && parent.dir != nil; i++ {
		parent = f.prime(parent, names[i], steps[i].Node, steps[i].Attr)
	}
	if len(steps) < len(names) && isErrno(werr, syscall.ENOENT) && parent != nil && parent.dir != nil {
		if nd := f.tryClaimAbsent(parent.dir, names[len(steps)]); nd != nil {
			f.installNegative(nd)
			f.release(nd, nil)
		}
	}
}

// prime installs (n, a) for name in dir if the cache has nothing for it, and
// returns the inode now cached there (nil if none is usable).
func (f *FS) prime(dir *Inode, name string, n Node, a Attr) *Inode {
	if d := f.tryClaimAbsent(dir.dir, name); d != nil {
		ino, err := f.installPositive(d, n, a)
		f.release(d, err)
		if err != nil {
			return nil
		}
		return ino
	}
	if d := f.hash.find(dir.dir, name); d != nil && d.st() == statePositive && !f.valid(d, f.now()) && a.ID != "" {
		// Expired, and the listing names the same identity: revalidated in
		// place (readdirplus), unless someone holds the name right now.
		ds := dir.dir
		ds.mu.Lock()
		ino := d.inode.Load()
		ok := d.owner.Load() == nil && d.st() == statePositive && ino != nil && ino.attr.Load().ID == a.ID && ino.attr.Load().Mode&S_IFMT == a.Mode&S_IFMT
		if ok {
			f.setAttr(ino, a)
			d.deadline.Store(f.entryDeadline(false))
		}
		ds.mu.Unlock()
		if ok {
			return ino
		}
		return nil
	}
	if d := f.hash.find(dir.dir, name); d != nil && d.st() == statePositive && f.valid(d, f.now()) {
		ino := d.inode.Load()
		if ino == nil || ino.attr.Load().Mode&S_IFMT != a.Mode&S_IFMT || ino.attr.Load().ID != a.ID {
			// The name changed since it was listed: its entry is the
			// listing's, not the new object's, or the listing would show
			// names of two moments.
			return nil
		}
		f.setAttr(ino, a) // a listing's attributes are fresher than the cache's
		return ino
	}
	if d := f.hash.find(dir.dir, name); d != nil && d.st() == stateNegative {
		// The name exists now: a negative entry from before is wrong, and
		// the next lookup asks the driver again.
		ds := dir.dir
		ds.mu.Lock()
		if d.owner.Load() == nil && d.st() == stateNegative {
			d.deadline.Store(0)
		}
		ds.mu.Unlock()
	}
	return nil
}
