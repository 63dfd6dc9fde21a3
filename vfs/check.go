package vfs

// The invariant checker (DESIGN.md, Testing). Tests switch it on with
// Options.CheckInvariants; it then stops the world after every claim ends
// and checks:
//   - L1: one hashed dentry per (directory, name), and a dentry in-lookup
//     only while it is claimed;
//   - A2: a directory inode has one hashed dentry, the one it points to;
//     one inode per identity in FS.ids;
//   - the parent/child links: a dentry's parent directory is reachable
//     (its own dentry is hashed and positive for it) or detached (dying);
//     child counts match;
//   - the cache is a tree: walking up from any directory reaches the root.

import (
	"fmt"
	"time"
)

func (f *FS) checkMuRLock() {
	if f.opts.CheckInvariants {
		f.checkMu.RLock()
	}
}

func (f *FS) checkMuRUnlock() {
	if f.opts.CheckInvariants {
		f.checkMu.RUnlock()
	}
}

func (f *FS) checkInvariants() {
	if !f.opts.CheckInvariants {
		return
	}
	if err := f.checkOnce(); err != nil {
		panic(err)
	}
}

// CheckInvariants checks the cache's invariants and returns the first
// violation found. With Options.CheckInvariants the cache's writers hold
// off while it looks, so one look is exact. Without it a look can catch a
// change half made (an unhash between its two steps) even when the caller
// has stopped, as a frontend still answers the kernel's forgets and
// releases; so it looks again a few times and reports a violation only
// if every look finds one.
func (f *FS) CheckInvariants() error {
	if f.opts.CheckInvariants {
		return f.checkOnce()
	}
	var err error
	for range 5 {
		if err = f.checkOnce(); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

func (f *FS) checkOnce() (err error) {
	f.idMu.Lock() // before checkMu: bind holds idMu while it takes checkMu
	defer f.idMu.Unlock()
	f.checkMu.Lock()
	defer f.checkMu.Unlock()
	type key struct {
		dir  *dirState
		name string
	}
	seen := make(map[key]*dentry)
	children := make(map[*dirState]int32)
	dirDentries := make(map[*Inode][]*dentry)
	fail := func(format string, a ...any) {
		if err == nil {
			err = fmt.Errorf("vfs invariant: "+format, a...)
		}
	}
	f.hash.each(func(d *dentry) {
		k := key{d.parent, d.name}
		if o := seen[k]; o != nil {
			fail("L1: two hashed dentries for %q in dir %d", d.name, d.parent.id)
		}
		seen[k] = d
		children[d.parent]++
		if d.st() == stateInLookup && d.owner.Load() == nil {
			fail("L1: %q in-lookup without a claim", d.name)
		}
		ino := d.inode.Load()
		if d.st() == statePositive && ino == nil {
			fail("positive %q without an inode", d.name)
		}
		if d.st() == statePositive && ino.dir != nil {
			dirDentries[ino] = append(dirDentries[ino], d)
		}
	})
	for ino, ds := range dirDentries {
		if len(ds) > 1 {
			fail("A2: directory %s has %d dentries", ino.path(), len(ds))
		}
		if ino.dentry.Load() != ds[0] {
			fail("A2: directory %q does not point back to its dentry", ds[0].name)
		}
	}
	root := f.Root()
	for dir, n := range children {
		if dir.children.Load() != n {
			fail("dir %d counts %d children, has %d", dir.id, dir.children.Load(), n)
		}
		if dir.dying.Load() || dir.inode == root {
			continue
		}
		d := dir.inode.dentry.Load()
		if d == nil || d.st() != statePositive || d.inode.Load() != dir.inode {
			fail("dir %d has cached children but is not reachable", dir.id)
			continue
		}
		// The cache is a tree: up from here reaches the root without a cycle.
		p, steps := dir.inode, 0
		for p != root && steps < 1<<20 {
			pd := p.dentry.Load()
			if pd == nil || pd.parent == nil {
				break
			}
			p = pd.parent.inode
			steps++
		}
		if steps >= 1<<20 {
			fail("cycle above dir %d", dir.id)
		}
	}
	for id, ino := range f.ids {
		if ino.attr.Load().ID != id {
			fail("ids: inode under %x has identity %x", id, ino.attr.Load().ID)
		}
	}
	return err
}
