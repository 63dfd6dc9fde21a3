package netem

// This file holds one direction of one connection: a reader goroutine
// stamps each chunk it reads with the time it is due at the far end and
// queues it; a writer goroutine delivers each chunk when it is due. The
// queue is FIFO and due times never decrease, so bytes keep their order.
// The two goroutines share only the queue channel and the conn's done
// channel.

import (
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"
)

const (
	// chunkSize is the most a reader takes from the socket at once.
	chunkSize = 32 << 10
	// queueChunks bounds the chunks in flight per direction (at most
	// 32 MiB: a bandwidth-delay product of 1 GB/s × 30 ms). A full queue
	// stops the reader, and TCP pushes back on the sender.
	queueChunks = 1024
	// maxLinkQueue bounds how far ahead of the link (Rate) the reader runs,
	// like a router's buffer: more would add queueing delay to the
	// configured one.
	maxLinkQueue = 5 * time.Millisecond
	// preciseSleep is the part of a wait slept with nanosleep(2) rather
	// than a Go timer (see sleep).
	preciseSleep = 2 * time.Millisecond
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// chunk is data read from the source and due at the destination. A chunk
// with a nil buf is the end of the stream (err is io.EOF for a clean end).
type chunk struct {
	buf *[]byte
	n   int
	due time.Time
	err error
}

// direction forwards src to dst.
type direction struct {
	src, dst interface {
		io.ReadWriter
		CloseWrite() error
	}
	cfg       Config
	queue     chan chunk
	ctr       *dirCounters
	framer    *sshFramer
	onRead    func() // after each chunk read (may be nil)
	onDeliver func() // as each chunk is written (may be nil)
}

// readLoop reads src until it ends, queueing what it reads. It returns
// false if the connection must be aborted.
func (d *direction) readLoop(done <-chan struct{}) bool {
	var linkFree time.Time // when the capped link has sent all queued data
	for {
		if d.cfg.Rate > 0 && !linkFree.IsZero() {
			if wait := time.Until(linkFree.Add(-maxLinkQueue)); wait > 0 && !sleep(wait, false, done) {
				return false
			}
		}
		bp := chunkPool.Get().(*[]byte)
		n, err := d.src.Read(*bp)
		if n > 0 {
			depart := time.Now()
			if d.cfg.Rate > 0 {
				if linkFree.After(depart) {
					depart = linkFree
				}
				depart = depart.Add(time.Duration(int64(n) * int64(time.Second) / d.cfg.Rate))
				linkFree = depart
			}
			d.ctr.bytes.Add(int64(n))
			d.ctr.reads.Add(1)
			if d.onRead != nil {
				d.onRead()
			}
			d.framer.feed((*bp)[:n])
			select {
			case d.queue <- chunk{buf: bp, n: n, due: depart.Add(d.cfg.Delay)}:
			case <-done:
				return false
			}
		} else {
			chunkPool.Put(bp)
		}
		if err != nil {
			end := time.Now()
			if linkFree.After(end) {
				end = linkFree
			}
			select {
			case d.queue <- chunk{due: end.Add(d.cfg.Delay), err: err}:
			case <-done:
				return false
			}
			return errors.Is(err, io.EOF)
		}
	}
}

// writeLoop delivers queued chunks when they are due and passes on the end
// of the stream. It returns true after a clean end of stream, false if the
// connection must be aborted.
func (d *direction) writeLoop(done <-chan struct{}) bool {
	for {
		var c chunk
		select {
		case c = <-d.queue:
		case <-done:
			return false
		}
		// Spin to be on time only for a lone chunk (latency-bound traffic);
		// with more queued, being a little late costs no throughput and
		// spinning would cost a CPU.
		if wait := time.Until(c.due); wait > 0 && !sleep(wait, len(d.queue) == 0, done) {
			return false
		}
		if c.buf == nil {
			if !errors.Is(c.err, io.EOF) {
				return false
			}
			return d.dst.CloseWrite() == nil
		}
		if d.onDeliver != nil {
			// Before the write: the peer may react before Write returns.
			d.onDeliver()
		}
		_, err := d.dst.Write((*c.buf)[:c.n])
		chunkPool.Put(c.buf)
		if err != nil {
			return false
		}
	}
}

// sleep waits for d or until done is closed; it reports whether d passed.
//
// Go's timers wake up to a millisecond late on Linux, which would double a
// 0.5 ms delay, so the last stretch (under preciseSleep) is slept with
// nanosleep(2), which blocks this goroutine's thread (the runtime runs
// other goroutines on another). nanosleep itself oversleeps by the timer
// slack plus the time to wake an idle CPU (in a virtual machine, a hundred
// microseconds or more); if precise, it is asked to end that much early
// and the rest is spun. Either way it never returns early.
func sleep(d time.Duration, precise bool, done <-chan struct{}) bool {
	until := time.Now().Add(d)
	if coarse := d - preciseSleep; coarse > 0 {
		t := time.NewTimer(coarse)
		select {
		case <-t.C:
		case <-done:
			t.Stop()
			return false
		}
	}
	early := until
	if precise {
		early = until.Add(-oversleep())
	}
	for {
		rest := time.Until(early)
		if rest <= 0 {
			break
		}
		ts := syscall.NsecToTimespec(rest.Nanoseconds())
		syscall.Nanosleep(&ts, nil)
	}
	for time.Now().Before(until) {
		runtime.Gosched()
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// oversleep is how long nanosleep(2) typically sleeps beyond what it is
// asked: the median of a few short sleeps, measured once.
var oversleep = sync.OnceValue(func() time.Duration {
	const asked = 200 * time.Microsecond
	samples := make([]time.Duration, 25)
	for i := range samples {
		ts := syscall.NsecToTimespec(asked.Nanoseconds())
		start := time.Now()
		syscall.Nanosleep(&ts, nil)
		samples[i] = time.Since(start) - asked
	}
	slices.Sort(samples)
	return min(max(samples[len(samples)/2], 0), asked)
})
