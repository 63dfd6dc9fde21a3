package main

// Tests of the in-process file commands (ls, stat, cat, cp, put, get,
// mkdir, rm, mv) against local: URLs on temporary directories, plain local
// paths and mem:, run as a user runs the binary. Errors must be the core's
// *fs.PathError text (rule E1) naming what the user typed.

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// localTree makes DIR with a.txt, .hidden, link -> a.txt, sub/b.txt.
func localTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	putTestFile(t, filepath.Join(dir, "a.txt"), "alpha\n")
	putTestFile(t, filepath.Join(dir, ".hidden"), "h")
	putTestFile(t, filepath.Join(dir, "sub", "b.txt"), "beta\n")
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLsLocal(t *testing.T) {
	dir := localTree(t)
	u := "local:" + dir

	if got := outLines(mustRun(t, "ls", u).stdout); !slices.Equal(got, []string{"a.txt", "link", "sub"}) {
		t.Errorf("ls: %q", got)
	}
	if got := outLines(mustRun(t, "ls", "-a", dir).stdout); !slices.Equal(got, []string{".hidden", "a.txt", "link", "sub"}) {
		t.Errorf("ls -a of a plain path: %q", got)
	}
	if got := outLines(mustRun(t, "ls", u+"/a.txt").stdout); !slices.Equal(got, []string{u + "/a.txt"}) {
		t.Errorf("ls of a file prints its argument: %q", got)
	}

	long := mustRun(t, "ls", "-l", u).stdout
	for _, want := range []string{"total ", "-rw-r--r-- 1 ", " 6 ", " a.txt\n", "lrwxrwxrwx", " link -> a.txt\n", "drwx", " sub\n"} {
		if !strings.Contains(long, want) {
			t.Errorf("ls -l lacks %q:\n%s", want, long)
		}
	}
	// Combined short flags, as coreutils users type them.
	rec := mustRun(t, "ls", "-lR", u).stdout
	if !strings.Contains(rec, u+":\n") || !strings.Contains(rec, "\n"+u+"/sub:\n") || !strings.Contains(rec, " b.txt\n") {
		t.Errorf("ls -lR: want headers for the tree and sub:\n%s", rec)
	}
}

func TestLsFollowsLinkToDirectory(t *testing.T) {
	dir := localTree(t)
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "abs")); err != nil {
		t.Fatal(err)
	}
	u := "local:" + dir + "/abs"
	if got := outLines(mustRun(t, "ls", u).stdout); !slices.Equal(got, []string{"b.txt"}) {
		t.Errorf("ls of an absolute link to a directory: %q", got)
	}
	if got := mustRun(t, "ls", "-l", u).stdout; !strings.Contains(got, "-> "+filepath.Join(dir, "sub")) {
		t.Errorf("ls -l shows the link itself: %q", got)
	}
}

func TestStatLocal(t *testing.T) {
	dir := localTree(t)
	u := "local:" + dir
	out := mustRun(t, "stat", u+"/a.txt").stdout
	for _, want := range []string{"File: " + u + "/a.txt\n", "Size: 6", "regular file", "Links: 1", "(0644/-rw-r--r--)"} {
		if !strings.Contains(out, want) {
			t.Errorf("stat lacks %q:\n%s", want, out)
		}
	}
	if out := mustRun(t, "stat", u+"/link").stdout; !strings.Contains(out, "-> a.txt") || !strings.Contains(out, "symbolic link") {
		t.Errorf("stat of a symlink:\n%s", out)
	}
	if out := mustRun(t, "stat", "-L", u+"/link").stdout; !strings.Contains(out, "regular file") {
		t.Errorf("stat -L follows:\n%s", out)
	}
	if out := mustRun(t, "stat", u+"/sub").stdout; !strings.Contains(out, "directory") {
		t.Errorf("stat of a directory:\n%s", out)
	}
}

func TestCatLocal(t *testing.T) {
	dir := localTree(t)
	u := "local:" + dir
	if got := mustRun(t, "cat", u+"/a.txt", u+"/sub/b.txt", u+"/link").stdout; got != "alpha\nbeta\nalpha\n" {
		t.Errorf("cat: %q", got)
	}
	// A missing operand fails the command, with its path, but the others
	// are still printed (cat(1)).
	r := mustFail(t, 1, []string{"netvfs cat: ", u + "/missing", "no such file or directory"}, "cat", u+"/a.txt", u+"/missing", u+"/sub/b.txt")
	if r.stdout != "alpha\nbeta\n" {
		t.Errorf("cat with a missing operand printed %q", r.stdout)
	}
	mustFail(t, 1, []string{u + "/sub", "is a directory"}, "cat", u+"/sub")
	mustFail(t, 1, []string{dir + "/nodir/x", "no such file or directory"}, "cat", dir+"/nodir/x")
	mustFail(t, 1, []string{u + "/a.txt/x", "not a directory"}, "cat", u+"/a.txt/x")
	// Rule P1: a trailing slash means "must be a directory".
	mustFail(t, 1, []string{u + "/a.txt/:", "not a directory"}, "cat", u+"/a.txt/")
}

func TestCpLocal(t *testing.T) {
	src := localTree(t)
	dst := t.TempDir()
	big := make([]byte, 3<<20+123) // several copy chunks
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(src, "big"), big, 0o640); err != nil {
		t.Fatal(err)
	}

	// Local path to URL, URL to local path, URL to URL.
	mustRun(t, "cp", filepath.Join(src, "big"), "local:"+dst+"/big")
	if b, err := os.ReadFile(filepath.Join(dst, "big")); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("cp of a 3 MiB file: err %v, equal %v", err, bytes.Equal(b, big))
	}
	if fi, _ := os.Stat(filepath.Join(dst, "big")); fi.Mode().Perm() != 0o640 {
		t.Errorf("cp kept mode %v, want 0640", fi.Mode().Perm())
	}
	mustRun(t, "cp", "local:"+src+"/a.txt", filepath.Join(dst, "a-copy"))
	mustRun(t, "cp", "local:"+src+"/sub/b.txt", "local:"+dst+"/") // into a directory
	if getTestFile(t, filepath.Join(dst, "a-copy")) != "alpha\n" || getTestFile(t, filepath.Join(dst, "b.txt")) != "beta\n" {
		t.Error("cp copied the wrong data")
	}

	// Directories need -r; a tree copies with its symlinks as symlinks.
	mustFail(t, 1, []string{"-r not specified", "local:" + src + "/sub"}, "cp", "local:"+src+"/sub", "local:"+dst)
	mustRun(t, "cp", "-r", "local:"+src, "local:"+dst+"/tree")
	if getTestFile(t, filepath.Join(dst, "tree", "sub", "b.txt")) != "beta\n" || getTestFile(t, filepath.Join(dst, "tree", ".hidden")) != "h" {
		t.Error("cp -r missed files")
	}
	if target, err := os.Readlink(filepath.Join(dst, "tree", "link")); err != nil || target != "a.txt" {
		t.Errorf("cp -r: link -> %q, %v; want a symlink to a.txt", target, err)
	}
	// Into an existing directory: under the source's name.
	mustRun(t, "cp", "-r", "local:"+src+"/sub", dst)
	if getTestFile(t, filepath.Join(dst, "sub", "b.txt")) != "beta\n" {
		t.Error("cp -r into an existing directory")
	}

	mustFail(t, 1, []string{"into itself"}, "cp", "-r", "local:"+src, "local:"+src+"/sub")
	mustFail(t, 1, []string{"onto or into itself"}, "cp", filepath.Join(src, "a.txt"), "local:"+src+"/a.txt")
	if getTestFile(t, filepath.Join(src, "a.txt")) != "alpha\n" {
		t.Error("a copy onto itself truncated the file")
	}
	mustFail(t, 1, []string{"local:" + src + "/nope", "no such file or directory"}, "cp", "local:"+src+"/nope", dst)
}

func TestPutGetLocal(t *testing.T) {
	src := localTree(t)
	remote := t.TempDir()
	back := t.TempDir()
	mustRun(t, "put", filepath.Join(src, "a.txt"), "local:"+remote+"/up.txt")
	mustRun(t, "get", "local:"+remote+"/up.txt", filepath.Join(back, "down.txt"))
	if getTestFile(t, filepath.Join(back, "down.txt")) != "alpha\n" {
		t.Error("put then get changed the data")
	}
	mustRun(t, "put", "-r", src, "local:"+remote)
	if getTestFile(t, filepath.Join(remote, filepath.Base(src), "sub", "b.txt")) != "beta\n" {
		t.Error("put -r")
	}
	mustFail(t, 2, []string{"is not a URL"}, "put", filepath.Join(src, "a.txt"), filepath.Join(back, "x"))
	mustFail(t, 2, []string{"is not a URL"}, "get", filepath.Join(src, "a.txt"), filepath.Join(back, "x"))
}

func TestMkdirRmMvLocal(t *testing.T) {
	dir := localTree(t)
	u := "local:" + dir

	mustRun(t, "mkdir", u+"/new")
	mustFail(t, 1, []string{"mkdir " + u + "/new", "file exists"}, "mkdir", u+"/new")
	mustFail(t, 1, []string{u + "/x/y", "no such file or directory"}, "mkdir", u+"/x/y")
	mustRun(t, "mkdir", "-p", u+"/x/y/z", u+"/new")
	if fi, err := os.Stat(filepath.Join(dir, "x", "y", "z")); err != nil || !fi.IsDir() {
		t.Fatalf("mkdir -p: %v", err)
	}
	mustRun(t, "mkdir", "-m", "700", u+"/private")
	if fi, _ := os.Stat(filepath.Join(dir, "private")); fi.Mode().Perm() != 0o700 {
		t.Errorf("mkdir -m 700 made %v", fi.Mode().Perm())
	}

	// mv: rename, into a directory, -n, across filesystems.
	mustRun(t, "mv", u+"/a.txt", u+"/renamed.txt")
	mustRun(t, "mv", u+"/renamed.txt", dir+"/new") // plain paths are local too
	if getTestFile(t, filepath.Join(dir, "new", "renamed.txt")) != "alpha\n" {
		t.Fatal("mv into a directory")
	}
	putTestFile(t, filepath.Join(dir, "other"), "o")
	mustFail(t, 1, []string{"file exists"}, "mv", "-n", u+"/other", u+"/new/renamed.txt")
	mustFail(t, 1, []string{"invalid cross-device link"}, "mv", u+"/other", "mem:/other")
	mustFail(t, 1, []string{u + "/gone", "no such file or directory"}, "mv", u+"/gone", u+"/other2")

	// rm: files, directories only with -r (or empty with -d), -f.
	mustRun(t, "rm", u+"/other")
	mustFail(t, 1, []string{"remove " + u + "/x", "is a directory"}, "rm", u+"/x")
	mustFail(t, 1, []string{u + "/new", "directory not empty"}, "rm", "-d", u+"/new")
	mustRun(t, "rm", "-d", u+"/private")
	mustRun(t, "rm", "-rf", u+"/x", u+"/new", u+"/never-was")
	mustFail(t, 1, []string{u + "/never-was", "no such file or directory"}, "rm", u+"/never-was")
	mustFail(t, 1, []string{"root of the filesystem"}, "rm", "-r", "local:/")
	var left []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{".hidden", "link", "sub"}) {
		t.Errorf("left after rm: %q", left)
	}
}

func TestMemFilesystem(t *testing.T) {
	if r := mustRun(t, "ls", "mem:"); r.stdout != "" {
		t.Errorf("ls of a new mem: filesystem printed %q", r.stdout)
	}
	mustRun(t, "mkdir", "-p", "mem:/a/b")
	mustFail(t, 1, []string{"mem:/nothing", "no such file or directory"}, "cat", "mem:/nothing")
}

func TestFileCommandUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ls", "--bogus", "mem:"}, "flag provided but not defined: -bogus"},
		{[]string{"ls", "-lZ", "mem:"}, "flag provided but not defined: -lZ"},
		{[]string{"ls"}, "want at least one URL"},
		{[]string{"cat", "ftp://host/x"}, `unknown URL scheme "ftp"`},
		{[]string{"ls", "sftp://"}, "bad URL"},
		{[]string{"cp", "mem:/a"}, "want SRC and DST"},
		{[]string{"mv", "mem:/a", "mem:/b", "mem:/c"}, "want SRC and DST"},
		{[]string{"mkdir", "-m", "9", "mem:/a"}, "octal"},
		{[]string{"rm"}, "want at least one URL"},
		{[]string{"stat", "--timeout", "0", "mem:"}, "--timeout must be positive"},
	} {
		mustFail(t, 2, []string{c.want}, c.args...)
	}
	mustRun(t, "rm", "-f") // rm -f with nothing to do is fine (coreutils)
}
