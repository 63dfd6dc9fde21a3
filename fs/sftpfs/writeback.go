package sftpfs

// This file is write-behind, as sshfs does it by default (its sync_write
// off): WriteAt sends its WRITEs and returns once they are queued on the
// connection, without waiting for the replies. Each open file keeps a
// bounded window of unanswered WRITEs (Options.MaxInflight requests,
// writeBehindBytes bytes); a writer that finds it full waits for room
// (honouring its ctx).
//
// Order: the session sends requests in the order they are queued and
// OpenSSH's sftp-server runs one channel's requests one at a time in that
// order (the driver relies on this everywhere: OPEN then LSTAT), so a
// request queued after a WriteAt returned runs after its WRITEs: a READ
// sees the data, an FSETSTAT of the times is not undone by a late WRITE, a
// CLOSE comes last. Nothing is ever reordered; what waits is only the
// caller, for replies:
//
//   - WriteAt returns a failure that earlier WRITEs reported (and clears
//     it, as Linux reports a writeback error once), without sending;
//   - Flush waits for every WRITE sent before it and returns the first
//     failure not yet returned;
//   - Fsync sends FSYNC behind the WRITEs and does the same;
//   - ReadAt and Setattr through the handle send their requests behind the
//     WRITEs and then wait for those WRITEs too, so they return after the
//     data is acknowledged; a WRITE failure stays for write/flush/fsync/
//     close to report;
//   - Release sends CLOSE behind the WRITEs, waits for the WRITEs (a
//     failure nobody flushed is returned) but not for the CLOSE.
//
// Connection loss: every request in flight on a dead session fails
// (session.fail answers them all), so no wait here can hang. WRITEs that
// were never acknowledged may or may not have reached the file, so the
// handle is dead from then on: every read, write, flush, fsync and
// setattr through it returns EIO (rule E1; Release only if nothing
// reported it yet) and the file is not reopened after a reconnect.
//
// Goroutines and locking: a reaper goroutine runs while WRITEs are
// outstanding; it takes their replies in the order they were registered
// and is the only one to do so (a call's reply channel has one reader).
// writeWindow.mu guards every field below it and is never held across a
// send or a wait.

import (
	"context"
	"errors"
	"sync"
	"syscall"
)

// writeBehindBytes bounds the bytes of unanswered WRITEs of one handle.
// Far more than a 1 ms round trip needs (about 150 KiB at 150 MiB/s), and
// half the SSH channel window OpenSSH grants (2 MiB): measured against
// sshd through a 1 ms proxy, a window of 2 MiB or more halves the
// throughput of a fresh connection (the data queues behind the channel's
// flow control), while 512 KiB to 1 MiB is as fast as or faster than
// waiting for each write.
const writeBehindBytes = 1 << 20

// writeWindow is the write-behind state of one open file.
type writeWindow struct {
	maxReqs, maxBytes int // set at open, read-only after

	mu         sync.Mutex
	inflight   []inflightWrite // guarded by mu: registered, not yet reaped, in registration order
	reqs       int             // guarded by mu: requests reserved or in flight
	bytes      int             // guarded by mu: bytes reserved or in flight
	registered uint64          // guarded by mu: WRITEs registered so far
	reaped     uint64          // guarded by mu: WRITEs whose reply was taken
	reaping    bool            // guarded by mu: the reaper goroutine runs
	failed     error           // guarded by mu: first failure not yet returned
	lost       error           // guarded by mu: set once writes died with the connection
	wake       chan struct{}   // guarded by mu: closed when reaped or room changes
}

// inflightWrite is one WRITE sent and not yet reaped.
type inflightWrite struct {
	c    *call
	size int
}

// errWritesLost is the cause of every call on a handle whose WRITEs were
// lost with the connection.
var errWritesLost = errors.New("writes not acknowledged before the connection was lost: " +
	"the file may lack them, and the handle is closed")

// changedLocked returns a channel closed at the next change; the caller
// holds mu.
func (w *writeWindow) changedLocked() chan struct{} {
	if w.wake == nil {
		w.wake = make(chan struct{})
	}
	return w.wake
}

// notifyLocked wakes every waiter; the caller holds mu.
func (w *writeWindow) notifyLocked() {
	if w.wake != nil {
		close(w.wake)
		w.wake = nil
	}
}

// wait blocks until ready (called with mu held) reports true, or ctx is
// done. mu is held on return.
func (w *writeWindow) wait(ctx context.Context, ready func() bool) error {
	for !ready() {
		ch := w.changedLocked()
		w.mu.Unlock()
		select {
		case <-ch:
			w.mu.Lock()
		case <-ctx.Done():
			w.mu.Lock()
			return ctxError(ctx)
		}
	}
	return nil
}

// deadErr returns the handle's error once its writes were lost.
func (w *writeWindow) deadErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lost
}

// takeFailed returns the first WRITE failure not yet returned and clears
// it.
func (w *writeWindow) takeFailed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.failed
	w.failed = nil
	return err
}

// takeFailure is takeFailed, except that once writes were lost every call
// gets that error.
func (w *writeWindow) takeFailure() error {
	if err := w.takeFailed(); err != nil {
		return err
	}
	return w.deadErr()
}

// mark returns the number of WRITEs registered so far: waitFor(mark)
// waits for exactly those.
func (w *writeWindow) mark() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.registered
}

// waitFor waits until the first n registered WRITEs have been answered
// (their failures recorded).
func (w *writeWindow) waitFor(ctx context.Context, n uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.wait(ctx, func() bool { return w.reaped >= n })
}

// drain waits for every WRITE registered so far.
func (w *writeWindow) drain(ctx context.Context) error {
	return w.waitFor(ctx, w.mark())
}

// send queues p at off as WRITEs of at most chunk bytes on s, waiting for
// room in the window as needed, and returns the bytes queued. Queued
// bytes count as written: the server will apply them, or their failure
// will be reported later.
func (w *writeWindow) send(ctx context.Context, s *session, h string, p []byte, off int64, chunk int) (int, error) {
	done := 0
	for done < len(p) {
		// Reserve as many chunks as fit (at least one, so that an
		// oversized chunk can still go alone).
		w.mu.Lock()
		err := w.wait(ctx, func() bool { return w.lost != nil || w.reqs == 0 || w.hasRoom(chunk) })
		if err == nil {
			err = w.lost
		}
		if err != nil {
			w.mu.Unlock()
			return done, err
		}
		var pkts []*packet
		var sizes []int
		total := 0
		for next := done; next < len(p); {
			size := min(chunk, len(p)-next)
			if len(pkts) > 0 && !w.hasRoom(size) {
				break
			}
			pkts = append(pkts, reqWrite(h, off+int64(next), p[next:next+size]))
			sizes = append(sizes, size)
			w.reqs++
			w.bytes += size
			total += size
			next += size
		}
		w.mu.Unlock()

		calls, err := s.start(ctx, pkts...)
		w.mu.Lock()
		if err != nil {
			w.reqs -= len(pkts)
			w.bytes -= total
			w.notifyLocked()
			w.mu.Unlock()
			return done, err
		}
		for i, c := range calls {
			w.inflight = append(w.inflight, inflightWrite{c: c, size: sizes[i]})
		}
		w.registered += uint64(len(calls))
		if !w.reaping {
			w.reaping = true
			go w.reap()
		}
		w.mu.Unlock()
		done += total
	}
	return done, nil
}

// hasRoom reports whether one more WRITE of size bytes fits; the caller
// holds mu.
func (w *writeWindow) hasRoom(size int) bool {
	return w.reqs < w.maxReqs && w.bytes+size <= w.maxBytes
}

// reap takes the replies of the registered WRITEs in order until none is
// left. Every reply comes: from the server, or from session.fail when the
// connection dies.
func (w *writeWindow) reap() {
	w.mu.Lock()
	for len(w.inflight) > 0 {
		iw := w.inflight[0]
		w.mu.Unlock()
		r := <-iw.c.ch
		err := r.status()
		w.mu.Lock()
		w.inflight[0] = inflightWrite{}
		w.inflight = w.inflight[1:]
		w.reqs--
		w.bytes -= iw.size
		w.reaped++
		if err != nil && r.err != nil && w.lost == nil {
			w.lost = &opError{op: "write", errno: syscall.EIO, cause: errors.Join(errWritesLost, err)}
			err = w.lost
		}
		if err != nil && w.failed == nil {
			w.failed = err
		}
		w.notifyLocked()
	}
	w.inflight = nil // let the backing array go
	w.reaping = false
	w.mu.Unlock()
}
