package vfs

// Lookup-driven listing (read-ahead heuristic 2, see readahead.go). A
// program that stats many names of one directory (git status, a build, 16
// workers' lstat) costs one driver lookup per name; one listing answers
// them all. So the lookupListAfter-th lookup of an uncached name in a
// directory that goes to the driver within one listing lifetime
// (AcDirMin) lists the directory instead, once per such window, when the
// directory has no valid listing, none on the wire, no change on the wire,
// and is not big (bigDirSize; big directories are looked up by name).
//
// The lookup that lists holds its name's claim from before the read to the
// end (L1), so the listing's answer for that name is one the server gave
// during the lookup: it is installed in the claimed dentry as the driver's
// lookup answer would be. The other names are primed as by any listing,
// and the listing itself answers absent names (C1). Lookups of other names
// in the directory while the listing is on the wire do not wait for it:
// they go to the driver as before (their own claims keep L1 as it was).
//
// Expired attributes count the same way: the lookupListAfter-th getattr
// in one directory that would go to the driver because a name's attributes
// expired (ls -l, rm -rf or git status a few seconds after the last look,
// when the kernel answers the listing from its own cache), or, in a listed
// directory, one per aheadPerListing listed entries, lists the directory
// instead, which refreshes every listed name's attributes in
// place (prime); the getattr is then answered from the cache if the
// listing refreshed its inode, else by the driver as before.
//
// Locks: the miss counts (dirAhead) are guarded by dirState.mu. The
// listing is started without waiting at the listing gate
// (listSpeculativeLocked): the lister holds a name claim.

import "context"

// lookupByListing answers the lookup of the claimed, uncached d in dir from
// a listing of dir when the heuristic says so; answered false means the
// caller asks the driver as before. Caller holds d's claim.
func (f *FS) lookupByListing(ctx context.Context, dir *Inode, d *dentry) (answered bool, err error) {
	c := d.owner.Load()
	if f.opts.NoReadAhead || d.st() != stateInLookup || c == nil || c.forced || c.mut {
		return false, nil
	}
	ds := dir.dir
	if !f.missWantsListing(ds, d.name, false) {
		return false, nil
	}
	r, err := f.readListing(ctx, dir, false)
	f.listEndFlight(ds, true)
	if err != nil || r.raced {
		return false, nil // the driver's lookup gives the answer (or the error)
	}
	for _, e := range r.ents {
		if e.Name != d.name {
			continue
		}
		if !e.HasAttr {
			return false, nil // named, but no node: look it up
		}
		return true, f.installLookup(d, e.Node, e.Attr, nil)
	}
	f.installNegative(d) // as the driver's ENOENT
	return true, nil
}

// missWantsListing counts a driver lookup of name in ds and reports whether
// ds is to be listed instead; if so the listing gate and ds's flight are
// taken (end them with listEndFlight). A name asked again (a retry after
// a transient error) is no sign of a scan and does not count. attrs: the
// name's attributes expired; a valid listing is read again all the same.
func (f *FS) missWantsListing(ds *dirState, name string, attrs bool) bool {
	now := f.now()
	ds.mu.Lock()
	defer ds.mu.Unlock()
	a := &ds.ahead
	if a.misses == 0 || now-a.missFrom >= int64(f.opts.AcDirMin) {
		a.missFrom, a.misses, a.missLast, a.missListed = now, 0, "", false
	}
	if a.misses > 0 && name == a.missLast {
		return false
	}
	a.misses++
	a.missLast = name // d.name: immutable, shared
	// Expired attributes may list again in the window, once per
	// AcRegMin: the listing refreshed them all. A listed directory is
	// read again only after a miss per aheadPerListing of its entries, so
	// that a few stats in a big one stay a few getattrs.
	again := attrs && now-a.attrListed >= int64(f.opts.AcRegMin)
	need := int32(lookupListAfter)
	if l := ds.list; attrs && l != nil {
		need = max(need, int32(len(l.ents)/aheadPerListing))
	}
	if a.misses < need || a.missListed && !again || !f.listRoom() || !f.listSpeculativeLocked(ds, attrs) {
		return false
	}
	a.missListed = true
	if attrs {
		a.attrListed = now
	}
	return true
}

// attrByListing refreshes the expired attributes of ino by listing its
// directory when the heuristic says so, and reports whether they are valid
// now; false means the caller asks the driver as before.
func (f *FS) attrByListing(ctx context.Context, ino *Inode) bool {
	if f.opts.NoReadAhead || f.opts.Policy == PolicyExclusive {
		return false // there attributes expire only by doubt, one by one
	}
	d := ino.dentry.Load()
	if d == nil || d.parent == nil || d.st() != statePositive || d.inode.Load() != ino {
		return false
	}
	ds := d.parent
	if !f.missWantsListing(ds, d.name, true) {
		return false
	}
	_, err := f.readListing(ctx, ds.inode, false)
	f.listEndFlight(ds, true)
	return err == nil && ino.adl.Load() > f.now()
}
