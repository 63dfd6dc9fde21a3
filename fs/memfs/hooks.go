package memfs

// This file is the test bench around every driver call: the operation names,
// per-operation call counters, the OnCall observer, injected latency and
// injected faults. Counters, latencies and the observer are atomics; the
// fault list has its own small mutex (faultMu), taken only while faults are
// pending. None of it is touched with FS.mu or an inode.mu held: latency in
// particular is slept before any lock, so parallel calls overlap (rule L2).

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Op names one driver operation for SetLatency, Calls, OnCall and
// InjectFault.
type Op string

// The operations. Root is not one: it is neither counted nor delayed.
const (
	OpLookup      Op = "lookup"
	OpGetattr     Op = "getattr"
	OpSetattr     Op = "setattr"
	OpReadlink    Op = "readlink"
	OpOpen        Op = "open"
	OpCreate      Op = "create"
	OpAtomicOpen  Op = "atomicopen"
	OpMkdir       Op = "mkdir"
	OpMknod       Op = "mknod"
	OpSymlink     Op = "symlink"
	OpLink        Op = "link"
	OpUnlink      Op = "unlink"
	OpRmdir       Op = "rmdir"
	OpRename      Op = "rename"
	OpReadDir     Op = "readdir"
	OpStatfs      Op = "statfs"
	OpWalk        Op = "walk"
	OpRevalidate  Op = "revalidate"
	OpRead        Op = "read"
	OpWrite       Op = "write"
	OpFlush       Op = "flush"
	OpFsync       Op = "fsync"
	OpRelease     Op = "release"
	OpGetxattr    Op = "getxattr"
	OpSetxattr    Op = "setxattr"
	OpListxattr   Op = "listxattr"
	OpRemovexattr Op = "removexattr"
	OpAllocate    Op = "allocate"
)

// opIndex is an Op's position in allOps; the hot path uses it to index the
// counter and latency arrays without a map lookup.
type opIndex int

const (
	opLookup opIndex = iota
	opGetattr
	opSetattr
	opReadlink
	opOpen
	opCreate
	opAtomicOpen
	opMkdir
	opMknod
	opSymlink
	opLink
	opUnlink
	opRmdir
	opRename
	opReadDir
	opStatfs
	opWalk
	opRevalidate
	opRead
	opWrite
	opFlush
	opFsync
	opRelease
	opGetxattr
	opSetxattr
	opListxattr
	opRemovexattr
	opAllocate
	numOps
)

// allOps lists the operations in opIndex order.
var allOps = [numOps]Op{
	OpLookup, OpGetattr, OpSetattr, OpReadlink, OpOpen, OpCreate, OpAtomicOpen,
	OpMkdir, OpMknod, OpSymlink, OpLink, OpUnlink, OpRmdir, OpRename,
	OpReadDir, OpStatfs, OpWalk, OpRevalidate, OpRead, OpWrite, OpFlush,
	OpFsync, OpRelease, OpGetxattr, OpSetxattr, OpListxattr, OpRemovexattr,
	OpAllocate,
}

// index returns op's opIndex; it panics on a name that is not an Op, since
// that is a bug in the test using the hook.
func (op Op) index() opIndex {
	for i, o := range allOps {
		if o == op {
			return opIndex(i)
		}
	}
	panic(fmt.Sprintf("memfs: unknown Op %q", string(op)))
}

// fault is one pending InjectFault.
type fault struct {
	op   opIndex // -1: any operation
	name string  // "": any name
	left int
	err  error
}

// hooks is the per-FS test bench state.
type hooks struct {
	calls   [numOps]atomic.Int64
	latency [numOps]atomic.Int64 // time.Duration
	onCall  atomic.Pointer[func(Op, string)]

	pending atomic.Int32 // len(faults), so the hot path skips faultMu
	faultMu sync.Mutex
	faults  []*fault // guarded by faultMu
}

// SetLatency makes every later call of op sleep d before doing anything
// (op "" sets every operation). The sleep honours the call's context and
// happens before any lock is taken.
func (m *FS) SetLatency(op Op, d time.Duration) {
	if op == "" {
		for i := range m.hooks.latency {
			m.hooks.latency[i].Store(int64(d))
		}
		return
	}
	m.hooks.latency[op.index()].Store(int64(d))
}

// Calls returns how many calls of op were made so far (op "": of all
// operations). Remote changes are not calls.
func (m *FS) Calls(op Op) int64 {
	if op != "" {
		return m.hooks.calls[op.index()].Load()
	}
	var n int64
	for i := range m.hooks.calls {
		n += m.hooks.calls[i].Load()
	}
	return n
}

// ResetCalls sets every call counter back to zero.
func (m *FS) ResetCalls() {
	for i := range m.hooks.calls {
		m.hooks.calls[i].Store(0)
	}
}

// OnCall installs fn (nil removes it), called at the start of every call,
// before the latency sleep, with the operation and its name argument: ""
// when it has none, the xattr name for xattr calls, once per name for walk,
// and for rename once with the old name, then once with "->" + the new name.
// fn runs on the caller's goroutine with no lock held; it may block (tests
// use that to hold a call at a gate).
func (m *FS) OnCall(fn func(op Op, name string)) {
	if fn == nil {
		m.hooks.onCall.Store(nil)
		return
	}
	m.hooks.onCall.Store(&fn)
}

// InjectFault makes the next n calls of op (op "": of any operation) whose
// name argument is name (name "": any name; for rename either name, for walk
// any of the names) fail with err after their latency, without touching the
// filesystem. n <= 0 cancels pending faults for exactly (op, name). Faults
// are consumed in the order they were injected. Release still releases the
// handle when it reports a fault.
func (m *FS) InjectFault(op Op, name string, n int, err error) {
	idx := opIndex(-1)
	if op != "" {
		idx = op.index()
	}
	h := &m.hooks
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	if n <= 0 {
		kept := h.faults[:0]
		for _, f := range h.faults {
			if f.op != idx || f.name != name {
				kept = append(kept, f)
			}
		}
		h.faults = kept
	} else {
		h.faults = append(h.faults, &fault{op: idx, name: name, left: n, err: err})
	}
	h.pending.Store(int32(len(h.faults)))
}

// begin is the prologue of every call with at most one name: count, observe,
// sleep, then check the context and pending faults.
func (m *FS) begin(ctx context.Context, op opIndex, name string) error {
	m.hooks.calls[op].Add(1)
	if fn := m.hooks.onCall.Load(); fn != nil {
		(*fn)(allOps[op], name)
	}
	if err := m.delay(ctx, op); err != nil {
		return err
	}
	if m.hooks.pending.Load() > 0 {
		return m.takeFault(op, name, "")
	}
	return nil
}

// beginRename is begin for rename: two names.
func (m *FS) beginRename(ctx context.Context, oldName, newName string) error {
	m.hooks.calls[opRename].Add(1)
	if fn := m.hooks.onCall.Load(); fn != nil {
		(*fn)(OpRename, oldName)
		(*fn)(OpRename, "->"+newName)
	}
	if err := m.delay(ctx, opRename); err != nil {
		return err
	}
	if m.hooks.pending.Load() > 0 {
		return m.takeFault(opRename, oldName, newName)
	}
	return nil
}

// beginWalk is begin for walk: the observer sees each name.
func (m *FS) beginWalk(ctx context.Context, names []string) error {
	m.hooks.calls[opWalk].Add(1)
	if fn := m.hooks.onCall.Load(); fn != nil {
		for _, name := range names {
			(*fn)(OpWalk, name)
		}
	}
	if err := m.delay(ctx, opWalk); err != nil {
		return err
	}
	if m.hooks.pending.Load() > 0 {
		return m.takeFault(opWalk, names...)
	}
	return nil
}

// delay sleeps op's latency (honouring ctx) and then reports ctx's error, if
// any. No lock is held.
func (m *FS) delay(ctx context.Context, op opIndex) error {
	if d := time.Duration(m.hooks.latency[op].Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if err := ctx.Err(); err != nil {
		return wrapCtx(string(allOps[op]), err)
	}
	return nil
}

// takeFault consumes the first pending fault matching op and one of names.
func (m *FS) takeFault(op opIndex, names ...string) error {
	h := &m.hooks
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	for i, f := range h.faults {
		if f.op != -1 && f.op != op {
			continue
		}
		if f.name != "" && !contains(names, f.name) {
			continue
		}
		f.left--
		if f.left == 0 {
			h.faults = append(h.faults[:i], h.faults[i+1:]...)
			h.pending.Store(int32(len(h.faults)))
		}
		return f.err
	}
	return nil
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// wrapCtx wraps a context error with the operation it interrupted.
func wrapCtx(op string, err error) error {
	return fmt.Errorf("memfs: %s: %w", op, err)
}
