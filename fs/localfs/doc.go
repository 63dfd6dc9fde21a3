// Package localfs is a netvfs driver (vfs.Driver) over a local directory:
// the "server" is the local kernel. It backs `netvfs mount local:/path DIR`
// and is the second real driver the conformance suite runs against.
//
// # Confinement
//
// The driver can never be made to act outside its root directory (rule P2).
// It keeps one O_PATH descriptor of the root and reaches everything else
// from it with openat2(2) under RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS,
// RESOLVE_NO_MAGICLINKS and RESOLVE_NO_XDEV, then works on the final name
// with the *at system calls (fstatat/statx with AT_SYMLINK_NOFOLLOW, openat
// with O_NOFOLLOW, mkdirat, renameat2, ...). No path is ever checked by
// string prefix. A symlink or mount point that someone plants in the middle
// of a node's path makes the call fail; it is never followed. Directory
// descriptors are opened per call and closed before it returns, never
// cached: a cached descriptor would follow a directory that someone moved
// out of the root.
//
// # Nodes
//
// Nodes are path based: a node records the places its object is known at
// (parent node + name; the core reports its renames through vfs.Mover) and
// the identity it had when it was found. Every call resolves a place afresh
// and compares (dev, ino), file type and birth time; when no place leads to
// the object any more the call fails with ESTALE (rule V3). Attr.ID is
// (dev, ino) as 16 bytes (rule A1). The driver keeps one node per live
// object (a table of weak references): every name of a hard-linked file
// gives the same node, which stays reachable while any name it was found
// by (or linked to) through the driver is, and a directory found at a new
// place moves its node and the nodes below it.
// A node with an open handle stays usable for Getattr, Setattr, Open and
// xattrs after its names are gone, as a local file descriptor does.
//
// Mount points below the root are not crossed (like an NFS export without
// crossmnt): Lookup of a mount point answers EXDEV and ReadDir lists it
// without attributes.
//
// # Requirements
//
// Linux 5.6 or newer (openat2; mount points are recognised by Lookup from
// 5.8 on, earlier they only turn stale) and /proc mounted: chmod,
// utimensat, xattr calls, hard links and re-opens go through
// /proc/self/fd/N of a verified O_PATH descriptor, so that they act on
// exactly the object that was checked, even for a non-root user. New fails
// when openat2 or /proc is missing.
//
// Errors are the kernel's own errno values (syscall.Errno).
package localfs
