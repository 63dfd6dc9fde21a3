package netem

// Tests of forwarding: bytes arrive intact and in order, the delay is
// really added (asserted as a lower bound only), many chunks are in flight
// at once, the rate cap holds, half-closes pass through, Close cuts
// connections, and turnarounds are counted.

import (
	"bytes"
	"crypto/rand"
	"io"
	mrand "math/rand/v2"
	"net"
	"testing"
	"time"
)

// startServer runs handle for every connection to a new loopback listener.
func startServer(t *testing.T, handle func(*net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String()
}

// echo copies everything back and half-closes when the client does.
func echo(c *net.TCPConn) {
	io.Copy(c, c)
	c.CloseWrite()
}

func startProxy(t *testing.T, target string, cfg Config) *Proxy {
	t.Helper()
	p, err := Listen("127.0.0.1:0", target, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *Proxy) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

func TestForwardsBytesIntactAndInOrder(t *testing.T) {
	p := startProxy(t, startServer(t, echo), Config{Delay: time.Millisecond})
	c := dial(t, p)
	want := make([]byte, 8<<20)
	rand.Read(want)
	seed := mrand.Uint64()
	go func() {
		// Writes of random sizes, so chunks straddle every boundary.
		r := mrand.New(mrand.NewPCG(seed, 1))
		for rest := want; len(rest) > 0; {
			n := min(1+r.IntN(100<<10), len(rest))
			if _, err := c.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("seed %d: echoed %d bytes differ from the %d sent", seed, len(got), len(want))
	}
	s := p.Stats()
	if s.Conns != 1 || s.ToServer.Bytes != int64(len(want)) || s.ToClient.Bytes != int64(len(want)) {
		t.Errorf("stats %+v: want 1 connection and %d bytes each way", s, len(want))
	}
}

func TestDelayIsAddedInEachDirection(t *testing.T) {
	const delay = 20 * time.Millisecond
	p := startProxy(t, startServer(t, echo), Config{Delay: delay})
	c := dial(t, p)
	buf := make([]byte, 1)
	for i := range 5 {
		start := time.Now()
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		// A lower bound only: a loaded machine may be slower, never faster.
		if rtt := time.Since(start); rtt < 2*delay {
			t.Errorf("round trip %d took %v, less than 2×%v", i, rtt, delay)
		}
		if buf[0] != byte(i) {
			t.Errorf("round trip %d echoed %d", i, buf[0])
		}
	}
}

func TestManyChunksInFlightAtOnce(t *testing.T) {
	// 50 separate writes through a 200 ms delay: a proxy that delivered
	// one chunk per delay would need 10 s; a timestamped queue needs
	// about 200 ms plus the 50 ms spent writing.
	const delay = 200 * time.Millisecond
	const writes = 50
	p := startProxy(t, startServer(t, echo), Config{Delay: delay})
	c := dial(t, p)
	start := time.Now()
	go func() {
		for i := range writes {
			c.Write([]byte{byte(i)})
			time.Sleep(time.Millisecond)
		}
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if len(got) != writes {
		t.Fatalf("got %d bytes, want %d", len(got), writes)
	}
	for i, b := range got {
		if b != byte(i) {
			t.Fatalf("byte %d is %d: out of order", i, b)
		}
	}
	if elapsed < 2*delay {
		t.Errorf("echo took %v, less than the round trip 2×%v", elapsed, delay)
	}
	if elapsed > 5*time.Second {
		t.Errorf("echo of %d writes took %v: chunks are not in flight together", writes, elapsed)
	}
}

func TestRateCapsBandwidth(t *testing.T) {
	const rate = 1 << 20 // bytes per second
	const size = 300 << 10
	p := startProxy(t, startServer(t, func(c *net.TCPConn) {
		io.Copy(io.Discard, c)
		c.Write([]byte("done"))
	}), Config{Rate: rate})
	c := dial(t, p)
	start := time.Now()
	if _, err := c.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	if reply, err := io.ReadAll(c); err != nil || string(reply) != "done" {
		t.Fatalf("reply %q, %v", reply, err)
	}
	// 300 KiB at 1 MiB/s is about 293 ms; allow for the last chunk.
	if elapsed, min := time.Since(start), time.Duration(size-chunkSize)*time.Second/rate; elapsed < min {
		t.Errorf("%d bytes at %d B/s took %v, less than %v", size, rate, elapsed, min)
	}
}

func TestHalfCloseIsForwarded(t *testing.T) {
	p := startProxy(t, startServer(t, func(c *net.TCPConn) {
		req, err := io.ReadAll(c) // until the client's half-close
		if err != nil {
			return
		}
		c.Write(append([]byte("got "), req...))
	}), Config{Delay: time.Millisecond})
	c := dial(t, p)
	c.Write([]byte("request"))
	c.CloseWrite()
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(reply) != "got request" {
		t.Errorf("reply %q, want %q", reply, "got request")
	}
}

func TestCloseCutsConnections(t *testing.T) {
	p := startProxy(t, startServer(t, echo), Config{Delay: time.Millisecond})
	c := dial(t, p)
	c.Write([]byte("x"))
	buf := make([]byte, 1)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(buf); err == nil {
		t.Fatalf("read after Close: %v, want the connection cut", err)
	}
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Error("the proxy still accepts after Close")
	}
}

func TestTurnaroundsCountClientWaits(t *testing.T) {
	// The server greets first, as SSH does; then each 1-byte ping follows
	// a reply, so each is one turnaround.
	const pings = 7
	p := startProxy(t, startServer(t, func(c *net.TCPConn) {
		c.Write([]byte("hello"))
		echo(c)
	}), Config{Delay: time.Millisecond})
	c := dial(t, p)
	greeting := make([]byte, 5)
	if _, err := io.ReadFull(c, greeting); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	for i := range pings {
		c.Write([]byte{byte(i)})
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.Stats().Turnarounds; got != pings {
		t.Errorf("turnarounds = %d, want %d", got, pings)
	}
}

func TestTargetDownClosesClient(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	target := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := startProxy(t, target, Config{})
	c := dial(t, p)
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from a proxy whose target is down", n)
	}
}

func TestStatsSub(t *testing.T) {
	a := Stats{Conns: 3, ToServer: DirStats{Bytes: 100, Reads: 10, Packets: 7}, ToClient: DirStats{Bytes: 50, Reads: 5, Packets: 4}, Turnarounds: 6, Ciphers: []string{"x"}}
	b := Stats{Conns: 1, ToServer: DirStats{Bytes: 40, Reads: 4, Packets: 2}, ToClient: DirStats{Bytes: 10, Reads: 1, Packets: 1}, Turnarounds: 2}
	d := a.Sub(b)
	if d.Conns != 2 || d.ToServer != (DirStats{60, 6, 5}) || d.ToClient != (DirStats{40, 4, 3}) || d.Turnarounds != 4 || len(d.Ciphers) != 1 {
		t.Errorf("Sub = %+v", d)
	}
}

func TestListenRejectsNegativeConfig(t *testing.T) {
	if _, err := Listen("127.0.0.1:0", "127.0.0.1:1", Config{Delay: -1}); err == nil {
		t.Error("negative delay accepted")
	}
}
