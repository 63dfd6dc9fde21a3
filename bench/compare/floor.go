package main

// This file computes each workload's floor: the fewest round trips that
// any sync client of SFTP v3 over one connection must wait for, one after
// another, given the requests the kernel's FUSE layer sends for that
// workload (see the "Floors" part of the methodology in report.go for the
// model). A floor depends only on the tree's shape, measured here once per
// run. Pure functions over values; nothing is shared.

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Floor is one workload's floor.
type Floor struct {
	// RoundTrips is the whole workload's floor (divide by the unit count
	// for the per-unit figure).
	RoundTrips float64
	// Changes is the part of RoundTrips that changes the server: a sync
	// client must wait for each, whatever it reads ahead. The rest are
	// reads, which reading ahead of the kernel could hide.
	Changes float64
	// Why is the one-line reason.
	Why string
}

// treeShape is what the floors depend on.
type treeShape struct {
	Files, Dirs int
	// Top is the number of entries directly in the tree's root.
	Top int
	// FileDirs is the number of directories with a file below them: the
	// directories a walk to every file looks up.
	FileDirs int
	// MaxDepth is the number of components of the deepest file's path.
	MaxDepth int
	// GitEntries and GitDirs count the .git the git status step adds to
	// the tree (itself included), which rm -rf removes too.
	GitEntries, GitDirs int
}

const (
	// reachTree is the LOOKUPs a cold mount pays to reach the tree: the
	// run's directory, then the tree.
	reachTree = 2
	// gitListedDirs is how many of .git's directories git status lists
	// (refs and objects/pack), so that rm -rf knows their contents.
	gitListedDirs = 2
	// gitPreloadCost and gitPreloadMax are git's preload-index rule
	// (preload-index.c, THREAD_COST and MAX_PARALLEL): one thread per 500
	// index entries, at most 20, and none (one lstat after another) for
	// fewer than two.
	gitPreloadCost = 500
	gitPreloadMax  = 20
)

// shapeOf measures the tree and the .git directory gitDir.
func shapeOf(t *tree, gitDir string) (treeShape, error) {
	s := treeShape{Files: t.Files, Dirs: t.Dirs}
	fileDirs := map[string]bool{}
	for _, e := range t.Entries {
		parts := strings.Split(e.Path, "/")
		if len(parts) == 1 {
			s.Top++
		}
		if e.Dir {
			continue
		}
		s.MaxDepth = max(s.MaxDepth, len(parts))
		for i := 1; i < len(parts); i++ {
			fileDirs[strings.Join(parts[:i], "/")] = true
		}
	}
	s.FileDirs = len(fileDirs)
	var err error
	s.GitEntries, s.GitDirs, err = countTree(gitDir)
	return s, err
}

// countTree counts the entries under root, root included, and how many
// of them are directories.
func countTree(root string) (entries, dirs int, err error) {
	err = filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		entries++
		if d.IsDir() {
			dirs++
		}
		return nil
	})
	return entries, dirs, err
}

// gitPreloadThreads is how many threads git status lstats the index with.
func gitPreloadThreads(indexEntries int) int {
	if n := min(indexEntries/gitPreloadCost, gitPreloadMax); n >= 2 {
		return n
	}
	return 1
}

// gitLstatOrder says how git status's lstats overlap.
func gitLstatOrder(threads int) string {
	if threads == 1 {
		return fmt.Sprintf("one after another (git preloads in threads from %d files)", 2*gitPreloadCost)
	}
	return fmt.Sprintf("by git's %d preload threads at once", threads)
}

// ceilDiv is a/b rounded up.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// floors returns every workload's floor for a tree of shape s and creates
// files per create worker.
func floors(s treeShape, creates int) map[string]Floor {
	dirsRead := s.Dirs + 1 // the tree's root too
	names := s.Files + s.FileDirs + reachTree
	threads := gitPreloadThreads(s.Files)
	gitUnlisted := max(0, s.GitDirs-gitListedDirs)
	reads := func(n int, why string) Floor { return Floor{RoundTrips: float64(n), Why: why} }
	changes := func(changes, reads int, why string) Floor {
		return Floor{RoundTrips: float64(changes + reads), Changes: float64(changes), Why: why}
	}
	warm := reads(0, "within the cache timeout, the names, attributes and listings of the cold run answer every request")
	return map[string]Floor{
		"untar": changes(2*s.Files+3*s.Dirs, s.Top+reachTree, fmt.Sprintf(
			"per file OPEN(create) for open and FSETSTAT(times) for futimens, each answered before the call returns (the WRITE is pipelined, CLOSE not awaited, and the negative LOOKUP answered from the directory the client made) = 2; per directory MKDIR, SETSTAT(times), SETSTAT(mode) = 3; an LSTAT per name in the root the client did not make (%d)", s.Top)),
		"stat-cold": reads(reachTree+2*dirsRead,
			"find reads every directory: OPENDIR, then READDIRs pipelined to EOF (CLOSE not awaited) = 2 per directory; every stat is answered from READDIR's attributes = 0"),
		"stat-warm": warm,
		"ls-lR":     warm,
		"par-stat": reads(max(ceilDiv(names, parWorkers), s.MaxDepth+reachTree), fmt.Sprintf(
			"one LSTAT per name looked up (%d: files, their directories and the way to the tree); the %d workers overlap, so their total over %d (or the deepest path, if longer)", names, parWorkers, parWorkers)),
		"par-create": changes(parWorkers*creates, 0,
			"one OPEN(create, exclusive) per file = 1: the kernel holds the directory's lock across LOOKUP and CREATE, so creates in one directory never overlap; the negative LOOKUP is answered from the directory the client made, CLOSE is not awaited"),
		"du": reads(2*dirsRead,
			"du reads every directory (none is listed since the remount): OPENDIR + READDIRs = 2 per directory; its stats are answered from READDIR's attributes or the earlier lookups = 0"),
		"git-status": reads(ceilDiv(names, threads)+2*dirsRead, fmt.Sprintf(
			"one LSTAT per tracked file and directory (%d), %s, then OPENDIR + READDIRs per directory to look for untracked files = 2; git's reads of .git are left out", names, gitLstatOrder(threads))),
		"rm-rf": changes(s.Files+dirsRead+s.GitEntries, 2*gitUnlisted, fmt.Sprintf(
			"one REMOVE or RMDIR per entry, .git's %d too = 1 (rm is sequential, and the kernel serializes unlinks in a directory); listings are known from git status, but for %d directories of .git (OPENDIR + READDIRs = 2 each)", s.GitEntries, gitUnlisted)),
		"seq-write": changes(2, 1,
			"3 per file: the negative LOOKUP and the OPEN(create), WRITEs pipelined, close waits for the last WRITE's reply; the limit is bandwidth, not round trips"),
		"seq-read": reads(4,
			"4 per file after a remount: LOOKUP of the run's directory and of the file, OPEN, the first READ; the other READs are pipelined ahead of the reader; the limit is bandwidth"),
	}
}
