package main

// The harness of the command tests: TestMain builds the netvfs binary once
// into a temporary directory (with -race when the tests have it), and runNetvfs runs it as a user would, with
// a deadline, returning its output and exit status.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// netvfsBin is the binary TestMain built.
var netvfsBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "netvfs-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	netvfsBin = filepath.Join(dir, "netvfs")
	args := []string{"build", "-o", netvfsBin}
	if raceBuild {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building netvfs:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cmdResult is what one run of the binary did.
type cmdResult struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r cmdResult) String() string {
	return fmt.Sprintf("netvfs %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// runNetvfs runs the binary with args (stdin empty, 60 s at most).
func runNetvfs(t *testing.T, args ...string) cmdResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, netvfsBin, args...)
	// A race build would sleep a second at exit; a race it finds makes the
	// exit status 66, which no test expects.
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cmdResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("netvfs %s: %v (%v)\nstderr:\n%s", strings.Join(args, " "), err, ctx.Err(), r.stderr)
	}
	return r
}

// mustRun runs the binary and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) cmdResult {
	t.Helper()
	r := runNetvfs(t, args...)
	if r.code != 0 {
		t.Fatalf("want exit 0, got\n%v", r)
	}
	return r
}

// mustFail runs the binary and fails the test unless it exits with code
// and its stderr contains every one of want.
func mustFail(t *testing.T, code int, want []string, args ...string) cmdResult {
	t.Helper()
	r := runNetvfs(t, args...)
	if r.code != code {
		t.Fatalf("want exit %d, got\n%v", code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%v", w, r)
		}
	}
	return r
}

// putTestFile creates a local file for a test, with its parents.
func putTestFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// getTestFile reads a local file for a test.
func getTestFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// outLines splits output into lines, without the final empty one.
func outLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
