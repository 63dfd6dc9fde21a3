package vfstest

// I/O cases: Read, Write, Seek, ReadAt, WriteAt, sparse files, truncation,
// Sync and Close through *vfs.File, with Linux results.

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"syscall"
)

var ioCases = []testCase{
	{"ReadWriteSeek", func(e *env) {
		fl := e.mustOpen("f", oRDWR|oCREAT, 0o644)
		n, err := fl.Write([]byte("hello world"))
		if err != nil || n != 11 {
			e.Fatalf("write = %d, %v", n, err)
		}
		if off, err := fl.Seek(0, io.SeekCurrent); err != nil || off != 11 {
			e.Errorf("offset after write = %d, %v; want 11", off, err)
		}
		p := make([]byte, 16)
		if n, err := fl.Read(p); n != 0 || err != io.EOF {
			e.Errorf("read at end of file = %d, %v; want 0, io.EOF", n, err)
		}
		_, err = fl.Seek(0, io.SeekStart)
		e.must(err, "seek")
		b, err := io.ReadAll(fl)
		if e.ok(err, "read all") && string(b) != "hello world" {
			e.Errorf("read %q", b)
		}
		if off, err := fl.Seek(6, io.SeekStart); err != nil || off != 6 {
			e.Errorf("seek 6 = %d, %v", off, err)
		}
		n, err = io.ReadFull(fl, p[:5])
		if err != nil || string(p[:n]) != "world" {
			e.Errorf("read after seek = %q, %v; want world", p[:n], err)
		}
		if off, err := fl.Seek(-5, io.SeekEnd); err != nil || off != 6 {
			e.Errorf("seek -5 from end = %d, %v; want 6", off, err)
		}
		if off, err := fl.Seek(-1, io.SeekCurrent); err != nil || off != 5 {
			e.Errorf("seek -1 from current = %d, %v; want 5", off, err)
		}
		_, err = fl.Seek(-100, io.SeekStart)
		e.wantErr(err, "seek to a negative offset", syscall.EINVAL)
		_, err = fl.Seek(0, 7)
		e.wantErr(err, "seek with a bad whence", syscall.EINVAL)
		// Seeking past the end is allowed; a write there leaves a hole.
		if off, err := fl.Seek(15, io.SeekStart); err != nil || off != 15 {
			e.Errorf("seek past end = %d, %v", off, err)
		}
		_, err = fl.Write([]byte("!"))
		e.must(err, "write past end")
		e.wantContent("f", "hello world\x00\x00\x00\x00!")
	}},
	{"ReadAtWriteAt", func(e *env) {
		fl := e.mustOpen("f", oRDWR|oCREAT, 0o644)
		_, err := fl.Write([]byte("hello"))
		e.must(err, "write")
		n, err := fl.WriteAt([]byte("XY"), 2)
		if err != nil || n != 2 {
			e.Errorf("WriteAt = %d, %v", n, err)
		}
		if off, _ := fl.Seek(0, io.SeekCurrent); off != 5 {
			e.Errorf("WriteAt moved the offset to %d, want 5", off)
		}
		p := make([]byte, 10)
		n, err = fl.ReadAt(p, 0)
		if n != 5 || err != io.EOF || string(p[:n]) != "heXYo" {
			e.Errorf("ReadAt past the end = %d %q, %v; want 5 \"heXYo\", io.EOF", n, p[:n], err)
		}
		n, err = fl.ReadAt(p[:3], 1)
		if n != 3 || err != nil || string(p[:3]) != "eXY" {
			e.Errorf("ReadAt(3, 1) = %d %q, %v", n, p[:n], err)
		}
		n, err = fl.ReadAt(p, 100)
		if n != 0 || err != io.EOF {
			e.Errorf("ReadAt beyond the end = %d, %v; want 0, io.EOF", n, err)
		}
		_, err = fl.ReadAt(p, -1)
		e.wantErr(err, "ReadAt at a negative offset", syscall.EINVAL)
		_, err = fl.WriteAt(p, -1)
		e.wantErr(err, "WriteAt at a negative offset", syscall.EINVAL)
		e.wantContent("f", "heXYo")
	}},
	{"SparseWrite", func(e *env) {
		const off = 1 << 20
		fl := e.mustOpen("f", oRDWR|oCREAT, 0o644)
		_, err := fl.WriteAt([]byte("x"), off)
		e.must(err, "WriteAt 1 MiB")
		if a := handleAttr(e, fl); a.Size != off+1 {
			e.Errorf("size %d, want %d", a.Size, off+1)
		}
		if a := e.attr("f"); a.Size != off+1 {
			e.Errorf("size by path %d, want %d", a.Size, off+1)
		}
		p := make([]byte, off+10)
		n, err := fl.ReadAt(p, 0)
		if n != off+1 || err != io.EOF {
			e.Errorf("ReadAt = %d, %v; want %d, io.EOF", n, err, off+1)
		}
		if i := bytes.IndexFunc(p[:off], func(r rune) bool { return r != 0 }); i >= 0 {
			e.Errorf("hole reads non-zero at %d", i)
		}
		if p[off] != 'x' {
			e.Errorf("byte at 1 MiB = %q, want 'x'", p[off])
		}
	}},
	{"LargeWriteRead", func(e *env) {
		// Unaligned sizes and offsets across whatever chunking the driver
		// uses.
		rng := rand.New(rand.NewPCG(1, 2))
		data := make([]byte, 3<<20+12345)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		fl := e.mustOpen("f", oRDWR|oCREAT, 0o644)
		for off := 0; off < len(data); {
			n := min(len(data)-off, 1+rng.IntN(300<<10))
			w, err := fl.Write(data[off : off+n])
			e.must(err, "write")
			off += w
		}
		e.must(fl.Close(), "close")
		fl = e.mustOpen("f", oRDONLY, 0)
		got, err := io.ReadAll(fl)
		e.must(err, "read all")
		if !bytes.Equal(got, data) {
			e.Errorf("read back %d bytes, differ from the %d written", len(got), len(data))
		}
		p := make([]byte, 77777)
		off := int64(1<<20 - 1000)
		n, err := fl.ReadAt(p, off)
		if err != nil || n != len(p) || !bytes.Equal(p, data[off:off+int64(n)]) {
			e.Errorf("ReadAt in the middle = %d, %v or wrong data", n, err)
		}
	}},
	{"TruncateGrowShrink", func(e *env) {
		e.writeFile("f", "hello world")
		e.must(e.fs.Truncate(e.ctx, "f", 5), "truncate to 5")
		if a := e.attr("f"); a.Size != 5 {
			e.Errorf("size after truncate = %d, want 5", a.Size)
		}
		e.wantContent("f", "hello")
		e.must(e.fs.Truncate(e.ctx, "f", 10), "truncate to 10")
		if a := e.attr("f"); a.Size != 10 {
			e.Errorf("size after growing = %d, want 10", a.Size)
		}
		e.wantContent("f", "hello\x00\x00\x00\x00\x00")
		fl := e.mustOpen("f", oRDWR, 0)
		e.must(fl.Truncate(2), "File.Truncate(2)")
		if a := e.attr("f"); a.Size != 2 {
			e.Errorf("size by path after File.Truncate = %d, want 2", a.Size)
		}
		e.must(fl.Truncate(6), "File.Truncate(6)")
		// Data cut by a shrink must not come back when the file grows.
		if got := readAll(e, fl); got != "he\x00\x00\x00\x00" {
			e.Errorf("after shrink and grow: %q, want \"he\\x00\\x00\\x00\\x00\"", got)
		}
		e.must(fl.Truncate(0), "File.Truncate(0)")
		if got := readAll(e, fl); got != "" {
			e.Errorf("after truncate to 0: %q", got)
		}
	}},
	{"TruncateErrors", func(e *env) {
		e.writeFile("f", "abc")
		e.mkdir("d")
		e.wantErr(e.fs.Truncate(e.ctx, "d", 0), "truncate a directory", syscall.EISDIR)
		e.wantErr(e.fs.Truncate(e.ctx, "f", -1), "truncate to -1", syscall.EINVAL)
		e.wantErr(e.fs.Truncate(e.ctx, "missing", 0), "truncate a missing file", syscall.ENOENT)
		e.wantContent("f", "abc")
	}},
	{"Sync", func(e *env) {
		fl := e.mustOpen("f", oRDWR|oCREAT, 0o644)
		_, err := fl.Write([]byte("data"))
		e.must(err, "write")
		e.ok(fl.Sync(), "Sync")
		e.ok(fl.SyncContext(e.ctx, true), "SyncContext datasync")
		e.mkdir("d")
		d := e.mustOpen("d", oRDONLY, 0)
		e.ok(d.Sync(), "Sync on a directory")
		e.must(fl.Close(), "close")
		e.wantContent("f", "data")
	}},
	{"Close", func(e *env) {
		e.writeFile("f", "abc")
		fl := e.mustOpen("f", oRDWR, 0)
		e.must(fl.Close(), "first close")
		checkClosed := func(what string, err error) {
			e.Helper()
			if !errors.Is(err, fs.ErrClosed) {
				e.Errorf("%s after Close: %v, want fs.ErrClosed", what, err)
			}
		}
		checkClosed("Close", fl.Close())
		_, err := fl.Read(make([]byte, 1))
		checkClosed("Read", err)
		_, err = fl.Write([]byte("x"))
		checkClosed("Write", err)
		_, err = fl.ReadAt(make([]byte, 1), 0)
		checkClosed("ReadAt", err)
		_, err = fl.Seek(0, io.SeekStart)
		checkClosed("Seek", err)
		e.wantContent("f", "abc")
	}},
	{"DirectoryReadWrite_EISDIR", func(e *env) {
		e.mkdir("d")
		fl := e.mustOpen("d", oRDONLY, 0)
		_, err := fl.Read(make([]byte, 8))
		e.wantErr(err, "Read on a directory", syscall.EISDIR)
		_, err = fl.ReadAt(make([]byte, 8), 0)
		e.wantErr(err, "ReadAt on a directory", syscall.EISDIR)
	}},
	{"TwoHandlesShareData", func(e *env) {
		w := e.mustOpen("f", oWRONLY|oCREAT, 0o644)
		r := e.mustOpen("f", oRDONLY, 0)
		_, err := w.Write([]byte("shared"))
		e.must(err, "write")
		if got := readAll(e, r); got != "shared" {
			e.Errorf("other handle reads %q, want \"shared\"", got)
		}
		if a := handleAttr(e, r); a.Size != 6 {
			e.Errorf("other handle's Stat size = %d, want 6", a.Size)
		}
		if a := e.attr("f"); a.Size != 6 {
			e.Errorf("size by path = %d, want 6", a.Size)
		}
	}},
	{"HugeSparseOffset", func(e *env) {
		// A write at 1 TiB allocates one block, not a terabyte.
		const off = 1 << 40
		fl := e.mustOpen("f", oRDWR|oCREAT, 0o644)
		_, err := fl.WriteAt([]byte("far"), off)
		e.must(err, "WriteAt 1 TiB")
		if a := handleAttr(e, fl); a.Size != off+3 {
			e.Errorf("size %d, want %d", a.Size, int64(off+3))
		}
		p := make([]byte, 8)
		n, err := fl.ReadAt(p, off-5)
		if n != 8 || (err != nil && err != io.EOF) || string(p) != "\x00\x00\x00\x00\x00far" {
			e.Errorf("ReadAt across the hole's end = %d %q, %v", n, p[:n], err)
		}
		e.must(fl.Truncate(1<<42), "grow to 4 TiB")
		n, err = fl.ReadAt(p, 1<<42-8)
		if n != 8 || (err != nil && err != io.EOF) || !bytes.Equal(p, make([]byte, 8)) {
			e.Errorf("ReadAt at the end of a 4 TiB file = %d %q, %v", n, p[:n], err)
		}
		e.must(fl.Truncate(2), "shrink")
		if got := readAll(e, fl); got != "\x00\x00" {
			e.Errorf("after shrinking to 2: %q", got)
		}
	}},
	{"Allocate", func(e *env) {
		// fallocate(2) is optional (vfs.Allocator): without it, or for a
		// mode the driver lacks, the documented answer is EOPNOTSUPP.
		const keepSize, punchHole = 0x01, 0x02
		fl := e.mustOpen("f", oRDWR|oCREAT, 0o644)
		_, err := fl.Write([]byte("abcdefgh"))
		e.must(err, "write")
		err = fl.Allocate(e.ctx, 0, 4096, 0)
		if err != nil {
			e.wantErr(err, "fallocate", syscall.EOPNOTSUPP)
		} else {
			if a := handleAttr(e, fl); a.Size != 4096 {
				e.Errorf("size after fallocate(0, 4096) = %d, want 4096", a.Size)
			}
			if got := readAll(e, fl); got[:8] != "abcdefgh" || strings.Trim(got[8:], "\x00") != "" {
				e.Errorf("fallocate changed the data: %q", short([]byte(got)))
			}
		}
		err = fl.Allocate(e.ctx, 2, 3, punchHole|keepSize)
		if err != nil {
			e.wantErr(err, "fallocate PUNCH_HOLE", syscall.EOPNOTSUPP)
			return
		}
		p := make([]byte, 8)
		_, err = fl.ReadAt(p, 0)
		if e.ok(err, "ReadAt") && string(p) != "ab\x00\x00\x00fgh" {
			e.Errorf("after punching [2,5): %q", p)
		}
		ro := e.mustOpen("f", oRDONLY, 0)
		e.wantErr(ro.Allocate(e.ctx, 0, 10, 0), "fallocate on an O_RDONLY file", syscall.EBADF)
	}},
	{"FlushAndRelease", func(e *env) {
		// The FUSE frontend sends FLUSH and RELEASE separately.
		fl := e.mustOpen("f", oWRONLY|oCREAT, 0o644)
		_, err := fl.Write([]byte("flushed"))
		e.must(err, "write")
		e.ok(fl.FlushContext(e.ctx), "FlushContext")
		e.ok(fl.FlushContext(e.ctx), "FlushContext again")
		e.ok(fl.CloseContext(e.ctx, false), "CloseContext without flush")
		e.wantContent("f", "flushed")
	}},
}
