package vfs

// The path walk. walkCached is the lock-free fast path (rule L5): every
// component must be valid in the cache; it takes no lock, writes nothing
// shared (the LRU's referenced flag is written once per dentry, when clear),
// allocates nothing, and checks FS.seq so a concurrent rename sends it to
// the slow path. The slow path (walkParent, resolve) goes component by
// component through lookupName (L1-L3), following symlinks (P1) and never
// leaving the namespace root (P2).

import (
	"context"
	"math"
	"strings"
	"syscall"
)

const (
	maxSymlinks = 40   // P1
	maxName     = 255  // P3
	maxPath     = 4096 // P3
)

// checkPath applies rule P3 to a whole path.
func checkPath(p string) error {
	switch {
	case p == "":
		return syscall.ENOENT
	case len(p) >= maxPath:
		return syscall.ENAMETOOLONG
	case strings.IndexByte(p, 0) >= 0:
		return syscall.EINVAL
	}
	return nil
}

// checkName applies rule P3 to one component.
func checkName(name string) error {
	switch {
	case len(name) > maxName:
		return syscall.ENAMETOOLONG
	case name == "" || strings.IndexByte(name, '/') >= 0 || strings.IndexByte(name, 0) >= 0:
		return syscall.EINVAL
	}
	return nil
}

// nextComponent splits the first component off p (after leading slashes).
// rest keeps its leading slash so a trailing slash stays visible.
func nextComponent(p string) (name, rest string) {
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// onlySlashes reports whether p is empty or all slashes.
func onlySlashes(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			return false
		}
	}
	return true
}

// parentDir returns the directory containing directory ino, or ino itself at
// the namespace root (P1: ".." at the root stays there).
func (f *FS) parentDir(ino *Inode) *Inode {
	d := ino.dentry.Load()
	if d == nil || d.parent == nil {
		return ino
	}
	return d.parent.inode
}

// walkCached resolves path from start using only valid cached entries. ok is
// false when the slow walk must decide (a miss, an expired entry, a claim in
// progress, an error to report, a rename running). neg reports a valid
// negative entry (ENOENT) on the way.
func (f *FS) walkCached(start *Inode, path string, follow bool, clk *clock) (ino *Inode, neg, ok bool) {
	if checkPath(path) != nil {
		return nil, false, false // the slow walk says what is wrong (P3)
	}
	seq := f.seq.Load()
	if seq&1 != 0 {
		return nil, false, false
	}
	root := f.Root()
	cur := start
	var stack [8]string // unwalked rest of paths interrupted by a symlink
	sp, links := 0, 0
	mustDir := false // a trailing slash was seen: the result must be a directory
	rest := path
	if len(rest) > 0 && rest[0] == '/' {
		cur = root
	}
	for {
		var name string
		name, rest = nextComponent(rest)
		if name == "" {
			if sp == 0 {
				break
			}
			sp--
			rest = stack[sp]
			continue
		}
		final := sp == 0 && onlySlashes(rest)
		if rest != "" && onlySlashes(rest) {
			mustDir = true
		}
		if cur.dir == nil {
			return nil, false, false // ENOTDIR, slowly
		}
		if name == "." {
			continue
		}
		if name == ".." {
			if cur != root {
				cur = f.parentDir(cur)
			}
			continue
		}
		if cur.dir == nil {
			return nil, false, false
		}
		d := f.hash.find(cur.dir, name)
		if d == nil {
			return nil, false, false
		}
		s := d.state.Load()
		if s&flagReferenced == 0 {
			d.state.Or(flagReferenced)
		}
		if !clk.before(d.deadline.Load()) {
			return nil, false, false
		}
		switch s & stateMask {
		case stateNegative:
			if f.seq.Load() != seq {
				return nil, false, false
			}
			return nil, true, true
		case statePositive:
		default:
			return nil, false, false
		}
		next := d.inode.Load()
		if next == nil {
			return nil, false, false
		}
		if next.dir == nil && next.attr.Load().Mode&S_IFMT == S_IFLNK && (!final || follow || rest != "") {
			target := next.link.Load()
			links++
			if target == nil || links > maxSymlinks || sp == len(stack) || *target == "" {
				return nil, false, false
			}
			stack[sp] = rest
			sp++
			rest = *target
			if rest[0] == '/' {
				cur = root
			}
			continue
		}
		cur = next
		if rest != "" && final && cur.dir == nil {
			return nil, false, false // trailing slash on a non-directory: ENOTDIR, slowly
		}
	}
	if mustDir && cur.dir == nil || f.seq.Load() != seq {
		return nil, false, false
	}
	return cur, false, true
}

// clock reads the FS clock at most once, and only for a deadline that is
// not "forever" (PolicyExclusive): on some machines reading the clock costs
// more than the rest of a cached walk.
type clock struct {
	f *FS
	t int64
}

// before reports whether now is before deadline dl.
func (c *clock) before(dl int64) bool {
	if dl == math.MaxInt64 {
		return true
	}
	if c.t == 0 {
		c.t = c.f.now()
	}
	return c.t < dl
}

// walker state shared by one resolution: the symlink budget (P1).
type walk struct {
	f     *FS
	ctx   context.Context
	force reval // V3: revalidate what was cached before the failed try
	links int
	root  *Inode
}

func (f *FS) newWalk(ctx context.Context, force reval) *walk {
	return &walk{f: f, ctx: ctx, force: force, root: f.Root()}
}

// parent resolves all but the last component of path from start. It returns
// the directory, the last component and whether the path ended in a slash
// (P1: must be a directory). When the path ends in ".", ".." or is the root
// ("/"), last is that string and dir is the object it names (see special).
func (w *walk) parent(start *Inode, path string) (dir *Inode, last string, mustDir bool, err error) {
	if err := checkPath(path); err != nil {
		return nil, "", false, err
	}
	cur := start
	if path[0] == '/' {
		cur = w.root
	}
	rest := path
	for {
		var name string
		name, rest = nextComponent(rest)
		if name == "" {
			return cur, "/", true, nil
		}
		if len(name) > maxName {
			return nil, "", false, syscall.ENAMETOOLONG
		}
		if onlySlashes(rest) {
			mustDir = rest != ""
			switch name {
			case ".":
				return cur, ".", mustDir, w.isDir(cur)
			case "..":
				if err := w.isDir(cur); err != nil {
					return nil, "", false, err
				}
				if cur != w.root {
					cur = w.f.parentDir(cur)
				}
				return cur, "..", mustDir, nil
			}
			if cur.dir == nil {
				return nil, "", false, syscall.ENOTDIR
			}
			return cur, name, mustDir, nil
		}
		switch name {
		case ".":
			if err := w.isDir(cur); err != nil {
				return nil, "", false, err
			}
			continue
		case "..":
			if err := w.isDir(cur); err != nil {
				return nil, "", false, err
			}
			if cur != w.root {
				cur = w.f.parentDir(cur)
			}
			continue
		}
		w.prefetch(cur, name, rest)
		cur, err = w.step(cur, name, true)
		if err != nil {
			return nil, "", false, err
		}
		if cur.dir == nil {
			return nil, "", false, syscall.ENOTDIR
		}
	}
}

// special reports a last component that names its directory itself: ".",
// ".." or the root "/" (Linux LAST_DOT, LAST_DOTDOT, LAST_ROOT).
func special(last string) bool { return last == "." || last == ".." || last == "/" }

func (w *walk) isDir(ino *Inode) error {
	if ino.dir == nil {
		return syscall.ENOTDIR
	}
	return nil
}

// step resolves one name in dir, following a final symlink when follow.
func (w *walk) step(dir *Inode, name string, follow bool) (*Inode, error) {
	ino, err := w.f.lookupInode(w.ctx, dir, name, w.force)
	if err != nil {
		return nil, err
	}
	if follow && ino.attr.Load().IsSymlink() {
		return w.follow(dir, ino)
	}
	return ino, nil
}

// lookupInode resolves name in dir to the inode it names, or ENOENT.
func (f *FS) lookupInode(ctx context.Context, dir *Inode, name string, force reval) (*Inode, error) {
	for tries := 0; ; tries++ {
		d, err := f.lookupName(ctx, dir, name, force)
		if err != nil {
			return nil, err
		}
		ino, again := foundInode(d)
		switch {
		case ino != nil:
			return ino, nil
		case !again:
			return nil, syscall.ENOENT
		case tries == maxLookAgain:
			return nil, syscall.EIO
		}
	}
}

// maxLookAgain bounds how often one call looks a name up again because the
// dentry it found was gone before it could read it (foundInode).
const maxLookAgain = 100

// testHookFound, set by tests only, runs in foundInode before it reads the
// dentry: the moment an unclaimed dentry can be evicted under its finder.
var testHookFound func(d *dentry)

// foundInode reads a dentry that a lookup found valid and returned without
// a claim: its inode, or nil for a negative entry. Nothing holds such a
// dentry: the LRU may evict it (V4), or an ESTALE or a splice drop it,
// between the lookup and this read. An unhashed dentry is no answer (the
// name did not go away): again tells the caller to look the name up again.
func foundInode(d *dentry) (ino *Inode, again bool) {
	if testHookFound != nil {
		testHookFound(d)
	}
	switch d.st() {
	case statePositive:
		return d.inode.Load(), false // nil only if made negative meanwhile
	case stateNegative:
		return nil, false
	}
	return nil, true
}

// follow resolves symlink ino found in dir (P1, P2: an absolute target is
// relative to the namespace root).
func (w *walk) follow(dir, ino *Inode) (*Inode, error) {
	w.links++
	if w.links > maxSymlinks {
		return nil, syscall.ELOOP
	}
	target, err := w.f.readlink(w.ctx, ino)
	if err != nil {
		return nil, err
	}
	if target == "" {
		return nil, syscall.ENOENT
	}
	return w.resolve(dir, target, true)
}

// resolve resolves path from start to an inode; follow says whether a final
// symlink is followed (a trailing slash always follows).
func (w *walk) resolve(start *Inode, path string, follow bool) (*Inode, error) {
	dir, last, mustDir, err := w.parent(start, path)
	if err != nil {
		return nil, err
	}
	if special(last) {
		return dir, nil
	}
	ino, err := w.step(dir, last, follow || mustDir)
	if err != nil {
		return nil, err
	}
	if mustDir && ino.dir == nil {
		return nil, syscall.ENOTDIR
	}
	return ino, nil
}

// resolve is the path resolution used by the API: the cached walk first,
// then the slow one.
func (f *FS) resolve(ctx context.Context, start *Inode, path string, follow bool, force reval) (*Inode, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if force == 0 {
		if ino, neg, ok := f.walkCached(start, path, follow, &clock{f: f}); ok {
			if neg {
				return nil, syscall.ENOENT
			}
			return ino, nil
		}
	}
	return f.newWalk(ctx, force).resolve(start, path, follow)
}

// readlink returns a symlink's target, from the cache when it has it.
func (f *FS) readlink(ctx context.Context, ino *Inode) (string, error) {
	if t := ino.link.Load(); t != nil {
		return *t, nil
	}
	if !ino.attr.Load().IsSymlink() {
		return "", syscall.EINVAL
	}
	t, err := f.drv.Readlink(ctx, ino.node)
	if err != nil {
		if isErrno(err, syscall.ESTALE) {
			f.dropInode(ino)
		}
		return "", err
	}
	ino.link.Store(&t)
	return t, nil
}
