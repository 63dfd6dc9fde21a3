package vfs_test

// Drivers without identity (SFTP): a directory is its path.

import (
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// TestV3_NoIdentityRetryKeepsDirectories: an ESTALE retry revalidates every
// component of its path by force (V3). Without identity the directory found
// there again is taken as the one cached (rule A2 cannot tell otherwise, and
// a path-based driver's node names the same place): operations inside it
// that already hold it must not start failing with ENOENT as if it had been
// removed (D1).
func TestV3_NoIdentityRetryKeepsDirectories(t *testing.T) {
	f, m := mount(t, memfs.Options{NoIdentity: true}, &vfs.Options{CheckInvariants: true})
	must(t, f.Mkdir(bg, "sd", 0o755))
	must(t, f.WriteFile(bg, "sd/x", []byte("x"), 0o644))
	sd, _, err := f.Lookup(bg, f.Root(), "sd")
	must(t, err)
	m.InjectFault(memfs.OpUnlink, "x", 1, syscall.ESTALE)
	must(t, f.Remove(bg, "sd/x")) // ESTALE once, then the forced retry
	if _, err := f.MkdirAt(bg, sd, "new", 0o755); err != nil {
		t.Fatalf("mkdir in a directory held across another call's ESTALE retry: %v", err)
	}
	if a, err := f.Getattr(bg, "sd/new"); err != nil || !a.IsDir() {
		t.Fatalf("sd/new after the mkdir: %v", err)
	}
}
