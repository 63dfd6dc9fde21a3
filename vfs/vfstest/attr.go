package vfstest

// Attribute cases: Stat/Lstat (type, size, mode, nlink, inode numbers),
// Chmod, Chown, Chtimes, and the times Linux moves on writes, chmod and
// directory changes. Times are compared with each other, never with the
// local clock: a network server stamps them with its own.

import (
	"io"
	"io/fs"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

var attrCases = []testCase{
	{"StatTypes", func(e *env) {
		e.writeFile("f", "hello")
		e.mkdir("d")
		e.symlink("f", "lf")
		e.symlink("d", "ld")
		fi, err := e.fs.Stat(e.ctx, "f")
		if e.ok(err, "stat f") {
			if !fi.Mode().IsRegular() || fi.Size() != 5 || fi.Name() != "f" || fi.IsDir() {
				e.Errorf("stat f: %v", fi)
			}
			if _, ok := fi.Sys().(*vfs.Attr); !ok {
				e.Errorf("FileInfo.Sys() is %T, want *vfs.Attr", fi.Sys())
			}
		}
		fi, err = e.fs.Stat(e.ctx, "d")
		if e.ok(err, "stat d") && (!fi.IsDir() || fi.Mode().Type() != fs.ModeDir) {
			e.Errorf("stat d: %v", fi)
		}
		fi, err = e.fs.Lstat(e.ctx, "lf")
		if e.ok(err, "lstat lf") {
			if fi.Mode().Type() != fs.ModeSymlink || fi.Size() != 1 || fi.Name() != "lf" {
				e.Errorf("lstat of symlink lf -> f: %v size %d, want a symlink of size 1 (its target's length)", fi, fi.Size())
			}
		}
		fi, err = e.fs.Stat(e.ctx, "lf")
		if e.ok(err, "stat lf") && (!fi.Mode().IsRegular() || fi.Size() != 5) {
			e.Errorf("stat through symlink lf: %v, want the regular file f", fi)
		}
		fi, err = e.fs.Stat(e.ctx, "ld")
		if e.ok(err, "stat ld") && !fi.IsDir() {
			e.Errorf("stat through symlink ld: %v, want a directory", fi)
		}
		fi, err = e.fs.Stat(e.ctx, "/")
		if e.ok(err, "stat /") && !fi.IsDir() {
			e.Errorf("stat /: %v", fi)
		}
		_, err = e.fs.Stat(e.ctx, "missing")
		e.wantErr(err, "stat missing", syscall.ENOENT)
		_, err = e.fs.Lstat(e.ctx, "missing")
		e.wantErr(err, "lstat missing", syscall.ENOENT)
	}},
	{"Nlink", func(e *env) {
		e.writeFile("f", "")
		if a := e.attr("f"); a.Nlink != 1 {
			e.Errorf("nlink of a new file = %d, want 1", a.Nlink)
		}
		e.mkdir("d")
		// A directory counts "." and each subdirectory's "..": 2+n. Some
		// servers (btrfs, some network protocols) report 1, "unknown".
		if a := e.attr("d"); a.Nlink != 2 && a.Nlink != 1 {
			e.Errorf("nlink of an empty directory = %d, want 2 (or 1: unknown)", a.Nlink)
		}
		e.mkdir("d/a")
		e.mkdir("d/b")
		e.writeFile("d/file", "")
		if a := e.attr("d"); a.Nlink != 4 && a.Nlink != 1 {
			e.Errorf("nlink of a directory with 2 subdirectories = %d, want 4 (or 1: unknown)", a.Nlink)
		}
		e.must(e.fs.RmdirAt(e.ctx, nil, "d/a"), "rmdir d/a")
		if a := e.attr("d"); a.Nlink != 3 && a.Nlink != 1 {
			e.Errorf("nlink after removing a subdirectory = %d, want 3 (or 1: unknown)", a.Nlink)
		}
	}},
	{"InodeNumbers", func(e *env) {
		e.writeFile("f", "")
		e.writeFile("g", "")
		e.mkdir("d")
		f, g, d, root := e.attr("f"), e.attr("g"), e.attr("d"), e.attr("/")
		seen := map[uint64]string{}
		for _, x := range []struct {
			name string
			a    vfs.Attr
		}{{"f", f}, {"g", g}, {"d", d}, {"/", root}} {
			if x.a.Ino == 0 {
				e.Errorf("%s: inode number 0", x.name)
			}
			if o, dup := seen[x.a.Ino]; dup {
				e.Errorf("%s and %s share inode number %d", x.name, o, x.a.Ino)
			}
			seen[x.a.Ino] = x.name
		}
		if again := e.fstat("f"); again.Ino != f.Ino {
			e.Errorf("inode number of f changed from %d to %d", f.Ino, again.Ino)
		}
	}},
	{"Chmod", func(e *env) {
		e.writeFile("f", "")
		e.mkdir("d")
		e.symlink("f", "lf")
		for _, m := range []fs.FileMode{0o600, 0o751, 0o404, 0o777} {
			e.must(e.fs.Chmod(e.ctx, "f", m), "chmod")
			if got := e.attr("f").Mode & 0o7777; got != uint32(m) {
				e.Errorf("mode after chmod %#o = %#o", m, got)
			}
		}
		e.must(e.fs.Chmod(e.ctx, "d", fs.ModeSticky|0o777), "chmod sticky")
		fi, err := e.fs.Stat(e.ctx, "d")
		if e.ok(err, "stat d") && (fi.Mode() != fs.ModeDir|fs.ModeSticky|0o777 || fi.Sys().(*vfs.Attr).Mode&0o7777 != 0o1777) {
			e.Errorf("mode after chmod 01777 = %v", fi.Mode())
		}
		// Chmod follows a symlink; the link keeps its own mode.
		e.must(e.fs.Chmod(e.ctx, "lf", 0o640), "chmod through a symlink")
		if got := e.attr("f").Mode & 0o7777; got != 0o640 {
			e.Errorf("target mode after chmod through a symlink = %#o, want 0640", got)
		}
		if a := e.lattr("lf"); !a.IsSymlink() {
			e.Errorf("chmod through a symlink changed the link's type: %#o", a.Mode)
		}
		e.wantErr(e.fs.Chmod(e.ctx, "missing", 0o644), "chmod missing", syscall.ENOENT)
	}},
	{"CtimeOnChmod", func(e *env) {
		e.writeFile("f", "")
		before := e.attr("f")
		mode := fs.FileMode(0o600)
		after := e.advanced(before.CtimeNs, func() {
			mode ^= 0o040
			e.must(e.fs.Chmod(e.ctx, "f", mode), "chmod")
		}, func() int64 { return e.attr("f").CtimeNs })
		if after <= before.CtimeNs && !e.cfg.NoCtime {
			e.Errorf("ctime did not move on chmod: %d -> %d", before.CtimeNs, after)
		}
		if a := e.attr("f"); a.MtimeNs != before.MtimeNs {
			e.Errorf("chmod changed mtime: %d -> %d", before.MtimeNs, a.MtimeNs)
		}
	}},
	{"TimesAdvanceOnWrite", func(e *env) {
		e.writeFile("f", "a")
		e.must(e.fs.Chtimes(e.ctx, "f", time.Unix(0, pastNs), time.Unix(0, pastNs)), "chtimes to the past")
		before := e.attr("f")
		fl := e.mustOpen("f", oWRONLY, 0)
		_, err := fl.Write([]byte("b"))
		e.must(err, "write")
		if a := e.attr("f"); a.MtimeNs <= pastNs {
			e.Errorf("mtime by path did not move on write: %v", a.Mtime())
		}
		if a := handleAttr(e, fl); a.MtimeNs <= pastNs {
			e.Errorf("mtime through the handle did not move on write: %v", a.Mtime())
		}
		after := e.advanced(before.CtimeNs, func() {
			_, err := fl.Write([]byte("c"))
			e.must(err, "write")
		}, func() int64 { return e.attr("f").CtimeNs })
		if after <= before.CtimeNs {
			e.Errorf("ctime did not move on write: %d -> %d", before.CtimeNs, after)
		}
		// Truncation is a write too.
		e.must(e.fs.Chtimes(e.ctx, "f", time.Time{}, time.Unix(0, pastNs)), "chtimes mtime")
		e.must(e.fs.Truncate(e.ctx, "f", 1), "truncate")
		if a := e.attr("f"); a.MtimeNs <= pastNs {
			e.Errorf("mtime did not move on truncate: %v", a.Mtime())
		}
	}},
	{"DirectoryTimesOnChange", func(e *env) {
		// Creating or removing a name changes the directory's mtime.
		e.mkdir("d")
		for _, step := range []struct {
			what string
			op   func()
		}{
			{"create", func() { e.writeFile("d/f", "") }},
			{"mkdir", func() { e.mkdir("d/sub") }},
			{"symlink", func() { e.symlink("x", "d/l") }},
			{"unlink", func() { e.must(e.fs.Remove(e.ctx, "d/f"), "remove") }},
			{"rename in", func() { e.writeFile("g", ""); e.must(e.fs.Rename(e.ctx, "g", "d/g"), "rename") }},
			{"rename out", func() { e.must(e.fs.Rename(e.ctx, "d/g", "g"), "rename") }},
			{"rmdir", func() { e.must(e.fs.Remove(e.ctx, "d/sub"), "rmdir") }},
		} {
			e.must(e.fs.Chtimes(e.ctx, "d", time.Unix(0, pastNs), time.Unix(0, pastNs)), "chtimes d")
			step.op()
			if a := e.attr("d"); a.MtimeNs <= pastNs {
				e.Errorf("directory mtime did not move on %s", step.what)
			}
		}
	}},
	{"Chtimes", func(e *env) {
		e.writeFile("f", "")
		e.mkdir("d")
		at, mt := time.Unix(0, pastNs+1e9), time.Unix(0, pastNs+2e9)
		for _, name := range []string{"f", "d"} {
			e.must(e.fs.Chtimes(e.ctx, name, at, mt), "chtimes "+name)
			a := e.attr(name)
			if !a.Mtime().Equal(mt) {
				e.Errorf("%s: mtime %v, want %v", name, a.Mtime(), mt)
			}
			if !e.cfg.NoAtime && !a.Atime().Equal(at) {
				e.Errorf("%s: atime %v, want %v", name, a.Atime(), at)
			}
			// A zero time keeps that time (os.Chtimes).
			mt2 := mt.Add(time.Hour)
			e.must(e.fs.Chtimes(e.ctx, name, time.Time{}, mt2), "chtimes mtime only")
			a = e.attr(name)
			if !a.Mtime().Equal(mt2) {
				e.Errorf("%s: mtime %v, want %v", name, a.Mtime(), mt2)
			}
			if !e.cfg.NoAtime && !a.Atime().Equal(at) {
				e.Errorf("%s: atime changed to %v by a chtimes that set only mtime", name, a.Atime())
			}
		}
		e.symlink("f", "lf")
		e.must(e.fs.Chtimes(e.ctx, "lf", at, mt), "chtimes through a symlink")
		if a := e.attr("f"); !a.Mtime().Equal(mt) {
			e.Errorf("chtimes through a symlink: target mtime %v, want %v", a.Mtime(), mt)
		}
		e.wantErr(e.fs.Chtimes(e.ctx, "missing", at, mt), "chtimes missing", syscall.ENOENT)
	}},
	{"AtimeOnRead", func(e *env) {
		if e.cfg.NoAtime {
			// Gated: the protocol keeps no access time; reading must
			// still work and Stat must still answer.
			e.writeFile("f", "abc")
			e.wantContent("f", "abc")
			e.fstat("f")
			return
		}
		e.writeFile("f", "abc")
		// An atime older than mtime is updated by any policy but noatime
		// (relatime, strictatime).
		e.must(e.fs.Chtimes(e.ctx, "f", time.Unix(0, pastNs), time.Time{}), "chtimes atime")
		fl := e.mustOpen("f", oRDONLY, 0)
		_, err := io.ReadAll(fl)
		e.must(err, "read")
		if a := handleAttr(e, fl); a.AtimeNs <= pastNs {
			e.Errorf("atime did not move on read: %v", a.Atime())
		}
	}},
	{"Chown", func(e *env) {
		e.writeFile("f", "")
		e.symlink("f", "lf")
		if e.cfg.NoChown {
			// Gated: not root on the server. Giving the file away fails;
			// a chown that changes nothing succeeds.
			e.wantErr(e.fs.Chown(e.ctx, "f", 54321, 54321), "chown to another user (NoChown)", syscall.EPERM, syscall.EACCES)
			e.ok(e.fs.Chown(e.ctx, "f", -1, -1), "chown -1 -1")
			a := e.attr("f")
			e.ok(e.fs.Chown(e.ctx, "f", int(a.Uid), int(a.Gid)), "chown to the current owner")
			return
		}
		e.must(e.fs.Chown(e.ctx, "f", 1234, 5678), "chown")
		if a := e.attr("f"); a.Uid != 1234 || a.Gid != 5678 {
			e.Errorf("owner after chown = %d:%d, want 1234:5678", a.Uid, a.Gid)
		}
		e.must(e.fs.Chown(e.ctx, "f", -1, 4321), "chown gid only")
		if a := e.attr("f"); a.Uid != 1234 || a.Gid != 4321 {
			e.Errorf("owner after chown -1:4321 = %d:%d, want 1234:4321", a.Uid, a.Gid)
		}
		// Lchown changes the link, Chown through it the target.
		e.must(e.fs.Lchown(e.ctx, "lf", 42, 43), "lchown")
		if a := e.lattr("lf"); a.Uid != 42 || a.Gid != 43 {
			e.Errorf("symlink owner after lchown = %d:%d, want 42:43", a.Uid, a.Gid)
		}
		if a := e.attr("f"); a.Uid != 1234 {
			e.Errorf("lchown changed the target's owner to %d", a.Uid)
		}
		e.must(e.fs.Chown(e.ctx, "lf", 7, 8), "chown through a symlink")
		if a := e.attr("f"); a.Uid != 7 || a.Gid != 8 {
			e.Errorf("target owner after chown through a symlink = %d:%d, want 7:8", a.Uid, a.Gid)
		}
		e.wantErr(e.fs.Chown(e.ctx, "missing", 1, 1), "chown missing", syscall.ENOENT)
	}},
}
