package localfs

import (
	"io"
	"os"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

func TestOpen(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "hello")
	f, _ := e.lookup("f")
	h, err := e.fs.Open(e.ctx, f, unix.O_RDWR)
	must(t, "Open", err)
	buf := make([]byte, 10)
	n, err := h.ReadAt(e.ctx, buf, 0)
	if n != 5 || err != io.EOF || string(buf[:n]) != "hello" {
		t.Fatalf("ReadAt = %d %q %v, want 5 \"hello\" EOF", n, buf[:n], err)
	}
	must(t, "Release", h.Release(e.ctx))

	// O_TRUNC truncates; O_APPEND appends whatever the offset.
	h, err = e.fs.Open(e.ctx, f, unix.O_WRONLY|unix.O_TRUNC|unix.O_APPEND)
	must(t, "Open O_TRUNC|O_APPEND", err)
	for _, s := range []string{"ab", "cd"} {
		if _, err := h.WriteAt(e.ctx, []byte(s), 0); err != nil {
			t.Fatal(err)
		}
	}
	must(t, "Release", h.Release(e.ctx))
	if got := e.readFile("f"); got != "abcd" {
		t.Fatalf("after O_TRUNC and two appends: %q", got)
	}

	// A read-only handle cannot write (the kernel's EBADF).
	h, err = e.fs.Open(e.ctx, f, unix.O_RDONLY)
	must(t, "Open O_RDONLY", err)
	_, err = h.WriteAt(e.ctx, []byte("x"), 0)
	wantErr(t, "WriteAt on a read-only handle", err, syscall.EBADF)
	h.Release(e.ctx)
}

func TestOpenByFileType(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	must(t, "symlink", os.Symlink("d", e.path("l")))
	must(t, "mkfifo", unix.Mkfifo(e.path("fifo"), 0o644))
	d, _ := e.lookup("d")
	l, _ := e.lookup("l")
	fifo, _ := e.lookup("fifo")

	h, err := e.fs.Open(e.ctx, d, unix.O_RDONLY)
	must(t, "Open dir read-only", err)
	_, err = h.ReadAt(e.ctx, make([]byte, 1), 0)
	wantErr(t, "ReadAt on a directory", err, syscall.EISDIR)
	must(t, "Fsync dir", h.Fsync(e.ctx, false))
	h.Release(e.ctx)
	for _, flags := range []int{unix.O_WRONLY, unix.O_RDWR, unix.O_RDONLY | unix.O_TRUNC} {
		_, err = e.fs.Open(e.ctx, d, flags)
		wantErr(t, "Open dir for writing", err, syscall.EISDIR)
	}
	_, err = e.fs.Open(e.ctx, l, unix.O_RDONLY)
	wantErr(t, "Open symlink", err, syscall.ELOOP)
	// A FIFO opens without blocking for a peer: no writer needed to read,
	// and write-only without a reader is ENXIO (O_NONBLOCK semantics).
	h, err = e.fs.Open(e.ctx, fifo, unix.O_RDONLY)
	must(t, "Open fifo for reading", err)
	h.Release(e.ctx)
	_, err = e.fs.Open(e.ctx, fifo, unix.O_WRONLY)
	wantErr(t, "Open fifo for writing without reader", err, syscall.ENXIO)
}

func TestAtomicOpen(t *testing.T) {
	e := newEnv(t)
	e.writeFile("file", "content")
	e.mkdir("dir")
	must(t, "symlink", os.Symlink("file", e.path("link")))
	must(t, "symlink", os.Symlink("absent", e.path("dangling")))
	must(t, "mkfifo", unix.Mkfifo(e.path("fifo"), 0o644))
	const rw = unix.O_RDWR
	for _, tc := range []struct {
		name    string
		flags   int
		err     syscall.Errno
		opened  bool
		created bool
		typ     uint32 // of the node answered; 0 = no node
	}{
		{"file", rw, 0, true, false, unix.S_IFREG},
		{"file", rw | unix.O_CREAT, 0, true, false, unix.S_IFREG},
		{"file", rw | unix.O_CREAT | unix.O_EXCL, syscall.EEXIST, false, false, 0},
		{"absent", rw, 0, false, false, 0},
		{"new1", rw | unix.O_CREAT, 0, true, true, unix.S_IFREG},
		{"new2", rw | unix.O_CREAT | unix.O_EXCL, 0, true, true, unix.S_IFREG},
		{"dir", unix.O_RDONLY, 0, false, false, unix.S_IFDIR},
		{"dir", rw | unix.O_CREAT, 0, false, false, unix.S_IFDIR},
		{"dir", rw | unix.O_CREAT | unix.O_EXCL, syscall.EEXIST, false, false, 0},
		{"link", rw, 0, false, false, unix.S_IFLNK},
		{"link", rw | unix.O_CREAT, 0, false, false, unix.S_IFLNK},
		{"dangling", rw | unix.O_CREAT, 0, false, false, unix.S_IFLNK},
		{"dangling", rw | unix.O_CREAT | unix.O_EXCL, syscall.EEXIST, false, false, 0},
		{"fifo", unix.O_WRONLY, 0, false, false, unix.S_IFIFO},
	} {
		r, err := e.fs.AtomicOpen(e.ctx, e.root, tc.name, tc.flags, 0o640)
		what := tc.name
		if tc.err != 0 {
			wantErr(t, "AtomicOpen "+what, err, tc.err)
			continue
		}
		if err != nil {
			t.Errorf("AtomicOpen %s flags %#o: %v", what, tc.flags, err)
			continue
		}
		if (r.Handle != nil) != tc.opened || r.Created != tc.created {
			t.Errorf("AtomicOpen %s flags %#o: opened=%v created=%v, want %v %v", what, tc.flags, r.Handle != nil, r.Created, tc.opened, tc.created)
		}
		if tc.typ == 0 && r.Node != nil || tc.typ != 0 && (r.Node == nil || r.Attr.Mode&unix.S_IFMT != tc.typ) {
			t.Errorf("AtomicOpen %s: node %v mode %o, want type %o", what, r.Node, r.Attr.Mode, tc.typ)
		}
		if r.Handle != nil {
			r.Handle.Release(e.ctx)
		}
	}
	if _, err := os.Lstat(e.path("absent")); !os.IsNotExist(err) {
		t.Errorf("a symlink was followed to create its target: %v", err)
	}
	if st := e.lstat("new1"); st.Mode != unix.S_IFREG|0o640 {
		t.Errorf("created mode %o", st.Mode)
	}
}

func TestAtomicOpenTruncAndAppend(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "0123456789")
	r, err := e.fs.AtomicOpen(e.ctx, e.root, "f", unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC, 0o644)
	must(t, "AtomicOpen O_TRUNC", err)
	if r.Created || r.Attr.Size != 0 {
		t.Fatalf("O_TRUNC of an existing file: created=%v size=%d", r.Created, r.Attr.Size)
	}
	r.Handle.Release(e.ctx)
	e.writeFile("f", "ab")
	r, err = e.fs.AtomicOpen(e.ctx, e.root, "f", unix.O_WRONLY|unix.O_APPEND, 0)
	must(t, "AtomicOpen O_APPEND", err)
	r.Handle.WriteAt(e.ctx, []byte("cd"), 0)
	r.Handle.Release(e.ctx)
	if got := e.readFile("f"); got != "abcd" {
		t.Fatalf("content %q", got)
	}
}

// Rule O3: of many concurrent O_CREAT opens of one absent name, exactly one
// reports Created. (The core serialises per name; the driver is exact on its
// own anyway, since other processes share the directory.)
func TestO3_ExactlyOneCreated(t *testing.T) {
	e := newEnv(t)
	const workers, rounds = 8, 40
	for round := range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]vfs.OpenResult, workers)
		errs := make([]error, workers)
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = e.fs.AtomicOpen(e.ctx, e.root, "x", unix.O_RDWR|unix.O_CREAT, 0o644)
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		var id string
		for i := range workers {
			if errs[i] != nil {
				t.Fatalf("round %d: %v", round, errs[i])
			}
			if results[i].Created {
				created++
			}
			if id == "" {
				id = results[i].Attr.ID
			} else if results[i].Attr.ID != id {
				t.Fatalf("round %d: two objects answered for one name", round)
			}
			results[i].Handle.Release(e.ctx)
		}
		if created != 1 {
			t.Fatalf("round %d: %d callers told Created, want 1", round, created)
		}
		must(t, "rm", os.Remove(e.path("x")))
	}
}
