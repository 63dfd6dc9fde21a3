package localfs

import (
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

func TestSetattrModeAndOwner(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "x")
	f, _ := e.lookup("f")
	attr, err := e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o4710})
	must(t, "chmod", err)
	if attr.Mode != unix.S_IFREG|0o4710 || e.lstat("f").Mode != attr.Mode {
		t.Fatalf("mode %o", attr.Mode)
	}
	// A mode of 0 leaves the file reachable for its owner's later changes.
	attr, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0})
	must(t, "chmod 0", err)
	if attr.Mode != unix.S_IFREG {
		t.Fatalf("mode %o", attr.Mode)
	}
	must(t, "symlink", os.Symlink("f", e.path("l")))
	l, _ := e.lookup("l")
	_, err = e.fs.Setattr(e.ctx, l, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o600})
	wantErr(t, "chmod of a symlink", err, syscall.EOPNOTSUPP)
}

func TestSetattrChown(t *testing.T) {
	requireRoot(t, "chown to other users needs root")
	e := newEnv(t)
	e.writeFile("f", "x")
	must(t, "symlink", os.Symlink("f", e.path("l")))
	f, _ := e.lookup("f")
	l, _ := e.lookup("l")
	attr, err := e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetUid | vfs.SetGid, Uid: 1000, Gid: 2000})
	must(t, "chown", err)
	if attr.Uid != 1000 || attr.Gid != 2000 {
		t.Fatalf("owner %d:%d", attr.Uid, attr.Gid)
	}
	attr, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetGid, Gid: 3000})
	must(t, "chgrp", err)
	if attr.Uid != 1000 || attr.Gid != 3000 {
		t.Fatalf("after chgrp: owner %d:%d", attr.Uid, attr.Gid)
	}
	// chown of a symlink changes the link, never its target.
	attr, err = e.fs.Setattr(e.ctx, l, vfs.SetAttr{Valid: vfs.SetUid, Uid: 7})
	must(t, "chown symlink", err)
	if attr.Uid != 7 || e.lstat("l").Uid != 7 || e.lstat("f").Uid != 1000 {
		t.Fatal("chown of a symlink did not change exactly the link")
	}
}

func TestSetattrSize(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "0123456789")
	f, _ := e.lookup("f")
	attr, err := e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 4})
	must(t, "truncate", err)
	if attr.Size != 4 || e.readFile("f") != "0123" {
		t.Fatalf("after truncate: size %d content %q", attr.Size, e.readFile("f"))
	}
	// Extending is sparse.
	attr, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 1 << 30})
	must(t, "extend", err)
	if attr.Size != 1<<30 || attr.Blocks > 64 {
		t.Fatalf("after extend: size %d blocks %d", attr.Size, attr.Blocks)
	}
	// Through the given handle (ftruncate): a read-only one gets the
	// kernel's EINVAL, which shows the handle, not a new open, is used.
	h, err := e.fs.Open(e.ctx, f, unix.O_RDWR)
	must(t, "Open", err)
	defer h.Release(e.ctx)
	attr, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 2, Handle: h})
	must(t, "ftruncate", err)
	if attr.Size != 2 {
		t.Fatalf("after ftruncate: size %d", attr.Size)
	}
	ro, err := e.fs.Open(e.ctx, f, unix.O_RDONLY)
	must(t, "Open", err)
	defer ro.Release(e.ctx)
	_, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 1, Handle: ro})
	wantErr(t, "ftruncate through a read-only handle", err, syscall.EINVAL)
	e.mkdir("d")
	d, _ := e.lookup("d")
	_, err = e.fs.Setattr(e.ctx, d, vfs.SetAttr{Valid: vfs.SetSize, Size: 0})
	wantErr(t, "truncate a directory", err, syscall.EISDIR)
	must(t, "mkfifo", unix.Mkfifo(e.path("fifo"), 0o644))
	fifo, _ := e.lookup("fifo")
	_, err = e.fs.Setattr(e.ctx, fifo, vfs.SetAttr{Valid: vfs.SetSize, Size: 0})
	wantErr(t, "truncate a fifo", err, syscall.EINVAL)
	_, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetSize, Size: -1})
	wantErr(t, "negative size", err, syscall.EINVAL)
}

func TestSetattrTimes(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "x")
	must(t, "symlink", os.Symlink("f", e.path("l")))
	f, _ := e.lookup("f")
	l, _ := e.lookup("l")
	at := time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC).UnixNano()
	mt := time.Date(1999, 1, 1, 0, 0, 0, 123456789, time.UTC).UnixNano()
	attr, err := e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetAtime | vfs.SetMtime, AtimeNs: at, MtimeNs: mt})
	must(t, "utimes", err)
	if attr.AtimeNs != at || attr.MtimeNs != mt {
		t.Fatalf("times %d %d, want %d %d", attr.AtimeNs, attr.MtimeNs, at, mt)
	}
	// Only mtime: atime is left alone (UTIME_OMIT).
	attr, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetMtime, MtimeNs: at})
	must(t, "mtime only", err)
	if attr.AtimeNs != at || attr.MtimeNs != at {
		t.Fatalf("times %d %d", attr.AtimeNs, attr.MtimeNs)
	}
	// Now overrides a given time.
	before := time.Now().Add(-time.Minute).UnixNano()
	attr, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetMtime | vfs.SetMtimeNow, MtimeNs: mt})
	must(t, "mtime now", err)
	if attr.MtimeNs < before || attr.AtimeNs != at {
		t.Fatalf("mtime now: %d (want > %d), atime %d", attr.MtimeNs, before, attr.AtimeNs)
	}
	// Times of a symlink are the link's own.
	attr, err = e.fs.Setattr(e.ctx, l, vfs.SetAttr{Valid: vfs.SetMtime, MtimeNs: mt})
	must(t, "symlink mtime", err)
	fst := e.lstat("f")
	if attr.MtimeNs != mt || fst.Mtim.Nano() == mt {
		t.Fatal("symlink times did not change exactly the link")
	}
	// Before the epoch.
	attr, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetMtime, MtimeNs: -1_500_000_000})
	must(t, "negative time", err)
	if attr.MtimeNs != -1_500_000_000 {
		t.Fatalf("mtime %d", attr.MtimeNs)
	}
}

// Size, owner, mode and times in one call: the mode survives chown's
// clearing of set-user-ID and the times survive the truncate.
func TestSetattrAllAtOnce(t *testing.T) {
	requireRoot(t, "chown to other users needs root")
	e := newEnv(t)
	e.writeFile("f", "0123456789")
	f, _ := e.lookup("f")
	mt := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	attr, err := e.fs.Setattr(e.ctx, f, vfs.SetAttr{
		Valid: vfs.SetSize | vfs.SetUid | vfs.SetGid | vfs.SetMode | vfs.SetAtime | vfs.SetMtime,
		Size:  3, Uid: 11, Gid: 12, Mode: 0o6755, AtimeNs: mt, MtimeNs: mt,
	})
	must(t, "Setattr", err)
	if attr.Size != 3 || attr.Uid != 11 || attr.Gid != 12 || attr.Mode != unix.S_IFREG|0o6755 || attr.MtimeNs != mt || attr.AtimeNs != mt {
		t.Fatalf("attr %+v", attr)
	}
}
