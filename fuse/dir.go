package fuse

// Directory listings: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
//
// Unless PolicyCloseToOpen asks for a fresh look at every open, the kernel
// caches listings itself and sends no OPENDIR (kdir.go): READDIR comes
// without a handle and the snapshots are kept by node. Otherwise a handle
// keeps its snapshot (handles.go). Either way the listing is read from the
// core once per pass (at offset 0; the core answers from its cached listing
// while it has one, rule C1) and the kernel's offsets index that snapshot,
// entry i being followed by dirOffset(gen, i). READDIRPLUS gives the kernel
// an entry (node id and attributes, one lookup reference) only for names
// the core has a live Inode for, which includes those the listing itself
// primed; for the others it sends no node id and the kernel looks the name
// up through LOOKUP, so that the core alone decides how a name gets into
// its cache (rule L1). "." and ".." never carry a node id: the kernel skips
// them without giving the reference back.
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
	if s.kdir != nil {
		return gofuse.ENOSYS // the kernel caches listings (kdir.go)
	}
	ctx, end := requestCtx(cancel, &in.InHeader, interruptible)
	defer end()
	fl, st := s.openDir(ctx, "opendir", &in.InHeader)
	if !st.Ok() {
		return st
	}
	*out = gofuse.OpenOut{Fh: s.handles.add(&handle{file: fl})}
	return gofuse.OK
}

// openDir opens the directory of the request's node for a listing.
func (s *fileSystem) openDir(ctx context.Context, op string, h *gofuse.InHeader) (*vfs.File, gofuse.Status) {
	ino, st := s.inode(h.NodeId)
	if !st.Ok() {
		return nil, st
	}
	fl, err := s.fsys.OpenInode(ctx, ino, syscall.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return nil, s.status(ctx, op, h, err)
	}
	return fl, gofuse.OK
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
	if s.handles.get(in.Fh) == nil && (in.Fh != 0 || s.kdir == nil) {
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

// readDir serves one READDIR or READDIRPLUS request from the snapshot of
// its handle, or without one of its node, taking a new snapshot at offset 0.
func (s *fileSystem) readDir(cancel <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList, plus bool) gofuse.Status {
	if in.Fh == 0 && s.kdir != nil {
		return s.readDirNode(cancel, in, out, plus)
	}
	h := s.handles.get(in.Fh)
	if h == nil {
		return gofuse.Status(syscall.EBADF)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if in.Offset == 0 || !h.listed {
		ctx, end := requestCtx(cancel, &in.InHeader, interruptible)
		defer end()
		entries, err := s.listing(ctx, h.file, plus)
		if err != nil {
			return s.status(ctx, "readdir", &in.InHeader, err)
		}
		h.entries, h.listed = entries, true
	}
	s.addEntries(out, h.entries, in.Offset, 0, plus)
	return gofuse.OK
}

// readDirNode serves a READDIR or READDIRPLUS without a handle (kdir.go).
func (s *fileSystem) readDirNode(cancel <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList, plus bool) gofuse.Status {
	gen, from := splitDirOffset(in.Offset)
	var snap *kdirSnap
	if in.Offset != 0 {
		snap = s.kdir.snapshot(in.NodeId, gen)
	}
	if snap == nil {
		ctx, end := requestCtx(cancel, &in.InHeader, interruptible)
		defer end()
		fl, st := s.openDir(ctx, "readdir", &in.InHeader)
		if !st.Ok() {
			return st
		}
		entries, err := s.listing(ctx, fl, plus)
		fl.Close() // a directory's: nothing to fail
		if err != nil {
			return s.status(ctx, "readdir", &in.InHeader, err)
		}
		snap = s.kdir.put(in.NodeId, entries, s.fsys.ListingTimeout(fl.Inode()))
	}
	if !s.addEntries(out, snap.entries, from, snap.gen, plus) {
		s.kdir.done(in.NodeId, snap)
	}
	return gofuse.OK
}

// addEntries adds entries from position from on to out, as far as they
// fit, with offsets of generation gen. It reports whether it added any.
func (s *fileSystem) addEntries(out *gofuse.DirEntryList, entries []listEntry, from, gen uint64, plus bool) bool {
	i := from
	for ; i < uint64(len(entries)); i++ {
		e := &entries[i]
		de := gofuse.DirEntry{Name: e.name, Mode: e.typ, Ino: e.ino, Off: dirOffset(gen, int(i))}
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
			s.entryOut(eo, e.node, &e.attr) // no node id if forgotten since listed
		}
	}
	return i > from
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
