package sftpfs

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"testing"
)

func TestReadWriteLargePipelined(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.writeLocal("big", "")
	f, _ := e.lookup("big")
	h, err := e.fs.Open(ctx(t), f, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	data := make([]byte, 3<<20+123)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}

	e.rec.start()
	n, err := h.WriteAt(ctx(t), data, 7)
	events := e.rec.stop()
	if err != nil || n != len(data) {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	if err := h.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(e.local("big")); !bytes.Equal(got[7:], data) || len(got) != len(data)+7 {
		t.Fatal("server content differs from what was written")
	}
	// The write was split into the server's write size and pipelined: a
	// full write-behind window of WRITEs was sent before the first reply
	// came back.
	writes := 0
	for _, ev := range events {
		if !ev.send {
			break
		}
		writes++
	}
	if want := min(e.fs.opts.MaxInflight, writeBehindBytes/e.fs.cur.maxWrite); writes < want {
		t.Errorf("%d WRITEs in flight before the first reply; want the window full (%d)", writes, want)
	}

	got := make([]byte, len(data)+100)
	e.rec.start()
	n, err = h.ReadAt(ctx(t), got, 7)
	events = e.rec.stop()
	if n != len(data) || err != io.EOF || !bytes.Equal(got[:n], data) {
		t.Fatalf("ReadAt = %d, %v (equal %v); want %d and io.EOF", n, err, bytes.Equal(got[:n], data), len(data))
	}
	reads := 0
	for _, ev := range events {
		if !ev.send {
			break
		}
		reads++
	}
	if reads < 8 {
		t.Errorf("%d READs in flight before the first reply; want the read pipelined", reads)
	}
}

func TestReadAtEOFInOneRoundTrip(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.writeLocal("small", "hello")
	f, _ := e.lookup("small")
	h, err := e.fs.Open(ctx(t), f, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	buf := make([]byte, 4096)
	e.rec.start()
	n, err := h.ReadAt(ctx(t), buf, 0)
	events := e.rec.stop()
	if n != 5 || err != io.EOF || string(buf[:5]) != "hello" {
		t.Fatalf("ReadAt = %d %q, %v; want 5 \"hello\" io.EOF", n, buf[:n], err)
	}
	if rt := roundTrips(events); rt != 1 {
		t.Errorf("short read at end of file took %d round trips (%v), want 1", rt, sent(events))
	}
	n, err = h.ReadAt(ctx(t), buf, 5)
	if n != 0 || err != io.EOF {
		t.Errorf("ReadAt at EOF = %d, %v; want 0, io.EOF", n, err)
	}
	n, err = h.ReadAt(ctx(t), buf[:3], 1)
	if n != 3 || err != nil || string(buf[:3]) != "ell" {
		t.Errorf("ReadAt inside = %d %q, %v", n, buf[:n], err)
	}
	_, err = h.ReadAt(ctx(t), buf, -1)
	wantErrno(t, "ReadAt at a negative offset", err, syscall.EINVAL)
}

func TestWriteAppendAndTruncOpen(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.writeLocal("log", "start;")
	f, _ := e.lookup("log")
	h, err := e.fs.Open(ctx(t), f, os.O_WRONLY|os.O_APPEND)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one;", "two;"} {
		if n, err := h.WriteAt(ctx(t), []byte(s), 0); err != nil || n != len(s) {
			t.Fatalf("append WriteAt = %d, %v", n, err)
		}
	}
	if err := h.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := h.Fsync(ctx(t), false); err != nil {
		t.Fatalf("Fsync: %v", err)
	}
	if err := h.Release(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("log"); got != "start;one;two;" {
		t.Errorf("after appends: %q (O_APPEND must ignore the offset)", got)
	}
	h, err = e.fs.Open(ctx(t), f, os.O_WRONLY|os.O_TRUNC|os.O_SYNC)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.readLocal("log"); got != "" {
		t.Errorf("after O_TRUNC open: %q", got)
	}
	e.rec.start()
	if _, err := h.WriteAt(ctx(t), []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if got := sent(e.rec.stop()); len(got) != 2 || got[1] != extFsync {
		t.Errorf("O_SYNC write sent %v, want a WRITE then %s", got, extFsync)
	}
	h.Release(ctx(t))
}

func TestOpenDirectory(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	e.mkdirLocal("d")
	d, _ := e.lookup("d")
	h, err := e.fs.Open(ctx(t), d, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.ReadAt(ctx(t), make([]byte, 1), 0)
	wantErrno(t, "read of a directory handle", err, syscall.EISDIR)
	if err := h.Release(ctx(t)); err != nil {
		t.Fatal(err)
	}
	_, err = e.fs.Open(ctx(t), d, os.O_WRONLY)
	wantErrno(t, "Open directory for writing", err, syscall.EISDIR)
}

func TestConcurrentReadWriteOneHandle(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	const block, blocks = 40000, 32
	e.writeLocal("f", "")
	f, _ := e.lookup("f")
	h, err := e.fs.Open(ctx(t), f, os.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx(t))
	pattern := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, block) }
	var wg sync.WaitGroup
	for i := range blocks {
		wg.Go(func() {
			if _, err := h.WriteAt(ctx(t), pattern(i), int64(i*block)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range blocks {
		wg.Go(func() {
			buf := make([]byte, block)
			if n, err := h.ReadAt(ctx(t), buf, int64(i*block)); n != block || (err != nil && err != io.EOF) || !bytes.Equal(buf, pattern(i)) {
				t.Errorf("block %d: n %d err %v", i, n, err)
			}
		})
	}
	wg.Wait()
}
