package main

// Tests of the markdown report and the chart: failures show as FAILED
// with their reason, table cells are escaped, and the chart is a PNG.

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		`| find \| xargs stat | file | 2.00 / 1.00 | 3.00 / 2.00 | – |`,
		`| find \| xargs stat | ≥ 2× faster | 3.00× | yes |`,
		"| sequential read | no slower | 2.00× | yes |",
		"2 of 2 targets met. Correctness failures for netvfs: 0.",
		"[^1]: check: stat printed 3 files, want 4",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q\n%s", want, md)
		}
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
