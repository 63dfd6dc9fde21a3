package main

// `netvfs bench`: run the core's issue-2 scenarios (bench_scenarios.go) on
// an embedded memfs with injected latency and print one row per scenario:
// what was measured, the result, the target and whether it is met; or, with
// --json, the same as a machine-readable report. Progress goes to stderr.
// No shared state: scenarios run one after another.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

func init() {
	register("bench", "measure the core against its targets (issue 2) on an in-memory filesystem", runBench)
}

const benchSynopsis = `netvfs bench [--latency 2ms] [--duration 1s] [--only NAME,...] [--json] [--check]

Runs the core's benchmark scenarios on an embedded in-memory filesystem
whose every driver call costs --latency, and compares each with its
target. Scenarios:
  `

// benchResult is one scenario's outcome.
type benchResult struct {
	Name     string `json:"name"`
	Measures string `json:"measures"`
	// Metrics are keyed by unit, as go test -bench reports them (ns/op,
	// allocs/op, rtt/op, drivercalls/op, bytes/dentry, cpu-ns/op).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Result  string             `json:"result"`
	Target  string             `json:"target"`
	// Met is null for a scenario without a target (an anchor).
	Met     *bool   `json:"met"`
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"`
}

// met records whether the target was reached.
func (r *benchResult) met(ok bool) { r.Met = &ok }

// benchReport is the whole run, as --json prints it.
type benchReport struct {
	LatencyNs  int64         `json:"latency_ns"`
	DurationNs int64         `json:"duration_ns"`
	Rounds     int           `json:"rounds"`
	GOMAXPROCS int           `json:"gomaxprocs"`
	NumCPU     int           `json:"num_cpu"`
	GoVersion  string        `json:"go_version"`
	Platform   string        `json:"platform"`
	Results    []benchResult `json:"results"`
	AllMet     bool          `json:"all_met"`
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

func runBench(ctx context.Context, args []string) error {
	fs := newFlagSet("bench", benchSynopsis+strings.Join(scenarioNames(), ", ")+".")
	cfg := &benchConfig{}
	fs.DurationVar(&cfg.latency, "latency", 2*time.Millisecond, "injected latency of every driver call")
	fs.DurationVar(&cfg.duration, "duration", time.Second, "how long each timed scenario (WalkCached, KernelStat) runs")
	fs.IntVar(&cfg.rounds, "rounds", 20, "rounds of each burst scenario (64 goroutines at once, or one open)")
	cpu := fs.Int("cpu", 0, "GOMAXPROCS, and goroutines of the timed scenarios (default: all CPUs)")
	only := fs.String("only", "", "run only these scenarios (comma-separated `names`)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	check := fs.Bool("check", false, "exit with status 1 if a target is missed")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case cfg.latency <= 0 || cfg.duration <= 0 || cfg.rounds <= 0 || *cpu < 0:
		return usagef("--latency, --duration and --rounds must be positive, --cpu not negative")
	}
	selected, err := selectScenarios(*only)
	if err != nil {
		return err
	}
	if *cpu > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*cpu))
	}
	cfg.procs = runtime.GOMAXPROCS(0)

	rep := runScenarios(ctx, cfg, selected, os.Stderr, isTerminal(os.Stderr))
	if err := ctx.Err(); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printBenchTable(os.Stdout, rep)
	}
	for _, r := range rep.Results {
		if r.Error != "" {
			return fmt.Errorf("scenario %s failed: %s", r.Name, r.Error)
		}
	}
	if *check && !rep.AllMet {
		return errors.New("some targets were missed")
	}
	return nil
}

// selectScenarios returns the scenarios --only names, in table order.
func selectScenarios(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[strings.ToLower(n)] = true
		}
	}
	var out []scenario
	for _, s := range scenarios {
		if want[strings.ToLower(s.name)] {
			out = append(out, s)
			delete(want, strings.ToLower(s.name))
		}
	}
	if len(want) > 0 || len(out) == 0 {
		var unknown []string
		for n := range want {
			unknown = append(unknown, n)
		}
		return nil, usagef("--only %q: unknown scenario %s (known: %s)", only, strings.Join(unknown, ", "), strings.Join(scenarioNames(), ", "))
	}
	return out, nil
}

// runScenarios runs the scenarios in order, showing progress on progress.
// A failed scenario is recorded and the others still run; ctx being done
// stops the run.
func runScenarios(ctx context.Context, cfg *benchConfig, list []scenario, progress io.Writer, tty bool) *benchReport {
	rep := &benchReport{
		LatencyNs: cfg.latency.Nanoseconds(), DurationNs: cfg.duration.Nanoseconds(), Rounds: cfg.rounds,
		GOMAXPROCS: cfg.procs, NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, AllMet: true,
	}
	for i, s := range list {
		if ctx.Err() != nil {
			break
		}
		sp := startSpinner(progress, tty, fmt.Sprintf("netvfs bench: [%d/%d] %s", i+1, len(list), s.name))
		start := time.Now()
		r, err := s.run(ctx, cfg)
		if err != nil {
			r = &benchResult{Result: "failed", Error: err.Error()}
			r.met(false)
		}
		r.Name, r.Measures, r.Seconds = s.name, s.measures(cfg), time.Since(start).Seconds()
		if r.Met != nil && !*r.Met {
			rep.AllMet = false
		}
		sp.finish(r.Result)
		rep.Results = append(rep.Results, *r)
	}
	return rep
}

// printBenchTable prints the report as an aligned table.
func printBenchTable(w io.Writer, rep *benchReport) {
	fmt.Fprintf(w, "netvfs bench: memfs with %v injected latency per driver call; GOMAXPROCS=%d (%d CPUs), %s %s\n\n",
		time.Duration(rep.LatencyNs), rep.GOMAXPROCS, rep.NumCPU, rep.GoVersion, rep.Platform)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMEASURES\tRESULT\tTARGET\tMET")
	met, targets := 0, 0
	for _, r := range rep.Results {
		verdict := "-"
		if r.Met != nil {
			targets++
			verdict = "no"
			if *r.Met {
				verdict = "yes"
				met++
			}
		}
		result := r.Result
		if r.Error != "" {
			result = "failed: " + r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Measures, result, r.Target, verdict)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d of %d targets met\n", met, targets)
}
