package sftpfs

// This file is one SFTP session: a request multiplexer over the "sftp"
// subsystem channel of one SSH connection. Any number of requests may be in
// flight (pipelining); each gets a request id and a reply channel.
//
// Goroutines: the recv loop reads replies and hands each to the call that
// waits for it; the writer sends queued packets in queue order (so a batch
// of requests queued together reaches the server, and is executed by it,
// in that order). Callers never block on the network themselves: they wait
// on their reply channel or on their ctx, so a stalled server never holds a
// caller beyond its ctx.
//
// Locking: session.mu guards pending and nextID. dead is closed (and
// deadErr set before it) exactly once, by fail, under mu; after that
// pending is nil and no request is accepted.
//
// A caller that gives up on a request (ctx done) removes it from pending;
// its reply, when it comes, is dropped, except that a HANDLE nobody waits
// for any more is closed so the server does not leak it.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// sendQueueLen bounds the batches queued for the writer; a caller finding
// it full waits (honouring its ctx).
const sendQueueLen = 128

// traceEvent is one packet sent or received, reported to Options.trace
// (tests count round trips with it).
type traceEvent struct {
	send bool
	typ  byte
	ext  string
}

// session is one SFTP session on one SSH connection.
type session struct {
	client *ssh.Client
	stdin  io.WriteCloser
	stdout *bufio.Reader

	// Set during the handshake, read-only afterwards.
	exts     map[string]string
	maxRead  int
	maxWrite int
	trace    func(traceEvent)

	sendq chan [][]byte // batches of packets, each sent in order

	mu      sync.Mutex
	pending map[uint32]*call // guarded by mu; nil once dead
	nextID  uint32           // guarded by mu

	dead    chan struct{} // closed by fail
	deadErr error         // set before dead is closed
}

// call is one request waiting for its reply.
type call struct {
	id uint32
	ch chan reply // buffered: the recv loop never blocks on it
}

// newSession opens the sftp subsystem on client and performs the
// INIT/VERSION handshake and the limits@openssh.com query. The caller
// bounds it by closing client when its ctx is done.
func newSession(client *ssh.Client, trace func(traceEvent)) (*session, error) {
	ch, err := client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("opening SSH session: %w", err)
	}
	stdin, err := ch.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := ch.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := ch.RequestSubsystem("sftp"); err != nil {
		return nil, fmt.Errorf("starting the sftp subsystem: %w", err)
	}
	s := &session{
		client:   client,
		stdin:    stdin,
		stdout:   bufio.NewReaderSize(stdout, 64<<10),
		exts:     map[string]string{},
		maxRead:  defaultIOSize,
		maxWrite: defaultIOSize,
		trace:    trace,
		sendq:    make(chan [][]byte, sendQueueLen),
		pending:  map[uint32]*call{},
		dead:     make(chan struct{}),
	}
	if err := s.handshake(); err != nil {
		return nil, err
	}
	go s.recvLoop()
	go s.writeLoop()
	if err := s.queryLimits(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// handshake sends INIT (version 3) and reads VERSION with the server's
// extensions. It runs before the recv and write loops start.
func (s *session) handshake() error {
	init := newPacket(fxpInit, 0)
	init.seal(3) // INIT carries the version where other packets carry an id
	if _, err := s.stdin.Write(init.b); err != nil {
		return fmt.Errorf("sending SFTP INIT: %w", err)
	}
	typ, body, err := s.readPacket()
	if err != nil {
		return fmt.Errorf("reading SFTP VERSION: %w", err)
	}
	if typ != fxpVersion {
		return fmt.Errorf("sftp: expected VERSION, got %s", typeName(typ, ""))
	}
	d := decoder{b: body}
	if v := d.u32(); v != 3 {
		return fmt.Errorf("sftp: server speaks protocol version %d, want 3", v)
	}
	for len(d.b) > 0 && d.err == nil {
		name, data := d.str(), d.str()
		s.exts[name] = data
	}
	return d.err
}

// queryLimits reads the server's packet and I/O size limits.
func (s *session) queryLimits() error {
	if !s.has(extLimits) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := s.do(ctx, reqLimits())
	if err != nil {
		return err
	}
	d, err := r.extended()
	if err != nil {
		return nil // a server may refuse: keep the defaults
	}
	maxPacket, maxRead, maxWrite := d.u64(), d.u64(), d.u64()
	if d.err != nil {
		return nil
	}
	clamp := func(v uint64) int {
		// Leave room for the header of a WRITE or DATA packet.
		if maxPacket > 1024 && v > maxPacket-1024 {
			v = maxPacket - 1024
		}
		if v > maxReplyLen/2 {
			v = maxReplyLen / 2
		}
		if v < defaultIOSize {
			v = defaultIOSize
		}
		return int(v)
	}
	if maxRead > 0 {
		s.maxRead = clamp(maxRead)
	}
	if maxWrite > 0 {
		s.maxWrite = clamp(maxWrite)
	}
	return nil
}

// has reports whether the server offers extension name.
func (s *session) has(name string) bool {
	_, ok := s.exts[name]
	return ok
}

// alive reports whether the session can still carry requests.
func (s *session) alive() bool {
	select {
	case <-s.dead:
		return false
	default:
		return true
	}
}

// close shuts the session and its SSH connection down; requests in flight
// fail with ENOTCONN.
func (s *session) close() {
	s.fail(errors.New("session closed"))
}

// fail marks the session dead (once), fails every pending request and
// closes the connection.
func (s *session) fail(cause error) {
	s.mu.Lock()
	if s.pending == nil {
		s.mu.Unlock()
		return
	}
	pending := s.pending
	s.pending = nil
	s.deadErr = &connLostError{cause: cause}
	close(s.dead)
	s.mu.Unlock()
	for _, c := range pending {
		c.ch <- reply{err: s.deadErr}
	}
	s.client.Close()
}

// start sends the packets as one batch, in order, and returns a call per
// packet. The server executes them in that order, so a later packet may
// depend on the effect of an earlier one (OPEN then LSTAT of the same
// name). On error no call is pending.
func (s *session) start(ctx context.Context, pkts ...*packet) ([]*call, error) {
	calls := make([]*call, len(pkts))
	batch := make([][]byte, len(pkts))
	s.mu.Lock()
	if s.pending == nil {
		s.mu.Unlock()
		return nil, s.deadErr
	}
	for i, p := range pkts {
		s.nextID++
		c := &call{id: s.nextID, ch: make(chan reply, 1)}
		p.seal(c.id)
		s.pending[c.id] = c
		calls[i] = c
		batch[i] = p.b
	}
	s.mu.Unlock()

	if s.trace != nil {
		for _, p := range pkts {
			s.trace(traceEvent{send: true, typ: p.typ, ext: p.ext})
		}
	}
	select {
	case s.sendq <- batch:
		return calls, nil
	case <-ctx.Done():
		s.abandon(calls...)
		return nil, ctxError(ctx)
	case <-s.dead:
		return nil, s.deadErr
	}
}

// wait returns the reply of c, or gives up when ctx is done.
func (s *session) wait(ctx context.Context, c *call) (reply, error) {
	select {
	case r := <-c.ch:
		return r, r.err
	case <-ctx.Done():
		s.abandon(c)
		return reply{}, ctxError(ctx)
	}
}

// do sends one request and waits for its reply.
func (s *session) do(ctx context.Context, p *packet) (reply, error) {
	calls, err := s.start(ctx, p)
	if err != nil {
		return reply{}, err
	}
	return s.wait(ctx, calls[0])
}

// waitAll waits for every call in order; the replies of those it did not
// get (ctx done) are abandoned. A reply's own error (connection lost) is in
// its err field; the returned error is only the ctx error.
func (s *session) waitAll(ctx context.Context, calls []*call) ([]reply, error) {
	out := make([]reply, len(calls))
	for i, c := range calls {
		select {
		case out[i] = <-c.ch:
		case <-ctx.Done():
			s.abandon(calls[i:]...)
			return nil, ctxError(ctx)
		}
	}
	return out, nil
}

// abandon stops waiting for calls. A reply that already arrived is
// consumed here so that a handle in it is closed, not leaked.
func (s *session) abandon(calls ...*call) {
	for _, c := range calls {
		s.mu.Lock()
		_, waiting := s.pending[c.id]
		delete(s.pending, c.id)
		s.mu.Unlock()
		if waiting {
			continue
		}
		// The recv loop took it out of pending and is delivering (or
		// delivered) the reply into the buffered channel.
		if r := <-c.ch; r.err == nil && r.typ == fxpHandle {
			s.closeOrphan(r)
		}
	}
}

// send queues a request nobody waits for (a CLOSE of a handle we no longer
// need): its reply is dropped. It never blocks the caller.
func (s *session) send(p *packet) {
	s.mu.Lock()
	if s.pending == nil {
		s.mu.Unlock()
		return
	}
	s.nextID++
	p.seal(s.nextID)
	s.mu.Unlock()
	if s.trace != nil {
		s.trace(traceEvent{send: true, typ: p.typ, ext: p.ext})
	}
	batch := [][]byte{p.b}
	select {
	case s.sendq <- batch:
	default:
		go func() {
			select {
			case s.sendq <- batch:
			case <-s.dead:
			}
		}()
	}
}

// closeOrphan closes the handle carried by a HANDLE reply nobody waits for.
func (s *session) closeOrphan(r reply) {
	if h, err := r.handle(); err == nil {
		s.send(reqClose(h))
	}
}

// recvLoop reads replies until the connection fails.
func (s *session) recvLoop() {
	for {
		typ, body, err := s.readPacket()
		if err != nil {
			s.fail(err)
			return
		}
		if len(body) < 4 {
			s.fail(errShortPacket)
			return
		}
		id := binary.BigEndian.Uint32(body)
		if s.trace != nil {
			s.trace(traceEvent{typ: typ})
		}
		s.mu.Lock()
		c, ok := s.pending[id]
		delete(s.pending, id)
		s.mu.Unlock()
		r := reply{typ: typ, data: body[4:]}
		if !ok {
			if typ == fxpHandle {
				s.closeOrphan(r)
			}
			continue
		}
		c.ch <- r
	}
}

// writeLoop sends queued batches until the session dies. Small packets
// queued together (a batch, and whatever else is queued by then) go out in
// one write, so one SSH packet and one system call carry them: a create's
// OPEN and LSTAT, a CLOSE and the next OPEN. A large packet (a WRITE's
// data) is written alone, without a copy.
func (s *session) writeLoop() {
	var buf []byte
	write := func(b []byte) bool {
		if _, err := s.stdin.Write(b); err != nil {
			s.fail(err)
			return false
		}
		return true
	}
	for {
		var batch [][]byte
		select {
		case batch = <-s.sendq:
		case <-s.dead:
			return
		}
		buf = buf[:0]
		for more := true; more; {
			for _, b := range batch {
				if len(b) < coalesceMax && len(buf)+len(b) <= coalesceBuf {
					buf = append(buf, b...)
					continue
				}
				if len(buf) > 0 && !write(buf) {
					return
				}
				buf = buf[:0]
				if len(b) >= coalesceMax {
					if !write(b) {
						return
					}
				} else {
					buf = append(buf, b...)
				}
			}
			select {
			case batch = <-s.sendq:
			default:
				more = false
			}
		}
		if len(buf) > 0 && !write(buf) {
			return
		}
	}
}

// Coalescing bounds: packets under coalesceMax bytes are gathered, at most
// coalesceBuf bytes at a time (about an SSH channel packet).
const (
	coalesceMax = 4 << 10
	coalesceBuf = 32 << 10
)

// readPacket reads one packet: its type and the body after the type byte.
func (s *session) readPacket() (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(s.stdout, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 1 || n > maxReplyLen {
		return 0, nil, fmt.Errorf("sftp: bad reply length %d", n)
	}
	body := make([]byte, n-1)
	if _, err := io.ReadFull(s.stdout, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return hdr[4], body, nil
}
