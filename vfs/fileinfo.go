package vfs

// fs.FileInfo for cached attributes.

import (
	"io/fs"
	"syscall"
	"time"
)

type fileInfo struct {
	name string
	a    Attr
}

func newFileInfo(name string, a Attr) fs.FileInfo { return &fileInfo{name: name, a: a} }

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.a.Size }
func (fi *fileInfo) Mode() fs.FileMode  { return fileMode(fi.a.Mode) }
func (fi *fileInfo) ModTime() time.Time { return fi.a.Mtime() }
func (fi *fileInfo) IsDir() bool        { return fi.a.IsDir() }

// Sys returns a *vfs.Attr.
func (fi *fileInfo) Sys() any { return &fi.a }

func (fi *fileInfo) String() string { return fs.FormatFileInfo(fi) }

// fileMode converts a Unix mode to an fs.FileMode (as package os does).
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & S_IFMT {
	case S_IFBLK:
		mode |= fs.ModeDevice
	case S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case S_IFDIR:
		mode |= fs.ModeDir
	case S_IFIFO:
		mode |= fs.ModeNamedPipe
	case S_IFLNK:
		mode |= fs.ModeSymlink
	case S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&syscall.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&syscall.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&syscall.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
