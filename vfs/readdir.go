package vfs

// Directory listing. The driver's ReadDir gives names, and with
// readdirplus also nodes and attributes; those prime the cache where it has
// nothing for the name (tryClaimAbsent), never over a claimed or cached name
// (L1). A complete listing is kept with the directory and answers the next
// listings until it expires or this client can no longer keep it exact
// (dircache.go, rule C1). Cached or not, a listing is taken inside the
// listing gate (listBegin), so it never shows a change half done. At most
// one driver listing of a directory is on the wire at a time (its flight,
// readahead.go); the read-ahead heuristics list directories through
// readListing too.

import (
	"context"
	"io/fs"
	"sort"
	"syscall"
)

// DirEntryPlus is one listed name, with the cached inode when the core has
// (or just primed) a valid entry for it.
type DirEntryPlus struct {
	Name  string
	Type  uint32 // S_IFMT bits, 0 if unknown
	Ino   uint64
	Inode *Inode // nil when not cached
	Attr  Attr   // valid when Inode != nil
}

// readDir lists dir with attributes where the driver gives them.
func (f *FS) readDir(ctx context.Context, dir *Inode) ([]DirEntryPlus, error) {
	return f.listDir(ctx, dir, true)
}

// listDir lists dir. attrs asks for every entry's attributes where the
// driver's listing carries them: a cached listing answers only if it has
// them all (see cachedListing). One driver listing of a directory is on
// the wire at a time: a caller that finds one waits for its answer, once.
// A caller served a listing starts the read-ahead of its subdirectories.
func (f *FS) listDir(ctx context.Context, dir *Inode, attrs bool) ([]DirEntryPlus, error) {
	if dir.dir == nil {
		return nil, syscall.ENOTDIR
	}
	if dir != f.Root() && dir.dir.dying.Load() && dir.dentry.Load() == nil {
		return nil, syscall.ENOENT // removed (Linux: IS_DEADDIR)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // a caller that gave up gets no answer, cached or not
	}
	ds := dir.dir
	for waited := false; ; waited = true {
		if err := f.listBegin(ctx, ds); err != nil {
			return nil, err
		}
		if out, first, ok := f.cachedListing(ds, attrs); ok {
			f.listEnd(ds)
			if first {
				f.readAheadSubdirs(out, attrs, true)
			}
			return out, nil // C1
		}
		flight, mine := f.listFlightBegin(ds)
		if !mine && !waited {
			f.listEnd(ds)
			select {
			case <-flight:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		r, err := f.readListing(ctx, dir, true)
		f.listEndFlight(ds, mine)
		if err != nil {
			if isErrno(err, syscall.ESTALE) {
				f.dropInode(dir)
			}
			return nil, err
		}
		f.readAheadSubdirs(r.out, attrs, false)
		return r.out, nil
	}
}

// listRead is a listing read from the driver.
type listRead struct {
	ents []DirEntry
	out  []DirEntryPlus
	// raced: a rename was on the wire while a driver whose nodes are paths
	// (Mover) listed, so the names may be another directory's: ents
	// answer the caller, nothing was cached.
	raced bool
}

// readListing reads dir's listing from the driver, caches it (listKeep)
// and primes the entries' names where the cache has nothing for them
// (tryClaimAbsent, L1). used: it is read for a caller, who is served it.
// Priming happens inside the listing gate and only while no change in dir
// was noted since the read began (the listing epoch), so that it never
// brings back a name a change of this client removed after the read.
// Caller holds the listing gate.
func (f *FS) readListing(ctx context.Context, dir *Inode, used bool) (listRead, error) {
	ds := dir.dir
	start := f.listBeginRead(ds)
	renStarted, renFinished := f.renStarted.Load(), f.renFinished.Load()
	var r listRead
	err := f.drv.ReadDir(ctx, dir.node, func(e DirEntry) bool {
		r.ents = append(r.ents, e)
		return true
	})
	if err != nil {
		return r, err
	}
	r.raced = f.mover != nil && (renStarted != renFinished || f.renStarted.Load() != renStarted)
	if !r.raced {
		f.listKeep(ds, start, r.ents, used)
	}
	r.out = make([]DirEntryPlus, 0, len(r.ents))
	for _, e := range r.ents {
		if e.Name == "." || e.Name == ".." || checkName(e.Name) != nil {
			continue
		}
		p := DirEntryPlus{Name: e.Name, Type: e.Type, Ino: e.Ino}
		if e.HasAttr && !r.raced && ds.listEpoch.Load() == start.epoch {
			if ino := f.prime(dir, e.Name, e.Node, e.Attr); ino != nil {
				p.Inode, p.Attr = ino, *ino.attr.Load()
				p.Type, p.Ino = p.Attr.Mode&S_IFMT, p.Attr.Ino
			}
		}
		r.out = append(r.out, p)
	}
	return r, nil
}

// ReadDirNames lists the directory like ReadDirPlus, for a caller that
// needs names and types only (FUSE READDIR): entries still carry the cached
// inode where it is valid, but a cached listing answers even where the
// attributes it would carry have expired.
func (fl *File) ReadDirNames(ctx context.Context) ([]DirEntryPlus, error) {
	if fl.ino.dir == nil {
		return nil, pathErr("readdir", fl.Name(), syscall.ENOTDIR)
	}
	ents, err := fl.fsys.listDir(ctx, fl.ino, false)
	return ents, pathErr("readdir", fl.Name(), err)
}

// ParentOf returns the directory containing directory dir as the cache
// knows it, without a driver call: dir itself at the namespace root or
// when dir has lost its name.
func (f *FS) ParentOf(dir *Inode) *Inode { return f.parentDir(dir) }

// dirEntry adapts a DirEntryPlus to fs.DirEntry.
type dirEntry struct {
	e   DirEntryPlus
	dir *File
}

func (d dirEntry) Name() string      { return d.e.Name }
func (d dirEntry) IsDir() bool       { return d.Type().IsDir() }
func (d dirEntry) Type() fs.FileMode { return fileMode(d.e.Type).Type() }
func (d dirEntry) Info() (fs.FileInfo, error) {
	if d.e.Inode != nil {
		return newFileInfo(d.e.Name, d.e.Attr), nil
	}
	ctx, cancel := d.dir.fsys.callCtx(context.Background())
	defer cancel()
	a, err := d.dir.fsys.GetattrAt(ctx, d.dir.ino, d.e.Name, false)
	if err != nil {
		return nil, err
	}
	return newFileInfo(d.e.Name, a), nil
}

func (d dirEntry) String() string { return fs.FormatDirEntry(d) }

// sortedEntries turns a listing into fs.DirEntry values sorted by name.
func sortedEntries(ents []DirEntryPlus, dir *File) []fs.DirEntry {
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
	out := make([]fs.DirEntry, len(ents))
	for i := range ents {
		out[i] = dirEntry{ents[i], dir}
	}
	return out
}

// listBegin waits until no change to ds is on the wire and keeps new ones
// out until listEnd, so a listing never shows the server's side of a change
// the cache has not taken yet (Linux: readdir holds i_rwsem).
func (f *FS) listBegin(ctx context.Context, ds *dirState) error {
	ds.mu.Lock()
	ds.listWait++
	for ds.mutating > 0 {
		ch := ds.gateLocked()
		ds.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			ds.mu.Lock()
			ds.listWait--
			ds.openGateLocked()
			ds.mu.Unlock()
			return ctx.Err()
		}
		ds.mu.Lock()
	}
	ds.listWait--
	ds.listers++
	ds.mu.Unlock()
	return nil
}

func (f *FS) listEnd(ds *dirState) {
	ds.mu.Lock()
	if ds.listers--; ds.listers == 0 {
		ds.openGateLocked()
	}
	ds.mu.Unlock()
}
