package fuse

// File handles: the kernel's names for open *vfs.File values (FUSE fh).
//
// A handle of a directory also keeps the listing READDIR and READDIRPLUS
// serve offsets from: a snapshot taken at offset 0 (opendir, rewinddir), so
// that a listing read in several requests neither skips nor repeats names
// while the directory changes (PolicyCloseToOpen; otherwise the kernel
// caches listings and the snapshots are kept by node, kdir.go).
//
// Locks: handleTable.m is a sync.Map (handles are added once and removed
// once; READ and WRITE look them up without a lock). handle.mu guards the
// directory snapshot; it is held across the core's ReadDirPlus, which only
// the requests of that one handle wait for, and is taken before
// nodeTable.mu (READDIRPLUS takes node references while it serves).

import (
	"sync"
	"sync/atomic"

	"github.com/netvfs/netvfs/vfs"
)

// handle is one open file or directory.
type handle struct {
	file *vfs.File

	mu      sync.Mutex  // guards the fields below (directories only)
	entries []listEntry // snapshot, "." and ".." first; offset i+1 follows entries[i]
	listed  bool        // entries is a snapshot (taken at offset 0)
}

// listEntry is one name of a directory snapshot.
type listEntry struct {
	name string
	typ  uint32 // S_IFMT bits, 0 if unknown
	ino  uint64 // inode number, 0 if unknown
	// node is the cached Inode (READDIRPLUS hands it to the kernel), or nil.
	node *vfs.Inode
	attr vfs.Attr // valid when node != nil: the listing's attributes
}

// handleTable maps FUSE file handles to open files.
type handleTable struct {
	next atomic.Uint64
	m    sync.Map // uint64 -> *handle
}

// add registers h and returns its file handle (never 0, never go-fuse's
// reserved ^0).
func (t *handleTable) add(h *handle) uint64 {
	fh := t.next.Add(1)
	t.m.Store(fh, h)
	return fh
}

// get returns the handle fh, or nil.
func (t *handleTable) get(fh uint64) *handle {
	if v, ok := t.m.Load(fh); ok {
		return v.(*handle)
	}
	return nil
}

// remove unregisters fh and returns its handle, or nil if it was not
// registered (a second RELEASE, or one racing unmount).
func (t *handleTable) remove(fh uint64) *handle {
	if v, ok := t.m.LoadAndDelete(fh); ok {
		return v.(*handle)
	}
	return nil
}

// removeAll unregisters every handle and returns them (unmount).
func (t *handleTable) removeAll() []*handle {
	var hs []*handle
	t.m.Range(func(k, v any) bool {
		if _, ok := t.m.LoadAndDelete(k); ok {
			hs = append(hs, v.(*handle))
		}
		return true
	})
	return hs
}

// count returns the number of open handles.
func (t *handleTable) count() int {
	n := 0
	t.m.Range(func(any, any) bool { n++; return true })
	return n
}

// dropSnapshot forgets the directory snapshot (RELEASEDIR).
func (h *handle) dropSnapshot() {
	h.mu.Lock()
	h.entries, h.listed = nil, false
	h.mu.Unlock()
}
