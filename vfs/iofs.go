package vfs

// An io/fs view of a mount: fs.FS, fs.StatFS, fs.ReadDirFS, fs.ReadFileFS
// and fs.ReadLinkFS, passing testing/fstest.TestFS. Names are io/fs names
// (slash-separated, unrooted, "." for the root); every call uses the
// context given to IOFS.

import (
	"context"
	"io/fs"
	"syscall"
)

// IOFS returns an io/fs view of f whose calls use ctx.
func (f *FS) IOFS(ctx context.Context) fs.FS { return ioFS{f: f, ctx: ctx} }

type ioFS struct {
	f   *FS
	ctx context.Context
}

var (
	_ fs.StatFS     = ioFS{}
	_ fs.ReadDirFS  = ioFS{}
	_ fs.ReadFileFS = ioFS{}
	_ fs.ReadLinkFS = ioFS{}
)

func ioErr(op, name string, err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return &fs.PathError{Op: op, Path: name, Err: pe.Err}
	}
	return &fs.PathError{Op: op, Path: name, Err: toErr(err)}
}

func (v ioFS) check(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return nil
}

// ioFile names an open File by its io/fs base name.
type ioFile struct {
	*File
	name string
}

func (fl ioFile) Stat() (fs.FileInfo, error) {
	ctx, cancel := fl.fsys.callCtx(context.Background())
	defer cancel()
	a, err := fl.fsys.getattr(ctx, fl.ino, false)
	if err != nil {
		return nil, ioErr("stat", fl.name, err)
	}
	return newFileInfo(fl.name, a), nil
}

func (v ioFS) Open(name string) (fs.File, error) {
	if err := v.check("open", name); err != nil {
		return nil, err
	}
	fl, err := v.f.OpenFileAt(v.ctx, nil, name, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, ioErr("open", name, err)
	}
	return ioFile{fl, ioBase(name)}, nil
}

func (v ioFS) Stat(name string) (fs.FileInfo, error) {
	if err := v.check("stat", name); err != nil {
		return nil, err
	}
	a, err := v.f.GetattrAt(v.ctx, nil, name, true)
	if err != nil {
		return nil, ioErr("stat", name, err)
	}
	return newFileInfo(ioBase(name), a), nil
}

func (v ioFS) Lstat(name string) (fs.FileInfo, error) {
	if err := v.check("lstat", name); err != nil {
		return nil, err
	}
	a, err := v.f.GetattrAt(v.ctx, nil, name, false)
	if err != nil {
		return nil, ioErr("lstat", name, err)
	}
	return newFileInfo(ioBase(name), a), nil
}

func (v ioFS) ReadLink(name string) (string, error) {
	if err := v.check("readlink", name); err != nil {
		return "", err
	}
	t, err := v.f.ReadlinkAt(v.ctx, nil, name)
	if err != nil {
		return "", ioErr("readlink", name, err)
	}
	return t, nil
}

func (v ioFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := v.check("readdir", name); err != nil {
		return nil, err
	}
	ents, err := v.f.ReadDir(v.ctx, name)
	if err != nil {
		return nil, ioErr("readdir", name, err)
	}
	return ents, nil
}

func (v ioFS) ReadFile(name string) ([]byte, error) {
	if err := v.check("readfile", name); err != nil {
		return nil, err
	}
	b, err := v.f.ReadFile(v.ctx, name)
	if err != nil {
		return nil, ioErr("readfile", name, err)
	}
	return b, nil
}

func ioBase(name string) string {
	if name == "." {
		return "."
	}
	return baseName(name)
}
