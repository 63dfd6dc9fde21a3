package memfs

// Tests of Rename (rules D3, D4): every renameat2 error in Linux's order,
// and the link counts, parents, times and open files after a rename.

import (
	"strings"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

// renameTree builds:
//
//	/a/x  /a/sub/  /b/  /c/y  /f  /g  /h (hard link of f)  /l -> f
func renameTree(t *testing.T) *FS {
	t.Helper()
	m, root := setup(t, Options{})
	a := mkdir(t, m, root, "a")
	createFile(t, m, a, "x", "x")
	mkdir(t, m, a, "sub")
	mkdir(t, m, root, "b")
	c := mkdir(t, m, root, "c")
	createFile(t, m, c, "y", "y")
	f := createFile(t, m, root, "f", "f")
	createFile(t, m, root, "g", "g")
	_, err := m.Link(bg, f, root, "h")
	must(t, "Link", err)
	_, _, err = m.Symlink(bg, root, "l", "f")
	must(t, "Symlink", err)
	return m
}

// node resolves a slash path (no symlink following) to its node.
func node(t testing.TB, m *FS, path string) vfs.Node {
	t.Helper()
	m.mu.RLock()
	defer m.mu.RUnlock()
	ino, err := m.Remote().lookupLocked(path)
	must(t, "resolve "+path, err)
	return ino
}

func TestRenameErrorsAndSuccesses(t *testing.T) {
	const (
		noReplace = vfs.RenameNoReplace
		exchange  = vfs.RenameExchange
	)
	long := strings.Repeat("n", 256)
	cases := []struct {
		name          string
		oldDir, oldNm string
		newDir, newNm string
		flags         uint32
		want          syscall.Errno
	}{
		{"file to new name", "", "f", "", "f2", 0, 0},
		{"file over file", "", "f", "", "g", 0, 0},
		{"file over file noreplace", "", "f", "", "g", noReplace, syscall.EEXIST},
		{"file to new name noreplace", "", "f", "", "new", noReplace, 0},
		{"onto itself", "", "f", "", "f", 0, 0},
		{"onto itself noreplace", "", "f", "", "f", noReplace, syscall.EEXIST},
		{"onto itself exchange", "", "f", "", "f", exchange, 0},
		{"onto its hard link", "", "f", "", "h", 0, 0},
		{"onto its hard link noreplace", "", "f", "", "h", noReplace, syscall.EEXIST},
		{"file over dir", "", "f", "", "b", 0, syscall.EISDIR},
		{"dir over file", "", "b", "", "f", 0, syscall.ENOTDIR},
		{"dir over non-empty dir", "", "b", "", "c", 0, syscall.ENOTEMPTY},
		{"dir over empty dir", "", "b", "a", "sub", 0, 0},
		{"dir into its own subtree", "", "a", "a/sub", "new", 0, syscall.EINVAL},
		{"dir into itself", "", "a", "a", "new", 0, syscall.EINVAL},
		{"dir over its own child", "", "a", "a", "sub", 0, syscall.EINVAL},
		{"file over its ancestor", "a", "x", "", "a", 0, syscall.ENOTEMPTY},
		{"file exchanged with its ancestor", "a", "x", "", "a", exchange, syscall.EINVAL},
		{"dir over its ancestor noreplace", "a", "sub", "", "a", noReplace, syscall.EEXIST},
		{"missing source", "", "missing", "", "z", 0, syscall.ENOENT},
		{"exchange with missing", "", "f", "", "missing", exchange, syscall.ENOENT},
		{"exchange file and dir", "", "f", "", "b", exchange, 0},
		{"exchange across dirs", "a", "x", "c", "y", exchange, 0},
		{"symlink over file", "", "l", "", "g", 0, 0},
		{"both flags", "", "f", "", "z", noReplace | exchange, syscall.EINVAL},
		{"unknown flag", "", "f", "", "z", 4, syscall.EINVAL},
		{"name too long", "", "f", "", long, 0, syscall.ENAMETOOLONG},
		{"new dir is a file", "", "g", "f", "z", 0, syscall.ENOTDIR},
		{"old dir is a file", "f", "z", "", "z", 0, syscall.ENOTDIR},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := renameTree(t)
			err := m.Rename(bg, node(t, m, c.oldDir), c.oldNm, node(t, m, c.newDir), c.newNm, c.flags)
			if c.want != 0 {
				wantErrno(t, "Rename", err, c.want)
				return
			}
			must(t, "Rename", err)
		})
	}
}

func TestRenameMovesTheObject(t *testing.T) {
	m := renameTree(t)
	root := m.root
	f := node(t, m, "f")
	g := node(t, m, "g")
	ga := getattr(t, m, g)
	must(t, "Rename f g", m.Rename(bg, root, "f", node(t, m, "a"), "g", 0))
	if got := node(t, m, "a/g"); got != f {
		t.Errorf("a/g is not the renamed file")
	}
	_, _, err := m.Lookup(bg, root, "f")
	wantErrno(t, "old name", err, syscall.ENOENT)
	if readAll(t, m, f) != "f" || getattr(t, m, g) != ga {
		t.Errorf("moving to a new name disturbed an unrelated file")
	}
}

func TestRenameOverOpenFileKeepsItAliveUntilRelease(t *testing.T) {
	m := renameTree(t)
	root := m.root
	g := node(t, m, "g")
	h, err := m.Open(bg, g, syscall.O_RDONLY)
	must(t, "Open", err)
	dirBefore := getattr(t, m, root)
	must(t, "Rename", m.Rename(bg, root, "f", root, "g", 0))
	if a := getattr(t, m, g); a.Nlink != 0 {
		t.Errorf("replaced file nlink %d, want 0", a.Nlink)
	}
	buf := make([]byte, 1)
	if n, _ := h.ReadAt(bg, buf, 0); n != 1 || buf[0] != 'g' {
		t.Errorf("open replaced file reads %q", buf[:n])
	}
	if a := getattr(t, m, root); a.MtimeNs <= dirBefore.MtimeNs || a.Change == dirBefore.Change {
		t.Errorf("directory times did not move on rename")
	}
	must(t, "Release", h.Release(bg))
	_, err = m.Getattr(bg, g)
	wantErrno(t, "Getattr of released replaced file", err, syscall.ESTALE)
	// f's other link (h) still counts.
	if a := getattr(t, m, node(t, m, "g")); a.Nlink != 2 {
		t.Errorf("renamed file nlink %d, want 2", a.Nlink)
	}
}

func TestRenameOntoHardLinkIsANoOp(t *testing.T) {
	m := renameTree(t)
	before := getattr(t, m, node(t, m, "f"))
	dir := getattr(t, m, m.root)
	must(t, "Rename", m.Rename(bg, m.root, "f", m.root, "h", 0))
	if node(t, m, "f") != node(t, m, "h") {
		t.Errorf("names changed")
	}
	if a := getattr(t, m, node(t, m, "f")); a != before {
		t.Errorf("attributes changed: %+v -> %+v", before, a)
	}
	if a := getattr(t, m, m.root); a != dir {
		t.Errorf("directory changed on a no-op rename")
	}
}

func TestRenameDirectoryAcrossParentsFixesLinkCounts(t *testing.T) {
	m := renameTree(t)
	a, b := node(t, m, "a"), node(t, m, "b")
	sub := node(t, m, "a/sub")
	subBefore := getattr(t, m, sub)
	must(t, "Rename", m.Rename(bg, a, "sub", b, "moved", 0))
	if getattr(t, m, a).Nlink != 2 || getattr(t, m, b).Nlink != 3 {
		t.Errorf("nlink a=%d b=%d, want 2 and 3", getattr(t, m, a).Nlink, getattr(t, m, b).Nlink)
	}
	if sa := getattr(t, m, sub); sa.CtimeNs <= subBefore.CtimeNs || sa.MtimeNs != subBefore.MtimeNs {
		t.Errorf("moved dir: ctime must move, mtime stay")
	}
	// Its parent is b now: moving b below it is EINVAL.
	wantErrno(t, "b into its moved child", m.Rename(bg, m.root, "b", sub, "x", 0), syscall.EINVAL)
	// And a is no longer its ancestor.
	must(t, "a into moved", m.Rename(bg, m.root, "a", sub, "a", 0))

	// Replacing an empty directory drops the victim's link on its parent.
	m2 := renameTree(t)
	must(t, "Rename b over a/sub", m2.Rename(bg, m2.root, "b", node(t, m2, "a"), "sub", 0))
	if getattr(t, m2, m2.root).Nlink != 4 || getattr(t, m2, node(t, m2, "a")).Nlink != 3 {
		t.Errorf("nlink root=%d a=%d, want 4 and 3", getattr(t, m2, m2.root).Nlink, getattr(t, m2, node(t, m2, "a")).Nlink)
	}
}

func TestRenameExchangeSwapsAcrossDirectories(t *testing.T) {
	m := renameTree(t)
	c, sub, f := node(t, m, "c"), node(t, m, "a/sub"), node(t, m, "f")
	must(t, "exchange", m.Rename(bg, m.root, "f", node(t, m, "a"), "sub", vfs.RenameExchange))
	if node(t, m, "f") != sub || node(t, m, "a/sub") != f {
		t.Errorf("names not swapped")
	}
	if getattr(t, m, m.root).Nlink != 6 || getattr(t, m, node(t, m, "a")).Nlink != 2 {
		t.Errorf("nlink root=%d a=%d, want 6 and 2", getattr(t, m, m.root).Nlink, getattr(t, m, node(t, m, "a")).Nlink)
	}
	// sub's parent is the root now: moving it into c works, c into it too.
	must(t, "c into f", m.Rename(bg, m.root, "c", sub, "c", 0))
	if node(t, m, "f/c") != c {
		t.Errorf("f/c is not c")
	}
}
