package sftpfs

// This file is the driver's node: SFTP has no file identity, so a node is
// a place in the tree (parent node + name) and its server path is computed
// from the chain of parents. The core tells us when it moves an object
// (vfs.Mover), so a renamed directory carries its cached descendants along.
//
// Locking: FS.treeMu guards every node's parent and name; path reads take
// it shared, Moved takes it exclusively. node.typ is atomic and only a
// hint (the last file type the server reported for the node).

import (
	"errors"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

type node struct {
	parent *node  // guarded by FS.treeMu; nil for the root
	name   string // guarded by FS.treeMu; the root's is its server path
	// links are the file's other names, made through Link: the core
	// binds a new hard link to the same node (rule A2), so the node must
	// stay reachable when its first name goes. Guarded by FS.treeMu.
	links []place
	typ   atomic.Uint32
}

// place is one name of a node: a directory node and a name in it.
type place struct {
	parent *node
	name   string
}

// nodeOf returns the driver node behind a vfs.Node.
func nodeOf(n vfs.Node) (*node, error) {
	nd, ok := n.(*node)
	if !ok || nd == nil {
		return nil, &opError{op: "node", errno: syscall.EINVAL, cause: errForeignNode}
	}
	return nd, nil
}

var errForeignNode = errors.New("node does not belong to this driver")

// newChild makes the node for name in dir, remembering its file type.
func newChild(dir *node, name string, a fileAttrs) *node {
	n := &node{parent: dir, name: name}
	n.typ.Store(a.perm & vfs.S_IFMT)
	return n
}

// path returns n's server path.
func (fs *FS) path(n *node) string {
	fs.treeMu.RLock()
	defer fs.treeMu.RUnlock()
	return pathLocked(n)
}

// pathLocked returns n's server path; the caller holds FS.treeMu.
func pathLocked(n *node) string {
	var names [32]string
	parts := names[:0]
	size := 0
	for ; n.parent != nil; n = n.parent {
		parts = append(parts, n.name)
		size += 1 + len(n.name)
	}
	root := n.name
	if len(parts) == 0 {
		return root
	}
	var b strings.Builder
	b.Grow(len(root) + size)
	if root != "/" {
		b.WriteString(root)
	}
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// childPath returns the server path of name in dir.
func (fs *FS) childPath(dir *node, name string) string {
	return joinPath(fs.path(dir), name)
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// Moved records that n now lives at (newDir, newName) (vfs.Mover; the
// core calls it after a successful Rename while it still holds both names).
// Rename has already moved the names it knew of (renamed in names.go), so
// a node already at the new place is left alone: for a hard-linked node
// that keeps its other names.
func (fs *FS) Moved(n vfs.Node, newDir vfs.Node, newName string) {
	nd, err1 := nodeOf(n)
	dir, err2 := nodeOf(newDir)
	if err1 != nil || err2 != nil || nd.parent == nil {
		return // the root never moves (the core refuses with EBUSY)
	}
	fs.treeMu.Lock()
	defer fs.treeMu.Unlock()
	if nd.parent == dir && nd.name == newName {
		return
	}
	for _, l := range nd.links {
		if l.parent == dir && l.name == newName {
			return
		}
	}
	nd.parent, nd.name = dir, newName
}
