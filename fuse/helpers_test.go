package fuse

// Test helpers: mounting memfs or localfs on a temporary directory. The
// tests need /dev/fuse and either root or fusermount3; without them they
// fail (never skip) with a message saying what is missing.

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/localfs"
	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// requireFUSE fails the test when this machine cannot mount FUSE.
func requireFUSE(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Fatalf("FUSE tests need /dev/fuse (modprobe fuse; in a container --device /dev/fuse): %v", err)
	}
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("fusermount3"); err != nil {
			t.Fatalf("FUSE tests need root or fusermount3 (apt-get install fuse3): %v", err)
		}
	}
}

// testMount is a mounted filesystem under test.
type testMount struct {
	dir  string // the mountpoint
	fsys *vfs.FS
	mem  *memfs.FS // nil for localfs
	srv  *Server
}

// mountpointDir returns a new empty directory that every user can reach
// (t.TempDir's parent is 0700, which would keep other users out).
func mountpointDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "netvfs-fuse-test-*")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	return dir
}

// path returns the mount's path for name.
func (m *testMount) path(name string) string { return filepath.Join(m.dir, name) }

// testLogger logs through t at debug level when NETVFS_FUSE_DEBUG is set.
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("NETVFS_FUSE_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// mountMem mounts a fresh memfs with vfs options vo and frontend options
// fo, checking the core's invariants after every operation; it unmounts at
// the end of the test and checks that every node reference and handle was
// given back.
func mountMem(t testing.TB, vo *vfs.Options, fo Options) *testMount {
	t.Helper()
	mem := memfs.New(memfs.Options{})
	m := mountDriver(t, mem.Driver(), vo, fo)
	m.mem = mem
	return m
}

// mountLocal mounts localfs over a new temporary directory, which it returns
// as well.
func mountLocal(t testing.TB, vo *vfs.Options, fo Options) (*testMount, string) {
	t.Helper()
	backing := t.TempDir()
	drv, err := localfs.New(backing)
	if err != nil {
		t.Fatalf("localfs.New: %v", err)
	}
	return mountDriver(t, drv, vo, fo), backing
}

func mountDriver(t testing.TB, drv vfs.Driver, vo *vfs.Options, fo Options) *testMount {
	t.Helper()
	requireFUSE(t)
	if vo == nil {
		vo = &vfs.Options{CheckInvariants: true}
	}
	fsys, err := vfs.New(context.Background(), drv, vo)
	if err != nil {
		t.Fatalf("vfs.New: %v", err)
	}
	dir := mountpointDir(t)
	if fo.Logger == nil {
		fo.Logger = testLogger(t)
	}
	fo.Debug = fo.Debug || os.Getenv("NETVFS_FUSE_DEBUG") != ""
	srv, err := Mount(fsys, dir, fo)
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	m := &testMount{dir: dir, fsys: fsys, srv: srv}
	t.Cleanup(func() {
		var err error
		for i := 0; i < 50; i++ { // a child process may still be exiting
			if err = srv.Unmount(); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			srv.UnmountLazy()
			t.Errorf("Unmount: %v", err)
		}
		srv.Wait()
		if st := srv.Stats(); st.Nodes != 0 || st.OpenHandles != 0 {
			t.Errorf("after unmount the frontend still holds %+v", st)
		}
		if err := fsys.CheckInvariants(); err != nil {
			t.Errorf("CheckInvariants after unmount: %v", err)
		}
	})
	return m
}

var bg = context.Background()
