package fuse

// Node ids and lookup counts: the kernel's references come back through
// FORGET, hard links share one node id, a renamed file keeps its id.

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// dropKernelCaches makes the kernel evict unused dentries and inodes, which
// sends FORGET for every node id it drops.
func dropKernelCaches(t *testing.T) {
	t.Helper()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("2"), 0); err != nil {
		t.Fatalf("dropping the kernel's dentry cache (needs root): %v", err)
	}
}

func TestForgetGivesBackEveryLookup(t *testing.T) {
	m := mountMem(t, &vfs.Options{}, Options{}) // invariants checked at the end
	const n = 300
	if err := os.Mkdir(m.path("d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(m.path(fmt.Sprintf("d/f%03d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// READDIRPLUS (ls -l) and LOOKUP (stat) both hand out references.
	if out, err := exec.Command("ls", "-l", m.path("d")).CombinedOutput(); err != nil {
		t.Fatalf("ls: %v\n%s", err, out)
	}
	for i := range n {
		if _, err := os.Stat(m.path(fmt.Sprintf("d/f%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	st := m.srv.Stats()
	if st.Nodes < n || st.Lookups < uint64(st.Nodes) {
		t.Fatalf("after stat of %d files the kernel holds %+v", n, st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		dropKernelCaches(t)
		if st = m.srv.Stats(); st.Nodes == 0 && st.Lookups == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after dropping the kernel's caches the frontend still holds %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The names are still there and come back under new ids.
	if _, err := os.Stat(m.path("d/f007")); err != nil {
		t.Fatalf("stat after forget: %v", err)
	}
	if err := m.fsys.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

func TestHardLinksShareANode(t *testing.T) {
	m := mountMem(t, nil, Options{})
	if err := os.WriteFile(m.path("a"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(m.path("a"), m.path("b")); err != nil {
		t.Fatal(err)
	}
	var sa, sb syscall.Stat_t
	if err := syscall.Stat(m.path("a"), &sa); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(m.path("b"), &sb); err != nil {
		t.Fatal(err)
	}
	if sa.Ino != sb.Ino || sa.Nlink != 2 || sb.Nlink != 2 {
		t.Fatalf("a: ino %d nlink %d; b: ino %d nlink %d; want one inode with 2 links", sa.Ino, sa.Nlink, sb.Ino, sb.Nlink)
	}
	if st := m.srv.Stats(); st.Nodes != 1 {
		t.Errorf("two names of one file take %d node ids, want 1", st.Nodes)
	}
	if err := os.Remove(m.path("a")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(m.path("b"), &sb); err != nil || sb.Nlink != 1 {
		t.Fatalf("after unlinking a: b nlink %d, %v; want 1", sb.Nlink, err)
	}
}

func TestRenameKeepsTheInode(t *testing.T) {
	m := mountMem(t, nil, Options{})
	if err := os.MkdirAll(m.path("x/y"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.path("x/y/f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after syscall.Stat_t
	syscall.Stat(m.path("x/y/f"), &before)
	f, err := os.Open(m.path("x/y/f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Rename(m.path("x"), m.path("z")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(m.path("z/y/f"), &after); err != nil || after.Ino != before.Ino {
		t.Fatalf("after renaming the directory: ino %d (was %d), %v", after.Ino, before.Ino, err)
	}
	b := make([]byte, 4)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "data" {
		t.Fatalf("reading the open file after renaming its directory: %q %v", b, err)
	}
	if ino, _, err := m.fsys.Lookup(bg, m.fsys.Root(), "z"); err != nil || ino.Path() != "/z" {
		t.Fatalf("core path of the renamed directory: %v", err)
	}
}

// TestRefRefusesForgottenInode: an Inode the core forgot between handing it
// out and the reply (its name removed, no one pinning it) gets no node id
// and no pin (in a LOOKUP or READDIRPLUS reply alike: both go through
// nodeTable.ref); a live one does.
func TestRefRefusesForgottenInode(t *testing.T) {
	mem := memfs.New(memfs.Options{})
	fsys, err := vfs.New(bg, mem.Driver(), &vfs.Options{CheckInvariants: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gone", "kept"} {
		if err := fsys.WriteFile(bg, name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gone, _, err := fsys.Lookup(bg, fsys.Root(), "gone")
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := fsys.Lookup(bg, fsys.Root(), "kept")
	if err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove(bg, "gone"); err != nil { // its last reference: forgotten
		t.Fatal(err)
	}
	var nodes nodeTable
	nodes.init(fsys)
	if id, ok := nodes.ref(gone); ok {
		t.Fatalf("a forgotten Inode got node id %d", id)
	}
	if _, ok := nodes.ref(kept); !ok {
		t.Fatal("a live Inode got no node id")
	}
	if ids, _ := nodes.count(); ids != 1 {
		t.Fatalf("the table holds %d ids, want 1", ids)
	}
	nodes.forgetAll()
	if err := fsys.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
