package memfs

// Tests of file data through handles: chunked sparse storage, EOF rules,
// fallocate modes, capacity (ENOSPC), times, open-after-unlink; and the
// sequential I/O benchmarks the FUSE frontend's throughput rests on.

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

// openRW creates name and returns its node and a read-write handle.
func openRW(t testing.TB, m *FS, name string, opts ...int) (vfs.Node, vfs.Handle) {
	t.Helper()
	flags := syscall.O_RDWR
	for _, o := range opts {
		flags |= o
	}
	n, _, h, err := m.Create(bg, m.root, name, flags, 0o644)
	must(t, "Create", err)
	t.Cleanup(func() { h.Release(bg) })
	return n, h
}

func TestReadWriteAcrossChunkBoundaries(t *testing.T) {
	m, _ := setup(t, Options{})
	_, h := openRW(t, m, "f")
	rng := rand.New(rand.NewPCG(1, 2))
	model := make([]byte, 4*chunkSize)
	size := 0
	for range 200 {
		off := rng.IntN(len(model) - 1)
		n := 1 + rng.IntN(min(len(model)-off, chunkSize+100))
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		k, err := h.WriteAt(bg, p, int64(off))
		if err != nil || k != n {
			t.Fatalf("WriteAt(%d, %d) = %d, %v", off, n, k, err)
		}
		copy(model[off:], p)
		size = max(size, off+n)
	}
	got := make([]byte, size)
	k, err := h.ReadAt(bg, got, 0)
	if k != size || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt all: %d, %v", k, err)
	}
	if !bytes.Equal(got, model[:size]) {
		t.Fatalf("contents differ from the model")
	}
}

func TestReadAtEOF(t *testing.T) {
	m, _ := setup(t, Options{})
	_, h := openRW(t, m, "f")
	_, err := h.WriteAt(bg, []byte("hello"), 0)
	must(t, "WriteAt", err)
	buf := make([]byte, 10)
	if n, err := h.ReadAt(bg, buf, 0); n != 5 || err != io.EOF {
		t.Errorf("short read: %d, %v; want 5, io.EOF", n, err)
	}
	if n, err := h.ReadAt(bg, buf[:5], 0); n != 5 || err != nil {
		t.Errorf("exact read: %d, %v; want 5, nil", n, err)
	}
	if n, err := h.ReadAt(bg, buf, 5); n != 0 || err != io.EOF {
		t.Errorf("read at EOF: %d, %v", n, err)
	}
	if n, err := h.ReadAt(bg, buf, 1<<50); n != 0 || err != io.EOF {
		t.Errorf("read far beyond EOF: %d, %v", n, err)
	}
	_, err = h.ReadAt(bg, buf, -1)
	wantErrno(t, "ReadAt -1", err, syscall.EINVAL)
	_, err = h.WriteAt(bg, buf, -1)
	wantErrno(t, "WriteAt -1", err, syscall.EINVAL)
	_, err = h.WriteAt(bg, buf, math.MaxInt64-5)
	wantErrno(t, "WriteAt past the largest file", err, syscall.EFBIG)
}

// A write at 1 TiB allocates one chunk; everything before it is a hole that
// reads as zeros.
func TestSparseWriteAtOneTerabyte(t *testing.T) {
	m, _ := setup(t, Options{})
	n, h := openRW(t, m, "sparse")
	_, err := h.WriteAt(bg, []byte("tail"), 1<<40)
	must(t, "WriteAt", err)
	a := getattr(t, m, n)
	if a.Size != 1<<40+4 || a.Blocks != chunkSize/512 {
		t.Errorf("size %d blocks %d, want %d and %d", a.Size, a.Blocks, int64(1<<40+4), chunkSize/512)
	}
	if used := m.used.Load(); used != chunkSize {
		t.Errorf("allocated %d bytes, want one chunk", used)
	}
	hole := bytes.Repeat([]byte{0xff}, 3*chunkSize)
	_, err = h.ReadAt(bg, hole, 1<<39+7)
	must(t, "ReadAt hole", err)
	if !bytes.Equal(hole, make([]byte, len(hole))) {
		t.Errorf("hole is not zeros")
	}
	buf := make([]byte, 10)
	k, _ := h.ReadAt(bg, buf, 1<<40-6)
	if k != 10 || string(buf) != "\x00\x00\x00\x00\x00\x00tail" {
		t.Errorf("read across hole and data: %q", buf[:k])
	}
}

func TestWriteMovesTimesButEmptyWriteDoesNot(t *testing.T) {
	m, _ := setup(t, Options{})
	n, h := openRW(t, m, "f")
	a0 := getattr(t, m, n)
	_, err := h.WriteAt(bg, nil, 0)
	must(t, "empty WriteAt", err)
	if a := getattr(t, m, n); a != a0 {
		t.Errorf("empty write changed %+v -> %+v", a0, a)
	}
	_, err = h.WriteAt(bg, []byte("x"), 0)
	must(t, "WriteAt", err)
	a1 := getattr(t, m, n)
	if a1.MtimeNs <= a0.MtimeNs || a1.CtimeNs <= a0.CtimeNs || a1.Change == a0.Change || a1.AtimeNs != a0.AtimeNs {
		t.Errorf("write: %+v -> %+v", a0, a1)
	}
	// relatime: the first read after a write moves atime, the next does not.
	_, err = h.ReadAt(bg, make([]byte, 1), 0)
	must(t, "ReadAt", err)
	a2 := getattr(t, m, n)
	if a2.AtimeNs <= a1.MtimeNs || a2.Change != a1.Change {
		t.Errorf("read after write: atime %d mtime %d, change %d -> %d", a2.AtimeNs, a1.MtimeNs, a1.Change, a2.Change)
	}
	_, err = h.ReadAt(bg, make([]byte, 1), 0)
	must(t, "ReadAt", err)
	if a3 := getattr(t, m, n); a3.AtimeNs != a2.AtimeNs {
		t.Errorf("second read moved atime (relatime)")
	}
}

func TestWriteStopsWithENOSPCAtCapacity(t *testing.T) {
	m, _ := setup(t, Options{Capacity: 2 * chunkSize})
	n, h := openRW(t, m, "f")
	k, err := h.WriteAt(bg, make([]byte, 3*chunkSize), 0)
	wantErrno(t, "WriteAt beyond capacity", err, syscall.ENOSPC)
	if k != 2*chunkSize || getattr(t, m, n).Size != 2*chunkSize {
		t.Errorf("wrote %d, size %d; want what fitted", k, getattr(t, m, n).Size)
	}
	s, err := m.Statfs(bg, n)
	must(t, "Statfs", err)
	if s.Bfree != 0 {
		t.Errorf("full filesystem has %d free blocks", s.Bfree)
	}
	// Rewriting allocated chunks needs no space.
	_, err = h.WriteAt(bg, []byte("again"), 100)
	must(t, "overwrite", err)
	_, err = m.Setattr(bg, n, vfs.SetAttr{Valid: vfs.SetSize, Size: chunkSize})
	must(t, "truncate", err)
	_, err = h.WriteAt(bg, []byte("x"), chunkSize)
	must(t, "write after truncate freed a chunk", err)
}

func TestFallocateModes(t *testing.T) {
	m, _ := setup(t, Options{})
	n, h := openRW(t, m, "f")
	al := h.(vfs.Allocator)

	must(t, "fallocate 0", al.Allocate(bg, 10, chunkSize, 0))
	if a := getattr(t, m, n); a.Size != 10+chunkSize || a.Blocks != 2*chunkSize/512 {
		t.Errorf("mode 0: size %d blocks %d", a.Size, a.Blocks)
	}
	before := getattr(t, m, n)
	must(t, "fallocate KEEP_SIZE", al.Allocate(bg, 4*chunkSize, chunkSize, fallocKeepSize))
	if a := getattr(t, m, n); a.Size != before.Size || a.Blocks != 3*chunkSize/512 || a.CtimeNs <= before.CtimeNs {
		t.Errorf("KEEP_SIZE: size %d blocks %d", a.Size, a.Blocks)
	}
	// Allocated chunks read as zeros and take writes.
	_, err := h.WriteAt(bg, bytes.Repeat([]byte{1}, 2*chunkSize), 0)
	must(t, "WriteAt", err)
	if a := getattr(t, m, n); a.Blocks != 3*chunkSize/512 {
		t.Errorf("writing into allocated chunks changed blocks to %d", a.Blocks)
	}
	// Punch a hole across a chunk boundary: one chunk partly, one wholly.
	must(t, "punch", al.Allocate(bg, 100, 2*chunkSize-100, fallocPunchHole|fallocKeepSize))
	a := getattr(t, m, n)
	if a.Size != 2*chunkSize || a.Blocks != 2*chunkSize/512 {
		t.Errorf("punch: size %d blocks %d, want %d and %d", a.Size, a.Blocks, 2*chunkSize, 2*chunkSize/512)
	}
	got := make([]byte, 2*chunkSize)
	h.ReadAt(bg, got, 0)
	want := make([]byte, 2*chunkSize)
	for i := range 100 {
		want[i] = 1
	}
	if !bytes.Equal(got, want) {
		t.Errorf("punched range does not read as zeros")
	}
	// A punch inside one chunk zeroes bytes and frees nothing.
	must(t, "small punch", al.Allocate(bg, 20, 30, fallocPunchHole|fallocKeepSize))
	h.ReadAt(bg, got[:100], 0)
	for i := range 100 {
		if want := byte(1); (i < 20 || i >= 50) != (got[i] == want) {
			t.Fatalf("after small punch byte %d = %d", i, got[i])
		}
	}
	if a := getattr(t, m, n); a.Blocks != 2*chunkSize/512 {
		t.Errorf("small punch changed blocks to %d", a.Blocks)
	}
	// A punch over a huge sparse range costs nothing and frees everything.
	must(t, "huge punch", al.Allocate(bg, 0, math.MaxInt64-1, fallocPunchHole|fallocKeepSize))
	if a := getattr(t, m, n); a.Blocks != 0 || a.Size != 2*chunkSize || m.used.Load() != 0 {
		t.Errorf("after huge punch: blocks %d size %d used %d", a.Blocks, a.Size, m.used.Load())
	}
	// Truncate frees chunks KEEP_SIZE placed beyond the size.
	must(t, "KEEP_SIZE beyond", al.Allocate(bg, 8*chunkSize, chunkSize, fallocKeepSize))
	_, err = m.Setattr(bg, n, vfs.SetAttr{Valid: vfs.SetSize, Size: chunkSize})
	must(t, "truncate", err)
	if a := getattr(t, m, n); a.Blocks != 0 {
		t.Errorf("truncate left %d blocks", a.Blocks)
	}
}

func TestFallocateErrors(t *testing.T) {
	m, _ := setup(t, Options{Capacity: 4 * chunkSize})
	_, h := openRW(t, m, "f")
	al := h.(vfs.Allocator)
	wantErrno(t, "length 0", al.Allocate(bg, 0, 0, 0), syscall.EINVAL)
	wantErrno(t, "negative offset", al.Allocate(bg, -1, 10, 0), syscall.EINVAL)
	wantErrno(t, "punch without KEEP_SIZE", al.Allocate(bg, 0, 10, fallocPunchHole), syscall.EOPNOTSUPP)
	wantErrno(t, "ZERO_RANGE", al.Allocate(bg, 0, 10, 0x10), syscall.EOPNOTSUPP)
	wantErrno(t, "beyond the largest file", al.Allocate(bg, math.MaxInt64-5, 10, 0), syscall.EFBIG)
	wantErrno(t, "beyond capacity", al.Allocate(bg, 0, 1<<40, 0), syscall.ENOSPC)
	if m.used.Load() != 0 {
		t.Errorf("failed fallocate allocated %d bytes", m.used.Load())
	}
}

// Open files keep working after their last name is gone; the inode dies,
// and its space is freed, with the last handle (POSIX; rule V3 after).
func TestOpenFileOutlivesUnlink(t *testing.T) {
	m, root := setup(t, Options{})
	n, h := openRW(t, m, "f")
	_, err := h.WriteAt(bg, []byte("still here"), 0)
	must(t, "WriteAt", err)
	h2, err := m.Open(bg, n, syscall.O_RDONLY)
	must(t, "Open", err)
	must(t, "Unlink", m.Unlink(bg, root, "f"))
	if a := getattr(t, m, n); a.Nlink != 0 {
		t.Errorf("nlink %d after unlink", a.Nlink)
	}
	_, err = h.WriteAt(bg, []byte("!"), 10)
	must(t, "WriteAt after unlink", err)
	buf := make([]byte, 11)
	_, err = h2.ReadAt(bg, buf, 0)
	must(t, "ReadAt after unlink", err)
	if string(buf) != "still here!" {
		t.Errorf("read %q", buf)
	}
	must(t, "Release", h.Release(bg))
	must(t, "Getattr with one handle left", func() error { _, err := m.Getattr(bg, n); return err }())
	must(t, "Release", h2.Release(bg))
	_, err = m.Getattr(bg, n)
	wantErrno(t, "Getattr after last release", err, syscall.ESTALE)
	_, err = m.Open(bg, n, syscall.O_RDONLY)
	wantErrno(t, "Open after last release", err, syscall.ESTALE)
	if m.used.Load() != 0 {
		t.Errorf("dead inode still holds %d bytes", m.used.Load())
	}
}

func benchmarkSequential(b *testing.B, write bool) {
	m, _ := setup(b, Options{})
	_, h := openRW(b, m, "big")
	const block = 128 << 10
	const fileSize = 256 << 20
	buf := make([]byte, block)
	if !write {
		for off := int64(0); off < fileSize; off += block {
			h.WriteAt(bg, buf, off)
		}
	}
	b.SetBytes(block)
	b.ResetTimer()
	off := int64(0)
	for range b.N {
		var err error
		if write {
			_, err = h.WriteAt(bg, buf, off)
		} else {
			_, err = h.ReadAt(bg, buf, off)
		}
		if err != nil {
			b.Fatal(err)
		}
		off = (off + block) % fileSize
	}
}

// BenchmarkSequentialWrite pushes 128 KiB writes through one handle.
func BenchmarkSequentialWrite(b *testing.B) { benchmarkSequential(b, true) }

// BenchmarkSequentialRead pulls 128 KiB reads through one handle.
func BenchmarkSequentialRead(b *testing.B) { benchmarkSequential(b, false) }

// BenchmarkParallelRead reads one file from every P.
func BenchmarkParallelRead(b *testing.B) {
	m, _ := setup(b, Options{})
	_, h := openRW(b, m, "big")
	const block = 128 << 10
	h.WriteAt(bg, make([]byte, 64<<20), 0)
	b.SetBytes(block)
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, block)
		off := int64(0)
		for pb.Next() {
			h.ReadAt(bg, buf, off)
			off = (off + block) % (64 << 20)
		}
	})
}
