package main

// `netvfs mount` and `netvfs umount`: serve a filesystem URL on a
// mountpoint in the foreground until it is unmounted (by `netvfs umount`,
// umount(8), or SIGINT/SIGTERM here), and unmount one.
//
// Flags follow sshfs and rclone: -o takes comma-separated mount options,
// and the revalidation policy, TTLs and timeout have their own flags too.
// No shared state.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/fuse"
	"github.com/netvfs/netvfs/vfs"
)

func init() {
	register("mount", "mount a filesystem URL (mem:, local:/dir, sftp://host/path) with FUSE", runMount)
	register("umount", "unmount a netvfs (or other FUSE) mountpoint", runUmount)
}

const mountSynopsis = `netvfs mount [flags] [URL] MOUNTPOINT

Serves URL on MOUNTPOINT in the foreground until it is unmounted
(netvfs umount MOUNTPOINT, or SIGINT/SIGTERM here). URL is
  (none) or mem:                     a new in-memory filesystem
  local:/path, or an existing /path  a local directory
  sftp://[user@]host[:port][/path]   an SFTP server (OpenSSH config and keys)

mount options (-o a,b,c):
  ro, rw, allow_other, default_permissions, debug, fsname=NAME,
  policy=ttl|cto|exclusive, ttl=DURATION, negative_ttl=DURATION,
  timeout=DURATION, exec, noexec, suid, nosuid, dev, nodev`

// mountConfig is everything the flags and -o options decide.
type mountConfig struct {
	fuse        fuse.Options
	policy      string
	ttl         time.Duration
	negativeTTL time.Duration
	timeout     time.Duration
	ssh         sshOptions
}

func runMount(ctx context.Context, args []string) error {
	var cfg mountConfig
	fs := newFlagSet("mount", mountSynopsis)
	var opts stringList
	fs.Var(&opts, "o", "comma-separated mount `options` (repeatable; see above)")
	fs.StringVar(&cfg.policy, "policy", "", "revalidation `policy`: ttl (trust the cache for a time, see --ttl), cto (close-to-open: also revalidate on open), exclusive (this client is the only writer); default exclusive for mem:, ttl otherwise")
	fs.DurationVar(&cfg.ttl, "ttl", 0, "how long names and attributes are trusted, fixed (default: adaptive as the Linux NFS client's attribute cache, 3s-60s for files, 30s-60s for directories)")
	fs.DurationVar(&cfg.negativeTTL, "negative-ttl", 0, "how long a missing name is trusted (default: --ttl, or 3s)")
	fs.DurationVar(&cfg.timeout, "timeout", time.Minute, "bound on each filesystem operation (and on connecting)")
	fs.BoolVar(&cfg.fuse.Debug, "debug", false, "log every FUSE request")
	fs.BoolVar(&cfg.fuse.ReadOnly, "ro", false, "mount read-only (same as -o ro)")
	fs.BoolVar(&cfg.fuse.AllowOther, "allow-other", false, "let other users use the mount (same as -o allow_other)")
	fs.Var(&cfg.ssh.identityFiles, "identity", "sftp: private key `file` to try first (repeatable)")
	fs.Var(&cfg.ssh.identityFiles, "i", "same as --identity")
	fs.StringVar(&cfg.ssh.knownHosts, "known-hosts", "", "sftp: known_hosts `file` (default ~/.ssh/known_hosts)")
	fs.BoolVar(&cfg.ssh.acceptNewKey, "accept-new-host-key", false, "sftp: trust and record the key of a host not yet in known_hosts")
	fs.BoolVar(&cfg.ssh.ignoreHostKey, "insecure-ignore-host-key", false, "sftp: do not check the host key at all")
	fs.StringVar(&cfg.ssh.sshConfig, "ssh-config", "", "sftp: ssh_config `file` (default ~/.ssh/config; \"none\" for none)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	for _, o := range opts {
		if err := cfg.applyOptions(o); err != nil {
			return err
		}
	}
	var url, mountpoint string
	switch len(pos) {
	case 1:
		mountpoint = pos[0]
	case 2:
		url, mountpoint = pos[0], pos[1]
	default:
		return usagef("want [URL] MOUNTPOINT, got %d arguments", len(pos))
	}
	// Bad flags and a bad mountpoint are reported before connecting.
	if _, err := cfg.vfsOptions(false); err != nil {
		return err
	}
	if _, err := fuse.CheckMountpoint(mountpoint); err != nil {
		return err
	}
	cfg.ssh.connectTimeout = cfg.timeout

	level := slog.LevelInfo
	if cfg.fuse.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.fuse.Logger = log

	src, err := openURL(ctx, url, cfg.ssh)
	if err != nil {
		return err
	}
	defer src.close()
	vo, err := cfg.vfsOptions(src.private)
	if err != nil {
		return err
	}
	fsys, err := vfs.New(ctx, src.driver, vo)
	if err != nil {
		return fmt.Errorf("opening %s: %w", src.name, err)
	}
	if cfg.fuse.FsName == "" {
		cfg.fuse.FsName = src.name
	}
	srv, err := fuse.Mount(fsys, mountpoint, cfg.fuse)
	if err != nil {
		return err
	}
	log.Info("mounted; unmount with `netvfs umount` or Ctrl-C", "source", src.name, "mountpoint", srv.Mountpoint())
	return serveUntilDone(ctx, srv, log)
}

// serveUntilDone waits for the mount to go away, unmounting it on the first
// signal (ctx done). A busy mount is detached lazily and served until its
// last user lets go; a second signal then gives up at once.
func serveUntilDone(ctx context.Context, srv *fuse.Server, log *slog.Logger) error {
	select {
	case <-srv.Done():
		log.Info("unmounted", "mountpoint", srv.Mountpoint())
		return nil
	case <-ctx.Done():
	}
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	err := srv.Unmount()
	if err == nil {
		log.Info("unmounted", "mountpoint", srv.Mountpoint())
		return nil
	}
	if !errors.Is(err, syscall.EBUSY) {
		return err
	}
	if err := srv.UnmountLazy(); err != nil {
		return err
	}
	log.Warn("the mount is busy: detached it; serving the processes still using it until they let go (signal again to quit now)", "mountpoint", srv.Mountpoint())
	select {
	case <-srv.Done():
		log.Info("unmounted: the last user let go", "mountpoint", srv.Mountpoint())
		return nil
	case <-again:
		return errors.New("quit while the detached mount was still in use; its users now get ENOTCONN")
	}
}

// applyOptions applies one -o argument (comma-separated).
func (cfg *mountConfig) applyOptions(list string) error {
	for _, o := range strings.Split(list, ",") {
		key, val, hasVal := strings.Cut(strings.TrimSpace(o), "=")
		duration := func() (time.Duration, error) {
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return 0, usagef("-o %s: want a positive duration such as 1s or 500ms", o)
			}
			return d, nil
		}
		var err error
		switch key {
		case "":
		case "ro":
			cfg.fuse.ReadOnly = true
		case "rw":
			cfg.fuse.ReadOnly = false
		case "allow_other":
			cfg.fuse.AllowOther = true
		case "default_permissions":
			cfg.fuse.DefaultPermissions = true
		case "debug":
			cfg.fuse.Debug = true
		case "fsname":
			cfg.fuse.FsName = val
		case "policy":
			cfg.policy = val
		case "ttl":
			cfg.ttl, err = duration()
		case "negative_ttl":
			cfg.negativeTTL, err = duration()
		case "timeout":
			cfg.timeout, err = duration()
		case "exec", "noexec", "suid", "nosuid", "dev", "nodev":
			cfg.fuse.MountOptions = append(cfg.fuse.MountOptions, key)
		default:
			return usagef("unknown mount option %q", o)
		}
		if err != nil {
			return err
		}
		if hasVal != (key == "fsname" || key == "policy" || key == "ttl" || key == "negative_ttl" || key == "timeout") {
			return usagef("mount option %q: %s", o, map[bool]string{true: "takes no value", false: "needs a value"}[hasVal])
		}
	}
	return nil
}

// vfsOptions returns the core's options. Without --policy a private
// filesystem (memfs, which nothing else can change) gets the exclusive
// policy and any other the TTL policy.
func (cfg *mountConfig) vfsOptions(private bool) (*vfs.Options, error) {
	o := &vfs.Options{TTL: cfg.ttl, NegativeTTL: cfg.negativeTTL, Timeout: cfg.timeout}
	policy := cfg.policy
	if policy == "" {
		policy = "ttl"
		if private {
			policy = "exclusive"
		}
	}
	switch policy {
	case "ttl":
		o.Policy = vfs.PolicyTTL
	case "cto", "close-to-open":
		o.Policy = vfs.PolicyCloseToOpen
	case "exclusive":
		o.Policy = vfs.PolicyExclusive
	default:
		return nil, usagef("unknown policy %q (want ttl, cto or exclusive)", policy)
	}
	if cfg.ttl < 0 || cfg.negativeTTL < 0 || cfg.timeout <= 0 {
		return nil, usagef("--timeout must be positive, --ttl and --negative-ttl not negative")
	}
	return o, nil
}

const umountSynopsis = `netvfs umount [-l] MOUNTPOINT

Unmounts the FUSE filesystem on MOUNTPOINT (as root with umount2,
otherwise with fusermount3 -u); its netvfs mount process then exits.`

func runUmount(ctx context.Context, args []string) error {
	fs := newFlagSet("umount", umountSynopsis)
	lazy := fs.Bool("l", false, "lazy: detach now even if busy; it goes away when no longer used")
	fs.BoolVar(lazy, "lazy", false, "same as -l")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one MOUNTPOINT, got %d arguments", len(pos))
	}
	return fuse.Unmount(pos[0], *lazy)
}
