package fuse

// The kernel's directory cache (FOPEN_CACHE_DIR).
//
// Unless every open must revalidate (PolicyCloseToOpen), OPENDIR answers
// ENOSYS: the kernel then opens directories without asking (no OPENDIR and
// no RELEASEDIR at all) and keeps each listing it reads in the directory's
// page cache, serving later getdents from it until it sees the directory
// change: a new mtime (CAP_AUTO_INVAL_DATA refreshes expired attributes at
// offset 0) or a change made through the mount. A warm tree walk then costs
// no request per directory. Without the change attribute NFS has, an mtime
// of one-second resolution (SFTP) can hide a change made within the second
// the kernel saw, so the daemon bounds the kernel's copy as the core bounds
// its own (rule C1): when the core's listing the kernel was served expires,
// an inode notification (FUSE_NOTIFY_INVAL_INODE) drops the kernel's pages
// and the next getdents reads the directory again. The bound is the
// earliest deadline of the listings served since the last notification.
//
// READDIR and READDIRPLUS then come without a handle (fh 0). The listing
// the kernel reads in several requests is kept per node as a snapshot, taken
// at offset 0, whose offsets carry its generation (gen<<32 | position+1): a
// request continuing an older pass (a second reader, or the kernel refilling
// pages it evicted) is served from that pass's snapshot while it is kept,
// and one that outlived it continues at the same position of a fresh
// listing, as after a seekdir into a changed directory. A snapshot is
// dropped when a request reads past its end, when its node is forgotten, or,
// past kdirMaxSnaps, at random.
//
// Locks: kdirCache.mu guards its fields; it is taken alone.

import (
	"math"
	"sync"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
)

// kdirMaxSnaps bounds the snapshots kept (passes in progress, mostly).
const kdirMaxSnaps = 256

// kdirCache is the daemon's side of the kernel's directory cache.
type kdirCache struct {
	mu     sync.Mutex
	srv    *gofuse.Server // for the notifications; set by Init
	gen    uint64
	snaps  map[uint64]*kdirSnap   // by node id
	expiry map[uint64]*kdirExpiry // by node id: the pending notification
}

// kdirSnap is a listing served to the kernel from offset 0.
type kdirSnap struct {
	gen     uint64
	entries []listEntry
}

// kdirExpiry is a pending notification dropping a node's cached listing.
type kdirExpiry struct {
	due   time.Time
	timer *time.Timer
}

func newKdirCache() *kdirCache {
	return &kdirCache{snaps: make(map[uint64]*kdirSnap), expiry: make(map[uint64]*kdirExpiry)}
}

// dirOffset is the offset following entry i of a snapshot of generation gen
// (0 for a handle's snapshot).
func dirOffset(gen uint64, i int) uint64 { return gen<<32 | uint64(i+1) }

// splitDirOffset undoes dirOffset: the generation and the position to
// continue from.
func splitDirOffset(off uint64) (gen uint64, from uint64) { return off >> 32, off & (1<<32 - 1) }

// snapshot returns node's snapshot of generation gen, nil if not kept.
func (c *kdirCache) snapshot(node, gen uint64) *kdirSnap {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.snaps[node]; s != nil && s.gen == gen {
		return s
	}
	return nil
}

// put keeps entries as node's snapshot under a new generation, and makes
// sure the kernel keeps what it is served from it for no longer than
// timeout, the core's listing validity.
func (c *kdirCache) put(node uint64, entries []listEntry, timeout time.Duration) *kdirSnap {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.gen >= 1<<31 { // offsets stay positive as a signed 64-bit loff_t
		c.gen = 1
	}
	s := &kdirSnap{gen: c.gen, entries: entries}
	if _, ok := c.snaps[node]; !ok && len(c.snaps) >= kdirMaxSnaps {
		for id := range c.snaps {
			delete(c.snaps, id)
			break
		}
	}
	c.snaps[node] = s
	if timeout != math.MaxInt64 {
		c.expireLocked(node, time.Now().Add(timeout))
	}
	return s
}

// expireLocked schedules the notification for node at due, unless one is
// already due earlier. Caller holds c.mu.
func (c *kdirCache) expireLocked(node uint64, due time.Time) {
	if e := c.expiry[node]; e != nil {
		if !e.due.After(due) {
			return
		}
		e.timer.Stop()
	}
	e := &kdirExpiry{due: due}
	e.timer = time.AfterFunc(time.Until(due), func() { c.expire(node, e) })
	c.expiry[node] = e
}

// expire drops the kernel's cached listing of node. Outside any request:
// the kernel takes no lock a request handler may hold while it does.
func (c *kdirCache) expire(node uint64, e *kdirExpiry) {
	c.mu.Lock()
	if c.expiry[node] != e {
		c.mu.Unlock()
		return
	}
	delete(c.expiry, node)
	srv := c.srv
	c.mu.Unlock()
	if srv != nil {
		// ENOENT when the kernel has forgotten node: nothing was cached.
		srv.InodeNotify(node, 0, 0)
	}
}

// done drops s, node's snapshot, once a request read past its end.
func (c *kdirCache) done(node uint64, s *kdirSnap) {
	c.mu.Lock()
	if c.snaps[node] == s {
		delete(c.snaps, node)
	}
	c.mu.Unlock()
}

// forget drops what is kept for node (the kernel forgot it, and its pages).
func (c *kdirCache) forget(node uint64) {
	c.mu.Lock()
	delete(c.snaps, node)
	if e := c.expiry[node]; e != nil {
		e.timer.Stop()
		delete(c.expiry, node)
	}
	c.mu.Unlock()
}

// stop drops everything (unmount).
func (c *kdirCache) stop() {
	c.mu.Lock()
	for _, e := range c.expiry {
		e.timer.Stop()
	}
	clear(c.expiry)
	clear(c.snaps)
	c.srv = nil
	c.mu.Unlock()
}
