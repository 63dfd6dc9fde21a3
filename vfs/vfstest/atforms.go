package vfstest

// The at-forms (calls relative to a directory *vfs.Inode) and the inode API
// (Lookup, GetattrInode, SetattrInode, OpenInode, ReadlinkInode,
// ReadDirInode) that frontends such as FUSE use.

import (
	"syscall"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

var atCases = []testCase{
	{"RelativeToDirectory", func(e *env) {
		e.mkdir("x")
		e.mkdir("y")
		dir := e.mustOpen("x", oRDONLY|oDIRECTORY, 0)
		x := dir.Inode()
		if !x.IsDir() {
			e.Fatal("Inode of an open directory is not a directory")
		}
		fl, err := e.fs.OpenFileAt(e.ctx, x, "f", oRDWR|oCREAT|oEXCL, 0o640)
		e.must(err, "OpenFileAt O_CREAT")
		if !fl.Created() {
			e.Error("OpenFileAt: Created() = false")
		}
		_, err = fl.Write([]byte("at"))
		e.must(err, "write")
		e.must(fl.Close(), "close")
		e.wantContent("x/f", "at")
		sub, err := e.fs.MkdirAt(e.ctx, x, "sub", 0o700)
		e.must(err, "MkdirAt")
		if !sub.IsDir() || sub.Attr().Mode&0o7777 != 0o700 {
			e.Errorf("MkdirAt returned mode %#o", sub.Attr().Mode)
		}
		_, err = e.fs.SymlinkAt(e.ctx, "f", x, "l")
		e.must(err, "SymlinkAt")
		if t, err := e.fs.ReadlinkAt(e.ctx, x, "l"); e.ok(err, "ReadlinkAt") && t != "f" {
			e.Errorf("ReadlinkAt = %q", t)
		}
		if a, err := e.fs.GetattrAt(e.ctx, x, "l", true); e.ok(err, "GetattrAt follow") && (!a.IsRegular() || a.Size != 2) {
			e.Errorf("GetattrAt follow: mode %#o size %d", a.Mode, a.Size)
		}
		if a, err := e.fs.GetattrAt(e.ctx, x, "l", false); e.ok(err, "GetattrAt nofollow") && !a.IsSymlink() {
			e.Errorf("GetattrAt nofollow: mode %#o", a.Mode)
		}
		if a, err := e.fs.GetattrAt(e.ctx, x, "..", true); e.ok(err, "GetattrAt ..") && a.Ino != e.attr("/").Ino {
			e.Errorf("GetattrAt x/.. is inode %d, not the root", a.Ino)
		}
		if _, err := e.fs.SetattrAt(e.ctx, x, "f", true, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o600}); e.ok(err, "SetattrAt") {
			if m := e.attr("x/f").Mode & 0o7777; m != 0o600 {
				e.Errorf("mode after SetattrAt = %#o", m)
			}
		}
		if _, err := e.fs.MknodAt(e.ctx, x, "node", vfs.S_IFREG|0o644, 0); e.ok(err, "MknodAt S_IFREG") {
			e.wantType("x/node", vfs.S_IFREG)
		}
		if !e.cfg.NoHardLinks {
			src, _, err := e.fs.Lookup(e.ctx, x, "f")
			e.must(err, "Lookup f")
			_, err = e.fs.LinkAt(e.ctx, src, x, "h")
			if e.ok(err, "LinkAt") {
				e.wantContent("x/h", "at")
				e.must(e.fs.UnlinkAt(e.ctx, x, "h"), "UnlinkAt h")
			}
		}
		y := e.mustOpen("y", oRDONLY, 0).Inode()
		e.must(e.fs.RenameAt(e.ctx, x, "f", y, "g", 0), "RenameAt between directories")
		e.wantContent("y/g", "at")
		e.wantMissing("x/f")
		e.must(e.fs.UnlinkAt(e.ctx, y, "g"), "UnlinkAt")
		e.wantErr(e.fs.UnlinkAt(e.ctx, x, "sub"), "UnlinkAt a directory", syscall.EISDIR)
		e.must(e.fs.RmdirAt(e.ctx, x, "sub"), "RmdirAt")
		e.wantNames("x", "l", "node")
		e.wantNames("y")
	}},
	{"DirectoryRenamedUnderneath", func(e *env) {
		// An at-call is relative to the directory object, wherever it is.
		e.mkdir("x")
		x := e.mustOpen("x", oRDONLY, 0).Inode()
		e.must(e.fs.Rename(e.ctx, "x", "moved"), "rename x")
		fl, err := e.fs.OpenFileAt(e.ctx, x, "f", oWRONLY|oCREAT, 0o644)
		e.must(err, "OpenFileAt in a renamed directory")
		e.must(fl.Close(), "close")
		e.wantType("moved/f", vfs.S_IFREG)
		e.wantMissing("x")
		if p := x.Path(); p != "/moved" {
			e.Errorf("Inode.Path() after rename = %q, want /moved", p)
		}
	}},
	{"CreateInRemovedDirectory_ENOENT", func(e *env) {
		// D1: a removed directory takes no new names (Linux: ENOENT).
		e.mkdir("gone")
		g := e.mustOpen("gone", oRDONLY, 0).Inode()
		e.must(e.fs.Remove(e.ctx, "gone"), "rmdir")
		_, err := e.fs.OpenFileAt(e.ctx, g, "f", oWRONLY|oCREAT, 0o644)
		e.wantErr(err, "create in a removed directory", syscall.ENOENT)
		_, err = e.fs.MkdirAt(e.ctx, g, "d", 0o755)
		e.wantErr(err, "mkdir in a removed directory", syscall.ENOENT)
		_, err = e.fs.SymlinkAt(e.ctx, "t", g, "l")
		e.wantErr(err, "symlink in a removed directory", syscall.ENOENT)
		_, err = e.fs.GetattrAt(e.ctx, g, "f", false)
		e.wantErr(err, "stat in a removed directory", syscall.ENOENT)
		e.wantNames("/")
	}},
	{"InodeAPI", func(e *env) {
		e.mkdir("d")
		e.writeFile("d/f", "inode")
		e.symlink("f", "d/l")
		root := e.fs.Root()
		d, da, err := e.fs.Lookup(e.ctx, root, "d")
		e.must(err, "Lookup d")
		if !da.IsDir() || !d.IsDir() {
			e.Errorf("Lookup d: mode %#o", da.Mode)
		}
		if self, _, err := e.fs.Lookup(e.ctx, d, "."); e.ok(err, "Lookup .") && self != d {
			e.Error("Lookup(d, \".\") is not d")
		}
		if up, _, err := e.fs.Lookup(e.ctx, d, ".."); e.ok(err, "Lookup ..") && up != root {
			e.Error("Lookup(d, \"..\") is not the root")
		}
		if up, _, err := e.fs.Lookup(e.ctx, root, ".."); e.ok(err, "Lookup root ..") && up != root {
			e.Error("Lookup(root, \"..\") is not the root (P1)")
		}
		f, fa, err := e.fs.Lookup(e.ctx, d, "f")
		e.must(err, "Lookup f")
		if !fa.IsRegular() || fa.Size != 5 {
			e.Errorf("Lookup f: mode %#o size %d", fa.Mode, fa.Size)
		}
		if again, _, _ := e.fs.Lookup(e.ctx, d, "f"); again != f {
			e.Error("two Lookups of one cached name gave two inodes")
		}
		l, la, err := e.fs.Lookup(e.ctx, d, "l")
		e.must(err, "Lookup l")
		if !la.IsSymlink() {
			e.Errorf("Lookup does not follow symlinks: got mode %#o", la.Mode)
		}
		if t, err := e.fs.ReadlinkInode(e.ctx, l); e.ok(err, "ReadlinkInode") && t != "f" {
			e.Errorf("ReadlinkInode = %q", t)
		}
		_, err = e.fs.ReadlinkInode(e.ctx, f)
		e.wantErr(err, "ReadlinkInode on a file", syscall.EINVAL)
		_, _, err = e.fs.Lookup(e.ctx, d, "missing")
		e.wantErr(err, "Lookup missing", syscall.ENOENT)
		_, _, err = e.fs.Lookup(e.ctx, f, "x")
		e.wantErr(err, "Lookup in a file", syscall.ENOTDIR)
		mt := time.Unix(0, pastNs)
		a, err := e.fs.SetattrInode(e.ctx, f, vfs.SetAttr{Valid: vfs.SetMode | vfs.SetMtime, Mode: 0o604, MtimeNs: mt.UnixNano()})
		if e.ok(err, "SetattrInode") && (a.Mode&0o7777 != 0o604 || a.MtimeNs != mt.UnixNano()) {
			e.Errorf("SetattrInode returned mode %#o mtime %v", a.Mode, a.Mtime())
		}
		if a, err := e.fs.GetattrInode(e.ctx, f); e.ok(err, "GetattrInode") && a.Mode&0o7777 != 0o604 {
			e.Errorf("GetattrInode mode %#o", a.Mode)
		}
		if a := e.attr("d/f"); a.Mode&0o7777 != 0o604 || !a.Mtime().Equal(mt) {
			e.Errorf("stat after SetattrInode: mode %#o mtime %v", a.Mode, a.Mtime())
		}
		_, err = e.fs.SetattrInode(e.ctx, d, vfs.SetAttr{Valid: vfs.SetSize})
		e.wantErr(err, "SetattrInode size on a directory", syscall.EISDIR)
		fl, err := e.fs.OpenInode(e.ctx, f, oRDWR)
		if e.ok(err, "OpenInode") {
			if got := readAll(e, fl); got != "inode" {
				e.Errorf("read through OpenInode: %q", got)
			}
			_, err = fl.WriteAt([]byte("I"), 0)
			e.ok(err, "write through OpenInode")
			e.ok(fl.Close(), "close")
			e.wantContent("d/f", "Inode")
		}
		_, err = e.fs.OpenInode(e.ctx, d, oWRONLY)
		e.wantErr(err, "OpenInode a directory for writing", syscall.EISDIR)
		_, err = e.fs.OpenInode(e.ctx, l, oRDONLY)
		e.wantErr(err, "OpenInode a symlink", syscall.ELOOP)
		if dl, err := e.fs.OpenInode(e.ctx, d, oRDONLY); e.ok(err, "OpenInode a directory") {
			ents, err := dl.ReadDir(-1)
			if e.ok(err, "ReadDir") && len(ents) != 2 {
				e.Errorf("ReadDir through OpenInode: %d entries", len(ents))
			}
			dl.Close()
		}
		if p := f.Path(); p != "/d/f" {
			e.Errorf("Inode.Path() = %q, want /d/f", p)
		}
	}},
	{"PinnedInodeSurvivesRemoval", func(e *env) {
		// A frontend reference (FUSE lookup count) keeps an inode usable.
		e.writeFile("f", "pinned")
		f, _, err := e.fs.Lookup(e.ctx, e.fs.Root(), "f")
		e.must(err, "Lookup")
		if !e.fs.Pin(f) {
			e.Fatalf("Pin of an Inode just looked up, still named: refused")
		}
		defer e.fs.Unpin(f)
		fl, err := e.fs.OpenInode(e.ctx, f, oRDONLY)
		e.must(err, "OpenInode")
		e.must(e.fs.Remove(e.ctx, "f"), "remove")
		if got := readAll(e, fl); got != "pinned" {
			e.Errorf("read after remove: %q", got)
		}
		e.must(fl.Close(), "close")
		e.wantMissing("f")
	}},
}
