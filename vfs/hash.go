package vfs

// The dentry hash: one table per FS mapping (directory id, name) to a
// dentry, as Linux's dentry_hashtable does. Writers hold the bucket's lock
// (striped); readers (the cached walk, rule L5) walk chains with atomic
// loads only. A removed dentry keeps its next pointer, so a reader standing
// on it still reaches the rest of the chain; the garbage collector keeps it
// alive while anyone looks.

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

const hashLockStripes = 256

type hashTable struct {
	seed    maphash.Seed
	mask    uint64
	buckets []atomic.Pointer[dentry]
	locks   [hashLockStripes]sync.Mutex
}

func newHashTable(maxEntries int) *hashTable {
	n := 1024
	for n < maxEntries/2 && n < 1<<22 {
		n <<= 1
	}
	return &hashTable{seed: maphash.MakeSeed(), mask: uint64(n - 1), buckets: make([]atomic.Pointer[dentry], n)}
}

func (h *hashTable) hash(dirID uint64, name string) uint64 {
	return maphash.String(h.seed, name) ^ (dirID * 0x9E3779B97F4A7C15)
}

// find returns the hashed dentry for (dir, name) or nil. Lock-free.
func (h *hashTable) find(dir *dirState, name string) *dentry {
	hv := h.hash(dir.id, name)
	for d := h.buckets[hv&h.mask].Load(); d != nil; d = d.hashNext.Load() {
		if d.parent == dir && d.name == name && d.state.Load()&stateMask != stateUnhashed {
			return d
		}
	}
	return nil
}

// insert adds d (not yet visible) at the head of its chain. The caller holds
// d.parent.mu and has checked that no hashed dentry has d's name.
func (h *hashTable) insert(d *dentry) {
	hv := h.hash(d.parent.id, d.name)
	mu := &h.locks[hv%hashLockStripes]
	mu.Lock()
	b := &h.buckets[hv&h.mask]
	d.hashNext.Store(b.Load())
	b.Store(d)
	mu.Unlock()
}

// remove unlinks d from its chain. The caller holds d.parent.mu and has
// already marked d unhashed, so lock-free readers that still reach it skip it.
func (h *hashTable) remove(d *dentry) {
	hv := h.hash(d.parent.id, d.name)
	mu := &h.locks[hv%hashLockStripes]
	mu.Lock()
	b := &h.buckets[hv&h.mask]
	if b.Load() == d {
		b.Store(d.hashNext.Load())
	} else {
		for p := b.Load(); p != nil; p = p.hashNext.Load() {
			if p.hashNext.Load() == d {
				p.hashNext.Store(d.hashNext.Load())
				break
			}
		}
	}
	mu.Unlock()
}

// each calls fn for every hashed dentry (invariant checker; callers stop
// the world first).
func (h *hashTable) each(fn func(*dentry)) {
	for i := range h.buckets {
		for d := h.buckets[i].Load(); d != nil; d = d.hashNext.Load() {
			if d.state.Load()&stateMask != stateUnhashed {
				fn(d)
			}
		}
	}
}
