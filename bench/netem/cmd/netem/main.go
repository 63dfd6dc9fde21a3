// Command netem runs the latency-injecting TCP proxy of package
// github.com/netvfs/netvfs/bench/netem in the foreground:
//
//	go run ./bench/netem/cmd/netem -listen 127.0.0.1:2222 -target 127.0.0.1:22 -delay 0.5ms [-rate 100Mbit]
//
// Every connection to -listen is forwarded to -target with -delay added in
// each direction (the round trip grows by twice that) and, with -rate, each
// direction capped at that bandwidth. It prints the listening address, and
// on SIGINT or SIGTERM the traffic it counted, then exits.
//
// With -control it is driven by another program (bench/compare runs the
// proxy in a process of its own, so that the benchmark's own work cannot
// delay the proxy's goroutines): its first output line is
// "listening ADDR"; then each line "stats" on standard input is answered
// with the counters as one line of JSON (netem.Stats), and the end of
// standard input stops it.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/bench/netem"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "`address` to listen on")
	target := flag.String("target", "", "`address` to forward to (host:port)")
	delay := flag.Duration("delay", 500*time.Microsecond, "`delay` added in each direction (the round trip grows by twice this)")
	rate := flag.String("rate", "", "cap on each direction's bandwidth, such as 100Mbit, 10MB or 1e6 (bytes per second); empty for none")
	control := flag.Bool("control", false, "answer \"stats\" lines on standard input with JSON; stop at its end")
	flag.Parse()
	if *target == "" || flag.NArg() != 0 || *delay < 0 {
		fmt.Fprintln(os.Stderr, "usage: netem -target host:port [-listen addr] [-delay 0.5ms] [-rate 100Mbit] [-control]")
		os.Exit(2)
	}
	r, err := netem.ParseRate(*rate)
	if err != nil {
		fmt.Fprintf(os.Stderr, "netem: bad -rate: %v\n", err)
		os.Exit(2)
	}
	p, err := netem.Listen(*listen, *target, netem.Config{Delay: *delay, Rate: r})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer p.Close()
	if *control {
		serveControl(p)
		return
	}
	fmt.Printf("netem: listening on %s, forwarding to %s, +%v each way (round trip +%v)", p.Addr(), *target, *delay, 2**delay)
	if r > 0 {
		fmt.Printf(", %d bytes/s each way", r)
	}
	fmt.Println()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	p.Close()
	s := p.Stats()
	fmt.Printf("netem: %d connections; client→server %d bytes in %d reads, %d SSH packets; server→client %d bytes, %d SSH packets; %d turnarounds\n",
		s.Conns, s.ToServer.Bytes, s.ToServer.Reads, s.ToServer.Packets, s.ToClient.Bytes, s.ToClient.Packets, s.Turnarounds)
}

// serveControl answers "stats" lines until standard input ends.
func serveControl(p *netem.Proxy) {
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "listening %s\n", p.Addr())
	out.Flush()
	enc := json.NewEncoder(out)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch strings.TrimSpace(in.Text()) {
		case "stats":
			enc.Encode(p.Stats())
		default:
			fmt.Fprintln(out, `{"error":"unknown command"}`)
		}
		out.Flush()
	}
}
