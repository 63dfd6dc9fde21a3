package test

// The FUSE frontend over the SFTP driver and a real OpenSSH server
// (internal/sshtest): a driver with no node identities (rule A1) whose nodes
// move with renames (vfs.Mover), behind a network. A tar workload, renames
// of open files' directories, an unlinked open file, the same tree seen on
// the server; a stalled server whose stuck lookup a killed process gets out
// of (the kernel's interrupt); and `netvfs mount sftp://...`.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/sftpfs"
	"github.com/netvfs/netvfs/fuse"
	"github.com/netvfs/netvfs/internal/sshtest"
	"github.com/netvfs/netvfs/vfs"
)

// mntSFTP starts sshd on a new directory and mounts it.
func mntSFTP(t *testing.T, vo *vfs.Options) (*mnt, *sshtest.Server) {
	t.Helper()
	mntRequire(t)
	srv := sshtest.Start(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	drv, err := sftpfs.Dial(ctx, srv.URL(), sftpfs.Options{
		IdentityFiles:  []string{srv.KeyFile},
		KnownHostsFile: srv.KnownHostsFile,
		ConfigFile:     "none",
		NoAgent:        true,
		Timeout:        20 * time.Second,
	})
	if err != nil {
		t.Fatalf("sftpfs.Dial(%s): %v\n%s", srv.URL(), err, srv.Log())
	}
	t.Cleanup(func() { drv.Close() })
	return mntMount(t, "sftp", drv, vo, fuse.Options{}), srv
}

func TestMountSFTPWorkload(t *testing.T) {
	m, srv := mntSFTP(t, workloadVFS())
	src := filepath.Join(goRoot(t), "src")
	tarball := filepath.Join(t.TempDir(), "net.tar")
	sh(t, src, "tar -cf "+tarball+" net/http/cookiejar net/mail net/textproto net/url")
	local := t.TempDir()
	sh(t, local, "tar -xf "+tarball)

	start := time.Now()
	sh(t, m.dir, "tar -xf "+tarball)
	t.Logf("tar -x over SFTP took %v", time.Since(start))
	dropCaches(t)
	sh(t, "/", "diff -r "+local+" "+m.dir)
	sh(t, "/", "diff -r "+local+" "+srv.Root) // what the server holds

	// An open file keeps working when its directory is renamed (the
	// driver's nodes move with the core's renames) and when it is
	// unlinked (the server keeps its descriptor).
	f, err := os.Open(filepath.Join(m.dir, "net/url/url.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Rename(filepath.Join(m.dir, "net/url"), filepath.Join(m.dir, "net/url2")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(m.dir, "net/url2/url.go")); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(local, "net/url/url.go"))
	got := make([]byte, len(want))
	if n, err := f.ReadAt(got, 0); n != len(want) || !bytes.Equal(got, want) {
		t.Fatalf("reading an open file after renaming its directory and unlinking it: %d bytes, %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(srv.Root, "net/url2/url_test.go")); err != nil {
		t.Fatalf("the rename did not reach the server: %v", err)
	}
	sh(t, m.dir, "rm -rf net")
	if ents, _ := os.ReadDir(srv.Root); len(ents) != 0 {
		t.Fatalf("after rm -rf the server still holds %d names", len(ents))
	}
	if err := m.fsys.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestMountSFTPStalledServerInterrupt stalls the server under a lookup: the
// process waiting for it cannot die until the frontend answers, which it
// does when the kernel interrupts the request.
func TestMountSFTPStalledServerInterrupt(t *testing.T) {
	m, srv := mntSFTP(t, nil)
	if err := os.WriteFile(filepath.Join(m.dir, "present"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	resume := srv.SuspendConnections()
	t.Cleanup(resume)
	cmd := exec.Command("stat", filepath.Join(m.dir, "stuck"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the LOOKUP is waiting for the server
	cmd.Process.Signal(syscall.SIGKILL)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		resume()
		t.Fatal("a process killed during a lookup on a stalled server did not exit")
	}
	resume()
	if b, err := os.ReadFile(filepath.Join(m.dir, "present")); err != nil || string(b) != "x" {
		t.Fatalf("after the server resumed: %q, %v", b, err)
	}
}

func TestMountSFTPCommandLine(t *testing.T) {
	mntRequire(t)
	srv := sshtest.Start(t, "")
	os.WriteFile(filepath.Join(srv.Root, "remote"), []byte("over ssh"), 0o644)
	bin := filepath.Join(t.TempDir(), "netvfs")
	if out, err := exec.Command(goTool(t), "build", "-o", bin, "github.com/netvfs/netvfs/cmd/netvfs").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/netvfs: %v\n%s", err, out)
	}
	mp := filepath.Join(mntDir(t), "mp")
	os.Mkdir(mp, 0o755)
	cmd := startMount(t, bin, mp, "-i", srv.KeyFile, "--known-hosts", srv.KnownHostsFile, "--ssh-config", "none", srv.URL())
	if b, err := os.ReadFile(filepath.Join(mp, "remote")); err != nil || string(b) != "over ssh" {
		t.Errorf("reading through `netvfs mount sftp://`: %q, %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(mp, "back"), []byte("written"), 0o644); err != nil {
		t.Errorf("writing through the sftp mount: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(srv.Root, "back")); string(b) != "written" {
		t.Errorf("the server holds %q", b)
	}
	if out, err := exec.Command(bin, "umount", mp).CombinedOutput(); err != nil {
		t.Fatalf("netvfs umount: %v\n%s", err, out)
	}
	waitMountExit(t, cmd)

	// An unknown host key is refused with a clear message, before mounting.
	empty := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(empty, nil, 0o600)
	out, err := exec.Command(bin, "mount", "-i", srv.KeyFile, "--known-hosts", empty, "--ssh-config", "none", srv.URL(), mp).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "connecting to sftp://") {
		t.Errorf("mount with an unknown host key: %v, %s", err, out)
	}
	if _, ok := mountedAt(mp); ok {
		t.Errorf("%s is mounted after a refused connection", mp)
	}
}
