package localfs

// Rule P2 from the driver's side: nothing the driver is asked to do may act
// outside its root, whatever was planted in the tree. Every test snapshots
// everything next to the root and checks it is unchanged afterwards.

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// attack is one driver call that, if it followed a planted symlink or a
// "..", would read or change something outside the root.
type attack struct {
	what string
	call func() error
}

// attacksOn returns calls on directory node dir, which held "secret" (a
// file, node file) and "sub" (a directory) when the nodes were made, as the
// outside directory does.
func attacksOn(e *env, dir, file vfs.Node) []attack {
	ctx := e.ctx
	f := e.fs
	// release closes a handle an attack should not have got.
	release := func(h vfs.Handle) {
		if h != nil {
			h.Release(ctx)
		}
	}
	return []attack{
		{"Lookup", func() error { _, _, err := f.Lookup(ctx, dir, "secret"); return err }},
		{"Getattr", func() error { _, err := f.Getattr(ctx, file); return err }},
		{"Readlink", func() error { _, err := f.Readlink(ctx, file); return err }},
		{"Statfs", func() error { _, err := f.Statfs(ctx, file); return err }},
		{"Setattr mode", func() error {
			_, err := f.Setattr(ctx, file, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o777})
			return err
		}},
		{"Setattr size", func() error {
			_, err := f.Setattr(ctx, file, vfs.SetAttr{Valid: vfs.SetSize, Size: 0})
			return err
		}},
		{"Setattr owner", func() error {
			_, err := f.Setattr(ctx, file, vfs.SetAttr{Valid: vfs.SetUid | vfs.SetGid, Uid: 4242, Gid: 4242})
			return err
		}},
		{"Setattr times", func() error {
			_, err := f.Setattr(ctx, file, vfs.SetAttr{Valid: vfs.SetMtimeNow | vfs.SetAtimeNow})
			return err
		}},
		{"Open for writing", func() error {
			h, err := f.Open(ctx, file, unix.O_RDWR|unix.O_TRUNC)
			release(h)
			return err
		}},
		{"AtomicOpen existing", func() error {
			r, err := f.AtomicOpen(ctx, dir, "secret", unix.O_RDWR|unix.O_TRUNC, 0)
			release(r.Handle)
			return err
		}},
		{"AtomicOpen create", func() error {
			r, err := f.AtomicOpen(ctx, dir, "new", unix.O_RDWR|unix.O_CREAT, 0o644)
			release(r.Handle)
			return err
		}},
		{"Create", func() error {
			_, _, h, err := f.Create(ctx, dir, "new", unix.O_RDWR, 0o644)
			release(h)
			return err
		}},
		{"Mkdir", func() error { _, _, err := f.Mkdir(ctx, dir, "newdir", 0o755); return err }},
		{"Mknod", func() error { _, _, err := f.Mknod(ctx, dir, "fifo", unix.S_IFIFO|0o644, 0); return err }},
		{"Symlink", func() error { _, _, err := f.Symlink(ctx, dir, "sl", "x"); return err }},
		{"Link into", func() error { _, err := f.Link(ctx, e.root, dir, "lnk"); return err }},
		{"Link out of", func() error { _, err := f.Link(ctx, file, e.root, "stolen"); return err }},
		{"Unlink", func() error { return f.Unlink(ctx, dir, "secret") }},
		{"Rmdir", func() error { return f.Rmdir(ctx, dir, "sub") }},
		{"Rename out of", func() error { return f.Rename(ctx, dir, "secret", e.root, "stolen", 0) }},
		{"Rename over", func() error { return f.Rename(ctx, e.root, "bait", dir, "secret", 0) }},
		{"Rename exchange", func() error { return f.Rename(ctx, e.root, "bait", dir, "sub", vfs.RenameExchange) }},
		{"ReadDir", func() error { return f.ReadDir(ctx, dir, func(vfs.DirEntry) bool { return true }) }},
		{"SetXattr", func() error { return f.SetXattr(ctx, file, "user.evil", []byte("x"), 0) }},
		{"GetXattr", func() error { _, err := f.GetXattr(ctx, file, "user.x"); return err }},
		{"ListXattr", func() error { _, err := f.ListXattr(ctx, file); return err }},
		{"RemoveXattr", func() error { return f.RemoveXattr(ctx, file, "user.x") }},
	}
}

// runAttacks runs every attack, requires each to fail with want, and
// checks that nothing outside the root changed.
func runAttacks(t *testing.T, e *env, dir, file vfs.Node, want syscall.Errno) {
	t.Helper()
	before := e.outsideSnapshot()
	for _, a := range attacksOn(e, dir, file) {
		wantErr(t, a.what, a.call(), want)
	}
	e.checkOutside(before)
}

// plantTree makes dir/secret and dir/sub below the root (the same names
// the outside directory has) and an unrelated file "bait" at the top.
func plantTree(e *env, dir string) {
	e.mkdir(dir)
	e.mkdir(dir + "/sub")
	e.writeFile(dir+"/secret", "inside")
	e.writeFile("bait", "bait")
}

func TestP2_DirectoryReplacedBySymlinkToOutside(t *testing.T) {
	e := newEnv(t)
	plantTree(e, "d")
	d, _ := e.lookup("d")
	secret, _ := e.lookup("d/secret")
	// Behind the driver's back, d becomes a symlink to the outside.
	must(t, "mv", os.Rename(e.path("d"), e.path("d.old")))
	must(t, "ln -s", os.Symlink(e.outside, e.path("d")))
	runAttacks(t, e, d, secret, syscall.ESTALE)
	// A fresh lookup sees the symlink as such; using it as a directory
	// fails, it is never followed.
	link, attr := e.lookup("d")
	if !attr.IsSymlink() {
		t.Fatalf("d looks like %o", attr.Mode)
	}
	before := e.outsideSnapshot()
	_, _, _, err := e.fs.Create(e.ctx, link, "new", unix.O_RDWR, 0o644)
	wantErr(t, "Create in a symlink", err, syscall.ENOTDIR)
	_, _, err = e.fs.Lookup(e.ctx, link, "secret")
	wantErr(t, "Lookup in a symlink", err, syscall.ENOTDIR)
	wantErr(t, "Unlink in a symlink", e.fs.Unlink(e.ctx, link, "secret"), syscall.ENOTDIR)
	e.checkOutside(before)
}

func TestP2_SymlinkSwappedIntoTheMiddleOfAPath(t *testing.T) {
	e := newEnv(t)
	e.mkdir("a")
	e.mkdir("a/b")
	plantTree(e, "a/b/c")
	c, _ := e.lookup("a/b/c")
	secret, _ := e.lookup("a/b/c/secret")
	// a/b becomes a relative symlink whose "c" would be the outside.
	must(t, "mv", os.Rename(e.path("a/b"), e.path("b.old")))
	must(t, "mkdir", os.Mkdir(filepath.Join(e.base, "c-parent"), 0o755))
	must(t, "ln -s", os.Symlink(e.outside, filepath.Join(e.base, "c-parent", "c")))
	must(t, "ln -s", os.Symlink("../../c-parent", e.path("a/b")))
	runAttacks(t, e, c, secret, syscall.ESTALE)
}

func TestP2_RootReplacedBySymlink(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "x")
	// The root directory is renamed and its path made a symlink to the
	// outside: the driver keeps working on the directory it opened.
	must(t, "mv", os.Rename(e.dir, e.dir+".moved"))
	must(t, "ln -s", os.Symlink(e.outside, e.dir))
	before := snapshot(t, e.outside, "")
	_, _, h, err := e.fs.Create(e.ctx, e.root, "new", unix.O_RDWR, 0o644)
	must(t, "Create", err)
	h.Release(e.ctx)
	if _, err := os.Lstat(e.dir + ".moved/new"); err != nil {
		t.Fatalf("file not created in the opened root: %v", err)
	}
	if after := snapshot(t, e.outside, ""); len(after) != len(before) {
		t.Fatal("the outside directory changed")
	}
}

func TestP2_DotDotAndSlashNames(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "x")
	e.mkdir("d")
	f, _ := e.lookup("f")
	d, _ := e.lookup("d")
	before := e.outsideSnapshot()
	for _, name := range []string{"..", "../outside/secret", "../outside", "d/../../outside/secret", e.outside + "/secret", "."} {
		for _, a := range []attack{
			{"Lookup", func() error { _, _, err := e.fs.Lookup(e.ctx, d, name); return err }},
			{"Create", func() error { _, _, _, err := e.fs.Create(e.ctx, d, name, unix.O_RDWR, 0o644); return err }},
			{"AtomicOpen", func() error {
				_, err := e.fs.AtomicOpen(e.ctx, d, name, unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC, 0o644)
				return err
			}},
			{"Mkdir", func() error { _, _, err := e.fs.Mkdir(e.ctx, d, name, 0o755); return err }},
			{"Mknod", func() error { _, _, err := e.fs.Mknod(e.ctx, d, name, unix.S_IFIFO|0o644, 0); return err }},
			{"Symlink", func() error { _, _, err := e.fs.Symlink(e.ctx, d, name, "x"); return err }},
			{"Link", func() error { _, err := e.fs.Link(e.ctx, f, d, name); return err }},
			{"Unlink", func() error { return e.fs.Unlink(e.ctx, d, name) }},
			{"Rmdir", func() error { return e.fs.Rmdir(e.ctx, d, name) }},
			{"Rename from", func() error { return e.fs.Rename(e.ctx, d, name, e.root, "stolen", 0) }},
			{"Rename to", func() error { return e.fs.Rename(e.ctx, e.root, "f", d, name, 0) }},
		} {
			wantErr(t, a.what+" "+name, a.call(), syscall.EINVAL)
		}
	}
	e.checkOutside(before)
	if e.readFile("f") != "x" {
		t.Fatal("f changed")
	}
}

// Moved with a name that climbs out (only a broken core could do it) makes
// the node stale; it never resolves outside.
func TestP2_MovedOutOfTheRoot(t *testing.T) {
	e := newEnv(t)
	plantTree(e, "d")
	d, _ := e.lookup("d")
	secret, _ := e.lookup("d/secret")
	e.fs.Moved(d, e.root, "../outside")
	e.fs.Moved(secret, e.root, "../outside/secret")
	runAttacks(t, e, d, secret, syscall.ESTALE)
	e.fs.Moved(d, e.root, e.outside)
	e.fs.Moved(secret, e.root, e.outside+"/secret")
	runAttacks(t, e, d, secret, syscall.ESTALE)
}

// Symlinks with absolute or climbing targets are data: every call on such a
// link acts on the link itself.
func TestP2_SymlinkTargetsAreNeverFollowed(t *testing.T) {
	e := newEnv(t)
	before := e.outsideSnapshot()
	for _, target := range []string{e.outside + "/secret", "../outside/secret", "../../../../../../" + e.outside + "/secret"} {
		l, lattr, err := e.fs.Symlink(e.ctx, e.root, "l", target)
		must(t, "Symlink", err)
		_, err = e.fs.Open(e.ctx, l, unix.O_RDWR|unix.O_TRUNC)
		wantErr(t, "Open symlink", err, syscall.ELOOP)
		r, err := e.fs.AtomicOpen(e.ctx, e.root, "l", unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC, 0o644)
		if err != nil || r.Handle != nil || r.Attr.ID != lattr.ID {
			t.Errorf("AtomicOpen of symlink: handle=%v err=%v; want the link, not opened", r.Handle, err)
		}
		_, _, _, err = e.fs.Create(e.ctx, e.root, "l", unix.O_RDWR, 0o644)
		wantErr(t, "Create over symlink", err, syscall.EEXIST)
		_, err = e.fs.Setattr(e.ctx, l, vfs.SetAttr{Valid: vfs.SetSize, Size: 0})
		wantErr(t, "truncate symlink", err, syscall.EINVAL)
		_, err = e.fs.Setattr(e.ctx, l, vfs.SetAttr{Valid: vfs.SetMode, Mode: 0o777})
		wantErr(t, "chmod symlink", err, syscall.EOPNOTSUPP)
		attr, err := e.fs.Setattr(e.ctx, l, vfs.SetAttr{Valid: vfs.SetMtime, MtimeNs: 1e9})
		if err != nil || attr.MtimeNs != 1e9 || !attr.IsSymlink() {
			t.Errorf("utimes on symlink: %+v %v", attr, err)
		}
		if os.Geteuid() == 0 {
			attr, err := e.fs.Setattr(e.ctx, l, vfs.SetAttr{Valid: vfs.SetUid, Uid: 4242})
			if err != nil || attr.Uid != 4242 {
				t.Errorf("chown symlink: %+v %v", attr, err)
			}
		}
		_, _, err = e.fs.Lookup(e.ctx, l, "secret")
		wantErr(t, "Lookup through symlink", err, syscall.ENOTDIR)
		wantErr(t, "SetXattr user.* on symlink", e.fs.SetXattr(e.ctx, l, "user.x", []byte("v"), 0), syscall.EPERM)
		attr, err = e.fs.Getattr(e.ctx, l)
		if err != nil || !attr.IsSymlink() || attr.Size != int64(len(target)) {
			t.Errorf("Getattr symlink: %+v %v", attr, err)
		}
		if _, err := e.fs.Link(e.ctx, l, e.root, "l2"); err != nil {
			t.Errorf("Link of symlink: %v", err)
		}
		if st := e.lstat("l2"); st.Mode&unix.S_IFMT != unix.S_IFLNK {
			t.Errorf("hard link of a symlink is %o", st.Mode)
		}
		must(t, "Unlink", e.fs.Unlink(e.ctx, e.root, "l"))
		must(t, "Unlink", e.fs.Unlink(e.ctx, e.root, "l2"))
	}
	e.checkOutside(before)
}

// A directory is swapped with a symlink to the outside (renameat2
// RENAME_EXCHANGE, so some name always exists) while calls through its
// node run. Each call either acts inside the root or fails; none acts
// outside.
func TestP2_RacingSwapOfADirectoryAndASymlink(t *testing.T) {
	e := newEnv(t)
	plantTree(e, "d")
	must(t, "ln -s", os.Symlink(e.outside, e.path("swap")))
	d, _ := e.lookup("d")
	secret, _ := e.lookup("d/secret")
	sub, _ := e.lookup("d/sub")
	before := e.outsideSnapshot()

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			unix.Renameat2(unix.AT_FDCWD, e.path("d"), unix.AT_FDCWD, e.path("swap"), unix.RENAME_EXCHANGE)
		}
	}()
	var successes atomic.Int64
	deadline := time.Now().Add(300 * time.Millisecond)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				var err error
				switch (i + w) % 8 {
				case 0:
					var h vfs.Handle
					if _, _, h, err = e.fs.Create(e.ctx, d, "secret2", unix.O_RDWR, 0o600); err == nil {
						h.Release(e.ctx)
						err = e.fs.Unlink(e.ctx, d, "secret2")
					}
				case 1:
					_, err = e.fs.Setattr(e.ctx, secret, vfs.SetAttr{Valid: vfs.SetMode | vfs.SetMtimeNow, Mode: 0o600})
				case 2:
					var r vfs.OpenResult
					if r, err = e.fs.AtomicOpen(e.ctx, d, "secret", unix.O_RDWR|unix.O_TRUNC, 0); err == nil && r.Handle != nil {
						r.Handle.WriteAt(e.ctx, []byte("inside"), 0)
						r.Handle.Release(e.ctx)
					}
				case 3:
					if _, _, err = e.fs.Mkdir(e.ctx, sub, "x", 0o700); err == nil {
						err = e.fs.Rmdir(e.ctx, sub, "x")
					}
				case 4:
					err = e.fs.SetXattr(e.ctx, secret, "user.race", []byte("x"), 0)
				case 5:
					if _, _, err = e.fs.Symlink(e.ctx, d, "sl", "x"); err == nil {
						err = e.fs.Unlink(e.ctx, d, "sl")
					}
				case 6:
					if err = e.fs.Rename(e.ctx, d, "secret", d, "secret3", 0); err == nil {
						err = e.fs.Rename(e.ctx, d, "secret3", d, "secret", 0)
					}
				case 7:
					_, err = e.fs.Setattr(e.ctx, secret, vfs.SetAttr{Valid: vfs.SetSize, Size: 6})
				}
				if err == nil {
					successes.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Until(deadline))
	stop.Store(true)
	wg.Wait()
	e.checkOutside(before)
	// Not vacuous: while d was the real directory, calls went through.
	if successes.Load() == 0 {
		t.Fatal("no call succeeded: the race never let the driver act inside the root")
	}
	t.Logf("%d calls succeeded inside the root while the swap raced", successes.Load())
}

// A directory open through the driver and then moved out of the root by
// someone else: its handle still answers Getattr (as a local descriptor
// would), but nothing changes it or the names in it through the driver.
func TestP2_OpenDirectoryMovedOutOfTheRoot(t *testing.T) {
	e := newEnv(t)
	plantTree(e, "d")
	d, _ := e.lookup("d")
	h, err := e.fs.Open(e.ctx, d, unix.O_RDONLY)
	must(t, "Open dir", err)
	defer h.Release(e.ctx)
	must(t, "mv out", os.Rename(e.path("d"), filepath.Join(e.outside, "d")))
	before := e.outsideSnapshot()
	if _, err := e.fs.Getattr(e.ctx, d); err != nil {
		t.Errorf("Getattr through the open handle: %v", err)
	}
	_, err = e.fs.Setattr(e.ctx, d, vfs.SetAttr{Valid: vfs.SetMode | vfs.SetMtime, Mode: 0o700, MtimeNs: 1e9})
	wantErr(t, "Setattr", err, syscall.ESTALE)
	wantErr(t, "SetXattr", e.fs.SetXattr(e.ctx, d, "user.x", []byte("v"), 0), syscall.ESTALE)
	wantErr(t, "RemoveXattr", e.fs.RemoveXattr(e.ctx, d, "user.x"), syscall.ESTALE)
	_, _, _, err = e.fs.Create(e.ctx, d, "new", unix.O_RDWR, 0o644)
	wantErr(t, "Create", err, syscall.ESTALE)
	wantErr(t, "Unlink", e.fs.Unlink(e.ctx, d, "secret"), syscall.ESTALE)
	err = e.fs.ReadDir(e.ctx, d, func(vfs.DirEntry) bool { return true })
	wantErr(t, "ReadDir", err, syscall.ESTALE)
	e.checkOutside(before)
}
