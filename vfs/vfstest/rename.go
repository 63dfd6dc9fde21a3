package vfstest

// Rename cases (rules D3, D4): replacement by type, the subtree and
// trailing-slash rules, RENAME_NOREPLACE and RENAME_EXCHANGE (gated on
// NoRenameExchange), renames of open files and of directories whose
// children the cache already holds.

import (
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

var renameCases = []testCase{
	{"FileOverFile", func(e *env) {
		e.writeFile("a", "from a")
		e.writeFile("b", "from b")
		e.attr("a")
		e.attr("b")
		e.must(e.fs.Rename(e.ctx, "a", "b"), "rename")
		e.wantMissing("a")
		e.wantContent("b", "from a")
		e.wantNames("/", "b")
	}},
	{"ToNewName", func(e *env) {
		e.writeFile("a", "x")
		e.must(e.fs.Rename(e.ctx, "a", "b"), "rename")
		e.wantMissing("a")
		e.wantContent("b", "x")
		e.must(e.fs.Rename(e.ctx, "b", "a"), "rename back")
		e.wantMissing("b")
		e.wantContent("a", "x")
	}},
	{"BetweenDirectories", func(e *env) {
		e.mkdir("x")
		e.mkdir("y")
		e.writeFile("x/f", "moved")
		e.must(e.fs.Rename(e.ctx, "x/f", "y/g"), "rename between directories")
		e.wantNames("x")
		e.wantNames("y", "g")
		e.wantContent("y/g", "moved")
		e.mkdir("x/sub")
		e.writeFile("x/sub/inner", "in")
		e.must(e.fs.Rename(e.ctx, "x/sub", "y/sub"), "move a directory")
		e.wantContent("y/sub/inner", "in")
		e.wantMissing("x/sub")
		if a := e.attr("x"); a.Nlink != 2 && a.Nlink != 1 {
			e.Errorf("nlink of the old parent = %d, want 2 (or 1)", a.Nlink)
		}
		if a := e.attr("y"); a.Nlink != 3 && a.Nlink != 1 {
			e.Errorf("nlink of the new parent = %d, want 3 (or 1)", a.Nlink)
		}
		// ".." of the moved directory is its new parent.
		if a, y := e.attr("y/sub/.."), e.attr("y"); a.Ino != y.Ino {
			e.Errorf("y/sub/.. is inode %d, want y (%d)", a.Ino, y.Ino)
		}
	}},
	{"DirOverEmptyDir", func(e *env) {
		e.mkdir("a")
		e.writeFile("a/f", "in a")
		e.mkdir("b")
		e.must(e.fs.Rename(e.ctx, "a", "b"), "rename a directory over an empty one")
		e.wantMissing("a")
		e.wantContent("b/f", "in a")
		e.wantNames("/", "b")
	}},
	{"DirOverNonEmptyDir_ENOTEMPTY", func(e *env) {
		e.mkdir("a")
		e.mkdir("b")
		e.writeFile("b/keep", "")
		e.wantErr(e.fs.Rename(e.ctx, "a", "b"), "rename over a non-empty directory", syscall.ENOTEMPTY)
		e.wantNames("/", "a", "b")
		e.wantNames("b", "keep")
	}},
	{"FileOverDir_EISDIR", func(e *env) {
		e.writeFile("f", "")
		e.mkdir("d")
		e.wantErr(e.fs.Rename(e.ctx, "f", "d"), "rename a file over a directory", syscall.EISDIR)
		e.wantType("f", vfs.S_IFREG)
		e.wantType("d", vfs.S_IFDIR)
	}},
	{"DirOverFile_ENOTDIR", func(e *env) {
		e.writeFile("f", "")
		e.mkdir("d")
		e.wantErr(e.fs.Rename(e.ctx, "d", "f"), "rename a directory over a file", syscall.ENOTDIR)
		e.wantType("f", vfs.S_IFREG)
		e.wantType("d", vfs.S_IFDIR)
	}},
	{"IntoOwnSubtree_EINVAL", func(e *env) {
		e.must(e.fs.MkdirAll(e.ctx, "a/b/c", 0o755), "MkdirAll")
		e.wantErr(e.fs.Rename(e.ctx, "a", "a/b/c/x"), "rename a directory into its own subtree", syscall.EINVAL)
		e.wantErr(e.fs.Rename(e.ctx, "a", "a/x"), "rename a directory into itself", syscall.EINVAL)
		e.wantErr(e.fs.Rename(e.ctx, "a", "a/b"), "rename a directory over its child", syscall.EINVAL)
		// The target an ancestor of the source: non-empty, ENOTEMPTY.
		e.wantErr(e.fs.Rename(e.ctx, "a/b/c", "a"), "rename over an ancestor", syscall.ENOTEMPTY)
		e.wantType("a/b/c", vfs.S_IFDIR)
		e.wantNames("/", "a")
	}},
	{"OntoItself", func(e *env) {
		e.writeFile("f", "same")
		e.mkdir("d")
		e.must(e.fs.Rename(e.ctx, "f", "f"), "rename a file onto itself")
		e.must(e.fs.Rename(e.ctx, "d", "d"), "rename a directory onto itself")
		e.must(e.fs.Rename(e.ctx, "f", "./f"), "rename f onto ./f")
		e.wantContent("f", "same")
		e.wantType("d", vfs.S_IFDIR)
		e.wantErr(e.fs.Rename(e.ctx, "missing", "missing"), "rename a missing name onto itself", syscall.ENOENT)
		if e.cfg.NoHardLinks {
			return
		}
		// Two names of one object: POSIX says do nothing, both stay.
		e.must(e.fs.Link(e.ctx, "f", "h"), "link")
		e.must(e.fs.Rename(e.ctx, "f", "h"), "rename a hard link onto its sibling")
		e.wantContent("f", "same")
		e.wantContent("h", "same")
		e.wantNames("/", "d", "f", "h")
	}},
	{"HardLinkOntoSiblingColdCache", func(e *env) {
		// As above, on a cold mount that looked the two names up
		// separately: without identities (NoIdentity) the core cannot
		// tell they are one object, and the server still keeps both.
		e.writeFile("f", "same")
		err := e.fs.Link(e.ctx, "f", "h")
		if e.cfg.NoHardLinks {
			e.wantErr(err, "link (NoHardLinks)", syscall.EPERM, syscall.ENOSYS)
			return
		}
		e.must(err, "link")
		cold := e.freshMount()
		for _, n := range []string{"f", "h"} {
			if _, err := cold.Getattr(e.ctx, n); err != nil {
				e.Fatalf("fresh mount: stat %s: %v", n, err)
			}
		}
		e.must(cold.Rename(e.ctx, "f", "h"), "fresh mount: rename a hard link onto its sibling")
		for _, n := range []string{"f", "h"} {
			if _, err := cold.Getattr(e.ctx, n); err != nil {
				e.Errorf("fresh mount: stat %s after renaming one hard link onto the other: %v, want both names kept", n, err)
			}
		}
	}},
	{"Errors", func(e *env) {
		e.writeFile("f", "x")
		e.mkdir("d")
		for _, c := range []struct {
			from, to string
			want     syscall.Errno
		}{
			{"missing", "x", syscall.ENOENT},
			{"f", "missing/x", syscall.ENOENT},
			{"f", "f/x", syscall.ENOTDIR},
			{"f/x", "y", syscall.ENOTDIR},
			{".", "x", syscall.EBUSY},
			{"d/..", "x", syscall.EBUSY},
			{"f", ".", syscall.EBUSY},
			{"f", "d/..", syscall.EBUSY},
			{"/", "x", syscall.EBUSY},
			{"f", "/", syscall.EBUSY},
			{"", "x", syscall.ENOENT},
			{"f", "", syscall.ENOENT},
		} {
			err := e.fs.Rename(e.ctx, c.from, c.to)
			e.wantErr(err, "rename "+c.from+" -> "+c.to, c.want)
		}
		e.wantNames("/", "d", "f")
		e.wantContent("f", "x")
	}},
	{"TrailingSlash", func(e *env) {
		// A trailing slash on either side demands a directory.
		e.writeFile("f", "x")
		e.mkdir("d")
		e.wantErr(e.fs.Rename(e.ctx, "f", "g/"), "rename file -> new/", syscall.ENOTDIR)
		e.wantErr(e.fs.Rename(e.ctx, "f/", "g"), "rename file/ -> new", syscall.ENOTDIR)
		e.wantMissing("g")
		e.wantContent("f", "x")
		e.ok(e.fs.Rename(e.ctx, "d/", "e/"), "rename dir/ -> new/")
		e.wantType("e", vfs.S_IFDIR)
		e.ok(e.fs.Rename(e.ctx, "e", "d/"), "rename dir -> new/")
		e.wantType("d", vfs.S_IFDIR)
	}},
	{"NoReplace", func(e *env) {
		e.writeFile("a", "A")
		e.writeFile("b", "B")
		err := e.fs.Rename2(e.ctx, "a", "b", vfs.RenameNoReplace)
		e.wantErr(err, "RENAME_NOREPLACE onto an existing name", syscall.EEXIST)
		e.wantContent("a", "A")
		e.wantContent("b", "B")
		e.must(e.fs.Rename2(e.ctx, "a", "c", vfs.RenameNoReplace), "RENAME_NOREPLACE to a new name")
		e.wantMissing("a")
		e.wantContent("c", "A")
		e.wantErr(e.fs.Rename2(e.ctx, "missing", "b", vfs.RenameNoReplace), "RENAME_NOREPLACE of a missing name", syscall.ENOENT)
		err = e.fs.Rename2(e.ctx, "c", "b", vfs.RenameNoReplace|vfs.RenameExchange)
		e.wantErr(err, "RENAME_NOREPLACE|RENAME_EXCHANGE", syscall.EINVAL)
		e.wantErr(e.fs.Rename2(e.ctx, "c", "x", 1<<7), "rename with an unknown flag", syscall.EINVAL)
		e.wantNames("/", "b", "c")
	}},
	{"NoReplaceOntoItself_EEXIST", func(e *env) {
		// Linux checks RENAME_NOREPLACE before noticing that source and
		// target are one name.
		e.writeFile("a", "A")
		e.wantErr(e.fs.Rename2(e.ctx, "a", "a", vfs.RenameNoReplace), "RENAME_NOREPLACE onto itself", syscall.EEXIST)
		e.wantContent("a", "A")
	}},
	{"Exchange", func(e *env) {
		e.writeFile("f", "file")
		e.mkdir("d")
		e.writeFile("d/inner", "in d")
		e.mkdir("x")
		e.writeFile("x/g", "g")
		err := e.fs.Rename2(e.ctx, "f", "x/g", vfs.RenameExchange)
		if e.cfg.NoRenameExchange {
			// Gated: the documented fallback, and nothing moved.
			e.wantErr(err, "RENAME_EXCHANGE (NoRenameExchange)", syscall.EINVAL)
			e.wantContent("f", "file")
			e.wantContent("x/g", "g")
			return
		}
		e.must(err, "exchange two files")
		e.wantContent("f", "g")
		e.wantContent("x/g", "file")
		// A file and a directory swap too, across directories.
		e.must(e.fs.Rename2(e.ctx, "d", "x/g", vfs.RenameExchange), "exchange a directory and a file")
		e.wantType("d", vfs.S_IFREG)
		e.wantContent("d", "file")
		e.wantContent("x/g/inner", "in d")
		if a, x := e.attr("x/g/.."), e.attr("x"); a.Ino != x.Ino {
			e.Errorf("x/g/.. is inode %d, want x (%d)", a.Ino, x.Ino)
		}
		e.wantErr(e.fs.Rename2(e.ctx, "d", "missing", vfs.RenameExchange), "exchange with a missing name", syscall.ENOENT)
		e.wantErr(e.fs.Rename2(e.ctx, "x", "x/g", vfs.RenameExchange), "exchange a directory with its child", syscall.EINVAL)
		e.wantErr(e.fs.Rename2(e.ctx, "x/g", "x", vfs.RenameExchange), "exchange a directory with its parent", syscall.EINVAL)
		e.ok(e.fs.Rename2(e.ctx, "d", "d", vfs.RenameExchange), "exchange a name with itself")
		e.wantNames("/", "d", "f", "x")
		e.wantNames("x", "g")
	}},
	{"OpenFileKeepsWorking", func(e *env) {
		e.writeFile("f", "abc")
		e.mkdir("d")
		fl := e.mustOpen("f", oRDWR, 0)
		e.must(e.fs.Rename(e.ctx, "f", "d/g"), "rename an open file")
		_, err := fl.WriteAt([]byte("XYZ"), 3)
		e.must(err, "write after rename")
		if got := readAll(e, fl); got != "abcXYZ" {
			e.Errorf("read through the handle after rename: %q", got)
		}
		e.wantContent("d/g", "abcXYZ")
		e.wantMissing("f")
		if fl.Name() != "g" {
			e.Errorf("File.Name() after rename = %q, want g", fl.Name())
		}
		e.must(fl.Close(), "close")
		e.wantContent("d/g", "abcXYZ")
	}},
	{"OverOpenFile", func(e *env) {
		// The replaced file lives on for its open handle (D2).
		e.writeFile("a", "new")
		e.writeFile("b", "old")
		fl := e.mustOpen("b", oRDONLY, 0)
		e.must(e.fs.Rename(e.ctx, "a", "b"), "rename over an open file")
		if got := readAll(e, fl); got != "old" {
			e.Errorf("replaced file reads %q through its handle, want \"old\"", got)
		}
		e.wantContent("b", "new")
		e.must(fl.Close(), "close")
		e.wantContent("b", "new")
	}},
	{"DirectoryWithCachedChildren", func(e *env) {
		// Every cached name below a moved directory moves with it.
		e.must(e.fs.MkdirAll(e.ctx, "a/b/c", 0o755), "MkdirAll")
		e.writeFile("a/b/c/f", "deep")
		e.symlink("c/f", "a/b/l")
		e.wantContent("a/b/l", "deep")
		e.wantContent("a/b/c/f", "deep")
		_, err := e.fs.Stat(e.ctx, "a/b/missing")
		e.wantErr(err, "stat missing (caches a negative entry)", syscall.ENOENT)
		e.must(e.fs.Rename(e.ctx, "a/b", "z"), "rename")
		for _, p := range []string{"a/b/c/f", "a/b/l", "a/b", "a/b/c"} {
			_, err := e.fs.Stat(e.ctx, p)
			e.wantErr(err, "stat old path "+p, syscall.ENOENT)
		}
		e.wantContent("z/c/f", "deep")
		e.wantContent("z/l", "deep")
		_, err = e.fs.Stat(e.ctx, "z/missing")
		e.wantErr(err, "stat z/missing", syscall.ENOENT)
		e.mkdir("a/b")
		e.wantNames("a/b")
		e.wantNames("z", "c", "l")
		// And back over the new empty directory.
		e.must(e.fs.Rename(e.ctx, "z", "a/b"), "rename back over an empty directory")
		e.wantContent("a/b/c/f", "deep")
		e.wantMissing("z")
	}},
}
