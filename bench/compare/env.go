package main

// This file sets up and tears down what every client shares: a work
// directory, the OpenSSH server (internal/sshtest) serving a directory in
// it, the latency proxy in front, a known_hosts file naming the proxy's
// address, the netvfs binary built from this repository, and an empty
// rclone config. An env is used by the main goroutine only.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/netvfs/netvfs/bench/netem"
	"github.com/netvfs/netvfs/internal/sshtest"
)

// env is the shared setup of one run.
type env struct {
	work        string // everything lives under here
	remote      string // the directory sshd serves (the "remote" side)
	mntRoot     string // mount points
	repoRoot    string
	srv         *sshtest.Server
	proxy       *proxyProc
	netemBin    string
	knownHosts  string
	netvfsBin   string
	rcloneConf  string
	rcloneCache string
	gitHome     string // HOME for git, with no user config
	netvfsRev   string // the repository's commit when netvfs was built
}

// setupEnv builds netvfs and the proxy and starts sshd.
func setupEnv(ctx context.Context) (*env, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "netvfs-compare-")
	if err != nil {
		return nil, err
	}
	e := &env{
		work: work, repoRoot: root,
		remote:      filepath.Join(work, "remote"),
		mntRoot:     filepath.Join(work, "mnt"),
		knownHosts:  filepath.Join(work, "known_hosts"),
		netvfsBin:   filepath.Join(work, "bin", "netvfs"),
		netemBin:    filepath.Join(work, "bin", "netem"),
		rcloneConf:  filepath.Join(work, "rclone.conf"),
		rcloneCache: filepath.Join(work, "rclone-cache"),
		gitHome:     filepath.Join(work, "home"),
	}
	for _, d := range []string{e.remote, e.mntRoot, e.rcloneCache, e.gitHome} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return e, err
		}
	}
	if err := os.WriteFile(e.rcloneConf, nil, 0o600); err != nil {
		return e, err
	}
	e.netvfsRev = repoRevision(root)
	for bin, pkg := range map[string]string{e.netvfsBin: "./cmd/netvfs", e.netemBin: "./bench/netem/cmd/netem"} {
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return e, fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}
	e.srv, err = sshtest.StartDaemon(e.remote)
	if err != nil {
		return e, fmt.Errorf("starting sshd: %w", err)
	}
	return e, nil
}

// startProxy starts the proxy in front of sshd and writes a known_hosts
// file naming the proxy's address.
func (e *env) startProxy(cfg netem.Config) error {
	var err error
	e.proxy, err = startProxy(e.netemBin, e.srv.Addr, cfg)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("[127.0.0.1]:%d %s", e.proxy.Port(), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(e.srv.HostKey))))
	return os.WriteFile(e.knownHosts, []byte(line+"\n"), 0o600)
}

// sftpRoundTrip measures the median time of an SFTP LSTAT (one request,
// one reply) to sshd at addr, as an idle client sees it: the round trip
// that every client pays per request, with or without the proxy.
func (e *env) sftpRoundTrip(addr string) (time.Duration, error) {
	key, err := os.ReadFile(e.srv.KeyFile)
	if err != nil {
		return 0, err
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return 0, err
	}
	client, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User: e.srv.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(e.srv.HostKey), Timeout: 30 * time.Second,
	})
	if err != nil {
		return 0, err
	}
	defer client.Close()
	sc, err := sftp.NewClient(client)
	if err != nil {
		return 0, err
	}
	defer sc.Close()
	var rtts []time.Duration
	for range 200 {
		start := time.Now()
		if _, err := sc.Lstat(e.remote); err != nil {
			return 0, err
		}
		rtts = append(rtts, time.Since(start))
	}
	return MedianDuration(rtts), nil
}

// close stops everything and removes the work directory, unless a mount
// is still in it (then it says so and leaves it).
func (e *env) close(keep bool) {
	for _, mp := range mountPoints(e.mntRoot) {
		exec.Command("umount", "-l", mp).Run()
	}
	if e.proxy != nil {
		e.proxy.Close()
	}
	if e.srv != nil {
		e.srv.Close()
	}
	if left := mountPoints(e.work); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "compare: mounts remain, leaving %s: %v\n", e.work, left)
		return
	}
	if keep {
		fmt.Fprintf(os.Stderr, "compare: kept %s\n", e.work)
		return
	}
	os.RemoveAll(e.work)
}

// repoRoot is the directory of the module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run from inside the netvfs module (go run ./bench/compare)")
	}
	return filepath.Dir(mod), nil
}
