// Package memfs is the reference in-memory driver of netvfs: a complete POSIX
// filesystem that lives in the process and answers every call of the driver
// contract (vfs/driver.go) with exactly the results and errnos Linux (tmpfs,
// ext4) gives for the same operation.
//
// It is the driver the core's tests and benchmarks run on, so besides being a
// filesystem it is a test bench:
//
//   - Options hide optional capabilities (FS.Driver returns a value whose
//     type assertions to vfs.AtomicOpener, vfs.Walker, vfs.Revalidator and
//     vfs.Xattrer fail as configured) and drop identities (Options.NoIdentity,
//     rule A1) to emulate protocols that lack them.
//   - FS.SetLatency injects a per-operation delay, slept before any lock is
//     taken so that parallel calls overlap as they would on a network
//     (rule L2); FS.Calls and FS.OnCall count and observe calls;
//     FS.InjectFault makes the next calls fail with a chosen error.
//   - FS.Remote is a second client that changes the tree behind the core's
//     back; Remote.Replace gives a path a new inode so that the core's node
//     goes stale (ESTALE, rule V3).
//
// # Objects and identity
//
// A vfs.Node from memfs is an *inode (opaque to the core). Attr.Ino is the
// inode number, Attr.ID its 8-byte big-endian encoding (rule A1) and
// Attr.Change a per-inode change counter bumped whenever the ctime is, which
// Revalidate compares (rule V1). An inode lives until its link count is zero
// and no handle has it open; a call on a Node whose inode is gone (or was
// replaced through Remote.Replace) returns ESTALE.
//
// # Locks, in the order they nest
//
//  1. FS.mu (sync.RWMutex) guards the namespace: directory entries, link
//     counts, directory parent pointers, the inode count, and the moment an
//     inode dies. Read-locked by calls that only look (Lookup, Getattr,
//     Setattr, Open), write-locked by calls that change names.
//  2. inode.mu (sync.RWMutex), one per inode, guards that inode's attributes
//     and data: permission bits, owner, times, change counter, size, data
//     chunks and xattrs. File I/O through a handle takes only this lock, so
//     reads and writes of different files never contend, and data moves
//     without the namespace lock.
//
// A goroutine holds at most one inode.mu at a time. Injected latency is slept
// before either lock is taken.
package memfs
