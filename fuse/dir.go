package fuse

// Directory listings: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
//
// The listing is read from the core once per pass (at offset 0; the core
// answers from its cached listing while it has one, rule C1) and kept in
// the handle; the kernel's offsets index that snapshot, entry i being
// followed by offset i+1. READDIRPLUS gives the
// kernel an entry (node id and attributes, one lookup reference) only for
// names the core has a valid cached Inode for, which includes those the
// listing itself primed; for the others it sends no node id and the kernel
// looks the name up through LOOKUP, so that the core alone decides how a
// name gets into its cache (rule L1). "." and ".." never carry a node id:
// the kernel skips them without giving the reference back.
//
// Locks: handle.mu (handles.go) serialises the requests of one directory
// handle around its snapshot.

import (
	"context"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/netvfs/netvfs/vfs"
)

func (s *fileSystem) OpenDir(cancel <-chan struct{}, in *gofuse.OpenIn, out *gofuse.OpenOut) gofuse.Status {
	ino, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, interruptible)
	defer end()
	fl, err := s.fsys.OpenInode(ctx, ino, syscall.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return s.status(ctx, "opendir", &in.InHeader, err)
	}
	*out = gofuse.OpenOut{Fh: s.handles.add(&handle{file: fl})}
	return gofuse.OK
}

func (s *fileSystem) ReleaseDir(in *gofuse.ReleaseIn) {
	h := s.handles.remove(in.Fh)
	if h == nil {
		return
	}
	ctx, end := requestCtx(nil, &in.InHeader, mutating)
	defer end()
	if err := s.closeHandle(ctx, h); err != nil {
		s.status(ctx, "releasedir", &in.InHeader, err)
	}
}

// FsyncDir has nothing to do: directory changes are made on the server by
// the call that makes them.
func (s *fileSystem) FsyncDir(cancel <-chan struct{}, in *gofuse.FsyncIn) gofuse.Status {
	if s.handles.get(in.Fh) == nil {
		return gofuse.Status(syscall.EBADF)
	}
	return gofuse.OK
}

func (s *fileSystem) ReadDir(cancel <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList) gofuse.Status {
	return s.readDir(cancel, in, out, false)
}

func (s *fileSystem) ReadDirPlus(cancel <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList) gofuse.Status {
	return s.readDir(cancel, in, out, true)
}

// readDir serves one READDIR or READDIRPLUS request from the handle's
// snapshot, taking a new snapshot at offset 0.
func (s *fileSystem) readDir(cancel <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList, plus bool) gofuse.Status {
	h := s.handles.get(in.Fh)
	if h == nil {
		return gofuse.Status(syscall.EBADF)
	}
	h.mu.Lock()
	var unpin []*vfs.Inode
	defer func() {
		h.mu.Unlock()
		for _, n := range unpin {
			s.fsys.Unpin(n)
		}
	}()
	if in.Offset == 0 || !h.listed {
		ctx, end := requestCtx(cancel, &in.InHeader, interruptible)
		defer end()
		entries, err := s.listing(ctx, h.file, plus)
		if err != nil {
			return s.status(ctx, "readdir", &in.InHeader, err)
		}
		unpin = h.setSnapshot(s.fsys, entries)
	}
	for i := in.Offset; i < uint64(len(h.entries)); i++ {
		e := &h.entries[i]
		de := gofuse.DirEntry{Name: e.name, Mode: e.typ, Ino: e.ino, Off: i + 1}
		if !plus {
			if !out.AddDirEntry(de) {
				break
			}
			continue
		}
		eo := out.AddDirLookupEntry(de)
		if eo == nil {
			break
		}
		if e.node != nil && i >= 2 { // entries 0 and 1 are "." and ".."
			s.entryOut(eo, e.node, &e.attr) // pinned by the snapshot: alive
		}
	}
	return gofuse.OK
}

// listing reads the directory of fl: ".", ".." and its entries. plus asks
// for every entry's attributes (READDIRPLUS); without it the core's cached
// listing answers even where they expired.
func (s *fileSystem) listing(ctx context.Context, fl *vfs.File, plus bool) ([]listEntry, error) {
	read := fl.ReadDirNames
	if plus {
		read = fl.ReadDirPlus
	}
	ents, err := read(ctx)
	if err != nil {
		return nil, err
	}
	dir := fl.Inode()
	parent := s.fsys.ParentOf(dir) // its inode number only: no driver call
	out := make([]listEntry, 0, len(ents)+2)
	out = append(out,
		listEntry{name: ".", typ: vfs.S_IFDIR, ino: dir.Attr().Ino},
		listEntry{name: "..", typ: vfs.S_IFDIR, ino: parent.Attr().Ino})
	for _, e := range ents {
		out = append(out, listEntry{name: e.Name, typ: e.Type, ino: e.Ino, node: e.Inode, attr: e.Attr})
	}
	return out, nil
}
