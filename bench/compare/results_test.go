package main

// Tests of the statistics: medians, the reduction of samples to cells
// (a failed repetition makes the cell FAILED), speedups and the targets.

import (
	"math"
	"testing"
	"time"

	"github.com/netvfs/netvfs/bench/netem"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{2, 2, 9, 2}, 2},
	} {
		in := append([]float64(nil), tc.in...)
		if got := Median(in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Errorf("Median reordered its input: %v", in)
			}
		}
	}
	if got := MedianDuration([]time.Duration{3 * time.Second, time.Second, 2 * time.Second}); got != 2*time.Second {
		t.Errorf("MedianDuration = %v", got)
	}
}

func sample(client, workload string, rep int, secs float64, packets, turnarounds int64) Sample {
	return Sample{Client: client, Workload: workload, Rep: rep, Elapsed: time.Duration(secs * float64(time.Second)),
		Net: netem.Stats{ToServer: netem.DirStats{Packets: packets}, Turnarounds: turnarounds}}
}

func TestSummariseTakesMediansPerUnit(t *testing.T) {
	cells := Summarise([]Sample{
		sample("a", "w", 1, 3, 300, 100),
		sample("a", "w", 2, 1, 100, 50),
		sample("a", "w", 3, 2, 200, 70),
	}, map[string]float64{"w": 100})
	c := cells["a"]["w"]
	if c.Runs != 3 || c.OK != 3 || c.Failed != "" {
		t.Fatalf("cell %+v", c)
	}
	if c.Median != 2*time.Second || c.Min != time.Second || c.Max != 3*time.Second {
		t.Errorf("median %v min %v max %v", c.Median, c.Min, c.Max)
	}
	if !c.Counted || c.Requests != 2 || c.RoundTrips != 0.7 {
		t.Errorf("per unit: counted %v, %v requests, %v round trips; want 2 and 0.7", c.Counted, c.Requests, c.RoundTrips)
	}
}

func TestSummariseOneFailureFailsTheCell(t *testing.T) {
	bad := sample("a", "w", 2, 0.1, 1, 1)
	bad.Err = "check: tree differs"
	c := Summarise([]Sample{sample("a", "w", 1, 3, 1, 1), bad, sample("a", "w", 3, 2, 1, 1)}, nil)["a"]["w"]
	if c.Failed != "check: tree differs" || c.Median != 0 || c.OK != 2 || c.Runs != 3 {
		t.Errorf("cell %+v: want FAILED with the check's message and no time", c)
	}
	if _, ok := Speedup(c, Cell{Runs: 1, OK: 1, Median: time.Second}); ok {
		t.Error("a speedup from a failed cell")
	}
}

func TestSummariseUncountedWhenOpaque(t *testing.T) {
	s := sample("a", "w", 1, 1, 10, 10)
	s.Net.OpaqueConns = 1
	if c := Summarise([]Sample{s}, map[string]float64{"w": 10})["a"]["w"]; c.Counted {
		t.Errorf("counts from an opaque connection: %+v", c)
	}
	if c := Summarise([]Sample{sample("a", "w", 1, 1, 10, 10)}, nil)["a"]["w"]; c.Counted {
		t.Errorf("counts without a unit: %+v", c)
	}
}

func TestSpeedup(t *testing.T) {
	fast := Cell{Runs: 1, OK: 1, Median: time.Second}
	slow := Cell{Runs: 1, OK: 1, Median: 3 * time.Second}
	if x, ok := Speedup(fast, slow); !ok || x != 3 {
		t.Errorf("Speedup(fast, slow) = %v, %v; want 3", x, ok)
	}
	if x, ok := Speedup(slow, fast); !ok || math.Abs(x-1.0/3) > 1e-9 {
		t.Errorf("Speedup(slow, fast) = %v, %v; want 1/3", x, ok)
	}
	if _, ok := Speedup(Cell{}, slow); ok {
		t.Error("speedup of a cell without samples")
	}
}

func TestTargets(t *testing.T) {
	r := &Report{
		Subject: "n", Baseline: "s",
		Workloads: []WorkloadInfo{{Name: "meta", Metadata: true}, {Name: "meta2", Metadata: true}, {Name: "seq"}, {Name: "broken", Metadata: true}},
		Samples: []Sample{
			sample("n", "meta", 1, 1, 0, 0), sample("s", "meta", 1, 2, 0, 0), // 2×: met
			sample("n", "meta2", 1, 1, 0, 0), sample("s", "meta2", 1, 1.9, 0, 0), // 1.9×: missed
			sample("n", "seq", 1, 1, 0, 0), sample("s", "seq", 1, 1, 0, 0), // equal: met
			{Client: "n", Workload: "broken", Rep: 1, Err: "boom"}, sample("s", "broken", 1, 1, 0, 0),
		},
	}
	got := map[string]Verdict{}
	for _, v := range r.Targets() {
		got[v.Workload] = v
	}
	if v := got["meta"]; !v.Met || v.Want != 2 {
		t.Errorf("meta: %+v, want met at 2×", v)
	}
	if v := got["meta2"]; v.Met || !v.Known {
		t.Errorf("meta2: %+v, want missed", v)
	}
	if v := got["seq"]; !v.Met || v.Want != 1 {
		t.Errorf("seq: %+v, want met at 1×", v)
	}
	if v := got["broken"]; v.Met || v.Known || v.Why != "n failed" {
		t.Errorf("broken: %+v, want not met because n failed", v)
	}
}
