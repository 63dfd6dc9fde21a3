package main

// Tests of the floors: the tree's shape is measured right, each floor
// counts the round trips its reason names for a known tree, and every
// workload has a floor with a one-line reason.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGitDir makes a .git with 4 entries, 3 of them directories.
func fakeGitDir(t *testing.T) string {
	t.Helper()
	git := filepath.Join(t.TempDir(), ".git")
	if err := os.MkdirAll(filepath.Join(git, "refs", "heads"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(git, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return git
}

func TestShapeOfCountsWhatTheFloorsNeed(t *testing.T) {
	// src/{a.go,empty,run.sh,sub/b.go,sub/deeper/c.txt}
	tr, _ := extract(t, makeSource(t))
	s, err := shapeOf(tr, fakeGitDir(t))
	if err != nil {
		t.Fatal(err)
	}
	want := treeShape{Files: 5, Dirs: 3, Top: 1, FileDirs: 3, MaxDepth: 4, GitEntries: 4, GitDirs: 3}
	if s != want {
		t.Errorf("shape %+v, want %+v", s, want)
	}
}

func TestFloorsCountTheRoundTripsTheirReasonsName(t *testing.T) {
	s := treeShape{Files: 5, Dirs: 3, Top: 1, FileDirs: 3, MaxDepth: 4, GitEntries: 4, GitDirs: 3}
	f := floors(s, 10)
	for workload, want := range map[string]float64{
		// 2 per file, 3 per directory, 1 LSTAT in the root, 2 to reach the tree.
		"untar": 2*5 + 3*3 + 1 + 2,
		// 2 to reach the tree, 2 per directory read (the root too).
		"stat-cold": 2 + 2*4,
		"stat-warm": 0, "ls-lR": 0,
		// 10 names over 16 workers is less than the deepest path (4 + 2).
		"par-stat":   6,
		"par-create": 16 * 10,
		"du":         2 * 4,
		// One thread: 10 LSTATs, then 2 per directory.
		"git-status": 10 + 2*4,
		// Every entry (5 files, 3 directories, the root, 4 of .git) and
		// the listing of the one .git directory git status did not list.
		"rm-rf":     5 + 4 + 4 + 2*1,
		"seq-write": 3, "seq-read": 4,
	} {
		if got := f[workload].RoundTrips; got != want {
			t.Errorf("%s: floor %v, want %v", workload, got, want)
		}
	}
	// The round trips that change the server, which no read-ahead hides.
	for workload, want := range map[string]float64{
		"untar": 2*5 + 3*3, "par-create": 16 * 10, "rm-rf": 5 + 4 + 4, "seq-write": 2,
		"stat-cold": 0, "par-stat": 0, "du": 0, "git-status": 0, "seq-read": 0,
	} {
		if got := f[workload].Changes; got != want {
			t.Errorf("%s: %v changes, want %v", workload, got, want)
		}
	}
	// With 16 workers and many files the floor is the total over 16.
	wide := floors(treeShape{Files: 1600, Dirs: 20, FileDirs: 20, MaxDepth: 3}, 10)
	if got := wide["par-stat"].RoundTrips; got != 102 { // ceil((1600+20+2)/16)
		t.Errorf("par-stat on a wide tree: floor %v, want 102", got)
	}
}

func TestGitPreloadThreadsFollowsGit(t *testing.T) {
	for entries, want := range map[int]int{0: 1, 287: 1, 999: 1, 1000: 2, 2023: 4, 50000: 20} {
		if got := gitPreloadThreads(entries); got != want {
			t.Errorf("gitPreloadThreads(%d) = %d, want %d", entries, got, want)
		}
	}
}

func TestEveryWorkloadHasAFloorWithAOneLineReason(t *testing.T) {
	f := floors(treeShape{Files: 300, Dirs: 30, Top: 10, FileDirs: 30, MaxDepth: 4, GitEntries: 40, GitDirs: 13}, 50)
	for _, w := range workloadInfos(50) {
		fl, ok := f[w.Name]
		switch {
		case !ok:
			t.Errorf("%s has no floor", w.Name)
		case fl.Why == "" || strings.ContainsAny(fl.Why, "\n|"):
			t.Errorf("%s: reason %q is not one table-safe line", w.Name, fl.Why)
		case fl.Changes < 0 || fl.Changes > fl.RoundTrips:
			t.Errorf("%s: %v changes in a floor of %v", w.Name, fl.Changes, fl.RoundTrips)
		}
	}
	if len(f) != len(workloadInfos(50)) {
		t.Errorf("%d floors for %d workloads", len(f), len(workloadInfos(50)))
	}
}
