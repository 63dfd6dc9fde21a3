package main

// This file renders a run as markdown: the median times, the requests and
// round trips per file next to the floor (floor.go), the targets of issue
// 5 met or missed and whether the floor puts them out of reach, the
// setup, and every raw sample. Pure functions over a Report value.

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// WorkloadInfo describes one row of the tables.
type WorkloadInfo struct {
	Name  string // key in samples
	Title string // row label
	// Metadata workloads count toward the "2× faster than sshfs" target;
	// the others are sequential throughput ("no slower than sshfs").
	Metadata bool
	// Unit is what the per-unit counts divide by: "file", "entry",
	// "create" or "MiB".
	Unit string
}

// ClientInfo describes one column of the tables.
type ClientInfo struct {
	Name    string // key in samples and column label
	Mode    string // "sync" or "write-back"
	Command string // how it was mounted
	Notes   string
}

// Meta is what a reader needs to judge and repeat the run.
type Meta struct {
	Date    time.Time
	Latency time.Duration // added round trip
	// Delay is the proxy's one-way delay.
	Delay time.Duration
	// SFTPDirect and SFTPProxied are the median times of one SFTP
	// request (LSTAT) of an idle client, straight to sshd and through the
	// proxy.
	SFTPDirect, SFTPProxied time.Duration
	Rate                    string // bandwidth cap, "" for none
	Reps                    int
	Tree                    string // which source tree
	Files                   int
	Dirs                    int
	Bytes                   int64
	SeqBytes                int64
	Machine                 []string    // lines about the hardware and kernel
	Versions                [][2]string // (software, version)
	Command                 string      // the command that produced this run
	Elapsed                 time.Duration
	Ciphers                 []string // SSH ciphers negotiated through the proxy
	// Local holds the median time of the local-work workloads run on a
	// copy of the tree on this machine's disk (local.go), by workload.
	Local map[string]time.Duration
}

// Report is a finished run.
type Report struct {
	Meta      Meta
	Clients   []ClientInfo
	Workloads []WorkloadInfo
	Samples   []Sample
	// Units holds each workload's denominator (files, entries, MiB).
	Units map[string]float64
	// Floors holds each workload's floor (floor.go); a workload missing
	// from it shows none.
	Floors map[string]Floor
	// Subject and Baseline name the clients the targets compare.
	Subject, Baseline string
}

// Cells summarises the samples (client, then workload).
func (r *Report) Cells() map[string]map[string]Cell { return Summarise(r.Samples, r.Units) }

// Verdict is one target of the issue, met or not.
type Verdict struct {
	Workload string
	Want     float64 // minimum speedup of Subject over Baseline
	Speedup  float64
	Known    bool   // both had a time
	Met      bool   // Known and Speedup >= Want
	Why      string // when not Known
	// Note says what the floor allows (reachFloor), "" if unknown.
	Note string
}

// Targets checks the targets: Subject at least 2× faster than
// Baseline on every metadata workload and no slower on throughput.
func (r *Report) Targets() []Verdict {
	cells := r.Cells()
	var out []Verdict
	for _, w := range r.Workloads {
		v := Verdict{Workload: w.Name, Want: 1}
		if w.Metadata {
			v.Want = 2
		}
		subj, base := cells[r.Subject][w.Name], cells[r.Baseline][w.Name]
		v.Speedup, v.Known = Speedup(subj, base)
		switch {
		case subj.Failed != "":
			v.Why = r.Subject + " failed"
		case base.Failed != "":
			v.Why = r.Baseline + " failed"
		case !v.Known:
			v.Why = "not measured"
		}
		v.Met = v.Known && v.Speedup >= v.Want
		v.Note = r.floorNote(w, v.Want, base)
		out = append(out, v)
	}
	return out
}

// roundTrip is what one round trip costs in this run: the idle SFTP
// request through the proxy as measured, or else the added latency.
func (r *Report) roundTrip() time.Duration {
	if r.Meta.SFTPProxied > 0 {
		return r.Meta.SFTPProxied
	}
	return r.Meta.Latency
}

// floorNote says how much faster than the baseline's median the floor
// lets a sync client be on workload w (its round trips at the measured
// round trip, local work taken as free), and whether that is out of reach
// for want: for every sync client if the changes alone forbid it,
// otherwise for a client that does not read ahead of the kernel. It is ""
// when the floor or the baseline's time is unknown.
func (r *Report) floorNote(w WorkloadInfo, want float64, base Cell) string {
	f, ok := r.Floors[w.Name]
	unit := r.Units[w.Name]
	if !ok || unit <= 0 || base.OK == 0 || base.Failed != "" {
		return ""
	}
	perUnit := f.RoundTrips / unit
	if !w.Metadata {
		return fmt.Sprintf("bound by bandwidth, not round trips (floor %s per %s)", formatCount(perUnit), w.Unit)
	}
	if f.RoundTrips == 0 {
		if base.Counted && base.RoundTrips == 0 {
			note := fmt.Sprintf("no round trip needed, and %s makes none: only local work differs", r.Baseline)
			if local := r.Meta.Local[w.Name]; local > 0 {
				note += fmt.Sprintf("; on this machine's own disk it takes %s: at most %.2f× faster than %s",
					FormatDuration(local), float64(base.Median)/float64(local), r.Baseline)
			}
			return note
		}
		return "the floor is 0 round trips"
	}
	rtt := r.roundTrip()
	if rtt <= 0 {
		return ""
	}
	bound := func(roundTrips float64) (time.Duration, float64) {
		least := time.Duration(roundTrips * float64(rtt))
		return least, float64(base.Median) / float64(least)
	}
	least, most := bound(f.RoundTrips)
	note := fmt.Sprintf("floor %s round trips per %s: at %v each ≥ %s, at most %.2f× faster than %s",
		formatCount(perUnit), w.Unit, rtt.Round(10*time.Microsecond), FormatDuration(least), most, r.Baseline)
	pays := ""
	if base.Counted {
		pays = fmt.Sprintf(", which pays %s per %s", formatCount(base.RoundTrips), w.Unit)
	}
	switch _, changesMost := bound(f.Changes); {
	case f.Changes > 0 && changesMost < want:
		return fmt.Sprintf("**out of reach in sync mode**: %s%s; its changes alone allow at most %.2f×", note, pays, changesMost)
	case most < want:
		return fmt.Sprintf("**out of reach without reading ahead**: %s%s", note, pays)
	}
	return note
}

// FormatDuration prints a duration with three significant digits in
// seconds ("0.0123 s", "1.23 s", "123 s").
func FormatDuration(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s >= 100:
		return fmt.Sprintf("%.0f s", s)
	case s >= 10:
		return fmt.Sprintf("%.1f s", s)
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 0.1:
		return fmt.Sprintf("%.3f s", s)
	default:
		return fmt.Sprintf("%.4f s", s)
	}
}

// formatCount prints a per-unit count compactly.
func formatCount(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	case x >= 0.01:
		return fmt.Sprintf("%.2f", x)
	default:
		return "<0.01"
	}
}

// footnotes numbers distinct failure messages.
type footnotes struct {
	msgs []string
}

func (f *footnotes) ref(msg string) string {
	for i, m := range f.msgs {
		if m == msg {
			return fmt.Sprintf("[^%d]", i+1)
		}
	}
	f.msgs = append(f.msgs, msg)
	return fmt.Sprintf("[^%d]", len(f.msgs))
}

// cellTime is a table cell: the median time, with the throughput for MiB
// workloads, or FAILED with a footnote.
func (r *Report) cellTime(c Cell, w WorkloadInfo, notes *footnotes) string {
	switch {
	case c.Runs == 0:
		return "–"
	case c.Failed != "":
		return "**FAILED**" + notes.ref(c.Failed)
	}
	s := FormatDuration(c.Median)
	if w.Unit == "MiB" && c.Median > 0 {
		s += fmt.Sprintf(" (%.0f MiB/s)", r.Units[w.Name]/c.Median.Seconds())
	}
	return s
}

// Markdown renders the report; chart is the PNG's file name relative to
// the markdown file ("" for none).
func (r *Report) Markdown(chart string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := r.Meta
	cells := r.Cells()
	notes := &footnotes{}

	p("# netvfs versus sshfs and rclone mount over a slow network\n\n")
	p("Measured %s with **%v added round trip** (a TCP proxy delaying each direction by %v",
		m.Date.UTC().Format("2006-01-02 15:04 MST"), m.Latency, m.Delay)
	if m.Rate != "" {
		p(", capped at %s each way", m.Rate)
	} else {
		p(", no bandwidth cap")
	}
	p(") between each client and one OpenSSH server on loopback. Tree: %s (%d files, %d directories, %.1f MiB); sequential file %d MiB; median of %d repetition(s); the whole run took %v.\n\n",
		m.Tree, m.Files, m.Dirs, float64(m.Bytes)/(1<<20), m.SeqBytes>>20, m.Reps, m.Elapsed.Round(time.Second))
	if m.SFTPProxied > 0 {
		p("One SFTP request of an idle client (LSTAT, median) takes %v straight to sshd and %v through the proxy: the delay is a floor, and waking up after it costs this virtual machine some more.\n\n",
			m.SFTPDirect.Round(10*time.Microsecond), m.SFTPProxied.Round(10*time.Microsecond))
	}
	p("Rerun with `%s` (see [How it is measured](#how-it-is-measured)).\n\n", m.Command)
	if chart != "" {
		p("![time relative to sshfs, per workload](%s)\n\n", chart)
	}

	// Times.
	p("## Median wall time (lower is better)\n\n")
	p("| workload |")
	for _, c := range r.Clients {
		p(" %s |", c.Name)
	}
	p(" %s vs %s |\n|---|", r.Subject, r.Baseline)
	for range r.Clients {
		p("---:|")
	}
	p("---:|\n")
	for _, w := range r.Workloads {
		p("| %s |", cellText(w.Title))
		for _, c := range r.Clients {
			p(" %s |", r.cellTime(cells[c.Name][w.Name], w, notes))
		}
		if x, ok := Speedup(cells[r.Subject][w.Name], cells[r.Baseline][w.Name]); ok {
			p(" %.2f× |\n", x)
		} else {
			p(" – |\n")
		}
	}
	p("\n")

	// Counts.
	p("## Requests and round trips per unit\n\n")
	p("Each cell is *requests / round trips* per unit of the workload, counted at the proxy: requests are client-to-server SSH packets (≈ SFTP requests), round trips are client turnarounds (the client sent after the server had answered). *floor*: the fewest round trips per unit a sync client must wait for, one after another (see [Floors](#floors)). n/a: the SSH framing was not readable.\n\n")
	p("| workload | unit |")
	for _, c := range r.Clients {
		p(" %s |", c.Name)
		if c.Name == r.Subject {
			p(" floor |")
		}
	}
	p("\n|---|---|")
	for _, c := range r.Clients {
		p("---:|")
		if c.Name == r.Subject {
			p("---:|")
		}
	}
	p("\n")
	for _, w := range r.Workloads {
		p("| %s | %s |", cellText(w.Title), w.Unit)
		for _, c := range r.Clients {
			cell := cells[c.Name][w.Name]
			switch {
			case cell.Runs == 0 || cell.Failed != "":
				p(" – |")
			case !cell.Counted:
				p(" n/a |")
			default:
				p(" %s / %s |", formatCount(cell.Requests), formatCount(cell.RoundTrips))
			}
			if c.Name == r.Subject {
				p(" %s |", r.floorText(w))
			}
		}
		p("\n")
	}
	p("\n")

	// Targets.
	p("## Targets (issue 5)\n\n")
	p("%s in its default (sync) mode against %s with default options, at %v added round trip:\n\n", r.Subject, r.Baseline, m.Latency)
	p("| workload | target | %s vs %s | met? | what the floor allows |\n|---|---|---:|---|---|\n", r.Subject, r.Baseline)
	met, total := 0, 0
	for _, v := range r.Targets() {
		want := "≥ 2× faster"
		if v.Want == 1 {
			want = "no slower"
		}
		got, verdict := "–", "no: "+v.Why
		if v.Known {
			got = fmt.Sprintf("%.2f×", v.Speedup)
			verdict = map[bool]string{true: "yes", false: "**no**"}[v.Met]
		}
		total++
		if v.Met {
			met++
		}
		p("| %s | %s | %s | %s | %s |\n", cellText(r.title(v.Workload)), want, got, verdict, cellText(v.Note))
	}
	failures := 0
	for _, s := range r.Samples {
		if s.Client == r.Subject && s.Err != "" {
			failures++
		}
	}
	p("\n%d of %d targets met. Correctness failures for %s: %d.\n\n", met, total, r.Subject, failures)

	// Setup.
	p("## Clients\n\n| client | mode | mounted with | notes |\n|---|---|---|---|\n")
	for _, c := range r.Clients {
		p("| %s | %s | `%s` | %s |\n", c.Name, c.Mode, c.Command, c.Notes)
	}
	p("\n*sync*: when a call returns, the server has the data; *write-back*: the client acknowledges first and uploads later, so a crash loses what it had not sent.\n\n")
	p("## Machine and versions\n\n")
	for _, l := range m.Machine {
		p("- %s\n", l)
	}
	for _, v := range m.Versions {
		p("- %s: %s\n", v[0], v[1])
	}
	if len(m.Ciphers) > 0 {
		p("- SSH ciphers negotiated: %s\n", strings.Join(m.Ciphers, ", "))
	}
	p("\n")
	p("%s", methodology)
	r.writeFloors(p)
	p("%s", delayMethod)

	// Raw samples.
	p("## Raw samples\n\n<details><summary>every run (seconds; client-to-server packets; turnarounds)</summary>\n\n")
	p("| client | workload | rep | time | packets | turnarounds | result |\n|---|---|---:|---:|---:|---:|---|\n")
	samples := append([]Sample(nil), r.Samples...)
	sort.SliceStable(samples, func(i, j int) bool {
		if samples[i].Client != samples[j].Client {
			return r.clientIndex(samples[i].Client) < r.clientIndex(samples[j].Client)
		}
		if samples[i].Workload != samples[j].Workload {
			return r.workloadIndex(samples[i].Workload) < r.workloadIndex(samples[j].Workload)
		}
		return samples[i].Rep < samples[j].Rep
	})
	for _, s := range samples {
		result := "ok"
		if s.Err != "" {
			result = "FAILED" + notes.ref(s.Err)
		}
		p("| %s | %s | %d | %.4f | %d | %d | %s |\n", s.Client, s.Workload, s.Rep, s.Elapsed.Seconds(), s.Net.ToServer.Packets, s.Net.Turnarounds, result)
	}
	p("\n</details>\n\n")
	for i, msg := range notes.msgs {
		p("[^%d]: %s\n", i+1, oneLine(msg))
	}
	return b.String()
}

// floorText is a workload's floor per unit for a table cell.
func (r *Report) floorText(w WorkloadInfo) string {
	f, ok := r.Floors[w.Name]
	if !ok || r.Units[w.Name] <= 0 {
		return "–"
	}
	return formatCount(f.RoundTrips / r.Units[w.Name])
}

// writeFloors explains the floors, with this run's numbers.
func (r *Report) writeFloors(p func(format string, args ...any)) {
	if len(r.Floors) == 0 {
		return
	}
	p("%s", floorMethod)
	p("| workload | floor per unit | why |\n|---|---:|---|\n")
	for _, w := range r.Workloads {
		if f, ok := r.Floors[w.Name]; ok {
			p("| %s | %s per %s | %s |\n", cellText(w.Title), r.floorText(w), w.Unit, cellText(f.Why))
		}
	}
	p("\n")
}

func (r *Report) title(workload string) string {
	for _, w := range r.Workloads {
		if w.Name == workload {
			return w.Title
		}
	}
	return workload
}

func (r *Report) clientIndex(name string) int {
	for i, c := range r.Clients {
		if c.Name == name {
			return i
		}
	}
	return len(r.Clients)
}

func (r *Report) workloadIndex(name string) int {
	for i, w := range r.Workloads {
		if w.Name == name {
			return i
		}
	}
	return len(r.Workloads)
}

// cellText escapes text for a markdown table cell.
func cellText(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// oneLine makes a message fit a markdown footnote.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return strings.ReplaceAll(s, "|", "\\|")
}

// methodology is the fixed explanation of the measurements.
const methodology = `## How it is measured

One command (` + "`go run ./bench/compare`" + `) does everything on one machine: it builds
netvfs from this repository, starts an OpenSSH sshd on 127.0.0.1
(internal/sshtest) serving a fresh directory, starts the latency proxy
(bench/netem, in a process of its own) in front of it, and mounts that same
directory through the proxy with each client in turn. Each repetition runs
every client once, in alternation (the order rotates between repetitions),
each on its own fresh subdirectory; the tables show the median. Per client and
repetition, in this order ("remount" means unmount, empty the client's on-disk
cache if it has one, and mount again, so the next step starts cold):

1. **extract tar**: ` + "`tar -x --no-same-owner -f tree.tar`" + ` into the mount. Check: the
   listing through the mount has every file and directory with the right type,
   size, mtime and permission bits; the server's copy has all that and every
   file's SHA-256 too: for a sync client right after tar returns, for a
   write-back client once it has uploaded (before the git step; a tree that
   never arrives fails this step). Permission bits are not checked for rclone,
   which does not keep them. Remount.
2. **find | xargs stat (cold)**, then again **(warm)**:
   ` + "`find . -type f -print0 | xargs -0 stat -c '%n %s'`" + `; check: one line per file, with
   the right size.
3. **ls -lR**; check: one line per file. Remount.
   Steps 2 (warm) and 3 make no round trip for any client here; before the
   clients run, the same two commands run on a copy of the tree on this
   machine's own disk (warm, median of at least 3), and the targets table
   says how much faster than sshfs that local time allows.
4. **16 workers stat (cold)**: 16 goroutines each lstat a disjoint, contiguous
   share of the files; check: each is a regular file of the right size.
5. **16 workers create**: 16 goroutines each create their files (empty,
   O_CREAT|O_EXCL) in one shared new directory; check: it lists exactly those
   names.
6. **du -s**; check: it succeeds.
7. **git status**: a copy of a repository of the tree (made once per run
   outside any mount with ` + "`git init && git add -A && git commit && git gc`" + `, set to
   compare only what every client keeps: core.checkStat=minimal,
   core.trustctime=false, core.fileMode=false) is put in the server's copy of
   the tree, directly (through a mount that would take minutes per client).
   Remount, then ` + "`git status --porcelain`" + `, which lstats every file and reads every
   directory as with default settings; check: the output is empty.
8. **rm -rf** of the tree (with its .git); check: it is gone.
9. **sequential write**: one file written in 1 MiB writes and closed (the
   time includes the close); check: its size. Remount. **sequential read**:
   read it back in 1 MiB reads; check: every byte.

A failed check marks that workload FAILED for that client instead of a time;
the footnotes give the reason. A step that does not finish within the step
timeout fails, and its mount is killed. Before a write-back client is
unmounted, the harness waits (untimed, up to the step timeout) until the server
has everything the mount shows, so that its uploads do not spill into the next
step or client.

**Options.** sshfs is given ` + "`-o Ciphers=aes128-gcm@openssh.com`" + `, the cipher the two Go
clients (netvfs and rclone, golang.org/x/crypto/ssh) negotiate by default, so
that all three pay the same for encryption and the proxy can count packets.
rclone is given ` + "`--sftp-shell-type unix --sftp-disable-hashcheck`" + `: by default it runs
shell commands over SSH (to detect the shell, then md5sum and sha1sum after
every upload), each a login shell on the server, which on this machine takes
over a second; that would measure the server's shell, not rclone.

**Requests and round trips.** The proxy sees the SSH stream, which is
encrypted, but with AES-GCM the SSH packet length is in clear text, so the
proxy counts client-to-server SSH packets: each SFTP request is one packet (a
client may pack several small requests into one, and a few packets are SSH
window adjustments and keepalives). It also counts *turnarounds*:
client-to-server data that follows server-to-client data, i.e. how many times
the client had to wait for the server. For one process doing one thing at a
time this is the number of round trips it paid for; for pipelined or parallel
work it is lower than the request count. Both are divided by the workload's
unit (files in the tree, tree entries, created files, or MiB). For streaming
(sequential write and read) a turnaround need not be a wait: a client that
sends its next WRITE as an earlier one is acknowledged counts one without
slowing down.

`

// floorMethod explains the floors; writeFloors follows it with the table.
const floorMethod = `### Floors

The *floor* is the fewest round trips per unit that any sync client must wait
for, one after another, to run the workload: SFTP v3 over one connection (no
compound requests, but requests may be pipelined; READDIR returns names with
their attributes), driven by the requests the kernel's FUSE layer sends for it
(the programs' system calls, run one at a time unless the workload has
workers). The model client answers a request from what it already knows (what
it made, listed or looked up earlier in the run: its caches last as long as
needed) and otherwise with the SFTP requests that answer it, and does not wait
for what needs no answer first (WRITE data, CLOSE, the READDIR that returns
EOF). Being sync, it returns from a call that changes the server only once the
server has confirmed the change. It does not read ahead what the kernel did not
ask for (listing a whole directory to answer one LOOKUP, listing
subdirectories before they are opened, reading files): prefetching could go
below the floor on some trees and cost more on others. Small fixed costs (git's
reads of .git) are left out, so the floor is a lower bound. When workers
overlap, the floor is their longest chain, and the turnarounds counted at the
proxy reach it only if their requests travel together.

Wall time cannot be below the floor times the cost of one round trip (the
measured SFTP request through the proxy, above). The Targets table compares
that with sshfs's time. Where the round trips that change the server (each
confirmed before its call returns) already leave less than 2×, the target is
*out of reach in sync mode*: no client that keeps sync semantics can meet it.
Where only the whole floor does, it is *out of reach without reading ahead*:
only a client that reads directories before the kernel asks could meet it.

`

// delayMethod ends the methodology.
const delayMethod = `**The delay.** The proxy delays each chunk it reads by the configured one-way
delay in each direction, from a timestamped queue (many chunks in flight;
throughput is not limited by the delay). It never delivers early; waking up on
time costs a little more, shown above as the SFTP round trip through the proxy
against the one straight to sshd.

`
