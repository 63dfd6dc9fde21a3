package main

// The local reference: the workloads that need no round trip (the warm
// find | stat, ls -lR) run on a copy of the tree on this machine's own
// disk, so the report can say how fast a client could be at best when only
// local work differs.

import (
	"context"
	"io"
	"os"
	"os/exec"
	"slices"
	"time"
)

// Commands shared by the workloads and the local reference.
var (
	findStatArgv = []string{"sh", "-c", "find . -type f -print0 | xargs -0 stat -c '%n %s'"}
	lsArgv       = []string{"ls", "-lR"}
)

// measureLocal extracts t into dir and returns the median time of reps
// warm runs of each local-work workload there, by workload name.
func measureLocal(ctx context.Context, t *tree, dir string, reps int) (map[string]time.Duration, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := runIn(ctx, dir, "tar", "-x", "--no-same-owner", "-f", t.TarPath); err != nil {
		return nil, err
	}
	out := make(map[string]time.Duration)
	for name, argv := range map[string][]string{"stat-warm": findStatArgv, "ls-lR": lsArgv} {
		if err := runIn(ctx, dir, argv...); err != nil { // warms the caches
			return nil, err
		}
		times := make([]time.Duration, 0, reps)
		for range reps {
			start := time.Now()
			if err := runIn(ctx, dir, argv...); err != nil {
				return nil, err
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		out[name] = times[len(times)/2]
	}
	return out, nil
}

// runIn runs argv in dir, discarding its output.
func runIn(ctx context.Context, dir string, argv ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	return cmd.Run()
}
