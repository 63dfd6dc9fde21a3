package fuse

// Attributes: the caller owns what it creates, SETATTR does what chmod,
// chown, truncate and utimensat do on a local directory, the kernel's
// caches live as long as the revalidation policy says (rule V1), and the
// pure conversions are right.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

const nobody = 65534

// asNobody runs a shell command as uid/gid nobody.
func asNobody(script string) *exec.Cmd {
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

func TestCallerOwnsNewFiles(t *testing.T) {
	m := mountMem(t, nil, Options{AllowOther: true})
	if err := os.Chmod(m.dir, 0o777); err != nil {
		t.Fatal(err)
	}
	script := "touch f && mkdir d && ln -s f l && mkfifo p"
	// The shell changes directory itself: a child started with Cmd.Dir on
	// our own mount can deadlock us (see the package doc).
	cmd := asNobody("cd " + m.dir + " && " + script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s as nobody: %v\n%s", script, err, out)
	}
	for _, name := range []string{"f", "d", "l", "p"} {
		var st syscall.Stat_t
		if err := syscall.Lstat(m.path(name), &st); err != nil {
			t.Fatal(err)
		}
		if st.Uid != nobody || st.Gid != nobody {
			t.Errorf("%s created by nobody is owned by %d:%d", name, st.Uid, st.Gid)
		}
	}
}

// setattrScript changes attributes in dir and returns what stat says after
// each step.
func setattrScript(t *testing.T, dir string) []syscall.Stat_t {
	t.Helper()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out []syscall.Stat_t
	snap := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s in %s: %v", step, dir, err)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(f, &st); err != nil {
			t.Fatal(err)
		}
		out = append(out, st)
	}
	snap("chmod", os.Chmod(f, 0o4751))
	snap("chown", os.Chown(f, 1234, 5678))
	snap("truncate", os.Truncate(f, 3))
	snap("extend", os.Truncate(f, 1<<20))
	ts := []unix.Timespec{{Sec: 1000000000, Nsec: 123456789}, {Sec: 1500000000, Nsec: 42}}
	snap("utimensat", unix.UtimesNanoAt(unix.AT_FDCWD, f, ts, 0))
	ts = []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_NOW}}
	snap("utimensat now", unix.UtimesNanoAt(unix.AT_FDCWD, f, ts, 0))
	fh, err := os.OpenFile(f, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	snap("ftruncate", fh.Truncate(5))
	snap("fchmod", fh.Chmod(0o600))
	fh.Close()
	return out
}

func TestSetattrMatchesLocal(t *testing.T) {
	m := mountMem(t, nil, Options{})
	local := setattrScript(t, t.TempDir())
	mounted := setattrScript(t, m.dir)
	now := time.Now().Unix()
	for i := range local {
		l, g := local[i], mounted[i]
		if l.Mode != g.Mode || l.Uid != g.Uid || l.Gid != g.Gid || l.Size != g.Size {
			t.Errorf("step %d: mount mode %o %d:%d size %d, local mode %o %d:%d size %d",
				i, g.Mode, g.Uid, g.Gid, g.Size, l.Mode, l.Uid, l.Gid, l.Size)
		}
		if i == 4 && (g.Atim != l.Atim || g.Mtim != l.Mtim) {
			t.Errorf("utimensat: mount atime %v mtime %v, local %v %v", g.Atim, g.Mtim, l.Atim, l.Mtim)
		}
		if i == 5 && (g.Atim != l.Atim || g.Mtim.Sec < now-5) {
			t.Errorf("UTIME_NOW: mount atime %v mtime %v, want atime %v and mtime about %d", g.Atim, g.Mtim, l.Atim, now)
		}
	}
}

func TestPolicyTTLShowsRemoteChangesLater(t *testing.T) {
	const ttl = 200 * time.Millisecond
	m := mountMem(t, &vfs.Options{TTL: ttl, CheckInvariants: true}, Options{})
	if _, err := os.Stat(m.path("late")); !os.IsNotExist(err) {
		t.Fatal(err)
	}
	start := time.Now()
	if err := m.mem.Remote().WriteFile("late", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := os.Stat(m.path("late"))
		if err == nil {
			break
		}
		if time.Since(start) > 10*ttl {
			t.Fatalf("a remote create is still invisible %v later with a %v TTL", time.Since(start), ttl)
		}
		time.Sleep(ttl / 10)
	}
}

func TestPolicyExclusiveTrustsTheCache(t *testing.T) {
	m := mountMem(t, &vfs.Options{Policy: vfs.PolicyExclusive, TTL: 50 * time.Millisecond, CheckInvariants: true}, Options{})
	if _, err := os.Stat(m.path("hidden")); !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := m.mem.Remote().WriteFile("hidden", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // four TTLs: the policy, not the TTL, decides
	if _, err := os.Stat(m.path("hidden")); !os.IsNotExist(err) {
		t.Fatalf("exclusive policy: a remote create became visible: %v", err)
	}
	// What this client does itself is of course visible.
	if err := os.WriteFile(m.path("mine"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.path("mine")); err != nil {
		t.Fatal(err)
	}
}

func TestDevEncoding(t *testing.T) {
	for _, dev := range []uint64{0, unix.Mkdev(1, 3), unix.Mkdev(8, 17), unix.Mkdev(259, 65536+7), unix.Mkdev(4095, 1<<20-1)} {
		if got := decodeDev(encodeDev(dev)); got != dev {
			t.Errorf("decodeDev(encodeDev(%d:%d)) = %d:%d", unix.Major(dev), unix.Minor(dev), unix.Major(got), unix.Minor(got))
		}
	}
	if got := encodeDev(unix.Mkdev(8, 1)); got != 8<<8|1 {
		t.Errorf("encodeDev(8:1) = %#x, want 0x801", got)
	}
}

func TestSplitNs(t *testing.T) {
	for _, tc := range []struct {
		ns   int64
		sec  int64
		nsec uint32
	}{
		{0, 0, 0},
		{1_500_000_000, 1, 500_000_000},
		{-1, -1, 999_999_999},
		{-1_000_000_000, -1, 0},
	} {
		sec, nsec := splitNs(tc.ns)
		if int64(sec) != tc.sec || nsec != tc.nsec {
			t.Errorf("splitNs(%d) = %d, %d; want %d, %d", tc.ns, int64(sec), nsec, tc.sec, tc.nsec)
		}
	}
}

func TestPermitted(t *testing.T) {
	file := &vfs.Attr{Mode: vfs.S_IFREG | 0o640, Uid: 10, Gid: 20}
	none := func(uint32) bool { return false }
	in30 := func(g uint32) bool { return g == 30 }
	for _, tc := range []struct {
		mask, uid, gid uint32
		groups         func(uint32) bool
		want           bool
	}{
		{accessR | accessW, 10, 99, none, true},
		{accessX, 10, 99, none, false},
		{accessR, 11, 20, none, true},
		{accessW, 11, 20, none, false},
		{accessR, 11, 99, none, false},
		{accessR, 11, 99, func(g uint32) bool { return g == 20 }, true},
		{accessR, 11, 99, in30, false},
		{accessR | accessW, 0, 0, none, true},
		{accessX, 0, 0, none, false},
		{0, 11, 99, none, true},
	} {
		if got := permitted(file, tc.mask, tc.uid, tc.gid, tc.groups); got != tc.want {
			t.Errorf("permitted(mask %o, uid %d, gid %d) = %v", tc.mask, tc.uid, tc.gid, got)
		}
	}
}

func TestAccessWithoutDefaultPermissions(t *testing.T) {
	// Without default_permissions the kernel asks ACCESS.
	m := mountMem(t, nil, Options{})
	os.WriteFile(m.path("ro"), nil, 0o444)
	if err := unix.Access(m.path("ro"), unix.R_OK); err != nil {
		t.Errorf("access(R_OK) of a 0444 file: %v", err)
	}
	if err := unix.Access(m.path("ro"), unix.X_OK); err != syscall.EACCES {
		t.Errorf("access(X_OK) of a 0444 file as root: %v, want EACCES", err)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/a\040b\011c\134d`); got != "/a b\tc\\d" {
		t.Errorf("unescapeMountinfo = %q", got)
	}
}

// setidScript makes files with set-id bits in dir, has nobody and root write
// to them, and returns their modes afterwards.
func setidScript(t *testing.T, dir string) []os.FileMode {
	t.Helper()
	files := []struct {
		name string
		mode os.FileMode
		gid  int
	}{
		{"suid", 0o777 | os.ModeSetuid, 0},                      // nobody writes: S_ISUID goes
		{"sgid-x", 0o777 | os.ModeSetgid, nobody},               // group may execute: S_ISGID goes
		{"sgid-nox", 0o766 | os.ModeSetgid, nobody},             // no group execute, nobody in the group: stays
		{"sgid-nox-other", 0o766 | os.ModeSetgid, 0},            // writer not in the group: goes
		{"trunc", 0o777 | os.ModeSetuid | os.ModeSetgid, 0},     // nobody opens with O_TRUNC
		{"rootwrite", 0o777 | os.ModeSetuid, 0},                 // root (CAP_FSETID) writes: stays
		{"chown", 0o755 | os.ModeSetuid | os.ModeSetgid, 0},     // chown clears both
		{"ftruncate", 0o777 | os.ModeSetuid | os.ModeSetgid, 0}, // nobody truncates
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte("data"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, 0, f.gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	cmd := asNobody("cd " + dir + " && echo x >> suid && echo x >> sgid-x && echo x >> sgid-nox && echo x >> sgid-nox-other && : > trunc && truncate -s 1 ftruncate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("as nobody in %s: %v\n%s", dir, err, out)
	}
	if f, err := os.OpenFile(filepath.Join(dir, "rootwrite"), os.O_WRONLY|os.O_APPEND, 0); err == nil {
		f.WriteString("x")
		f.Close()
	}
	os.Chown(filepath.Join(dir, "chown"), 1, 1)
	var modes []os.FileMode
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		modes = append(modes, fi.Mode())
	}
	return modes
}

func TestSetidBitsClearedLikeLocal(t *testing.T) {
	m := mountMem(t, nil, Options{AllowOther: true})
	os.Chmod(m.dir, 0o777)
	local := mountpointDir(t)
	t.Cleanup(func() { os.RemoveAll(local) }) // not a mountpoint: it has files
	os.Chmod(local, 0o777)
	ml, _ := mountLocal(t, nil, Options{AllowOther: true})
	os.Chmod(ml.dir, 0o777)
	want := setidScript(t, local)
	for name, dir := range map[string]string{"memfs": m.dir, "localfs": ml.dir} {
		if got := setidScript(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: modes after the writes %v, on a local directory %v", name, got, want)
		}
	}
	if want[0]&os.ModeSetuid != 0 || want[2]&os.ModeSetgid == 0 || want[3]&os.ModeSetgid != 0 || want[5]&os.ModeSetuid == 0 {
		t.Fatalf("the local directory does not behave as the test expects: %v", want)
	}
}
