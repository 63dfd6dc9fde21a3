package sftpfs

// This file is file I/O: ReadAt and WriteAt split a request into chunks of
// the server's read and write limits (limits@openssh.com, else 32 KiB) and
// keep up to Options.MaxInflight of them in flight on the connection at
// once. WriteAt does not wait for its WRITEs (write-behind, writeback.go)
// unless the file was opened O_SYNC/O_DSYNC; ReadAt consumes its replies
// in offset order so the result is the longest prefix read. The caller's
// buffer is only touched by the calling goroutine (write data is copied
// into the packets), so a call that returns, or gives up on its ctx,
// leaves nothing behind that could still touch the buffer.

import (
	"context"
	"errors"
	"io"
	"syscall"
)

// pendingChunk is one READ or WRITE in flight: chunk [at, at+size) of the
// caller's buffer.
type pendingChunk struct {
	c        *call
	at, size int
}

// ReadAt reads len(p) bytes at off, or up to end of file (then io.EOF).
// Like pread(2) it may be called concurrently on one handle.
func (fh *fileHandle) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &opError{op: "read", path: fh.fs.path(fh.node), errno: syscall.EINVAL}
	}
	if len(p) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, fh.fs.opts.Timeout, &timeoutError{d: fh.fs.opts.Timeout})
	defer cancel()
	writes := fh.wb.mark()
	s, h, err := fh.ensure(ctx)
	if err != nil {
		return 0, failure("read", fh.fs.path(fh.node), err)
	}
	done, err := fh.readAll(ctx, s, h, p, off)
	// The READs went behind the handle's WRITEs, whose replies come first:
	// waiting for them costs no round trip, and the read returns only
	// after the data it may contain was acknowledged. A WRITE failure is
	// left for write, flush, fsync or close to report.
	if werr := fh.wb.waitFor(ctx, writes); werr != nil && (err == nil || err == io.EOF) {
		err = werr
	}
	if err != nil && err != io.EOF {
		return done, failure("read", fh.fs.path(fh.node), err)
	}
	return done, err
}

// readAll reads p at off, or up to end of file (then io.EOF).
func (fh *fileHandle) readAll(ctx context.Context, s *session, h string, p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		n, eof, err := fh.readSome(ctx, s, h, p[done:], off+int64(done))
		done += n
		if err != nil {
			return done, err
		}
		if eof {
			return done, io.EOF
		}
	}
	return done, nil
}

// readSome reads p at off with pipelined READs and one FSTAT behind the
// first batch. It returns the bytes read from the start of p, and whether
// they end at end of file. A short reply ends the call early: it is end of
// file if the server said so (EOF status) or if the FSTAT, which the server
// ran after those READs, shows the file ends there; otherwise the caller
// continues after it (a server may return less than asked).
func (fh *fileHandle) readSome(ctx context.Context, s *session, h string, p []byte, off int64) (got int, eof bool, err error) {
	var queue []pendingChunk
	var statCall *call
	statSent := false
	defer func() {
		for _, pc := range queue {
			s.abandon(pc.c)
		}
		if statCall != nil {
			s.abandon(statCall)
		}
	}()
	next := 0
	for {
		if next < len(p) && len(queue) < fh.fs.opts.MaxInflight {
			var pkts []*packet
			var chunks []pendingChunk
			for len(queue)+len(chunks) < fh.fs.opts.MaxInflight && next < len(p) {
				size := min(s.maxRead, len(p)-next)
				pkts = append(pkts, reqRead(h, off+int64(next), size))
				chunks = append(chunks, pendingChunk{at: next, size: size})
				next += size
			}
			first := !statSent
			statSent = true
			if first {
				pkts = append(pkts, reqFstat(h))
			}
			calls, err := s.start(ctx, pkts...)
			if err != nil {
				return got, false, err
			}
			for i := range chunks {
				chunks[i].c = calls[i]
			}
			queue = append(queue, chunks...)
			if first {
				statCall = calls[len(calls)-1]
			}
		}
		if len(queue) == 0 {
			return got, false, nil
		}
		pc := queue[0]
		queue = queue[1:]
		r, err := s.wait(ctx, pc.c)
		if err != nil {
			return got, false, err
		}
		data, err := r.readData()
		atEOF := errors.Is(err, io.EOF)
		if err != nil && !atEOF {
			return got, false, err
		}
		n := copy(p[pc.at:pc.at+pc.size], data)
		got += n
		if n == pc.size {
			continue
		}
		if atEOF {
			return got, true, nil
		}
		if statCall != nil {
			c := statCall
			statCall = nil
			r, err := s.wait(ctx, c)
			if err != nil {
				return got, false, err
			}
			if a, err := r.attrs(); err == nil && a.flags&attrSize != 0 && int64(a.size) <= off+int64(got) {
				return got, true, nil
			}
		}
		return got, false, nil
	}
}

// WriteAt writes p at off (the server appends instead for an O_APPEND
// handle). It returns len(p) once every chunk is queued on the connection
// behind the handle's earlier requests (writeback.go); a failure is
// returned by the next WriteAt, Flush, Fsync or Release. A WRITE failure
// already known is returned here instead, and nothing is sent. An
// O_SYNC/O_DSYNC handle waits for its WRITEs and an FSYNC and returns the
// acknowledged prefix on error.
func (fh *fileHandle) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &opError{op: "write", path: fh.fs.path(fh.node), errno: syscall.EINVAL}
	}
	if len(p) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, fh.fs.opts.Timeout, &timeoutError{d: fh.fs.opts.Timeout})
	defer cancel()
	if err := fh.wb.takeFailure(); err != nil {
		return 0, failure("write", fh.fs.path(fh.node), err)
	}
	s, h, err := fh.ensure(ctx)
	if err != nil {
		return 0, failure("write", fh.fs.path(fh.node), err)
	}
	if !fh.sync {
		n, err := fh.wb.send(ctx, s, h, p, off, s.maxWrite)
		if err != nil {
			return n, failure("write", fh.fs.path(fh.node), err)
		}
		return n, nil
	}
	acked, err := fh.writeAll(ctx, s, h, p, off)
	if err == nil {
		err = fsync(ctx, s, h)
	}
	if err != nil {
		return acked, failure("write", fh.fs.path(fh.node), err)
	}
	return len(p), nil
}

// writeAll sends p in pipelined WRITE chunks and returns the acknowledged
// prefix.
func (fh *fileHandle) writeAll(ctx context.Context, s *session, h string, p []byte, off int64) (acked int, err error) {
	var queue []pendingChunk
	defer func() {
		for _, pc := range queue {
			s.abandon(pc.c)
		}
	}()
	next := 0
	for {
		if next < len(p) && len(queue) < fh.fs.opts.MaxInflight {
			var pkts []*packet
			var chunks []pendingChunk
			for len(queue)+len(chunks) < fh.fs.opts.MaxInflight && next < len(p) {
				size := min(s.maxWrite, len(p)-next)
				pkts = append(pkts, reqWrite(h, off+int64(next), p[next:next+size]))
				chunks = append(chunks, pendingChunk{at: next, size: size})
				next += size
			}
			calls, err := s.start(ctx, pkts...)
			if err != nil {
				return acked, err
			}
			for i := range chunks {
				chunks[i].c = calls[i]
			}
			queue = append(queue, chunks...)
		}
		if len(queue) == 0 {
			return acked, nil
		}
		pc := queue[0]
		queue = queue[1:]
		r, err := s.wait(ctx, pc.c)
		if err == nil {
			err = r.status()
		}
		if err != nil {
			return acked, err
		}
		acked += pc.size
	}
}
