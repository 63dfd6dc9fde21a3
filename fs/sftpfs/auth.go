package sftpfs

// This file gathers the public keys a connection authenticates with:
// explicit identity files (Options, then the ssh config), ssh-agent
// (SSH_AUTH_SOCK), then OpenSSH's default key files. Keys are loaded per
// connection attempt; nothing is shared between goroutines.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// defaultIdentityFiles are the key files OpenSSH tries by default.
var defaultIdentityFiles = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// authMethods returns the public-key method for one connection attempt and
// a function releasing the agent connection (call it after the handshake).
// All keys go into one method: x/crypto/ssh tries each method name once.
func authMethods(opts *Options, t *target) ([]ssh.AuthMethod, func(), error) {
	var explicit, defaults []ssh.Signer
	var skipped []string
	load := func(path string, into *[]ssh.Signer) {
		pem, err := os.ReadFile(path)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				skipped = append(skipped, fmt.Sprintf("%s: %v", path, err))
			}
			return
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				skipped = append(skipped, path+": passphrase-protected (load it into ssh-agent)")
			} else {
				skipped = append(skipped, fmt.Sprintf("%s: %v", path, err))
			}
			return
		}
		*into = append(*into, signer)
	}
	for _, f := range opts.IdentityFiles {
		load(f, &explicit)
	}
	for _, f := range t.identityFiles {
		load(f, &explicit)
	}
	if home, err := os.UserHomeDir(); err == nil {
		for _, name := range defaultIdentityFiles {
			load(filepath.Join(home, ".ssh", name), &defaults)
		}
	}

	var agentSigners []ssh.Signer
	release := func() {}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" && !opts.NoAgent {
		if conn, err := net.Dial("unix", sock); err == nil {
			release = func() { conn.Close() }
			if s, err := agent.NewClient(conn).Signers(); err == nil {
				agentSigners = s
			} else {
				skipped = append(skipped, "ssh-agent: "+err.Error())
			}
		} else {
			skipped = append(skipped, "ssh-agent: "+err.Error())
		}
	}

	signers := append(append(explicit, agentSigners...), defaults...)
	if len(signers) == 0 {
		release()
		msg := "sftpfs: no SSH key to authenticate with (ssh-agent, IdentityFiles, ~/.ssh/id_*)"
		if len(skipped) > 0 {
			msg += "; skipped " + strings.Join(skipped, "; ")
		}
		return nil, nil, errors.New(msg)
	}
	return []ssh.AuthMethod{ssh.PublicKeys(signers...)}, release, nil
}
