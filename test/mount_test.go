package test

// Scenario tests of the FUSE frontend: the core mounted through the kernel
// (memfs, and localfs over a temporary directory) and exercised with plain
// system calls and ordinary programs, compared with the same calls on a
// local directory. This file has the mount helpers and the errno table;
// mount_perm_test.go, mount_workload_test.go, mount_concurrency_test.go and
// mount_bench_test.go use them.
//
// The tests need /dev/fuse and root (CI runs them as root). Without either
// they fail with a message saying what is missing; they never skip.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/fs/localfs"
	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/fuse"
	"github.com/netvfs/netvfs/vfs"
)

// mnt is one mounted filesystem under test.
type mnt struct {
	name string // "memfs" or "localfs"
	dir  string // mountpoint
	fsys *vfs.FS
	srv  *fuse.Server
}

// mntRequire fails the test when this machine cannot run the mount tests.
func mntRequire(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Fatalf("the mount tests need /dev/fuse (modprobe fuse; in a container --device /dev/fuse): %v", err)
	}
	if os.Geteuid() != 0 {
		t.Fatalf("the mount tests need root (mounting, switching to uid nobody, dropping the kernel's caches)")
	}
}

// mntDir returns a new empty directory every user may enter (t.TempDir's
// parent is 0700, which would keep uid nobody out).
func mntDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "netvfs-mount-test-*")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// mntMount mounts drv with core options vo (nil: a 1s TTL and the invariant
// checker after every operation) and frontend options fo, and unmounts it
// when the test ends, checking that the kernel gave every reference back
// and that the core's invariants hold.
func mntMount(t testing.TB, name string, drv vfs.Driver, vo *vfs.Options, fo fuse.Options) *mnt {
	t.Helper()
	mntRequire(t)
	if vo == nil {
		vo = &vfs.Options{CheckInvariants: true}
	}
	fsys, err := vfs.New(context.Background(), drv, vo)
	if err != nil {
		t.Fatalf("vfs.New(%s): %v", name, err)
	}
	dir := filepath.Join(mntDir(t), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, err := fuse.Mount(fsys, dir, fo)
	if err != nil {
		t.Fatalf("mounting %s: %v", name, err)
	}
	t.Cleanup(func() {
		var err error
		for range 100 { // a child process may still be exiting
			if err = srv.Unmount(); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			srv.UnmountLazy()
			t.Errorf("unmounting %s: %v", name, err)
		}
		srv.Wait()
		if st := srv.Stats(); st.Nodes != 0 || st.OpenHandles != 0 {
			t.Errorf("%s: after unmount the frontend still holds %+v", name, st)
		}
		if err := fsys.CheckInvariants(); err != nil {
			t.Errorf("%s: CheckInvariants after unmount: %v", name, err)
		}
	})
	return &mnt{name: name, dir: dir, fsys: fsys, srv: srv}
}

// mntMemfs mounts a fresh memfs.
func mntMemfs(t testing.TB, vo *vfs.Options, fo fuse.Options) *mnt {
	return mntMount(t, "memfs", memfs.New(memfs.Options{}).Driver(), vo, fo)
}

// mntLocalfs mounts localfs over a new directory.
func mntLocalfs(t testing.TB, vo *vfs.Options, fo fuse.Options) *mnt {
	t.Helper()
	backing := filepath.Join(mntDir(t), "backing")
	if err := os.Mkdir(backing, 0o755); err != nil {
		t.Fatal(err)
	}
	drv, err := localfs.New(backing)
	if err != nil {
		t.Fatalf("localfs.New: %v", err)
	}
	return mntMount(t, "localfs", drv, vo, fo)
}

// mntBoth mounts memfs and localfs.
func mntBoth(t testing.TB, vo *vfs.Options, fo fuse.Options) []*mnt {
	return []*mnt{mntMemfs(t, vo, fo), mntLocalfs(t, vo, fo)}
}

// mntErrno returns the errno in err, 0 for nil, -1 for an error without one.
func mntErrno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return ^syscall.Errno(0)
}

// errnoCase is one row of the errno table. run prepares what it needs in
// the empty directory d (failing the test on a setup error) and returns the
// result of the one call under test; a call that succeeds may check what it
// did and return an error describing a wrong outcome.
type errnoCase struct {
	name string
	want syscall.Errno
	run  func(t *testing.T, d string) error
}

func mkfile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdirs(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// openErr opens path with flags and closes it at once.
func openErr(path string, flags int) error {
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o644)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

func readAll(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

var errnoCases = []errnoCase{
	{"O_EXCL on an existing file", unix.EEXIST, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		return openErr(d+"/f", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY)
	}},
	{"O_EXCL on an existing directory", unix.EEXIST, func(t *testing.T, d string) error {
		mkdirs(t, d+"/sub")
		return openErr(d+"/sub", unix.O_CREAT|unix.O_EXCL|unix.O_RDONLY)
	}},
	{"open of a missing name", unix.ENOENT, func(t *testing.T, d string) error {
		return openErr(d+"/missing", unix.O_RDONLY)
	}},
	{"open below a missing directory with O_CREAT", unix.ENOENT, func(t *testing.T, d string) error {
		return openErr(d+"/missing/f", unix.O_CREAT|unix.O_WRONLY)
	}},
	{"a file in the middle of a path", unix.ENOTDIR, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		return openErr(d+"/f/g", unix.O_RDONLY)
	}},
	{"a trailing slash on a file", unix.ENOTDIR, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		var st unix.Stat_t
		return unix.Stat(d+"/f/", &st)
	}},
	{"a directory opened for writing", unix.EISDIR, func(t *testing.T, d string) error {
		mkdirs(t, d+"/sub")
		return openErr(d+"/sub", unix.O_WRONLY)
	}},
	{"O_CREAT on a directory", unix.EISDIR, func(t *testing.T, d string) error {
		mkdirs(t, d+"/sub")
		return openErr(d+"/sub", unix.O_CREAT|unix.O_RDWR)
	}},
	{"O_DIRECTORY on a file", unix.ENOTDIR, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		return openErr(d+"/f", unix.O_RDONLY|unix.O_DIRECTORY)
	}},
	{"a symlink loop", unix.ELOOP, func(t *testing.T, d string) error {
		symlink(t, "b", d+"/a")
		symlink(t, "a", d+"/b")
		return openErr(d+"/a", unix.O_RDONLY)
	}},
	{"O_NOFOLLOW on a symlink", unix.ELOOP, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		symlink(t, "f", d+"/l")
		return openErr(d+"/l", unix.O_RDONLY|unix.O_NOFOLLOW)
	}},
	{"O_CREAT|O_EXCL on a dangling symlink", unix.EEXIST, func(t *testing.T, d string) error {
		symlink(t, "target", d+"/l")
		return openErr(d+"/l", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY)
	}},
	{"O_CREAT through a dangling symlink creates its target", 0, func(t *testing.T, d string) error {
		symlink(t, "target", d+"/l")
		if err := openErr(d+"/l", unix.O_CREAT|unix.O_WRONLY); err != nil {
			return err
		}
		if _, err := os.Lstat(d + "/target"); err != nil {
			return fmt.Errorf("the target was not created: %w", err)
		}
		return nil
	}},
	{"O_TRUNC empties a file", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "0123456789")
		if err := openErr(d+"/f", unix.O_WRONLY|unix.O_TRUNC); err != nil {
			return err
		}
		if s := readAll(d + "/f"); s != "" {
			return fmt.Errorf("after O_TRUNC the file holds %q", s)
		}
		return nil
	}},
	{"write on a read-only descriptor", unix.EBADF, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		fd, err := unix.Open(d+"/f", unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		_, err = unix.Write(fd, []byte("y"))
		return err
	}},
	{"mkdir of an existing name", unix.EEXIST, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		return unix.Mkdir(d+"/f", 0o755)
	}},
	{"rmdir of a non-empty directory", unix.ENOTEMPTY, func(t *testing.T, d string) error {
		mkdirs(t, d+"/sub")
		mkfile(t, d+"/sub/f", "x")
		return unix.Rmdir(d + "/sub")
	}},
	{"rmdir of a file", unix.ENOTDIR, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		return unix.Rmdir(d + "/f")
	}},
	{"rmdir of .", unix.EINVAL, func(t *testing.T, d string) error {
		mkdirs(t, d+"/sub")
		return unix.Rmdir(d + "/sub/.")
	}},
	{"unlink of a directory", unix.EISDIR, func(t *testing.T, d string) error {
		mkdirs(t, d+"/sub")
		return unix.Unlink(d + "/sub")
	}},
	{"symlink onto an existing name", unix.EEXIST, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		return unix.Symlink("anything", d+"/f")
	}},
	{"readlink of a file", unix.EINVAL, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		_, err := unix.Readlink(d+"/f", make([]byte, 64))
		return err
	}},
	{"a name longer than 255 bytes", unix.ENAMETOOLONG, func(t *testing.T, d string) error {
		return openErr(d+"/"+strings.Repeat("n", 256), unix.O_CREAT|unix.O_WRONLY)
	}},
	{"truncate of a directory", unix.EISDIR, func(t *testing.T, d string) error {
		mkdirs(t, d+"/sub")
		return unix.Truncate(d+"/sub", 0)
	}},
	{"RENAME_NOREPLACE onto an existing name", unix.EEXIST, func(t *testing.T, d string) error {
		mkfile(t, d+"/a", "a")
		mkfile(t, d+"/b", "b")
		return unix.Renameat2(unix.AT_FDCWD, d+"/a", unix.AT_FDCWD, d+"/b", unix.RENAME_NOREPLACE)
	}},
	{"RENAME_NOREPLACE onto a free name", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/a", "a")
		if err := unix.Renameat2(unix.AT_FDCWD, d+"/a", unix.AT_FDCWD, d+"/b", unix.RENAME_NOREPLACE); err != nil {
			return err
		}
		if readAll(d+"/b") != "a" {
			return errors.New("b does not hold a's data")
		}
		return nil
	}},
	{"RENAME_EXCHANGE of a file and a directory", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/a", "a")
		mkdirs(t, d+"/b")
		mkfile(t, d+"/b/inner", "inner")
		if err := unix.Renameat2(unix.AT_FDCWD, d+"/a", unix.AT_FDCWD, d+"/b", unix.RENAME_EXCHANGE); err != nil {
			return err
		}
		if readAll(d+"/b") != "a" || readAll(d+"/a/inner") != "inner" {
			return errors.New("the names were not exchanged")
		}
		return nil
	}},
	{"RENAME_EXCHANGE with a missing name", unix.ENOENT, func(t *testing.T, d string) error {
		mkfile(t, d+"/a", "a")
		return unix.Renameat2(unix.AT_FDCWD, d+"/a", unix.AT_FDCWD, d+"/b", unix.RENAME_EXCHANGE)
	}},
	{"RENAME_EXCHANGE|RENAME_NOREPLACE", unix.EINVAL, func(t *testing.T, d string) error {
		mkfile(t, d+"/a", "a")
		mkfile(t, d+"/b", "b")
		return unix.Renameat2(unix.AT_FDCWD, d+"/a", unix.AT_FDCWD, d+"/b", unix.RENAME_EXCHANGE|unix.RENAME_NOREPLACE)
	}},
	{"rename of a directory over a non-empty one", unix.ENOTEMPTY, func(t *testing.T, d string) error {
		mkdirs(t, d+"/a", d+"/b")
		mkfile(t, d+"/b/f", "x")
		return unix.Rename(d+"/a", d+"/b")
	}},
	{"rename of a directory into itself", unix.EINVAL, func(t *testing.T, d string) error {
		mkdirs(t, d+"/a/b")
		return unix.Rename(d+"/a", d+"/a/b/c")
	}},
	{"rename of a file over a directory", unix.EISDIR, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		mkdirs(t, d+"/sub")
		return unix.Rename(d+"/f", d+"/sub")
	}},
	{"rename of a directory over a file", unix.ENOTDIR, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		mkdirs(t, d+"/sub")
		return unix.Rename(d+"/sub", d+"/f")
	}},
	{"rename over a file replaces it", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/a", "new")
		mkfile(t, d+"/b", "old")
		if err := unix.Rename(d+"/a", d+"/b"); err != nil {
			return err
		}
		if _, err := os.Lstat(d + "/a"); !os.IsNotExist(err) || readAll(d+"/b") != "new" {
			return errors.New("rename did not replace b with a")
		}
		return nil
	}},
	{"a hard link to a directory", unix.EPERM, func(t *testing.T, d string) error {
		mkdirs(t, d+"/sub")
		return unix.Link(d+"/sub", d+"/l")
	}},
	{"hard links count", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "x")
		for _, n := range []string{"/g", "/h"} {
			if err := unix.Link(d+"/f", d+n); err != nil {
				return err
			}
		}
		var st unix.Stat_t
		if err := unix.Stat(d+"/h", &st); err != nil {
			return err
		}
		if st.Nlink != 3 {
			return fmt.Errorf("nlink %d after two links, want 3", st.Nlink)
		}
		unix.Unlink(d + "/f")
		if err := unix.Stat(d+"/g", &st); err != nil || st.Nlink != 2 {
			return fmt.Errorf("nlink %d (%v) after an unlink, want 2", st.Nlink, err)
		}
		return nil
	}},
	{"an unlinked open file stays readable", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "still here")
		f, err := os.Open(d + "/f")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := unix.Unlink(d + "/f"); err != nil {
			return err
		}
		b := make([]byte, 64)
		n, err := f.ReadAt(b, 0)
		if string(b[:n]) != "still here" {
			return fmt.Errorf("after unlink the open file reads %q, %v", b[:n], err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Nlink != 0 {
			return fmt.Errorf("fstat after unlink: nlink %d, %v; want 0", st.Nlink, err)
		}
		if _, err := os.Lstat(d + "/f"); !os.IsNotExist(err) {
			return fmt.Errorf("the unlinked name is still there: %v", err)
		}
		return nil
	}},
	{"a file created in a removed directory", unix.ENOENT, func(t *testing.T, d string) error {
		mkdirs(t, d+"/gone")
		fd, err := unix.Open(d+"/gone", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Rmdir(d + "/gone"); err != nil {
			t.Fatal(err)
		}
		nfd, err := unix.Openat(fd, "x", unix.O_CREAT|unix.O_WRONLY, 0o644)
		if err == nil {
			unix.Close(nfd)
		}
		return err
	}},
	{"fifos and sockets", 0, func(t *testing.T, d string) error {
		if err := unix.Mkfifo(d+"/fifo", 0o644); err != nil {
			return err
		}
		if err := unix.Mknod(d+"/sock", unix.S_IFSOCK|0o644, 0); err != nil {
			return err
		}
		var st unix.Stat_t
		if unix.Lstat(d+"/fifo", &st); st.Mode&unix.S_IFMT != unix.S_IFIFO {
			return fmt.Errorf("fifo has mode %o", st.Mode)
		}
		if unix.Lstat(d+"/sock", &st); st.Mode&unix.S_IFMT != unix.S_IFSOCK {
			return fmt.Errorf("socket has mode %o", st.Mode)
		}
		// A fifo on the mount is a pipe the kernel runs.
		r, err := os.OpenFile(d+"/fifo", os.O_RDONLY|unix.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		defer r.Close()
		w, err := os.OpenFile(d+"/fifo", os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		w.WriteString("through the pipe")
		w.Close()
		b := make([]byte, 64)
		n, _ := r.Read(b)
		if string(b[:n]) != "through the pipe" {
			return fmt.Errorf("read %q from the fifo", b[:n])
		}
		return nil
	}},
	{"O_APPEND writes at the end", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/f", "abc")
		f, err := os.OpenFile(d+"/f", os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		f.WriteString("def")
		f.Close()
		if s := readAll(d + "/f"); s != "abcdef" {
			return fmt.Errorf("after an append the file holds %q", s)
		}
		return nil
	}},
	{"rename of a hard link onto its other name does nothing", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/a", "x")
		if err := unix.Link(d+"/a", d+"/b"); err != nil {
			t.Fatal(err)
		}
		if err := unix.Rename(d+"/a", d+"/b"); err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(d+"/a", &st); err != nil || st.Nlink != 2 {
			return fmt.Errorf("after the rename a: nlink %d, %v; want both names kept", st.Nlink, err)
		}
		return nil
	}},
	{"a sparse write past 4 GiB", 0, func(t *testing.T, d string) error {
		f, err := os.Create(d + "/sparse")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		const off = 5 << 30
		if _, err := f.WriteAt([]byte("end"), off); err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Stat(d+"/sparse", &st); err != nil || st.Size != off+3 {
			return fmt.Errorf("size %d (%v), want %d", st.Size, err, off+3)
		}
		b := make([]byte, 4)
		if _, err := f.ReadAt(b, off-1); err != nil || string(b) != "\x00end" {
			return fmt.Errorf("read %q (%v) around the end", b, err)
		}
		return nil
	}},
	{"a shared writable mapping writes the file", 0, func(t *testing.T, d string) error {
		mkfile(t, d+"/mapped", strings.Repeat(".", 8192))
		f, err := os.OpenFile(d+"/mapped", os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		mem, err := unix.Mmap(int(f.Fd()), 0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return err
		}
		copy(mem[4096:], "through the mapping")
		if err := unix.Msync(mem, unix.MS_SYNC); err != nil {
			return err
		}
		unix.Munmap(mem)
		// Read it back past the page cache: from the filesystem itself.
		if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 19)
		if _, err := f.ReadAt(b, 4096); err != nil || string(b) != "through the mapping" {
			return fmt.Errorf("read %q (%v) after msync", b, err)
		}
		return nil
	}},
	{"fallocate extends a file", 0, func(t *testing.T, d string) error {
		f, err := os.Create(d + "/f")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := unix.Fallocate(int(f.Fd()), 0, 0, 1<<16); err != nil {
			return err
		}
		fi, _ := f.Stat()
		if fi.Size() != 1<<16 {
			return fmt.Errorf("size %d after fallocate of 64 KiB", fi.Size())
		}
		return nil
	}},
}

// TestMountErrnosMatchLocal runs the errno table on a local directory, on
// memfs and on localfs through FUSE: every call must give the same errno
// (and the one the table expects).
func TestMountErrnosMatchLocal(t *testing.T) {
	mounts := mntBoth(t, nil, fuse.Options{})
	local := t.TempDir()
	for i, c := range errnoCases {
		t.Run(c.name, func(t *testing.T) {
			sub := fmt.Sprintf("case%02d", i)
			want := c.run(t, mkSub(t, local, sub))
			if mntErrno(want) != c.want {
				t.Fatalf("on a local directory: %v, the table wants %v (a wrong test)", want, c.want)
			}
			for _, m := range mounts {
				got := c.run(t, mkSub(t, m.dir, sub))
				if mntErrno(got) != mntErrno(want) {
					t.Errorf("%s: %v; a local directory gives %v", m.name, got, want)
				}
			}
		})
	}
	for _, m := range mounts {
		if err := m.fsys.CheckInvariants(); err != nil {
			t.Errorf("%s: %v", m.name, err)
		}
	}
}

func mkSub(t *testing.T, dir, name string) string {
	t.Helper()
	d := filepath.Join(dir, name)
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// mntSame fails unless two byte slices are equal, showing the first
// difference.
func mntSame(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- mount\n%s\n--- local\n%s", what, got, want)
	}
}
