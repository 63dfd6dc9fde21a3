package main

// This file defines the clients compared: how each mounts the benchmark's
// remote directory through the proxy, whether it is sync or write-back,
// and whether it keeps permission bits. Read-only tables; nothing shared.

import (
	"fmt"
	"strconv"
	"strings"
)

// client is one way of mounting the remote directory.
type client struct {
	Name string
	Mode string // "sync" or "write-back"
	// KeepsPerm is false for clients that do not store permission bits
	// (the tree check then ignores them).
	KeepsPerm bool
	Notes     string
	// argv returns the command that mounts remote (a directory on the
	// server) on mnt in the foreground.
	argv func(e *env, remote, mnt string) []string
	// CacheDir, if set, returns the client's on-disk cache, emptied after
	// every unmount so that each mount starts cold.
	CacheDir func(e *env) string
}

// sshOpts are the ssh(1) options sshfs passes on: our key and known_hosts
// only, never the user's ssh config, and the same cipher the Go clients
// negotiate (AES-GCM), whose packet lengths the proxy can count.
func sshOpts(e *env) []string {
	return []string{
		"-F", "/dev/null", "-p", strconv.Itoa(e.proxy.Port()),
		"-o", "IdentityFile=" + e.srv.KeyFile, "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + e.knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
		"-o", "Ciphers=aes128-gcm@openssh.com",
	}
}

// sshfsCacheOpts are sshfs's caching options as commonly recommended for
// slow links: the kernel keeps file data (kernel_cache, revalidated by
// mtime with auto_cache), sshfs keeps directory contents and attributes
// for a minute (dcache_timeout, sshfs 3's name for cache_timeout), and the
// kernel trusts names and attributes as long.
const sshfsCacheOpts = "kernel_cache,auto_cache,dcache_timeout=60,entry_timeout=60,attr_timeout=60"

// rcloneArgv mounts with rclone. --sftp-shell-type unix and
// --sftp-disable-hashcheck keep rclone from running shell commands over SSH
// (to detect the shell, then md5sum and sha1sum after every upload): each
// costs a login shell on the server, over a second a time on our test
// machine, which would measure the server's shell rather than rclone.
func rcloneArgv(mode string) func(e *env, remote, mnt string) []string {
	return func(e *env, remote, mnt string) []string {
		return []string{
			"rclone", "mount", ":sftp:" + remote, mnt,
			"--config", e.rcloneConf,
			"--sftp-host", "127.0.0.1", "--sftp-port", strconv.Itoa(e.proxy.Port()),
			"--sftp-user", e.srv.User, "--sftp-key-file", e.srv.KeyFile,
			"--sftp-known-hosts-file", e.knownHosts,
			"--sftp-shell-type", "unix", "--sftp-disable-hashcheck",
			"--vfs-cache-mode", mode, "--cache-dir", e.rcloneCache,
			"--log-level", "NOTICE",
		}
	}
}

func rcloneCache(e *env) string { return e.rcloneCache }

// allClients are the clients in column order. The first is the subject
// of the targets and the second the baseline.
var allClients = []client{
	{
		Name: "netvfs", Mode: "sync", KeepsPerm: true,
		Notes: "default options (policy ttl, 1 s)",
		argv: func(e *env, remote, mnt string) []string {
			url := fmt.Sprintf("sftp://%s@127.0.0.1:%d%s", e.srv.User, e.proxy.Port(), remote)
			return []string{e.netvfsBin, "mount", "-identity", e.srv.KeyFile,
				"-known-hosts", e.knownHosts, "-ssh-config", "none", url, mnt}
		},
	},
	{
		Name: "sshfs", Mode: "sync", KeepsPerm: true,
		Notes: "default options",
		argv: func(e *env, remote, mnt string) []string {
			return append([]string{"sshfs", "-f", e.srv.User + "@127.0.0.1:" + remote, mnt}, sshOpts(e)...)
		},
	},
	{
		Name: "sshfs+cache", Mode: "sync", KeepsPerm: true,
		Notes: "`-o " + sshfsCacheOpts + "`",
		argv: func(e *env, remote, mnt string) []string {
			return append([]string{"sshfs", "-f", e.srv.User + "@127.0.0.1:" + remote, mnt, "-o", sshfsCacheOpts}, sshOpts(e)...)
		},
	},
	{
		Name: "rclone-off", Mode: "sync", KeepsPerm: false,
		Notes: "`--vfs-cache-mode off`: no read-write opens, no permission bits; no hash checks (see below)",
		argv:  rcloneArgv("off"), CacheDir: rcloneCache,
	},
	{
		Name: "rclone-writes", Mode: "write-back", KeepsPerm: false,
		Notes: "`--vfs-cache-mode writes`: files written are uploaded after close; no permission bits; no hash checks (see below)",
		argv:  rcloneArgv("writes"), CacheDir: rcloneCache,
	},
}

// extraClients can be named with -clients but do not run by default.
var extraClients = []client{
	{
		// netvfs trusting its cache as long as sshfs does by default
		// (dcache_timeout 20 s): separates the cost of revalidation from
		// the rest.
		Name: "netvfs-ttl20", Mode: "sync", KeepsPerm: true,
		Notes: "`-ttl 20s`",
		argv: func(e *env, remote, mnt string) []string {
			argv := allClients[0].argv(e, remote, mnt)
			return append(argv[:2:2], append([]string{"-ttl", "20s"}, argv[2:]...)...)
		},
	},
}

// selectClients returns the clients named in a comma-separated list (the
// default ones for "").
func selectClients(list string) ([]client, error) {
	if list == "" {
		return allClients, nil
	}
	var out []client
	for _, name := range strings.Split(list, ",") {
		found := false
		for _, c := range append(allClients, extraClients...) {
			if c.Name == strings.TrimSpace(name) {
				out, found = append(out, c), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown client %q (known: netvfs, sshfs, sshfs+cache, rclone-off, rclone-writes, netvfs-ttl20)", name)
		}
	}
	return out, nil
}

// commandLine renders argv for the report with the run's temporary paths
// replaced by placeholders.
func commandLine(argv []string, e *env) string {
	s := strings.Join(argv, " ")
	for _, r := range [][2]string{
		{e.srv.KeyFile, "KEY"}, {e.knownHosts, "KNOWN_HOSTS"}, {e.rcloneConf, "EMPTY_CONF"},
		{e.rcloneCache, "CACHE_DIR"}, {e.netvfsBin, "netvfs"}, {e.remote, "/REMOTE"},
		{e.mntRoot, "/MNT"}, {":" + strconv.Itoa(e.proxy.Port()), ":PORT"}, {" " + strconv.Itoa(e.proxy.Port()), " PORT"},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}
