package main

// This file holds the measurements and their summary: one Sample per
// (client, workload, repetition), reduced to one Cell per (client,
// workload) with the median time and the network counts per file. Pure
// functions over values; nothing is shared.

import (
	"slices"
	"time"

	"github.com/netvfs/netvfs/bench/netem"
)

// Sample is one timed run of one workload on one client.
type Sample struct {
	Client   string
	Workload string
	Rep      int
	Elapsed  time.Duration
	// Err is why the run or its correctness check failed ("" if neither).
	Err string
	// Net is what crossed the proxy during the timed part.
	Net netem.Stats
}

// Cell summarises one client's repetitions of one workload.
type Cell struct {
	// Runs is the number of samples; OK of them passed.
	Runs, OK int
	// Failed is the first failure, if any sample failed: the cell then
	// shows FAILED instead of a time (a fast wrong answer must not win).
	Failed string
	// Median is the median elapsed time of the samples (all passed).
	Median time.Duration
	// Min and Max bound the samples.
	Min, Max time.Duration
	// Requests and RoundTrips are the medians of client-to-server SSH
	// packets and of client turnarounds per unit (file or MiB); valid
	// only if Counted.
	Requests, RoundTrips float64
	Counted              bool
}

// Summarise reduces samples to cells keyed by client then workload. unit
// gives each workload's denominator for the per-file counts (files,
// entries or MiB); a workload missing from it gets no counts.
func Summarise(samples []Sample, unit map[string]float64) map[string]map[string]Cell {
	groups := map[[2]string][]Sample{}
	for _, s := range samples {
		k := [2]string{s.Client, s.Workload}
		groups[k] = append(groups[k], s)
	}
	out := map[string]map[string]Cell{}
	for k, ss := range groups {
		if out[k[0]] == nil {
			out[k[0]] = map[string]Cell{}
		}
		out[k[0]][k[1]] = summariseCell(ss, unit[k[1]])
	}
	return out
}

func summariseCell(ss []Sample, unit float64) Cell {
	c := Cell{Runs: len(ss)}
	var times []time.Duration
	var reqs, rts []float64
	counted := unit > 0
	for _, s := range ss {
		if s.Err != "" {
			if c.Failed == "" {
				c.Failed = s.Err
			}
			continue
		}
		c.OK++
		times = append(times, s.Elapsed)
		if s.Net.OpaqueConns > 0 {
			counted = false
		}
		if unit > 0 {
			reqs = append(reqs, float64(s.Net.ToServer.Packets)/unit)
			rts = append(rts, float64(s.Net.Turnarounds)/unit)
		}
	}
	if c.Failed != "" || len(times) == 0 {
		return Cell{Runs: c.Runs, OK: c.OK, Failed: c.Failed}
	}
	c.Median = MedianDuration(times)
	c.Min, c.Max = slices.Min(times), slices.Max(times)
	if counted {
		c.Requests, c.RoundTrips, c.Counted = Median(reqs), Median(rts), true
	}
	return c
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MedianDuration is Median for durations.
func MedianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(Median(xs))
}

// Speedup returns how many times faster a is than b (b/a), and false if
// either cell has no time.
func Speedup(a, b Cell) (float64, bool) {
	if a.Failed != "" || b.Failed != "" || a.OK == 0 || b.OK == 0 || a.Median <= 0 {
		return 0, false
	}
	return float64(b.Median) / float64(a.Median), true
}
