package sshtest

// This file generates the throwaway key material of one test server: its
// ed25519 host key, the ed25519 client key it authorises, and the
// known_hosts line that lets a client verify the host key. Nothing here is
// shared between goroutines.

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// keyPair is one generated ed25519 key: its OpenSSH private key file and
// its public half.
type keyPair struct {
	privPath string
	pub      ssh.PublicKey
}

// writeKeyPair generates an ed25519 key, writes the private key in OpenSSH
// format to path with mode 0600 (sshd ignores group- or world-readable host
// keys) and the public key to path+".pub".
func writeKeyPair(path, comment string) (keyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return keyPair{}, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return keyPair{}, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return keyPair{}, err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sshPub), 0o644); err != nil {
		return keyPair{}, err
	}
	return keyPair{privPath: path, pub: sshPub}, nil
}

// serverKeys is the key material of one server, kept across Restart so that
// clients keep trusting it.
type serverKeys struct {
	host   keyPair
	client keyPair
}

// generateKeys writes a host key, a client key and authorized_keys into dir.
func generateKeys(dir string) (serverKeys, error) {
	host, err := writeKeyPair(filepath.Join(dir, "ssh_host_ed25519_key"), "sshtest host key")
	if err != nil {
		return serverKeys{}, fmt.Errorf("sshtest: host key: %w", err)
	}
	client, err := writeKeyPair(filepath.Join(dir, "id_ed25519"), "sshtest client key")
	if err != nil {
		return serverKeys{}, fmt.Errorf("sshtest: client key: %w", err)
	}
	authorized := ssh.MarshalAuthorizedKey(client.pub)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), authorized, 0o600); err != nil {
		return serverKeys{}, fmt.Errorf("sshtest: authorized_keys: %w", err)
	}
	return serverKeys{host: host, client: client}, nil
}
