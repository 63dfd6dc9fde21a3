package vfs_test

// Rule V1 without a fixed TTL: the attribute cache adapts as the Linux NFS
// client's does (acregmin..acregmax).

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// TestV1_AdaptiveAttrTimeout: attributes the server shows unchanged are
// trusted twice as long each time, up to the maximum; a change brings the
// minimum back; directories have bounds of their own.
func TestV1_AdaptiveAttrTimeout(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, 400 * time.Millisecond
	f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true,
		AcRegMin: lo, AcRegMax: hi, AcDirMin: time.Hour, AcDirMax: 2 * time.Hour})
	must(t, m.Remote().WriteFile("x", []byte("1"), 0o644))
	must(t, m.Remote().Mkdir("d", 0o755))
	ino, _, err := f.Lookup(bg, f.Root(), "x")
	must(t, err)
	if d := f.AttrTimeout(ino); d > lo || d <= 0 {
		t.Fatalf("first attributes trusted for %v, want at most acregmin %v", d, lo)
	}
	// Expire, revalidate unchanged: twice as long, and so on up to hi.
	var last time.Duration
	for i := range 4 {
		time.Sleep(f.AttrTimeout(ino) + 5*time.Millisecond)
		m.ResetCalls()
		_, err := f.GetattrInode(bg, ino)
		must(t, err)
		if m.Calls("") == 0 {
			t.Fatalf("round %d: expired attributes served without asking the driver", i)
		}
		last = f.AttrTimeout(ino)
		if want := min(lo<<(i+1), hi); last > want || last <= want/2 {
			t.Fatalf("round %d: unchanged attributes trusted for %v, want about %v", i, last, want)
		}
	}
	// A change on the server: back to the minimum.
	time.Sleep(last + 5*time.Millisecond)
	must(t, m.Remote().WriteFile("x", []byte("12345"), 0o644))
	a, err := f.GetattrInode(bg, ino)
	must(t, err)
	if a.Size != 5 {
		t.Fatalf("size %d after expiry, want the server's 5", a.Size)
	}
	if d := f.AttrTimeout(ino); d > lo {
		t.Fatalf("changed attributes trusted for %v, want at most acregmin %v", d, lo)
	}
	// Directories use their own bounds.
	dir, _, err := f.Lookup(bg, f.Root(), "d")
	must(t, err)
	if d := f.AttrTimeout(dir); d <= hi || d > time.Hour {
		t.Fatalf("a directory's attributes trusted for %v, want about acdirmin (1h)", d)
	}
}

// TestV1_OwnChangeKeepsDirAttrs: a change this client makes in a directory
// does not cost a getattr of the directory afterwards (the kernel rechecks
// the directory after every change: each unlink of an rm -rf), and its
// modification time moves forward.
func TestV1_OwnChangeKeepsDirAttrs(t *testing.T) {
	f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true})
	must(t, f.Mkdir(bg, "d", 0o755))
	before, err := f.Getattr(bg, "d")
	must(t, err)
	time.Sleep(2 * time.Millisecond)
	must(t, f.WriteFile(bg, "d/x", []byte("x"), 0o644))
	must(t, f.Mkdir(bg, "d/sub", 0o755))
	must(t, f.Rename(bg, "d/x", "d/y"))
	must(t, f.Remove(bg, "d/y"))
	m.ResetCalls()
	after, err := f.Getattr(bg, "d")
	must(t, err)
	if n := m.Calls(""); n != 0 {
		t.Fatalf("getattr of a directory after this client's changes in it: %d driver calls, want 0", n)
	}
	if after.MtimeNs <= before.MtimeNs {
		t.Fatalf("mtime %d after changes, want later than %d", after.MtimeNs, before.MtimeNs)
	}
}

// setattrRecorder is a driver that remembers the last SetAttr it was given.
type setattrRecorder struct {
	vfs.Driver
	last vfs.SetAttr
}

func (r *setattrRecorder) Setattr(ctx context.Context, n vfs.Node, s vfs.SetAttr) (vfs.Attr, error) {
	r.last = s
	return r.Driver.Setattr(ctx, n, s)
}

// TestV1_SetattrCompletesPairsFromCache: a change of one half of a pair
// (futimens of mtime alone, as tar does right after writing a file; chown
// of the owner alone) reaches the driver with the other half from the
// cache, so that a protocol setting pairs together (SFTP) need not ask the
// server for it first.
func TestV1_SetattrCompletesPairsFromCache(t *testing.T) {
	m := memfs.New(memfs.Options{})
	rec := &setattrRecorder{Driver: m.Driver()}
	f, err := vfs.New(bg, rec, &vfs.Options{CheckInvariants: true})
	must(t, err)
	fl, err := f.OpenFile(bg, "x", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	must(t, err)
	a0 := fl.Inode().Attr()
	_, err = fl.Write([]byte("data")) // expires the cached size and mtime
	must(t, err)
	_, err = f.SetattrInode(bg, fl.Inode(), vfs.SetAttr{Valid: vfs.SetMtime, MtimeNs: 1e18})
	must(t, err)
	if rec.last.Valid&vfs.SetAtime == 0 || rec.last.AtimeNs != a0.AtimeNs {
		t.Fatalf("mtime alone reached the driver as %+v, want atime %d from the cache", rec.last, a0.AtimeNs)
	}
	_, err = f.SetattrInode(bg, fl.Inode(), vfs.SetAttr{Valid: vfs.SetUid, Uid: a0.Uid})
	must(t, err)
	if rec.last.Valid&vfs.SetGid == 0 || rec.last.Gid != a0.Gid {
		t.Fatalf("uid alone reached the driver as %+v, want gid %d from the cache", rec.last, a0.Gid)
	}
	must(t, fl.Close())
	a, err := f.Getattr(bg, "x")
	must(t, err)
	if a.MtimeNs != 1e18 || a.Size != 4 {
		t.Fatalf("after the changes: mtime %d size %d", a.MtimeNs, a.Size)
	}
}
