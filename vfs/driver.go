package vfs

import (
	"context"
	"time"
)

// This file is the driver contract: everything a filesystem client (memfs,
// localfs, SFTP, NFSv4.1, 9P, CephFS) implements so that the core can walk,
// cache and open on it. A driver author needs nothing else.
//
// Who does what (rules L4, O2):
//   - The driver talks to its server and returns results: a Node and its
//     Attr, a Handle, or an error. It never caches names, never looks a name
//     up on its own behalf, and never decides what a failed atomic open falls
//     back to. The core installs every result in its dentry cache.
//   - The core serialises by name: for one (directory, name) at most one of
//     Lookup, AtomicOpen, Create, Mkdir, Mknod, Symlink, Link, Unlink, Rmdir
//     and Rename is in flight from this core at a time (rules L1, D1). Calls
//     on different names, even in one directory, may run concurrently, so a
//     driver must be safe for concurrent use.
//   - Every method honours ctx: when ctx is done the call returns promptly
//     (with ctx.Err() or an Errno wrapping it) and leaves no goroutine behind.
//
// Errors. A driver returns a syscall.Errno (possibly wrapped, e.g. with
// fmt.Errorf("...: %w", syscall.EIO)) so the core can map it; anything that
// is not an Errno reaches the user as EIO with the cause wrapped (rule E1).
// ENOENT from Lookup is an answer (a negative entry), not a failure. ESTALE
// means the Node no longer names a live object on the server (rule V3).
//
// Nodes. A Node is the driver's own reference to one file object: an NFS file
// handle, a 9P fid, an inode number, or (for path-based protocols such as
// SFTP) a record of where the object lives. The core treats it as opaque,
// keeps it while it caches the object, and hands it back on every call about
// that object. A driver must not assume the core calls anything when it
// forgets a Node: nodes are released to the garbage collector (drivers that
// hold server resources per node implement Forgetter).

// Node is a driver's reference to one file object. The core never looks
// inside it.
type Node any

// Driver is the interface every filesystem driver implements. Optional
// capabilities are separate interfaces discovered by type assertion:
// AtomicOpener, Walker, Revalidator, Xattrer, Mover, Forgetter, and on handles
// Allocator.
type Driver interface {
	// Root returns the node and attributes of the filesystem's root
	// directory. It is called once when the filesystem is mounted.
	Root(ctx context.Context) (Node, Attr, error)

	// Lookup resolves one name in directory dir. name is never "", "." or
	// "..", never contains '/' or NUL and is at most 255 bytes (the core
	// checks, rule P3). It returns ENOENT when the name does not exist and
	// ENOTDIR when dir is not a directory. A Lookup never follows a final
	// symlink: a symlink is returned as a symlink node.
	Lookup(ctx context.Context, dir Node, name string) (Node, Attr, error)

	// Getattr returns the current attributes of n, asking the server.
	Getattr(ctx context.Context, n Node) (Attr, error)

	// Setattr changes the attributes named in s.Valid and returns the
	// attributes after the change. A size change truncates or extends the
	// file (sparse).
	Setattr(ctx context.Context, n Node, s SetAttr) (Attr, error)

	// Readlink returns the target of symlink n; EINVAL if n is not one.
	Readlink(ctx context.Context, n Node) (string, error)

	// Open opens an existing node for I/O (flags: O_RDONLY, O_WRONLY or
	// O_RDWR, plus O_APPEND, O_TRUNC, O_SYNC; never O_CREAT or O_EXCL,
	// which reach the driver only through Create or AtomicOpen). The core has
	// already checked the file type: Open is called for non-directories only
	// (directories are listed with ReadDir and need no handle).
	Open(ctx context.Context, n Node, flags int) (Handle, error)

	// Create creates a regular file name in dir exclusively and opens it with
	// flags (access mode, O_APPEND, O_SYNC). It returns EEXIST if the name
	// exists in any form. The core calls it only when it holds the name
	// exclusively and believes the name to be absent.
	Create(ctx context.Context, dir Node, name string, flags int, mode uint32) (Node, Attr, Handle, error)

	// Mkdir creates directory name in dir with permission bits mode&0o7777.
	// EEXIST if the name exists.
	Mkdir(ctx context.Context, dir Node, name string, mode uint32) (Node, Attr, error)

	// Mknod creates a special file (mode carries the type: S_IFIFO, S_IFSOCK,
	// S_IFCHR, S_IFBLK; or S_IFREG for an empty regular file). Drivers whose
	// protocol cannot express a type return EPERM or ENOSYS.
	Mknod(ctx context.Context, dir Node, name string, mode uint32, rdev uint64) (Node, Attr, error)

	// Symlink creates symlink name in dir pointing at target (stored as is).
	Symlink(ctx context.Context, dir Node, name string, target string) (Node, Attr, error)

	// Link makes name in dir a new hard link to n and returns n's attributes
	// after the link (Nlink increased). EPERM if n is a directory; ENOSYS or
	// EPERM where the protocol has no hard links.
	Link(ctx context.Context, n Node, dir Node, name string) (Attr, error)

	// Unlink removes the non-directory name from dir; EISDIR if it is a
	// directory. Open handles to the file keep working (POSIX) where the
	// protocol allows.
	Unlink(ctx context.Context, dir Node, name string) error

	// Rmdir removes the empty directory name from dir: ENOTEMPTY if not
	// empty, ENOTDIR if not a directory.
	Rmdir(ctx context.Context, dir Node, name string) error

	// Rename moves oldName in oldDir to newName in newDir with Linux
	// renameat2 semantics. flags is 0, RenameNoReplace or RenameExchange;
	// a driver that cannot honour a flag atomically returns EINVAL. The core
	// has checked the cheap cases (same name, a directory into itself) but
	// the driver must still return the server's answer (EEXIST, ENOTEMPTY,
	// EISDIR, ENOTDIR, EXDEV, ENOENT) when the server state differs.
	Rename(ctx context.Context, oldDir Node, oldName string, newDir Node, newName string, flags uint32) error

	// ReadDir lists directory dir, calling fn once per entry (never "." or
	// ".."), in a stable order, until fn returns false or the listing ends.
	// When the protocol returns attributes with the listing (NFS READDIRPLUS,
	// SFTP READDIR, memfs) the driver fills DirEntry.Node and DirEntry.Attr
	// and sets DirEntry.HasAttr; the core may then prime its cache with them
	// (without breaking rule L1: it never overwrites an in-lookup entry).
	ReadDir(ctx context.Context, dir Node, fn func(DirEntry) bool) error

	// Statfs reports filesystem usage for the filesystem containing n.
	Statfs(ctx context.Context, n Node) (Statfs, error)
}

// Handle is an open file on the server: what OPEN returns in NFS and SFTP, an
// open fid in 9P, a file descriptor locally. The core serialises nothing on a
// handle: ReadAt and WriteAt may be called concurrently (like pread/pwrite).
type Handle interface {
	// ReadAt reads up to len(p) bytes at off. At end of file it returns the
	// bytes read and io.EOF (n may be 0).
	ReadAt(ctx context.Context, p []byte, off int64) (int, error)
	// WriteAt writes p at off and returns len(p) or an error. When the
	// handle was opened with O_APPEND the driver ignores off and appends.
	WriteAt(ctx context.Context, p []byte, off int64) (int, error)
	// Flush is called on every close of a user's file descriptor (and on
	// FUSE FLUSH): the driver sends buffered data and reports write errors.
	Flush(ctx context.Context) error
	// Fsync makes written data (and metadata unless datasync) durable.
	Fsync(ctx context.Context, datasync bool) error
	// Release closes the handle. It is called exactly once; no other call
	// on the handle follows it.
	Release(ctx context.Context) error
}

// Allocator is an optional Handle capability: fallocate(2). mode is the
// Linux fallocate mode (0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE|
// FALLOC_FL_KEEP_SIZE). Unsupported modes return EOPNOTSUPP.
type Allocator interface {
	Allocate(ctx context.Context, off, length int64, mode uint32) error
}

// OpenResult is what AtomicOpen returns: either an opened file (Handle != nil)
// or not (Handle == nil), see AtomicOpener.
type OpenResult struct {
	// Node and Attr describe the object the name refers to. Both are zero
	// (Node == nil) when the name does not exist.
	Node Node
	Attr Attr
	// Handle is non-nil when the driver opened the file.
	Handle Handle
	// Created reports that this very call created the file (rule O3). It
	// must be false when the file existed before the call.
	Created bool
}

// AtomicOpener is the optional atomic-open capability (rule O1): lookup,
// create and open in one round trip, as NFSv4 OPEN, SFTP OPEN with CREAT,
// 9P Tlcreate or openat(O_CREAT) do.
//
// The core calls AtomicOpen only while it holds (dir, name) exclusively, for
// a name it has not cached or has cached as negative. flags are open(2)
// flags: the access mode, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC. The
// driver must answer with exactly one of:
//
//   - opened: Handle != nil, with Node and Attr, Created set if and only if
//     this call created the file. With O_CREAT|O_EXCL the driver returns
//     EEXIST (an error) rather than opening an existing file.
//   - not opened, name found: Handle == nil, Node and Attr set. The driver
//     answers so whenever it cannot or should not open the object: it is a
//     directory, a symlink (which the core may have to follow), a special
//     file, or the protocol cannot open it in one step. The driver does NOT
//     fall back to anything (rule O2): the core completes the lookup on the
//     entry it holds and continues through its normal open path.
//   - not opened, name absent: Handle == nil, Node == nil, error nil; only
//     possible without O_CREAT. The core records a negative entry.
//
// Errors are real failures (EACCES, ENOTDIR, EEXIST with O_EXCL, EIO...).
type AtomicOpener interface {
	AtomicOpen(ctx context.Context, dir Node, name string, flags int, mode uint32) (OpenResult, error)
}

// WalkStep is one resolved component of a multi-name walk.
type WalkStep struct {
	Node Node
	Attr Attr
}

// Walker is the optional multi-name walk capability: resolve several
// components below dir in one round trip (NFSv4 COMPOUND with several
// LOOKUPs, 9P Twalk of up to 16 names). names are validated components (no
// "." or ".."); the core passes at most MaxWalk() of them, holding the first
// (dir, names[0]) in-lookup (rule L1). Results for the later names are
// installed only where the core has no entry for them yet, the way it primes
// from a readdirplus, so no name ever has two lookups installed.
//
// Walk returns one WalkStep per component it resolved, in order. It stops at
// the first component that is missing (then err is ENOENT and len(steps) is
// the index of the missing name), is not a directory where another name
// follows, or is a symlink (returned as a step; the core follows it). Any
// other error applies to component len(steps).
type Walker interface {
	MaxWalk() int
	Walk(ctx context.Context, dir Node, names []string) ([]WalkStep, error)
}

// Revalidator is an optional cheap validity check (rule V1). Given a cached
// node and the attributes the core cached, it reports whether the object is
// unchanged (for example by comparing an NFS change attribute or a 9P qid
// version), returning fresh attributes. changed=true makes the core drop
// what it cached below and look again.
type Revalidator interface {
	Revalidate(ctx context.Context, n Node, cached Attr) (fresh Attr, changed bool, err error)
}

// Xattrer is the optional extended-attribute capability. Missing attributes
// give ENODATA; ListXattr returns the names.
type Xattrer interface {
	GetXattr(ctx context.Context, n Node, name string) ([]byte, error)
	SetXattr(ctx context.Context, n Node, name string, value []byte, flags int) error
	ListXattr(ctx context.Context, n Node) ([]string, error)
	RemoveXattr(ctx context.Context, n Node, name string) error
}

// Mover is an optional capability for drivers whose Nodes record where an
// object lives (path-based protocols such as SFTP). After a successful
// Rename (and for RenameExchange, once per side) the core calls Moved with
// the node that now lives at (newDir, newName), while it still excludes
// both names. Drivers with server-side identities (file handles, fids,
// inode numbers) do not implement it.
type Mover interface {
	Moved(n Node, newDir Node, newName string)
}

// Forgetter is an optional capability for drivers that hold a server
// resource per Node (a 9P fid, a CephFS inode reference). The core calls
// Forget once when it drops its last reference to a node it got from
// Lookup, Walk, AtomicOpen, Create, Mkdir, Mknod, Symlink or ReadDir.
type Forgetter interface {
	Forget(n Node)
}

// DirEntry is one entry of a directory listing.
type DirEntry struct {
	Name string
	// Type is the file type bits (S_IFMT part of a mode, e.g. S_IFDIR),
	// 0 if unknown.
	Type uint32
	// Ino is the inode number, or 0 if unknown.
	Ino uint64
	// HasAttr reports that Node and Attr are set (readdirplus).
	HasAttr bool
	Node    Node
	Attr    Attr
}

// Attr holds the attributes of a file object. Times are nanoseconds since
// the Unix epoch (compact, so a cached entry stays small; see Attr.Mtime for
// the time.Time form).
type Attr struct {
	// Mode is the Unix mode: file type bits (S_IFREG, S_IFDIR, S_IFLNK,
	// S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK) and permission bits.
	Mode  uint32
	Nlink uint32
	Uid   uint32
	Gid   uint32
	// Ino is the inode number shown to users (0 if the protocol has none:
	// the core then makes one up).
	Ino    uint64
	Size   int64
	Blocks int64 // 512-byte blocks
	Rdev   uint64
	// AtimeNs, MtimeNs and CtimeNs are nanoseconds since the Unix epoch.
	AtimeNs int64
	MtimeNs int64
	CtimeNs int64
	// ID is the node identity (rule A1): an NFS file handle, a 9P qid path,
	// a (dev, ino) pair, as opaque bytes. Empty when the protocol has no
	// stable identity (SFTP): the core then never treats two names as one
	// object.
	ID string
	// Change is a change attribute (NFSv4 change, 9P qid version), or 0.
	// Revalidators use it.
	Change uint64
}

// SetAttr names attribute changes for Driver.Setattr.
type SetAttr struct {
	Valid   SetAttrMask
	Mode    uint32 // permission bits only
	Uid     uint32
	Gid     uint32
	Size    int64
	AtimeNs int64 // with SetAtime; SetAtimeNow overrides
	MtimeNs int64 // with SetMtime; SetMtimeNow overrides
	// Handle is the open handle the change came through (ftruncate,
	// fchmod), or nil. Drivers may use it (SFTP FSETSTAT).
	Handle Handle
}

// SetAttrMask says which SetAttr fields apply.
type SetAttrMask uint32

// SetAttr mask bits.
const (
	SetMode SetAttrMask = 1 << iota
	SetUid
	SetGid
	SetSize
	SetAtime
	SetMtime
	SetAtimeNow
	SetMtimeNow
)

// Rename flags (Linux renameat2).
const (
	RenameNoReplace uint32 = 1 << 0
	RenameExchange  uint32 = 1 << 1
)

// Statfs describes filesystem usage (statfs(2)).
type Statfs struct {
	Bsize   uint32
	Frsize  uint32
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	NameLen uint32
}

// File type bits of Attr.Mode (same values as Linux S_IF*).
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
)

// IsDir reports whether a is a directory.
func (a *Attr) IsDir() bool { return a.Mode&S_IFMT == S_IFDIR }

// IsSymlink reports whether a is a symbolic link.
func (a *Attr) IsSymlink() bool { return a.Mode&S_IFMT == S_IFLNK }

// IsRegular reports whether a is a regular file.
func (a *Attr) IsRegular() bool { return a.Mode&S_IFMT == S_IFREG }

// Atime returns the access time.
func (a *Attr) Atime() time.Time { return time.Unix(0, a.AtimeNs) }

// Mtime returns the modification time.
func (a *Attr) Mtime() time.Time { return time.Unix(0, a.MtimeNs) }

// Ctime returns the status-change time.
func (a *Attr) Ctime() time.Time { return time.Unix(0, a.CtimeNs) }

// Caller identifies who a driver call is made for: the FUSE frontend sets it
// from the request so that a driver creating files can give them the
// caller's owner. Drivers read it with CallerFrom.
type Caller struct {
	Uid, Gid uint32
	Pid      uint32
}

type callerKey struct{}

// WithCaller returns a context carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller carried by ctx, if any.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}
