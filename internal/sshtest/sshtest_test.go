package sshtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kevinburke/ssh_config"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// dial connects to s with its client key, verifying the host key against
// s.KnownHostsFile, and opens an SFTP session (pkg/sftp is an independent
// client here: it checks the harness, not our driver).
func dial(t *testing.T, s *Server) (*ssh.Client, *sftp.Client) {
	t.Helper()
	pem, err := os.ReadFile(s.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	hostKeys, err := knownhosts.New(s.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys,
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatalf("ssh dial: %v\nsshd log:\n%s", err, s.Log())
	}
	client, err := sftp.NewClient(conn)
	if err != nil {
		conn.Close()
		t.Fatalf("sftp session: %v", err)
	}
	t.Cleanup(func() { client.Close(); conn.Close() })
	return conn, client
}

func TestStartServesSFTPUnderRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "hello"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Start(t, root)
	if !strings.HasPrefix(s.URL(), "sftp://"+s.User+"@127.0.0.1:") || !strings.HasSuffix(s.URL(), root) {
		t.Errorf("URL() = %q", s.URL())
	}
	_, client := dial(t, s)
	f, err := client.Open(filepath.Join(s.Root, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 10)
	n, _ := f.Read(buf)
	if string(buf[:n]) != "hi" {
		t.Errorf("read %q, want %q", buf[:n], "hi")
	}
	if _, ok := client.HasExtension("posix-rename@openssh.com"); !ok {
		t.Error("server does not offer posix-rename@openssh.com: not OpenSSH's sftp server?")
	}
}

func TestKillConnectionsCutsButKeepsListening(t *testing.T) {
	s := Start(t, "")
	conn, _ := dial(t, s)
	if len(s.ConnectionPIDs()) == 0 {
		t.Fatal("no connection processes found")
	}
	s.KillConnections()
	done := make(chan error, 1)
	go func() { done <- conn.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("connection still open after KillConnections")
	}
	_, client := dial(t, s)
	if _, err := client.Getwd(); err != nil {
		t.Fatalf("new connection after KillConnections: %v", err)
	}
}

func TestSuspendConnectionsStallsUntilResumed(t *testing.T) {
	s := Start(t, "")
	_, client := dial(t, s)
	resume := s.SuspendConnections()
	t.Cleanup(resume)
	got := make(chan error, 1)
	go func() { _, err := client.Getwd(); got <- err }()
	select {
	case err := <-got:
		t.Fatalf("request answered by a suspended server (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	resume()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("request after resume: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("request not answered after resume")
	}
}

func TestRestartKeepsPortAndHostKey(t *testing.T) {
	s := Start(t, "")
	addr := s.Addr
	conn, _ := dial(t, s)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr != addr {
		t.Fatalf("address changed from %s to %s", addr, s.Addr)
	}
	if err := conn.Wait(); err == nil {
		t.Log("old connection closed cleanly")
	}
	_, client := dial(t, s) // verifies the same host key from KnownHostsFile
	if _, err := client.Getwd(); err != nil {
		t.Fatal(err)
	}
}

func TestStopRefusesConnections(t *testing.T) {
	s := Start(t, "")
	s.Stop()
	s.Stop() // idempotent
	_, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{
		User:            s.User,
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		Timeout:         2 * time.Second,
	})
	if err == nil {
		t.Fatal("dial succeeded after Stop")
	}
}

func TestWriteSSHConfigNamesTheServer(t *testing.T) {
	s := Start(t, "")
	path := filepath.Join(t.TempDir(), "config")
	if err := s.WriteSSHConfig(path, "testhost"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := ssh_config.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"HostName": "127.0.0.1", "User": s.User, "IdentityFile": s.KeyFile,
		"UserKnownHostsFile": s.KnownHostsFile,
	} {
		if got, _ := cfg.Get("testhost", key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if got, _ := cfg.Get("testhost", "Port"); got != strings.TrimPrefix(s.Addr, "127.0.0.1:") {
		t.Errorf("Port = %q, want the port of %s", got, s.Addr)
	}
}

func TestStartDaemonAndClose(t *testing.T) {
	root := t.TempDir()
	s, err := StartDaemon(root)
	if err != nil {
		t.Fatal(err)
	}
	_, client := dial(t, s)
	if _, err := client.Lstat(root); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir %s still there after Close (err %v)", s.Dir, err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("Close removed the served directory: %v", err)
	}
}
