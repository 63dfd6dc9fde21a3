package sftpfs

// ReadDir's READDIR read-ahead (readdir.go): which requests a listing
// sends before which replies, that a long listing delivers every name once
// in the server's order, and that a listing given up early leaves the
// connection's request/reply matching intact.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// makeFiles creates n empty files in the test's directory dir and returns
// their names in the order readdir(3) lists them (the order the server
// reads the directory in).
func (e *env) makeFiles(dir string, n int) []string {
	e.t.Helper()
	e.mkdirLocal(dir)
	for i := range n {
		e.writeLocal(fmt.Sprintf("%s/f%04d", dir, i), "")
	}
	f, err := os.Open(e.local(dir))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		e.t.Fatal(err)
	}
	return names
}

// listNames lists dir through the driver.
func listNames(c context.Context, fs *FS, dir vfs.Node) ([]string, error) {
	var names []string
	err := fs.ReadDir(c, dir, func(de vfs.DirEntry) bool {
		names = append(names, de.Name)
		return true
	})
	return names, err
}

// packets renders events as "→OPENDIR ←HANDLE ..." (→ sent, ← received).
func packets(events []traceEvent) string {
	var b strings.Builder
	for i, ev := range events {
		if i > 0 {
			b.WriteByte(' ')
		}
		if ev.send {
			b.WriteString("→")
		} else {
			b.WriteString("←")
		}
		b.WriteString(typeName(ev.typ, ev.ext))
	}
	return b.String()
}

// A small directory is listed in two waits: OPENDIR, then two READDIRs
// sent back to back, whose replies (the names, then EOF) come in one round
// trip. The CLOSE is sent but not awaited: the test holds back every reply
// received after it, and the listing still returns.
func TestReadDirSmallDirectoryTwoWaitsCloseNotAwaited(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	want := e.makeFiles("small", 10)

	var closeSent atomic.Bool
	release := make(chan struct{})
	opts := baseOptions(e.srv)
	opts.trace = func(ev traceEvent) {
		e.rec.record(ev)
		if ev.send && ev.typ == fxpClose {
			closeSent.Store(true)
		} else if !ev.send && closeSent.Load() {
			<-release // the recv loop: no reply after the CLOSE is delivered
		}
	}
	e.fs = e.dial(opts)
	t.Cleanup(func() { close(release) }) // before the dial's Close
	dir, _ := e.lookup("small")

	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.rec.start()
	got, err := listNames(c, e.fs, dir)
	events := e.rec.stop()
	if err != nil {
		t.Fatalf("ReadDir = %v (did it wait for the CLOSE reply?); packets %s", err, packets(events))
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v in the server's order", got, want)
	}
	const wantPackets = "→OPENDIR ←HANDLE →READDIR →READDIR ←NAME ←STATUS →CLOSE"
	if p := packets(events); p != wantPackets {
		t.Errorf("packets %s\nwant    %s", p, wantPackets)
	}
}

// A directory of many batches delivers every name exactly once, in the
// server's order, and sends no READDIR beyond the one answered EOF.
func TestReadDirLargeDirectoryEveryNameOnceInOrder(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	want := e.makeFiles("big", 1000)
	dir, _ := e.lookup("big")

	e.rec.start()
	got, err := listNames(ctx(t), e.fs, dir)
	events := e.rec.stop()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d names, want the %d of readdir(3) in its order", len(got), len(want))
	}
	// OpenSSH answers 100 names a batch (counting "." and ".."): 10 full
	// batches, one of 2 names, then EOF.
	readdirs := 0
	for _, name := range sent(events) {
		if name == "READDIR" {
			readdirs++
		}
	}
	if wantReaddirs := (len(want)+2)/fullBatch + 2; readdirs != wantReaddirs {
		t.Errorf("sent %d READDIRs, want %d", readdirs, wantReaddirs)
	}
}

// A listing stopped by its caller, or by its ctx, while READDIRs are in
// flight leaves replies that nobody waits for; they must not be taken for
// the replies of later requests on the connection.
func TestReadDirGivenUpMidwayLeavesConnectionConsistent(t *testing.T) {
	t.Parallel()
	e := newSharedEnv(t)
	want := e.makeFiles("big", 1000)
	e.writeLocal("sized", "12345")
	dir, _ := e.lookup("big")
	root := e.rootNode()

	n := 0
	err := e.fs.ReadDir(ctx(t), dir, func(vfs.DirEntry) bool { n++; return false })
	if err != nil || n != 1 {
		t.Fatalf("stopped listing: %d entries, %v; want 1, nil", n, err)
	}

	c, cancel := context.WithCancel(ctx(t))
	n = 0
	err = e.fs.ReadDir(c, dir, func(vfs.DirEntry) bool {
		if n++; n == 150 { // in the second batch, the third in flight
			cancel()
		}
		return true
	})
	if !errors.Is(err, context.Canceled) || n != 150 {
		t.Fatalf("cancelled listing: %d entries, %v; want 150, context.Canceled", n, err)
	}

	_, a, err := e.fs.Lookup(ctx(t), root, "sized")
	if err != nil || a.Size != 5 {
		t.Errorf("Lookup after abandoned listings = %+v, %v; want size 5", a, err)
	}
	got, err := listNames(ctx(t), e.fs, dir)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("listing after abandoned listings: %d names, %v; want all %d in order", len(got), err, len(want))
	}
}
