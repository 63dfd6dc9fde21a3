package netem

// This file holds the proxy's counters. They are atomics updated by the
// forwarding goroutines and read by Stats at any time; the set of ciphers
// seen is guarded by counters.mu.

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Stats is a snapshot of what crossed a proxy since it started.
type Stats struct {
	// Conns is the number of connections accepted.
	Conns int64
	// ToServer and ToClient count each direction.
	ToServer, ToClient DirStats
	// Turnarounds counts client-to-server reads that came after the
	// server had delivered data to the client since the client's previous
	// read: an estimate of the round trips clients waited for. A client
	// that pipelines N requests makes one turnaround, not N.
	Turnarounds int64
	// OpaqueConns is the number of connections whose SSH packets could not
	// be counted (not SSH, or a cipher that encrypts the packet length,
	// such as chacha20-poly1305). Once a direction is opaque its packets
	// are no longer counted (its handshake packets are).
	OpaqueConns int64
	// Ciphers lists the client-to-server SSH ciphers negotiated, sorted.
	Ciphers []string
}

// DirStats counts one direction of all connections.
type DirStats struct {
	// Bytes forwarded.
	Bytes int64
	// Reads is the number of chunks read from the source (TCP segments
	// or coalesced groups of them).
	Reads int64
	// Packets is the number of complete SSH binary packets seen
	// (handshake included) on connections whose framing is readable.
	Packets int64
}

// Sub returns s minus an earlier snapshot t: what crossed in between.
// Ciphers are those of s.
func (s Stats) Sub(t Stats) Stats {
	return Stats{
		Conns:       s.Conns - t.Conns,
		ToServer:    s.ToServer.sub(t.ToServer),
		ToClient:    s.ToClient.sub(t.ToClient),
		Turnarounds: s.Turnarounds - t.Turnarounds,
		OpaqueConns: s.OpaqueConns - t.OpaqueConns,
		Ciphers:     s.Ciphers,
	}
}

func (d DirStats) sub(e DirStats) DirStats {
	return DirStats{Bytes: d.Bytes - e.Bytes, Reads: d.Reads - e.Reads, Packets: d.Packets - e.Packets}
}

// dirCounters are the live counters of one direction.
type dirCounters struct {
	bytes, reads, packets atomic.Int64
}

func (d *dirCounters) snapshot() DirStats {
	return DirStats{Bytes: d.bytes.Load(), Reads: d.reads.Load(), Packets: d.packets.Load()}
}

// counters are a proxy's live counters.
type counters struct {
	conns, turnarounds, opaque atomic.Int64
	toServer, toClient         dirCounters

	mu      sync.Mutex
	ciphers map[string]bool // guarded by mu
}

func (c *counters) addCipher(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ciphers == nil {
		c.ciphers = make(map[string]bool)
	}
	c.ciphers[name] = true
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	var ciphers []string
	for name := range c.ciphers {
		ciphers = append(ciphers, name)
	}
	c.mu.Unlock()
	slices.Sort(ciphers)
	return Stats{
		Conns:       c.conns.Load(),
		ToServer:    c.toServer.snapshot(),
		ToClient:    c.toClient.snapshot(),
		Turnarounds: c.turnarounds.Load(),
		OpaqueConns: c.opaque.Load(),
		Ciphers:     ciphers,
	}
}
