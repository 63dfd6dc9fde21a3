package localfs

// Rule V3 from the driver's side: a node whose path no longer leads to the
// object it was found as answers ESTALE, whatever now sits at its path.

import (
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

func TestV3_ReplacedFileIsStale(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "old")
	f, _ := e.lookup("f")
	// Replace f with a new file (a new inode; keep the old one alive so
	// its number cannot be reused for the new file).
	must(t, "ln", os.Link(e.path("f"), e.path("keep")))
	must(t, "rm", os.Remove(e.path("f")))
	e.writeFile("f", "new")
	_, err := e.fs.Getattr(e.ctx, f)
	wantErr(t, "Getattr", err, syscall.ESTALE)
	_, err = e.fs.Open(e.ctx, f, unix.O_RDWR)
	wantErr(t, "Open", err, syscall.ESTALE)
	_, err = e.fs.Setattr(e.ctx, f, vfs.SetAttr{Valid: vfs.SetSize, Size: 0})
	wantErr(t, "Setattr", err, syscall.ESTALE)
	_, err = e.fs.Link(e.ctx, f, e.root, "f2")
	wantErr(t, "Link", err, syscall.ESTALE)
	_, err = e.fs.GetXattr(e.ctx, f, "user.x")
	wantErr(t, "GetXattr", err, syscall.ESTALE)
	if e.readFile("f") != "new" {
		t.Fatal("the new file was changed through the stale node")
	}
}

func TestV3_ReplacedDirectoryIsStale(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	e.writeFile("d/f", "x")
	d, _ := e.lookup("d")
	f, _ := e.lookup("d/f")
	must(t, "mv", os.Rename(e.path("d"), e.path("d.old")))
	e.mkdir("d")
	e.writeFile("d/f", "y")
	_, _, err := e.fs.Lookup(e.ctx, d, "f")
	wantErr(t, "Lookup in replaced dir", err, syscall.ESTALE)
	_, _, _, err = e.fs.Create(e.ctx, d, "new", unix.O_RDWR, 0o644)
	wantErr(t, "Create in replaced dir", err, syscall.ESTALE)
	_, err = e.fs.Getattr(e.ctx, f)
	wantErr(t, "Getattr of a file under a replaced dir", err, syscall.ESTALE)
	err = e.fs.ReadDir(e.ctx, d, func(vfs.DirEntry) bool { return true })
	wantErr(t, "ReadDir of replaced dir", err, syscall.ESTALE)
	if _, err := os.Lstat(e.path("d/new")); !os.IsNotExist(err) {
		t.Fatal("Create through a stale node made a file in the new directory")
	}
}

func TestV3_TypeChangedIsStale(t *testing.T) {
	e := newEnv(t)
	e.mkdir("d")
	e.writeFile("f", "")
	d, _ := e.lookup("d")
	f, _ := e.lookup("f")
	// Renamed away rather than removed, so that their inode numbers stay
	// in use.
	must(t, "mv", os.Rename(e.path("d"), e.path("d.old")))
	must(t, "mv", os.Rename(e.path("f"), e.path("f.old")))
	e.writeFile("d", "now a file") // ENOTDIR for paths through d
	e.mkdir("f")
	_, err := e.fs.Getattr(e.ctx, f)
	wantErr(t, "Getattr of file replaced by a dir", err, syscall.ESTALE)
	_, _, err = e.fs.Mkdir(e.ctx, d, "x", 0o755)
	wantErr(t, "Mkdir in a dir replaced by a file", err, syscall.ESTALE)
	_, err = e.fs.Readlink(e.ctx, f)
	wantErr(t, "Readlink", err, syscall.ESTALE)
}

// A file removed and recreated often gets the same inode number back; the
// birth time tells the two apart.
func TestV3_ReusedInodeNumberIsStale(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "old")
	f, _ := e.lookup("f")
	oldIno := e.lstat("f").Ino
	must(t, "rm", os.Remove(e.path("f")))
	time.Sleep(20 * time.Millisecond) // past the coarse clock's granularity
	e.writeFile("f", "new")
	t.Logf("inode number reused: %v", e.lstat("f").Ino == oldIno)
	_, err := e.fs.Getattr(e.ctx, f)
	wantErr(t, "Getattr of a recreated file", err, syscall.ESTALE)
}

// The identity check itself: same (dev, ino) but another type or birth
// time is another object; a missing birth time is not held against it.
func TestNodeIdentityCheck(t *testing.T) {
	st := unix.Statx_t{Ino: 7, Dev_major: 8, Dev_minor: 1, Mode: unix.S_IFREG | 0o644,
		Mask: unix.STATX_BTIME, Btime: unix.StatxTimestamp{Sec: 100}}
	n := nodeFor(nil, &st)
	same := st
	same.Mode = unix.S_IFREG | 0o600 // permissions may change
	if !n.is(&same) {
		t.Error("a chmod made the node another object")
	}
	for what, change := range map[string]func(*unix.Statx_t){
		"ino":   func(s *unix.Statx_t) { s.Ino = 8 },
		"dev":   func(s *unix.Statx_t) { s.Dev_minor = 2 },
		"type":  func(s *unix.Statx_t) { s.Mode = unix.S_IFDIR | 0o644 },
		"btime": func(s *unix.Statx_t) { s.Btime.Nsec = 1 },
	} {
		other := st
		change(&other)
		if n.is(&other) {
			t.Errorf("a different %s is taken for the same object", what)
		}
	}
	noBtime := st
	noBtime.Mask = 0
	if !n.is(&noBtime) {
		t.Error("a filesystem without birth times fails the check")
	}
}
