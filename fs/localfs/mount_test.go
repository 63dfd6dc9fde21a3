package localfs

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// Mount points below the root are not crossed (RESOLVE_NO_XDEV): Lookup
// answers EXDEV, ReadDir lists the name without attributes, and a node
// that a mount later covers turns stale.
func TestMountPointsAreNotCrossed(t *testing.T) {
	requireRoot(t, "mounting a tmpfs needs root")
	e := newEnv(t)
	e.mkdir("mnt")
	e.mkdir("covered")
	covered, _ := e.lookup("covered")
	for _, d := range []string{"mnt", "covered"} {
		if err := unix.Mount("tmpfs", e.path(d), "tmpfs", 0, "size=1m"); err != nil {
			t.Fatalf("mount tmpfs (root is expected to be allowed to): %v", err)
		}
		t.Cleanup(func() { unix.Unmount(e.path(d), unix.MNT_DETACH) })
	}
	must(t, "write into the mount", os.WriteFile(e.path("mnt/inside"), []byte("x"), 0o644))

	_, _, err := e.fs.Lookup(e.ctx, e.root, "mnt")
	wantErr(t, "Lookup of a mount point", err, syscall.EXDEV)
	_, err = e.fs.AtomicOpen(e.ctx, e.root, "mnt", unix.O_RDONLY, 0)
	wantErr(t, "AtomicOpen of a mount point", err, syscall.EXDEV)
	_, err = e.fs.Getattr(e.ctx, covered)
	wantErr(t, "Getattr of a node a mount now covers", err, syscall.ESTALE)
	_, _, _, err = e.fs.Create(e.ctx, covered, "x", unix.O_RDWR, 0o644)
	wantErr(t, "Create below a mount point", err, syscall.ESTALE)

	ents := readAll(t, e, e.root)
	if i := indexOf(ents, "mnt"); i < 0 || ents[i].HasAttr || ents[i].Type != vfs.S_IFDIR {
		t.Fatalf("mount point entry: %+v", ents)
	}
}
