package sftpfs

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

func TestSetattrModeSizeAndTimes(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.writeLocal("f", "0123456789")
	f, _ := e.lookup("f")

	a, err := e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetMode | vfs.SetSize, Mode: 0o604, Size: 4})
	if err != nil || a.Mode&0o7777 != 0o604 || a.Size != 4 {
		t.Fatalf("Setattr(mode, size) = %+v, %v", a, err)
	}
	if got := e.readLocal("f"); got != "0123" {
		t.Errorf("content after truncate = %q", got)
	}
	// Extending is sparse: zeros.
	if _, err := e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetSize, Size: 6}); err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("f"); got != "0123\x00\x00" {
		t.Errorf("content after extend = %q", got)
	}

	// Only mtime: SFTP sets both times, so atime must be kept.
	old := time.Unix(1_500_000_000, 0)
	if err := os.Chtimes(e.local("f"), old, old); err != nil {
		t.Fatal(err)
	}
	mt := time.Unix(1_700_000_000, 0)
	a, err = e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetMtime, MtimeNs: mt.UnixNano()})
	if err != nil || a.MtimeNs != mt.UnixNano() {
		t.Fatalf("Setattr(mtime) = %+v, %v", a, err)
	}
	st, _ := os.Lstat(e.local("f"))
	atime := time.Unix(st.Sys().(*syscall.Stat_t).Atim.Unix())
	if !st.ModTime().Equal(mt) || !atime.Equal(old) {
		t.Errorf("server mtime %v atime %v; want %v and unchanged %v", st.ModTime(), atime, mt, old)
	}

	before := time.Now().Add(-2 * time.Second)
	a, err = e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetAtimeNow | vfs.SetMtimeNow})
	if err != nil || a.Mtime().Before(before) || a.Atime().Before(before) {
		t.Errorf("Setattr(now) = atime %v mtime %v, %v", a.Atime(), a.Mtime(), err)
	}
}

func TestSetattrOwner(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (CI runs as root): chown to another user")
	}
	e := newEnv(t)
	e.writeLocal("f", "")
	f, _ := e.lookup("f")
	a, err := e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetUid | vfs.SetGid, Uid: 1234, Gid: 5678})
	if err != nil || a.Uid != 1234 || a.Gid != 5678 {
		t.Fatalf("chown = %+v, %v", a, err)
	}
	// Only the uid: SFTP sets both, so the gid must be kept.
	a, err = e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetUid, Uid: 42})
	if err != nil || a.Uid != 42 || a.Gid != 5678 {
		t.Fatalf("chown uid only = %+v, %v", a, err)
	}
	st, _ := os.Lstat(e.local("f"))
	if sys := st.Sys().(*syscall.Stat_t); sys.Uid != 42 || sys.Gid != 5678 {
		t.Errorf("server owner %d:%d", sys.Uid, sys.Gid)
	}
}

func TestSetattrThroughHandleReachesUnlinkedFile(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.writeLocal("f", "0123456789")
	f, _ := e.lookup("f")
	h, err := e.fs.Open(ctx(t), f, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	if err := e.fs.Unlink(ctx(t), e.rootNode(), "f"); err != nil {
		t.Fatal(err)
	}
	// ftruncate on the open file: FSETSTAT through the handle works where
	// the path no longer does.
	a, err := e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetSize, Size: 3, Handle: h})
	if err != nil || a.Size != 3 {
		t.Fatalf("Setattr through handle = %+v, %v", a, err)
	}
	// Without the handle the node's path names nothing: stale (rule V3).
	_, err = e.fs.Setattr(ctx(t), f, vfs.SetAttr{Valid: vfs.SetSize, Size: 3})
	wantErrno(t, "Setattr by path of an unlinked file", err, syscall.ESTALE)
	// Getattr still reaches it through the open handle (fstat(2)).
	if a, err := e.fs.Getattr(ctx(t), f); err != nil || a.Size != 3 {
		t.Errorf("Getattr of an unlinked open file = %+v, %v", a, err)
	}
}

func TestSetattrSymlinkDoesNotFollow(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.writeLocal("target", "")
	if err := os.Symlink("target", e.local("l")); err != nil {
		t.Fatal(err)
	}
	old := time.Unix(1_500_000_000, 0)
	if err := os.Chtimes(e.local("target"), old, old); err != nil {
		t.Fatal(err)
	}
	l, _ := e.lookup("l")
	mt := time.Unix(1_600_000_000, 0)
	a, err := e.fs.Setattr(ctx(t), l, vfs.SetAttr{Valid: vfs.SetMtime | vfs.SetAtime, MtimeNs: mt.UnixNano(), AtimeNs: mt.UnixNano()})
	if err != nil || !a.IsSymlink() || a.MtimeNs != mt.UnixNano() {
		t.Fatalf("Setattr(symlink times) = %+v, %v", a, err)
	}
	if st, _ := os.Stat(e.local("target")); !st.ModTime().Equal(old) {
		t.Errorf("target mtime changed to %v: the change followed the symlink", st.ModTime())
	}
}
