package localfs

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

func TestHandleReadWrite(t *testing.T) {
	e := newEnv(t)
	_, _, h, err := e.fs.Create(e.ctx, e.root, "f", unix.O_RDWR, 0o644)
	must(t, "Create", err)
	defer h.Release(e.ctx)
	if n, err := h.WriteAt(e.ctx, []byte("world"), 6); n != 5 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	h.WriteAt(e.ctx, []byte("hello,"), 0)
	buf := make([]byte, 11)
	if n, err := h.ReadAt(e.ctx, buf, 0); n != 11 || err != nil || string(buf) != "hello,world" {
		t.Fatalf("ReadAt full = %d %q %v", n, buf[:n], err)
	}
	if n, err := h.ReadAt(e.ctx, buf, 20); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt past end = %d %v, want 0 EOF", n, err)
	}
	_, err = h.ReadAt(e.ctx, buf, -1)
	wantErr(t, "ReadAt at a negative offset", err, syscall.EINVAL)
	must(t, "Flush", h.Flush(e.ctx))
	must(t, "Fsync", h.Fsync(e.ctx, false))
	must(t, "Fdatasync", h.Fsync(e.ctx, true))
}

func TestHandleReleaseOnce(t *testing.T) {
	e := newEnv(t)
	_, _, h, err := e.fs.Create(e.ctx, e.root, "f", unix.O_RDWR, 0o644)
	must(t, "Create", err)
	must(t, "Release", h.Release(e.ctx))
	wantErr(t, "second Release", h.Release(e.ctx), syscall.EBADF)
	_, err = h.ReadAt(e.ctx, make([]byte, 1), 0)
	wantErr(t, "ReadAt after Release", err, syscall.EBADF)
	_, err = h.WriteAt(e.ctx, []byte("x"), 0)
	wantErr(t, "WriteAt after Release", err, syscall.EBADF)
	wantErr(t, "Fsync after Release", h.Fsync(e.ctx, false), syscall.EBADF)
}

func TestAllocate(t *testing.T) {
	e := newEnv(t)
	_, _, h, err := e.fs.Create(e.ctx, e.root, "f", unix.O_RDWR, 0o644)
	must(t, "Create", err)
	defer h.Release(e.ctx)
	a := h.(vfs.Allocator)
	must(t, "Allocate", a.Allocate(e.ctx, 0, 1<<20, 0))
	if st := e.lstat("f"); st.Size != 1<<20 || st.Blocks < (1<<20)/512 {
		t.Fatalf("after fallocate: size %d blocks %d", st.Size, st.Blocks)
	}
	must(t, "Allocate KEEP_SIZE", a.Allocate(e.ctx, 1<<20, 1<<20, unix.FALLOC_FL_KEEP_SIZE))
	if st := e.lstat("f"); st.Size != 1<<20 {
		t.Fatalf("KEEP_SIZE changed the size to %d", st.Size)
	}
	h.WriteAt(e.ctx, bytes.Repeat([]byte{1}, 8192), 0)
	must(t, "punch hole", a.Allocate(e.ctx, 0, 4096, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE))
	buf := make([]byte, 8192)
	h.ReadAt(e.ctx, buf, 0)
	if !bytes.Equal(buf[:4096], make([]byte, 4096)) || buf[4096] != 1 {
		t.Fatal("punched range does not read as zeros, or the rest was lost")
	}
	wantErr(t, "PUNCH_HOLE without KEEP_SIZE", a.Allocate(e.ctx, 0, 4096, unix.FALLOC_FL_PUNCH_HOLE), syscall.EOPNOTSUPP)
}

// Concurrent preads and pwrites on one handle (rule: the core serialises
// nothing on a handle), checked by -race and by content.
func TestHandleConcurrentIO(t *testing.T) {
	e := newEnv(t)
	_, _, h, err := e.fs.Create(e.ctx, e.root, "f", unix.O_RDWR, 0o644)
	must(t, "Create", err)
	defer h.Release(e.ctx)
	const workers, block = 8, 4096
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := bytes.Repeat([]byte{byte('a' + i)}, block)
			for range 50 {
				if _, err := h.WriteAt(e.ctx, data, int64(i*block)); err != nil {
					t.Error(err)
					return
				}
				got := make([]byte, block)
				if _, err := h.ReadAt(e.ctx, got, int64(i*block)); err != nil && err != io.EOF {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, data) {
					t.Errorf("worker %d read back other data", i)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// An open file stays usable after its name is removed, as a local
// descriptor does: Getattr, Setattr and xattrs answer from the handle.
func TestUnlinkedOpenFileKeepsWorking(t *testing.T) {
	e := newEnv(t)
	n, _, h, err := e.fs.Create(e.ctx, e.root, "tmp", unix.O_RDWR, 0o644)
	must(t, "Create", err)
	h.WriteAt(e.ctx, []byte("data"), 0)
	must(t, "Unlink", e.fs.Unlink(e.ctx, e.root, "tmp"))
	attr, err := e.fs.Getattr(e.ctx, n)
	must(t, "Getattr of unlinked open file", err)
	if attr.Nlink != 0 || attr.Size != 4 {
		t.Fatalf("unlinked file: nlink %d size %d", attr.Nlink, attr.Size)
	}
	attr, err = e.fs.Setattr(e.ctx, n, vfs.SetAttr{Valid: vfs.SetSize | vfs.SetMode, Size: 2, Mode: 0o600})
	must(t, "Setattr of unlinked open file", err)
	if attr.Size != 2 || attr.Mode&0o7777 != 0o600 {
		t.Fatalf("after Setattr: size %d mode %o", attr.Size, attr.Mode)
	}
	must(t, "SetXattr", e.fs.SetXattr(e.ctx, n, "user.k", []byte("v"), 0))
	// A second open of the unlinked file reaches the same object.
	h2, err := e.fs.Open(e.ctx, n, unix.O_RDONLY)
	must(t, "Open unlinked", err)
	buf := make([]byte, 8)
	if m, _ := h2.ReadAt(e.ctx, buf, 0); string(buf[:m]) != "da" {
		t.Fatalf("second handle reads %q", buf[:m])
	}
	h2.Release(e.ctx)
	// A new file under the old name is another object: the node still
	// answers for the open one.
	e.writeFile("tmp", "new content")
	if attr, _ := e.fs.Getattr(e.ctx, n); attr.Size != 2 {
		t.Fatalf("node of the open file reports size %d (the new file's?)", attr.Size)
	}
	must(t, "Release", h.Release(e.ctx))
	_, err = e.fs.Getattr(e.ctx, n)
	wantErr(t, "Getattr after last close", err, syscall.ESTALE)
}

func TestDeepTreeBeyondPathMax(t *testing.T) {
	e := newEnv(t)
	name := func(i int) string { return fmt.Sprintf("%03d-%s", i, bytes.Repeat([]byte{'d'}, 240)) }
	dir := e.root
	for i := range 20 { // 20 * 245 bytes > PATH_MAX
		var err error
		dir, _, err = e.fs.Mkdir(e.ctx, dir, name(i), 0o755)
		must(t, "Mkdir", err)
	}
	n, _, h, err := e.fs.Create(e.ctx, dir, "leaf", unix.O_RDWR, 0o644)
	must(t, "Create at depth", err)
	h.WriteAt(e.ctx, []byte("deep"), 0)
	h.Release(e.ctx)
	attr, err := e.fs.Getattr(e.ctx, n)
	must(t, "Getattr at depth", err)
	if attr.Size != 4 {
		t.Fatalf("size %d", attr.Size)
	}
	h, err = e.fs.Open(e.ctx, n, unix.O_RDONLY)
	must(t, "Open at depth", err)
	buf := make([]byte, 4)
	h.ReadAt(e.ctx, buf, 0)
	h.Release(e.ctx)
	if string(buf) != "deep" {
		t.Fatalf("read %q", buf)
	}
	must(t, "Unlink at depth", e.fs.Unlink(e.ctx, dir, "leaf"))
	if _, err := e.fs.Getattr(e.ctx, n); err == nil {
		t.Fatal("Getattr of the unlinked leaf succeeded")
	}
}
