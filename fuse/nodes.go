package fuse

// Node ids: the kernel's names for the *vfs.Inode it holds.
//
// One id per Inode at a time (byInode), root = 1. Each reply that hands the
// kernel an entry adds one to the id's lookup count; the kernel gives the
// counts back with FORGET / BATCH_FORGET. The first reference pins the Inode
// in the core (vfs.FS.Pin: its dentries are not evicted and its identity
// stays mapped), the last one unpins it and retires the id. Ids are never
// reused (a uint64 counter), so the generation number can be constant.
//
// Locks: nodeTable.mu guards byInode, next, every node.lookups and all
// writes to byID. byID is read without the lock: resolving the node id of a
// request (the hot path) writes no shared memory. Unpin is called after mu
// is released (it may call the driver's Forget); Pin, which never calls the
// driver, under mu, so that an Inode the core has forgotten never gets an id.
//
// The arithmetic survives the kernel's FORGET/LOOKUP race: when the kernel
// evicts an inode while a LOOKUP of the same object is being answered, it
// sends FORGET with the count the evicted inode had, and the new lookup's
// increment stays.

import (
	"sync"

	"github.com/netvfs/netvfs/vfs"
)

// rootID is the FUSE node id of the mount's root directory.
const rootID = 1

// generation is the generation of every node id (ids are not reused).
const generation = 1

// node is one id the kernel holds.
type node struct {
	id      uint64
	ino     *vfs.Inode
	lookups uint64 // guarded by nodeTable.mu
}

type nodeTable struct {
	mu      sync.Mutex
	byInode map[*vfs.Inode]*node // guarded by mu
	next    uint64               // guarded by mu: the next id to hand out
	byID    sync.Map             // uint64 -> *node; written under mu
	fsys    *vfs.FS              // immutable
	root    *vfs.Inode           // immutable
}

func (t *nodeTable) init(fsys *vfs.FS) {
	t.byInode = make(map[*vfs.Inode]*node)
	t.next = rootID + 1
	t.fsys = fsys
	root := fsys.Root()
	t.root = root
	t.byID.Store(uint64(rootID), &node{id: rootID, ino: root})
}

// inode returns the Inode of node id, or nil for an id the kernel should not
// have (it never uses an id after forgetting it).
func (t *nodeTable) inode(id uint64) *vfs.Inode {
	if v, ok := t.byID.Load(id); ok {
		return v.(*node).ino
	}
	return nil
}

// ref records that a reply hands ino to the kernel once more and returns its
// node id. The root is not counted: the core never forgets it. ok is false,
// and nothing recorded, for an Inode the core has forgotten since it handed
// it out (vfs.FS.Pin): the caller looks the name up again.
func (t *nodeTable) ref(ino *vfs.Inode) (id uint64, ok bool) {
	if ino == t.root {
		return rootID, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.byInode[ino]; n != nil {
		n.lookups++ // pinned by n: alive
		return n.id, true
	}
	// A forget that retired an earlier id of ino may still be about to
	// unpin it: pins are counted, so its Unpin takes its own pin only.
	if !t.fsys.Pin(ino) {
		return 0, false
	}
	n := &node{id: t.next, ino: ino, lookups: 1}
	t.next++
	t.byInode[ino] = n
	t.byID.Store(n.id, n)
	return n.id, true
}

// forget takes nlookup references of node id off (FORGET). The last one
// retires the id and unpins the Inode.
func (t *nodeTable) forget(id, nlookup uint64) {
	if id == rootID {
		return
	}
	t.mu.Lock()
	v, ok := t.byID.Load(id)
	if !ok {
		t.mu.Unlock()
		return
	}
	n := v.(*node)
	if nlookup < n.lookups {
		n.lookups -= nlookup
		t.mu.Unlock()
		return
	}
	n.lookups = 0
	t.byID.Delete(id)
	if t.byInode[n.ino] == n {
		delete(t.byInode, n.ino)
	}
	t.mu.Unlock()
	t.fsys.Unpin(n.ino)
}

// forgetAll retires every id but the root (after unmount: the kernel sends
// no FORGET for the inodes it drops then).
func (t *nodeTable) forgetAll() {
	t.mu.Lock()
	var pinned []*vfs.Inode
	for ino, n := range t.byInode {
		pinned = append(pinned, ino)
		t.byID.Delete(n.id)
	}
	clear(t.byInode)
	t.mu.Unlock()
	for _, ino := range pinned {
		t.fsys.Unpin(ino)
	}
}

// count returns how many ids other than the root the kernel holds, and the
// sum of their lookup counts.
func (t *nodeTable) count() (ids int, lookups uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range t.byInode {
		lookups += n.lookups
	}
	return len(t.byInode), lookups
}
