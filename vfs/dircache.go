package vfs

// The directory listing cache and complete-directory knowledge (rule C1).
//
// A complete listing read from the driver (readdir.go) is kept with its
// directory in dirState.list until the deadline a name installed at the same
// time would have (entryDeadline: the TTL, or for ever under
// PolicyExclusive), and answers later listings without the driver. A
// directory this client made with mkdir starts with an empty listing. A
// listing asked for attributes (FUSE READDIRPLUS) is read again when some
// entry's cached attributes expired: one call refreshes them all.
//
// Rule C1 (complete directories). While a directory has a valid listing the
// core knows every name in it: a lookup of a name that has no dentry and is
// not listed is answered negative without asking the driver, and the
// negative dentry lives no longer than the listing (lookupOwned). Claims and
// rules L1-L5 are unchanged: the answer is installed on the claimed dentry
// as a driver's ENOENT would be. Completeness rests on the listing's names,
// not on dentries, so evicting a dentry loses nothing; it ends when the
// listing is dropped (its LRU, below), expires, or is doubted.
//
// A listing stays exact through this client's own changes: every change of
// a name's state in a listed directory passes through listNoteLocked, under
// the directory's mu, at the moment the dentry changes. A change made by
// this client (the name is held by a mutating claim) updates the listing;
// any other answer that disagrees with it (the server changed behind our
// back) drops it. Events that cast doubt without saying what changed move
// dirState.listEpoch, lock-free: an ESTALE (dropInode), a directory that
// loses its name (detach) or moves behind our back (splice), a change whose
// outcome is unknown (a failed mutating claim, releaseShared, which also
// expires the name's dentry), a rename that cannot tell whether it removed
// its source's name, an rmdir refused as not empty where the listing said
// empty. A listing read
// from the driver is kept only if the epoch did not move while it was read
// (the second claim of a rename does not wait for listings, D3).
//
// Without the change information NFS gets from its servers (wcc), the core
// cannot tell its own changes to a directory's mtime from others': so a
// listing drops itself when the directory's attributes, fetched again,
// show a new mtime, change attribute or identity, but only until this
// client changes the directory; from then on the deadline alone bounds how
// long others' changes go unseen, as it does for every cached name (V1).
//
// Memory: listings count their entries (plus one each) against
// Options.MaxDentries; past it the least recently used ones are dropped
// (clock, as the dentry LRU). Listings read ahead of a caller
// (readahead.go) are read only while all listings take less than half.
//
// Locks: dirState.mu guards dirState.list and everything in a dirList but
// its LRU links. dirState.listEpoch is atomic: added to without a lock (a
// doubt), or moved by CompareAndSwap under mu (an exact update).
// FS.lists.mu guards the LRU links and cost counts; it is innermost: taken
// under dirState.mu and checkMu's read side, and nothing is taken under it.

import (
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// dirList is one directory's cached complete listing.
type dirList struct {
	ds    *dirState // immutable
	ents  []listEnt
	index map[string]int32 // name -> position in ents
	epoch uint64           // the dirState.listEpoch it is exact for
	// deadline ends the listing's validity (FS clock; MaxInt64: for ever).
	deadline int64
	// plus: the driver lists attributes, so a listing asked for them must
	// find every entry's cached (else a new read refreshes them at once).
	plus bool
	// The mtime watch (C1): while watch, attributes of the directory other
	// than base (or, base nil, other than pre) that show another version
	// drop the listing; base nil adopts the next ones fetched.
	watch     bool
	base, pre *Attr
	// used: a caller has been served this listing; a listing read ahead
	// (readahead.go) reads ahead its own subdirectories only when one is.
	used bool
	ref  atomic.Bool // used since the evictor last looked
	// guarded by FS.lists.mu:
	prev, next *dirList
	cost       int64
	linked     bool
}

// listEnt is one listed name.
type listEnt struct {
	name string
	typ  uint32 // S_IFMT bits, 0 if unknown
	ino  uint64
	plus bool // the driver gave attributes with it
}

// dirCache is the LRU of cached listings (one per FS).
type dirCache struct {
	mu         sync.Mutex
	head, tail *dirList
	cost       atomic.Int64 // entries + 1 per listing, summed; written under mu
}

// link puts l, which costs cost, at the back of the LRU.
func (c *dirCache) link(l *dirList, cost int64) {
	c.mu.Lock()
	c.pushBackLocked(l)
	l.linked = true
	l.cost = cost
	c.cost.Add(cost)
	c.mu.Unlock()
}

func (c *dirCache) pushBackLocked(l *dirList) {
	l.prev, l.next = c.tail, nil
	if c.tail != nil {
		c.tail.next = l
	} else {
		c.head = l
	}
	c.tail = l
}

func (c *dirCache) removeLocked(l *dirList) {
	if l.prev != nil {
		l.prev.next = l.next
	} else {
		c.head = l.next
	}
	if l.next != nil {
		l.next.prev = l.prev
	} else {
		c.tail = l.prev
	}
	l.prev, l.next = nil, nil
}

// toBackLocked moves the linked l to the back of the LRU.
func (c *dirCache) toBackLocked(l *dirList) {
	c.removeLocked(l)
	c.pushBackLocked(l)
}

func (c *dirCache) unlinkLocked(l *dirList) {
	if !l.linked {
		return
	}
	c.removeLocked(l)
	l.linked = false
	c.cost.Add(-l.cost)
}

func (c *dirCache) unlink(l *dirList) {
	c.mu.Lock()
	c.unlinkLocked(l)
	c.mu.Unlock()
}

// grow counts n more (or fewer) entries for l.
func (c *dirCache) grow(l *dirList, n int64) {
	c.mu.Lock()
	if l.linked {
		l.cost += n
		c.cost.Add(n)
	}
	c.mu.Unlock()
}

// listTrimIfOver drops least recently used listings while they hold more
// than their budget. Caller holds no dirState.mu.
func (f *FS) listTrimIfOver() {
	c, budget := &f.lists, int64(f.opts.MaxDentries)
	for tries := 0; c.cost.Load() > budget && tries < 1024; tries++ {
		c.mu.Lock()
		l := c.head
		if l == nil {
			c.mu.Unlock()
			return
		}
		if l.ref.Load() {
			l.ref.Store(false) // second chance
			c.toBackLocked(l)
			c.mu.Unlock()
			continue
		}
		c.mu.Unlock()
		ds := l.ds
		ds.mu.Lock()
		if ds.list == l {
			f.listDropLocked(ds)
		}
		ds.mu.Unlock()
	}
}

// listDropLocked forgets ds's listing. Caller holds ds.mu.
func (f *FS) listDropLocked(ds *dirState) {
	if l := ds.list; l != nil {
		ds.list = nil
		f.lists.unlink(l)
	}
}

// listDoubt ends the exactness of ds's listing and of any listing of ds
// being read (C1). Lock-free.
func listDoubt(ds *dirState) { ds.listEpoch.Add(1) }

// listValid returns ds's listing if it may be used, dropping it if not
// (C1: doubted, expired, a removed directory, or a new directory version).
// Caller holds ds.mu.
func (f *FS) listValid(ds *dirState) *dirList {
	l := ds.list
	if l == nil {
		return nil
	}
	if l.epoch != ds.listEpoch.Load() || ds.dying.Load() ||
		l.deadline != math.MaxInt64 && f.now() >= l.deadline || !l.sameVersion(ds) {
		f.listDropLocked(ds)
		return nil
	}
	if !l.ref.Load() {
		l.ref.Store(true)
	}
	return l
}

// sameVersion runs the mtime watch: it reports whether the directory's
// cached attributes still show the version l was read at. Caller holds
// ds.mu.
func (l *dirList) sameVersion(ds *dirState) bool {
	cur := ds.inode.attr.Load()
	switch {
	case !l.watch || cur == l.base || l.base == nil && cur == l.pre:
		return true
	case ds.mutating > 0:
		// Our own change may be in what the server just showed: stop
		// watching, the deadline bounds the rest.
		l.watch = false
		return true
	case l.base == nil:
		l.base = cur
		return true
	case cur.MtimeNs == l.base.MtimeNs && cur.Change == l.base.Change && cur.ID == l.base.ID:
		l.base = cur
		return true
	}
	return false
}

// listNoteLocked brings the listing of d's directory in line with d's new
// state (positive: the name exists; negative or unhashed: it does not). A
// change this client makes (d is held by a mutating claim) updates the
// listing; a disagreeing answer about a name nobody here changes drops it
// (C1). Caller holds d.parent.mu, right after changing d's state.
func (f *FS) listNoteLocked(d *dentry) {
	ds := d.parent
	c := d.owner.Load()
	own := c != nil && c.mut
	l := ds.list
	if l == nil || l.epoch != ds.listEpoch.Load() {
		if own {
			listDoubt(ds) // a listing being read may miss this change
		}
		return
	}
	var e listEnt
	present := false
	if ino := d.inode.Load(); d.st() == statePositive && ino != nil {
		a := ino.attr.Load()
		present, e = true, listEnt{name: d.name, typ: a.Mode & S_IFMT, ino: a.Ino, plus: l.plus}
	}
	i, listed := l.index[d.name]
	if listed == present && (!present || l.ents[i].typ == e.typ || l.ents[i].typ == 0) {
		if present {
			l.ents[i].typ, l.ents[i].ino = e.typ, e.ino
		}
		if own {
			l.watch = false // our change moved the directory's mtime
		}
		return
	}
	if !own || !ds.listEpoch.CompareAndSwap(l.epoch, l.epoch+1) {
		listDoubt(ds) // changed behind our back, or already doubted
		return
	}
	l.epoch++
	l.watch = false
	switch {
	case present && listed:
		l.ents[i] = e
	case present:
		l.index[e.name] = int32(len(l.ents))
		l.ents = append(l.ents, e)
		f.lists.grow(l, 1)
	default:
		last := len(l.ents) - 1
		if int(i) != last {
			l.ents[i] = l.ents[last]
			l.index[l.ents[i].name] = i
		}
		l.ents[last] = listEnt{}
		l.ents = l.ents[:last]
		delete(l.index, d.name)
		f.lists.grow(l, -1)
	}
}

// listNotRemoved handles removal of directory ds failing with err (rmdir,
// or a rename over it): ENOTEMPTY contradicts a listing that says empty;
// any other failure leaves its fate unclear.
func (f *FS) listNotRemoved(ds *dirState, err error) {
	if isErrno(err, syscall.ENOTEMPTY) {
		ds.mu.Lock()
		l := f.listValid(ds)
		empty := l != nil && len(l.ents) == 0
		ds.mu.Unlock()
		if !empty {
			return
		}
	}
	listDoubt(ds)
}

// listTouched records that this client changed directory ds itself (its
// own ".." by a rename): its new mtime is ours (C1's mtime watch ends).
func (f *FS) listTouched(ds *dirState) {
	ds.mu.Lock()
	if l := ds.list; l != nil {
		l.watch = false
	}
	ds.mu.Unlock()
}

// listStart is what a listing read from the driver remembers from before
// the read.
type listStart struct {
	epoch    uint64
	deadline int64
}

// listBeginRead notes ds's epoch and a deadline before the driver lists it.
// Caller holds the listing gate (listBegin).
func (f *FS) listBeginRead(ds *dirState) listStart {
	return listStart{epoch: ds.listEpoch.Load(), deadline: f.entryDeadline(false)}
}

// listKeep caches the listing ents read from the driver, unless ds changed
// (or was doubted) while it was read. used: it is read for a caller, who
// is served it. Caller holds the listing gate.
func (f *FS) listKeep(ds *dirState, st listStart, ents []DirEntry, used bool) {
	l := &dirList{ds: ds, ents: make([]listEnt, 0, len(ents)), index: make(map[string]int32, len(ents)),
		epoch: st.epoch, deadline: st.deadline, plus: len(ents) == 0, watch: true, used: used}
	for _, e := range ents {
		if _, dup := l.index[e.Name]; dup || e.Name == "." || e.Name == ".." || checkName(e.Name) != nil {
			continue
		}
		le := listEnt{name: strings.Clone(e.Name), typ: e.Type, ino: e.Ino, plus: e.HasAttr}
		if e.HasAttr {
			le.typ, le.ino = e.Attr.Mode&S_IFMT, e.Attr.Ino
			l.plus = true
		}
		l.index[le.name] = int32(len(l.ents))
		l.ents = append(l.ents, le)
	}
	f.listInstall(ds, l)
}

// listInstall makes l ds's listing if ds's epoch is still l's.
func (f *FS) listInstall(ds *dirState, l *dirList) {
	ds.mu.Lock()
	if ds.listEpoch.Load() != l.epoch || ds.dying.Load() {
		ds.mu.Unlock()
		return
	}
	f.listDropLocked(ds)
	cur := ds.inode.attr.Load()
	if ds.inode.adl.Load() > f.now() {
		l.base = cur
	} else {
		l.pre = cur // expired: the next attributes fetched are the base
	}
	ds.list = l
	f.lists.link(l, int64(len(l.ents))+1)
	ds.mu.Unlock()
	f.listTrimIfOver()
}

// listMade gives directory ino, which this client just created with mkdir,
// an empty listing (C1): it is complete until the deadline. Skipped if
// anything happened in it already.
func (f *FS) listMade(ino *Inode) {
	if ino.dir == nil || ino.dir.children.Load() != 0 || ino.dir.listEpoch.Load() != 0 {
		return
	}
	f.listInstall(ino.dir, &dirList{ds: ino.dir, index: make(map[string]int32),
		deadline: f.entryDeadline(false), plus: true, watch: true, used: true})
}

// listedAbsent reports whether ds has a valid listing (C1) without name,
// and until when it is valid.
func (f *FS) listedAbsent(ds *dirState, name string) (deadline int64, ok bool) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	l := f.listValid(ds)
	if l == nil {
		return 0, false
	}
	_, listed := l.index[name]
	return l.deadline, !listed
}

// absentByListing answers a lookup of the claimed d from its directory's
// listing when that says the name does not exist (C1): a negative entry,
// trusted no longer than the listing.
func (f *FS) absentByListing(d *dentry) bool {
	if d.st() != stateInLookup {
		return false
	}
	if c := d.owner.Load(); c == nil || c.forced {
		return false // revalidating after ESTALE (V3): ask the driver
	}
	dl, ok := f.listedAbsent(d.parent, d.name)
	if !ok {
		return false
	}
	f.installNegative(d)
	if d.deadline.Load() > dl {
		d.deadline.Store(dl)
	}
	return true
}

// cachedListing returns ds's cached listing with the cached inode of every
// name whose entry and attributes are valid. With attrs, a listing whose
// driver gives attributes answers only if every entry has them cached:
// otherwise reading it again refreshes them all in one call. first reports
// that no caller was served this listing before (it was read ahead).
// Caller holds the listing gate.
func (f *FS) cachedListing(ds *dirState, attrs bool) (out []DirEntryPlus, first, ok bool) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	l := f.listValid(ds)
	if l == nil {
		return nil, false, false
	}
	now := f.now()
	out = make([]DirEntryPlus, len(l.ents))
	for i, e := range l.ents {
		p := DirEntryPlus{Name: e.name, Type: e.typ, Ino: e.ino}
		if ino := f.cachedInodeLocked(ds, e.name, now); ino != nil {
			a := ino.attr.Load()
			p.Inode, p.Attr, p.Type, p.Ino = ino, *a, a.Mode&S_IFMT, a.Ino
		}
		if attrs && e.plus && p.Inode == nil {
			return nil, false, false
		}
		out[i] = p
	}
	first, l.used = !l.used, true
	return out, first, true
}

// plusAnswersLocked reports whether ds's valid listing l can answer a
// listing with attributes (cachedListing): every entry the driver listed
// with attributes has them cached. Caller holds ds.mu.
func (f *FS) plusAnswersLocked(ds *dirState, l *dirList, now int64) bool {
	for _, e := range l.ents {
		if e.plus && f.cachedInodeLocked(ds, e.name, now) == nil {
			return false
		}
	}
	return true
}

// cachedInodeLocked returns the cached inode of name in ds if its entry and
// its attributes are valid at now. Caller holds ds.mu.
func (f *FS) cachedInodeLocked(ds *dirState, name string, now int64) *Inode {
	d := f.hash.find(ds, name)
	if d == nil || d.st() != statePositive || !f.valid(d, now) {
		return nil
	}
	if ino := d.inode.Load(); ino != nil && ino.adl.Load() > now {
		return ino
	}
	return nil
}

// changeUnsure reports a failed change whose effect on the server is
// unknown (a timeout, a lost connection), or that contradicts what the
// cache believed (EEXIST for a name not cached as existing). The claimed d
// is the name the change was about.
func changeUnsure(d *dentry, err error) bool {
	if err == nil || err == errRetry {
		return false
	}
	return transient(err) || isErrno(err, syscall.EEXIST) && d.st() != statePositive
}

// ListingTimeout returns how much longer the cached listing of directory
// dir stays valid (rule C1): 0 when there is none, math.MaxInt64 when it
// lasts until this client changes it (PolicyExclusive). A frontend that
// keeps a listing it was served (the kernel's directory cache) keeps it no
// longer than this, so that it goes no staler than the core's.
func (f *FS) ListingTimeout(dir *Inode) time.Duration {
	ds := dir.dir
	if ds == nil {
		return 0
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	l := f.listValid(ds)
	switch {
	case l == nil:
		return 0
	case l.deadline == math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(max(l.deadline-f.now(), 0))
}
