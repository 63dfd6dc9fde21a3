// Package netem is a latency-injecting TCP proxy for benchmarks: it makes a
// server on loopback behave like one across a LAN (0.5 ms round trip), a
// region (5 ms) or a continent (30 ms), without kernel netem or root.
//
// Every accepted connection is forwarded to one target address. Each
// direction is a timestamped queue: a chunk read at time t is written at
// t+Delay, so many chunks are in flight at once and throughput is not
// limited to one chunk per delay (the queue holds a bandwidth-delay
// product, as a real link does). An optional Rate caps each direction's
// bandwidth: a chunk then also waits for the link to serialise the chunks
// ahead of it.
//
// The proxy counts what crosses it (Stats). For SSH connections it also
// parses the packet framing, which stays in clear text for the ciphers
// whose packet length is not encrypted (AES-GCM, and MACs in
// encrypt-then-MAC mode), and so counts SSH packets: client-to-server
// packets approximate SFTP requests. It also counts client turnarounds:
// data the client sends after the server spoke since the client last
// sent, which approximates the round trips a client waited for.
package netem
