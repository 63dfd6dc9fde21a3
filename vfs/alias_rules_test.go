package vfs_test

// Tests of the alias rules A1-A2.

import (
	"errors"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// TestA1_HardLinksShareInode: with identities, two names of one file are one
// inode; without (SFTP), they are separate.
func TestA1_HardLinksShareInode(t *testing.T) {
	for _, noID := range []bool{false, true} {
		f, m := mount(t, memfs.Options{NoIdentity: noID}, nil)
		must(t, m.Remote().WriteFile("a", []byte("x"), 0o644))
		must(t, f.Link(bg, "a", "b"))
		// A fresh mount learns both names from the server.
		f, err := vfs.New(bg, m.Driver(), &vfs.Options{CheckInvariants: true})
		must(t, err)
		ia, _, err := f.Lookup(bg, f.Root(), "a")
		must(t, err)
		ib, _, err := f.Lookup(bg, f.Root(), "b")
		must(t, err)
		if same := ia == ib; same == noID {
			t.Errorf("noIdentity=%v: names share an inode: %v", noID, same)
		}
		if a := ia.Attr(); a.Nlink != 2 {
			t.Errorf("nlink %d, want 2", a.Nlink)
		}
	}
}

// TestA2_ServerRenamedDirectory: a directory renamed on the server behind
// our back keeps its one dentry: the lookup at the new name moves it there.
func TestA2_ServerRenamedDirectory(t *testing.T) {
	f, m := mount(t, memfs.Options{NoWalk: true}, nil)
	must(t, f.MkdirAll(bg, "a/d", 0o755))
	must(t, f.WriteFile(bg, "a/d/x", []byte("x"), 0o644))
	must(t, m.Remote().Mkdir("b", 0o755)) // not made here: b's contents are not known (C1)
	before, _, err := f.Lookup(bg, f.Root(), "a")
	must(t, err)
	dOld, _, err := f.Lookup(bg, before, "d")
	must(t, err)
	must(t, m.Remote().Rename("a/d", "b/d"))
	bIno, _, err := f.Lookup(bg, f.Root(), "b")
	must(t, err)
	dNew, _, err := f.Lookup(bg, bIno, "d")
	must(t, err)
	if dNew != dOld {
		t.Fatal("the renamed directory got a second inode")
	}
	if p := dNew.Path(); p != "/b/d" {
		t.Fatalf("directory now at %q, want /b/d", p)
	}
	must(t, f.CheckInvariants())
	// Its cached child came along.
	if _, err := f.Getattr(bg, "b/d/x"); err != nil {
		t.Fatal(err)
	}
}

// TestA2_SpliceLoopRefused: the server moved a cached directory below one
// of its own cached descendants; splicing would make the cache a cycle, so
// the lookup fails and the cache stays a tree.
func TestA2_SpliceLoopRefused(t *testing.T) {
	f, m := mount(t, memfs.Options{NoWalk: true}, nil)
	must(t, m.Remote().Mkdir("x", 0o755)) // not made here: y's contents are not known (C1)
	must(t, m.Remote().Mkdir("x/y", 0o755))
	x, _, err := f.Lookup(bg, f.Root(), "x")
	must(t, err)
	y, _, err := f.Lookup(bg, x, "y")
	must(t, err)
	// Server: y moves up to the root, then x moves into y.
	must(t, m.Remote().Rename("x/y", "y"))
	must(t, m.Remote().Rename("x", "y/x"))
	// Through the cache y is still x/y; looking up "x" inside y finds x.
	_, _, err = f.Lookup(bg, y, "x")
	if !errors.Is(err, syscall.ELOOP) && !errors.Is(err, syscall.ESTALE) {
		t.Fatalf("lookup that would make a cycle: %v, want ELOOP or ESTALE", err)
	}
	must(t, f.CheckInvariants())
}
