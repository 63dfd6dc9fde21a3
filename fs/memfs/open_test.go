package memfs

// Tests of Open, Create and AtomicOpen (rules O1-O3): every answer of the
// atomic-open contract, O_TRUNC, O_APPEND and access modes.

import (
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

func TestOpenByFileType(t *testing.T) {
	m, root := setup(t, Options{})
	d := mkdir(t, m, root, "d")
	l, _, err := m.Symlink(bg, root, "l", "d")
	must(t, "Symlink", err)
	p, _, err := m.Mknod(bg, root, "p", vfs.S_IFIFO|0o644, 0)
	must(t, "Mknod", err)

	h, err := m.Open(bg, d, syscall.O_RDONLY)
	must(t, "Open dir", err)
	_, err = h.ReadAt(bg, make([]byte, 1), 0)
	wantErrno(t, "ReadAt dir", err, syscall.EISDIR)
	_, err = h.WriteAt(bg, []byte("x"), 0)
	wantErrno(t, "WriteAt dir", err, syscall.EBADF)
	must(t, "Release dir", h.Release(bg))
	_, err = m.Open(bg, d, syscall.O_WRONLY)
	wantErrno(t, "Open dir for writing", err, syscall.EISDIR)
	_, err = m.Open(bg, d, syscall.O_RDONLY|syscall.O_TRUNC)
	wantErrno(t, "Open dir with O_TRUNC", err, syscall.EISDIR)
	_, err = m.Open(bg, l, syscall.O_RDONLY)
	wantErrno(t, "Open symlink", err, syscall.ELOOP)
	_, err = m.Open(bg, p, syscall.O_RDONLY)
	wantErrno(t, "Open fifo", err, syscall.ENXIO)
}

func TestOpenAccessModes(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "data")
	r, err := m.Open(bg, f, syscall.O_RDONLY)
	must(t, "Open", err)
	defer r.Release(bg)
	_, err = r.WriteAt(bg, []byte("x"), 0)
	wantErrno(t, "write on O_RDONLY", err, syscall.EBADF)
	err = r.(vfs.Allocator).Allocate(bg, 0, 10, 0)
	wantErrno(t, "fallocate on O_RDONLY", err, syscall.EBADF)
	w, err := m.Open(bg, f, syscall.O_WRONLY)
	must(t, "Open", err)
	defer w.Release(bg)
	_, err = w.ReadAt(bg, make([]byte, 1), 0)
	wantErrno(t, "read on O_WRONLY", err, syscall.EBADF)
}

func TestOpenTruncAndAppend(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "0123456789")
	before := getattr(t, m, f)
	h, err := m.Open(bg, f, syscall.O_RDONLY|syscall.O_TRUNC) // Linux truncates even so
	must(t, "Open O_TRUNC", err)
	must(t, "Release", h.Release(bg))
	if a := getattr(t, m, f); a.Size != 0 || a.MtimeNs <= before.MtimeNs || a.Blocks != 0 {
		t.Errorf("after O_TRUNC: %+v", a)
	}
	createFile(t, m, root, "g", "abc")
	g := lookupNode(t, m, root, "g")
	h, err = m.Open(bg, g, syscall.O_WRONLY|syscall.O_APPEND)
	must(t, "Open O_APPEND", err)
	for _, s := range []string{"de", "f"} {
		n, err := h.WriteAt(bg, []byte(s), 0) // offset ignored
		if err != nil || n != len(s) {
			t.Fatalf("append %q: %d, %v", s, n, err)
		}
	}
	must(t, "Release", h.Release(bg))
	if got := readAll(t, m, g); got != "abcdef" {
		t.Errorf("after appends: %q", got)
	}
}

func TestCreateOpensTheNewFile(t *testing.T) {
	m, root := setup(t, Options{})
	n, a, h, err := m.Create(bg, root, "f", syscall.O_RDWR, 0o7640|vfs.S_IFDIR)
	must(t, "Create", err)
	if a.Mode != vfs.S_IFREG|0o7640 || a.Nlink != 1 || a.Size != 0 {
		t.Errorf("created attr %+v", a)
	}
	_, err = h.WriteAt(bg, []byte("hi"), 0)
	must(t, "WriteAt", err)
	buf := make([]byte, 2)
	_, err = h.ReadAt(bg, buf, 0)
	must(t, "ReadAt", err)
	must(t, "Release", h.Release(bg))
	if string(buf) != "hi" || lookupNode(t, m, root, "f") != n {
		t.Errorf("read %q", buf)
	}
	wantErrno(t, "second Release", h.Release(bg), syscall.EBADF)
	_, err = h.ReadAt(bg, buf, 0)
	wantErrno(t, "ReadAt after Release", err, syscall.EBADF)
	f := lookupNode(t, m, root, "f")
	_, _, _, err = m.Create(bg, f, "x", syscall.O_RDWR, 0o644)
	wantErrno(t, "Create in a file", err, syscall.ENOTDIR)
}

// Rule O1/O3: each answer of AtomicOpen, exactly as the contract lists them.
func TestO1_AtomicOpenAnswers(t *testing.T) {
	m, root := setup(t, Options{})
	createFile(t, m, root, "file", "content")
	d := mkdir(t, m, root, "dir")
	_, _, err := m.Symlink(bg, root, "link", "file")
	must(t, "Symlink", err)
	_, _, err = m.Mknod(bg, root, "fifo", vfs.S_IFIFO|0o644, 0)
	must(t, "Mknod", err)
	const (
		rd   = syscall.O_RDONLY
		rw   = syscall.O_RDWR
		crt  = syscall.O_CREAT
		excl = syscall.O_EXCL
	)
	cases := []struct {
		name    string
		file    string
		flags   int
		err     syscall.Errno
		opened  bool
		found   bool
		created bool
	}{
		{"existing file", "file", rd, 0, true, true, false},
		{"existing file with O_CREAT", "file", rw | crt, 0, true, true, false},
		{"existing file with O_CREAT|O_EXCL", "file", rw | crt | excl, syscall.EEXIST, false, false, false},
		{"directory", "dir", rd, 0, false, true, false},
		{"directory with O_CREAT", "dir", rw | crt, 0, false, true, false},
		{"directory with O_CREAT|O_EXCL", "dir", rw | crt | excl, syscall.EEXIST, false, false, false},
		{"symlink", "link", rd, 0, false, true, false},
		{"symlink with O_CREAT", "link", rw | crt, 0, false, true, false},
		{"fifo", "fifo", rw, 0, false, true, false},
		{"absent without O_CREAT", "absent", rw, 0, false, false, false},
		{"absent with O_CREAT", "new1", rw | crt, 0, true, true, true},
		{"absent with O_CREAT|O_EXCL", "new2", rw | crt | excl, 0, true, true, true},
	}
	for _, c := range cases {
		res, err := m.AtomicOpen(bg, root, c.file, c.flags, 0o600)
		if c.err != 0 {
			wantErrno(t, c.name, err, c.err)
			continue
		}
		must(t, c.name, err)
		if (res.Handle != nil) != c.opened || (res.Node != nil) != c.found || res.Created != c.created {
			t.Errorf("%s: handle %v node %v created %v, want opened %v found %v created %v",
				c.name, res.Handle != nil, res.Node != nil, res.Created, c.opened, c.found, c.created)
		}
		if c.found && (res.Attr.Ino == 0 || res.Attr.Ino != getattr(t, m, res.Node).Ino) {
			t.Errorf("%s: attr %+v does not describe the node", c.name, res.Attr)
		}
		if !c.found && (res.Attr != vfs.Attr{}) {
			t.Errorf("%s: absent name with attributes %+v", c.name, res.Attr)
		}
		if res.Handle != nil {
			must(t, "Release", res.Handle.Release(bg))
		}
	}
	// Created once, then found: never reported created twice (rule O3).
	res, err := m.AtomicOpen(bg, root, "new1", rw|crt, 0o600)
	must(t, "reopen", err)
	if res.Created || res.Handle == nil {
		t.Errorf("second O_CREAT open of new1: created %v", res.Created)
	}
	res.Handle.Release(bg)
	if a := getattr(t, m, lookupNode(t, m, root, "new1")); a.Mode != vfs.S_IFREG|0o600 {
		t.Errorf("created mode %o", a.Mode)
	}
	_, err = m.AtomicOpen(bg, lookupNode(t, m, root, "file"), "x", rw|crt, 0o600)
	wantErrno(t, "AtomicOpen in a file", err, syscall.ENOTDIR)
	_, err = m.AtomicOpen(bg, d, string(make([]byte, 256)), rw|crt, 0o600)
	wantErrno(t, "AtomicOpen long name", err, syscall.ENAMETOOLONG)
}

// O_TRUNC applies to an existing regular file only, never to one this call
// created (rule O3) and never to a directory.
func TestO3_AtomicOpenTruncOnlyExisting(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "content")
	res, err := m.AtomicOpen(bg, root, "f", syscall.O_WRONLY|syscall.O_TRUNC, 0)
	must(t, "AtomicOpen", err)
	res.Handle.Release(bg)
	if a := getattr(t, m, f); a.Size != 0 || res.Attr.Size != 0 {
		t.Errorf("O_TRUNC left size %d (result %d)", a.Size, res.Attr.Size)
	}
	res, err = m.AtomicOpen(bg, root, "n", syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	must(t, "AtomicOpen create", err)
	if !res.Created {
		t.Fatalf("not created")
	}
	res.Handle.Release(bg)
	// A fresh inode has change 1 and atime == mtime; a truncate would have
	// moved both.
	if res.Attr.Change != 1 || res.Attr.MtimeNs != res.Attr.AtimeNs {
		t.Errorf("O_TRUNC was applied to the file the call created: %+v", res.Attr)
	}
}
