package memfs

// This file defines the inode (the object a vfs.Node points at), its
// directory entries, how attributes are read out of it, and its life cycle:
// an inode dies when its link count is zero and no handle has it open, or
// when Remote.Replace kills it. Namespace fields are guarded by FS.mu,
// attribute and data fields by inode.mu (see the field comments).

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/netvfs/netvfs/vfs"
)

// Mode bits beyond the file type and rwx bits.
const (
	modeSetuid = 0o4000
	modeSetgid = 0o2000
	modeXGroup = 0o0010
	permMask   = 0o7777
)

// direntSize is tmpfs's BOGO_DIRENT_SIZE: a directory's size is this many
// bytes per entry, counting "." and "..".
const direntSize = 20

// relatimeWindow is the age after which relatime updates atime anyway.
const relatimeWindow = 24 * 60 * 60 * 1e9

type inode struct {
	fs *FS
	// Immutable after creation.
	ino      uint64
	id       string // Attr.ID: ino as 8 big-endian bytes, "" with NoIdentity
	fileType uint32 // S_IFMT bits
	rdev     uint64 // character and block devices only
	target   string // symlinks only

	// Guarded by FS.mu.
	nlink  uint32
	parent *inode   // directories: the directory holding it (root: itself)
	dir    *dirents // directories: the entries

	// openCount counts handles not yet released. It is incremented with
	// FS.mu held for reading and decremented with FS.mu held for writing,
	// so a writer of FS.mu sees a stable value.
	openCount atomic.Int32
	// dead is set (with FS.mu held for writing) when the inode is gone; it
	// is read without locks by handles.
	dead atomic.Bool

	// mu guards everything below.
	mu                  sync.RWMutex
	perm                uint32 // mode & 07777
	uid, gid            uint32
	atime, mtime, ctime int64
	change              uint64 // bumped with every ctime update (rule V1)
	size                int64
	chunks              map[int64]*chunk // regular files: chunk index -> data
	xattrs              map[string][]byte
}

// newInodeLocked makes a fresh inode with link count 0. Caller holds m.mu for
// writing (or is New).
func (m *FS) newInodeLocked(mode, uid, gid uint32, now int64) *inode {
	ino := &inode{
		fs:       m,
		ino:      m.nextIno,
		fileType: mode & vfs.S_IFMT,
		perm:     mode & permMask,
		uid:      uid,
		gid:      gid,
		atime:    now,
		mtime:    now,
		ctime:    now,
		change:   1,
	}
	m.nextIno++
	m.inodes++
	if !m.opts.NoIdentity {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], ino.ino)
		ino.id = string(b[:])
	}
	if ino.fileType == vfs.S_IFDIR {
		ino.dir = newDirents()
	}
	return ino
}

// attrLocked returns the attributes of ino. Caller holds m.mu (read or
// write) and not ino.mu.
func (m *FS) attrLocked(ino *inode) vfs.Attr {
	ino.mu.RLock()
	a := vfs.Attr{
		Mode:    ino.fileType | ino.perm,
		Nlink:   ino.nlink,
		Uid:     ino.uid,
		Gid:     ino.gid,
		Ino:     ino.ino,
		Size:    ino.size,
		Blocks:  int64(len(ino.chunks)) * (chunkSize / 512),
		Rdev:    ino.rdev,
		AtimeNs: ino.atime,
		MtimeNs: ino.mtime,
		CtimeNs: ino.ctime,
		ID:      ino.id,
		Change:  ino.change,
	}
	ino.mu.RUnlock()
	if ino.dir != nil {
		a.Size = int64(direntSize * (2 + ino.dir.count()))
	}
	return a
}

// isDir reports whether ino is a directory (immutable, no lock needed).
func (ino *inode) isDir() bool { return ino.fileType == vfs.S_IFDIR }

// touch records a change of ino: ctime (and mtime when data or entries
// changed) become now and the change counter moves. Caller does not hold
// ino.mu.
func (ino *inode) touch(now int64, mtime bool) {
	ino.mu.Lock()
	ino.touchLocked(now, mtime)
	ino.mu.Unlock()
}

// touchLocked is touch with ino.mu held for writing.
func (ino *inode) touchLocked(now int64, mtime bool) {
	ino.ctime = now
	if mtime {
		ino.mtime = now
	}
	ino.change++
}

// touchAtime updates atime with Linux's default relatime rule: only when the
// atime is not newer than mtime or ctime, or older than a day. Atime is not
// a change: the change counter stays. Caller does not hold ino.mu.
func (ino *inode) touchAtime(now int64) {
	ino.mu.RLock()
	need := ino.needsAtimeLocked(now)
	ino.mu.RUnlock()
	if need {
		ino.mu.Lock()
		if ino.needsAtimeLocked(now) {
			ino.atime = now
		}
		ino.mu.Unlock()
	}
}

func (ino *inode) needsAtimeLocked(now int64) bool {
	return ino.atime <= ino.mtime || ino.atime <= ino.ctime || now-ino.atime >= relatimeWindow
}

// removedLocked reports whether directory ino has been removed while still
// open: it then has no entries and accepts none (Linux IS_DEADDIR: ENOENT).
// Caller holds m.mu.
func (ino *inode) removedLocked() bool { return ino.nlink == 0 }

// maybeDieLocked kills ino if nothing keeps it alive any more: no name and
// no open handle. Caller holds m.mu for writing.
func (m *FS) maybeDieLocked(ino *inode) {
	if ino.nlink == 0 && ino.openCount.Load() == 0 {
		m.killLocked(ino)
	}
}

// killLocked makes ino gone: every later call on its node is ESTALE and its
// data is freed. Caller holds m.mu for writing.
func (m *FS) killLocked(ino *inode) {
	if ino.dead.Swap(true) {
		return
	}
	m.inodes--
	ino.mu.Lock()
	m.unreserve(int64(len(ino.chunks)) * chunkSize)
	for _, c := range ino.chunks {
		freeChunk(c)
	}
	ino.chunks = nil
	ino.mu.Unlock()
}

// dirent is one name in a directory; ino == nil marks a removed slot.
type dirent struct {
	name string
	ino  *inode
}

// dirents holds a directory's entries in creation order (ReadDir's stable
// order). Removal leaves a hole that compaction reclaims once holes
// outnumber entries. Guarded by FS.mu.
type dirents struct {
	index map[string]int // name -> position in list
	list  []dirent
	holes int
}

func newDirents() *dirents { return &dirents{index: make(map[string]int)} }

func (d *dirents) count() int { return len(d.index) }

func (d *dirents) get(name string) *inode {
	if i, ok := d.index[name]; ok {
		return d.list[i].ino
	}
	return nil
}

// add appends a new name; the caller checked it is absent.
func (d *dirents) add(name string, ino *inode) {
	d.index[name] = len(d.list)
	d.list = append(d.list, dirent{name: name, ino: ino})
}

// set points an existing name at another inode, keeping its position.
func (d *dirents) set(name string, ino *inode) { d.list[d.index[name]].ino = ino }

func (d *dirents) remove(name string) {
	i, ok := d.index[name]
	if !ok {
		return
	}
	delete(d.index, name)
	d.list[i] = dirent{}
	d.holes++
	if d.holes > 16 && d.holes > len(d.index) {
		d.compact()
	}
}

func (d *dirents) compact() {
	live := make([]dirent, 0, len(d.index))
	for _, e := range d.list {
		if e.ino != nil {
			d.index[e.name] = len(live)
			live = append(live, e)
		}
	}
	d.list = live
	d.holes = 0
}

// each calls fn for every entry in order until fn returns false.
func (d *dirents) each(fn func(name string, ino *inode) bool) {
	for _, e := range d.list {
		if e.ino != nil && !fn(e.name, e.ino) {
			return
		}
	}
}
