package localfs

// This file defines the driver's node: a path-based reference to one object
// below the root (the places it is known at: parent node + name) plus the
// identity it had when it was found; the driver's table of live nodes by
// identity; and the registry of a node's open handles.
//
// One object, one node: nodeAt returns the live node of an object when
// there is one, adding the place it was just found at. So the core gets
// the same node for every name of a hard-linked file (rule A1), and a
// directory found at a new place (renamed behind the core's back) moves
// its node, and with it the paths of the nodes below it.
//
// Locking: FS.nodesMu guards FS.nodes; node.mu guards node.handles and
// serialises updates of node.locs. Order: FS.nodesMu before node.mu. node.locs
// is an atomic pointer to an immutable slice, so paths are built without
// locks; a path built while a rename is in flight may be stale, which the
// identity check of every resolution catches (ESTALE). node.mu is never
// held across a syscall other than the dup in dupOpenFD.

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"weak"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

const (
	// maxDepth bounds a node's parent chain so that a cycle (which only
	// stale records of directories renamed behind our back, or a broken
	// caller of Moved, could make) ends in ELOOP instead of a hang.
	maxDepth = 1 << 16
	// maxLocations bounds the places remembered for one object (names of
	// a hard-linked file, old places of a renamed one).
	maxLocations = 8
)

// node is the driver's vfs.Node.
type node struct {
	fs *FS
	// locs are the places the object was last known at, the most recently
	// confirmed first; nil for the root. A directory has one.
	locs atomic.Pointer[[]location]

	// dev and ino are the object's identity when it was found (rule A1);
	// every resolution compares them (rule V3), and the file type and birth
	// time too, which catch an inode number reused by a new object.
	dev, ino uint64
	typ      uint32
	btime    int64 // ns since the epoch; 0 when the filesystem has none

	mu      sync.Mutex
	handles map[*handle]int // open handles and their descriptors; guarded by mu
}

// location is one place of an object: a name in a parent directory node.
type location struct {
	parent *node
	name   string
}

// idKey indexes FS.nodes.
type idKey struct{ dev, ino uint64 }

// nodeFor returns a node, without a location yet, for the object st.
func nodeFor(f *FS, st *unix.Statx_t) *node {
	return &node{fs: f, dev: devOf(st), ino: st.Ino, typ: fileType(st), btime: btimeOf(st)}
}

// nodeAt returns the node of the object st, just found as name in parent:
// the live node of that object if there is one, now also known at this
// place, otherwise a new node. Nodes leave the table when the garbage
// collector frees them (the core drops nodes without telling drivers).
func (f *FS) nodeAt(parent *node, name string, st *unix.Statx_t) *node {
	key := idKey{devOf(st), st.Ino}
	f.nodesMu.Lock()
	defer f.nodesMu.Unlock()
	if wp, ok := f.nodes[key]; ok {
		if n := wp.Value(); n != nil && n.is(st) {
			n.foundAt(location{parent, name})
			return n
		}
	}
	n := nodeFor(f, st)
	n.locs.Store(&[]location{{parent, name}})
	f.nodes[key] = weak.Make(n)
	runtime.AddCleanup(n, f.forgetNode, key)
	return n
}

// forgetNode drops the table entry of a freed node, unless a newer node of
// the same identity took its place.
func (f *FS) forgetNode(key idKey) {
	f.nodesMu.Lock()
	if wp, ok := f.nodes[key]; ok && wp.Value() == nil {
		delete(f.nodes, key)
	}
	f.nodesMu.Unlock()
}

// is reports whether st describes the object n was found as.
func (n *node) is(st *unix.Statx_t) bool {
	if n.ino != st.Ino || n.dev != devOf(st) || n.typ != fileType(st) {
		return false
	}
	b := btimeOf(st)
	return n.btime == 0 || b == 0 || n.btime == b
}

// locations returns the places n is known at, best first (nil: the root).
func (n *node) locations() []location {
	if p := n.locs.Load(); p != nil {
		return *p
	}
	return nil
}

// foundAt records that n's object was found at loc and puts loc first. A
// directory has only one place (the old one is gone); a file keeps up to
// maxLocations (its other names, or stale ones the identity check skips).
func (n *node) foundAt(loc location) {
	if n.locs.Load() == nil {
		return // the root stays the root
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	locs := []location{loc}
	if n.typ != unix.S_IFDIR {
		for _, l := range n.locations() {
			if l != loc && len(locs) < maxLocations {
				locs = append(locs, l)
			}
		}
	}
	n.locs.Store(&locs)
}

// path returns the path of loc relative to the root: names joined by '/',
// never ".." (names are checked when they enter the driver). A parent's
// place is its first one.
func (loc location) path() (string, error) {
	var stack [16]string
	names := append(stack[:0], loc.name)
	size := len(loc.name)
	for cur := loc.parent; ; {
		locs := cur.locations()
		if len(locs) == 0 {
			break
		}
		if len(names) == maxDepth {
			return "", syscall.ELOOP
		}
		names = append(names, locs[0].name)
		size += len(locs[0].name) + 1
		cur = locs[0].parent
	}
	var b strings.Builder
	b.Grow(size)
	for i := len(names) - 1; i >= 0; i-- {
		b.WriteString(names[i])
		if i > 0 {
			b.WriteByte('/')
		}
	}
	return b.String(), nil
}

// path returns n's best path relative to the root ("." for the root).
func (n *node) path() (string, error) {
	locs := n.locations()
	if len(locs) == 0 {
		return ".", nil
	}
	return locs[0].path()
}

// Moved records that node n now lives at (newDir, newName) (vfs.Mover). The
// core calls it after a successful Rename, once per side of an exchange.
// Nodes below a moved directory follow it, since they point at its node.
// Arguments that are not this driver's nodes are ignored: Moved cannot
// fail, and the identity check of the next call on n turns any confusion
// into ESTALE.
func (f *FS) Moved(n vfs.Node, newDir vfs.Node, newName string) {
	nd, err := f.asNode(n)
	if err != nil {
		return
	}
	d, err := f.asNode(newDir)
	if err != nil {
		return
	}
	nd.foundAt(location{d, newName})
}

// confirmed puts loc first among n's places after it resolved to n.
func (n *node) confirmed(loc location) {
	if locs := n.locations(); len(locs) > 0 && locs[0] != loc && slices.Contains(locs, loc) {
		n.foundAt(loc)
	}
}

// addHandle registers an open handle of n and its descriptor.
func (n *node) addHandle(h *handle, fd int) {
	n.mu.Lock()
	if n.handles == nil {
		n.handles = make(map[*handle]int)
	}
	n.handles[h] = fd
	n.mu.Unlock()
}

// removeHandle unregisters h; its descriptor may be closed afterwards.
func (n *node) removeHandle(h *handle) {
	n.mu.Lock()
	delete(n.handles, h)
	n.mu.Unlock()
}

// dupOpenFD returns a duplicate of the descriptor of one of n's open
// handles, or -1 when n has none. A descriptor stays registered until just
// before its handle closes it, so the one duplicated here is still open.
func (n *node) dupOpenFD() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, fd := range n.handles {
		dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err == nil {
			return dup
		}
	}
	return -1
}
