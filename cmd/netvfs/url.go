package main

// Filesystem URLs: what `netvfs mount` (and any other subcommand) accepts as
// the filesystem to work on, and the driver each one opens.
//
//	(none) or mem:           a fresh in-memory filesystem (fs/memfs)
//	local:/path or /path     a local directory (fs/localfs)
//	sftp://[user@]host[:port][/path]   an SFTP server (fs/sftpfs)
//
// No shared state.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/netvfs/netvfs/fs/localfs"
	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/fs/sftpfs"
	"github.com/netvfs/netvfs/vfs"
)

// sshOptions are the flags that concern sftp:// URLs.
type sshOptions struct {
	identityFiles  stringList
	knownHosts     string
	acceptNewKey   bool
	ignoreHostKey  bool
	sshConfig      string
	connectTimeout time.Duration
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// filesystem is an opened driver and how to let go of it.
type filesystem struct {
	driver vfs.Driver
	name   string // for messages and the mount's fsname
	close  func() error
	// private reports that nothing but this process can change the
	// filesystem (memfs): the exclusive revalidation policy is then exact.
	private bool
}

// openURL opens the driver for a filesystem URL. Unknown schemes and
// malformed URLs are usage errors; a URL that names something that cannot
// be reached is an ordinary error.
func openURL(ctx context.Context, raw string, ssh sshOptions) (*filesystem, error) {
	none := func() error { return nil }
	switch {
	case raw == "" || raw == "mem:" || raw == "memfs:":
		// The root belongs to whoever mounts, as a fresh tmpfs would.
		m := memfs.New(memfs.Options{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())})
		return &filesystem{driver: m.Driver(), name: "memfs", close: none, private: true}, nil
	case strings.HasPrefix(raw, "sftp://"):
		opts := sftpfs.Options{
			IdentityFiles:         ssh.identityFiles,
			KnownHostsFile:        ssh.knownHosts,
			AcceptNewHostKey:      ssh.acceptNewKey,
			InsecureIgnoreHostKey: ssh.ignoreHostKey,
			ConfigFile:            ssh.sshConfig,
			Timeout:               ssh.connectTimeout,
		}
		dctx := ctx
		if ssh.connectTimeout > 0 {
			var cancel context.CancelFunc
			dctx, cancel = context.WithTimeout(ctx, ssh.connectTimeout)
			defer cancel()
		}
		s, err := sftpfs.Dial(dctx, raw, opts)
		if err != nil {
			return nil, fmt.Errorf("connecting to %s: %w", raw, err)
		}
		return &filesystem{driver: s, name: raw, close: s.Close}, nil
	case strings.HasPrefix(raw, "local:"):
		return openLocal(strings.TrimPrefix(raw, "local:"))
	case strings.Contains(raw, "://"):
		scheme, _, _ := strings.Cut(raw, "://")
		return nil, usagef("unknown URL scheme %q in %q (known: sftp://, local:, mem:)", scheme, raw)
	}
	return openLocal(raw)
}

// openLocal opens a local directory with localfs.
func openLocal(dir string) (*filesystem, error) {
	if dir == "" {
		return nil, usagef("local: needs a directory (local:/path)")
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("source directory: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("source %s is not a directory", dir)
	}
	l, err := localfs.New(dir)
	if err != nil {
		return nil, err
	}
	return &filesystem{driver: l, name: dir, close: l.Close}, nil
}
