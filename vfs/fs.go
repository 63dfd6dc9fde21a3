package vfs

// FS: one mounted filesystem (a driver plus its dentry cache), its options
// and the revalidation policy (rule V1).

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Policy is a revalidation policy (rule V1).
type Policy int

const (
	// PolicyTTL trusts cached names and attributes for Options.TTL
	// (negative names for Options.NegativeTTL).
	PolicyTTL Policy = iota
	// PolicyCloseToOpen is PolicyTTL plus a fresh getattr on every open of
	// a file, as the Linux NFS client does.
	PolicyCloseToOpen
	// PolicyExclusive trusts the cache until this client changes it: for a
	// filesystem nobody else writes.
	PolicyExclusive
)

// Options configure a mount. The zero value is usable.
type Options struct {
	Policy Policy
	// TTL, when set, is how long names and attributes are trusted, one
	// fixed time for every file. Unset, the attribute cache adapts as the
	// Linux NFS client's does: a file's attributes are trusted for AcRegMin
	// at first, twice as long each time the server shows them unchanged, up
	// to AcRegMax, and AcRegMin again after a change (AcDir* for
	// directories); names are trusted for AcDirMin.
	TTL time.Duration
	// NegativeTTL is how long a missing name is trusted; default TTL, or
	// AcRegMin when TTL is unset.
	NegativeTTL time.Duration
	// The adaptive attribute cache's bounds (NFS's acregmin, acregmax,
	// acdirmin, acdirmax); defaults 3s, 60s, 30s, 60s.
	AcRegMin, AcRegMax, AcDirMin, AcDirMax time.Duration
	// MaxDentries bounds the cached names (V4); default 1<<17.
	MaxDentries int
	// MaxNegative bounds the negative names; default MaxDentries/4.
	MaxNegative int
	// Timeout bounds every driver call made for one operation; default 60s.
	Timeout time.Duration
	// CheckInvariants runs the invariant checker after every operation
	// (tests); a violation panics.
	CheckInvariants bool
	// NoWalk disables the driver's multi-name walk (for measurements).
	NoWalk bool
	// NoReadAhead disables the read-ahead heuristics (for measurements):
	// background listings of the subdirectories of a directory listed,
	// and a directory listed instead of looked up name by name
	// (readahead.go).
	NoReadAhead bool
}

// FS is a mounted filesystem. All methods are safe for concurrent use.
type FS struct {
	drv    Driver
	ao     AtomicOpener
	walker Walker
	reval  Revalidator
	xattr  Xattrer
	mover  Mover
	forget Forgetter

	opts  Options
	epoch time.Time
	root  *dentry
	hash  *hashTable

	seq   atomic.Uint64 // rename sequence counter: odd while names move (L5)
	seqMu sync.Mutex

	renameMu sync.Mutex // cross-directory renames and splices (D3, A2)

	staleEpoch atomic.Uint32 // bumped on every ESTALE retry; stamps installs (V3)

	// renStarted and renFinished count renames on the wire, for drivers
	// whose nodes are paths (see lookupOwned).
	renStarted, renFinished atomic.Uint64

	idMu  sync.Mutex
	ids   map[string]*Inode // identities of directories and hard-linked files (A2)
	dirID atomic.Uint64
	ino   atomic.Uint64 // made-up inode numbers for drivers without them

	lru   lru
	lists dirCache  // cached directory listings (dircache.go, rule C1)
	ahead readAhead // subdirectories to list in the background (readahead.go)

	checkMu sync.RWMutex // stop-the-world for the invariant checker
}

// New mounts drv. opts may be nil.
func New(ctx context.Context, drv Driver, opts *Options) (*FS, error) {
	f := &FS{drv: drv, epoch: time.Now(), ids: make(map[string]*Inode)}
	if opts != nil {
		f.opts = *opts
	}
	o := &f.opts
	o.TTL = max(o.TTL, 0)
	if o.TTL > 0 { // one fixed time for all
		o.AcRegMin, o.AcRegMax, o.AcDirMin, o.AcDirMax = o.TTL, o.TTL, o.TTL, o.TTL
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.AcRegMin, 3*time.Second)
	def(&o.AcRegMax, 60*time.Second)
	def(&o.AcDirMin, 30*time.Second)
	def(&o.AcDirMax, 60*time.Second)
	o.AcRegMax = max(o.AcRegMax, o.AcRegMin)
	o.AcDirMax = max(o.AcDirMax, o.AcDirMin)
	def(&o.NegativeTTL, o.AcRegMin)
	if o.MaxDentries <= 0 {
		o.MaxDentries = 1 << 17
	}
	if o.MaxNegative <= 0 {
		o.MaxNegative = o.MaxDentries / 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	f.ao, _ = drv.(AtomicOpener)
	if !o.NoWalk {
		f.walker, _ = drv.(Walker)
	}
	f.reval, _ = drv.(Revalidator)
	f.xattr, _ = drv.(Xattrer)
	f.mover, _ = drv.(Mover)
	f.forget, _ = drv.(Forgetter)
	f.hash = newHashTable(o.MaxDentries)
	f.lru.init()

	ctx, cancel := f.callCtx(ctx)
	defer cancel()
	n, a, err := drv.Root(ctx)
	if err != nil {
		return nil, pathErr("mount", "/", err)
	}
	if !a.IsDir() {
		return nil, pathErr("mount", "/", syscall.ENOTDIR)
	}
	ino := f.newInode(n, a)
	ino.refs.Add(1) // the root is never forgotten
	f.root = &dentry{name: "/"}
	f.root.inode.Store(ino)
	f.root.state.Store(statePositive)
	f.root.deadline.Store(math.MaxInt64)
	ino.dentry.Store(f.root)
	if a.ID != "" {
		f.ids[a.ID] = ino
	}
	return f, nil
}

// Driver returns the mounted driver.
func (f *FS) Driver() Driver { return f.drv }

// Root returns the root directory's inode.
func (f *FS) Root() *Inode { return f.root.inode.Load() }

// HasXattrs reports whether the driver has extended attributes at all.
func (f *FS) HasXattrs() bool { return f.xattr != nil }

// Options returns the mount's options (defaults filled in).
func (f *FS) Options() Options { return f.opts }

// now is the FS clock: monotonic nanoseconds since mount.
func (f *FS) now() int64 { return int64(time.Since(f.epoch)) }

// callCtx bounds one operation's driver calls by Options.Timeout.
func (f *FS) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, f.opts.Timeout)
}

// entryDeadline is when a name installed now stops being trusted: names
// live as long as their directory's attributes at first do (NFS revalidates
// a name with its directory), missing names for NegativeTTL.
func (f *FS) entryDeadline(negative bool) int64 {
	switch {
	case f.opts.Policy == PolicyExclusive:
		return math.MaxInt64
	case negative:
		return f.now() + int64(f.opts.NegativeTTL)
	}
	return f.now() + int64(f.opts.AcDirMin)
}

// attrTimeoutBounds are the adaptive attribute cache's bounds for a's type.
func (f *FS) attrTimeoutBounds(a *Attr) (lo, hi time.Duration) {
	if a.IsDir() {
		return f.opts.AcDirMin, f.opts.AcDirMax
	}
	return f.opts.AcRegMin, f.opts.AcRegMax
}

// trustAttr starts ino's attribute validity now. Attributes the server
// shows unchanged since the last look are trusted twice as long as last
// time, up to the maximum; changed ones for the minimum again (rule V1,
// the NFS client's attribute cache timeouts).
func (f *FS) trustAttr(ino *Inode, old, a *Attr) {
	if f.opts.Policy == PolicyExclusive {
		ino.fetched.Store(f.now())
		ino.adl.Store(math.MaxInt64)
		return
	}
	lo, hi := f.attrTimeoutBounds(a)
	t := lo
	if old != nil && sameAttr(old, a) {
		t = min(max(time.Duration(ino.ato.Load())*2, lo), hi)
	}
	now := f.now()
	ino.ato.Store(int64(t))
	ino.fetched.Store(now)
	ino.adl.Store(now + int64(t))
}

// sameAttr reports whether nothing a cache cares about changed.
func sameAttr(a, b *Attr) bool {
	return a.Size == b.Size && a.MtimeNs == b.MtimeNs && a.CtimeNs == b.CtimeNs &&
		a.Mode == b.Mode && a.Uid == b.Uid && a.Gid == b.Gid && a.Nlink == b.Nlink && a.ID == b.ID
}

// AttrTimeout is how much longer ino's cached attributes are trusted (for
// a frontend's own caches, such as the kernel's attribute timeout).
func (f *FS) AttrTimeout(ino *Inode) time.Duration {
	return time.Duration(max(ino.adl.Load()-f.now(), 0))
}

// newInode makes an inode for a node the driver returned.
func (f *FS) newInode(n Node, a Attr) *Inode {
	ino := &Inode{node: n}
	if a.Ino == 0 {
		a.Ino = f.ino.Add(1)
	}
	ino.attr.Store(&a)
	f.trustAttr(ino, nil, &a)
	if a.IsDir() {
		ino.dir = &dirState{id: f.dirID.Add(1), inode: ino}
	}
	return ino
}

// setAttr caches fresh attributes for ino. The inode number of a driver
// without one stays the one the core made up.
func (f *FS) setAttr(ino *Inode, a Attr) {
	if a.Ino == 0 {
		a.Ino = ino.attr.Load().Ino
	}
	old := ino.attr.Swap(&a)
	f.trustAttr(ino, old, &a)
}

// dirChanged records that this client just changed a name in directory
// dir. The protocols give no directory attributes with the reply (SFTP;
// NFS's wcc data would), and asking again would cost a round trip on every
// change, as the kernel rechecks the directory after each (the permission
// check of the next unlink in an rm -rf): so attributes still trusted stay
// trusted, with the modification and change times moved to now as the
// server's will have. The next revalidation brings the server's own.
// subdirs is the change in its number of subdirectories, which a driver
// with link counts (nlink 2 and up for a directory) shows in its nlink.
func (f *FS) dirChanged(dir *Inode, subdirs int) {
	if dir.adl.Load() <= f.now() {
		return
	}
	a := *dir.attr.Load()
	a.MtimeNs = time.Now().UnixNano()
	a.CtimeNs = a.MtimeNs
	if a.Nlink >= 2 && int(a.Nlink)+subdirs >= 2 {
		a.Nlink = uint32(int(a.Nlink) + subdirs)
	}
	dir.attr.Store(&a)
}

// expireAttr makes the next getattr ask the driver.
func (f *FS) expireAttr(ino *Inode) { ino.adl.Store(0) }

// unrefInode drops one reference; the last one forgets the inode.
func (f *FS) unrefInode(ino *Inode) {
	if ino.refs.Add(-1) != 0 {
		return
	}
	f.idMu.Lock()
	// Dead from here, unless a lookup found it by identity and referenced
	// it meanwhile (under idMu), or another unref to zero after that
	// revival forgot it already.
	if !ino.refs.CompareAndSwap(0, refsDead) {
		f.idMu.Unlock()
		return
	}
	if id := ino.attr.Load().ID; id != "" && f.ids[id] == ino {
		delete(f.ids, id)
	}
	f.idMu.Unlock()
	if f.forget != nil {
		f.forget.Forget(ino.node)
	}
}
