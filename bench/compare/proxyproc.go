package main

// This file runs the latency proxy (bench/netem/cmd/netem -control) as a
// child process, so that the benchmark's own goroutines (16 workers in
// blocking FUSE calls) cannot delay the proxy's, and talks to it over its
// standard input and output. proxyProc.mu serialises the conversation.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/netvfs/netvfs/bench/netem"
)

// proxyProc is a running proxy process.
type proxyProc struct {
	cmd  *exec.Cmd
	addr string
	port int

	mu  sync.Mutex
	in  io.WriteCloser // guarded by mu
	out *bufio.Reader  // guarded by mu
}

// startProxy starts bin (the netem command) forwarding to target.
func startProxy(bin, target string, cfg netem.Config) (*proxyProc, error) {
	args := []string{"-control", "-listen", "127.0.0.1:0", "-target", target, "-delay", cfg.Delay.String()}
	if cfg.Rate > 0 {
		args = append(args, "-rate", fmt.Sprint(cfg.Rate))
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proxyProc{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	line, err := p.out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		p.Close()
		return nil, fmt.Errorf("netem did not start: %q, %v", line, err)
	}
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.addr, p.port = addr, tcp.Port
	return p, nil
}

func (p *proxyProc) Addr() string { return p.addr }
func (p *proxyProc) Port() int    { return p.port }

// Stats asks the proxy for its counters; on failure it returns counters
// marked unreadable (OpaqueConns -1), which the report shows as n/a.
func (p *proxyProc) Stats() netem.Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s netem.Stats
	if _, err := io.WriteString(p.in, "stats\n"); err != nil {
		return netem.Stats{OpaqueConns: -1}
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &s) != nil {
		return netem.Stats{OpaqueConns: -1}
	}
	return s
}

// Close stops the proxy (the end of its input) and waits for it.
func (p *proxyProc) Close() error {
	p.mu.Lock()
	p.in.Close()
	p.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		return <-done
	}
}
