package memfs_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// Example drives memfs directly through the driver contract, then changes
// the tree behind the driver's back with Remote and watches Revalidate and
// ESTALE report it.
func Example() {
	ctx := context.Background()
	m := memfs.New(memfs.Options{})
	var d vfs.Driver = m.Driver()
	root, _, _ := d.Root(ctx)

	dir, _, _ := d.Mkdir(ctx, root, "docs", 0o755)
	file, attr, h, _ := d.Create(ctx, dir, "readme", syscall.O_RDWR, 0o644)
	h.WriteAt(ctx, []byte("hello, netvfs"), 0)
	h.Release(ctx)

	buf := make([]byte, 5)
	h, _ = d.Open(ctx, file, syscall.O_RDONLY)
	h.ReadAt(ctx, buf, 0)
	h.Release(ctx)
	fmt.Printf("read %q, mode %o, nlink %d\n", buf, attr.Mode, attr.Nlink)

	// The optional capabilities are discovered by type assertion.
	ao, _ := d.(vfs.AtomicOpener)
	res, _ := ao.AtomicOpen(ctx, dir, "new", syscall.O_RDWR|syscall.O_CREAT, 0o600)
	fmt.Println("atomic open created:", res.Created)
	res.Handle.Release(ctx)

	// Another client rewrites the file: Revalidate notices.
	cached, _ := d.Getattr(ctx, file)
	m.Remote().WriteFile("docs/readme", []byte("changed"), 0)
	_, changed, _ := d.(vfs.Revalidator).Revalidate(ctx, file, cached)
	fmt.Println("changed behind our back:", changed)

	// Another client replaces it with a new inode: the old node is stale.
	m.Remote().Replace("docs/readme", []byte("v2"))
	_, err := d.Getattr(ctx, file)
	fmt.Println("old node stale:", errors.Is(err, syscall.ESTALE))

	// Faults and call counts are the test bench.
	m.InjectFault(memfs.OpLookup, "readme", 1, syscall.EIO)
	_, _, err = d.Lookup(ctx, dir, "readme")
	fmt.Println("injected:", err, "- lookups so far:", m.Calls(memfs.OpLookup))

	// Output:
	// read "hello", mode 100644, nlink 1
	// atomic open created: true
	// changed behind our back: true
	// old node stale: true
	// injected: input/output error - lookups so far: 1
}

// ExampleFS_Driver shows an Options-limited view: a driver without atomic
// open or identities, like SFTP.
func ExampleFS_Driver() {
	m := memfs.New(memfs.Options{NoAtomicOpen: true, NoIdentity: true})
	d := m.Driver()
	_, isAtomic := d.(vfs.AtomicOpener)
	_, isWalker := d.(vfs.Walker)
	root, attr, _ := d.Root(context.Background())
	fmt.Println(isAtomic, isWalker, attr.ID == "", root != nil)
	// Output: false true true true
}
