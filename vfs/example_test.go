package vfs_test

import (
	"context"
	"fmt"
	"os"
	"testing/fstest"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// Mount a driver, create through the atomic open, read through the cache.
func Example() {
	ctx := context.Background()
	drv := memfs.New(memfs.Options{}).Driver()
	fsys, err := vfs.New(ctx, drv, &vfs.Options{Policy: vfs.PolicyCloseToOpen})
	if err != nil {
		panic(err)
	}
	if err := fsys.MkdirAll(ctx, "src/pkg", 0o755); err != nil {
		panic(err)
	}
	f, err := fsys.OpenFile(ctx, "src/pkg/a.go", os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	f.Write([]byte("package pkg\n"))
	f.Close()
	if err := fsys.Rename2(ctx, "src/pkg", "src/lib", vfs.RenameNoReplace); err != nil {
		panic(err)
	}
	a, _ := fsys.Getattr(ctx, "src/lib/a.go")
	ents, _ := fsys.ReadDir(ctx, "src/lib")
	fmt.Println(a.Size, ents[0].Name(), fstest.TestFS(fsys.IOFS(ctx), "src/lib/a.go") == nil)
	_, err = fsys.Stat(ctx, "src/pkg/a.go")
	fmt.Println(err)
	// Output:
	// 12 a.go true
	// stat src/pkg/a.go: no such file or directory
}
