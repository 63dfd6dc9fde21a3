// Package vfs is the netvfs core: a pathname-lookup layer and dentry cache
// for network filesystem drivers, with the concurrency rules of the Linux VFS
// (see DESIGN.md for the numbered rules cited throughout as L1, O2, ...).
//
// A driver (package fs/memfs, fs/localfs, fs/sftpfs, ...) implements the
// contract in driver.go. New mounts it and returns an *FS whose path calls
// (OpenFile, Stat, Mkdir, Rename, ...) and "at" forms (relative to an
// *Inode) walk and cache names; FS.IOFS gives an io/fs.FS view.
//
// # Locks, in the order they nest
//
//  1. FS.renameMu   serialises cross-directory renames and A2 splices (D3).
//  2. name ownership (dentry.owner): not a mutex but a claim on one
//     (directory, name), taken in (dir id, name) order when an operation
//     needs two (rename). A claim holder may wait on nothing but renameMu
//     via TryLock (a splice) and the driver.
//  3. FS.idMu        guards FS.ids and every Inode.dentry binding of a
//     directory (A2), and Inode reference counts going to zero.
//  4. FS.seqMu       the writer side of FS.seq, the rename sequence counter
//     that cached walks check (L5, D3).
//  5. dirState.mu    guards the name claims of the directory's children, its
//     child count, its removal state and in-flight count (D1). Held only
//     for memory work, never across a driver call (L2). A directory's
//     mu may be taken while its parent's is held (ancestor first). It
//     also guards the directory's cached listing (rule C1).
//  6. hashTable.locks[i] guard bucket chains for writers; readers walk the
//     chains with atomic loads and no lock (L5).
//  7. lru.mu         the LRU lists (V4).
//  8. lists.mu       the LRU of cached directory listings (dircache.go);
//     taken under a dirState.mu, never with anything taken under it.
//  9. ahead.mu       the queue of directories to read ahead (readahead.go);
//     taken alone.
//
// checkMu (read side) is taken innermost around each change the invariant
// checker must not see half done; the checker takes it exclusively.
//
// Cached walks take none of these: they load atomic pointers, read FS.seq
// before and after, and fall back to the locked walk when it moved. The Go
// garbage collector plays the part of RCU: nothing is freed under a reader.
//
// # Complete directories (rule C1)
//
// A directory's complete listing, read from the driver or known from this
// client's own mkdir, is kept exact through this client's changes and
// answers listings until its deadline; while it is valid, a lookup of a
// name that has no dentry and is not listed is answered negative without
// the driver. Anything that casts doubt on the listing drops it. See
// dircache.go.
//
// # Read-ahead
//
// Listings are also read before anyone asks, to save a tree walk its
// round trips one after another: a directory's subdirectories when a
// caller is served its listing, and a directory whose names keep being
// looked up one by one. Both fill the caches as a caller's listing would,
// under the same rules, and never change an answer; Options.NoReadAhead
// turns them off. See readahead.go.
package vfs
