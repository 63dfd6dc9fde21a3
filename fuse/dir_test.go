package fuse

// Directory listings through the kernel: long listings served in many
// requests, stable offsets while the directory changes, rewinddir, and the
// inode numbers of "." and "..".

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// getdents lists fd with raw getdents64 calls of bufSize bytes each, so a
// test controls how many requests a listing takes.
func getdents(t *testing.T, fd int, bufSize int) (names []string, inos map[string]uint64) {
	t.Helper()
	inos = make(map[string]uint64)
	buf := make([]byte, bufSize)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			t.Fatalf("getdents: %v", err)
		}
		if n == 0 {
			return names, inos
		}
		for off := 0; off < n; {
			reclen := int(buf[off+16]) | int(buf[off+17])<<8
			ino := uint64(0)
			for i := 7; i >= 0; i-- {
				ino = ino<<8 | uint64(buf[off+i])
			}
			name := string(buf[off+19 : off+reclen])
			name = name[:strings.IndexByte(name, 0)]
			names = append(names, name)
			inos[name] = ino
			off += reclen
		}
	}
}

func TestReaddirLongListing(t *testing.T) {
	// No invariant check after every operation: it is linear in the size of
	// the cache. The cleanup checks once.
	m := mountMem(t, &vfs.Options{}, Options{})
	const n = 1000
	want := []string{".", ".."}
	for i := range n {
		name := fmt.Sprintf("%s-%04d", strings.Repeat("long-name", 10), i)
		if err := os.WriteFile(m.path(name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	fd, err := syscall.Open(m.dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	got, _ := getdents(t, fd, 1024) // ~8 names per call: over a hundred requests
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("listing of %d names through small getdents calls has %d names", len(want), len(got))
	}
}

func TestReaddirSnapshotIsStable(t *testing.T) {
	m := mountMem(t, &vfs.Options{}, Options{}) // invariants checked at cleanup
	for i := range 500 {
		os.WriteFile(m.path(fmt.Sprintf("old%03d", i)), nil, 0o644)
	}
	fd, err := syscall.Open(m.dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	buf := make([]byte, 512)
	if _, err := unix.Getdents(fd, buf); err != nil { // takes the snapshot
		t.Fatal(err)
	}
	// Change the directory under the open listing.
	for i := range 100 {
		os.Remove(m.path(fmt.Sprintf("old%03d", i*5)))
		os.WriteFile(m.path(fmt.Sprintf("new%03d", i)), nil, 0o644)
	}
	rest, _ := getdents(t, fd, 512)
	seen := map[string]bool{}
	for _, name := range rest {
		if seen[name] {
			t.Fatalf("%s listed twice", name)
		}
		seen[name] = true
		if strings.HasPrefix(name, "new") {
			t.Fatalf("%s, created after the listing started, is in it", name)
		}
	}
	// rewinddir starts a new pass that sees the changes.
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		t.Fatal(err)
	}
	all, _ := getdents(t, fd, 4096)
	listed := map[string]bool{}
	for _, name := range all {
		listed[name] = true
	}
	for i := range 100 {
		if removed := fmt.Sprintf("old%03d", i*5); listed[removed] {
			t.Fatalf("after rewinddir %s, removed before, is listed", removed)
		}
		if created := fmt.Sprintf("new%03d", i); !listed[created] {
			t.Fatalf("after rewinddir %s, created before, is missing", created)
		}
	}
	if len(all) != 2+500 {
		t.Fatalf("after rewinddir: %d names, want %d", len(all), 2+500)
	}
}

func TestReaddirDotInodes(t *testing.T) {
	m := mountMem(t, nil, Options{})
	if err := os.MkdirAll(m.path("a/b"), 0o755); err != nil {
		t.Fatal(err)
	}
	var sa, sb syscall.Stat_t
	syscall.Stat(m.path("a"), &sa)
	syscall.Stat(m.path("a/b"), &sb)
	fd, err := syscall.Open(m.path("a/b"), syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	_, inos := getdents(t, fd, 4096)
	if inos["."] != sb.Ino || inos[".."] != sa.Ino {
		t.Fatalf(`"." ino %d ".." ino %d, want %d and %d`, inos["."], inos[".."], sb.Ino, sa.Ino)
	}
}

func TestReaddirPlusAttributesAreFresh(t *testing.T) {
	m := mountMem(t, nil, Options{})
	os.Mkdir(m.path("d"), 0o755)
	os.Stat(m.path("d"))           // d cached with 2 links
	os.Mkdir(m.path("d/e"), 0o755) // now 3
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var st syscall.Stat_t
	if err := syscall.Stat(m.path("d"), &st); err != nil || st.Nlink != 3 {
		t.Fatalf("d after mkdir d/e and a listing: nlink %d (%v), want 3 (listed %v)", st.Nlink, err, names)
	}
}
