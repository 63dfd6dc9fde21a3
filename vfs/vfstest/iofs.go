package vfstest

// The io/fs view (FS.IOFS): testing/fstest.TestFS on a small tree, and the
// io/fs error conventions (fs.ErrNotExist, fs.ErrInvalid for invalid names).

import (
	"errors"
	"io/fs"
	"syscall"
	"testing/fstest"
)

var iofsCases = []testCase{
	{"TestFS", func(e *env) {
		e.writeFile("a.txt", "alpha")
		e.must(e.fs.MkdirAll(e.ctx, "dir/sub", 0o755), "MkdirAll")
		e.writeFile("dir/b.txt", "bravo")
		e.writeFile("dir/sub/c.txt", "charlie")
		e.writeFile("dir/sub/empty", "")
		e.mkdir("emptydir")
		e.symlink("a.txt", "link")
		e.symlink("sub", "dir/sublink")
		fsys := e.fs.IOFS(e.ctx)
		if err := fstest.TestFS(fsys, "a.txt", "dir/b.txt", "dir/sub/c.txt", "dir/sub/empty", "emptydir", "link"); err != nil {
			e.Errorf("fstest.TestFS: %v", err)
		}
		b, err := fs.ReadFile(fsys, "dir/sub/c.txt")
		if e.ok(err, "fs.ReadFile") && string(b) != "charlie" {
			e.Errorf("fs.ReadFile = %q", b)
		}
		var walked []string
		err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			walked = append(walked, p)
			return err
		})
		e.ok(err, "fs.WalkDir")
		if len(walked) != 10 {
			e.Errorf("fs.WalkDir visited %d names %q, want 10", len(walked), walked)
		}
		if t, err := fs.ReadLink(fsys, "link"); e.ok(err, "fs.ReadLink") && t != "a.txt" {
			e.Errorf("fs.ReadLink = %q", t)
		}
		if fi, err := fs.Lstat(fsys, "link"); e.ok(err, "fs.Lstat") && fi.Mode().Type() != fs.ModeSymlink {
			e.Errorf("fs.Lstat(link) = %v", fi.Mode())
		}
	}},
	{"Errors", func(e *env) {
		e.writeFile("f", "")
		fsys := e.fs.IOFS(e.ctx)
		_, err := fsys.Open("missing")
		if !errors.Is(err, fs.ErrNotExist) {
			e.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
		}
		for _, bad := range []string{"/f", "./f", "a/../f", "f/", "", "a//f"} {
			_, err := fsys.Open(bad)
			var pe *fs.PathError
			if !errors.Is(err, fs.ErrInvalid) || !errors.As(err, &pe) {
				e.Errorf("Open(%q) = %v, want an *fs.PathError with fs.ErrInvalid", bad, err)
			}
		}
		_, err = fs.Stat(fsys, "f/x")
		if errnoOf(err) != syscall.ENOTDIR {
			e.Errorf("fs.Stat(f/x) = %v, want ENOTDIR", err)
		}
	}},
}
