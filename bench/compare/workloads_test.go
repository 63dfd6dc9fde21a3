package main

// Tests of the workloads' building blocks on a local directory (no mount):
// the tree's tar and its check, the output checks of stat and ls, the
// parallel stat and create workers, and the sequential file's pattern.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// makeSource creates a small source directory.
func makeSource(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	files := map[string]string{
		"a.go": "package a\n", "sub/b.go": "package b\n", "sub/deeper/c.txt": "c", "run.sh": "#!/bin/sh\n", "empty": "",
	}
	for name, body := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(src, "run.sh"), 0o755)
	return src
}

// extract builds the tree's tar from src and extracts it with GNU tar as
// the benchmark does.
func extract(t *testing.T, src string) (*tree, string) {
	t.Helper()
	dir := t.TempDir()
	tr, err := buildTree(src, filepath.Join(dir, "tree.tar"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	if b, err := exec.Command("tar", "-x", "--no-same-owner", "-f", tr.TarPath, "-C", out).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, b)
	}
	return tr, out
}

func TestTreeRoundTripsThroughTar(t *testing.T) {
	tr, out := extract(t, makeSource(t))
	if tr.Files != 5 || tr.Dirs != 3 || tr.Bytes != int64(len("package a\npackage b\nc#!/bin/sh\n")) {
		t.Errorf("tree: %d files, %d dirs, %d bytes", tr.Files, tr.Dirs, tr.Bytes)
	}
	if err := verifyTree(tr, out, true, true); err != nil {
		t.Fatalf("a faithful extraction fails the check: %v", err)
	}
}

func TestVerifyTreeCatchesEveryKindOfDifference(t *testing.T) {
	for _, tc := range []struct {
		name     string
		damage   func(root string)
		contents bool
		want     string
	}{
		{"missing", func(r string) { os.Remove(filepath.Join(r, "src/a.go")) }, false, "missing src/a.go"},
		{"extra", func(r string) { os.WriteFile(filepath.Join(r, "src/x"), nil, 0o644) }, false, "unexpected src/x"},
		{"size", func(r string) { os.WriteFile(filepath.Join(r, "src/empty"), []byte("!"), 0o644) }, false, "src/empty: size 1"},
		{"contents", func(r string) {
			p := filepath.Join(r, "src/sub/b.go")
			fi, _ := os.Stat(p)
			os.WriteFile(p, []byte("package X\n"), 0o644)
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
		}, true, "src/sub/b.go: contents differ"},
		{"mtime", func(r string) {
			os.Chtimes(filepath.Join(r, "src/a.go"), time.Now(), time.Now().Add(time.Hour))
		}, false, "src/a.go: mtime"},
		{"mode", func(r string) { os.Chmod(filepath.Join(r, "src/run.sh"), 0o644) }, false, "src/run.sh: mode"},
		{"type", func(r string) {
			os.Remove(filepath.Join(r, "src/empty"))
			os.Mkdir(filepath.Join(r, "src/empty"), 0o755)
		}, false, "src/empty: type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, out := extract(t, makeSource(t))
			tc.damage(out)
			err := verifyTree(tr, out, true, tc.contents)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("verifyTree = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestVerifyTreeIgnoresModesWhenAsked(t *testing.T) {
	tr, out := extract(t, makeSource(t))
	os.Chmod(filepath.Join(out, "src/run.sh"), 0o644)
	if err := verifyTree(tr, out, false, true); err != nil {
		t.Errorf("mode difference reported with checkPerm off: %v", err)
	}
}

func TestBuildTreeRejectsUnknownName(t *testing.T) {
	if _, err := buildTree("no-such-tree", filepath.Join(t.TempDir(), "t.tar")); err == nil {
		t.Error("an unknown tree name was accepted")
	}
}

func TestCheckStatOutput(t *testing.T) {
	files := []entry{{Path: "a", Size: 1}, {Path: "d/b", Size: 20}}
	if err := checkStatOutput([]byte("./d/b 20\n./a 1\n"), files); err != nil {
		t.Errorf("good output rejected: %v", err)
	}
	for _, bad := range []string{"./a 1\n", "./a 1\n./d/b 21\n", "./a 1\n./d/b 20\n./c 3\n", "garbage\n"} {
		if err := checkStatOutput([]byte(bad), files); err == nil {
			t.Errorf("bad output %q accepted", bad)
		}
	}
}

func TestCheckLsOutput(t *testing.T) {
	out := []byte(".:\ntotal 8\n-rw-r--r-- 1 root root 1 Jan 1 a\ndrwxr-xr-x 2 root root 4096 Jan 1 d\n\n./d:\n-rw-r--r-- 1 root root 2 Jan 1 b\n")
	if err := checkLsOutput(out, 2); err != nil {
		t.Error(err)
	}
	if err := checkLsOutput(out, 3); err == nil {
		t.Error("a missing file was not noticed")
	}
}

func TestParallelStatAndCreate(t *testing.T) {
	tr, out := extract(t, makeSource(t))
	if errs := parallelStat(out, tr.filePaths()); len(errs) != 0 {
		t.Errorf("parallelStat: %v", errs)
	}
	os.Truncate(filepath.Join(out, "src/a.go"), 1)
	if errs := parallelStat(out, tr.filePaths()); len(errs) != 1 {
		t.Errorf("parallelStat after a truncate: %v, want one error", errs)
	}

	dir := t.TempDir()
	if errs := parallelCreate(dir, 7); len(errs) != 0 {
		t.Fatalf("parallelCreate: %v", errs)
	}
	if err := checkCreated(dir, 7); err != nil {
		t.Errorf("checkCreated: %v", err)
	}
	if errs := parallelCreate(dir, 7); len(errs) != parWorkers*7 {
		t.Errorf("creating existing names with O_EXCL: %d errors, want %d", len(errs), parWorkers*7)
	}
	os.Remove(filepath.Join(dir, createdName(3, 4)))
	if err := checkCreated(dir, 7); err == nil {
		t.Error("a missing created file was not noticed")
	}
}

func TestSequentialFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	const size = 3*seqBlock + 1234
	if err := writeSeq(path, size); err != nil {
		t.Fatal(err)
	}
	if err := readSeq(path, size); err != nil {
		t.Fatalf("reading back: %v", err)
	}
	// Swap two blocks: same bytes overall, wrong places.
	b, _ := os.ReadFile(path)
	blk := append([]byte(nil), b[:seqBlock]...)
	copy(b[:seqBlock], b[seqBlock:2*seqBlock])
	copy(b[seqBlock:2*seqBlock], blk)
	os.WriteFile(path, b, 0o644)
	if err := readSeq(path, size); err == nil {
		t.Error("swapped blocks were not noticed")
	}
	os.WriteFile(path, b[:size-1], 0o644)
	if err := readSeq(path, size); err == nil {
		t.Error("a short file was not noticed")
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/tmp/a\040b\011c`); got != "/tmp/a b\tc" {
		t.Errorf("got %q", got)
	}
	if got := unescapeMountinfo("/plain"); got != "/plain" {
		t.Errorf("got %q", got)
	}
}

func TestSelectClients(t *testing.T) {
	cs, err := selectClients("sshfs, netvfs")
	if err != nil || len(cs) != 2 || cs[0].Name != "sshfs" || cs[1].Name != "netvfs" {
		t.Errorf("selectClients = %v, %v", cs, err)
	}
	if cs, err := selectClients("netvfs-ttl20"); err != nil || cs[0].Name != "netvfs-ttl20" {
		t.Errorf("the extra client: %v, %v", cs, err)
	}
	if _, err := selectClients("nfs"); err == nil {
		t.Error("an unknown client was accepted")
	}
	if all, _ := selectClients(""); len(all) != 5 || all[0].Name != "netvfs" || all[1].Name != "sshfs" {
		t.Errorf("default clients %v: want all five, netvfs then sshfs", all)
	}
}

func TestParseOptionsQuickDefaults(t *testing.T) {
	o, err := parseOptions([]string{"-quick", "-reps", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if o.tree != "small" || o.reps != 2 || o.seqMiB != 32 || o.creates != 50 || o.out != "" || o.stepTimeout != time.Minute {
		t.Errorf("quick options %+v", o)
	}
	o, err = parseOptions([]string{"-latency", "5ms"})
	if err != nil {
		t.Fatal(err)
	}
	if o.tree != "go" || o.reps != 3 || o.seqMiB != 512 || o.creates != 200 || o.out != "docs" || o.stepTimeout != 10*time.Minute {
		t.Errorf("full options %+v", o)
	}
	for _, bad := range [][]string{{"-reps", "0"}, {"-rate", "fast"}, {"extra"}} {
		if _, err := parseOptions(bad); err == nil {
			t.Errorf("parseOptions(%q) accepted", bad)
		}
	}
}
