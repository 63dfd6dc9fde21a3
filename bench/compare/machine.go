package main

// This file describes the machine and the versions of everything measured,
// for the report. Each function runs commands or reads /proc once;
// nothing is shared.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machineLines describes the CPU, memory, kernel and OS.
func machineLines() []string {
	var cpu, mem string
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == "MemTotal" {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
				mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				break
			}
		}
		f.Close()
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	osName := ""
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`)
			}
		}
	}
	return []string{
		fmt.Sprintf("CPU: %s, %d logical CPUs; memory %s", cpu, runtime.NumCPU(), mem),
		fmt.Sprintf("OS: %s, Linux %s", osName, strings.TrimSpace(string(kernel))),
	}
}

// repoRevision describes the repository's commit, noting changes not
// committed yet (tracked or not) in the sources netvfs is built from.
func repoRevision(repoRoot string) string {
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = repoRoot
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	rev, err := git("rev-parse", "--short=12", "HEAD")
	if err != nil {
		return "unknown"
	}
	if changes, err := git("status", "--porcelain", "--", "cmd", "fs", "fuse", "vfs", "internal", "go.mod", "go.sum"); err == nil && changes != "" {
		rev += fmt.Sprintf(" plus uncommitted changes to %d files", len(strings.Split(changes, "\n")))
	}
	return rev
}

// versions lists the software measured and used; rev is netvfs's commit.
func versions(rev string) [][2]string {
	first := func(argv ...string) string {
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil && len(out) == 0 {
			return "not found"
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return strings.TrimSpace(line)
	}
	sshfs, _ := exec.Command("sshfs", "--version").CombinedOutput()
	var sshfsV []string
	for _, l := range strings.Split(strings.TrimSpace(string(sshfs)), "\n") {
		sshfsV = append(sshfsV, strings.TrimSpace(l))
	}
	return [][2]string{
		{"netvfs", "commit " + rev + " (built by the run, " + runtime.Version() + ")"},
		{"sshfs", strings.Join(sshfsV, "; ")},
		{"rclone", first("rclone", "version")},
		{"OpenSSH (server and sshfs's client)", first("ssh", "-V")},
		{"GNU tar", first("tar", "--version")},
		{"git", first("git", "--version")},
	}
}
