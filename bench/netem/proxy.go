package netem

// This file holds the Proxy: it accepts connections, dials the target for
// each, and runs the two directions of each connection (link.go) until
// both have ended or one fails.
//
// Locking: Proxy.mu guards conns and closed. Each conn is aborted at most
// once (conn.abortOnce); the forwarding goroutines share only the conn's
// done channel, its serverSpoke flag and the proxy's atomic counters.

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// dialTimeout bounds connecting to the target for one accepted connection.
const dialTimeout = 10 * time.Second

// Config is what the proxy does to the traffic. The zero value forwards
// as fast as it can.
type Config struct {
	// Delay is added to each direction: the round trip grows by 2×Delay.
	Delay time.Duration
	// Rate caps each direction of each connection, in bytes per second;
	// 0 means no cap.
	Rate int64
}

// Proxy forwards every connection it accepts to one target address.
type Proxy struct {
	cfg      Config
	target   string
	ln       net.Listener
	counters counters
	wg       sync.WaitGroup // the accept loop and every connection's goroutines

	mu     sync.Mutex
	conns  map[*conn]struct{} // guarded by mu
	closed bool               // guarded by mu
}

// Listen starts a proxy listening on listenAddr (such as "127.0.0.1:0")
// that forwards to target with the given delay and rate. It serves until
// Close.
func Listen(listenAddr, target string, cfg Config) (*Proxy, error) {
	if cfg.Delay < 0 || cfg.Rate < 0 {
		return nil, fmt.Errorf("netem: negative delay or rate")
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return nil, fmt.Errorf("netem: %w", err)
	}
	p := &Proxy{cfg: cfg, target: target, ln: ln, conns: make(map[*conn]struct{})}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the address the proxy listens on ("127.0.0.1:port").
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the port the proxy listens on.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Config returns the proxy's configuration.
func (p *Proxy) Config() Config { return p.cfg }

// Stats returns the counters so far. Take two snapshots and Sub them to
// measure one piece of work.
func (p *Proxy) Stats() Stats { return p.counters.snapshot() }

// Close stops accepting, cuts every connection and waits for the
// forwarding goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, c := range conns {
		c.abort()
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient accept error (out of descriptors): back off
			// briefly rather than spin.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.counters.conns.Add(1)
		p.wg.Add(1)
		go p.serve(client.(*net.TCPConn))
	}
}

// serve dials the target for one accepted connection and forwards both
// directions until they end.
func (p *Proxy) serve(client *net.TCPConn) {
	defer p.wg.Done()
	d, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		client.Close()
		return
	}
	c := newConn(client, d.(*net.TCPConn), p.cfg, &p.counters)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.abort()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()

	c.run()

	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// conn is one forwarded connection.
type conn struct {
	client, server *net.TCPConn
	up, down       *direction // client→server, server→client

	done      chan struct{} // closed by abort
	abortOnce sync.Once
	// serverSpoke is set when data is delivered to the client and cleared
	// when the client next sends: see Stats.Turnarounds.
	serverSpoke atomic.Bool
	// opaque is set once when either direction's framing is unreadable.
	opaqueOnce sync.Once
}

func newConn(client, server *net.TCPConn, cfg Config, ctr *counters) *conn {
	c := &conn{client: client, server: server, done: make(chan struct{})}
	neg := &negotiation{}
	markOpaque := func() { c.opaqueOnce.Do(func() { ctr.opaque.Add(1) }) }
	c.up = &direction{
		src: client, dst: server, cfg: cfg, ctr: &ctr.toServer,
		framer: newSSHFramer(neg, true, ctr, markOpaque),
		onRead: func() {
			if c.serverSpoke.Swap(false) {
				ctr.turnarounds.Add(1)
			}
		},
	}
	c.down = &direction{
		src: server, dst: client, cfg: cfg, ctr: &ctr.toClient,
		framer:    newSSHFramer(neg, false, ctr, markOpaque),
		onDeliver: func() { c.serverSpoke.Store(true) },
	}
	return c
}

// run forwards both directions and returns when both are over.
func (c *conn) run() {
	var wg sync.WaitGroup
	var ended atomic.Int32
	for _, d := range []*direction{c.up, c.down} {
		d.queue = make(chan chunk, queueChunks)
		wg.Add(2)
		go func() {
			defer wg.Done()
			if !d.readLoop(c.done) {
				c.abort()
			}
		}()
		go func() {
			defer wg.Done()
			if !d.writeLoop(c.done) {
				c.abort()
				return
			}
			// Both directions delivered their end of stream: the
			// connection is over.
			if ended.Add(1) == 2 {
				c.abort()
			}
		}()
	}
	wg.Wait()
}

// abort closes both sockets and tells the goroutines to stop.
func (c *conn) abort() {
	c.abortOnce.Do(func() {
		close(c.done)
		c.client.Close()
		c.server.Close()
	})
}
