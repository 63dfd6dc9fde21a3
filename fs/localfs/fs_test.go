package localfs

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

func TestNewRejectsMissingAndNonDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := New(filepath.Join(dir, "missing"))
	wantErr(t, "New(missing)", err, syscall.ENOENT)
	var pe *os.PathError
	if !errors.As(err, &pe) {
		t.Errorf("New(missing) error %T is not a *fs.PathError", err)
	}
	file := filepath.Join(dir, "file")
	must(t, "write", os.WriteFile(file, nil, 0o644))
	_, err = New(file)
	wantErr(t, "New(file)", err, syscall.ENOTDIR)
}

func TestRootAttrAndIdentity(t *testing.T) {
	e := newEnv(t)
	_, attr, err := e.fs.Root(e.ctx)
	must(t, "Root", err)
	st := e.lstat(".")
	if !attr.IsDir() || attr.Ino != st.Ino {
		t.Fatalf("root attr %+v, want a directory with ino %d", attr, st.Ino)
	}
	// Rule A1: ID is (dev, ino), 16 bytes, big-endian.
	if len(attr.ID) != 16 ||
		binary.BigEndian.Uint64([]byte(attr.ID[:8])) != st.Dev ||
		binary.BigEndian.Uint64([]byte(attr.ID[8:])) != st.Ino {
		t.Fatalf("root ID %x, want dev %d ino %d", attr.ID, st.Dev, st.Ino)
	}
}

func TestCloseFailsLaterCallsButKeepsHandles(t *testing.T) {
	e := newEnv(t)
	_, _, h, err := e.fs.Create(e.ctx, e.root, "f", unix.O_RDWR, 0o644)
	must(t, "Create", err)
	must(t, "Close", e.fs.Close())
	must(t, "second Close", e.fs.Close())
	_, err = e.fs.Getattr(e.ctx, e.root)
	wantErr(t, "Getattr after Close", err, syscall.EBADF)
	_, _, err = e.fs.Lookup(e.ctx, e.root, "f")
	wantErr(t, "Lookup after Close", err, syscall.EBADF)
	if _, err := h.WriteAt(e.ctx, []byte("still"), 0); err != nil {
		t.Fatalf("WriteAt on a handle opened before Close: %v", err)
	}
	must(t, "Release", h.Release(e.ctx))
	if got := e.readFile("f"); got != "still" {
		t.Fatalf("content %q", got)
	}
}

func TestCloseWithCallsInFlight(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "x")
	n, _ := e.lookup("f")
	before := openFDs(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, err := e.fs.Getattr(e.ctx, n)
				if errors.Is(err, syscall.EBADF) {
					return
				}
				if err != nil {
					t.Errorf("Getattr: %v", err)
					return
				}
			}
		}()
	}
	must(t, "Close", e.fs.Close())
	wg.Wait()
	// The root descriptor is closed once the last call has left.
	if after := openFDs(t); after != before-1 {
		t.Fatalf("open descriptors: %d before Close, %d after; want one fewer", before, after)
	}
}

func TestCancelledContext(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "x")
	n, _ := e.lookup("f")
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, _, err := e.fs.Lookup(ctx, e.root, "f")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup: %v, want context.Canceled", err)
	}
	_, _, _, err = e.fs.Create(ctx, e.root, "g", unix.O_RDWR, 0o644)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Create: %v, want context.Canceled", err)
	}
	if _, err := os.Lstat(e.path("g")); !os.IsNotExist(err) {
		t.Errorf("Create with a cancelled context made the file: %v", err)
	}
	h, err := e.fs.Open(e.ctx, n, unix.O_RDONLY)
	must(t, "Open", err)
	defer h.Release(e.ctx)
	if _, err := h.ReadAt(ctx, make([]byte, 1), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAt: %v, want context.Canceled", err)
	}
	err = e.fs.ReadDir(ctx, e.root, func(vfs.DirEntry) bool { return true })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ReadDir: %v, want context.Canceled", err)
	}
}

func TestForeignNodes(t *testing.T) {
	e := newEnv(t)
	other := newEnv(t)
	_, _, err := e.fs.Lookup(e.ctx, other.root, "x")
	wantErr(t, "Lookup in another FS's node", err, syscall.EXDEV)
	_, err = e.fs.Getattr(e.ctx, "not a node")
	wantErr(t, "Getattr of a foreign type", err, syscall.EINVAL)
	_, err = e.fs.Getattr(e.ctx, nil)
	wantErr(t, "Getattr(nil)", err, syscall.EINVAL)
}

// Every call, failing or not, closes what it opened: the driver holds one
// descriptor (the root) plus one per open handle.
func TestNoDescriptorLeaks(t *testing.T) {
	e := newEnv(t)
	before := openFDs(t)
	e.mkdir("d")
	e.writeFile("d/f", "data")
	for range 3 {
		d, _ := e.lookup("d")
		f, _ := e.lookup("d/f")
		e.fs.Lookup(e.ctx, d, "missing")
		e.fs.Lookup(e.ctx, f, "x") // ENOTDIR
		e.fs.Getattr(e.ctx, f)
		e.fs.Readlink(e.ctx, f) // EINVAL
		e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetSize | vfs.SetMode, Size: 2, Mode: 0o600})
		e.fs.ReadDir(e.ctx, d, func(vfs.DirEntry) bool { return true })
		e.fs.Statfs(e.ctx, d)
		e.fs.Mkdir(e.ctx, d, "sub", 0o755)
		e.fs.Mkdir(e.ctx, d, "sub", 0o755) // EEXIST
		e.fs.Rmdir(e.ctx, d, "sub")
		e.fs.Link(e.ctx, f, d, "g")
		e.fs.Rename(e.ctx, d, "g", e.root, "g2", 0)
		e.fs.Unlink(e.ctx, e.root, "g2")
		e.fs.SetXattr(e.ctx, f, "user.k", []byte("v"), 0)
		e.fs.GetXattr(e.ctx, f, "user.k")
		e.fs.ListXattr(e.ctx, f)
		r, _ := e.fs.AtomicOpen(e.ctx, d, "f", unix.O_RDWR, 0)
		if r.Handle != nil {
			r.Handle.Release(e.ctx)
		}
		e.fs.AtomicOpen(e.ctx, d, "f", unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o644) // EEXIST
		must(t, "rm on disk", os.Remove(e.path("d/f")))
		e.fs.Getattr(e.ctx, f) // ESTALE
		e.writeFile("d/f", "data")
	}
	if after := openFDs(t); after != before {
		t.Fatalf("open descriptors: %d before, %d after", before, after)
	}
}
