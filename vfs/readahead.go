package vfs

// Read-ahead of directory listings. Over a network a tree walk (find, du,
// ls -R) pays one listing after another, each several round trips, and the
// kernel asks for them one at a time. Two heuristics fill the caches ahead
// of the caller, exactly as a caller's listing would (readListing: under
// the listing gate, priming only names the cache has nothing for, L1, and
// kept only under rule C1); they never change an answer, and
// Options.NoReadAhead turns both off.
//
//  1. Subdirectory read-ahead (this file): when a caller is served a
//     listing of directory D, the subdirectories of D that have no cached
//     listing are queued (at most aheadPerListing per listing) and listed in
//     the background by at most aheadWorkers goroutines per FS, while the
//     listing cache has room (listRoom). A caller first served a listing
//     that was read ahead (dirList.used) is descending a tree: the
//     subdirectories it queues are deep, and each, once listed, queues its
//     own subdirectories too, so the read-ahead runs two levels in front
//     of a walk (a listing waits for its subdirectories' at each level
//     otherwise). Any other listing read ahead reads ahead nothing, so a
//     single ls does not crawl the tree. The queue is a stack:
//     the subdirectories of the directory listed last come first, in
//     listing order, as a depth-first walk wants them. A caller served a
//     listing with attributes (FUSE READDIRPLUS: du, ls -l) also queues
//     the subdirectories whose cached listing could not answer one, their
//     entries' attributes having expired (cachedListing): they are read
//     again the same way, so that a walk a few seconds after the last
//     finds its next READDIRPLUS answered from fresh attributes instead of
//     re-reading one directory after another. The listing read replaces
//     the old one unused, so it keeps the walk one level ahead too.
//  2. Lookup-driven listing (readahead_lookup.go): the second lookup of an
//     uncached name in one directory that would go to the driver lists the
//     directory instead, and answers from the listing.
//
// Background listings use their own context, bounded by Options.Timeout;
// their errors are dropped (they were speculative) and change nothing. A
// queued directory is pinned (users, V4) so that it keeps its name and
// node until it is listed or dropped.
//
// Single flight: at most one driver listing of a directory is on the wire
// at a time (dirAhead.flight). A caller that finds one waits for it once
// and is then served from the cache; a background listing never starts
// while one is in flight, nor while a change in the directory is on the
// wire (it does not wait at the listing gate: the lookup-driven listing's
// lookup holds a name claim, and a rename holding a change in the same
// directory may be waiting for that name).
//
// Locks: dirAhead's fields but queued are guarded by dirState.mu;
// readAhead's by readAhead.mu, which is taken alone (never with a
// dirState.mu).

import (
	"context"
	"sync"
	"sync/atomic"
)

// The bounds of the heuristics.
const (
	// aheadWorkers is the number of listings read ahead at once per FS.
	aheadWorkers = 8
	// aheadPerListing is the number of subdirectories one listing queues.
	aheadPerListing = 64
	// aheadQueueMax bounds the queue; the oldest entries are dropped.
	aheadQueueMax = 4 * aheadPerListing
	// bigDirSize: a directory whose cached size is larger is never listed
	// speculatively; big directories are looked up by name.
	bigDirSize = 1 << 20
	// lookupListAfter is the number of driver lookups in one directory,
	// within one listing lifetime (AcDirMin), at which it is listed.
	lookupListAfter = 2
)

// dirAhead is a directory's part of the read-ahead. Guarded by
// dirState.mu, but queued, which is atomic.
type dirAhead struct {
	// flight is closed when the driver listing of the directory that is on
	// the wire ends; nil when there is none.
	flight chan struct{}
	// The lookup-driven listing: driver lookups of distinct names since
	// missFrom (FS clock), the last name, and whether this window listed.
	missFrom   int64
	misses     int32
	missLast   string
	missListed bool
	attrListed int64       // FS clock: the last listing for expired attributes
	queued     atomic.Bool // on FS.ahead's queue (pinned)
}

// readAhead is the FS's queue of subdirectories to list in the background.
type readAhead struct {
	mu      sync.Mutex
	queue   []aheadItem // a stack: the last is listed first
	workers int
	idle    chan struct{} // closed when workers drops to 0
}

// aheadItem is a queued (pinned) subdirectory; plus: it is listed for a
// caller served a listing with attributes; deep: once listed, it queues
// its own subdirectories.
type aheadItem struct {
	ino  *Inode
	plus bool
	deep bool
}

// listFlightBegin makes the caller's listing of ds the one on the wire,
// unless one is already: then it returns that one's flight (mine false).
// Caller holds the listing gate.
func (f *FS) listFlightBegin(ds *dirState) (flight chan struct{}, mine bool) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if ds.ahead.flight != nil {
		return ds.ahead.flight, false
	}
	ds.ahead.flight = make(chan struct{})
	return ds.ahead.flight, true
}

// listEndFlight leaves the listing gate and, if mine, ends the flight.
func (f *FS) listEndFlight(ds *dirState, mine bool) {
	ds.mu.Lock()
	if ds.listers--; ds.listers == 0 {
		ds.openGateLocked()
	}
	if mine {
		close(ds.ahead.flight)
		ds.ahead.flight = nil
	}
	ds.mu.Unlock()
}

// listSpeculativeLocked enters the listing gate of ds and starts its flight
// for a listing nobody asked for, if ds wants one now (wantsListingLocked),
// no change is on the wire and it is not being removed. It never waits.
// Caller holds ds.mu; a true answer is ended with listEndFlight.
func (f *FS) listSpeculativeLocked(ds *dirState, plus bool) bool {
	if !f.wantsListingLocked(ds, plus) || ds.mutating > 0 || ds.removing != nil {
		return false
	}
	ds.ahead.flight = make(chan struct{})
	ds.listers++
	return true
}

// wantsListingLocked reports whether ds is worth listing ahead of a caller:
// none on the wire, not removed, not big, and no valid listing or, plus,
// none that could answer a listing with attributes. Caller holds ds.mu.
func (f *FS) wantsListingLocked(ds *dirState, plus bool) bool {
	if ds.ahead.flight != nil || ds.dying.Load() || ds.inode.attr.Load().Size > bigDirSize {
		return false
	}
	l := f.listValid(ds)
	return l == nil || plus && !f.plusAnswersLocked(ds, l, f.now())
}

// listRoom reports whether the listing cache has room for listings nobody
// asked for: they may take half its budget.
func (f *FS) listRoom() bool {
	return f.lists.cost.Load() < int64(f.opts.MaxDentries)/2
}

// readAheadSubdirs queues the subdirectories among the listed ents that
// have no cached listing, or, plus (the caller is served ents with
// attributes), one that could not answer that caller, and starts workers
// for them (heuristic 1).
func (f *FS) readAheadSubdirs(ents []DirEntryPlus, plus, deep bool) {
	if f.opts.NoReadAhead || !f.listRoom() {
		return
	}
	var batch []aheadItem
	for _, e := range ents {
		if len(batch) == aheadPerListing {
			break
		}
		ino := e.Inode
		if ino == nil || ino.dir == nil || ino.dir.ahead.queued.Load() {
			continue
		}
		ds := ino.dir
		ds.mu.Lock()
		want := f.wantsListingLocked(ds, plus)
		ds.mu.Unlock()
		if !want || !f.Pin(ino) {
			continue
		}
		if ino.dentry.Load() == nil || !ds.ahead.queued.CompareAndSwap(false, true) {
			f.Unpin(ino) // lost its name (evicted) before the pin, or queued meanwhile
			continue
		}
		batch = append(batch, aheadItem{ino, plus, deep})
	}
	if len(batch) == 0 {
		return
	}
	q := &f.ahead
	var dropped []aheadItem
	q.mu.Lock()
	for i := len(batch) - 1; i >= 0; i-- {
		q.queue = append(q.queue, batch[i]) // the first listed is popped first
	}
	if over := len(q.queue) - aheadQueueMax; over > 0 {
		dropped = append(dropped, q.queue[:over]...)
		q.queue = append(q.queue[:0], q.queue[over:]...)
	}
	for q.workers < aheadWorkers && q.workers < len(q.queue) {
		if q.workers == 0 {
			q.idle = make(chan struct{})
		}
		q.workers++
		go f.readAheadWorker()
	}
	q.mu.Unlock()
	for _, it := range dropped {
		f.aheadDone(it.ino)
	}
}

// readAheadWorker lists queued directories until the queue is empty.
func (f *FS) readAheadWorker() {
	q := &f.ahead
	for {
		q.mu.Lock()
		n := len(q.queue)
		if n == 0 {
			if q.workers--; q.workers == 0 {
				close(q.idle)
				q.idle = nil
			}
			q.mu.Unlock()
			return
		}
		it := q.queue[n-1]
		q.queue[n-1] = aheadItem{}
		q.queue = q.queue[:n-1]
		q.mu.Unlock()
		f.readAheadOne(it)
	}
}

// readAheadOne lists the queued directory if it still wants it.
func (f *FS) readAheadOne(it aheadItem) {
	ino := it.ino
	defer f.aheadDone(ino)
	ds := ino.dir
	if !f.listRoom() {
		return
	}
	ds.mu.Lock()
	ok := f.listSpeculativeLocked(ds, it.plus)
	ds.mu.Unlock()
	if !ok {
		return
	}
	ctx, cancel := f.callCtx(context.Background())
	r, err := f.readListing(ctx, ino, false) // speculative: an error changes nothing
	cancel()
	f.listEndFlight(ds, true)
	if err == nil && it.deep {
		f.readAheadSubdirs(r.out, it.plus, false)
	}
}

// aheadDone takes ino off the queue's books.
func (f *FS) aheadDone(ino *Inode) {
	ino.dir.ahead.queued.Store(false)
	f.Unpin(ino)
}

// waitReadAhead returns when no read-ahead is queued or on the wire (tests).
func (f *FS) waitReadAhead() {
	for {
		f.ahead.mu.Lock()
		idle := f.ahead.idle
		f.ahead.mu.Unlock()
		if idle == nil {
			return
		}
		<-idle
	}
}
