package vfs_test

import (
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/fs/memfs"
)

func TestSmoke(t *testing.T) {
	for _, mo := range []memfs.Options{{}, {NoAtomicOpen: true, NoWalk: true, NoIdentity: true}} {
		f, _ := mount(t, mo, nil)
		must(t, f.MkdirAll(bg, "a/b/c", 0o755))
		must(t, f.WriteFile(bg, "a/b/c/file", []byte("hello"), 0o644))
		b, err := f.ReadFile(bg, "/a/b/c/file")
		must(t, err)
		if string(b) != "hello" {
			t.Fatalf("read %q", b)
		}
		a, err := f.Getattr(bg, "a//b/./c/../c/file")
		must(t, err)
		if a.Size != 5 || !a.IsRegular() {
			t.Fatalf("attr %+v", a)
		}
		must(t, f.Symlink(bg, "b/c", "a/link"))
		b, err = f.ReadFile(bg, "a/link/file")
		must(t, err)
		if string(b) != "hello" {
			t.Fatal("via symlink")
		}
		_, err = f.OpenFile(bg, "a/b/c/file", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		wantErrno(t, err, syscall.EEXIST)
		must(t, f.Rename(bg, "a/b/c/file", "a/moved"))
		_, err = f.Getattr(bg, "a/b/c/file")
		wantErrno(t, err, syscall.ENOENT)
		fl, err := f.Open(bg, "a/moved")
		must(t, err)
		b, _ = io.ReadAll(fl)
		must(t, fl.Close())
		if string(b) != "hello" {
			t.Fatal("after rename")
		}
		must(t, f.Rename(bg, "a/b", "b2"))
		ents, err := f.ReadDir(bg, "b2/c")
		must(t, err)
		if len(ents) != 0 {
			t.Fatal(ents)
		}
		must(t, f.Remove(bg, "b2/c"))
		err = f.Remove(bg, "a")
		wantErrno(t, err, syscall.ENOTEMPTY)
		must(t, f.RemoveAll(bg, "a"))
		must(t, f.CheckInvariants())
	}
}
