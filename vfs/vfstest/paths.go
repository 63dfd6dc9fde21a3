package vfstest

// Path cases, rules P1-P3: "." and "..", ".." at the root, repeated and
// trailing slashes, name and path length limits, NUL bytes, the empty path,
// and symlinks that try to climb out of the mount root (P2).

import (
	"strings"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

var pathCases = []testCase{
	{"DotDotAtRootStaysAtRoot", func(e *env) {
		// P1: ".." at the namespace root is the root.
		e.mkdir("d")
		e.writeFile("f", "top")
		root := e.attr("/")
		for _, p := range []string{"..", "/..", "../..", "/../../..", "d/../..", "./..", "../d/.."} {
			if a := e.attr(p); a.Ino != root.Ino || !a.IsDir() {
				e.Errorf("stat %q = inode %d, want the root (%d)", p, a.Ino, root.Ino)
			}
		}
		for _, p := range []string{"../f", "/../../f", "d/../../../f", "../../d/../f"} {
			e.wantContent(p, "top")
		}
		e.wantNames("../..", "d", "f")
		e.must(e.fs.Mkdir(e.ctx, "../../new", 0o755), "mkdir ../../new")
		e.wantType("new", vfs.S_IFDIR)
	}},
	{"RepeatedSlashesAndDots", func(e *env) {
		e.mkdir("d")
		e.mkdir("d/sub")
		e.writeFile("d/f", "x")
		for _, p := range []string{"//d///f", "d//f", "/d/./f", "./d/f", "d/sub/../f", "d/sub/./../././f", "d/./sub/..//f"} {
			e.wantContent(p, "x")
		}
		if a, r := e.attr("///"), e.attr("/"); a.Ino != r.Ino {
			e.Errorf("stat /// is inode %d, not the root", a.Ino)
		}
		if a, d := e.attr("d/sub/.."), e.attr("d"); a.Ino != d.Ino {
			e.Errorf("stat d/sub/.. is inode %d, want d (%d)", a.Ino, d.Ino)
		}
		e.writeFile("d//sub///g", "g")
		e.wantNames("d/sub", "g")
	}},
	{"TrailingSlash", func(e *env) {
		e.writeFile("f", "")
		e.mkdir("d")
		e.symlink("f", "lf")
		e.symlink("d", "ld")
		for _, c := range []struct {
			path string
			want syscall.Errno
		}{{"f/", syscall.ENOTDIR}, {"lf/", syscall.ENOTDIR}, {"missing/", syscall.ENOENT}, {"f/.", syscall.ENOTDIR}, {"f/..", syscall.ENOTDIR}, {"f//", syscall.ENOTDIR}} {
			_, err := e.fs.Stat(e.ctx, c.path)
			e.wantErr(err, "stat "+c.path, c.want)
			_, err = e.fs.Lstat(e.ctx, c.path)
			e.wantErr(err, "lstat "+c.path, c.want)
		}
		for _, p := range []string{"d/", "d//", "ld/", "d/."} {
			if a := e.lattr(p); !a.IsDir() {
				e.Errorf("lstat %s: mode %#o, want a directory", p, a.Mode)
			}
		}
	}},
	{"NameLength", func(e *env) {
		// P3: names of up to 255 bytes work; 256 is ENAMETOOLONG.
		n255, n256 := strings.Repeat("n", 255), strings.Repeat("m", 256)
		e.writeFile(n255, "long")
		e.wantContent(n255, "long")
		e.mkdir("d")
		e.must(e.fs.Mkdir(e.ctx, "d/"+strings.Repeat("x", 255), 0o755), "mkdir a 255-byte name")
		e.wantNames("/", "d", n255)
		_, err := e.fs.Stat(e.ctx, n256)
		e.wantErr(err, "stat a 256-byte name", syscall.ENAMETOOLONG)
		_, err = e.fs.Stat(e.ctx, n256+"/x")
		e.wantErr(err, "stat below a 256-byte name", syscall.ENAMETOOLONG)
		_, err = e.fs.OpenFile(e.ctx, n256, oWRONLY|oCREAT, 0o644)
		e.wantErr(err, "create a 256-byte name", syscall.ENAMETOOLONG)
		e.wantErr(e.fs.Mkdir(e.ctx, "d/"+n256, 0o755), "mkdir a 256-byte name", syscall.ENAMETOOLONG)
		e.wantErr(e.fs.Symlink(e.ctx, "x", n256), "symlink at a 256-byte name", syscall.ENAMETOOLONG)
		e.wantErr(e.fs.Rename(e.ctx, n255, n256), "rename to a 256-byte name", syscall.ENAMETOOLONG)
		e.wantErr(e.fs.Remove(e.ctx, n256), "remove a 256-byte name", syscall.ENAMETOOLONG)
		if !e.cfg.NoHardLinks {
			e.wantErr(e.fs.Link(e.ctx, n255, n256), "link to a 256-byte name", syscall.ENAMETOOLONG)
		}
		e.wantNames("/", "d", n255)
	}},
	{"PathLength", func(e *env) {
		// P3: a path of 4096 bytes or more is ENAMETOOLONG (PATH_MAX
		// counts the NUL); 4095 bytes resolve.
		e.writeFile("f", "x")
		ok := strings.Repeat("./", 2047) + "f" // 4095 bytes
		e.wantContent(ok, "x")
		long := strings.Repeat("./", 2047) + "ff" // 4096 bytes
		_, err := e.fs.Stat(e.ctx, long)
		e.wantErr(err, "stat a 4096-byte path", syscall.ENAMETOOLONG)
		_, err = e.fs.OpenFile(e.ctx, long, oWRONLY|oCREAT, 0o644)
		e.wantErr(err, "create at a 4096-byte path", syscall.ENAMETOOLONG)
		e.wantErr(e.fs.Mkdir(e.ctx, long, 0o755), "mkdir at a 4096-byte path", syscall.ENAMETOOLONG)
		e.wantErr(e.fs.Symlink(e.ctx, strings.Repeat("t", 4096), "l"), "symlink to a 4096-byte target", syscall.ENAMETOOLONG)
		e.wantMissing("ff")
		e.wantMissing("l")
	}},
	{"NUL_EINVAL", func(e *env) {
		e.writeFile("f", "")
		for _, p := range []string{"a\x00b", "f\x00", "\x00"} {
			_, err := e.fs.Stat(e.ctx, p)
			e.wantErr(err, "stat a name with NUL", syscall.EINVAL)
			_, err = e.fs.OpenFile(e.ctx, p, oWRONLY|oCREAT, 0o644)
			e.wantErr(err, "create a name with NUL", syscall.EINVAL)
			e.wantErr(e.fs.Mkdir(e.ctx, p, 0o755), "mkdir a name with NUL", syscall.EINVAL)
			e.wantErr(e.fs.Remove(e.ctx, p), "remove a name with NUL", syscall.EINVAL)
			e.wantErr(e.fs.Rename(e.ctx, "f", p), "rename to a name with NUL", syscall.EINVAL)
		}
		e.wantErr(e.fs.Symlink(e.ctx, "a\x00b", "l"), "symlink to a target with NUL", syscall.EINVAL)
		e.wantNames("/", "f")
	}},
	{"Empty_ENOENT", func(e *env) {
		e.writeFile("f", "")
		_, err := e.fs.Stat(e.ctx, "")
		e.wantErr(err, "stat \"\"", syscall.ENOENT)
		_, err = e.fs.Lstat(e.ctx, "")
		e.wantErr(err, "lstat \"\"", syscall.ENOENT)
		_, err = e.fs.Open(e.ctx, "")
		e.wantErr(err, "open \"\"", syscall.ENOENT)
		_, err = e.fs.OpenFile(e.ctx, "", oWRONLY|oCREAT, 0o644)
		e.wantErr(err, "create \"\"", syscall.ENOENT)
		e.wantErr(e.fs.Mkdir(e.ctx, "", 0o755), "mkdir \"\"", syscall.ENOENT)
		e.wantErr(e.fs.Remove(e.ctx, ""), "remove \"\"", syscall.ENOENT)
		e.wantErr(e.fs.Chmod(e.ctx, "", 0o644), "chmod \"\"", syscall.ENOENT)
		e.wantErr(e.fs.Symlink(e.ctx, "f", ""), "symlink at \"\"", syscall.ENOENT)
		_, err = e.fs.Readlink(e.ctx, "")
		e.wantErr(err, "readlink \"\"", syscall.ENOENT)
		if !e.cfg.NoHardLinks {
			e.wantErr(e.fs.Link(e.ctx, "f", ""), "link to \"\"", syscall.ENOENT)
		}
		e.wantNames("/", "f")
	}},
	{"SymlinkCannotEscapeRoot", func(e *env) {
		// P2: neither relative nor absolute links leave the mount.
		e.must(e.fs.MkdirAll(e.ctx, "a/b", 0o755), "MkdirAll")
		e.writeFile("top", "top")
		e.symlink("../../..", "a/up")
		e.symlink("../../../../../../top", "a/b/topfile")
		e.symlink("/../../..", "a/absup")
		root := e.attr("/")
		for _, p := range []string{"a/up", "a/absup", "a/up/a/up", "a/up/.."} {
			if a := e.attr(p); a.Ino != root.Ino {
				e.Errorf("stat %s = inode %d, want the root (%d)", p, a.Ino, root.Ino)
			}
		}
		e.wantContent("a/up/top", "top")
		e.wantContent("a/b/topfile", "top")
		e.wantContent("a/absup/top", "top")
		e.wantNames("a/up", "a", "top")
		e.writeFile("a/up/created", "c")
		e.wantContent("created", "c")
	}},
}
