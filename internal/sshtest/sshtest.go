// Package sshtest starts a real OpenSSH sshd on loopback for tests and
// benchmarks: its own sshd_config, a throwaway host key, one authorised
// ed25519 client key, the SFTP subsystem, and helpers to cut or stall its
// connections (to test reconnects and cancellation) or restart it.
//
// A test calls Start, which fails the test (never skips it) when sshd is not
// installed. A command such as a benchmark calls StartDaemon and Close.
package sshtest

// This file holds the Server type and its lifecycle: start on a free port,
// wait until it accepts, stop, restart on the same port with the same keys.
// Server.mu guards cmd and exited; every exported method is safe for
// concurrent use.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// startTimeout bounds how long a start waits for sshd to accept connections.
const startTimeout = 15 * time.Second

// Server is one running sshd serving SFTP on 127.0.0.1.
type Server struct {
	// Addr is "127.0.0.1:port".
	Addr string
	// Host is "127.0.0.1" and Port the listening port.
	Host string
	Port int
	// User is the login name (the current user).
	User string
	// KeyFile is the path of the authorised client private key (OpenSSH
	// format, ed25519, no passphrase).
	KeyFile string
	// KnownHostsFile is the path of a known_hosts file holding
	// KnownHostsLine.
	KnownHostsFile string
	// KnownHostsLine is the known_hosts line for "[127.0.0.1]:port".
	KnownHostsLine string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey
	// Root is the directory URL points at.
	Root string
	// Dir holds the server's state: config, keys, pid file.
	Dir string

	keys    serverKeys
	log     lockedBuffer
	ownsDir bool // StartDaemon made Dir and Close removes it

	mu     sync.Mutex
	cmd    *exec.Cmd     // guarded by mu; nil when stopped
	exited chan struct{} // guarded by mu; closed when cmd has exited
}

// Start starts an sshd serving root (a fresh temporary directory if root is
// ""), waits until it accepts connections and stops it when the test ends.
// A missing sshd fails the test with instructions.
func Start(t testing.TB, root string) *Server {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		t.Fatal(missingSSHDMessage)
	}
	if root == "" {
		root = t.TempDir()
	}
	s, err := newServer(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			if out := s.Log(); out != "" {
				t.Logf("sshd output:\n%s", out)
			}
		}
	})
	return s
}

// StartDaemon starts an sshd serving dir, outside any test (for a benchmark
// command). Its state lives in a new temporary directory that Close
// removes; dir itself is left alone.
func StartDaemon(dir string) (*Server, error) {
	if _, err := os.Stat(sshdPath); err != nil {
		return nil, errors.New(missingSSHDMessage)
	}
	state, err := os.MkdirTemp("", "sshtest-")
	if err != nil {
		return nil, err
	}
	s, err := newServer(dir, state)
	if err != nil {
		os.RemoveAll(state)
		return nil, err
	}
	s.ownsDir = true
	return s, nil
}

// newServer generates keys in stateDir and starts sshd on a free port.
func newServer(root, stateDir string) (*Server, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if err := ensurePrivsepDir(); err != nil {
		return nil, err
	}
	keys, err := generateKeys(stateDir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host:           "127.0.0.1",
		User:           currentUser(),
		KeyFile:        keys.client.privPath,
		KnownHostsFile: filepath.Join(stateDir, "known_hosts"),
		HostKey:        keys.host.pub,
		Root:           root,
		Dir:            stateDir,
		keys:           keys,
	}
	if err := s.launch(true); err != nil {
		return nil, err
	}
	return s, nil
}

// URL returns "sftp://user@127.0.0.1:port/root".
func (s *Server) URL() string {
	u := url.URL{Scheme: "sftp", User: url.User(s.User), Host: s.Addr, Path: s.Root}
	return u.String()
}

// Log returns what sshd has written to stderr so far (LogLevel ERROR).
func (s *Server) Log() string { return s.log.String() }

// Stop stops sshd and every connection it serves. It is idempotent.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	kids := descendants(cmd.Process.Pid)
	signalAll(kids, syscall.SIGKILL)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	waitGone(kids, 2*time.Second)
}

// Close stops sshd and, for a server from StartDaemon, removes its state
// directory.
func (s *Server) Close() error {
	s.Stop()
	if s.ownsDir {
		return os.RemoveAll(s.Dir)
	}
	return nil
}

// Restart stops sshd and starts it again on the same port with the same
// keys, so clients can reconnect to the same address and trust it.
func (s *Server) Restart() error {
	s.Stop()
	return s.launch(false)
}

// ConnectionPIDs returns the processes serving current connections: the
// listener's descendants.
func (s *Server) ConnectionPIDs() []int {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	return descendants(cmd.Process.Pid)
}

// KillConnections kills the per-connection sshd processes, as a network cut
// would end the connections, while the listener keeps accepting new ones.
// It returns once the killed processes are gone.
func (s *Server) KillConnections() {
	pids := s.ConnectionPIDs()
	signalAll(pids, syscall.SIGKILL)
	waitGone(pids, 2*time.Second)
}

// SuspendConnections stops (SIGSTOP) the processes serving the current
// connections, so they neither answer nor read: a stalled server. The
// returned resume function continues them; it is idempotent and should be
// deferred or registered with t.Cleanup. New connections are not affected.
func (s *Server) SuspendConnections() (resume func()) {
	pids := s.ConnectionPIDs()
	signalAll(pids, syscall.SIGSTOP)
	var once sync.Once
	return func() { once.Do(func() { signalAll(pids, syscall.SIGCONT) }) }
}

// launch starts sshd and waits until it accepts connections. With newPort
// it picks a free port first (and another one if that port is taken by the
// time sshd binds); otherwise it reuses s.Port, retrying while the old
// listener's port is still in use.
func (s *Server) launch(newPort bool) error {
	deadline := time.Now().Add(startTimeout)
	for {
		if newPort {
			port, err := freePort()
			if err != nil {
				return err
			}
			s.setPort(port)
		}
		err := s.startOnce(deadline)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errAddrInUse) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// setPort records the port and rewrites the files that name it.
func (s *Server) setPort(port int) {
	s.Port = port
	s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
	s.KnownHostsLine = fmt.Sprintf("[%s]:%d %s", s.Host, port,
		strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey))))
}

// errAddrInUse reports that sshd could not bind its port.
var errAddrInUse = errors.New("sshtest: port in use")

// startOnce runs one sshd on s.Port and waits for it to accept.
func (s *Server) startOnce(deadline time.Time) error {
	cfgPath := filepath.Join(s.Dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(sshdConfig(s.Dir, s.Port)), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(s.KnownHostsFile, []byte(s.KnownHostsLine+"\n"), 0o600); err != nil {
		return err
	}
	pidFile := filepath.Join(s.Dir, "sshd.pid")
	_ = os.Remove(pidFile)
	logStart := s.log.Len()
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfgPath)
	cmd.Stdout = &s.log
	cmd.Stderr = &s.log
	// If the test binary dies without cleaning up (a panic, a timeout),
	// the kernel kills sshd rather than leaving it listening.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("sshtest: starting %s: %w", sshdPath, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	err := waitListening(pidFile, cmd.Process.Pid, exited, deadline)
	if err == nil {
		s.mu.Lock()
		s.cmd, s.exited = cmd, exited
		s.mu.Unlock()
		return nil
	}
	_ = cmd.Process.Kill()
	<-exited
	out := s.log.String()[logStart:]
	if strings.Contains(out, "Address already in use") {
		return errAddrInUse
	}
	return fmt.Errorf("sshtest: sshd on %s did not start: %w; sshd said:\n%s", s.Addr, err, out)
}

// waitListening waits until sshd has written its pid file, which it does
// only once its listening socket is bound, or until it exits or the
// deadline passes. (Probing with a connection instead would make sshd log
// an aborted key exchange.)
func waitListening(pidFile string, pid int, exited <-chan struct{}, deadline time.Time) error {
	want := strconv.Itoa(pid)
	for {
		if b, err := os.ReadFile(pidFile); err == nil && strings.TrimSpace(string(b)) == want {
			return nil
		}
		select {
		case <-exited:
			return errors.New("sshd exited")
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for sshd to listen")
		}
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ensurePrivsepDir creates /run/sshd, which sshd running as root requires
// (Debian creates it at boot; containers often lack it).
func ensurePrivsepDir() error {
	if os.Geteuid() != 0 {
		return nil
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("sshtest: creating sshd's privilege separation directory: %w", err)
	}
	return nil
}

// currentUser returns the login name of the current user.
func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// lockedBuffer collects sshd's output from its stdout/stderr copier while
// Log reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
