package sftpfs

// This file keeps the driver's nodes and open handles in step with the
// names the driver itself changes on the server (SFTP has no identity, so
// a node is only as good as its path):
//
//   - a hard link made through Link becomes another place of the source
//     node; when the node's first name is unlinked or replaced, its next
//     name takes over, so the core's shared node (rule A2) keeps naming
//     the file;
//   - an open handle whose file was unlinked or replaced is marked gone:
//     after a reconnect it must not be reopened by a path that now names
//     nothing or something else;
//   - an open handle on a renamed file follows it.
//
// Locking: FS.handlesMu (the open-handle registry) is taken before
// FS.treeMu (every node's places and the linked set); neither is held
// across a round trip.

import "strings"

// addLink records that dir/name is another name of n (after Link).
func (fs *FS) addLink(n, dir *node, name string) {
	fs.treeMu.Lock()
	defer fs.treeMu.Unlock()
	n.links = append(n.links, place{parent: dir, name: name})
	fs.linked[n] = struct{}{}
}

// dropPlaceLocked removes the name at path from every hard-linked node;
// a node losing its first name moves to its next one. The caller holds
// FS.treeMu exclusively.
func (fs *FS) dropPlaceLocked(path string) {
	base := baseName(path)
	for n := range fs.linked {
		if n.name == base && pathLocked(n) == path {
			n.parent, n.name = n.links[0].parent, n.links[0].name
			n.links = n.links[1:]
		} else {
			for i, l := range n.links {
				if l.name == base && joinPath(pathLocked(l.parent), l.name) == path {
					n.links = append(n.links[:i:i], n.links[i+1:]...)
					break
				}
			}
		}
		if len(n.links) == 0 {
			delete(fs.linked, n)
		}
	}
}

// unlinked records that path was removed through this FS.
func (fs *FS) unlinked(path string) {
	fs.handlesMu.Lock()
	defer fs.handlesMu.Unlock()
	fs.treeMu.Lock()
	defer fs.treeMu.Unlock()
	fs.dropPlaceLocked(path)
	base := baseName(path)
	for fh := range fs.handles {
		if fh.node.name == base && pathLocked(fh.node) == path {
			fh.gone.Store(true) // keeps working until a reconnect
		}
	}
}

// renamed records a successful rename of oldPath to newDir/newName
// (newPath): whatever newPath named is gone; hard-link places and open
// handles at oldPath move (the core calls Moved for its own node too).
func (fs *FS) renamed(oldPath, newPath string, newDir *node, newName string) {
	fs.handlesMu.Lock()
	defer fs.handlesMu.Unlock()
	fs.treeMu.Lock()
	defer fs.treeMu.Unlock()
	fs.dropPlaceLocked(newPath)
	oldBase, newBase := baseName(oldPath), baseName(newPath)
	var moved []*node
	for fh := range fs.handles {
		if fh.node.name != oldBase && fh.node.name != newBase {
			continue // cheap filter before computing the path
		}
		switch pathLocked(fh.node) {
		case newPath:
			fh.gone.Store(true)
		case oldPath:
			moved = append(moved, fh.node)
		}
	}
	for n := range fs.linked {
		if n.name == oldBase && pathLocked(n) == oldPath {
			moved = append(moved, n)
			continue
		}
		for i, l := range n.links {
			if l.name == oldBase && joinPath(pathLocked(l.parent), l.name) == oldPath {
				n.links[i] = place{parent: newDir, name: newName}
			}
		}
	}
	for _, n := range moved {
		if n.parent != nil {
			n.parent, n.name = newDir, newName
		}
	}
}

// baseName is the last component of a server path.
func baseName(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }
