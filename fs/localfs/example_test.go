package localfs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"syscall"

	"github.com/netvfs/netvfs/fs/localfs"
)

// A driver over a local directory: create a file, write and read it through
// a handle, and see that a symlink pointing outside the root is never
// followed by the driver.
func Example() {
	dir, err := os.MkdirTemp("", "localfs-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	fsys, err := localfs.New(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()
	ctx := context.Background()
	root, _, err := fsys.Root(ctx)
	if err != nil {
		log.Fatal(err)
	}

	node, _, h, err := fsys.Create(ctx, root, "hello.txt", os.O_RDWR, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := h.WriteAt(ctx, []byte("hello, world\n"), 0); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := h.ReadAt(ctx, buf, 0) // io.EOF: the file is shorter than buf
	h.Release(ctx)
	fmt.Printf("read: %s", buf[:n])

	attr, err := fsys.Getattr(ctx, node)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("size:", attr.Size, "regular:", attr.IsRegular())

	// Planted behind the driver's back: a symlink to /etc.
	if err := os.Symlink("/etc", filepath.Join(dir, "etc")); err != nil {
		log.Fatal(err)
	}
	link, lattr, err := fsys.Lookup(ctx, root, "etc")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("etc is a symlink:", lattr.IsSymlink())
	_, _, err = fsys.Lookup(ctx, link, "passwd")
	fmt.Println("lookup through it is ENOTDIR:", errors.Is(err, syscall.ENOTDIR))
	// Output:
	// read: hello, world
	// size: 13 regular: true
	// etc is a symlink: true
	// lookup through it is ENOTDIR: true
}
