package memfs

// Tests that Options hide exactly the capabilities they name, and that the
// view and *FS share one filesystem.

import (
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

func TestDriverHidesExactlyTheOptionalCapabilities(t *testing.T) {
	for mask := 0; mask < 16; mask++ {
		opts := Options{
			NoAtomicOpen: mask&1 != 0,
			NoWalk:       mask&2 != 0,
			NoRevalidate: mask&4 != 0,
			NoXattr:      mask&8 != 0,
		}
		d := New(opts).Driver()
		_, ao := d.(vfs.AtomicOpener)
		_, w := d.(vfs.Walker)
		_, r := d.(vfs.Revalidator)
		_, x := d.(vfs.Xattrer)
		_, mv := d.(vfs.Mover)
		_, fg := d.(vfs.Forgetter)
		if ao == opts.NoAtomicOpen || w == opts.NoWalk || r == opts.NoRevalidate || x == opts.NoXattr {
			t.Errorf("%+v: AtomicOpener=%v Walker=%v Revalidator=%v Xattrer=%v", opts, ao, w, r, x)
		}
		if mv || fg {
			t.Errorf("%+v: memfs must not be a Mover (%v) or Forgetter (%v)", opts, mv, fg)
		}
	}
}

func TestFSHasEveryCapabilityWhateverItsOptions(t *testing.T) {
	var d any = New(Options{NoAtomicOpen: true, NoWalk: true, NoRevalidate: true, NoXattr: true})
	for name, ok := range map[string]bool{
		"AtomicOpener": is[vfs.AtomicOpener](d),
		"Walker":       is[vfs.Walker](d),
		"Revalidator":  is[vfs.Revalidator](d),
		"Xattrer":      is[vfs.Xattrer](d),
	} {
		if !ok {
			t.Errorf("*FS is not a %s", name)
		}
	}
}

func is[T any](v any) bool { _, ok := v.(T); return ok }

func TestDriverViewSharesTheFilesystem(t *testing.T) {
	m := New(Options{NoWalk: true, NoXattr: true})
	d := m.Driver()
	root, _, err := d.Root(bg)
	must(t, "Root", err)
	n, _, h, err := d.Create(bg, root, "f", syscall.O_WRONLY, 0o600)
	must(t, "Create", err)
	if _, ok := h.(vfs.Allocator); !ok {
		t.Errorf("handle is not a vfs.Allocator")
	}
	must(t, "Release", h.Release(bg))
	got, _ := lookup(t, m, root, "f")
	if got != n {
		t.Errorf("Lookup through *FS returned another node than Create through the view")
	}
	if c := m.Calls(OpCreate); c != 1 {
		t.Errorf("Calls(create) = %d through the view, want 1", c)
	}
}
