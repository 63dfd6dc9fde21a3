// Package fuse is the FUSE frontend of netvfs: it serves a mounted *vfs.FS to
// the kernel over /dev/fuse, so that every program on the machine sees the
// filesystem (DESIGN.md, Frontends).
//
// It implements go-fuse's RawFileSystem (the wire-level API) directly rather
// than go-fuse's node tree: the netvfs core is the one inode tree, and a FUSE
// node id is nothing but a name for a *vfs.Inode the kernel holds.
//
//   - Node ids (nodes.go) map to *vfs.Inode, one id per Inode, root = 1. Every
//     reply that hands the kernel an entry (LOOKUP, CREATE, MKDIR, MKNOD,
//     SYMLINK, LINK, READDIRPLUS) adds one to the id's lookup count; the first
//     reference pins the Inode (vfs.FS.Pin), FORGET and BATCH_FORGET take
//     the kernel's count off and the last one unpins it and retires the id.
//     Ids are never reused, so the generation number is constant.
//   - File handles (handles.go) map to *vfs.File; a directory handle also
//     keeps the snapshot of the listing that READDIR and READDIRPLUS serve
//     offsets from.
//   - CREATE is the core's atomic open (rule O1): OpenFileAt with O_CREAT on
//     the one name, so the kernel's create races with nothing in the core.
//   - READDIRPLUS hands out only entries the core has cached or primed (a
//     non-nil DirEntryPlus.Inode); other names are sent without a node id
//     and the kernel looks them up (rule L1 stays the core's business).
//   - Entry, attribute and negative timeouts come from the mount's
//     revalidation policy (rule V1); parallel directory operations and
//     readdirplus are negotiated with the kernel.
//   - Permissions are the kernel's to check (default_permissions, always on
//     with allow_other); the core does none. Callers' credentials reach drivers through vfs.WithCaller so
//     that new files get their owner.
//   - The kernel's INTERRUPT cancels the context of operations that change
//     nothing (lookups, getattr, reads, listings, opens without O_TRUNC,
//     xattr reads, statfs) when the caller is being killed: a process
//     killed while it waits for a stalled server gets out. Other signals
//     (a Go runtime's SIGURG, a shell's SIGCHLD) do not fail the call with
//     EINTR, as on the Linux NFS client. An operation that changes the filesystem is not
//     abandoned half way, as on an NFS "hard" mount (a signal cannot tell
//     whether it happened); the mount's vfs.Options.Timeout bounds it.
//
// Errors reach the kernel as the errno vfs.ErrnoOf finds in them.
//
// # Using a mount from the process that serves it
//
// System calls on the mount from the serving process are fine. Starting a
// child process with its working directory on the mount (os/exec Cmd.Dir)
// is not: the child's chdir runs while the parent thread waits in vfork,
// where the Go runtime cannot preempt it, so a garbage collection starting
// at that moment waits for it forever while the goroutines that would
// answer the chdir are stopped for that collection. Start the child
// elsewhere and let it change directory itself (sh -c 'cd DIR && ...').
package fuse
