package main

// Tests of `netvfs bench`: the JSON report, the table, progress and usage
// errors. Counts (driver calls, allocations) are asserted; times are not
// (DESIGN.md: speed is measured, never asserted with timers).

import (
	"encoding/json"
	"strings"
	"testing"
)

// parseBench decodes a --json report.
func parseBench(t *testing.T, r cmdResult) (*benchReport, map[string]benchResult) {
	t.Helper()
	var rep benchReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%v", err, r)
	}
	byName := map[string]benchResult{}
	for _, res := range rep.Results {
		byName[res.Name] = res
	}
	return &rep, byName
}

// Rules L1 and O1 seen from the command line: one driver call per lookup of
// a name 64 goroutines want, one per open(O_CREAT) of a new name.
func TestBenchJSONOneDriverCallPerOp(t *testing.T) {
	r := mustRun(t, "bench", "--only", "SameNameLookup,AtomicOpenCreate", "--json", "--rounds", "5")
	rep, got := parseBench(t, r)
	if len(rep.Results) != 2 || rep.Results[0].Name != "SameNameLookup" || rep.Results[1].Name != "AtomicOpenCreate" {
		t.Fatalf("want SameNameLookup and AtomicOpenCreate in table order, got %+v", rep.Results)
	}
	for _, name := range []string{"SameNameLookup", "AtomicOpenCreate"} {
		res := got[name]
		if calls, ok := res.Metrics["drivercalls/op"]; !ok || calls != 1 {
			t.Errorf("%s: drivercalls/op = %v (present %v), want 1\n%v", name, calls, ok, r)
		}
		if res.Met == nil || !*res.Met || res.Error != "" {
			t.Errorf("%s: met %v, error %q; want met", name, res.Met, res.Error)
		}
	}
	if rep.LatencyNs != 2e6 || rep.Rounds != 5 || !rep.AllMet {
		t.Errorf("latency %d ns, rounds %d, all_met %v; want the 2ms default, 5, true", rep.LatencyNs, rep.Rounds, rep.AllMet)
	}
	// Progress: one line per scenario as it starts (stderr is not a terminal).
	if !strings.Contains(r.stderr, "[1/2] SameNameLookup") || !strings.Contains(r.stderr, "[2/2] AtomicOpenCreate") {
		t.Errorf("no progress lines on stderr:\n%v", r)
	}
}

// Rule L5 from the command line: the cached walk makes no driver call and
// allocates nothing; KernelStat is an anchor without a target.
func TestBenchWalkCachedNoCallsNoAllocs(t *testing.T) {
	r := mustRun(t, "bench", "--only", "walkcached,KernelStat", "--duration", "200ms", "--json")
	_, got := parseBench(t, r)
	w := got["WalkCached"]
	if w.Metrics["allocs/op"] != 0 || w.Metrics["drivercalls/op"] != 0 || w.Metrics["ns/op"] <= 0 {
		t.Errorf("WalkCached metrics %v: want 0 allocs/op, 0 drivercalls/op, some ns/op", w.Metrics)
	}
	if k := got["KernelStat"]; k.Met != nil || k.Metrics["ns/op"] <= 0 {
		t.Errorf("KernelStat: met %v, metrics %v; want no verdict and a time", k.Met, k.Metrics)
	}
}

func TestBenchTable(t *testing.T) {
	r := mustRun(t, "bench", "--only", "SameNameLookup,ParallelCreate", "--rounds", "3")
	out := outLines(r.stdout)
	var header, same, create string
	for _, l := range out {
		switch {
		case strings.HasPrefix(l, "SCENARIO"):
			header = l
		case strings.HasPrefix(l, "SameNameLookup"):
			same = l
		case strings.HasPrefix(l, "ParallelCreate"):
			create = l
		}
	}
	for _, col := range []string{"MEASURES", "RESULT", "TARGET", "MET"} {
		if !strings.Contains(header, col) {
			t.Errorf("header %q lacks %s", header, col)
		}
	}
	if !strings.Contains(same, "1.00 drivercalls/op") || !strings.HasSuffix(same, "yes") {
		t.Errorf("SameNameLookup row %q: want 1.00 drivercalls/op, met", same)
	}
	if !strings.Contains(create, "rtt/op") || !strings.Contains(create, "≤ 2 rtt/op") {
		t.Errorf("ParallelCreate row %q", create)
	}
	if !strings.Contains(r.stdout, "targets met") {
		t.Errorf("no summary:\n%v", r)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--bogus"}, "flag provided but not defined"},
		{[]string{"bench", "--only", "SameNameLookup,Nope"}, "unknown scenario nope"},
		{[]string{"bench", "--latency", "0"}, "must be positive"},
		{[]string{"bench", "--latency", "fast"}, "invalid value"},
		{[]string{"bench", "extra"}, "unexpected argument"},
	} {
		mustFail(t, 2, []string{c.want, "netvfs help bench"}, c.args...)
	}
}
