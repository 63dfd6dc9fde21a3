package vfs

// File: an open file or directory of a mounted filesystem, with the io
// interfaces of *os.File. The offset is guarded by mu; ReadAt and WriteAt
// do not touch it and run concurrently. A File holds its inode open (D2):
// the object outlives an unlink until the last Close.

import (
	"context"
	"io"
	"io/fs"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
)

// File is an open file. Methods without a context use the mount's timeout;
// the *Context forms take one.
type File struct {
	fsys    *FS
	ino     *Inode
	h       Handle // nil for directories
	flags   int
	created bool
	closed  atomic.Bool

	mu      sync.Mutex // guards off and dir
	off     int64
	dir     []DirEntryPlus // directory listing being read by ReadDir(n)
	dirRead bool
}

func (f *FS) newFile(ino *Inode, h Handle, flags int, created bool) *File {
	ino.users.Add(1)
	ino.refs.Add(1)
	return &File{fsys: f, ino: ino, h: h, flags: flags, created: created}
}

// Inode returns the file's inode (for "at" calls relative to a directory).
func (fl *File) Inode() *Inode { return fl.ino }

// Handle returns the driver handle (nil for a directory).
func (fl *File) Handle() Handle { return fl.h }

// Created reports whether the open that returned fl created the file (O3).
func (fl *File) Created() bool { return fl.created }

// Name returns the file's current name (the last component), if known.
func (fl *File) Name() string {
	if d := fl.ino.dentry.Load(); d != nil {
		return d.name
	}
	return ""
}

func (fl *File) ctx() (context.Context, context.CancelFunc) {
	return fl.fsys.callCtx(context.Background())
}

func (fl *File) check(op string, write bool) error {
	if fl.closed.Load() {
		return pathErr(op, fl.Name(), fs.ErrClosed)
	}
	if fl.h == nil {
		return pathErr(op, fl.Name(), syscall.EISDIR)
	}
	acc := fl.flags & syscall.O_ACCMODE
	if write && acc == syscall.O_RDONLY || !write && acc == syscall.O_WRONLY {
		return pathErr(op, fl.Name(), syscall.EBADF)
	}
	return nil
}

// ReadAtContext reads len(p) bytes at off (io.ReaderAt semantics).
func (fl *File) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if err := fl.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", fl.Name(), syscall.EINVAL)
	}
	n := 0
	for n < len(p) {
		m, err := fl.h.ReadAt(ctx, p[n:], off+int64(n))
		n += m
		if err == io.EOF {
			return n, io.EOF
		}
		if err != nil {
			return n, pathErr("read", fl.Name(), err)
		}
		if m == 0 {
			return n, io.EOF
		}
	}
	return n, nil
}

// WriteAtContext writes p at off.
func (fl *File) WriteAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if err := fl.check("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("write", fl.Name(), syscall.EINVAL)
	}
	n, err := fl.h.WriteAt(ctx, p, off)
	fl.fsys.expireAttr(fl.ino)
	if err != nil {
		return n, pathErr("write", fl.Name(), err)
	}
	return n, nil
}

// ReadAt implements io.ReaderAt.
func (fl *File) ReadAt(p []byte, off int64) (int, error) {
	ctx, cancel := fl.ctx()
	defer cancel()
	return fl.ReadAtContext(ctx, p, off)
}

// WriteAt implements io.WriterAt. Like os.File, it refuses O_APPEND files.
func (fl *File) WriteAt(p []byte, off int64) (int, error) {
	if fl.flags&syscall.O_APPEND != 0 {
		return 0, pathErr("writeat", fl.Name(), syscall.EINVAL)
	}
	ctx, cancel := fl.ctx()
	defer cancel()
	return fl.WriteAtContext(ctx, p, off)
}

// Read implements io.Reader.
func (fl *File) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	ctx, cancel := fl.ctx()
	defer cancel()
	if err := fl.check("read", false); err != nil {
		return 0, err
	}
	m, err := fl.h.ReadAt(ctx, p, fl.off)
	fl.off += int64(m)
	if err != nil && err != io.EOF {
		return m, pathErr("read", fl.Name(), err)
	}
	if m == 0 {
		return 0, io.EOF
	}
	return m, nil
}

// Write implements io.Writer; with O_APPEND every write goes to the end.
func (fl *File) Write(p []byte) (int, error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	ctx, cancel := fl.ctx()
	defer cancel()
	n, err := fl.WriteAtContext(ctx, p, fl.off)
	if fl.flags&syscall.O_APPEND != 0 {
		if a, gerr := fl.fsys.getattr(ctx, fl.ino, true); gerr == nil {
			fl.off = a.Size
		}
	} else {
		fl.off += int64(n)
	}
	return n, err
}

// Seek implements io.Seeker.
func (fl *File) Seek(offset int64, whence int) (int64, error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.closed.Load() {
		return 0, pathErr("seek", fl.Name(), fs.ErrClosed)
	}
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = fl.off
	case io.SeekEnd:
		ctx, cancel := fl.ctx()
		defer cancel()
		a, err := fl.fsys.getattr(ctx, fl.ino, true)
		if err != nil {
			return 0, pathErr("seek", fl.Name(), err)
		}
		base = a.Size
	default:
		return 0, pathErr("seek", fl.Name(), syscall.EINVAL)
	}
	if base+offset < 0 {
		return 0, pathErr("seek", fl.Name(), syscall.EINVAL)
	}
	fl.off = base + offset
	if fl.h == nil && fl.off == 0 {
		fl.dir, fl.dirRead = nil, false // rewinddir
	}
	return fl.off, nil
}

// Stat returns the file's attributes, fresh from the driver.
func (fl *File) Stat() (fs.FileInfo, error) {
	ctx, cancel := fl.ctx()
	defer cancel()
	a, err := fl.fsys.getattr(ctx, fl.ino, true)
	if err != nil {
		return nil, pathErr("stat", fl.Name(), err)
	}
	return newFileInfo(fl.Name(), a), nil
}

// Sync commits the file's data (fsync).
func (fl *File) Sync() error {
	ctx, cancel := fl.ctx()
	defer cancel()
	return fl.SyncContext(ctx, false)
}

// SyncContext is fsync (datasync: fdatasync).
func (fl *File) SyncContext(ctx context.Context, datasync bool) error {
	if fl.closed.Load() {
		return pathErr("sync", fl.Name(), fs.ErrClosed)
	}
	if fl.h == nil {
		return nil
	}
	return pathErr("sync", fl.Name(), fl.h.Fsync(ctx, datasync))
}

// FlushContext sends buffered writes (FUSE FLUSH, close(2)).
func (fl *File) FlushContext(ctx context.Context) error {
	if fl.h == nil || fl.closed.Load() {
		return nil
	}
	return pathErr("flush", fl.Name(), fl.h.Flush(ctx))
}

// Truncate changes the file's size through this handle.
func (fl *File) Truncate(size int64) error {
	ctx, cancel := fl.ctx()
	defer cancel()
	if err := fl.check("truncate", true); err != nil {
		if isErrno(err, syscall.EBADF) {
			return pathErr("truncate", fl.Name(), syscall.EINVAL) // ftruncate(2)
		}
		return err
	}
	_, err := fl.fsys.setattr(ctx, fl.ino, SetAttr{Valid: SetSize, Size: size, Handle: fl.h})
	return pathErr("truncate", fl.Name(), err)
}

// Allocate is fallocate(2) on the file.
func (fl *File) Allocate(ctx context.Context, off, length int64, mode uint32) error {
	if err := fl.check("fallocate", true); err != nil {
		return err
	}
	a, ok := fl.h.(Allocator)
	if !ok {
		return pathErr("fallocate", fl.Name(), syscall.EOPNOTSUPP)
	}
	err := a.Allocate(ctx, off, length, mode)
	fl.fsys.expireAttr(fl.ino)
	return pathErr("fallocate", fl.Name(), err)
}

// Close flushes and releases the file. A second Close returns fs.ErrClosed.
func (fl *File) Close() error {
	ctx, cancel := fl.ctx()
	defer cancel()
	return fl.CloseContext(ctx, true)
}

// CloseContext releases the file; with flush it flushes first (FUSE sends
// FLUSH and RELEASE separately and passes flush=false).
func (fl *File) CloseContext(ctx context.Context, flush bool) error {
	if !fl.closed.CompareAndSwap(false, true) {
		return pathErr("close", fl.Name(), fs.ErrClosed)
	}
	var err error
	if fl.h != nil {
		if flush {
			err = fl.h.Flush(ctx)
		}
		if rerr := fl.h.Release(ctx); err == nil {
			err = rerr
		}
		fl.fsys.expireAttr(fl.ino)
	}
	fl.ino.users.Add(-1)
	fl.fsys.unrefInode(fl.ino)
	return pathErr("close", fl.Name(), err)
}

// ReadDir reads the directory's entries like os.File.ReadDir: n > 0 returns
// at most n (io.EOF at the end), n <= 0 returns all that are left, sorted.
func (fl *File) ReadDir(n int) ([]fs.DirEntry, error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.closed.Load() {
		return nil, pathErr("readdir", fl.Name(), fs.ErrClosed)
	}
	if fl.ino.dir == nil {
		return nil, pathErr("readdir", fl.Name(), syscall.ENOTDIR)
	}
	if !fl.dirRead {
		ctx, cancel := fl.ctx()
		ents, err := fl.fsys.listDir(ctx, fl.ino, false) // Info() gets what is not cached
		cancel()
		if err != nil {
			return nil, pathErr("readdir", fl.Name(), err)
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
		fl.dir, fl.dirRead = ents, true
	}
	k := len(fl.dir)
	if n > 0 && n < k {
		k = n
	}
	out := make([]fs.DirEntry, k)
	for i := range out {
		out[i] = dirEntry{fl.dir[i], fl}
	}
	fl.dir = fl.dir[k:]
	if n > 0 && k == 0 {
		return out, io.EOF
	}
	return out, nil
}

// ReadDirPlus lists the directory with attributes (FUSE READDIRPLUS).
func (fl *File) ReadDirPlus(ctx context.Context) ([]DirEntryPlus, error) {
	if fl.ino.dir == nil {
		return nil, pathErr("readdir", fl.Name(), syscall.ENOTDIR)
	}
	ents, err := fl.fsys.readDir(ctx, fl.ino)
	return ents, pathErr("readdir", fl.Name(), err)
}
