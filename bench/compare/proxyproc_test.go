package main

// Tests of the proxy run as a child process (bench/netem/cmd/netem
// -control): it forwards, reports its counters over the pipe, and stops
// when told.

import (
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/netvfs/netvfs/bench/netem"
)

func TestProxyProcessForwardsAndCounts(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "netem")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/netvfs/netvfs/bench/netem/cmd/netem").CombinedOutput(); err != nil {
		t.Fatalf("building netem: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	const delay = 20 * time.Millisecond
	p, err := startProxy(bin, ln.Addr().String(), netem.Config{Delay: delay})
	if err != nil {
		t.Fatal(err)
	}
	if p.Port() == 0 || p.Addr() == "" {
		t.Fatalf("proxy at %q port %d", p.Addr(), p.Port())
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Write([]byte("hello"))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo %q, %v", buf, err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip %v through a proxy delaying %v each way", rtt, delay)
	}
	c.Close()
	s := p.Stats()
	if s.Conns != 1 || s.ToServer.Bytes != 5 || s.ToClient.Bytes != 5 {
		t.Errorf("stats %+v: want 1 connection, 5 bytes each way", s)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if s := p.Stats(); s.OpaqueConns != -1 {
		t.Errorf("stats from a closed proxy: %+v, want the unreadable marker", s)
	}
}

func TestContains(t *testing.T) {
	server := map[string]int64{"a": 1, "d": -1, "d/b": 2, ".git": -1}
	if !contains(server, map[string]int64{"a": 1, "d/b": 2}) {
		t.Error("a subset with equal sizes is not contained")
	}
	if contains(server, map[string]int64{"a": 2}) || contains(server, map[string]int64{"c": 0}) {
		t.Error("a different size or a missing name is contained")
	}
}
