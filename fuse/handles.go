package fuse

// File handles: the kernel's names for open *vfs.File values (FUSE fh).
//
// A handle of a directory also keeps the listing READDIR and READDIRPLUS
// serve offsets from: a snapshot taken at offset 0 (opendir, rewinddir), so
// that a listing read in several requests neither skips nor repeats names
// while the directory changes. The Inodes of the snapshot stay pinned until
// the next snapshot or RELEASEDIR, so that an entry handed to the kernel later
// in the listing still names a live Inode.
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

	mu      sync.Mutex   // guards the fields below (directories only)
	entries []listEntry  // snapshot, "." and ".." first; offset i+1 follows entries[i]
	pinned  []*vfs.Inode // Inodes of the snapshot, pinned while it lives
	listed  bool         // entries is a snapshot (taken at offset 0)
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

// setSnapshot replaces the directory snapshot, keeping its Inodes pinned, and
// returns the Inodes of the previous one for the caller to unpin once h.mu is
// released. Caller holds h.mu.
func (h *handle) setSnapshot(fsys *vfs.FS, entries []listEntry) (unpin []*vfs.Inode) {
	unpin = h.pinned
	h.pinned = nil
	for i := range entries {
		if n := entries[i].node; n != nil {
			if !fsys.Pin(n) {
				entries[i].node = nil // forgotten since listed: no node id for it
				continue
			}
			h.pinned = append(h.pinned, n)
		}
	}
	h.entries, h.listed = entries, true
	return unpin
}

// dropSnapshot forgets the snapshot and unpins its Inodes (RELEASEDIR).
func (h *handle) dropSnapshot(fsys *vfs.FS) {
	h.mu.Lock()
	unpin := h.pinned
	h.pinned, h.entries, h.listed = nil, nil, false
	h.mu.Unlock()
	for _, n := range unpin {
		fsys.Unpin(n)
	}
}
