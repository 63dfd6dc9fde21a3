package sftpfs

// This file holds Options and resolves a URL plus the user's ssh_config
// into the target to dial: host, port, user, remote root path, identity
// files and known_hosts files. It runs once, in Dial; nothing is shared.

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"
)

// Options configures Dial. The zero value is the OpenSSH defaults: keys
// from ssh-agent and ~/.ssh/id_{ed25519,ecdsa,rsa}, host keys checked
// against ~/.ssh/known_hosts, ~/.ssh/config honoured.
type Options struct {
	// IdentityFiles are private key files tried before the defaults
	// (passphrase-protected keys are skipped: load them into ssh-agent).
	IdentityFiles []string
	// KnownHostsFile replaces ~/.ssh/known_hosts (and any
	// UserKnownHostsFile from the ssh config) for host-key checks, and is
	// where AcceptNewHostKey records new keys.
	KnownHostsFile string
	// AcceptNewHostKey accepts and records the key of a host that has no
	// key in known_hosts yet (OpenSSH StrictHostKeyChecking=accept-new).
	// A changed key is still rejected.
	AcceptNewHostKey bool
	// InsecureIgnoreHostKey skips host-key verification altogether. Only
	// set it when the user asked for it explicitly.
	InsecureIgnoreHostKey bool
	// ConfigFile is the ssh_config(5) file consulted for HostName, User,
	// Port, IdentityFile and UserKnownHostsFile of the URL's host:
	// "" means ~/.ssh/config (if it exists), "none" means no file.
	ConfigFile string
	// NoAgent disables ssh-agent (SSH_AUTH_SOCK).
	NoAgent bool
	// Timeout bounds each driver call (and each connection attempt)
	// without a reply: the call fails with ETIMEDOUT. Default 30s.
	Timeout time.Duration
	// KeepaliveInterval is how often an idle-or-not connection is probed
	// (OpenSSH ServerAliveInterval); KeepaliveCountMax unanswered probes
	// in a row mark the connection dead. Defaults 15s and 3; a negative
	// interval disables keepalives.
	KeepaliveInterval time.Duration
	KeepaliveCountMax int
	// MaxInflight bounds the requests one ReadAt keeps in flight, and the
	// unanswered WRITEs of one open file (writes are sent behind: a
	// failure is reported by the next write, flush, fsync or close).
	// Default 64.
	MaxInflight int

	// trace, if set, sees every packet sent and received (tests).
	trace func(traceEvent)
}

const (
	defaultTimeout           = 30 * time.Second
	defaultKeepaliveInterval = 15 * time.Second
	defaultKeepaliveCountMax = 3
	defaultMaxInflight       = 64
)

func (o *Options) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.KeepaliveInterval == 0 {
		o.KeepaliveInterval = defaultKeepaliveInterval
	}
	if o.KeepaliveCountMax <= 0 {
		o.KeepaliveCountMax = defaultKeepaliveCountMax
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = defaultMaxInflight
	}
}

// target is where Dial connects, after the ssh config is applied.
type target struct {
	alias         string // host as written in the URL
	host          string // HostName
	port          string
	user          string
	path          string // remote root as written ("" = login directory)
	identityFiles []string
	knownHosts    []string // files consulted for host keys
	knownHostsAdd string   // file AcceptNewHostKey appends to
}

// addr is host:port for dialing and for known_hosts.
func (t *target) addr() string { return net.JoinHostPort(t.host, t.port) }

// resolveTarget parses sftp://[user@]host[:port][/path] and applies the ssh
// config.
func resolveTarget(rawURL string, opts *Options) (*target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("sftpfs: bad URL %q: %w", rawURL, err)
	}
	if u.Scheme != "sftp" || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("sftpfs: bad URL %q: want sftp://[user@]host[:port][/path]", rawURL)
	}
	t := &target{alias: u.Hostname(), host: u.Hostname(), port: u.Port(), path: u.Path}
	if u.User != nil {
		t.user = u.User.Username()
	}
	home, _ := os.UserHomeDir()
	local := localUser()

	cfg, err := loadSSHConfig(opts.ConfigFile, home)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		get := func(key string) string { v, _ := cfg.Get(t.alias, key); return v }
		expand := func(s string) string { return expandTokens(s, home, local, t) }
		if v := get("HostName"); v != "" {
			t.host = expand(v)
		}
		if v := get("User"); v != "" && t.user == "" {
			t.user = v
		}
		if v := get("Port"); v != "" && t.port == "" {
			t.port = v
		}
		if t.user == "" {
			t.user = local
		}
		files, _ := cfg.GetAll(t.alias, "IdentityFile")
		for _, f := range files {
			t.identityFiles = append(t.identityFiles, expand(f))
		}
		if v := get("UserKnownHostsFile"); v != "" && opts.KnownHostsFile == "" {
			for _, f := range strings.Fields(v) {
				if f != "/dev/null" && f != "none" {
					t.knownHosts = append(t.knownHosts, expand(f))
				}
			}
		}
	}
	if t.user == "" {
		t.user = local
	}
	if t.port == "" {
		t.port = "22"
	}
	switch {
	case opts.KnownHostsFile != "":
		t.knownHosts = []string{opts.KnownHostsFile}
	case len(t.knownHosts) == 0 && home != "":
		t.knownHosts = []string{filepath.Join(home, ".ssh", "known_hosts")}
	}
	if len(t.knownHosts) > 0 {
		t.knownHostsAdd = t.knownHosts[0]
	}
	return t, nil
}

// loadSSHConfig reads the ssh config named by Options.ConfigFile.
func loadSSHConfig(name, home string) (*ssh_config.Config, error) {
	explicit := name != ""
	switch {
	case name == "none":
		return nil, nil
	case name == "" && home == "":
		return nil, nil
	case name == "":
		name = filepath.Join(home, ".ssh", "config")
	}
	f, err := os.Open(name)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("sftpfs: ssh config: %w", err)
	}
	defer f.Close()
	cfg, err := ssh_config.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("sftpfs: ssh config %s: %w", name, err)
	}
	return cfg, nil
}

// expandTokens expands ~ and the ssh_config tokens %d (home), %u (local
// user), %h (host), %r (remote user), %p (port) and %%.
func expandTokens(s, home, local string, t *target) string {
	if s == "~" || strings.HasPrefix(s, "~/") {
		s = home + s[1:]
	}
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'd':
			b.WriteString(home)
		case 'u':
			b.WriteString(local)
		case 'h':
			b.WriteString(t.host)
		case 'r':
			b.WriteString(t.user)
		case 'p':
			b.WriteString(t.port)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// localUser is the name of the user running the process.
func localUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}
