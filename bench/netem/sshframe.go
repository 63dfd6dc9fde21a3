package netem

// This file counts SSH binary packets (RFC 4253 section 6) in one
// direction of a connection. Before NEWKEYS packets are clear text; after
// it, the 4-byte packet length stays in clear text for AES-GCM (RFC 5647,
// OpenSSH's aes*-gcm@openssh.com) and for encrypt-then-MAC MACs, so the
// packets can still be delimited. chacha20-poly1305 and encrypt-and-MAC
// encrypt the length: such a direction becomes opaque and is not counted.
//
// A framer is used by its direction's reader goroutine only; the
// negotiation it shares with the other direction is guarded by
// negotiation.mu.

import (
	"encoding/binary"
	"strings"
	"sync"
)

const (
	msgKexInit = 20
	msgNewKeys = 21
	// maxPacket is a sanity bound on packet_length: anything larger means
	// we lost the framing (RFC 4253 requires 35000 to be supported;
	// OpenSSH accepts up to 256 KiB).
	maxPacket = 256 << 10
	// maxVersionLine bounds the bytes before the identification string.
	maxVersionLine = 64 << 10
)

// negotiation holds both sides' algorithm lists from their KEXINIT.
type negotiation struct {
	mu     sync.Mutex
	client [][]string // guarded by mu: the ten name-lists of the client's KEXINIT
	server [][]string // guarded by mu: the same for the server
}

// algorithm returns the algorithm negotiated for list index i (RFC 4253
// 7.1: the first of the client's names that the server also lists), or
// "" if unknown.
func (n *negotiation) algorithm(i int) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.client) <= i || len(n.server) <= i {
		return ""
	}
	for _, name := range n.client[i] {
		for _, s := range n.server[i] {
			if name == s {
				return name
			}
		}
	}
	return ""
}

type framerState int

const (
	stateVersion   framerState = iota // before the identification line
	stateClear                        // clear-text packets
	stateEncrypted                    // packets with a clear-text length
	stateOpaque                       // framing unknown: stop counting
)

// sshFramer delimits and counts the packets of one direction.
type sshFramer struct {
	neg      *negotiation
	toServer bool
	ctr      *counters
	dir      *dirCounters
	opaque   func() // called when the direction becomes opaque

	state  framerState
	buf    []byte // partial line, packet (clear) or length (encrypted)
	skip   int    // encrypted: bytes of the current packet still to skip
	macLen int    // encrypted: bytes after the packet (tag or MAC)
}

func newSSHFramer(neg *negotiation, toServer bool, ctr *counters, opaque func()) *sshFramer {
	dir := &ctr.toClient
	if toServer {
		dir = &ctr.toServer
	}
	return &sshFramer{neg: neg, toServer: toServer, ctr: ctr, dir: dir, opaque: opaque}
}

// feed consumes the next bytes of the stream.
func (f *sshFramer) feed(p []byte) {
	for len(p) > 0 {
		switch f.state {
		case stateOpaque:
			return
		case stateVersion:
			p = f.feedVersion(p)
		case stateClear:
			p = f.feedClear(p)
		case stateEncrypted:
			p = f.feedEncrypted(p)
		}
	}
}

func (f *sshFramer) setOpaque() {
	f.state = stateOpaque
	f.buf = nil
	f.opaque()
}

// feedVersion skips lines until the "SSH-" identification line.
func (f *sshFramer) feedVersion(p []byte) []byte {
	for i, b := range p {
		if b != '\n' {
			continue
		}
		line := string(append(f.buf, p[:i]...))
		f.buf = f.buf[:0]
		if strings.HasPrefix(line, "SSH-") {
			f.state = stateClear
		}
		return p[i+1:]
	}
	f.buf = append(f.buf, p...)
	if len(f.buf) > maxVersionLine {
		f.setOpaque()
	}
	return nil
}

// feedClear buffers one clear-text packet at a time and looks at the
// KEXINIT and NEWKEYS messages.
func (f *sshFramer) feedClear(p []byte) []byte {
	need := 4
	if len(f.buf) >= 4 {
		length := binary.BigEndian.Uint32(f.buf)
		if length < 5 || length > maxPacket {
			f.setOpaque()
			return nil
		}
		need = 4 + int(length)
	}
	take := min(need-len(f.buf), len(p))
	f.buf = append(f.buf, p[:take]...)
	p = p[take:]
	if len(f.buf) < need || need == 4 {
		return p
	}
	pkt := f.buf
	f.buf = nil
	f.dir.packets.Add(1)
	padding := int(pkt[4])
	if 5+padding > len(pkt) {
		f.setOpaque()
		return nil
	}
	payload := pkt[5 : len(pkt)-padding]
	if len(payload) == 0 {
		return p
	}
	switch payload[0] {
	case msgKexInit:
		f.recordKexInit(payload)
	case msgNewKeys:
		f.startEncryption()
	}
	return p
}

// recordKexInit stores this side's algorithm name-lists.
func (f *sshFramer) recordKexInit(payload []byte) {
	b := payload[1:]
	if len(b) < 16 {
		return
	}
	b = b[16:] // cookie
	lists := make([][]string, 0, 10)
	for range 10 {
		if len(b) < 4 {
			return
		}
		n := int(binary.BigEndian.Uint32(b))
		if len(b) < 4+n {
			return
		}
		lists = append(lists, strings.Split(string(b[4:4+n]), ","))
		b = b[4+n:]
	}
	f.neg.mu.Lock()
	if f.toServer {
		f.neg.client = lists
	} else {
		f.neg.server = lists
	}
	f.neg.mu.Unlock()
}

// macLengths are the tag sizes of the encrypt-then-MAC algorithms, whose
// packet length is sent in clear.
var macLengths = map[string]int{
	"hmac-sha2-256-etm@openssh.com": 32,
	"hmac-sha2-512-etm@openssh.com": 64,
	"hmac-sha1-etm@openssh.com":     20,
	"umac-64-etm@openssh.com":       8,
	"umac-128-etm@openssh.com":      16,
}

// startEncryption switches to the framing of the negotiated cipher and
// MAC, or to opaque when they hide the packet length.
func (f *sshFramer) startEncryption() {
	cipherIdx, macIdx := 3, 5 // server to client
	if f.toServer {
		cipherIdx, macIdx = 2, 4
	}
	cipher := f.neg.algorithm(cipherIdx)
	if f.toServer && cipher != "" {
		f.ctr.addCipher(cipher)
	}
	switch {
	case strings.HasSuffix(cipher, "-gcm@openssh.com"):
		f.macLen = 16
	case strings.HasPrefix(cipher, "aes") && strings.Contains(cipher, "-ctr"):
		mac, ok := macLengths[f.neg.algorithm(macIdx)]
		if !ok {
			f.setOpaque()
			return
		}
		f.macLen = mac
	default:
		f.setOpaque()
		return
	}
	f.state = stateEncrypted
	f.buf = f.buf[:0]
}

// feedEncrypted reads each packet's clear-text length and skips the rest.
func (f *sshFramer) feedEncrypted(p []byte) []byte {
	if f.skip > 0 {
		n := min(f.skip, len(p))
		f.skip -= n
		return p[n:]
	}
	take := min(4-len(f.buf), len(p))
	f.buf = append(f.buf, p[:take]...)
	p = p[take:]
	if len(f.buf) < 4 {
		return p
	}
	length := binary.BigEndian.Uint32(f.buf)
	f.buf = f.buf[:0]
	if length < 5 || length > maxPacket {
		f.setOpaque()
		return nil
	}
	f.dir.packets.Add(1)
	f.skip = int(length) + f.macLen
	return p
}
