package memfs

// Tests of Setattr: mode, owner, times, truncate and the set-id clearing
// rules, each against the Linux behaviour it mirrors.

import (
	"context"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

func TestSetattrModeKeepsTypeAndMovesCtime(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "abc")
	before := getattr(t, m, f)
	a, err := m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetMode, Mode: vfs.S_IFDIR | 0o4711})
	must(t, "Setattr", err)
	if a.Mode != vfs.S_IFREG|0o4711 {
		t.Errorf("mode %o, want %o", a.Mode, vfs.S_IFREG|0o4711)
	}
	if a.CtimeNs <= before.CtimeNs || a.MtimeNs != before.MtimeNs || a.Change == before.Change {
		t.Errorf("chmod must move ctime and change only: %+v -> %+v", before, a)
	}
	if got := getattr(t, m, f); got != a {
		t.Errorf("Getattr %+v differs from Setattr result %+v", got, a)
	}
}

func TestSetattrChownClearsSetIDBitsOfFiles(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "")
	d := mkdir(t, m, root, "d")
	for _, n := range []vfs.Node{f, d} {
		_, err := m.Setattr(bg, n, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o6755})
		must(t, "chmod", err)
	}
	a, err := m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetUid | vfs.SetGid, Uid: 10, Gid: 20})
	must(t, "chown file", err)
	if a.Uid != 10 || a.Gid != 20 || a.Mode&0o7777 != 0o755 {
		t.Errorf("chown file: %d:%d mode %o, want 10:20 0755", a.Uid, a.Gid, a.Mode&0o7777)
	}
	a, err = m.Setattr(bg, d, vfs.SetAttr{Valid: vfs.SetUid, Uid: 10})
	must(t, "chown dir", err)
	if a.Mode&0o7777 != 0o6755 {
		t.Errorf("chown dir cleared set-id bits: %o", a.Mode&0o7777)
	}
	// S_ISGID without group execute is kept (mandatory-locking marker).
	_, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o2644})
	must(t, "chmod", err)
	a, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetGid, Gid: 1})
	must(t, "chgrp", err)
	if a.Mode&0o7777 != 0o2644 {
		t.Errorf("chgrp cleared S_ISGID without S_IXGRP: %o", a.Mode&0o7777)
	}
	// Mode given in the same call wins.
	a, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetUid | vfs.SetMode, Uid: 3, Mode: 0o4755})
	must(t, "chown+chmod", err)
	if a.Mode&0o7777 != 0o4755 {
		t.Errorf("chown with chmod: mode %o, want 4755", a.Mode&0o7777)
	}
}

func TestSetattrTimes(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "")
	before := getattr(t, m, f)
	a, err := m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetAtime | vfs.SetMtime, AtimeNs: 1e9, MtimeNs: 2e9})
	must(t, "utimes", err)
	if a.AtimeNs != 1e9 || a.MtimeNs != 2e9 || a.CtimeNs <= before.CtimeNs {
		t.Errorf("utimes: %+v", a)
	}
	a, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetAtime | vfs.SetAtimeNow | vfs.SetMtimeNow, AtimeNs: 5})
	must(t, "utimes now", err)
	if a.AtimeNs <= before.CtimeNs || a.MtimeNs != a.AtimeNs || a.CtimeNs != a.MtimeNs {
		t.Errorf("SetAtimeNow/SetMtimeNow must set both to the ctime of the call: %+v", a)
	}
	// No bits: nothing changes.
	b, err := m.Setattr(bg, f, vfs.SetAttr{})
	must(t, "empty Setattr", err)
	if b != a {
		t.Errorf("empty Setattr changed %+v into %+v", a, b)
	}
}

func TestSetattrSizeTruncatesSparsely(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "hello world")
	before := getattr(t, m, f)
	a, err := m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 5})
	must(t, "truncate", err)
	if a.Size != 5 || a.MtimeNs <= before.MtimeNs || a.CtimeNs <= before.CtimeNs {
		t.Errorf("truncate down: %+v", a)
	}
	a, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 1 << 40})
	must(t, "truncate up", err)
	if a.Size != 1<<40 || a.Blocks != chunkSize/512 {
		t.Errorf("truncate up to 1 TiB: size %d blocks %d (must stay one chunk)", a.Size, a.Blocks)
	}
	a, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 11})
	must(t, "truncate to 11", err)
	if got := readAll(t, m, f); got != "hello\x00\x00\x00\x00\x00\x00" {
		t.Errorf("bytes cut by truncate came back: %q", got)
	}
	// Unchanged size still counts as a truncate (Linux sets mtime).
	b, err := m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 11})
	must(t, "same-size truncate", err)
	if b.MtimeNs <= a.MtimeNs {
		t.Errorf("same-size truncate did not move mtime")
	}
}

func TestSetattrSizeErrors(t *testing.T) {
	m, root := setup(t, Options{})
	d := mkdir(t, m, root, "d")
	p, _, err := m.Mknod(bg, root, "p", vfs.S_IFIFO|0o644, 0)
	must(t, "Mknod", err)
	l, _, err := m.Symlink(bg, root, "l", "t")
	must(t, "Symlink", err)
	f := createFile(t, m, root, "f", "")
	_, err = m.Setattr(bg, d, vfs.SetAttr{Valid: vfs.SetSize})
	wantErrno(t, "truncate dir", err, syscall.EISDIR)
	_, err = m.Setattr(bg, p, vfs.SetAttr{Valid: vfs.SetSize})
	wantErrno(t, "truncate fifo", err, syscall.EINVAL)
	_, err = m.Setattr(bg, l, vfs.SetAttr{Valid: vfs.SetSize})
	wantErrno(t, "truncate symlink", err, syscall.EINVAL)
	_, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetSize, Size: -1})
	wantErrno(t, "truncate to -1", err, syscall.EINVAL)
	h, err := m.Open(bg, f, syscall.O_RDONLY)
	must(t, "Open", err)
	defer h.Release(bg)
	_, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 1, Handle: h})
	wantErrno(t, "ftruncate on a read-only handle", err, syscall.EINVAL)
}

// Linux clears set-id bits on write and truncate unless the writer has
// CAP_FSETID (here: root or no caller).
func TestWriteByNonRootClearsSetID(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "")
	_, err := m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o6775})
	must(t, "chmod", err)
	write := func(ctx context.Context) {
		h, err := m.Open(ctx, f, syscall.O_WRONLY)
		must(t, "Open", err)
		_, err = h.WriteAt(ctx, []byte("x"), 0)
		must(t, "WriteAt", err)
		must(t, "Release", h.Release(ctx))
	}
	write(vfs.WithCaller(bg, vfs.Caller{Uid: 0}))
	if a := getattr(t, m, f); a.Mode&0o7777 != 0o6775 {
		t.Errorf("root's write cleared set-id: %o", a.Mode&0o7777)
	}
	write(vfs.WithCaller(bg, vfs.Caller{Uid: 1000}))
	if a := getattr(t, m, f); a.Mode&0o7777 != 0o775 {
		t.Errorf("user's write left %o, want 0775", a.Mode&0o7777)
	}
	_, err = m.Setattr(bg, f, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o4755})
	must(t, "chmod", err)
	_, err = m.Setattr(vfs.WithCaller(bg, vfs.Caller{Uid: 1000}), f, vfs.SetAttr{Valid: vfs.SetSize, Size: 0})
	must(t, "truncate", err)
	if a := getattr(t, m, f); a.Mode&0o7777 != 0o755 {
		t.Errorf("user's truncate left %o, want 0755", a.Mode&0o7777)
	}
}
