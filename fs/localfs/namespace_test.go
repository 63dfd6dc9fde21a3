package localfs

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

func TestUnlinkAndRmdir(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	e.mkdir("full")
	e.writeFile("full/f", "")
	e.writeFile("f", "")
	must(t, "symlink", os.Symlink("d", e.path("l")))
	wantErr(t, "Unlink dir", e.fs.Unlink(e.ctx, e.root, "d"), syscall.EISDIR)
	wantErr(t, "Unlink missing", e.fs.Unlink(e.ctx, e.root, "missing"), syscall.ENOENT)
	wantErr(t, "Rmdir file", e.fs.Rmdir(e.ctx, e.root, "f"), syscall.ENOTDIR)
	wantErr(t, "Rmdir symlink to dir", e.fs.Rmdir(e.ctx, e.root, "l"), syscall.ENOTDIR)
	wantErr(t, "Rmdir non-empty", e.fs.Rmdir(e.ctx, e.root, "full"), syscall.ENOTEMPTY)
	wantErr(t, "Rmdir missing", e.fs.Rmdir(e.ctx, e.root, "missing"), syscall.ENOENT)
	must(t, "Unlink symlink", e.fs.Unlink(e.ctx, e.root, "l"))
	if _, err := os.Stat(e.path("d")); err != nil {
		t.Fatal("unlinking a symlink touched its target")
	}
	must(t, "Unlink file", e.fs.Unlink(e.ctx, e.root, "f"))
	must(t, "Rmdir", e.fs.Rmdir(e.ctx, e.root, "d"))
	for _, name := range []string{"f", "d", "l"} {
		if _, err := os.Lstat(e.path(name)); !os.IsNotExist(err) {
			t.Errorf("%s still exists: %v", name, err)
		}
	}
	f, _ := e.lookup("full/f")
	wantErr(t, "Unlink in a file", e.fs.Unlink(e.ctx, f, "x"), syscall.ENOTDIR)
}

func TestRename(t *testing.T) {
	e := newEnv(t)
	e.mkdir("a")
	e.mkdir("b")
	e.writeFile("a/f", "f")
	e.writeFile("b/g", "g")
	a, _ := e.lookup("a")
	b, _ := e.lookup("b")
	f, fattr := e.lookup("a/f")
	must(t, "Rename", e.fs.Rename(e.ctx, a, "f", b, "f2", 0))
	e.fs.Moved(f, b, "f2")
	if e.readFile("b/f2") != "f" {
		t.Fatal("b/f2 does not hold the renamed file")
	}
	// The node follows the move: it resolves at its new place.
	attr, err := e.fs.Getattr(e.ctx, f)
	must(t, "Getattr after Moved", err)
	if attr.ID != fattr.ID {
		t.Fatal("moved node resolves to another object")
	}
	// Plain rename replaces.
	must(t, "Rename over", e.fs.Rename(e.ctx, b, "f2", b, "g", 0))
	e.fs.Moved(f, b, "g")
	if e.readFile("b/g") != "f" {
		t.Fatal("rename did not replace b/g")
	}
}

func TestRenameFlags(t *testing.T) {
	e := newEnv(t)
	e.writeFile("x", "x")
	e.writeFile("y", "y")
	x, xattr := e.lookup("x")
	y, yattr := e.lookup("y")

	err := e.fs.Rename(e.ctx, e.root, "x", e.root, "y", vfs.RenameNoReplace)
	wantErr(t, "RENAME_NOREPLACE over existing", err, syscall.EEXIST)
	if e.readFile("y") != "y" {
		t.Fatal("RENAME_NOREPLACE replaced the target")
	}
	must(t, "RENAME_NOREPLACE to a new name", e.fs.Rename(e.ctx, e.root, "x", e.root, "z", vfs.RenameNoReplace))
	e.fs.Moved(x, e.root, "z")

	must(t, "RENAME_EXCHANGE", e.fs.Rename(e.ctx, e.root, "z", e.root, "y", vfs.RenameExchange))
	e.fs.Moved(x, e.root, "y")
	e.fs.Moved(y, e.root, "z")
	if e.readFile("y") != "x" || e.readFile("z") != "y" {
		t.Fatal("RENAME_EXCHANGE did not swap")
	}
	if a, _ := e.fs.Getattr(e.ctx, x); a.ID != xattr.ID {
		t.Fatal("node x does not follow the exchange")
	}
	if a, _ := e.fs.Getattr(e.ctx, y); a.ID != yattr.ID {
		t.Fatal("node y does not follow the exchange")
	}
	err = e.fs.Rename(e.ctx, e.root, "y", e.root, "missing", vfs.RenameExchange)
	wantErr(t, "RENAME_EXCHANGE with a missing side", err, syscall.ENOENT)
	err = e.fs.Rename(e.ctx, e.root, "y", e.root, "z", vfs.RenameExchange|vfs.RenameNoReplace)
	wantErr(t, "both flags", err, syscall.EINVAL)
	err = e.fs.Rename(e.ctx, e.root, "y", e.root, "z", 1<<2) // RENAME_WHITEOUT is not offered
	wantErr(t, "unknown flag", err, syscall.EINVAL)
}

func TestRenameErrors(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	e.mkdir("d/sub")
	e.mkdir("full")
	e.writeFile("full/x", "")
	e.mkdir("empty")
	e.writeFile("f", "")
	d, _ := e.lookup("d")
	sub, _ := e.lookup("d/sub")
	f, _ := e.lookup("f")
	for _, tc := range []struct {
		what             string
		oldDir           any
		oldName, newName string
		newDir           any
		want             syscall.Errno
	}{
		{"missing source", e.root, "missing", "x", e.root, syscall.ENOENT},
		{"dir over non-empty dir", e.root, "d", "full", e.root, syscall.ENOTEMPTY},
		{"dir over file", e.root, "d", "f", e.root, syscall.ENOTDIR},
		{"file over dir", e.root, "f", "empty", e.root, syscall.EISDIR},
		{"dir into its own subtree", e.root, "d", "inside", sub, syscall.EINVAL},
		{"into a file", e.root, "f", "x", f, syscall.ENOTDIR},
		{"name ..", e.root, "f", "..", d, syscall.EINVAL},
	} {
		err := e.fs.Rename(e.ctx, tc.oldDir, tc.oldName, tc.newDir, tc.newName, 0)
		wantErr(t, "Rename "+tc.what, err, tc.want)
	}
	// Directory over an empty directory is allowed.
	must(t, "dir over empty dir", e.fs.Rename(e.ctx, e.root, "d", e.root, "empty", 0))
	if st := e.lstat("empty/sub"); st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Fatal("empty/sub missing after the rename")
	}
}

// Nodes below a renamed directory follow it once the directory's node is
// told (vfs.Mover), because they point at that node (the core keeps one
// node per directory, rule A2, and looks children up through it).
func TestMovedDirectoryCarriesChildren(t *testing.T) {
	e := newEnv(t)
	e.mkdir("a")
	e.mkdir("a/b")
	e.writeFile("a/b/f", "x")
	a, _ := e.lookup("a")
	b, _, err := e.fs.Lookup(e.ctx, a, "b")
	must(t, "Lookup b", err)
	f, _, err := e.fs.Lookup(e.ctx, b, "f")
	must(t, "Lookup f", err)
	must(t, "Rename", e.fs.Rename(e.ctx, e.root, "a", e.root, "renamed", 0))
	_, err = e.fs.Getattr(e.ctx, f)
	wantErr(t, "Getattr before Moved", err, syscall.ESTALE)
	e.fs.Moved(a, e.root, "renamed")
	if _, err := e.fs.Getattr(e.ctx, f); err != nil {
		t.Fatalf("Getattr after the parent's Moved: %v", err)
	}
	if p, _ := f.(*node).path(); p != "renamed/b/f" {
		t.Fatalf("path %q", p)
	}
}
