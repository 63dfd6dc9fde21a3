package localfs

// The node table: one node per object (rule A1), which is what keeps a
// hard-linked file reachable after the name it was first found by is gone,
// and moves a directory's node (and the nodes below it) when the directory
// is found at a new place.

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

func TestHardLinksShareOneNode(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "data")
	f, _ := e.lookup("f")
	must(t, "ln", os.Link(e.path("f"), e.path("h")))
	h, _ := e.lookup("h")
	if f != h {
		t.Fatal("two names of one file gave two nodes")
	}
	// The name the node was first found by goes away; the other still
	// leads to the object, without any open handle.
	must(t, "Unlink", e.fs.Unlink(e.ctx, e.root, "f"))
	attr, err := e.fs.Getattr(e.ctx, f)
	must(t, "Getattr after removing the first name", err)
	if attr.Nlink != 1 || attr.Size != 4 {
		t.Fatalf("attr %+v", attr)
	}
	// Link adds the new name to the node too.
	_, err = e.fs.Link(e.ctx, f, e.root, "g")
	must(t, "Link", err)
	must(t, "Unlink", e.fs.Unlink(e.ctx, e.root, "h"))
	if _, err := e.fs.Getattr(e.ctx, f); err != nil {
		t.Fatalf("Getattr through the linked name: %v", err)
	}
	must(t, "Unlink", e.fs.Unlink(e.ctx, e.root, "g"))
	_, err = e.fs.Getattr(e.ctx, f)
	wantErr(t, "Getattr after the last name went", err, syscall.ESTALE)
}

func TestDirectoryFoundAtANewPlaceMovesItsNode(t *testing.T) {
	e := newEnv(t)
	e.mkdir("a")
	e.mkdir("a/b")
	e.writeFile("a/b/f", "x")
	b, _ := e.lookup("a/b")
	f, _ := e.lookup("a/b/f")
	// Renamed behind the driver's back: the next lookup at the new place
	// gives the same node, now living there, and f follows.
	must(t, "mv", os.Rename(e.path("a/b"), e.path("b2")))
	b2, _ := e.lookup("b2")
	if b2 != b {
		t.Fatal("the renamed directory got a second node")
	}
	if _, err := e.fs.Getattr(e.ctx, f); err != nil {
		t.Fatalf("Getattr below the moved directory: %v", err)
	}
	if p, _ := f.(*node).path(); p != "b2/f" {
		t.Fatalf("path %q", p)
	}
}

func TestNodeRemembersBoundedPlaces(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f0", "")
	for i := 1; i < 2*maxLocations; i++ {
		must(t, "ln", os.Link(e.path("f0"), e.path(fmt.Sprintf("f%d", i))))
	}
	var n any
	for i := range 2 * maxLocations {
		n, _ = e.lookup(fmt.Sprintf("f%d", i))
	}
	if got := len(n.(*node).locations()); got != maxLocations {
		t.Fatalf("%d places remembered, want %d", got, maxLocations)
	}
	// The newest places are kept: the last name found resolves.
	must(t, "rm", os.Remove(e.path("f0")))
	if _, err := e.fs.Getattr(e.ctx, n); err != nil {
		t.Fatal(err)
	}
}

// Nodes the core dropped leave the table once the garbage collector frees
// them: the table does not grow with every name ever looked up.
func TestNodeTableForgetsFreedNodes(t *testing.T) {
	e := newEnv(t)
	for i := range 100 {
		e.writeFile(fmt.Sprintf("f%d", i), "")
	}
	must(t, "ReadDir", e.fs.ReadDir(e.ctx, e.root, func(vfs.DirEntry) bool { return true }))
	size := func() int {
		e.fs.nodesMu.Lock()
		defer e.fs.nodesMu.Unlock()
		return len(e.fs.nodes)
	}
	if size() < 100 {
		t.Fatalf("table has %d nodes after listing 100 files", size())
	}
	for deadline := time.Now().Add(5 * time.Second); size() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d nodes still in the table after they were dropped", size())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // cleanups run on their own goroutine
	}
	// A file looked up again gets a fresh node that works.
	n, _ := e.lookup("f1")
	if _, err := e.fs.Getattr(e.ctx, n); err != nil {
		t.Fatal(err)
	}
}
