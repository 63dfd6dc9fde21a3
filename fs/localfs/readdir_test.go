package localfs

import (
	"fmt"
	"os"
	"sort"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// readAll lists dir with the driver.
func readAll(t *testing.T, e *env, dir vfs.Node) []vfs.DirEntry {
	t.Helper()
	var ents []vfs.DirEntry
	must(t, "ReadDir", e.fs.ReadDir(e.ctx, dir, func(de vfs.DirEntry) bool {
		ents = append(ents, de)
		return true
	}))
	return ents
}

func TestReadDirPlus(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	e.writeFile("f", "12345")
	must(t, "symlink", os.Symlink("f", e.path("l")))
	must(t, "mkfifo", unix.Mkfifo(e.path("p"), 0o644))
	ents := readAll(t, e, e.root)
	want := map[string]uint32{"d": unix.S_IFDIR, "f": unix.S_IFREG, "l": unix.S_IFLNK, "p": unix.S_IFIFO}
	if len(ents) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(ents), len(want), ents)
	}
	for _, de := range ents {
		st := e.lstat(de.Name)
		if de.Type != want[de.Name] || !de.HasAttr || de.Attr.Mode&unix.S_IFMT != de.Type ||
			de.Ino != st.Ino || de.Attr.Ino != st.Ino || de.Attr.ID != identity(st.Dev, st.Ino) {
			t.Errorf("entry %+v, disk ino %d", de, st.Ino)
		}
		// The node is usable like one from Lookup.
		attr, err := e.fs.Getattr(e.ctx, de.Node)
		if err != nil || attr.ID != de.Attr.ID {
			t.Errorf("Getattr of ReadDir node %s: %v", de.Name, err)
		}
	}
	if f := ents[indexOf(ents, "f")]; f.Attr.Size != 5 {
		t.Errorf("f size %d", f.Attr.Size)
	}
}

func indexOf(ents []vfs.DirEntry, name string) int {
	for i, de := range ents {
		if de.Name == name {
			return i
		}
	}
	return -1
}

func TestReadDirLargeStableAndStoppable(t *testing.T) {
	e := newEnv(t)
	const count = 2000 // more than one getdents buffer
	for i := range count {
		e.writeFile(fmt.Sprintf("file-with-a-longish-name-%04d", i), "")
	}
	first := readAll(t, e, e.root)
	second := readAll(t, e, e.root)
	if len(first) != count || len(second) != count {
		t.Fatalf("listed %d and %d entries, want %d", len(first), len(second), count)
	}
	for i := range first {
		if first[i].Name != second[i].Name {
			t.Fatalf("order differs at %d: %s vs %s", i, first[i].Name, second[i].Name)
		}
	}
	names := make([]string, 0, count)
	for _, de := range first {
		names = append(names, de.Name)
	}
	sort.Strings(names)
	for i, n := range names {
		if n != fmt.Sprintf("file-with-a-longish-name-%04d", i) {
			t.Fatalf("missing or duplicate entry near %s", n)
		}
	}
	seen := 0
	must(t, "ReadDir", e.fs.ReadDir(e.ctx, e.root, func(vfs.DirEntry) bool {
		seen++
		return seen < 3
	}))
	if seen != 3 {
		t.Fatalf("callback ran %d times after returning false at 3", seen)
	}
}

// An entry removed between getdents and its statx is skipped.
func TestReadDirSkipsVanishedEntries(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c"} {
		e.writeFile(n, "")
	}
	var got []string
	removed := ""
	must(t, "ReadDir", e.fs.ReadDir(e.ctx, e.root, func(de vfs.DirEntry) bool {
		got = append(got, de.Name)
		if removed == "" {
			// Remove another entry; getdents already returned all three.
			for _, n := range []string{"a", "b", "c"} {
				if n != de.Name {
					removed = n
					must(t, "rm", os.Remove(e.path(n)))
					break
				}
			}
		}
		return true
	}))
	if len(got) != 2 || got[0] == removed || got[1] == removed {
		t.Fatalf("listed %v after removing %s during the listing", got, removed)
	}
}

func TestReadDirErrors(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "")
	f, _ := e.lookup("f")
	err := e.fs.ReadDir(e.ctx, f, func(vfs.DirEntry) bool { return true })
	wantErr(t, "ReadDir of a file", err, syscall.ENOTDIR)
}
