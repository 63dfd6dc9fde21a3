package sftpfs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Unit tests of the pieces that need no server: error mapping, the wire
// decoder, URL and ssh_config resolution.

func TestStatusErrnoMapping(t *testing.T) {
	t.Parallel()
	for code, want := range map[uint32]syscall.Errno{
		fxNoSuchFile: syscall.ENOENT, fxPermissionDenied: syscall.EACCES, fxFailure: syscall.EIO,
		fxBadMessage: syscall.EINVAL, fxNoConnection: syscall.ENOTCONN, fxConnectionLost: syscall.ENOTCONN,
		fxOpUnsupported: syscall.ENOSYS,
	} {
		err := failure("op", "/p", &statusError{code: code, msg: "m"})
		if !errors.Is(err, want) {
			t.Errorf("status %d: %v, want %v", code, err, want)
		}
	}
	lost := failure("op", "/p", &connLostError{cause: io.EOF})
	if !errors.Is(lost, syscall.ENOTCONN) || !errors.Is(lost, io.EOF) {
		t.Errorf("connection lost: %v, want ENOTCONN wrapping the cause", lost)
	}
	if err := failure("op", "/p", context.Canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	to := failure("op", "/p", &timeoutError{d: time.Second})
	if !errors.Is(to, syscall.ETIMEDOUT) || !errors.Is(to, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", to)
	}
	if err := failure("op", "/p", errors.New("odd")); !errors.Is(err, syscall.EIO) {
		t.Errorf("other: %v, want EIO", err)
	}
}

func TestDecoderRejectsShortPackets(t *testing.T) {
	t.Parallel()
	p := newPacket(fxpAttrs, 0).attrs(fileAttrs{flags: attrSize | attrPermissions | attrACModTime, size: 7, perm: 0o100644, atime: 1, mtime: 2})
	body := p.b[headerLen:]
	d := decoder{b: body}
	if a := d.attrs(); d.err != nil || a.size != 7 || a.perm != 0o100644 || a.mtime != 2 {
		t.Fatalf("round trip: %+v, %v", a, d.err)
	}
	for n := range len(body) {
		d := decoder{b: body[:n]}
		d.attrs()
		if d.err == nil {
			t.Fatalf("attrs truncated to %d bytes decoded without error", n)
		}
	}
	if _, err := (reply{typ: fxpName, data: []byte{0, 0, 0, 200}}).names(); err == nil {
		t.Error("a NAME reply claiming 200 entries in no bytes decoded")
	}
}

func TestResolveTargetAppliesSSHConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	err := os.WriteFile(cfg, []byte(`
Host box
  HostName real.example
  User alice
  Port 2200
  IdentityFile %d/keys/%r@%h
  UserKnownHostsFile ~/kh /dev/null
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	tg, err := resolveTarget("sftp://box/data", &Options{ConfigFile: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if tg.host != "real.example" || tg.user != "alice" || tg.port != "2200" || tg.path != "/data" {
		t.Errorf("target %+v", tg)
	}
	if len(tg.identityFiles) != 1 || tg.identityFiles[0] != home+"/keys/alice@real.example" {
		t.Errorf("identity files %q", tg.identityFiles)
	}
	if len(tg.knownHosts) != 1 || tg.knownHosts[0] != home+"/kh" {
		t.Errorf("known_hosts files %q", tg.knownHosts)
	}
	// The URL wins over the config; Options.KnownHostsFile wins over both.
	tg, err = resolveTarget("sftp://bob@box:2222", &Options{ConfigFile: cfg, KnownHostsFile: "/x/kh"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.user != "bob" || tg.port != "2222" || tg.path != "" || len(tg.knownHosts) != 1 || tg.knownHostsAdd != "/x/kh" {
		t.Errorf("target %+v", tg)
	}
	if _, err := resolveTarget("sftp://box", &Options{ConfigFile: filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing explicit ConfigFile was ignored")
	}
	for _, bad := range []string{"ssh://h/x", "sftp:///x", "sftp:h"} {
		if _, err := resolveTarget(bad, &Options{ConfigFile: "none"}); err == nil {
			t.Errorf("resolveTarget(%q) accepted", bad)
		}
	}
}
