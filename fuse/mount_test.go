package fuse

// Mounting and unmounting: errors for the usual mistakes, read-only mounts,
// debug logging of every request, unmounting a busy mount.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

func newMemFS(t *testing.T) *vfs.FS {
	t.Helper()
	fsys, err := vfs.New(context.Background(), memfs.New(memfs.Options{}).Driver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestMountErrors(t *testing.T) {
	requireFUSE(t)
	fsys := newMemFS(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m := mountMem(t, nil, Options{})
	for _, tc := range []struct {
		name, mountpoint string
		want             syscall.Errno
		words            string
	}{
		{"missing", filepath.Join(dir, "missing"), syscall.ENOENT, "does not exist"},
		{"not a directory", file, syscall.ENOTDIR, "not a directory"},
		{"already mounted", m.dir, syscall.EBUSY, "already mounted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := Mount(fsys, tc.mountpoint, Options{Logger: testLogger(t)})
			if err == nil {
				srv.Unmount()
				t.Fatalf("Mount(%s) succeeded", tc.mountpoint)
			}
			var me *MountError
			if !errors.Is(err, tc.want) || !errors.As(err, &me) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("Mount(%s) = %v, want a MountError with %v saying %q", tc.mountpoint, err, tc.want, tc.words)
			}
		})
	}
	if err := Unmount(dir, false); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Unmount of a directory nothing is mounted on = %v, want EINVAL", err)
	}
}

func TestUnmountBusyThenLazy(t *testing.T) {
	requireFUSE(t)
	dir := t.TempDir()
	srv, err := Mount(newMemFS(t), dir, Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "open"))
	if err != nil {
		srv.Unmount()
		t.Fatal(err)
	}
	if err := srv.Unmount(); !errors.Is(err, syscall.EBUSY) {
		f.Close()
		srv.Unmount()
		t.Fatalf("Unmount with an open file = %v, want EBUSY", err)
	}
	if err := srv.UnmountLazy(); err != nil {
		t.Fatalf("UnmountLazy: %v", err)
	}
	if _, ok := mountedOnPath(dir); ok {
		t.Errorf("%s is still mounted after a lazy unmount", dir)
	}
	// The detached mount still serves the open file.
	if _, err := f.WriteString("still served"); err != nil {
		t.Errorf("write to a file of a lazily unmounted filesystem: %v", err)
	}
	f.Close()
	srv.Wait()
	if st := srv.Stats(); st.Nodes != 0 || st.OpenHandles != 0 {
		t.Errorf("after the last close the frontend still holds %+v", st)
	}
}

func mountedOnPath(dir string) (string, bool) {
	real, _ := filepath.EvalSymlinks(dir)
	fstype, _, ok := mountedOn(real)
	return fstype, ok
}

func TestMountShowsInMountinfo(t *testing.T) {
	m := mountMem(t, nil, Options{FsName: "memfs-test", ReadOnly: true, AllowOther: true})
	fstype, ok := mountedOnPath(m.dir)
	if !ok || fstype != "fuse.netvfs" {
		t.Fatalf("mountinfo for %s: type %q mounted %v, want fuse.netvfs", m.dir, fstype, ok)
	}
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, " "+m.dir+" ") {
			for _, want := range []string{"ro", "memfs-test", "default_permissions", "allow_other"} {
				if !strings.Contains(line, want) {
					t.Errorf("mountinfo line lacks %q: %s", want, line)
				}
			}
		}
	}
}

func TestReadOnlyMount(t *testing.T) {
	mem := memfs.New(memfs.Options{})
	if err := mem.Remote().WriteFile("f", []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := mountDriver(t, mem.Driver(), nil, Options{ReadOnly: true})
	if b, err := os.ReadFile(m.path("f")); err != nil || string(b) != "data" {
		t.Fatalf("read on a read-only mount: %q, %v", b, err)
	}
	checks := map[string]error{
		"create": os.WriteFile(m.path("new"), nil, 0o644),
		"write":  os.WriteFile(m.path("f"), nil, 0o644),
		"mkdir":  os.Mkdir(m.path("d"), 0o755),
		"remove": os.Remove(m.path("f")),
		"chmod":  os.Chmod(m.path("f"), 0o600),
	}
	for op, err := range checks {
		if !errors.Is(err, syscall.EROFS) {
			t.Errorf("%s on a read-only mount: %v, want EROFS", op, err)
		}
	}
}

// syncBuffer is a bytes.Buffer for a logger written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestDebugLogsEveryRequest(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := mountMem(t, nil, Options{Debug: true, Logger: log})
	os.WriteFile(m.path("logged"), []byte("x"), 0o644)
	os.Stat(m.path("missing"))
	out := buf.String()
	for _, want := range []string{"CREATE", "WRITE", "FLUSH", "LOOKUP n1", "missing", "level=DEBUG"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}
}
