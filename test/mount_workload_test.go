package test

// Real workloads on the mounts: tar extracting a few thousand files of
// Go's own source tree, find and du over it, cp -a out and diff -r against
// the original, git init/add/commit/status, and go build of a program that
// then runs from the mount. Each runs on memfs and on localfs.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fuse"
	"github.com/netvfs/netvfs/vfs"
)

// workloadTrees are the parts of $GOROOT/src the tar workload extracts:
// about 2,100 files (25 MB) on memfs; on localfs, whose every call is a few
// system calls of its own, and under the race detector, the 415 files of
// net keep the test short.
var workloadTrees = map[string][]string{
	"memfs":   {"net", "crypto", "go"},
	"localfs": {"net"},
}

// sh runs a shell command in dir and fails the test on an error.
//
// The shell changes into dir itself: a process serving a FUSE mount must
// not start a child with its working directory on the mount (exec.Cmd.Dir).
// The child's chdir runs while the parent thread is stopped in vfork, where
// the Go runtime cannot preempt it; a garbage collection starting then waits
// for that thread forever, and the goroutines that would answer the chdir's
// LOOKUP are stopped for that collection.
func sh(t *testing.T, dir, script string, env ...string) []byte {
	t.Helper()
	cmd := exec.Command("sh", "-c", "cd "+shellQuote(dir)+" && "+script)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("in %s: %s: %v\n%s%s", dir, script, err, out, stderr.Bytes())
	}
	return out
}

// goEnv is the go command and its GOROOT (go test puts $GOROOT/bin first in
// the PATH of the tests).
var goEnv = sync.OnceValues(func() ([2]string, error) {
	tool, err := exec.LookPath("go")
	if err != nil {
		return [2]string{}, err
	}
	out, err := exec.Command(tool, "env", "GOROOT").Output()
	if err != nil {
		return [2]string{}, fmt.Errorf("go env GOROOT: %v", err)
	}
	return [2]string{tool, strings.TrimSpace(string(out))}, nil
})

// goTool and goRoot return the go command and $GOROOT.
func goTool(t testing.TB) string { return goEnvOrFail(t)[0] }
func goRoot(t testing.TB) string { return goEnvOrFail(t)[1] }

func goEnvOrFail(t testing.TB) [2]string {
	t.Helper()
	e, err := goEnv()
	if err != nil {
		t.Fatalf("the workloads need the go command: %v", err)
	}
	return e
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// listing describes every object below dir as find sees it: path, type,
// mode, owner, size of files, target of symlinks, mtime of files.
func listing(t *testing.T, dir string) []byte {
	t.Helper()
	return sh(t, dir, `find . -mindepth 1 \( -type f -printf '%P f %m %U:%G %s %T@\n' \) -o \( -type l -printf '%P l %l\n' \) -o -printf '%P %y %m %U:%G\n' | LC_ALL=C sort`)
}

// workloadVFS are the core options of the workload mounts: the invariant
// checker is run once at the end rather than after each of tens of
// thousands of operations (it is linear in the size of the cache).
func workloadVFS() *vfs.Options { return &vfs.Options{} }

func TestMountWorkloadTarFindDuCp(t *testing.T) {
	src := filepath.Join(goRoot(t), "src")
	for _, m := range mntBoth(t, workloadVFS(), fuse.Options{}) {
		t.Run(m.name, func(t *testing.T) {
			names := workloadTrees[m.name]
			if raceDetector && len(names) > 2 {
				names = names[:1] // net: 415 files
			}
			trees := strings.Join(names, " ")
			tarball := filepath.Join(t.TempDir(), "src.tar")
			sh(t, src, "tar -cf "+tarball+" "+trees)
			local := t.TempDir()
			sh(t, local, "tar -xf "+tarball)
			want := listing(t, local)
			nfiles := bytes.Count(want, []byte(" f "))
			fileBytes, _ := strconv.Atoi(strings.TrimSpace(string(sh(t, local, `find . -type f -printf '%s\n' | awk '{s += $1} END {print s}'`))))

			start := time.Now()
			sh(t, m.dir, "tar -xf "+tarball)
			t.Logf("tar extracted %d files in %v", nfiles, time.Since(start))
			// With cold kernel caches: every name is looked up again, and
			// diff reads every file through FUSE.
			dropCaches(t)
			mntSame(t, "find listing after tar -x", listing(t, m.dir), want)
			sh(t, "/", "diff -r "+local+" "+m.dir)

			du := strings.Fields(string(sh(t, m.dir, "du -sb --apparent-size .")))
			if n, _ := strconv.Atoi(du[0]); n < fileBytes {
				t.Errorf("du says %s bytes; the files alone hold %d", du[0], fileBytes)
			}

			out := filepath.Join(t.TempDir(), "out")
			dropCaches(t)
			sh(t, "/", "cp -a "+m.dir+" "+out)
			sh(t, "/", "diff -r "+local+" "+out)
			mntSame(t, "find listing of a cp -a copy", listing(t, out), want)

			start = time.Now()
			sh(t, m.dir, "rm -rf "+trees)
			t.Logf("rm -rf took %v", time.Since(start))
			if ents, _ := os.ReadDir(m.dir); len(ents) != 0 {
				t.Errorf("after rm -rf the mount still lists %d names", len(ents))
			}
			if err := m.fsys.CheckInvariants(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// dropCaches empties the kernel's dentry and inode caches, which also
// makes it FORGET every node it held.
func dropCaches(t *testing.T) {
	t.Helper()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
		t.Fatalf("dropping the kernel's caches: %v", err)
	}
}

func TestMountWorkloadGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the git workload needs git (apt-get install git): %v", err)
	}
	env := []string{"HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
	src := filepath.Join(goRoot(t), "src", "go")
	for _, m := range mntBoth(t, workloadVFS(), fuse.Options{}) {
		t.Run(m.name, func(t *testing.T) {
			repo := filepath.Join(m.dir, "repo")
			sh(t, src, "mkdir "+repo+" && cp -r ast token printer parser scanner "+repo)
			sh(t, repo, "git init -q && git add -A && git commit -q -m import", env...)
			if st := sh(t, repo, "git status --porcelain", env...); len(st) != 0 {
				t.Fatalf("git status after the commit:\n%s", st)
			}
			sh(t, repo, "echo '// changed' >> token/token.go && git mv ast/ast.go ast/ast_renamed.go && rm -r printer", env...)
			st := string(sh(t, repo, "git status --porcelain", env...))
			for _, want := range []string{" M token/token.go", "R  ast/ast.go -> ast/ast_renamed.go", " D printer/printer.go"} {
				if !strings.Contains(st, want) {
					t.Errorf("git status lacks %q:\n%s", want, st)
				}
			}
			sh(t, repo, "git add -A && git commit -q -m change && git gc -q && git fsck --strict --no-progress", env...)
			if n := strings.TrimSpace(string(sh(t, repo, "git rev-list --count HEAD", env...))); n != "2" {
				t.Errorf("git rev-list --count HEAD = %s, want 2", n)
			}
			if err := m.fsys.CheckInvariants(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestMountWorkloadGoBuild(t *testing.T) {
	gocmd := goTool(t)
	for _, m := range mntBoth(t, workloadVFS(), fuse.Options{}) {
		t.Run(m.name, func(t *testing.T) {
			prog := filepath.Join(m.dir, "prog")
			if err := os.MkdirAll(filepath.Join(prog, "greet"), 0o755); err != nil {
				t.Fatal(err)
			}
			files := map[string]string{
				"go.mod":         "module example.com/prog\n\ngo 1.22\n",
				"main.go":        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/prog/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello(\"mount\")) }\n",
				"greet/greet.go": "package greet\n\n// Hello greets.\nfunc Hello(who string) string { return \"hello from the \" + who }\n",
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(prog, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sh(t, prog, gocmd+" vet ./... && "+gocmd+" build -o prog .", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod", "GOWORK=off")
			out := sh(t, prog, "./prog")
			if string(out) != "hello from the mount\n" {
				t.Fatalf("the program built on the mount prints %q", out)
			}
		})
	}
}

// TestMountCommandLine runs the netvfs binary: mount (memfs, a local
// directory, read-only), unmount by `netvfs umount` and by SIGINT, and
// the exit statuses of bad input.
func TestMountCommandLine(t *testing.T) {
	mntRequire(t)
	bin := filepath.Join(t.TempDir(), "netvfs")
	build := exec.Command(goTool(t), "build", "-o", bin, "github.com/netvfs/netvfs/cmd/netvfs")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/netvfs: %v\n%s", err, out)
	}
	run := func(args ...string) (int, string) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	dir := mntDir(t)
	for _, tc := range []struct {
		args   []string
		status int
		words  string
	}{
		{[]string{}, 2, "usage"},
		{[]string{"frob"}, 2, "unknown command"},
		{[]string{"mount"}, 2, "MOUNTPOINT"},
		{[]string{"mount", "-o", "bogus", dir}, 2, "unknown mount option"},
		{[]string{"mount", "--policy", "sometimes", dir}, 2, "unknown policy"},
		{[]string{"mount", "ftp://host/x", dir}, 2, "unknown URL scheme"},
		{[]string{"mount", dir + "/missing"}, 1, "does not exist"},
		{[]string{"mount", dir + "/no-source", dir}, 1, "no such file"},
		{[]string{"umount", dir}, 1, "nothing is mounted"},
		{[]string{"help"}, 0, "mount"},
	} {
		status, out := run(tc.args...)
		if status != tc.status || !strings.Contains(out, tc.words) {
			t.Errorf("netvfs %s: status %d, output %q; want status %d and %q", strings.Join(tc.args, " "), status, out, tc.status, tc.words)
		}
	}

	source := filepath.Join(dir, "source")
	os.Mkdir(source, 0o755)
	os.WriteFile(filepath.Join(source, "hello"), []byte("from the source"), 0o644)
	mp := filepath.Join(dir, "mp")
	os.Mkdir(mp, 0o755)

	// A local directory, unmounted by `netvfs umount`.
	cmd := startMount(t, bin, mp, "local:"+source, "-o", "ro,fsname=clitest")
	if b, err := os.ReadFile(filepath.Join(mp, "hello")); err != nil || string(b) != "from the source" {
		t.Errorf("reading through the CLI mount: %q, %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(mp, "new"), nil, 0o644); !os.IsPermission(err) && !strings.Contains(fmt.Sprint(err), "read-only") {
		t.Errorf("writing to a -o ro mount: %v, want EROFS", err)
	}
	if status, out := run("mount", mp); status != 1 || !strings.Contains(out, "already mounted") {
		t.Errorf("mounting twice: status %d, %q", status, out)
	}
	if status, out := run("umount", mp); status != 0 {
		t.Fatalf("netvfs umount: status %d, %s", status, out)
	}
	waitMountExit(t, cmd)

	// memfs, unmounted by SIGINT.
	cmd = startMount(t, bin, mp)
	if err := os.WriteFile(filepath.Join(mp, "f"), []byte("x"), 0o644); err != nil {
		t.Errorf("writing to the memfs mount: %v", err)
	}
	cmd.Process.Signal(os.Interrupt)
	waitMountExit(t, cmd)
	if _, ok := mountedAt(mp); ok {
		t.Fatalf("%s is still mounted after SIGINT", mp)
	}
}

// startMount starts `netvfs mount [args] [url] mp` and waits until the
// mount is there.
func startMount(t *testing.T, bin, mp string, urlAndArgs ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"mount"}, urlAndArgs...)
	cmd := exec.Command(bin, append(args, mp)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, ok := mountedAt(mp); ok {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("netvfs %v did not mount: %s", args, stderr.Bytes())
		}
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			fuse.Unmount(mp, true)
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

func waitMountExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("netvfs mount exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("netvfs mount did not exit after the unmount")
	}
}

// mountedAt reports the filesystem type mounted on dir, if any.
func mountedAt(dir string) (string, bool) {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == dir {
			for i := range f {
				if f[i] == "-" && i+1 < len(f) {
					return f[i+1], true
				}
			}
		}
	}
	return "", false
}
