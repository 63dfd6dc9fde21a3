package sftpfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/internal/sshtest"
	"github.com/netvfs/netvfs/vfs"
)

// env is one test's server and driver. Tests run against a real OpenSSH
// sshd (internal/sshtest) and check the server's directory with the os
// package directly.
type env struct {
	t    *testing.T
	srv  *sshtest.Server
	fs   *FS
	root string // the served directory, on the local disk
	rec  *recorder
}

// baseOptions are the Options that reach srv without touching the user's
// ~/.ssh or agent.
func baseOptions(srv *sshtest.Server) Options {
	return Options{
		IdentityFiles:  []string{srv.KeyFile},
		KnownHostsFile: srv.KnownHostsFile,
		ConfigFile:     "none",
		NoAgent:        true,
		Timeout:        10 * time.Second,
	}
}

// newEnv starts a server of the test's own (for tests that cut, stall or
// restart it) and dials it; tweak adjusts the Options.
func newEnv(t *testing.T, tweak ...func(*Options)) *env {
	t.Helper()
	srv := sshtest.Start(t, "")
	e := &env{t: t, srv: srv, root: srv.Root, rec: &recorder{}}
	opts := baseOptions(srv)
	opts.trace = e.rec.record
	for _, f := range tweak {
		f(&opts)
	}
	e.fs = e.dial(opts)
	return e
}

// The shared server serves the tests that leave the server alone, each in
// a directory of its own; TestMain stops it.
var (
	sharedOnce sync.Once
	sharedSrv  *sshtest.Server
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedSrv != nil {
		root := sharedSrv.Root
		sharedSrv.Close()
		os.RemoveAll(root)
	}
	os.Exit(code)
}

// newSharedEnv dials the shared server, rooted at a fresh directory.
func newSharedEnv(t *testing.T) *env {
	t.Helper()
	sharedOnce.Do(func() {
		var root string
		if root, sharedErr = os.MkdirTemp("", "sftpfs-test-"); sharedErr == nil {
			sharedSrv, sharedErr = sshtest.StartDaemon(root)
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	root, err := os.MkdirTemp(sharedSrv.Root, "t-")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: sharedSrv, root: root, rec: &recorder{}}
	opts := baseOptions(sharedSrv)
	opts.trace = e.rec.record
	e.fs = e.dial(opts)
	return e
}

// url is the URL of the test's root on its server.
func (e *env) url() string { return e.srv.URL() + strings.TrimPrefix(e.root, e.srv.Root) }

func (e *env) dial(opts Options) *FS {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fs, err := Dial(ctx, e.url(), opts)
	if err != nil {
		e.t.Fatalf("Dial(%s): %v\nsshd log:\n%s", e.url(), err, e.srv.Log())
	}
	e.t.Cleanup(func() { fs.Close() })
	return fs
}

// local is the local path of a name under the served root.
func (e *env) local(rel string) string { return filepath.Join(e.root, rel) }

func (e *env) writeLocal(rel, content string) {
	e.t.Helper()
	if err := os.WriteFile(e.local(rel), []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) readLocal(rel string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.local(rel))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) mkdirLocal(rel string) {
	e.t.Helper()
	if err := os.MkdirAll(e.local(rel), 0o755); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) rootNode() vfs.Node {
	e.t.Helper()
	n, a, err := e.fs.Root(ctx(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	if !a.IsDir() {
		e.t.Fatalf("root is not a directory: mode %o", a.Mode)
	}
	return n
}

// lookup resolves a slash-separated relative path component by component,
// as the core would.
func (e *env) lookup(rel string) (vfs.Node, vfs.Attr) {
	e.t.Helper()
	n := e.rootNode()
	var a vfs.Attr
	for _, name := range splitPath(rel) {
		var err error
		n, a, err = e.fs.Lookup(ctx(e.t), n, name)
		if err != nil {
			e.t.Fatalf("lookup %s: %v", rel, err)
		}
	}
	return n, a
}

func splitPath(rel string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(rel); i++ {
		if i == len(rel) || rel[i] == '/' {
			if i > start {
				out = append(out, rel[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantErrno fails unless err matches errno.
func wantErrno(t *testing.T, what string, err error, errno syscall.Errno) {
	t.Helper()
	if !errors.Is(err, errno) {
		t.Fatalf("%s: got error %v, want %v (%d)", what, err, errno, int(errno))
	}
}

// recorder records the packets a test's driver sends and receives.
type recorder struct {
	mu     sync.Mutex
	on     bool
	events []traceEvent
}

func (r *recorder) record(ev traceEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.events = append(r.events, ev)
	}
}

func (r *recorder) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.events = true, nil
}

// stop ends recording and returns what was recorded.
func (r *recorder) stop() []traceEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.events
}

// snapshot returns what was recorded so far, recording on.
func (r *recorder) snapshot() []traceEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]traceEvent(nil), r.events...)
}

// waitSent waits until n requests were recorded and returns the events so
// far (for a stalled server, whose replies cannot come meanwhile).
func (r *recorder) waitSent(t *testing.T, n int) []traceEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		events := r.snapshot()
		if len(sent(events)) >= n {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d requests, saw %v", n, sent(events))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sent lists the names of the requests in events, in order.
func sent(events []traceEvent) []string {
	var out []string
	for _, ev := range events {
		if ev.send {
			out = append(out, typeName(ev.typ, ev.ext))
		}
	}
	return out
}

// roundTrips counts the round trips in events: runs of sends separated by
// waiting for replies.
func roundTrips(events []traceEvent) int {
	n := 0
	prevSend := false
	for _, ev := range events {
		if ev.send && !prevSend {
			n++
		}
		prevSend = ev.send
	}
	return n
}

// eventually retries f until it succeeds or d passes, returning the last
// error.
func eventually(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
