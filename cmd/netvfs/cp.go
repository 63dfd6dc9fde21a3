package main

// `netvfs cp`, `put` and `get`: copy files and trees between filesystem
// URLs and local paths, with a byte meter on stderr for large files when it
// is a terminal. Semantics follow cp(1): a directory destination receives
// the source under its own name, -r copies directories, and symlinks met
// inside a tree are copied as symlinks (a symlink named on the command line
// is followed, as cp -H does). No shared state.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

func init() {
	register("cp", "copy files between URLs and local paths", runCp)
	register("put", "copy a local file or tree to a URL", runPut)
	register("get", "copy a file or tree from a URL to a local path", runGet)
}

const copyURLs = `Each side is a filesystem URL (sftp://[user@]host[:port]/path,
local:/path, mem:/path) or a plain local path. A directory destination
receives the source under its own name.`

func runCp(ctx context.Context, args []string) error {
	return copyCommand(ctx, "cp", "netvfs cp [-r] [flags] SRC DST\n\n"+copyURLs, args, anySide, anySide)
}

func runPut(ctx context.Context, args []string) error {
	return copyCommand(ctx, "put", "netvfs put [-r] [flags] LOCAL URL\n\nCopies local file (or tree, with -r) LOCAL to URL.\n"+copyURLs, args, localSide, urlSide)
}

func runGet(ctx context.Context, args []string) error {
	return copyCommand(ctx, "get", "netvfs get [-r] [flags] URL LOCAL\n\nCopies URL (a file, or a tree with -r) to local path LOCAL.\n"+copyURLs, args, urlSide, localSide)
}

// side says what an argument of a copy may be.
type side int

const (
	anySide   side = iota // a URL or a plain local path
	localSide             // a local path, even if it looks like a URL
	urlSide               // a URL only
)

func copyCommand(ctx context.Context, name, synopsis string, args []string, srcSide, dstSide side) error {
	fs := newFlagSet(name, synopsis)
	recursive := fs.Bool("r", false, "copy directories recursively")
	fs.BoolVar(recursive, "R", false, "same as -r")
	conn := addConnFlags(fs)
	pos, err := parseFlags(fs, splitShortFlags(fs, args))
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want SRC and DST, got %d arguments", len(pos))
	}
	s, err := newSession(conn)
	if err != nil {
		return err
	}
	defer s.close()
	src, _, err := s.endpoint(ctx, pos[0], srcSide, true)
	if err != nil {
		return err
	}
	dst, dstSlash, err := s.endpoint(ctx, pos[1], dstSide, true)
	if err != nil {
		return err
	}
	c := &copier{ctx: ctx, recursive: *recursive, stderr: os.Stderr, tty: isTerminal(os.Stderr), umask: readUmask(),
		errs: operandErrors{cmd: name, stderr: os.Stderr}}
	return c.top(src, dst, dstSlash)
}

// endpoint resolves one side of a copy.
func (s *session) endpoint(ctx context.Context, arg string, sd side, follow bool) (endpoint, bool, error) {
	slash := len(arg) > 1 && arg[len(arg)-1] == '/'
	switch {
	case sd == urlSide && !isURL(arg):
		return endpoint{}, false, usagef("%q is not a URL (sftp://host/path, local:/path, mem:/path)", arg)
	case sd == localSide || (sd == anySide && !isURL(arg)):
		return endpoint{osTree{}, path.Clean(arg)}, slash, nil
	}
	loc, err := parseLocation(arg, follow)
	if err != nil {
		return endpoint{}, false, err
	}
	fsys, err := s.fs(ctx, loc)
	if err != nil {
		return endpoint{}, false, err
	}
	return endpoint{vfsTree{fsys, loc}, loc.path}, loc.dirSlash, nil
}

// copier copies one source to one destination.
type copier struct {
	ctx       context.Context
	recursive bool
	stderr    io.Writer
	tty       bool
	umask     fs.FileMode
	errs      operandErrors // failures inside a tree: reported (warn), then the copy goes on
	buf       []byte
}

// copyChunk is the size of each read and write; the sftp driver splits it
// into concurrent requests.
const copyChunk = 1 << 20

// top copies src to dst as cp(1) does with its two operands.
func (c *copier) top(src, dst endpoint, dstSlash bool) error {
	si, err := src.t.stat(c.ctx, src.p)
	if err != nil {
		return err
	}
	if si.IsDir() && !c.recursive {
		return fmt.Errorf("-r not specified; omitting directory %s", src)
	}
	di, err := dst.t.stat(c.ctx, dst.p)
	switch {
	case err == nil && di.IsDir():
		if base := path.Base(src.p); base != "." && base != "/" {
			dst = dst.join(base)
			di, err = dst.t.stat(c.ctx, dst.p)
		}
	case err == nil && si.IsDir():
		return &fs.PathError{Op: "copy", Path: dst.String(), Err: syscall.ENOTDIR}
	case errors.Is(err, fs.ErrNotExist) && dstSlash && !si.IsDir():
		return &fs.PathError{Op: "create", Path: dst.String(), Err: syscall.ENOTDIR}
	}
	if src.contains(dst) || err == nil && !si.IsDir() && sameFile(si, di) {
		return fmt.Errorf("cannot copy %s onto or into itself (%s)", src, dst)
	}
	if err := c.copy(src, dst, si); err != nil {
		return err
	}
	return c.errs.err()
}

// copy copies one object whose (lstat, or stat at the top) info is si.
func (c *copier) copy(src, dst endpoint, si fs.FileInfo) error {
	switch mode := si.Mode(); {
	case mode.IsDir():
		return c.copyDir(src, dst, si)
	case mode.IsRegular():
		return c.copyFile(src, dst, si)
	case mode&fs.ModeSymlink != 0:
		target, err := src.t.readlink(c.ctx, src.p)
		if err != nil {
			return err
		}
		return dst.t.symlink(c.ctx, target, dst.p)
	}
	return fmt.Errorf("skipping %s: not a regular file, directory or symlink", src)
}

// copyDir copies a tree; a failure below it is reported and the copy goes
// on with the next entry, as cp -r does.
func (c *copier) copyDir(src, dst endpoint, si fs.FileInfo) error {
	err := dst.t.mkdir(c.ctx, dst.p, (si.Mode().Perm()|0o700)&^c.umask)
	if errors.Is(err, fs.ErrExist) {
		if di, serr := dst.t.stat(c.ctx, dst.p); serr == nil && di.IsDir() {
			err = nil // merge into an existing directory
		}
	}
	if err != nil {
		return err
	}
	names, err := src.t.readDir(c.ctx, src.p)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		from, to := src.join(name), dst.join(name)
		fi, err := from.t.lstat(c.ctx, from.p)
		if err == nil {
			err = c.copy(from, to, fi)
		}
		if err != nil {
			c.errs.warn(err)
		}
	}
	return nil
}

// copyFile copies a regular file's data in chunks, showing a meter.
func (c *copier) copyFile(src, dst endpoint, si fs.FileInfo) (err error) {
	r, err := src.t.open(c.ctx, src.p)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := dst.t.create(c.ctx, dst.p, si.Mode().Perm()&^c.umask)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	if c.buf == nil {
		c.buf = make([]byte, copyChunk)
	}
	m := newMeter(c.stderr, c.tty, src.String(), si.Size())
	defer m.finish()
	for off := int64(0); ; {
		n, rerr := r.ReadAtContext(c.ctx, c.buf, off)
		if n > 0 {
			if _, err := w.WriteAtContext(c.ctx, c.buf[:n], off); err != nil {
				return err
			}
			off += int64(n)
			m.add(n)
		}
		switch {
		case rerr == io.EOF:
			return nil
		case rerr != nil:
			return rerr
		case n == 0:
			return fmt.Errorf("reading %s: no progress at offset %d", src, off)
		}
	}
}

// sameFile reports whether two stats (of either tree) are one file: same
// inode number, size and modification time.
func sameFile(a, b fs.FileInfo) bool {
	ino := func(fi fs.FileInfo) uint64 {
		switch s := fi.Sys().(type) {
		case *syscall.Stat_t:
			return s.Ino
		case *vfs.Attr:
			return s.Ino
		}
		return 0
	}
	ia := ino(a)
	return ia != 0 && ia == ino(b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// readUmask returns the process umask (read once, at a command's start,
// before any goroutine of ours creates files).
func readUmask() fs.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fs.FileMode(m)
}
