package vfstest

// Directory cases: Mkdir, MkdirAll, rmdir, unlink, Remove, RemoveAll, and
// the life of an unlinked open file (rules D1, D2, D4).

import (
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

var dirCases = []testCase{
	{"Mkdir", func(e *env) {
		e.must(e.fs.Mkdir(e.ctx, "d", 0o750), "mkdir")
		a := e.attr("d")
		if !a.IsDir() || a.Mode&0o7777 != 0o750 {
			e.Errorf("new directory: mode %#o, want a directory 0750", a.Mode)
		}
		e.wantNames("d")
		e.mkdir("d/sub")
		e.wantNames("d", "sub")
	}},
	{"MkdirErrors", func(e *env) {
		e.mkdir("d")
		e.writeFile("f", "")
		e.symlink("missing", "dangle")
		for _, c := range []struct {
			path string
			want syscall.Errno
		}{
			{"d", syscall.EEXIST}, {"f", syscall.EEXIST}, {"dangle", syscall.EEXIST},
			{"d/.", syscall.EEXIST}, {"d/..", syscall.EEXIST}, {"/", syscall.EEXIST},
			{"f/", syscall.EEXIST}, {"missing/x", syscall.ENOENT}, {"f/x", syscall.ENOTDIR},
		} {
			e.wantErr(e.fs.Mkdir(e.ctx, c.path, 0o755), "mkdir "+c.path, c.want)
		}
		e.wantMissing("missing")
		e.ok(e.fs.Mkdir(e.ctx, "new/", 0o755), "mkdir with a trailing slash")
		e.wantType("new", vfs.S_IFDIR)
	}},
	{"MkdirAll", func(e *env) {
		e.must(e.fs.MkdirAll(e.ctx, "a/b/c", 0o755), "MkdirAll a/b/c")
		e.wantType("a/b/c", vfs.S_IFDIR)
		e.ok(e.fs.MkdirAll(e.ctx, "a/b/c", 0o755), "MkdirAll of an existing directory")
		e.ok(e.fs.MkdirAll(e.ctx, "a//b/d/", 0o755), "MkdirAll with extra slashes")
		e.wantNames("a/b", "c", "d")
		e.writeFile("f", "")
		e.wantErr(e.fs.MkdirAll(e.ctx, "f", 0o755), "MkdirAll of a file", syscall.ENOTDIR)
		e.wantErr(e.fs.MkdirAll(e.ctx, "f/x/y", 0o755), "MkdirAll through a file", syscall.ENOTDIR)
		e.symlink("a", "la")
		e.ok(e.fs.MkdirAll(e.ctx, "la/x/y", 0o755), "MkdirAll through a symlink")
		e.wantType("a/x/y", vfs.S_IFDIR)
	}},
	{"Rmdir", func(e *env) {
		e.mkdir("d")
		e.must(e.fs.RmdirAt(e.ctx, nil, "d"), "rmdir")
		e.wantMissing("d")
		e.wantNames("/")
		e.mkdir("d2")
		e.ok(e.fs.RmdirAt(e.ctx, nil, "d2/"), "rmdir with a trailing slash")
		e.wantMissing("d2")
	}},
	{"RmdirErrors", func(e *env) {
		e.mkdir("d")
		e.mkdir("full")
		e.writeFile("full/x", "")
		e.writeFile("f", "")
		e.symlink("d", "ld")
		for _, c := range []struct {
			path string
			want syscall.Errno
		}{
			{"full", syscall.ENOTEMPTY}, {"f", syscall.ENOTDIR}, {"f/", syscall.ENOTDIR},
			{"ld", syscall.ENOTDIR}, {"d/.", syscall.EINVAL}, {".", syscall.EINVAL},
			{"d/..", syscall.ENOTEMPTY}, {"/", syscall.EBUSY}, {"missing", syscall.ENOENT},
			{"f/x", syscall.ENOTDIR},
		} {
			e.wantErr(e.fs.RmdirAt(e.ctx, nil, c.path), "rmdir "+c.path, c.want)
		}
		e.wantErr(e.fs.Remove(e.ctx, "/"), "remove /", syscall.EBUSY)
		e.wantErr(e.fs.Remove(e.ctx, "full"), "remove a non-empty directory", syscall.ENOTEMPTY)
		e.wantNames("/", "d", "f", "full", "ld")
		e.wantNames("full", "x")
	}},
	{"Unlink", func(e *env) {
		e.writeFile("f", "abc")
		e.symlink("f", "lf")
		e.must(e.fs.UnlinkAt(e.ctx, nil, "lf"), "unlink a symlink")
		e.wantMissing("lf")
		e.wantContent("f", "abc")
		e.must(e.fs.UnlinkAt(e.ctx, nil, "f"), "unlink")
		e.wantMissing("f")
		e.wantNames("/")
		e.wantErr(e.fs.UnlinkAt(e.ctx, nil, "f"), "unlink again", syscall.ENOENT)
		e.writeFile("g", "")
		e.must(e.fs.Remove(e.ctx, "g"), "remove a file")
		e.mkdir("d")
		e.must(e.fs.Remove(e.ctx, "d"), "remove an empty directory")
		e.wantNames("/")
	}},
	{"UnlinkErrors", func(e *env) {
		e.mkdir("d")
		e.writeFile("f", "abc")
		e.symlink("f", "lf")
		for _, c := range []struct {
			path string
			want syscall.Errno
		}{
			{"d", syscall.EISDIR}, {"d/", syscall.EISDIR}, {"f/", syscall.ENOTDIR},
			{"lf/", syscall.ENOTDIR}, {"missing", syscall.ENOENT}, {"missing/", syscall.ENOENT},
			{"f/x", syscall.ENOTDIR}, {"missing/x", syscall.ENOENT}, {"/", syscall.EISDIR},
			{".", syscall.EISDIR},
		} {
			e.wantErr(e.fs.UnlinkAt(e.ctx, nil, c.path), "unlink "+c.path, c.want)
		}
		// A failed unlink leaves everything in place.
		e.wantNames("/", "d", "f", "lf")
		e.wantContent("f", "abc")
		e.wantType("lf", vfs.S_IFLNK)
	}},
	{"UnlinkOpenFile", func(e *env) {
		// D2: the object lives until the last close; the name is gone now.
		e.writeFile("f", "hello")
		fl := e.mustOpen("f", oRDWR, 0)
		e.must(e.fs.Remove(e.ctx, "f"), "remove an open file")
		e.wantMissing("f")
		e.wantNames("/")
		_, err := e.fs.Open(e.ctx, "f")
		e.wantErr(err, "open the removed name", syscall.ENOENT)
		if got := readAll(e, fl); got != "hello" {
			e.Errorf("read through the handle after unlink: %q, want \"hello\"", got)
		}
		_, err = fl.WriteAt([]byte(" world"), 5)
		e.ok(err, "write through the handle after unlink")
		if got := readAll(e, fl); got != "hello world" {
			e.Errorf("read back after writing an unlinked file: %q", got)
		}
		if a := handleAttr(e, fl); a.Size != 11 {
			e.Errorf("size through the handle = %d, want 11", a.Size)
		}
		// A new file under the old name is a different object.
		e.writeFile("f", "new")
		if got := readAll(e, fl); got != "hello world" {
			e.Errorf("old handle reads %q after the name was re-created", got)
		}
		e.wantContent("f", "new")
		e.must(fl.Close(), "close")
		e.wantContent("f", "new")
		e.wantNames("/", "f")
	}},
	{"RmdirThenRecreate", func(e *env) {
		e.mkdir("d")
		e.writeFile("d/f", "x")
		e.attr("d/f")
		e.wantErr(e.fs.Remove(e.ctx, "d"), "remove non-empty", syscall.ENOTEMPTY)
		e.must(e.fs.Remove(e.ctx, "d/f"), "remove d/f")
		e.must(e.fs.Remove(e.ctx, "d"), "remove d")
		e.mkdir("d")
		e.wantNames("d")
		e.wantMissing("d/f")
	}},
	{"RemoveAll", func(e *env) {
		e.must(e.fs.MkdirAll(e.ctx, "a/b/c", 0o755), "MkdirAll")
		e.writeFile("a/f", "")
		e.writeFile("a/b/c/g", "")
		e.symlink("/a", "a/b/up")
		e.must(e.fs.RemoveAll(e.ctx, "a"), "RemoveAll")
		e.wantMissing("a")
		e.wantNames("/")
		e.ok(e.fs.RemoveAll(e.ctx, "a"), "RemoveAll of a missing name")
	}},
	{"ReadRemovedDirectory_ENOENT", func(e *env) {
		// Linux: listing an open directory that was removed is ENOENT
		// (iterate_dir on a dead directory).
		e.mkdir("d")
		fl := e.mustOpen("d", oRDONLY, 0)
		e.must(e.fs.Remove(e.ctx, "d"), "rmdir")
		ents, err := fl.ReadDir(-1)
		if e.wantErr(err, "ReadDir of a removed directory", syscall.ENOENT) && len(ents) != 0 {
			e.Errorf("removed directory lists %d entries", len(ents))
		}
	}},
}
