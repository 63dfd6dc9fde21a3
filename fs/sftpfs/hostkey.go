package sftpfs

// This file verifies server host keys against known_hosts files
// (golang.org/x/crypto/ssh/knownhosts), records new keys under accept-new,
// and explains failures with the host and SHA256 fingerprints.
// hostKeyChecker.mu serialises appends to the known_hosts file; the files
// are re-read on every connection so that a key recorded by one dial is
// known to the next.

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyError reports a host key that is not trusted: unknown (no key for
// the host in known_hosts) or changed (known_hosts has other keys for it).
// It matches syscall.EACCES with errors.Is.
type HostKeyError struct {
	// Host is the address as written in known_hosts ("[127.0.0.1]:2222").
	Host string
	// KeyType and Fingerprint (SHA256:...) describe the key the server
	// offered.
	KeyType     string
	Fingerprint string
	// Known lists the keys known_hosts holds for the host ("file:line
	// type SHA256:..."); empty when the host is unknown.
	Known []string
	// Revoked reports that the offered key is marked @revoked.
	Revoked bool
	// File is the known_hosts file a new key would be added to.
	File string
}

func (e *HostKeyError) Error() string {
	switch {
	case e.Revoked:
		return fmt.Sprintf("sftpfs: host key of %s is REVOKED in known_hosts (%s %s)",
			e.Host, e.KeyType, e.Fingerprint)
	case len(e.Known) == 0:
		return fmt.Sprintf("sftpfs: host key of %s is unknown (%s %s): verify the fingerprint and add it to %s, "+
			"or allow accept-new", e.Host, e.KeyType, e.Fingerprint, e.File)
	default:
		return fmt.Sprintf("sftpfs: HOST KEY OF %s HAS CHANGED: the server offered %s %s but known_hosts has %s; "+
			"someone may be intercepting the connection (or the host key was replaced)",
			e.Host, e.KeyType, e.Fingerprint, strings.Join(e.Known, ", "))
	}
}

// Unwrap makes a host-key failure an EACCES for the core.
func (e *HostKeyError) Unwrap() error { return syscall.EACCES }

// hostKeyChecker verifies host keys for one FS.
type hostKeyChecker struct {
	files     []string // known_hosts files to consult (missing ones are skipped)
	addFile   string   // where accept-new records keys
	acceptNew bool
	insecure  bool

	mu sync.Mutex // serialises appends to addFile
}

// load reads the known_hosts files that exist; nil if none does.
func (c *hostKeyChecker) load() (ssh.HostKeyCallback, error) {
	var existing []string
	for _, f := range c.files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	if len(existing) == 0 {
		return nil, nil
	}
	return knownhosts.New(existing...)
}

// callback is the ssh.HostKeyCallback of one connection attempt.
func (c *hostKeyChecker) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	if c.insecure {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	known, err := c.load()
	if err != nil {
		return err
	}
	keyErr := &knownhosts.KeyError{}
	if known != nil {
		err = known(hostname, remote, key)
		if err == nil {
			return nil
		}
		var revoked *knownhosts.RevokedError
		if errors.As(err, &revoked) {
			return c.describe(hostname, key, nil, true)
		}
		if !errors.As(err, &keyErr) {
			return err
		}
	}
	if len(keyErr.Want) == 0 && c.acceptNew && c.addFile != "" {
		return c.record(hostname, key)
	}
	return c.describe(hostname, key, keyErr.Want, false)
}

func (c *hostKeyChecker) describe(hostname string, key ssh.PublicKey, want []knownhosts.KnownKey, revoked bool) error {
	e := &HostKeyError{
		Host:        knownhosts.Normalize(hostname),
		KeyType:     key.Type(),
		Fingerprint: ssh.FingerprintSHA256(key),
		Revoked:     revoked,
		File:        c.addFile,
	}
	for _, k := range want {
		e.Known = append(e.Known, fmt.Sprintf("%s:%d %s %s", k.Filename, k.Line, k.Key.Type(),
			ssh.FingerprintSHA256(k.Key)))
	}
	return e
}

// record appends key for hostname to the known_hosts file (accept-new).
// The caller holds c.mu.
func (c *hostKeyChecker) record(hostname string, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(c.addFile), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(c.addFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sftpfs: recording host key: %w", err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key)
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("sftpfs: recording host key: %w", err)
	}
	return f.Close()
}

// probeKey is a key no server has: checking it yields the keys known for a
// host.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic(err)
	}
	return k
}()

// algorithms returns the host key algorithms of the keys known for
// hostname, so that the server is asked for a key we can verify (a host
// known by its ed25519 key must not be accepted or rejected on the basis
// of its ECDSA key). nil means no preference.
func (c *hostKeyChecker) algorithms(hostname string, remote net.Addr) []string {
	if c.insecure {
		return nil
	}
	c.mu.Lock()
	known, err := c.load()
	c.mu.Unlock()
	if err != nil || known == nil {
		return nil
	}
	var keyErr *knownhosts.KeyError
	if !errors.As(known(hostname, remote, probeKey), &keyErr) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			algos = append(algos, a)
		}
	}
	for _, k := range keyErr.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512)
			add(ssh.KeyAlgoRSASHA256)
			add(ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algos
}
