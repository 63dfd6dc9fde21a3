package sftpfs

// This file is ReadDir. SFTP's READDIR returns names with their
// attributes (the server lstat(2)s each entry), so every entry carries a
// Node and Attr for the core to prime its cache with. The next READDIR is
// sent before the current batch is handed to the caller, so listing a
// large directory costs one round trip per batch only once. No driver lock
// is taken.

import (
	"context"
	"io"

	"github.com/netvfs/netvfs/vfs"
)

// ReadDir lists dir in the server's order, calling fn per entry (never
// "." or "..") until fn returns false or the listing ends.
func (fs *FS) ReadDir(ctx context.Context, dirN vfs.Node, fn func(vfs.DirEntry) bool) error {
	dir, err := nodeOf(dirN)
	if err != nil {
		return err
	}
	p := fs.path(dir)
	ctx, cancel, s, err := fs.begin(ctx, "readdir", p)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := s.do(ctx, reqOpendir(p))
	if err != nil {
		return failure("readdir", p, err)
	}
	h, err := r.handle()
	if err != nil {
		// Not ESTALE for a removed directory: an open directory handle
		// lists through here, and Linux says ENOENT for it.
		return failure("readdir", p, err)
	}
	defer s.send(reqClose(h)) // nobody needs to wait for it

	calls, err := s.start(ctx, reqReaddir(h))
	if err != nil {
		return failure("readdir", p, err)
	}
	cur := calls[0]
	for {
		r, err := s.wait(ctx, cur)
		if err != nil {
			return failure("readdir", p, err)
		}
		names, err := r.names()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return failure("readdir", p, err)
		}
		calls, err := s.start(ctx, reqReaddir(h)) // prefetch the next batch
		if err != nil {
			return failure("readdir", p, err)
		}
		cur = calls[0]
		for _, e := range names {
			if e.name == "." || e.name == ".." {
				continue
			}
			if ctx.Err() != nil {
				s.abandon(cur)
				return failure("readdir", p, ctxError(ctx))
			}
			de := vfs.DirEntry{
				Name:    e.name,
				Type:    e.attrs.perm & vfs.S_IFMT,
				HasAttr: true,
				Node:    newChild(dir, e.name, e.attrs),
				Attr:    toAttr(e.attrs),
			}
			if !fn(de) {
				s.abandon(cur)
				return nil
			}
		}
	}
}
