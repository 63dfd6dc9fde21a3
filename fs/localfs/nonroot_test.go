package localfs

// Behaviour for a non-root user. The test (as root) prepares a tree and
// runs this test binary again as uid/gid 65534; TestMain sees the
// environment variable and runs nonRootChecks instead of the tests.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

const (
	nonRootEnv = "LOCALFS_NONROOT_ROOT"
	nobody     = 65534
)

func TestMain(m *testing.M) {
	if root := os.Getenv(nonRootEnv); root != "" {
		if err := nonRootChecks(root); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestNonRootUser(t *testing.T) {
	requireRoot(t, "switching to uid 65534 needs root")
	base := t.TempDir()
	for p := base; p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		must(t, "chmod", os.Chmod(p, 0o755)) // the testing package's dirs are 0700
	}
	root := filepath.Join(base, "root")
	mine := filepath.Join(root, "mine")
	for _, d := range []string{root, filepath.Join(root, "rodir"), mine} {
		must(t, "mkdir", os.Mkdir(d, 0o755))
	}
	must(t, "write", os.WriteFile(filepath.Join(root, "rootonly"), []byte("x"), 0o600))
	must(t, "write", os.WriteFile(filepath.Join(mine, "noperm"), []byte("x"), 0o000))
	must(t, "write", os.WriteFile(filepath.Join(mine, "rw"), []byte("x"), 0o600))
	for _, p := range []string{mine, filepath.Join(mine, "noperm"), filepath.Join(mine, "rw")} {
		must(t, "chown", os.Chown(p, nobody, nobody))
	}
	// The test binary may sit in a directory nobody cannot enter.
	bin := filepath.Join(base, "localfs.test")
	copyFile(t, os.Args[0], bin)
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), nonRootEnv+"="+root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("checks as uid %d failed: %v\n%s", nobody, err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	must(t, "open", err)
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	must(t, "create", err)
	_, err = io.Copy(dst, src)
	must(t, "copy", err)
	must(t, "close", dst.Close())
}

// nonRootChecks runs as uid 65534 over the tree TestNonRootUser made and
// returns every failed expectation.
func nonRootChecks(rootDir string) error {
	if os.Geteuid() != nobody {
		return fmt.Errorf("running as uid %d, want %d", os.Geteuid(), nobody)
	}
	ctx := context.Background()
	f, err := New(rootDir)
	if err != nil {
		return err
	}
	defer f.Close()
	var failures []string
	check := func(what string, err error, want syscall.Errno) {
		if want == 0 && err != nil || want != 0 && !errors.Is(err, want) {
			failures = append(failures, fmt.Sprintf("%s: got %v, want %v", what, err, want))
		}
	}
	root, _, _ := f.Root(ctx)
	lookup := func(dir vfs.Node, name string) vfs.Node {
		n, _, err := f.Lookup(ctx, dir, name)
		check("Lookup "+name, err, 0)
		return n
	}
	rootonly := lookup(root, "rootonly")
	rodir := lookup(root, "rodir")
	mine := lookup(root, "mine")
	noperm := lookup(mine, "noperm")
	rw := lookup(mine, "rw")

	_, err = f.Open(ctx, rootonly, unix.O_RDONLY)
	check("Open a root-only file", err, syscall.EACCES)
	_, _, _, err = f.Create(ctx, rodir, "x", unix.O_RDWR, 0o644)
	check("Create in a read-only directory", err, syscall.EACCES)
	_, err = f.AtomicOpen(ctx, rodir, "x", unix.O_RDWR|unix.O_CREAT, 0o644)
	check("AtomicOpen O_CREAT in a read-only directory", err, syscall.EACCES)
	_, err = f.Setattr(ctx, rootonly, vfs.SetAttr{Valid: vfs.SetUid, Uid: nobody})
	check("chown of another user's file", err, syscall.EPERM)
	_, err = f.Setattr(ctx, rootonly, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o777})
	check("chmod of another user's file", err, syscall.EPERM)
	_, _, err = f.Mknod(ctx, mine, "dev", unix.S_IFCHR|0o600, unix.Mkdev(1, 3))
	check("Mknod of a device", err, syscall.EPERM)

	// The owner may change a file that has no permission bits at all: the
	// driver works through O_PATH descriptors, which need none.
	attr, err := f.Setattr(ctx, noperm, vfs.SetAttr{Valid: vfs.SetMode | vfs.SetMtime, Mode: 0o640, MtimeNs: 1e9})
	check("chmod and utimes of own mode-0 file", err, 0)
	if err == nil && (attr.Mode&0o7777 != 0o640 || attr.MtimeNs != 1e9) {
		failures = append(failures, fmt.Sprintf("own mode-0 file after Setattr: %+v", attr))
	}
	_, err = f.Link(ctx, rw, mine, "rw-link")
	check("Link as a non-root user", err, 0)
	check("SetXattr user.* on own file", f.SetXattr(ctx, rw, "user.k", []byte("v"), 0), 0)

	// Without privilege the caller's identity cannot be given away: new
	// files belong to the driver's user.
	cctx := vfs.WithCaller(ctx, vfs.Caller{Uid: 0, Gid: 0})
	_, attr, h, err := f.Create(cctx, mine, "created", unix.O_RDWR, 0o600)
	check("Create with a Caller", err, 0)
	if err == nil {
		h.Release(ctx)
		if attr.Uid != nobody {
			failures = append(failures, fmt.Sprintf("created file owned by %d", attr.Uid))
		}
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "\n"))
	}
	return nil
}
