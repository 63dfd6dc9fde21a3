package main

// Tests of the markdown report and the chart: failures show as FAILED
// with their reason, table cells are escaped, the floor sits next to the
// subject's counts and says where a target is out of reach, and the chart
// is a PNG.

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netvfs/netvfs/bench/netem"
)

func testReport() *Report {
	fail := sample("rclone", "stat", 1, 0, 0, 0)
	fail.Err = "check: stat printed 3 files, want 4"
	return &Report{
		Subject: "netvfs", Baseline: "sshfs",
		Meta: Meta{Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Latency: time.Millisecond, Delay: 500 * time.Microsecond,
			Reps: 1, Tree: "`small`", Files: 4, Dirs: 1, Bytes: 1 << 20, SeqBytes: 32 << 20, Command: "go run ./bench/compare -quick"},
		Clients: []ClientInfo{{Name: "netvfs", Mode: "sync"}, {Name: "sshfs", Mode: "sync"}, {Name: "rclone", Mode: "write-back"}},
		Workloads: []WorkloadInfo{
			{Name: "stat", Title: "find | xargs stat", Metadata: true, Unit: "file"},
			{Name: "seq", Title: "sequential read", Unit: "MiB"},
		},
		Units: map[string]float64{"stat": 4, "seq": 32},
		Floors: map[string]Floor{
			"stat": {RoundTrips: 2, Why: "one READDIR per directory"},
			"seq":  {RoundTrips: 4, Why: "OPEN then pipelined READs"},
		},
		Samples: []Sample{
			sample("netvfs", "stat", 1, 0.5, 8, 4), sample("sshfs", "stat", 1, 1.5, 12, 8), fail,
			sample("netvfs", "seq", 1, 1, 64, 2), sample("sshfs", "seq", 1, 2, 64, 32), sample("rclone", "seq", 1, 4, 64, 32),
		},
	}
}

func TestMarkdownShowsTimesFailuresAndTargets(t *testing.T) {
	md := testReport().Markdown("benchmarks.png")
	for _, want := range []string{
		"**1ms added round trip**",
		"![time relative to sshfs, per workload](benchmarks.png)",
		`| find \| xargs stat | 0.500 s | 1.50 s | **FAILED**[^1] | 3.00× |`,
		"| sequential read | 1.00 s (32 MiB/s) | 2.00 s (16 MiB/s) | 4.00 s (8 MiB/s) | 2.00× |",
		`| find \| xargs stat | file | 2.00 / 1.00 | 0.50 | 3.00 / 2.00 | – |`,
		"| sequential read | MiB | 2.00 / 0.06 | 0.12 | 2.00 / 1.00 | 2.00 / 1.00 |",
		`| find \| xargs stat | ≥ 2× faster | 3.00× | yes | floor 0.50 round trips per file: at 1ms each ≥ 0.0020 s, at most 750.00× faster than sshfs |`,
		"| sequential read | no slower | 2.00× | yes | bound by bandwidth, not round trips (floor 0.12 per MiB) |",
		"| find \\| xargs stat | 0.50 per file | one READDIR per directory |",
		"2 of 2 targets met. Correctness failures for netvfs: 0.",
		"[^1]: check: stat printed 3 files, want 4",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q\n%s", want, md)
		}
	}
}

func TestTargetsSayWhereTheFloorPutsTwiceOutOfReach(t *testing.T) {
	r := testReport()
	r.Meta.SFTPProxied = 1500 * time.Microsecond
	// 600 round trips at 1.5 ms take 0.9 s; sshfs takes 1.5 s: at most
	// 1.67×. Changes alone (500, 0.75 s) allow 2×: only reads forbid it.
	r.Floors["stat"] = Floor{RoundTrips: 600, Changes: 500, Why: "one REMOVE per entry"}
	want := "**out of reach without reading ahead**: floor 150 round trips per file: at 1.5ms each ≥ 0.900 s, at most 1.67× faster than sshfs, which pays 2.00 per file"
	if got := r.Targets()[0].Note; got != want {
		t.Errorf("note %q\nwant %q", got, want)
	}
	// With 550 changes (0.825 s, at most 1.82×) no sync client can do it.
	r.Floors["stat"] = Floor{RoundTrips: 600, Changes: 550, Why: "one REMOVE per entry"}
	want = "**out of reach in sync mode**: floor 150 round trips per file: at 1.5ms each ≥ 0.900 s, at most 1.67× faster than sshfs, which pays 2.00 per file; its changes alone allow at most 1.82×"
	if got := r.Targets()[0].Note; got != want {
		t.Errorf("note %q\nwant %q", got, want)
	}
	if !strings.Contains(r.Markdown(""), want) {
		t.Error("the markdown lacks the note")
	}
	// Reachable: no mark.
	r.Floors["stat"] = Floor{RoundTrips: 100, Changes: 100, Why: "one REMOVE per entry"}
	if got := r.Targets()[0].Note; strings.Contains(got, "out of reach") {
		t.Errorf("a floor allowing 10× is marked out of reach: %q", got)
	}

	// No round trip needed and none made: only local work differs.
	r.Floors["stat"] = Floor{Why: "cached"}
	r.Samples[1].Net = netem.Stats{}
	if got := r.Targets()[0].Note; got != "no round trip needed, and sshfs makes none: only local work differs" {
		t.Errorf("note with a zero floor: %q", got)
	}
	// With the local reference, how much faster the local disk allows.
	r.Meta.Local = map[string]time.Duration{"stat": r.Cells()["sshfs"]["stat"].Median / 4}
	if got := r.Targets()[0].Note; !strings.HasSuffix(got, ": at most 4.00× faster than sshfs") || !strings.Contains(got, "on this machine's own disk it takes") {
		t.Errorf("note with a zero floor and a local time: %q", got)
	}
	r.Meta.Local = nil

	// Without a floor or a baseline time, no note.
	delete(r.Floors, "stat")
	if got := r.Targets()[0].Note; got != "" {
		t.Errorf("note without a floor: %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1234 * time.Microsecond:  "0.0012 s",
		123 * time.Millisecond:   "0.123 s",
		1234 * time.Millisecond:  "1.23 s",
		12345 * time.Millisecond: "12.3 s",
		123 * time.Second:        "123 s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestChartValuesAreRelativeToBaseline(t *testing.T) {
	v := testReport().ChartValues()
	// netvfs, sshfs, rclone × stat, seq.
	if v[0][0] != 0.5/1.5 || v[1][0] != 1 || !math.IsNaN(v[2][0]) {
		t.Errorf("stat column %v %v %v", v[0][0], v[1][0], v[2][0])
	}
	if v[0][1] != 0.5 || v[2][1] != 2 {
		t.Errorf("seq column %v %v", v[0][1], v[2][1])
	}
}

func TestWriteChartWritesAPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chart.png")
	if err := testReport().WriteChart(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 300 {
		t.Errorf("chart is only %v", b)
	}
}

func TestRatioTicks(t *testing.T) {
	var labels []string
	for _, tk := range (ratioTicks{}).Ticks(0.3, 12) {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, " "); got != "0.5× 1× 2× 5× 10×" {
		t.Errorf("ticks %q", got)
	}
}
