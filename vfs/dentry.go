package vfs

// Dentries and inodes: the records of the cache.
//
// A dentry is one name in one directory (parent, name: both immutable, so a
// rename makes the name at the new place take the inode, rather than moving
// a dentry). Its state (the four of DESIGN.md) and its inode pointer are
// atomics read by the cached walk; every change to them happens with the
// parent's dirState.mu held, by the goroutine that owns the name.
//
// An Inode is the core's record of one file object: the driver's Node, the
// cached attributes, and for a directory a dirState whose id keys the hash.
// A directory Inode has exactly one hashed dentry (rule A2), Inode.dentry.

import (
	"sync"
	"sync/atomic"
)

// dentry states (low bits of dentry.state).
const (
	stateInLookup   uint32 = iota // a lookup or atomic open is on the wire (L1)
	statePositive                 // name -> inode, valid until deadline
	stateNegative                 // name known absent, valid until deadline
	stateUnhashed                 // removed; still held by a walker or op
	stateMask       uint32 = 0xff
	flagReferenced  uint32 = 1 << 8 // touched since the LRU last looked (V4)
	flagNegativeLRU uint32 = 1 << 9 // sits on the negative LRU list
	flagOnLRU       uint32 = 1 << 10
	epochShift             = 16 // bits 16-31: low bits of FS.epoch when last installed (V3)
)

type dentry struct {
	hashNext atomic.Pointer[dentry] // hashTable chain; guarded by its bucket lock
	parent   *dirState              // immutable; nil only for the root
	name     string                 // immutable
	inode    atomic.Pointer[Inode]  // nil when negative or in-lookup; written under parent.mu
	state    atomic.Uint32          // state | flags; state written under parent.mu
	deadline atomic.Int64           // FS clock ns; validity of the positive/negative state (V1)
	// owner is non-nil while one operation holds this name (L1, D1).
	// Guarded by parent.mu.
	owner atomic.Pointer[claim]
	// lruPrev, lruNext link the LRU lists; guarded by FS.lru.mu.
	lruPrev, lruNext *dentry
}

func (d *dentry) st() uint32 { return d.state.Load() & stateMask }

// setState replaces the state keeping the flags and stamps the dentry with
// the current epoch. Caller holds parent.mu.
func (d *dentry) setState(s uint32, epoch uint32) {
	for {
		old := d.state.Load()
		n := old&^stateMask&(1<<epochShift-1) | s | epoch<<epochShift
		if d.state.CompareAndSwap(old, n) {
			return
		}
	}
}

// epoch returns the stamp of d's last install.
func (d *dentry) epoch() uint16 { return uint16(d.state.Load() >> epochShift) }

// claim is one operation's hold on a name. done is closed when the holder
// lets go; err, written before that, is the holder's answer for those who
// waited (nil when they should retry themselves, rule L3).
type claim struct {
	done chan struct{}
	err  error
	// forced: the holder revalidates after ESTALE (V3), so an answer
	// without identity names a new object (the cached node went stale).
	forced bool
	mut    bool // may change the directory on the server (counted in dirState.mutating)
}

// Inode is the core's record of one file object on a mounted filesystem. It
// is what FUSE node ids map to and what the "at" calls take as a directory.
// Its methods are safe for concurrent use.
type Inode struct {
	node Node                 // the driver's reference; immutable
	attr atomic.Pointer[Attr] // cached attributes; replaced whole
	adl  atomic.Int64         // attribute validity deadline (FS clock ns)
	ato  atomic.Int64         // the attribute timeout adl was last set with (ns)
	// fetched is when attr was last set (FS clock ns), even if adl was
	// expired since by this client's own writes.
	fetched atomic.Int64
	dir     *dirState              // non-nil for directories
	link    atomic.Pointer[string] // cached symlink target
	// dentry is a directory's one hashed dentry (A2); for other files one of
	// their names, used only to print paths. Guarded by FS.idMu for
	// directories.
	dentry atomic.Pointer[dentry]
	// refs counts hashed dentries and users. The unref that takes it to
	// zero forgets the inode and marks it dead (refsDead) under FS.idMu,
	// unless a lookup found it by identity meanwhile; a dead inode is never
	// referenced again (tryRef), so the driver's Forget runs once.
	refs atomic.Int32
	// users counts open Files and frontend pins (FUSE lookup counts): an
	// inode in use is never evicted (V4) and outlives its names (D2).
	users atomic.Int32
}

// dirState is the directory part of an Inode.
type dirState struct {
	id    uint64 // hash key; unique per FS
	inode *Inode
	mu    sync.Mutex
	// written under mu (children and inflight may be read without it):
	children atomic.Int32  // hashed child dentries
	inflight atomic.Int32  // name claims held in this directory
	dying    atomic.Bool   // removed (or detached): refuse new names (D1)
	removing chan struct{} // non-nil while an rmdir (or rename over it) is on the wire; closed at its end
	// A listing excludes changes to the directory, as Linux's readdir holds
	// i_rwsem: it waits until no mutating claim is held (listWait keeps new
	// ones out meanwhile), and new mutating claims wait while it lists.
	// gate is closed (and replaced) whenever these counts drop. Guarded by mu.
	mutating, listers, listWait int32
	// parked counts mutating claims whose holder waits to take a second
	// claim (a rename): it has sent nothing yet, so a removal need not
	// wait for it (and must not: it may wait for the removal's own claim).
	parked int32
	gate   chan struct{}
	// list is the cached complete listing (dircache.go, rule C1), guarded
	// by mu. listEpoch moves whenever a listing may no longer be exact: a
	// listing is valid only while its epoch is the current one.
	list      *dirList
	listEpoch atomic.Uint64
	ahead     dirAhead // single-flight listing and read-ahead state (readahead.go)
}

// Attr returns the cached attributes (which may be stale; see FS.Getattr).
func (ino *Inode) Attr() Attr { return *ino.attr.Load() }

// Node returns the driver's node.
func (ino *Inode) Node() Node { return ino.node }

// IsDir reports whether the inode is a directory.
func (ino *Inode) IsDir() bool { return ino.dir != nil }

// refsDead is Inode.refs of a forgotten inode: far enough below zero that
// stray reference pairs on it never bring it back to zero.
const refsDead = -1 << 30

// tryRef takes a reference on ino unless its last one is gone: it is then
// forgotten, or about to be (rule V4, D2), and must not come back.
func (ino *Inode) tryRef() bool {
	for {
		n := ino.refs.Load()
		if n <= 0 {
			return false
		}
		if ino.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Pin records a frontend reference to ino (a FUSE lookup count going from 0
// to 1): a pinned inode's dentries are never evicted (V4) and its identity
// stays mapped, so a later lookup of the same directory finds this very
// Inode. Inodes the core hands out (Lookup, ReadDirInode, MkdirAt...) are
// not pinned: one may lose its last name and be forgotten before the
// frontend pins it. Pin then reports false and takes nothing (the driver's
// Forget has run once, and runs no more); the frontend looks the name up
// again for a live Inode.
func (f *FS) Pin(ino *Inode) bool {
	if !ino.tryRef() {
		return false
	}
	ino.users.Add(1)
	return true
}

// Unpin drops a reference taken with Pin.
func (f *FS) Unpin(ino *Inode) {
	ino.users.Add(-1)
	f.unrefInode(ino)
}

// gateLocked returns the channel closed at the next drop of the listing or
// mutating counts. Caller holds ds.mu.
func (ds *dirState) gateLocked() chan struct{} {
	if ds.gate == nil {
		ds.gate = make(chan struct{})
	}
	return ds.gate
}

// openGateLocked wakes everyone waiting on the gate. Caller holds ds.mu.
func (ds *dirState) openGateLocked() {
	if ds.gate != nil {
		close(ds.gate)
		ds.gate = nil
	}
}

// park counts a held claim in ds whose holder starts (+1) or stops (-1)
// waiting for a second claim.
func (ds *dirState) park(n int32) {
	ds.mu.Lock()
	ds.parked += n
	ds.openGateLocked()
	ds.mu.Unlock()
}
