package vfs_test

// Tests of the open rules O1-O4.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// TestO1_AtomicOpenOneCall: open(O_CREAT) of a new name is one driver call.
func TestO1_AtomicOpenOneCall(t *testing.T) {
	f, m := mount(t, memfs.Options{}, nil)
	fl, err := f.OpenFile(bg, "new", os.O_CREATE|os.O_WRONLY, 0o644)
	must(t, err)
	must(t, fl.Close())
	// Close is flush+release; the open itself must be one call.
	if n := m.Calls(memfs.OpAtomicOpen); n != 1 || m.Calls(memfs.OpLookup) != 0 || m.Calls(memfs.OpCreate) != 0 {
		t.Fatalf("atomicopen=%d lookup=%d create=%d, want 1/0/0", n, m.Calls(memfs.OpLookup), m.Calls(memfs.OpCreate))
	}
	if !fl.Created() {
		t.Fatal("Created() false for a new file")
	}
}

// TestO2_FallbacksInCore: every "not opened" answer is completed by the
// core: directories, symlinks (followed), absent names; the driver is never
// asked to look the name up again.
func TestO2_FallbacksInCore(t *testing.T) {
	f, m := mount(t, memfs.Options{NoWalk: true}, nil)
	r := m.Remote()
	must(t, r.Mkdir("dir", 0o755))
	must(t, r.WriteFile("target", []byte("T"), 0o644))
	must(t, r.Symlink("target", "link"))
	must(t, r.Symlink("dir", "dlink"))

	fl, err := f.Open(bg, "dir")
	must(t, err)
	must(t, fl.Close())
	_, err = f.OpenFile(bg, "dir", os.O_WRONLY, 0)
	wantErrno(t, err, syscall.EISDIR)
	b, err := f.ReadFile(bg, "link")
	must(t, err)
	if string(b) != "T" {
		t.Fatalf("read %q through symlink", b)
	}
	_, err = f.OpenFile(bg, "link", os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	wantErrno(t, err, syscall.ELOOP)
	fl, err = f.OpenFile(bg, "dlink", os.O_RDONLY|syscall.O_DIRECTORY, 0)
	must(t, err)
	must(t, fl.Close())
	_, err = f.Open(bg, "absent")
	wantErrno(t, err, syscall.ENOENT)
	if n := m.Calls(memfs.OpLookup); n != 0 {
		t.Fatalf("%d driver lookups: a fallback went back to the driver", n)
	}
}

// TestO3_CreatedOnce: of many concurrent O_CREAT|O_EXCL opens of one name
// exactly one succeeds; of plain O_CREAT opens exactly one reports Created.
func TestO3_CreatedOnce(t *testing.T) {
	for _, mo := range []memfs.Options{{}, {NoAtomicOpen: true}} {
		t.Run(fmt.Sprintf("atomic=%v", !mo.NoAtomicOpen), func(t *testing.T) {
			f, m := mount(t, mo, nil)
			m.SetLatency("", 200*time.Microsecond)
			for _, excl := range []bool{true, false} {
				name := fmt.Sprintf("f-%v", excl)
				var wg sync.WaitGroup
				var created, ok atomic.Int64
				for i := 0; i < 32; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						flags := os.O_CREATE | os.O_RDWR
						if excl {
							flags |= os.O_EXCL
						}
						fl, err := f.OpenFile(bg, name, flags, 0o644)
						if err != nil {
							if !excl || !errors.Is(err, syscall.EEXIST) {
								t.Error(err)
							}
							return
						}
						ok.Add(1)
						if fl.Created() {
							created.Add(1)
						}
						fl.Close()
					}()
				}
				wg.Wait()
				if created.Load() != 1 || excl && ok.Load() != 1 {
					t.Fatalf("excl=%v: %d opens succeeded, %d created; want one creator", excl, ok.Load(), created.Load())
				}
			}
		})
	}
}

// TestO3_NoTruncOfNewFile: O_TRUNC on a file this open created is not sent
// again (no setattr, no second open).
func TestO3_NoTruncOfNewFile(t *testing.T) {
	for _, mo := range []memfs.Options{{}, {NoAtomicOpen: true}} {
		f, m := mount(t, mo, nil)
		fl, err := f.OpenFile(bg, "n", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		must(t, err)
		fl.Close()
		if m.Calls(memfs.OpSetattr) != 0 || m.Calls(memfs.OpOpen) != 0 {
			t.Fatalf("atomic=%v: setattr=%d open=%d after creating with O_TRUNC", !mo.NoAtomicOpen, m.Calls(memfs.OpSetattr), m.Calls(memfs.OpOpen))
		}
	}
}

// TestO4_OpenSemantics: open(2) rules for final components.
func TestO4_OpenSemantics(t *testing.T) {
	for _, mo := range []memfs.Options{{}, {NoAtomicOpen: true, NoWalk: true}} {
		f, _ := mount(t, mo, nil)
		must(t, f.Mkdir(bg, "d", 0o755))
		must(t, f.WriteFile(bg, "file", nil, 0o644))
		must(t, f.Symlink(bg, "missing", "dangling"))
		must(t, f.Symlink(bg, "file", "flink"))
		cases := []struct {
			path  string
			flags int
			want  syscall.Errno
		}{
			{"file", os.O_RDONLY | syscall.O_DIRECTORY, syscall.ENOTDIR},
			{"flink", os.O_RDONLY | syscall.O_NOFOLLOW, syscall.ELOOP},
			{"d", os.O_RDWR, syscall.EISDIR},
			{"d", os.O_RDONLY | os.O_CREATE, syscall.EISDIR},
			{"file/x", os.O_RDONLY, syscall.ENOTDIR},
			{"file/", os.O_RDONLY, syscall.ENOTDIR},
			{"dangling", os.O_CREATE | os.O_EXCL | os.O_WRONLY, syscall.EEXIST},
			{"nodir/x", os.O_CREATE | os.O_WRONLY, syscall.ENOENT},
			{"x/", os.O_CREATE | os.O_WRONLY, syscall.EISDIR},
		}
		for _, c := range cases {
			_, err := f.OpenFile(bg, c.path, c.flags, 0o644)
			if !errors.Is(err, c.want) {
				t.Errorf("atomic=%v open(%q, %#x) = %v, want %v", !mo.NoAtomicOpen, c.path, c.flags, err, c.want)
			}
		}
		// O_CREAT follows a dangling symlink and creates its target.
		fl, err := f.OpenFile(bg, "dangling", os.O_CREATE|os.O_WRONLY, 0o644)
		must(t, err)
		fl.Close()
		if _, err := f.Lgetattr(bg, "missing"); err != nil {
			t.Fatalf("O_CREAT through a dangling symlink did not create the target: %v", err)
		}
	}
}

// TestSeedRace is the 2016 scenario (reference/parallel-atomic-open-2016.txt):
// 64 goroutines open the same few uncached names without O_CREAT through a
// driver whose atomic open answers "not opened" (they are directories), mixed
// with O_CREAT opens, unlinks and renames of those names, with latency, under
// -race and with the invariant checker on. Exactly one driver lookup per
// (name, generation): between two lookups of a name there is always a call
// that changed (or tried to change) it.
func TestSeedRace(t *testing.T) {
	m := memfs.New(memfs.Options{NoWalk: true})
	names := []string{"n0", "n1", "n2", "n3"}
	for _, n := range names {
		must(t, m.Remote().Mkdir(n, 0o755))
	}
	rec := &recorder{Driver: m.Driver(), ao: m.Driver().(vfs.AtomicOpener), events: map[string][]string{}}
	f, err := vfs.New(bg, rec, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
	must(t, err)
	m.SetLatency("", 300*time.Microsecond)
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 30; k++ {
				name := names[(g+k)%len(names)]
				switch {
				case g < 40: // the seed: plain opens of a directory name
					if fl, err := f.Open(bg, name); err == nil {
						fl.Close()
					}
				case g < 48:
					if fl, err := f.OpenFile(bg, name, os.O_CREATE|os.O_RDONLY, 0o644); err == nil {
						fl.Close()
					}
				case g < 56:
					f.Remove(bg, name)
					f.Mkdir(bg, name, 0o755)
				default:
					f.Rename(bg, name, names[(g+k+1)%len(names)])
				}
			}
		}()
	}
	wg.Wait()
	must(t, f.CheckInvariants())
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.overlap {
		t.Error("two atomic opens of one name overlapped (L1)")
	}
	for _, n := range names {
		ev := rec.events[n]
		lookups := 0
		for i, e := range ev {
			if strings.HasPrefix(e, "lookup") {
				lookups++
				if i > 0 && strings.HasPrefix(ev[i-1], "lookup") {
					t.Errorf("%s: two driver lookups with no change between them: %q then %q", n, ev[i-1], ev[i])
					break
				}
			}
		}
		t.Logf("%s: %d lookups in %d driver events", n, lookups, len(ev))
	}
}

// recorder is a driver wrapper recording, per name and in order, the driver
// calls that look a name up ("lookup": Lookup, or an AtomicOpen that created
// nothing) and those that change or try to change it ("change").
type recorder struct {
	vfs.Driver
	ao      vfs.AtomicOpener
	mu      sync.Mutex
	events  map[string][]string
	busy    map[string]int
	overlap bool
}

func (r *recorder) add(kind string, names ...string) {
	r.mu.Lock()
	for _, n := range names {
		r.events[n] = append(r.events[n], kind)
	}
	r.mu.Unlock()
}

func (r *recorder) Lookup(ctx context.Context, dir vfs.Node, name string) (vfs.Node, vfs.Attr, error) {
	n, a, err := r.Driver.Lookup(ctx, dir, name)
	r.add("lookup", name)
	return n, a, err
}

func (r *recorder) AtomicOpen(ctx context.Context, dir vfs.Node, name string, flags int, mode uint32) (vfs.OpenResult, error) {
	r.mu.Lock()
	if r.busy == nil {
		r.busy = map[string]int{}
	}
	r.busy[name]++
	if r.busy[name] > 1 {
		r.overlap = true
	}
	r.mu.Unlock()
	defer func() { r.mu.Lock(); r.busy[name]--; r.mu.Unlock() }()
	res, err := r.ao.AtomicOpen(ctx, dir, name, flags, mode)
	if res.Created || err != nil && flags&os.O_CREATE != 0 {
		r.add("change", name)
	} else {
		r.add("lookup", name)
	}
	return res, err
}

func (r *recorder) Mkdir(ctx context.Context, dir vfs.Node, name string, mode uint32) (vfs.Node, vfs.Attr, error) {
	n, a, err := r.Driver.Mkdir(ctx, dir, name, mode)
	r.add("change", name)
	return n, a, err
}

func (r *recorder) Unlink(ctx context.Context, dir vfs.Node, name string) error {
	err := r.Driver.Unlink(ctx, dir, name)
	r.add("change", name)
	return err
}

func (r *recorder) Rmdir(ctx context.Context, dir vfs.Node, name string) error {
	err := r.Driver.Rmdir(ctx, dir, name)
	r.add("change", name)
	return err
}

func (r *recorder) Rename(ctx context.Context, od vfs.Node, on string, nd vfs.Node, nn string, flags uint32) error {
	err := r.Driver.Rename(ctx, od, on, nd, nn, flags)
	r.add("change", on, nn)
	return err
}
