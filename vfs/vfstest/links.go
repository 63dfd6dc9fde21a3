package vfstest

// Symlink and hard link cases: Symlink, Readlink, resolution of relative,
// absolute, dangling and looping links (rule P1, P2), the 40-link limit, and
// Link with its link counts and identities (rule A1), gated on NoHardLinks
// and NoIdentity.

import (
	"fmt"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

var symlinkCases = []testCase{
	{"Relative", func(e *env) {
		e.mkdir("d")
		e.mkdir("d/sub")
		e.writeFile("f", "top")
		e.writeFile("d/g", "in d")
		e.symlink("../f", "d/up")
		e.symlink("g", "d/same")
		e.symlink("sub/../g", "d/dotted")
		e.symlink("d", "ld")
		for link, want := range map[string]string{"d/up": "top", "d/same": "in d", "d/dotted": "in d", "ld/g": "in d", "ld/up": "top"} {
			e.wantContent(link, want)
		}
		for link, target := range map[string]string{"d/up": "../f", "d/same": "g", "d/dotted": "sub/../g", "ld": "d"} {
			got, err := e.fs.Readlink(e.ctx, link)
			if e.ok(err, "readlink "+link) && got != target {
				e.Errorf("readlink %s = %q, want %q (stored as is)", link, got, target)
			}
		}
		a := e.lattr("d/up")
		if !a.IsSymlink() || a.Size != int64(len("../f")) {
			e.Errorf("lstat d/up: mode %#o size %d", a.Mode, a.Size)
		}
	}},
	{"Absolute", func(e *env) {
		// P2: an absolute target is relative to the mount root.
		e.must(e.fs.MkdirAll(e.ctx, "a/b", 0o755), "MkdirAll")
		e.writeFile("a/f", "abs")
		e.symlink("/a/f", "a/b/l")
		e.symlink("/a", "la")
		e.symlink("/", "a/root")
		e.wantContent("a/b/l", "abs")
		e.wantContent("la/f", "abs")
		e.wantContent("a/root/a/f", "abs")
		if a, r := e.attr("a/root"), e.attr("/"); a.Ino != r.Ino {
			e.Errorf("symlink to / resolves to inode %d, the root is %d", a.Ino, r.Ino)
		}
		got, err := e.fs.Readlink(e.ctx, "a/b/l")
		if e.ok(err, "readlink") && got != "/a/f" {
			e.Errorf("readlink = %q, want /a/f", got)
		}
	}},
	{"Dangling", func(e *env) {
		e.symlink("target", "l")
		_, err := e.fs.Stat(e.ctx, "l")
		e.wantErr(err, "stat a dangling symlink", syscall.ENOENT)
		_, err = e.fs.Open(e.ctx, "l")
		e.wantErr(err, "open a dangling symlink", syscall.ENOENT)
		e.wantType("l", vfs.S_IFLNK)
		got, err := e.fs.Readlink(e.ctx, "l")
		if e.ok(err, "readlink") && got != "target" {
			e.Errorf("readlink = %q", got)
		}
		// Once the target exists the link resolves.
		e.writeFile("target", "here")
		e.wantContent("l", "here")
		e.must(e.fs.Remove(e.ctx, "target"), "remove target")
		_, err = e.fs.Stat(e.ctx, "l")
		e.wantErr(err, "stat after the target went", syscall.ENOENT)
	}},
	{"Loop_ELOOP", func(e *env) {
		e.symlink("b", "a")
		e.symlink("a", "b")
		e.symlink("self", "self")
		e.mkdir("d")
		e.symlink("../d/loop/x", "d/loop")
		for _, p := range []string{"a", "b", "self", "a/x", "d/loop", "self/"} {
			_, err := e.fs.Stat(e.ctx, p)
			e.wantErr(err, "stat "+p, syscall.ELOOP)
		}
		_, err := e.fs.OpenFile(e.ctx, "a", oWRONLY|oCREAT, 0o644)
		e.wantErr(err, "O_CREAT through a loop", syscall.ELOOP)
		e.wantErr(e.fs.Mkdir(e.ctx, "self/x", 0o755), "mkdir below a loop", syscall.ELOOP)
		// The links themselves are fine.
		e.wantType("a", vfs.S_IFLNK)
		e.must(e.fs.Remove(e.ctx, "self"), "remove a looping link")
	}},
	{"Limit40", func(e *env) {
		// P1: 40 links are followed in one resolution, the 41st is ELOOP.
		e.mkdir("c")
		e.writeFile("c/f", "end")
		prev := "f"
		for i := 1; i <= 41; i++ {
			name := fmt.Sprintf("l%d", i)
			e.symlink(prev, "c/"+name)
			prev = name
		}
		for pass := 0; pass < 2; pass++ { // cold, then with the cache warm
			e.wantContent("c/l40", "end")
			_, err := e.fs.Stat(e.ctx, "c/l41")
			e.wantErr(err, fmt.Sprintf("stat through 41 links (pass %d)", pass), syscall.ELOOP)
			_, err = e.fs.Open(e.ctx, "c/l41")
			e.wantErr(err, fmt.Sprintf("open through 41 links (pass %d)", pass), syscall.ELOOP)
		}
		// The budget is per resolution, counted across components: dirN
		// takes N links to reach c, lN takes N more.
		e.symlink("c", "dir1")
		prev = "dir1"
		for i := 2; i <= 21; i++ {
			name := fmt.Sprintf("dir%d", i)
			e.symlink(prev, name)
			prev = name
		}
		e.wantContent("dir20/l20", "end") // 20 + 20 links
		_, err := e.fs.Stat(e.ctx, "dir21/l20")
		e.wantErr(err, "stat through 21 + 20 links", syscall.ELOOP)
	}},
	{"Errors", func(e *env) {
		e.writeFile("f", "")
		e.mkdir("d")
		e.wantErr(e.fs.Symlink(e.ctx, "x", "f"), "symlink over a file", syscall.EEXIST)
		e.wantErr(e.fs.Symlink(e.ctx, "x", "d"), "symlink over a directory", syscall.EEXIST)
		e.wantErr(e.fs.Symlink(e.ctx, "", "empty"), "symlink to an empty target", syscall.ENOENT)
		e.wantErr(e.fs.Symlink(e.ctx, "x", "missing/l"), "symlink in a missing directory", syscall.ENOENT)
		e.wantErr(e.fs.Symlink(e.ctx, "x", "f/l"), "symlink below a file", syscall.ENOTDIR)
		e.wantErr(e.fs.Symlink(e.ctx, "x", "f/"), "symlink at file/", syscall.EEXIST)
		e.wantErr(e.fs.Symlink(e.ctx, "x", "new/"), "symlink at new/", syscall.ENOENT)
		e.wantMissing("empty")
		e.wantMissing("new")
		_, err := e.fs.Readlink(e.ctx, "f")
		e.wantErr(err, "readlink a file", syscall.EINVAL)
		_, err = e.fs.Readlink(e.ctx, "d")
		e.wantErr(err, "readlink a directory", syscall.EINVAL)
		_, err = e.fs.Readlink(e.ctx, "missing")
		e.wantErr(err, "readlink missing", syscall.ENOENT)
	}},
	{"ToDirectory", func(e *env) {
		e.mkdir("d")
		e.writeFile("d/f", "x")
		e.symlink("d", "ld")
		e.wantNames("ld", "f")
		if a := e.lattr("ld/"); !a.IsDir() {
			e.Errorf("lstat ld/ (trailing slash follows) = %#o, want a directory", a.Mode)
		}
		e.writeFile("ld/g", "via link")
		e.wantContent("d/g", "via link")
		e.must(e.fs.Mkdir(e.ctx, "ld/sub", 0o755), "mkdir through a symlink")
		e.wantType("d/sub", vfs.S_IFDIR)
		e.must(e.fs.Remove(e.ctx, "ld"), "remove the symlink")
		e.wantNames("d", "f", "g", "sub")
	}},
}

var hardLinkCases = []testCase{
	{"Link", func(e *env) {
		e.writeFile("f", "abc")
		err := e.fs.Link(e.ctx, "f", "h")
		if e.cfg.NoHardLinks {
			// Gated: the documented fallback.
			e.wantErr(err, "link (NoHardLinks)", syscall.EPERM, syscall.ENOSYS)
			e.wantMissing("h")
			return
		}
		e.must(err, "link")
		f, h := e.attr("f"), e.attr("h")
		if !e.cfg.NoLinkCount && (f.Nlink != 2 || h.Nlink != 2) {
			e.Errorf("nlink after link: f %d, h %d; want 2, 2", f.Nlink, h.Nlink)
		}
		if !e.cfg.NoIdentity && f.Ino != h.Ino {
			e.Errorf("hard links have inode numbers %d and %d, want one (rule A1)", f.Ino, h.Ino)
		}
		// One object: a write through one name shows through the other.
		fl := e.mustOpen("h", oWRONLY|oAPPEND, 0)
		_, err = fl.Write([]byte("def"))
		e.must(err, "write h")
		e.must(fl.Close(), "close")
		e.wantContent("f", "abcdef")
		e.must(e.fs.Link(e.ctx, "h", "h2"), "link a link")
		e.mkdir("d")
		e.must(e.fs.Link(e.ctx, "f", "d/h3"), "link into another directory")
		want := uint32(4)
		if a := e.fstat("d/h3"); a.Nlink != want && !e.cfg.NoLinkCount {
			e.Errorf("nlink after 3 links = %d, want %d", a.Nlink, want)
		}
		if !e.cfg.NoIdentity {
			if a := e.attr("f"); a.Nlink != want {
				e.Errorf("nlink of f by path after 3 links = %d, want %d", a.Nlink, want)
			}
		}
		e.must(e.fs.Remove(e.ctx, "f"), "remove f")
		e.must(e.fs.Remove(e.ctx, "h2"), "remove h2")
		if a := e.fstat("h"); a.Nlink != 2 && !e.cfg.NoLinkCount {
			e.Errorf("nlink after removing two names = %d, want 2", a.Nlink)
		}
		if !e.cfg.NoIdentity {
			if a := e.attr("d/h3"); a.Nlink != 2 {
				e.Errorf("nlink of d/h3 by path after removing two names = %d, want 2", a.Nlink)
			}
		}
		e.wantContent("d/h3", "abcdef")
		e.wantNames("/", "d", "h")
	}},
	{"Directory_EPERM", func(e *env) {
		e.mkdir("d")
		err := e.fs.Link(e.ctx, "d", "h")
		if e.cfg.NoHardLinks {
			e.wantErr(err, "link a directory (NoHardLinks)", syscall.EPERM, syscall.ENOSYS)
		} else {
			e.wantErr(err, "link a directory", syscall.EPERM)
		}
		e.wantMissing("h")
	}},
	{"Errors", func(e *env) {
		e.writeFile("f", "")
		e.writeFile("g", "")
		want := func(errno syscall.Errno) []syscall.Errno {
			if e.cfg.NoHardLinks {
				// Without links a driver may answer ENOSYS/EPERM before
				// looking at the names.
				return []syscall.Errno{errno, syscall.EPERM, syscall.ENOSYS}
			}
			return []syscall.Errno{errno}
		}
		e.wantErr(e.fs.Link(e.ctx, "f", "g"), "link over an existing name", want(syscall.EEXIST)...)
		e.wantErr(e.fs.Link(e.ctx, "missing", "h"), "link a missing file", syscall.ENOENT)
		e.wantErr(e.fs.Link(e.ctx, "f/", "h"), "link file/", syscall.ENOTDIR)
		e.wantErr(e.fs.Link(e.ctx, "f", "missing/h"), "link into a missing directory", syscall.ENOENT)
		e.wantErr(e.fs.Link(e.ctx, "f", "h/"), "link to new/", syscall.ENOENT)
		e.wantMissing("h")
	}},
	{"Symlink", func(e *env) {
		// link(2) does not follow a symlink: the new name is the link.
		e.writeFile("f", "x")
		e.symlink("f", "lf")
		err := e.fs.Link(e.ctx, "lf", "h")
		if e.cfg.NoHardLinks {
			e.wantErr(err, "link a symlink (NoHardLinks)", syscall.EPERM, syscall.ENOSYS)
			return
		}
		e.must(err, "link a symlink")
		e.wantType("h", vfs.S_IFLNK)
		e.wantContent("h", "x")
	}},
	{"OpenFileStaysLinked", func(e *env) {
		// Linking and unlinking names of an open file keeps the handle.
		if e.cfg.NoHardLinks {
			e.wantErr(e.fs.Link(e.ctx, "/", "h"), "link / (NoHardLinks)", syscall.EPERM, syscall.ENOSYS)
			return
		}
		e.writeFile("f", "abc")
		fl := e.mustOpen("f", oRDWR, 0)
		e.must(e.fs.Link(e.ctx, "f", "h"), "link")
		e.must(e.fs.Remove(e.ctx, "f"), "remove f")
		_, err := fl.WriteAt([]byte("X"), 0)
		e.must(err, "write")
		e.wantContent("h", "Xbc")
		if a := handleAttr(e, fl); a.Nlink != 1 {
			e.Errorf("nlink through the handle = %d, want 1", a.Nlink)
		}
	}},
	{"RenameOverHardLink", func(e *env) {
		// Replacing one name of a linked file drops one link; the other
		// name keeps the old content.
		if e.cfg.NoHardLinks {
			e.wantErr(e.fs.Link(e.ctx, "/", "h"), "link / (NoHardLinks)", syscall.EPERM, syscall.ENOSYS)
			return
		}
		e.writeFile("f", "old")
		e.must(e.fs.Link(e.ctx, "f", "h"), "link")
		e.writeFile("g", "new")
		e.must(e.fs.Rename(e.ctx, "g", "h"), "rename over a hard link")
		e.wantContent("f", "old")
		e.wantContent("h", "new")
		if a := e.fstat("f"); a.Nlink != 1 {
			e.Errorf("nlink of f after its sibling was replaced = %d, want 1", a.Nlink)
		}
		if !e.cfg.NoIdentity {
			if a := e.attr("f"); a.Nlink != 1 {
				e.Errorf("nlink of f by path after its sibling was replaced = %d, want 1", a.Nlink)
			}
		}
		e.wantNames("/", "f", "h")
	}},
}
