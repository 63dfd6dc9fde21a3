package main

// This file makes the git repository that the git status workload runs in.
// It is made once per run, outside any mount, and each client's run gets a
// copy of its .git in the server's copy of the tree (making it through a
// mount would take minutes per client). Nothing here is shared.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// commandEnv is the environment of every command the benchmark runs: git
// sees no user or system configuration, and output is not localised.
func commandEnv(e *env) []string {
	return append(os.Environ(), "HOME="+e.gitHome, "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
}

// makeGitTemplate extracts the tree into dir and makes it a repository
// with everything committed and packed; it returns the .git directory.
//
// The index records this copy's inode numbers and ctimes, which no client
// shows for the server's copy, so the repository compares only what every
// client keeps: whole-second mtimes and sizes (core.checkStat=minimal,
// core.trustctime=false), not permission bits (core.fileMode=false; rclone
// drops them). The tar keeps mtimes, so every client's copy matches the
// index, and git status finds it clean after the same lstat of every file
// and readdir of every directory that it makes with default settings.
func makeGitTemplate(ctx context.Context, e *env, t *tree, dir string) (string, error) {
	root := filepath.Join(dir, "tree")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	for _, argv := range [][]string{
		{"tar", "-x", "--no-same-owner", "-f", t.TarPath},
		{"git", "init", "-q"},
		{"git", "config", "core.checkStat", "minimal"},
		{"git", "config", "core.trustctime", "false"},
		{"git", "config", "core.fileMode", "false"},
		{"git", "add", "-A"},
		{"git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "tree"},
		{"git", "gc", "-q"},
	} {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = root, commandEnv(e)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("making the git repository: %s: %v: %s", strings.Join(argv[:2], " "), err, out)
		}
	}
	return filepath.Join(root, ".git"), nil
}
