package main

// The two sides a copy (cp, put, get) moves data between: a filesystem
// reached through the core (a URL) and the local one through package os
// (a plain path). Both are addressed by slash-separated paths and report
// errors that name what the user typed. No shared state.

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// tree is one side of a copy.
type tree interface {
	// stat follows a final symlink, lstat does not.
	stat(ctx context.Context, p string) (fs.FileInfo, error)
	lstat(ctx context.Context, p string) (fs.FileInfo, error)
	// readDir returns the names in directory p, sorted.
	readDir(ctx context.Context, p string) ([]string, error)
	open(ctx context.Context, p string) (fileIO, error)
	// create creates or truncates p for writing.
	create(ctx context.Context, p string, perm fs.FileMode) (fileIO, error)
	mkdir(ctx context.Context, p string, perm fs.FileMode) error
	readlink(ctx context.Context, p string) (string, error)
	symlink(ctx context.Context, target, p string) error
	// show is p as the user would type it.
	show(p string) string
	// place names the filesystem and the absolute path of p on it, so that
	// a copy can tell a file onto itself or a directory into itself.
	place(p string) (fsID, abs string)
}

// fileIO is an open file: *vfs.File's context-taking I/O, which a local
// *os.File gets from osFile.
type fileIO interface {
	ReadAtContext(ctx context.Context, p []byte, off int64) (int, error)
	WriteAtContext(ctx context.Context, p []byte, off int64) (int, error)
	Close() error
}

// vfsTree is a filesystem mounted by a session; paths are relative to the
// root of loc.
type vfsTree struct {
	fsys *vfs.FS
	loc  *location
}

func (t vfsTree) stat(ctx context.Context, p string) (fs.FileInfo, error) {
	fi, err := t.fsys.Stat(ctx, p)
	return fi, t.loc.fix(err)
}

func (t vfsTree) lstat(ctx context.Context, p string) (fs.FileInfo, error) {
	fi, err := t.fsys.Lstat(ctx, p)
	return fi, t.loc.fix(err)
}

func (t vfsTree) readDir(ctx context.Context, p string) ([]string, error) {
	ents, err := t.fsys.ReadDir(ctx, p)
	if err != nil {
		return nil, t.loc.fix(err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

func (t vfsTree) open(ctx context.Context, p string) (fileIO, error) {
	fl, err := t.fsys.OpenFileAt(ctx, nil, p, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, t.loc.fix(err)
	}
	return vfsFile{fl, t.loc}, nil
}

func (t vfsTree) create(ctx context.Context, p string, perm fs.FileMode) (fileIO, error) {
	fl, err := t.fsys.OpenFileAt(ctx, nil, p, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, uint32(perm.Perm()))
	if err != nil {
		return nil, t.loc.fix(err)
	}
	return vfsFile{fl, t.loc}, nil
}

func (t vfsTree) mkdir(ctx context.Context, p string, perm fs.FileMode) error {
	return t.loc.fix(t.fsys.Mkdir(ctx, p, perm))
}

func (t vfsTree) readlink(ctx context.Context, p string) (string, error) {
	s, err := t.fsys.Readlink(ctx, p)
	return s, t.loc.fix(err)
}

func (t vfsTree) symlink(ctx context.Context, target, p string) error {
	return t.loc.fix(t.fsys.Symlink(ctx, target, p))
}

func (t vfsTree) show(p string) string { return t.loc.show(p) }

func (t vfsTree) place(p string) (string, string) {
	if dir, ok := strings.CutPrefix(t.loc.key, "local:"); ok {
		return "os", filepath.Join(dir, p)
	}
	return t.loc.key, path.Join("/", p)
}

// vfsFile is an open file of the core whose errors name the URL.
type vfsFile struct {
	fl  *vfs.File
	loc *location
}

func (f vfsFile) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	n, err := f.fl.ReadAtContext(ctx, p, off)
	return n, f.loc.fix(err)
}

func (f vfsFile) WriteAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	n, err := f.fl.WriteAtContext(ctx, p, off)
	return n, f.loc.fix(err)
}

func (f vfsFile) Close() error { return f.loc.fix(f.fl.Close()) }

// osTree is the local filesystem; paths are local paths.
type osTree struct{}

func (osTree) stat(_ context.Context, p string) (fs.FileInfo, error)  { return os.Stat(p) }
func (osTree) lstat(_ context.Context, p string) (fs.FileInfo, error) { return os.Lstat(p) }

func (osTree) readDir(_ context.Context, p string) ([]string, error) {
	ents, err := os.ReadDir(p)
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, err
}

func (osTree) open(_ context.Context, p string) (fileIO, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osTree) create(_ context.Context, p string, perm fs.FileMode) (fileIO, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm.Perm())
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osTree) mkdir(_ context.Context, p string, perm fs.FileMode) error { return os.Mkdir(p, perm) }
func (osTree) readlink(_ context.Context, p string) (string, error)      { return os.Readlink(p) }
func (osTree) symlink(_ context.Context, target, p string) error         { return os.Symlink(target, p) }

func (osTree) show(p string) string { return p }

// place resolves symlinks in p's directory, as the local roots of URLs
// have them resolved (parseLocal).
func (osTree) place(p string) (string, string) {
	abs, _ := filepath.Abs(p)
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	return "os", abs
}

// osFile gives an *os.File the I/O methods of fileIO; the context is
// checked between calls (local I/O does not block on a network).
type osFile struct{ *os.File }

func (f osFile) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return f.ReadAt(p, off)
}

func (f osFile) WriteAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return f.WriteAt(p, off)
}

// endpoint is a path in a tree.
type endpoint struct {
	t tree
	p string
}

func (e endpoint) join(name string) endpoint { return endpoint{e.t, path.Join(e.p, name)} }
func (e endpoint) String() string            { return e.t.show(e.p) }

// contains reports whether o is e or lies below it on the same filesystem
// (a copy onto itself or into itself).
func (e endpoint) contains(o endpoint) bool {
	fa, a := e.t.place(e.p)
	fb, b := o.t.place(o.p)
	return fa == fb && within(a, b)
}
