package sftpfs

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

// Many goroutines share one driver and one connection, each working on
// its own names, as the core allows (rule D1: different names in parallel).
// Run with -race.
func TestConcurrentOperationsShareOneConnection(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	root := e.rootNode()
	const workers, files = 8, 12
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			dirName := fmt.Sprintf("w%d", w)
			dir, _, err := e.fs.Mkdir(ctx(t), root, dirName, 0o755)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range files {
				name := fmt.Sprintf("f%d", i)
				res, err := e.fs.AtomicOpen(ctx(t), dir, name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
				if err != nil || !res.Created {
					t.Errorf("%s/%s: %+v %v", dirName, name, res, err)
					return
				}
				data := []byte(dirName + "/" + name)
				if _, err := res.Handle.WriteAt(ctx(t), data, 0); err != nil {
					t.Error(err)
				}
				buf := make([]byte, 64)
				if n, _ := res.Handle.ReadAt(ctx(t), buf, 0); string(buf[:n]) != string(data) {
					t.Errorf("read back %q, want %q", buf[:n], data)
				}
				if err := res.Handle.Release(ctx(t)); err != nil {
					t.Error(err)
				}
				if i%3 == 0 {
					if err := e.fs.Rename(ctx(t), dir, name, dir, name+".moved", 0); err != nil {
						t.Error(err)
					}
					e.fs.Moved(res.Node, dir, name+".moved")
					if _, err := e.fs.Getattr(ctx(t), res.Node); err != nil {
						t.Error(err)
					}
				}
				if i%3 == 1 {
					if err := e.fs.Unlink(ctx(t), dir, name); err != nil {
						t.Error(err)
					}
				}
			}
			var names []string
			if err := e.fs.ReadDir(ctx(t), dir, func(de vfs.DirEntry) bool { names = append(names, de.Name); return true }); err != nil {
				t.Error(err)
			}
			if len(names) != files-files/3 {
				t.Errorf("%s lists %d entries: %v", dirName, len(names), names)
			}
		})
	}
	wg.Wait()
	entries, err := os.ReadDir(e.root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, de := range entries {
		got = append(got, de.Name())
	}
	sort.Strings(got)
	if len(got) != workers {
		t.Errorf("root has %v", got)
	}
}
