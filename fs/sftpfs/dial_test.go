package sftpfs

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/internal/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestHostKeyUnknownIsRejectedWithFingerprint(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "")
	opts := baseOptions(srv)
	opts.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts") // does not exist
	_, err := Dial(ctx(t), srv.URL(), opts)
	var hk *HostKeyError
	if !errors.As(err, &hk) || len(hk.Known) != 0 {
		t.Fatalf("Dial with an unknown host key = %v, want an unknown-key HostKeyError", err)
	}
	wantErrno(t, "unknown host key", err, syscall.EACCES)
	fp := ssh.FingerprintSHA256(srv.HostKey)
	if msg := err.Error(); !strings.Contains(msg, "[127.0.0.1]:") || !strings.Contains(msg, fp) {
		t.Errorf("error %q does not name the host and fingerprint %s", msg, fp)
	}
	if _, err := os.Stat(opts.KnownHostsFile); !os.IsNotExist(err) {
		t.Errorf("known_hosts written without accept-new: %v", err)
	}
}

func TestHostKeyAcceptNewRecordsKey(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "")
	opts := baseOptions(srv)
	opts.KnownHostsFile = filepath.Join(t.TempDir(), "sub", "known_hosts")
	opts.AcceptNewHostKey = true
	fs, err := Dial(ctx(t), srv.URL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	fs.Close()
	b, err := os.ReadFile(opts.KnownHostsFile)
	if err != nil || !strings.Contains(string(b), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(srv.HostKey)))) {
		t.Fatalf("known_hosts after accept-new: %q, %v", b, err)
	}
	// Now known: a strict dial succeeds.
	opts.AcceptNewHostKey = false
	fs, err = Dial(ctx(t), srv.URL(), opts)
	if err != nil {
		t.Fatalf("strict dial after accept-new: %v", err)
	}
	fs.Close()
}

func TestHostKeyChangedIsRejectedEvenWithAcceptNew(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "")
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	otherKey, _ := ssh.NewPublicKey(pub)
	opts := baseOptions(srv)
	opts.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	line := strings.Replace(srv.KnownHostsLine, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(srv.HostKey))),
		strings.TrimSpace(string(ssh.MarshalAuthorizedKey(otherKey))), 1)
	if err := os.WriteFile(opts.KnownHostsFile, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, acceptNew := range []bool{false, true} {
		opts.AcceptNewHostKey = acceptNew
		_, err := Dial(ctx(t), srv.URL(), opts)
		var hk *HostKeyError
		if !errors.As(err, &hk) || len(hk.Known) == 0 {
			t.Fatalf("accept-new=%v: Dial with a changed host key = %v", acceptNew, err)
		}
		msg := err.Error()
		for _, want := range []string{"CHANGED", ssh.FingerprintSHA256(srv.HostKey), ssh.FingerprintSHA256(otherKey)} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
	}
}

func TestInsecureIgnoreHostKey(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "")
	opts := baseOptions(srv)
	opts.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	opts.InsecureIgnoreHostKey = true
	fs, err := Dial(ctx(t), srv.URL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	fs.Close()
}

func TestAuthenticationFailureIsEACCES(t *testing.T) {
	srv := sshtest.Start(t, "")
	opts := baseOptions(srv)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKey(priv, "")
	wrong := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrong, pemEncode(block), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.IdentityFiles = []string{wrong}
	t.Setenv("HOME", t.TempDir()) // no default keys
	_, err := Dial(ctx(t), srv.URL(), opts)
	wantErrno(t, "Dial with an unauthorised key", err, syscall.EACCES)
}

func TestSSHConfigSuppliesHostPortUserAndKeys(t *testing.T) {
	srv := sshtest.Start(t, "")
	cfg := filepath.Join(t.TempDir(), "config")
	if err := srv.WriteSSHConfig(cfg, "testbox"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", t.TempDir())
	fs, err := Dial(ctx(t), "sftp://testbox"+srv.Root, Options{ConfigFile: cfg, NoAgent: true})
	if err != nil {
		t.Fatalf("Dial through ssh config alias: %v", err)
	}
	defer fs.Close()
	if fs.RootPath() != srv.Root {
		t.Errorf("root %q, want %q", fs.RootPath(), srv.Root)
	}
}

func TestDefaultsFromHome(t *testing.T) {
	srv := sshtest.Start(t, "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	sshDir := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, srv.KeyFile, filepath.Join(sshDir, "id_ed25519"))
	copyFile(t, srv.KnownHostsFile, filepath.Join(sshDir, "known_hosts"))
	fs, err := Dial(ctx(t), srv.URL(), Options{})
	if err != nil {
		t.Fatalf("Dial with ~/.ssh defaults: %v", err)
	}
	fs.Close()
}

func TestSSHAgentAuthentication(t *testing.T) {
	srv := sshtest.Start(t, "")
	pem, err := os.ReadFile(srv.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ssh.ParseRawPrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: raw}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = agent.ServeAgent(keyring, c) }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	t.Setenv("HOME", t.TempDir())
	opts := baseOptions(srv)
	opts.IdentityFiles, opts.NoAgent = nil, false
	fs, err := Dial(ctx(t), srv.URL(), opts)
	if err != nil {
		t.Fatalf("Dial with ssh-agent: %v", err)
	}
	fs.Close()
}

func TestHomeRelativeRoot(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, "")
	// The server's login directory is the user's home (root's, in CI):
	// "/~" and an empty path both mean it.
	home, err := sshHome(t, srv)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"sftp://" + srv.User + "@" + srv.Addr,
		"sftp://" + srv.User + "@" + srv.Addr + "/~",
	} {
		fs, err := Dial(ctx(t), u, baseOptions(srv))
		if err != nil {
			t.Fatalf("Dial(%s): %v", u, err)
		}
		if fs.RootPath() != home {
			t.Errorf("Dial(%s) root %q, want %q", u, fs.RootPath(), home)
		}
		fs.Close()
	}
}

// sshHome is the login directory sftp-server starts in: the user's home
// directory from the password database.
func sshHome(t *testing.T, srv *sshtest.Server) (string, error) {
	u, err := user.Lookup(srv.User)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(u.HomeDir)
}

func pemEncode(b *pem.Block) []byte { return pem.EncodeToMemory(b) }

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
