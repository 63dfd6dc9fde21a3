package test

// The sequential specification the linearizability test
// (linearizability_test.go) checks recorded histories against: a tiny POSIX
// namespace of directories and regular files, and the exact result Linux
// (and so the core, rules O3, O4, D3, D4) gives for each operation on it.
//
// Path calls are not atomic in Linux, and not in the core either: a call
// first resolves the parent directory of its last component (for rename,
// the old one and then the new one), then acts on that directory object,
// wherever it is by then. A rename of an ancestor in between makes the call
// act in the directory's new place; a removal makes it fail with ENOENT.
// The model says exactly that: a call with a parent below the root is split
// into resolve steps (linResolve, which bind the parent's directory identity
// to the calling client in the state) and the act (linInput, which finds the
// bound directory where it is now). Both have the call's interval, so
// porcupine places the resolution anywhere between the call's start and its
// act. A readdir has one more resolve step, the opening of the directory
// itself, and lists that directory object later. With atomic=true (flag
// -lin.atomic) there are no resolve steps: every call is one atomic step on
// paths, which is stricter than Linux.
//
// ESTALE is accepted from any call as a call that did nothing (rule V3 lets
// the core return it after one forced retry); the harness counts them.
//
// A state is immutable: every step builds a new one. Its key is canonical
// (sorted entries; a client's binding names the bound directory by its
// current path, not by identity), so porcupine's cache of visited
// (linearized set, state) pairs recognises equal states reached in
// different orders; states with equal keys behave alike in every future.
// Nothing here is shared between goroutines: porcupine calls the model from
// one goroutine.

import (
	"fmt"
	"hash/fnv"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/anishathalye/porcupine"
)

// kind is what a name is: absent, a regular file, a directory, or something
// the test never creates (reported, so the model rejects it).
type kind uint8

const (
	kindNone kind = iota
	kindFile
	kindDir
	kindOther
)

func (k kind) String() string {
	return [...]string{"none", "file", "dir", "other"}[k]
}

// opKind names one operation of the public API the test drives.
type opKind uint8

const (
	opCreateExcl      opKind = iota // OpenFile O_RDWR|O_CREAT|O_EXCL
	opCreate                        // OpenFile O_RDWR|O_CREAT (maybe O_TRUNC)
	opOpen                          // OpenFile O_RDONLY
	opUnlink                        // UnlinkAt
	opRename                        // Rename
	opRenameNoReplace               // Rename2 RenameNoReplace
	opMkdir                         // Mkdir
	opRmdir                         // RmdirAt
	opStat                          // Getattr
	opReadDir                       // ReadDir (open O_DIRECTORY, then list)
)

func (o opKind) String() string {
	return [...]string{"create_excl", "create", "open", "unlink", "rename", "rename_noreplace", "mkdir", "rmdir", "stat", "readdir"}[o]
}

func (o opKind) isRename() bool { return o == opRename || o == opRenameNoReplace }

// linInput is one call: the operation, its path(s), and how the harness
// makes it (Trunc: add O_TRUNC to opCreate; Hold: keep a file it opens open
// until the history ends, so later unlinks and renames meet an open file,
// rule D2). Trunc and Hold do not change the namespace result. Client and
// Seq identify the call: its resolve steps, and the directory it makes.
type linInput struct {
	Op     opKind
	Path   string
	To     string // rename target
	Trunc  bool
	Hold   bool
	Client int
	Seq    int
}

func (in linInput) String() string {
	s := in.Op.String() + "(" + in.Path
	if in.To != "" {
		s += ", " + in.To
	}
	s += ")"
	if in.Trunc {
		s += "+trunc"
	}
	if in.Hold {
		s += "+hold"
	}
	return s
}

// slotPath is the path whose parent slot 0 (old) or 1 (new) resolves; for
// readdir, slot 1 resolves the path itself (the directory it opens).
func (in linInput) slotPath(slot int) string {
	if slot == 1 && in.Op.isRename() {
		return in.To
	}
	return in.Path
}

// needsSlot reports whether the call resolves something in that slot: a
// parent that is not the root (the root never moves and is always there),
// or the directory a readdir opens.
func (in linInput) needsSlot(slot int) bool {
	switch {
	case slot == 1 && in.Op == opReadDir:
		return true
	case slot == 1 && !in.Op.isRename():
		return false
	}
	return strings.Contains(in.slotPath(slot), "/")
}

// linResolve is the parent resolution of call For, for slot 0 (Path) or 1
// (To; for readdir, the opening of Path itself). Its output is always nil.
type linResolve struct {
	For  linInput
	Slot int
}

// linOutput is a call's result. Kind is set by open and stat on success,
// Created by the creating opens on success (File.Created, rule O3), List by
// readdir (see listing).
type linOutput struct {
	Err     syscall.Errno
	Created bool
	Kind    kind
	List    string
}

func (out linOutput) String() string {
	if out.Err != 0 {
		return errnoName(out.Err)
	}
	s := "ok"
	if out.Kind != kindNone {
		s += " " + out.Kind.String()
	}
	if out.Created {
		s += " created"
	}
	if out.List != "" {
		s += " [" + out.List + "]"
	}
	return s
}

// errnoName gives the symbolic name of the errnos the model knows.
func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.ENOENT:
		return "ENOENT"
	case syscall.EEXIST:
		return "EEXIST"
	case syscall.ENOTDIR:
		return "ENOTDIR"
	case syscall.EISDIR:
		return "EISDIR"
	case syscall.ENOTEMPTY:
		return "ENOTEMPTY"
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.EBUSY:
		return "EBUSY"
	}
	return fmt.Sprintf("errno %d (%v)", int(e), e)
}

// entry is one name of the namespace. id is a directory's identity: unique
// for the whole history, kept across renames, never reused.
type entry struct {
	kind kind
	id   string
}

// binding is what a client's call in progress has resolved: per slot, the
// identity of the parent directory, or the error resolving it gave.
type binding struct {
	seq  int
	done [2]bool
	dir  [2]string
	err  [2]syscall.Errno
}

// nsState is a namespace: every path below the root (slash-separated, no
// leading slash) mapped to its entry, plus the clients' bindings. The root
// is always a directory and is not stored. Immutable once built.
type nsState struct {
	entries map[string]entry
	binds   map[int]binding
	key     string
}

// newState builds a state from entries and binds, which it takes ownership
// of, and computes its canonical key.
func newState(entries map[string]entry, binds map[int]binding) *nsState {
	s := &nsState{entries: entries, binds: binds}
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(entries)) {
		b.WriteString(p)
		if entries[p].kind == kindDir {
			b.WriteByte('/')
		}
		b.WriteByte(' ')
	}
	for _, c := range slices.Sorted(maps.Keys(binds)) {
		bd := binds[c]
		fmt.Fprintf(&b, "| c%d#%d", c, bd.seq)
		for slot := range 2 {
			switch {
			case !bd.done[slot]:
				b.WriteString(" -")
			case bd.err[slot] != 0:
				b.WriteString(" " + errnoName(bd.err[slot]))
			default:
				if p, ok := s.pathOf(bd.dir[slot]); ok {
					b.WriteString(" /" + p)
				} else {
					b.WriteString(" dead")
				}
			}
		}
	}
	s.key = b.String()
	return s
}

// initState is the state of a namespace holding kinds, with no call in
// progress.
func initState(kinds map[string]kind) *nsState {
	m := make(map[string]entry, len(kinds))
	for p, k := range kinds {
		e := entry{kind: k}
		if k == kindDir {
			e.id = "init:" + p
		}
		m[p] = e
	}
	return newState(m, nil)
}

// tree is the namespace part of the key, for messages.
func (s *nsState) tree() string {
	t, _, _ := strings.Cut(s.key, "|")
	return "{" + strings.TrimSpace(t) + "}"
}

func (s *nsState) kindOf(p string) kind { return s.entries[p].kind }

// pathOf returns where directory id is now ("" for the root); false when it
// was removed.
func (s *nsState) pathOf(id string) (string, bool) {
	if id == "" {
		return "", true
	}
	for p, e := range s.entries {
		if e.id == id {
			return p, true
		}
	}
	return "", false
}

// parentErr is the error of walking to p's parent directory: ENOENT for a
// missing component, ENOTDIR for a non-directory one (O4, D4).
func (s *nsState) parentErr(p string) syscall.Errno {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		switch s.kindOf(p[:i]) {
		case kindNone:
			return syscall.ENOENT
		case kindDir:
		default:
			return syscall.ENOTDIR
		}
	}
	return 0
}

// hasChildren reports whether directory p has an entry.
func (s *nsState) hasChildren(p string) bool {
	for q := range s.entries {
		if under(q, p) {
			return true
		}
	}
	return false
}

// listing is what readdir of directory p shows: the names directly in it,
// sorted, a directory's with a slash, separated by spaces.
func (s *nsState) listing(p string) string {
	var names []string
	for q, e := range s.entries {
		if p != "" && !under(q, p) {
			continue
		}
		name := strings.TrimPrefix(q, p+"/")
		if p == "" {
			name = q
		}
		if strings.Contains(name, "/") {
			continue
		}
		if e.kind == kindDir {
			name += "/"
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

// under reports whether p is strictly below directory dir.
func under(p, dir string) bool { return strings.HasPrefix(p, dir+"/") }

// with returns the entries of s with p set to e (kind none: removed; p then
// has no children).
func (s *nsState) with(p string, e entry) map[string]entry {
	m := maps.Clone(s.entries)
	if e.kind == kindNone {
		delete(m, p)
	} else {
		m[p] = e
	}
	return m
}

// renamed returns the entries of s after rename(from, to) succeeded: to (a
// file or an empty directory) is replaced, and from with everything below
// it moves to to.
func (s *nsState) renamed(from, to string) map[string]entry {
	m := make(map[string]entry, len(s.entries))
	for p, e := range s.entries {
		switch {
		case p == to || under(p, to):
			// replaced
		case p == from || under(p, from):
			m[to+p[len(from):]] = e
		default:
			m[p] = e
		}
	}
	return m
}

// apply is the sequential specification on paths: the result of in acting
// on from (and to, for a rename), and the entries after it (nil: unchanged).
func apply(s *nsState, in linInput, from, to string) (linOutput, map[string]entry) {
	fail := func(e syscall.Errno) (linOutput, map[string]entry) { return linOutput{Err: e}, nil }
	if e := s.parentErr(from); e != 0 {
		return fail(e)
	}
	k := s.kindOf(from)
	switch in.Op {
	case opCreateExcl:
		if k != kindNone {
			return fail(syscall.EEXIST) // O3, O4: even a directory
		}
		return linOutput{Created: true}, s.with(from, entry{kind: kindFile})
	case opCreate:
		switch k {
		case kindNone:
			return linOutput{Created: true}, s.with(from, entry{kind: kindFile})
		case kindDir:
			return fail(syscall.EISDIR) // O4: O_CREAT on a directory
		}
		return linOutput{}, nil // O3: existed, so not created
	case opOpen, opStat:
		if k == kindNone {
			return fail(syscall.ENOENT)
		}
		return linOutput{Kind: k}, nil
	case opReadDir:
		switch k {
		case kindNone:
			return fail(syscall.ENOENT)
		case kindDir:
			return linOutput{List: s.listing(from)}, nil
		}
		return fail(syscall.ENOTDIR) // O_DIRECTORY
	case opUnlink:
		switch k {
		case kindNone:
			return fail(syscall.ENOENT)
		case kindDir:
			return fail(syscall.EISDIR)
		}
		return linOutput{}, s.with(from, entry{})
	case opMkdir:
		if k != kindNone {
			return fail(syscall.EEXIST)
		}
		id := "c" + strconv.Itoa(in.Client) + "." + strconv.Itoa(in.Seq)
		return linOutput{}, s.with(from, entry{kind: kindDir, id: id})
	case opRmdir:
		switch {
		case k == kindNone:
			return fail(syscall.ENOENT)
		case k != kindDir:
			return fail(syscall.ENOTDIR)
		case s.hasChildren(from):
			return fail(syscall.ENOTEMPTY)
		}
		return linOutput{}, s.with(from, entry{})
	case opRename, opRenameNoReplace:
		return applyRename(s, in, from, to)
	}
	panic("unknown op " + in.Op.String())
}

// applyRename is rename(2) / renameat2(RENAME_NOREPLACE) with Linux's order
// of checks (fs/namei.c do_renameat2, vfs_rename; rules D3, D4): both parent
// walks, source missing (ENOENT), RENAME_NOREPLACE onto an existing name
// (EEXIST, even onto itself), source an ancestor of the target (EINVAL),
// target an ancestor of the source (ENOTEMPTY), same name (success, nothing
// done), file types (ENOTDIR, EISDIR), a non-empty directory target
// (ENOTEMPTY).
func applyRename(s *nsState, in linInput, from, to string) (linOutput, map[string]entry) {
	fail := func(e syscall.Errno) (linOutput, map[string]entry) { return linOutput{Err: e}, nil }
	if e := s.parentErr(to); e != 0 {
		return fail(e)
	}
	src, dst := s.kindOf(from), s.kindOf(to)
	switch {
	case src == kindNone:
		return fail(syscall.ENOENT)
	case in.Op == opRenameNoReplace && dst != kindNone:
		return fail(syscall.EEXIST)
	case from == to:
		return linOutput{}, nil
	case src == kindDir && under(to, from):
		return fail(syscall.EINVAL)
	case dst == kindDir && under(from, to):
		return fail(syscall.ENOTEMPTY)
	case dst == kindFile && src == kindDir:
		return fail(syscall.ENOTDIR)
	case dst == kindDir && src != kindDir:
		return fail(syscall.EISDIR)
	case dst == kindDir && s.hasChildren(to):
		return fail(syscall.ENOTEMPTY)
	}
	return linOutput{}, s.renamed(from, to)
}

// resolve is a linResolve step: bind the directory that the slot's parent
// path names now (or the error naming it gives) to the client. It returns
// false when the step cannot happen now: its call already resolved that
// slot, or slot 1 (the new parent of a rename) comes before slot 0.
func resolve(s *nsState, r linResolve) (bool, *nsState) {
	in := r.For
	b, ok := s.binds[in.Client]
	switch {
	case !ok:
		b = binding{seq: in.Seq}
	case b.seq != in.Seq || b.done[r.Slot]:
		return false, s
	}
	if r.Slot == 1 && in.needsSlot(0) && !b.done[0] {
		return false, s // Linux and the core walk the old parent first
	}
	b.done[r.Slot] = true
	switch {
	case r.Slot == 1 && b.err[0] != 0:
		// the old parent failed: the new one is never looked at
	case r.Slot == 1 && in.Op == opReadDir:
		b.dir[1], b.err[1] = s.openDir(in, b)
	default:
		p := in.slotPath(r.Slot)
		if e := s.parentErr(p); e != 0 {
			b.err[r.Slot] = e
		} else {
			b.dir[r.Slot] = s.entries[path.Dir(p)].id
		}
	}
	binds := maps.Clone(s.binds)
	if binds == nil {
		binds = map[int]binding{}
	}
	binds[in.Client] = b
	return true, newState(s.entries, binds)
}

// openDir is the opening step of a readdir: the identity of the directory
// named by the last component of in.Path, in the parent bound in b (or the
// root), or the error opening it with O_DIRECTORY gives.
func (s *nsState) openDir(in linInput, b binding) (string, syscall.Errno) {
	p := in.Path
	if in.needsSlot(0) {
		dir, ok := s.pathOf(b.dir[0])
		if !ok {
			return "", syscall.ENOENT
		}
		p = path.Join(dir, path.Base(p))
	}
	switch e := s.entries[p]; e.kind {
	case kindNone:
		return "", syscall.ENOENT
	case kindDir:
		return e.id, 0
	}
	return "", syscall.ENOTDIR
}

// act is a linInput step: the call acts on the directories its client
// bound (in atomic mode, on its paths), and must have given out.
func act(s *nsState, in linInput, out linOutput, atomic bool) (bool, *nsState) {
	binds := s.binds
	bound := !atomic && (in.needsSlot(0) || in.needsSlot(1))
	var b binding
	if bound {
		var ok bool
		if b, ok = s.binds[in.Client]; !ok || b.seq != in.Seq {
			return false, s
		}
		for slot := range 2 {
			if in.needsSlot(slot) && !b.done[slot] {
				return false, s
			}
		}
		binds = maps.Clone(s.binds)
		delete(binds, in.Client)
	}
	if out.Err == syscall.ESTALE {
		// Rule V3: a call that met ESTALE twice returns it. The driver
		// did nothing, so the call is possible in any state and has no
		// effect (the harness counts these).
		return true, newState(s.entries, binds)
	}
	var want linOutput
	var entries map[string]entry
	if bound {
		want, entries = actBound(s, in, b, in.Path, in.To)
	} else {
		want, entries = apply(s, in, in.Path, in.To)
	}
	if want != out {
		return false, s
	}
	if entries == nil {
		entries = s.entries
	}
	return true, newState(entries, binds)
}

// actBound is apply on the directories bound in b rather than on the
// parents' paths: an error resolving a parent is the call's result (old
// parent first), a bound directory since removed gives ENOENT (Linux:
// IS_DEADDIR; D1), and a moved one is acted on where it is now.
func actBound(s *nsState, in linInput, b binding, from, to string) (linOutput, map[string]entry) {
	for slot := range 2 {
		if !in.needsSlot(slot) {
			continue
		}
		if b.err[slot] != 0 {
			return linOutput{Err: b.err[slot]}, nil
		}
	}
	if in.Op == opReadDir {
		// The directory was opened at the resolve step; it is listed
		// wherever it is now. Once removed, getdents fails with ENOENT
		// (Linux IS_DEADDIR; vfstest checks the same against the kernel).
		dir, ok := s.pathOf(b.dir[1])
		if !ok {
			return linOutput{Err: syscall.ENOENT}, nil
		}
		return linOutput{List: s.listing(dir)}, nil
	}
	for slot := range 2 {
		if !in.needsSlot(slot) {
			continue
		}
		dir, ok := s.pathOf(b.dir[slot])
		if !ok {
			return linOutput{Err: syscall.ENOENT}, nil
		}
		p := path.Join(dir, path.Base(in.slotPath(slot)))
		if slot == 0 {
			from = p
		} else {
			to = p
		}
	}
	return apply(s, in, from, to)
}

// linModel is the porcupine model of a namespace that starts as init; see
// the top of the file for atomic.
func linModel(init *nsState, atomic bool) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return init },
		Step: func(state, input, output any) (bool, any) {
			s := state.(*nsState)
			if r, ok := input.(linResolve); ok {
				return resolve(s, r)
			}
			return act(s, input.(linInput), output.(linOutput), atomic)
		},
		Equal: func(a, b any) bool { return a.(*nsState).key == b.(*nsState).key },
		Hash: func(state any) uint64 {
			h := fnv.New64a()
			h.Write([]byte(state.(*nsState).key))
			return h.Sum64()
		},
		DescribeOperation: func(input, output any) string {
			if r, ok := input.(linResolve); ok {
				return fmt.Sprintf("resolve parent of %s for %v", r.For.slotPath(r.Slot), r.For)
			}
			return input.(linInput).String() + " -> " + output.(linOutput).String()
		},
		DescribeState: func(state any) string {
			return "{" + state.(*nsState).key + "}"
		},
		DescribeOperationMetadata: func(info any) string {
			if info == nil {
				return ""
			}
			return fmt.Sprint(info)
		},
	}
}

// TestLinearizabilityModel checks the model on small hand-made histories,
// so that TestLinearizability cannot pass by a model that accepts anything.
func TestLinearizabilityModel(t *testing.T) {
	type call struct {
		client    int
		call, ret int64
		op        opKind
		path, to  string
		out       linOutput
	}
	ok := linOutput{}
	created := linOutput{Created: true}
	errno := func(e syscall.Errno) linOutput { return linOutput{Err: e} }
	init := map[string]kind{"d0": kindDir, "d0/x": kindFile, "d1": kindDir}
	for _, tc := range []struct {
		name          string
		calls         []call
		linux, atomic bool // linearizable with resolve steps; as atomic steps
	}{
		{"sequential", []call{
			{0, 0, 1, opMkdir, "d0/y", "", ok},
			{0, 2, 3, opStat, "d0/y", "", linOutput{Kind: kindDir}},
			{0, 4, 5, opReadDir, "d0", "", linOutput{List: "x y/"}},
		}, true, true},
		{"stat after mkdir misses it", []call{
			{0, 0, 1, opMkdir, "d0/y", "", ok},
			{1, 2, 3, opStat, "d0/y", "", errno(syscall.ENOENT)},
		}, false, false},
		{"overlapping", []call{
			{0, 0, 10, opMkdir, "d0/y", "", ok},
			{1, 2, 3, opStat, "d0/y", "", errno(syscall.ENOENT)},
			{2, 4, 5, opStat, "d0/y", "", linOutput{Kind: kindDir}},
		}, true, true},
		{"created twice (O3)", []call{
			{0, 0, 10, opCreateExcl, "d1/f", "", created},
			{1, 0, 10, opCreateExcl, "d1/f", "", created},
		}, false, false},
		{"create and exclusive create", []call{
			{0, 0, 10, opCreate, "d1/f", "", ok},
			{1, 0, 10, opCreateExcl, "d1/f", "", created},
		}, true, true},
		{"stat shares mkdir's EEXIST", []call{
			{0, 0, 10, opMkdir, "d0/x", "", errno(syscall.EEXIST)},
			{1, 1, 9, opStat, "d0/x", "", errno(syscall.EEXIST)},
		}, false, false},
		{"rmdir fails, existing name ENOENT meanwhile", []call{
			{0, 0, 10, opRmdir, "d0", "", errno(syscall.ENOTEMPTY)},
			{1, 1, 9, opStat, "d0/x", "", errno(syscall.ENOENT)},
		}, false, false},
		{"rename into itself", []call{
			{0, 0, 1, opRename, "d0", "d0/z", errno(syscall.EINVAL)},
			{0, 2, 3, opRename, "d0/x", "d0", errno(syscall.ENOTEMPTY)},
			{0, 4, 5, opRenameNoReplace, "d0", "d0", errno(syscall.EEXIST)},
		}, true, true},
		// The parent of d0/z is resolved (the first d0), d0 moves to
		// d1/m and a new d0 is made, then the rename acts: it moves the
		// new d0 into the old one, as Linux does. No single instant
		// explains it, so only the model with resolve steps accepts it.
		{"ancestor renamed during a rename", []call{
			{0, 0, 100, opRename, "d0", "d0/z", ok},
			{1, 10, 20, opRename, "d0", "d1/m", ok},
			{1, 30, 40, opMkdir, "d0", "", ok},
			{1, 110, 120, opReadDir, "d1/m", "", linOutput{List: "x z/"}},
		}, true, false},
		{"readdir of a directory renamed after it was opened", []call{
			{0, 0, 100, opReadDir, "d0", "", linOutput{List: "x y"}},
			{1, 10, 20, opRename, "d0", "d1/m", ok},
			{1, 30, 40, opCreate, "d1/m/y", "", created},
		}, true, false},
		{"readdir sees a name never there", []call{
			{0, 0, 100, opReadDir, "d0", "", linOutput{List: "x q"}},
		}, false, false},
	} {
		for _, atomic := range []bool{false, true} {
			var h []porcupine.Operation
			seq := map[int]int{}
			for _, c := range tc.calls {
				in := linInput{Op: c.op, Path: c.path, To: c.to, Client: c.client, Seq: seq[c.client]}
				seq[c.client]++
				h = append(h, porcupine.Operation{ClientId: c.client, Input: in, Call: c.call, Output: c.out, Return: c.ret})
			}
			want := tc.linux
			if atomic {
				want = tc.atomic
			}
			got := porcupine.CheckOperations(linModel(initState(init), atomic), withResolves(h, atomic))
			if got != want {
				t.Errorf("%s (atomic %v): linearizable %v, want %v", tc.name, atomic, got, want)
			}
		}
	}
}
