package netem

// Tests of SSH packet counting: synthetic streams fed in every chunking,
// and a real golang.org/x/crypto/ssh handshake through the proxy, where N
// global requests must show up as exactly N packets each way.

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// clearPacket frames payload as a clear-text SSH packet (4 bytes of
// padding).
func clearPacket(payload []byte) []byte {
	const padding = 4
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+padding))
	b = append(b, padding)
	b = append(b, payload...)
	return append(b, make([]byte, padding)...)
}

// kexInit builds a KEXINIT payload with the given ciphers and MACs (both
// directions alike).
func kexInit(ciphers, macs string) []byte {
	b := []byte{msgKexInit}
	b = append(b, make([]byte, 16)...)
	for _, list := range []string{"curve25519-sha256", "ssh-ed25519", ciphers, ciphers, macs, macs, "none", "none", "", ""} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(list)))
		b = append(b, list...)
	}
	return append(b, 0, 0, 0, 0, 0)
}

// encryptedPacket frames an opaque body of n bytes with a clear length and
// a tag of macLen bytes.
func encryptedPacket(n, macLen int) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(n))
	return append(b, make([]byte, n+macLen)...)
}

// stream builds one direction in two parts: banner lines, identification
// and KEXINIT; then a KEX message, NEWKEYS and encrypted packets of the
// given body sizes.
func stream(ciphers, macs string, macLen int, bodies []int) [2][]byte {
	hello := []byte("a banner line\r\nSSH-2.0-test\r\n")
	hello = append(hello, clearPacket(kexInit(ciphers, macs))...)
	rest := clearPacket([]byte{30, 1, 2, 3})
	rest = append(rest, clearPacket([]byte{msgNewKeys})...)
	for _, n := range bodies {
		rest = append(rest, encryptedPacket(n, macLen)...)
	}
	return [2][]byte{hello, rest}
}

// feedIn feeds the client and server streams in chunks of size step, both
// KEXINITs before the rest (as on a real connection, where neither side
// sends NEWKEYS before it has the other's KEXINIT), and returns the
// counters.
func feedIn(client, server [2][]byte, step int) *counters {
	ctr := &counters{}
	neg := &negotiation{}
	var opaque sync.Once
	mark := func() { opaque.Do(func() { ctr.opaque.Add(1) }) }
	up := newSSHFramer(neg, true, ctr, mark)
	down := newSSHFramer(neg, false, ctr, mark)
	feed := func(f *sshFramer, b []byte) {
		for len(b) > 0 {
			n := min(step, len(b))
			f.feed(b[:n])
			b = b[n:]
		}
	}
	for part := range 2 {
		feed(down, server[part])
		feed(up, client[part])
	}
	return ctr
}

func TestSSHFramerCountsPackets(t *testing.T) {
	bodies := []int{16, 32, 48, 1024, 32768 + 64, 16}
	const handshake = 3 // KEXINIT, KEX message, NEWKEYS
	cases := []struct {
		name          string
		client, srv   string // cipher lists
		macs          string
		macLen        int
		want          string // negotiated cipher
		opaque        bool
		clientPackets int64
	}{
		{"aes-gcm", "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com", "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com", "hmac-sha2-256", 16, "aes128-gcm@openssh.com", false, handshake + int64(len(bodies))},
		{"ctr-etm", "aes128-ctr", "aes128-ctr", "hmac-sha2-256-etm@openssh.com", 32, "aes128-ctr", false, handshake + int64(len(bodies))},
		{"chacha", "chacha20-poly1305@openssh.com", "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com", "hmac-sha2-256", 16, "chacha20-poly1305@openssh.com", true, handshake},
		{"ctr-encrypt-and-mac", "aes128-ctr", "aes128-ctr", "hmac-sha2-256", 32, "aes128-ctr", true, handshake},
	}
	for _, tc := range cases {
		for _, step := range []int{1, 3, 7, 4096, 1 << 20} {
			client := stream(tc.client, tc.macs, tc.macLen, bodies)
			server := stream(tc.srv, tc.macs, tc.macLen, nil)
			ctr := feedIn(client, server, step)
			s := ctr.snapshot()
			if s.ToServer.Packets != tc.clientPackets {
				t.Errorf("%s, step %d: %d client packets, want %d", tc.name, step, s.ToServer.Packets, tc.clientPackets)
			}
			if s.ToClient.Packets != handshake {
				t.Errorf("%s, step %d: %d server packets, want %d", tc.name, step, s.ToClient.Packets, handshake)
			}
			if (s.OpaqueConns == 1) != tc.opaque {
				t.Errorf("%s, step %d: opaque = %d, want %v", tc.name, step, s.OpaqueConns, tc.opaque)
			}
			if len(s.Ciphers) != 1 || s.Ciphers[0] != tc.want {
				t.Errorf("%s, step %d: ciphers %v, want [%s]", tc.name, step, s.Ciphers, tc.want)
			}
		}
	}
}

func TestSSHFramerGivesUpOnGarbage(t *testing.T) {
	ctr := feedIn([2][]byte{[]byte(strings.Repeat("x", maxVersionLine+10))}, [2][]byte{[]byte("SSH-2.0-x\r\n\xff\xff\xff\xff")}, 100)
	s := ctr.snapshot()
	if s.OpaqueConns != 1 || s.ToServer.Packets != 0 || s.ToClient.Packets != 0 {
		t.Errorf("garbage counted: %+v", s)
	}
}

// sshServer accepts SSH connections and refuses every global request.
func sshServer(t *testing.T) string {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{NoClientAuth: true}
	cfg.AddHostKey(signer)
	return startServer(t, func(c *net.TCPConn) {
		_, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		go ssh.DiscardRequests(reqs)
		for ch := range chans {
			ch.Reject(ssh.Prohibited, "no channels")
		}
	})
}

func TestSSHPacketsThroughProxy(t *testing.T) {
	const requests = 25
	for _, tc := range []struct {
		cipher, mac string
		counted     bool
	}{
		{ssh.CipherAES128GCM, ssh.HMACSHA256, true},
		{ssh.CipherAES128CTR, ssh.HMACSHA256ETM, true},
		{ssh.CipherChaCha20Poly1305, ssh.HMACSHA256, false},
	} {
		t.Run(tc.cipher, func(t *testing.T) {
			p := startProxy(t, sshServer(t), Config{})
			nc := dial(t, p)
			cfg := &ssh.ClientConfig{User: "u", HostKeyCallback: ssh.InsecureIgnoreHostKey()}
			cfg.Ciphers = []string{tc.cipher}
			cfg.MACs = []string{tc.mac}
			conn, chans, reqs, err := ssh.NewClientConn(nc, p.Addr(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			client := ssh.NewClient(conn, chans, reqs)
			defer client.Close()
			before := p.Stats()
			for range requests {
				if ok, _, err := client.SendRequest("ping@netvfs", true, nil); err != nil || ok {
					t.Fatalf("request: %v, %v", ok, err)
				}
			}
			d := p.Stats().Sub(before)
			if !tc.counted {
				if d.ToServer.Packets != 0 || p.Stats().OpaqueConns != 1 {
					t.Errorf("%s: counted %d packets on an opaque connection", tc.cipher, d.ToServer.Packets)
				}
				return
			}
			if d.ToServer.Packets != requests || d.ToClient.Packets != requests {
				t.Errorf("%s: %d requests made %d packets up and %d down, want %d each", tc.cipher, requests, d.ToServer.Packets, d.ToClient.Packets, requests)
			}
			if got := p.Stats().Ciphers; len(got) != 1 || got[0] != tc.cipher {
				t.Errorf("ciphers %v, want [%s]", got, tc.cipher)
			}
			if d.Turnarounds != requests {
				t.Errorf("%d sequential requests made %d turnarounds", requests, d.Turnarounds)
			}
		})
	}
}
