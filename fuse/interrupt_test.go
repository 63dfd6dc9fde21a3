package fuse

// The kernel's INTERRUPT: a lookup stuck in the driver is cancelled when
// its process is killed, and not for a signal its process handles; a
// change (mkdir) is finished, not abandoned.

import (
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/fs/memfs"
)

// startBlocked runs argv against the mount and waits until the driver has
// been entered for (op, name).
func startBlocked(t *testing.T, m *testMount, op memfs.Op, name string, argv ...string) *exec.Cmd {
	t.Helper()
	entered := make(chan struct{}, 1)
	m.mem.OnCall(func(o memfs.Op, n string) {
		if o == op && n == name {
			select {
			case entered <- struct{}{}:
			default:
			}
		}
	})
	t.Cleanup(func() { m.mem.OnCall(nil) })
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v never reached the driver's %s of %q", argv, op, name)
	}
	return cmd
}

// waitExit waits for cmd and returns how long that took.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(limit):
		t.Fatalf("%v did not exit within %v of being killed", cmd.Args, limit)
		return 0
	}
}

func TestInterruptCancelsALookup(t *testing.T) {
	m := mountMem(t, nil, Options{})
	m.mem.SetLatency(memfs.OpLookup, time.Minute)
	cmd := startBlocked(t, m, memfs.OpLookup, "slow", "stat", m.path("slow"))
	// The process cannot die while its request is in the filesystem: the
	// kernel waits for the reply. Only the interrupt gets it out.
	cmd.Process.Signal(syscall.SIGKILL)
	waitExit(t, cmd, 10*time.Second)
	m.mem.SetLatency(memfs.OpLookup, 0)
	// The cancelled lookup released its claim on the name (rule L3).
	start := time.Now()
	if _, err := os.Stat(m.path("slow")); !os.IsNotExist(err) {
		t.Fatalf("stat after the interrupted lookup: %v, want ENOENT", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("stat after the interrupted lookup took %v", d)
	}
}

func TestInterruptDoesNotAbandonAChange(t *testing.T) {
	m := mountMem(t, nil, Options{})
	const latency = 300 * time.Millisecond
	m.mem.SetLatency(memfs.OpMkdir, latency)
	cmd := startBlocked(t, m, memfs.OpMkdir, "made", "mkdir", m.path("made"))
	cmd.Process.Signal(syscall.SIGKILL)
	waitExit(t, cmd, 10*time.Second)
	if fi, err := os.Stat(m.path("made")); err != nil || !fi.IsDir() {
		t.Fatalf("mkdir interrupted by SIGKILL was abandoned: %v", err)
	}
}

// A signal the caller handles is no reason to fail its call: Go programs
// get SIGURG from their own runtime all the time, and a stat that answered
// EINTR to it would break them. Only a fatal signal cancels a request.
func TestInterruptBySignalThatIsNotFatal(t *testing.T) {
	m := mountMem(t, nil, Options{})
	if err := m.mem.Remote().WriteFile("slow", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	m.mem.SetLatency(memfs.OpLookup, 500*time.Millisecond)
	entered := make(chan struct{}, 1)
	m.mem.OnCall(func(o memfs.Op, n string) {
		if o == memfs.OpLookup && n == "slow" {
			select {
			case entered <- struct{}{}:
			default:
			}
		}
	})
	defer m.mem.OnCall(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	tid := make(chan int, 1)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the signal goes to this thread, blocked in stat
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		var st unix.Stat_t
		errc <- unix.Stat(m.path("slow"), &st) // os.Stat would retry EINTR itself
	}()
	id := <-tid
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the stat never reached the driver")
	}
	if err := unix.Tgkill(os.Getpid(), id, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("stat interrupted by a handled SIGUSR1: %v, want success", err)
	}
	<-sigs
}
