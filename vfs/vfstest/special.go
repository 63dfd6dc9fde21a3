package vfstest

// Special files (Mknod, gated on NoMknod), extended attributes (gated on
// NoXattr) and Statfs.

import (
	"bytes"
	"io/fs"
	"slices"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

// setxattr(2) flags.
const (
	xattrCreate  = 0x1
	xattrReplace = 0x2
)

var specialCases = []testCase{
	{"MknodFifoSocket", func(e *env) {
		err := e.fs.Mknod(e.ctx, "fifo", vfs.S_IFIFO|0o644, 0)
		if e.cfg.NoMknod {
			e.wantErr(err, "mknod fifo (NoMknod)", syscall.EPERM, syscall.ENOSYS)
			e.wantErr(e.fs.Mknod(e.ctx, "sock", vfs.S_IFSOCK|0o644, 0), "mknod socket (NoMknod)", syscall.EPERM, syscall.ENOSYS)
			e.wantMissing("fifo")
			e.wantMissing("sock")
			return
		}
		e.must(err, "mknod fifo")
		e.must(e.fs.Mknod(e.ctx, "sock", vfs.S_IFSOCK|0o600, 0), "mknod socket")
		for _, c := range []struct {
			name string
			typ  uint32
			perm uint32
			mode fs.FileMode
		}{{"fifo", vfs.S_IFIFO, 0o644, fs.ModeNamedPipe}, {"sock", vfs.S_IFSOCK, 0o600, fs.ModeSocket}} {
			a := e.lattr(c.name)
			if a.Mode&vfs.S_IFMT != c.typ || a.Mode&0o7777 != c.perm {
				e.Errorf("%s: mode %#o, want %#o", c.name, a.Mode, c.typ|c.perm)
			}
			fi, err := e.fs.Stat(e.ctx, c.name)
			if e.ok(err, "stat "+c.name) && fi.Mode().Type() != c.mode {
				e.Errorf("%s: FileMode %v, want type %v", c.name, fi.Mode(), c.mode)
			}
		}
		ents, err := e.fs.ReadDir(e.ctx, "/")
		e.must(err, "readdir")
		for _, d := range ents {
			if d.Name() == "fifo" && d.Type() != fs.ModeNamedPipe || d.Name() == "sock" && d.Type() != fs.ModeSocket {
				e.Errorf("readdir: %s has type %v", d.Name(), d.Type())
			}
		}
		e.wantErr(e.fs.Mknod(e.ctx, "fifo", vfs.S_IFIFO|0o644, 0), "mknod over an existing name", syscall.EEXIST)
		e.must(e.fs.Remove(e.ctx, "fifo"), "remove fifo")
		e.must(e.fs.Remove(e.ctx, "sock"), "remove socket")
		e.wantNames("/")
	}},
	{"MknodErrors", func(e *env) {
		e.writeFile("f", "")
		e.wantErr(e.fs.Mknod(e.ctx, "d", vfs.S_IFDIR|0o755, 0), "mknod a directory", syscall.EPERM)
		want := []syscall.Errno{syscall.EEXIST}
		if e.cfg.NoMknod {
			want = append(want, syscall.EPERM, syscall.ENOSYS)
		}
		e.wantErr(e.fs.Mknod(e.ctx, "f", vfs.S_IFIFO|0o644, 0), "mknod over a file", want...)
		e.wantErr(e.fs.Mknod(e.ctx, "missing/p", vfs.S_IFIFO|0o644, 0), "mknod in a missing directory", syscall.ENOENT)
		e.wantNames("/", "f")
	}},
	{"Xattr", func(e *env) {
		e.writeFile("f", "")
		e.mkdir("d")
		if e.cfg.NoXattr {
			// Gated: the core answers ENOTSUP for a driver without them.
			e.wantErr(e.fs.Setxattr(e.ctx, "f", "user.a", []byte("1"), 0), "setxattr (NoXattr)", syscall.ENOTSUP)
			_, err := e.fs.Getxattr(e.ctx, "f", "user.a")
			e.wantErr(err, "getxattr (NoXattr)", syscall.ENOTSUP)
			_, err = e.fs.Listxattr(e.ctx, "f")
			e.wantErr(err, "listxattr (NoXattr)", syscall.ENOTSUP)
			e.wantErr(e.fs.Removexattr(e.ctx, "f", "user.a"), "removexattr (NoXattr)", syscall.ENOTSUP)
			return
		}
		for _, name := range []string{"f", "d"} {
			e.must(e.fs.Setxattr(e.ctx, name, "user.a", []byte("value a"), 0), "setxattr user.a on "+name)
			e.must(e.fs.Setxattr(e.ctx, name, "user.b", []byte{0, 1, 2, 255}, 0), "setxattr user.b on "+name)
			v, err := e.fs.Getxattr(e.ctx, name, "user.a")
			if e.ok(err, "getxattr") && string(v) != "value a" {
				e.Errorf("getxattr user.a = %q", v)
			}
			v, err = e.fs.Getxattr(e.ctx, name, "user.b")
			if e.ok(err, "getxattr") && !bytes.Equal(v, []byte{0, 1, 2, 255}) {
				e.Errorf("getxattr user.b = %v (binary values must survive)", v)
			}
			list, err := e.fs.Listxattr(e.ctx, name)
			if e.ok(err, "listxattr") && (!slices.Contains(list, "user.a") || !slices.Contains(list, "user.b")) {
				e.Errorf("listxattr = %q, want user.a and user.b among them", list)
			}
			e.must(e.fs.Setxattr(e.ctx, name, "user.a", []byte("replaced"), 0), "setxattr over an existing one")
			if v, _ := e.fs.Getxattr(e.ctx, name, "user.a"); string(v) != "replaced" {
				e.Errorf("getxattr after replacing = %q", v)
			}
			e.must(e.fs.Removexattr(e.ctx, name, "user.a"), "removexattr")
			_, err = e.fs.Getxattr(e.ctx, name, "user.a")
			e.wantErr(err, "getxattr after remove", syscall.ENODATA)
			e.wantErr(e.fs.Removexattr(e.ctx, name, "user.a"), "removexattr a missing one", syscall.ENODATA)
			list, err = e.fs.Listxattr(e.ctx, name)
			if e.ok(err, "listxattr") && slices.Contains(list, "user.a") {
				e.Errorf("listxattr after remove = %q", list)
			}
		}
		e.wantErr(e.fs.Setxattr(e.ctx, "f", "user.b", []byte("x"), xattrCreate), "XATTR_CREATE on an existing one", syscall.EEXIST)
		e.wantErr(e.fs.Setxattr(e.ctx, "f", "user.new", []byte("x"), xattrReplace), "XATTR_REPLACE on a missing one", syscall.ENODATA)
		e.ok(e.fs.Setxattr(e.ctx, "f", "user.b", []byte("x"), xattrReplace), "XATTR_REPLACE on an existing one")
		e.ok(e.fs.Setxattr(e.ctx, "f", "user.c", []byte("x"), xattrCreate), "XATTR_CREATE on a new one")
		_, err := e.fs.Getxattr(e.ctx, "f", "user.never")
		e.wantErr(err, "getxattr never set", syscall.ENODATA)
		_, err = e.fs.Getxattr(e.ctx, "missing", "user.a")
		e.wantErr(err, "getxattr on a missing file", syscall.ENOENT)
		// Following a symlink, the target's attributes; the inode API.
		e.symlink("f", "lf")
		if v, err := e.fs.Getxattr(e.ctx, "lf", "user.c"); e.ok(err, "getxattr through a symlink") && string(v) != "x" {
			e.Errorf("getxattr through a symlink = %q", v)
		}
		ino, _, err := e.fs.Lookup(e.ctx, e.fs.Root(), "f")
		e.must(err, "Lookup f")
		e.must(e.fs.SetxattrInode(e.ctx, ino, "user.ino", []byte("i"), 0), "SetxattrInode")
		if v, err := e.fs.GetxattrInode(e.ctx, ino, "user.ino"); e.ok(err, "GetxattrInode") && string(v) != "i" {
			e.Errorf("GetxattrInode = %q", v)
		}
		list, err := e.fs.ListxattrInode(e.ctx, ino)
		if e.ok(err, "ListxattrInode") && !slices.Contains(list, "user.ino") {
			e.Errorf("ListxattrInode = %q", list)
		}
		e.ok(e.fs.RemovexattrInode(e.ctx, ino, "user.ino"), "RemovexattrInode")
		_, err = e.fs.GetxattrInode(e.ctx, ino, "user.ino")
		e.wantErr(err, "GetxattrInode after remove", syscall.ENODATA)
	}},
	{"Statfs", func(e *env) {
		s, err := e.fs.Statfs(e.ctx)
		e.must(err, "statfs")
		if s.Bsize == 0 || s.Blocks == 0 {
			e.Errorf("statfs: Bsize %d Blocks %d, want both > 0", s.Bsize, s.Blocks)
		}
		if s.Bfree > s.Blocks || s.Bavail > s.Blocks {
			e.Errorf("statfs: Bfree %d Bavail %d exceed Blocks %d", s.Bfree, s.Bavail, s.Blocks)
		}
		if s.Ffree > s.Files {
			e.Errorf("statfs: Ffree %d exceeds Files %d", s.Ffree, s.Files)
		}
		if s.NameLen != 0 && s.NameLen < 255 {
			e.Logf("statfs: NameLen %d (names up to 255 bytes are tested in Path/NameLength)", s.NameLen)
		}
	}},
}
