// Command compare measures netvfs against sshfs and rclone mount over a
// slow network (issue 5), in one run on one machine:
//
//	go run ./bench/compare [-latency 1ms] [-reps 3] [-tree go|small|DIR] [-quick] [-out docs]
//
// It starts an OpenSSH sshd on loopback serving a fresh directory, puts the
// latency proxy of bench/netem in front of it, mounts that directory
// through the proxy with each client in turn (netvfs built from this
// repository, sshfs with default and caching options, rclone mount with
// --vfs-cache-mode off and writes), runs the workloads on each in
// alternation, checks their results, and writes a markdown report and a
// PNG chart (docs/benchmarks.md and docs/benchmarks.png by default; with
// -quick, only to standard output unless -out is given). The report puts
// each workload's round trips next to its floor, the fewest the protocol
// allows a sync client (floor.go). scripts/test runs -quick, so the suite
// never rots.
//
// It needs root (or FUSE rights), sshd, sshfs, rclone, fuse3, tar and git:
// apt-get install openssh-server sshfs rclone fuse3 git.
//
// The exit status is 1 if netvfs failed any check (or the run could not
// be set up), whatever the peers did; missed speed targets do not fail it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/bench/netem"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	latency     time.Duration
	rate        int64
	rateText    string
	reps        int
	tree        string
	seqMiB      int
	creates     int
	clients     string
	out         string
	stepTimeout time.Duration
	keep        bool
	quick       bool
	serve       bool
}

func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.DurationVar(&o.latency, "latency", time.Millisecond, "round trip `time` added by the proxy (half in each direction)")
	fs.StringVar(&o.rateText, "rate", "", "cap each direction's bandwidth, in bytes/s or with a unit (100Mbit, 10MB); empty for none")
	fs.IntVar(&o.reps, "reps", 3, "repetitions of every workload on every client")
	fs.StringVar(&o.tree, "tree", "go", "source tree: go (about 2000 files of $GOROOT/src), small (about 300), or a directory")
	fs.IntVar(&o.seqMiB, "seq-mib", 512, "size of the sequential file in MiB")
	fs.IntVar(&o.creates, "creates", 200, "files each of the 16 create workers makes")
	fs.StringVar(&o.clients, "clients", "", "comma-separated clients to run (default: netvfs,sshfs,sshfs+cache,rclone-off,rclone-writes; also netvfs-ttl20)")
	fs.StringVar(&o.out, "out", "docs", "`directory` for benchmarks.md and benchmarks.png (\"\" for standard output only)")
	fs.DurationVar(&o.stepTimeout, "step-timeout", 0, "a step that takes longer fails and its mount is killed (default 2m per ms of -latency, at least 2m)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (mount logs) after the run")
	fs.BoolVar(&o.serve, "serve", false, "set up sshd and the proxy, print each client's mount command, then run each input line in sh and print the proxy's counts for it (for reproducing by hand)")
	fs.BoolVar(&o.quick, "quick", false, "short run for CI: -tree small -reps 1 -seq-mib 32 -creates 50 -step-timeout 1m -out \"\", unless given")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		for name, apply := range map[string]func(){
			"tree": func() { o.tree = "small" }, "reps": func() { o.reps = 1 },
			"seq-mib": func() { o.seqMiB = 32 }, "creates": func() { o.creates = 50 }, "step-timeout": func() { o.stepTimeout = time.Minute },
			"out": func() { o.out = "" },
		} {
			if !set[name] {
				apply()
			}
		}
	}
	var err error
	if o.rate, err = netem.ParseRate(o.rateText); err != nil {
		return nil, err
	}
	if o.latency < 0 || o.reps < 1 || o.seqMiB < 1 || o.creates < 1 || o.stepTimeout < 0 {
		return nil, errors.New("-latency and -step-timeout must not be negative; -reps, -seq-mib and -creates must be positive")
	}
	if o.stepTimeout == 0 {
		o.stepTimeout = max(2*time.Minute, time.Duration(float64(2*time.Minute)*o.latency.Seconds()*1000))
	}
	return o, nil
}

func run() error {
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		return err
	}
	clients, err := selectClients(o.clients)
	if err != nil {
		return err
	}
	for _, tool := range []string{"sshfs", "rclone", "fusermount3", "tar", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: apt-get install openssh-server sshfs rclone fuse3 git", tool)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%6.1fs  "+format+"\n", append([]any{time.Since(started).Seconds()}, args...)...)
	}

	e, err := setupEnv(ctx)
	if e != nil {
		defer e.close(o.keep)
	}
	if err != nil {
		return err
	}
	delay := o.latency / 2
	if err := e.startProxy(netem.Config{Delay: delay, Rate: o.rate}); err != nil {
		return err
	}
	direct, err := e.sftpRoundTrip(e.srv.Addr)
	if err != nil {
		return fmt.Errorf("measuring the SFTP round trip: %w", err)
	}
	proxied, err := e.sftpRoundTrip(e.proxy.Addr())
	if err != nil {
		return fmt.Errorf("measuring the SFTP round trip through the proxy: %w", err)
	}
	if o.serve {
		return serve(ctx, e, clients, o.latency)
	}
	t, err := buildTree(o.tree, filepath.Join(e.work, "tree.tar"))
	if err != nil {
		return err
	}
	logf("tree %s: %d files, %d directories, %.1f MiB; sshd on %s, proxy on %s (+%v each way); SFTP round trip %v direct, %v through the proxy",
		o.tree, t.Files, t.Dirs, float64(t.Bytes)/(1<<20), e.srv.Addr, e.proxy.Addr(), delay, direct.Round(time.Microsecond), proxied.Round(time.Microsecond))

	gitTemplate, err := makeGitTemplate(ctx, e, t, filepath.Join(e.work, "git-template"))
	if err != nil {
		return err
	}
	shape, err := shapeOf(t, gitTemplate)
	if err != nil {
		return fmt.Errorf("measuring the tree: %w", err)
	}
	local, err := measureLocal(ctx, t, filepath.Join(e.work, "local"), max(o.reps, 3))
	if err != nil {
		return fmt.Errorf("measuring the tree on the local disk: %w", err)
	}
	cfg := &runConfig{env: e, tree: t, seqBytes: int64(o.seqMiB) << 20, creates: o.creates, gitTemplate: gitTemplate, stepTimeout: o.stepTimeout, log: logf}
	var samples []Sample
	for rep := 1; rep <= o.reps && ctx.Err() == nil; rep++ {
		// Alternate: every repetition runs each client once, starting
		// with a different one each time.
		for k := range clients {
			c := clients[(k+rep-1)%len(clients)]
			cr := &clientRun{runConfig: cfg, c: c, rep: rep}
			samples = append(samples, cr.run(ctx)...)
		}
	}
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}

	r := &Report{
		Clients: make([]ClientInfo, len(clients)), Workloads: workloadInfos(o.creates), Samples: samples,
		Units: workloadUnits(t, cfg.seqBytes, o.creates), Floors: floors(shape, o.creates), Subject: "netvfs", Baseline: "sshfs",
		Meta: Meta{
			Date: started, Latency: o.latency, SFTPDirect: direct, SFTPProxied: proxied, Delay: delay, Rate: o.rateText, Reps: o.reps, Tree: treeTitle(o.tree),
			Files: t.Files, Dirs: t.Dirs, Bytes: t.Bytes, SeqBytes: cfg.seqBytes,
			Machine: machineLines(), Versions: versions(e.netvfsRev),
			Command: "go run ./bench/compare " + strings.Join(os.Args[1:], " "),
			Elapsed: time.Since(started), Ciphers: e.proxy.Stats().Ciphers, Local: local,
		},
	}
	r.Meta.Command = strings.TrimSpace(r.Meta.Command)
	for i, c := range clients {
		r.Clients[i] = ClientInfo{Name: c.Name, Mode: c.Mode, Command: commandLine(c.argv(e, e.remote, filepath.Join(e.mntRoot, c.Name)), e), Notes: c.Notes}
	}
	if err := writeReport(r, o.out, e.work); err != nil {
		return err
	}
	for _, s := range samples {
		if s.Client == r.Subject && s.Err != "" {
			return fmt.Errorf("%s failed %s (rep %d): %s", s.Client, s.Workload, s.Rep, s.Err)
		}
	}
	return nil
}

// treeTitle names the tree for the report.
func treeTitle(name string) string {
	if dirs, ok := treeDirs[name]; ok {
		return fmt.Sprintf("`%s` ($GOROOT/src/{%s})", name, strings.Join(dirs, ","))
	}
	return "`" + name + "`"
}

// writeReport prints the markdown and writes it with the chart to out
// (the chart goes to the work directory if out is "").
func writeReport(r *Report, out, work string) error {
	chartDir := out
	if out == "" {
		chartDir = work
	}
	chart := filepath.Join(chartDir, "benchmarks.png")
	if err := os.MkdirAll(chartDir, 0o755); err != nil {
		return err
	}
	chartErr := r.WriteChart(chart)
	if chartErr != nil {
		fmt.Fprintln(os.Stderr, "compare: chart:", chartErr)
	}
	md := r.Markdown("benchmarks.png")
	if out == "" || chartErr != nil {
		md = r.Markdown("")
	}
	fmt.Println(md)
	if out == "" {
		return nil
	}
	path := filepath.Join(out, "benchmarks.md")
	if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "compare: wrote %s and %s\n", path, chart)
	return nil
}

// serve prints how to mount each client on the running setup, then runs
// each line of standard input as a shell command and prints what crossed
// the proxy meanwhile (for reproducing a measurement by hand), until the
// input ends or a signal comes. Mounts left under the mount root are
// detached when it returns.
func serve(ctx context.Context, e *env, clients []client, latency time.Duration) error {
	fmt.Printf("sshd on %s serving %s; proxy on %s adding %v round trip\n", e.srv.Addr, e.remote, e.proxy.Addr(), latency)
	for _, c := range clients {
		mnt := filepath.Join(e.mntRoot, c.Name)
		os.MkdirAll(mnt, 0o755)
		fmt.Printf("\n# %s\n%s &\n", c.Name, strings.Join(c.argv(e, e.remote, mnt), " "))
	}
	fmt.Println("\nEach line typed here runs in sh; the proxy's counts for it follow. End with Ctrl-D or Ctrl-C.")
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
			if !ok {
				return nil
			}
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		before := e.proxy.Stats()
		start := time.Now()
		cmd := exec.CommandContext(ctx, "sh", "-c", line)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
		cmd.Env = commandEnv(e)
		err := cmd.Run()
		d := e.proxy.Stats().Sub(before)
		fmt.Printf("[%v, exit %v] %d client-to-server packets, %d turnarounds, %d bytes up, %d down\n",
			time.Since(start).Round(time.Millisecond), err, d.ToServer.Packets, d.Turnarounds, d.ToServer.Bytes, d.ToClient.Bytes)
	}
}
