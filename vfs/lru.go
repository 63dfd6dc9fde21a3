package vfs

// The LRU (rule V4): every hashed dentry but the root sits on one of two
// lists, positive or negative, each with its own bound. Access sets a
// "referenced" flag once (no write when already set, so the cached walk stays
// read-only, L5); the evictor gives referenced dentries a second chance
// (clock). Dentries in use are skipped: claimed names, directories with
// cached children, inodes that are open or pinned by a frontend.

import "sync"

type lruList struct {
	head, tail *dentry
	n          int
}

type lru struct {
	mu       sync.Mutex // guards both lists and every dentry's lruPrev/lruNext
	pos, neg lruList
}

func (l *lru) init() {}

func (l *lruList) pushBack(d *dentry) {
	d.lruPrev, d.lruNext = l.tail, nil
	if l.tail != nil {
		l.tail.lruNext = d
	} else {
		l.head = d
	}
	l.tail = d
	l.n++
}

func (l *lruList) remove(d *dentry) {
	if d.lruPrev != nil {
		d.lruPrev.lruNext = d.lruNext
	} else {
		l.head = d.lruNext
	}
	if d.lruNext != nil {
		d.lruNext.lruPrev = d.lruPrev
	} else {
		l.tail = d.lruPrev
	}
	d.lruPrev, d.lruNext = nil, nil
	l.n--
}

// lruAdd puts d on the list matching its state, or moves it there, and
// evicts if a list is over its bound.
func (f *FS) lruAdd(d *dentry) {
	if f.lruPut(d) {
		f.evict()
	}
}

// lruPut is lruAdd without the eviction; it reports a list over its bound.
func (f *FS) lruPut(d *dentry) bool {
	neg := d.st() == stateNegative
	f.lru.mu.Lock()
	if s := d.state.Load(); s&flagOnLRU != 0 {
		if (s&flagNegativeLRU != 0) == neg {
			f.lru.mu.Unlock()
			return false
		}
		f.lruListOf(s).remove(d)
	}
	if neg {
		f.lru.neg.pushBack(d)
		d.state.Or(flagOnLRU | flagNegativeLRU)
	} else {
		f.lru.pos.pushBack(d)
		d.state.And(^flagNegativeLRU)
		d.state.Or(flagOnLRU)
	}
	over := f.lru.pos.n > f.opts.MaxDentries || f.lru.neg.n > f.opts.MaxNegative
	f.lru.mu.Unlock()
	return over
}

func (f *FS) lruListOf(s uint32) *lruList {
	if s&flagNegativeLRU != 0 {
		return &f.lru.neg
	}
	return &f.lru.pos
}

// lruDel takes d off its list.
func (f *FS) lruDel(d *dentry) {
	f.lru.mu.Lock()
	if s := d.state.Load(); s&flagOnLRU != 0 {
		f.lruListOf(s).remove(d)
		d.state.And(^(flagOnLRU | flagNegativeLRU))
	}
	f.lru.mu.Unlock()
}

// evict drops unused dentries until both lists are within bounds, looking
// at a bounded number of candidates per call.
func (f *FS) evict() {
	for budget := 256; budget > 0; budget-- {
		f.lru.mu.Lock()
		var l *lruList
		switch {
		case f.lru.neg.n > f.opts.MaxNegative:
			l = &f.lru.neg
		case f.lru.pos.n > f.opts.MaxDentries:
			l = &f.lru.pos
		default:
			f.lru.mu.Unlock()
			return
		}
		d := l.head
		l.remove(d)
		if d.state.Load()&flagReferenced != 0 {
			d.state.And(^flagReferenced)
			l.pushBack(d) // second chance
			f.lru.mu.Unlock()
			continue
		}
		d.state.And(^(flagOnLRU | flagNegativeLRU))
		f.lru.mu.Unlock()
		if !f.tryEvict(d) {
			f.lruPut(d) // in use: back on the list, without evicting again
		}
	}
}

// tryEvict unhashes d if nothing uses it.
func (f *FS) tryEvict(d *dentry) bool {
	p := d.parent
	p.mu.Lock()
	if !f.evictable(d) {
		p.mu.Unlock()
		return false
	}
	f.checkMuRLock()
	ino := f.unhashLocked(d)
	f.checkMuRUnlock()
	p.mu.Unlock()
	if ino != nil {
		f.unrefInode(ino)
	}
	return true
}

// evictable reports whether nothing uses d. Caller holds d.parent.mu.
func (f *FS) evictable(d *dentry) bool {
	if d.owner.Load() != nil {
		return false
	}
	if d.st() != statePositive {
		return true
	}
	ino := d.inode.Load()
	if ino == nil {
		return true
	}
	if ino.users.Load() > 0 {
		return false
	}
	return ino.dir == nil || (ino.dir.children.Load() == 0 && ino.dir.inflight.Load() == 0)
}
