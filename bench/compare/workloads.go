package main

// This file runs the workloads of issue 5 on one client for one
// repetition, in order, timing each and checking its result (see the
// methodology in report.go). A clientRun belongs to the main goroutine;
// each step runs in a goroutine of its own only so that a hung step can be
// abandoned (the mount is then killed, which fails its blocked calls).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netvfs/netvfs/bench/netem"
)

// workloadInfos lists the workloads, in the order they run and appear,
// for creates files per create worker.
func workloadInfos(creates int) []WorkloadInfo {
	return []WorkloadInfo{
		{Name: "untar", Title: "extract tar", Metadata: true, Unit: "entry"},
		{Name: "stat-cold", Title: "find | xargs stat (cold)", Metadata: true, Unit: "file"},
		{Name: "stat-warm", Title: "find | xargs stat (warm)", Metadata: true, Unit: "file"},
		{Name: "ls-lR", Title: "ls -lR", Metadata: true, Unit: "entry"},
		{Name: "par-stat", Title: "16 workers stat (cold)", Metadata: true, Unit: "file"},
		{Name: "par-create", Title: fmt.Sprintf("%d workers × %d creates", parWorkers, creates), Metadata: true, Unit: "create"},
		{Name: "du", Title: "du -s", Metadata: true, Unit: "entry"},
		{Name: "git-status", Title: "git status", Metadata: true, Unit: "file"},
		{Name: "rm-rf", Title: "rm -rf", Metadata: true, Unit: "entry"},
		{Name: "seq-write", Title: "sequential write", Metadata: false, Unit: "MiB"},
		{Name: "seq-read", Title: "sequential read", Metadata: false, Unit: "MiB"},
	}
}

const (
	parWorkers = 16
	seqBlock   = 1 << 20
)

// workloadUnits returns each workload's denominator for this tree and
// sequential file size.
func workloadUnits(t *tree, seqBytes int64, creates int) map[string]float64 {
	entries := float64(t.Files + t.Dirs)
	files := float64(t.Files)
	return map[string]float64{
		"untar": entries, "stat-cold": files, "stat-warm": files, "ls-lR": entries,
		"par-stat": files, "par-create": float64(parWorkers * creates), "du": entries,
		"git-status": files, "rm-rf": entries,
		"seq-write": float64(seqBytes) / (1 << 20), "seq-read": float64(seqBytes) / (1 << 20),
	}
}

// runConfig is what every clientRun shares.
type runConfig struct {
	env         *env
	tree        *tree
	seqBytes    int64
	creates     int    // files per create worker
	gitTemplate string // a .git directory for the tree (makeGitTemplate)
	stepTimeout time.Duration
	log         func(format string, args ...any)
}

// clientRun is one client's repetition.
type clientRun struct {
	*runConfig
	c       client
	rep     int
	remote  string // the run's directory as the server names it
	mnt     string // where the client mounts the remote root
	dir     string // the run's directory through the mount
	m       *mounted
	mounts  int
	dead    string // why the remaining steps cannot run ("" if they can)
	samples []Sample
}

// run runs every workload and returns the samples.
func (r *clientRun) run(ctx context.Context) []Sample {
	name := fmt.Sprintf("%s-r%d", r.c.Name, r.rep)
	r.remote = filepath.Join(r.env.remote, name)
	r.mnt = filepath.Join(r.env.mntRoot, r.c.Name)
	r.dir = filepath.Join(r.mnt, name)
	tree := filepath.Join(r.dir, "tree")
	created := filepath.Join(r.dir, "created")
	big := filepath.Join(r.dir, "big")
	// The run's directory and the tar's destination exist before the
	// client mounts, made on the server side (untimed).
	if err := os.MkdirAll(filepath.Join(r.remote, "tree"), 0o755); err != nil {
		r.dead = err.Error()
	}
	os.MkdirAll(r.mnt, 0o755)
	defer func() {
		if r.m != nil {
			if err := r.unmount(); err != nil {
				r.log("%s: %v", r.c.Name, err)
			}
		}
		os.RemoveAll(r.remote)
	}()
	r.remount(ctx)

	files := r.tree.filePaths()
	serverTree := filepath.Join(r.remote, "tree")
	r.step(ctx, "untar", func(ctx context.Context) error {
		return r.command(ctx, tree, nil, "tar", "-x", "--no-same-owner", "-f", r.tree.TarPath)
	}, func() error {
		// The listing through the mount must be right. A sync client's
		// server has every byte when tar returns; a write-back client's
		// server must have them a little later (waitForServer, below).
		if r.c.Mode == "sync" {
			if err := verifyTree(r.tree, serverTree, r.c.KeepsPerm, true); err != nil {
				return fmt.Errorf("on the server when tar returned: %w", err)
			}
		}
		return verifyTree(r.tree, tree, r.c.KeepsPerm, false)
	})

	r.remount(ctx)
	var statOut bytes.Buffer
	findStat := func(ctx context.Context) error {
		statOut.Reset()
		return r.command(ctx, tree, &statOut, findStatArgv...)
	}
	checkStat := func() error { return checkStatOutput(statOut.Bytes(), files) }
	r.step(ctx, "stat-cold", findStat, checkStat)
	r.step(ctx, "stat-warm", findStat, checkStat)

	var lsOut bytes.Buffer
	r.step(ctx, "ls-lR", func(ctx context.Context) error {
		lsOut.Reset()
		return r.command(ctx, tree, &lsOut, lsArgv...)
	}, func() error { return checkLsOutput(lsOut.Bytes(), len(files)) })

	r.remount(ctx)
	var statErrs []error
	r.step(ctx, "par-stat", func(ctx context.Context) error {
		statErrs = parallelStat(tree, files)
		return nil
	}, func() error { return errors.Join(firstErrors(statErrs, 3)...) })

	r.prepare(func() error { return os.Mkdir(created, 0o755) })
	var createErrs []error
	r.step(ctx, "par-create", func(ctx context.Context) error {
		createErrs = parallelCreate(created, r.creates)
		return errors.Join(firstErrors(createErrs, 3)...)
	}, func() error { return checkCreated(created, r.creates) })

	var duOut bytes.Buffer
	r.step(ctx, "du", func(ctx context.Context) error {
		duOut.Reset()
		return r.command(ctx, tree, &duOut, "du", "-s", ".")
	}, func() error {
		if f := strings.Fields(duOut.String()); len(f) != 2 || f[1] != "." {
			return fmt.Errorf("du printed %q", duOut.String())
		}
		return nil
	})

	// The repository is made on the server side (untimed; through a mount
	// it would take minutes), then every client sees it cold.
	// A write-back client may still be uploading the tree: wait for the
	// server to have it, as a user would before relying on it. If it
	// never does, the tree was lost: untar fails.
	gitErr := r.waitForServer(ctx, serverTree)
	if gitErr != nil && r.dead == "" && r.c.Mode != "sync" {
		for i := range r.samples {
			if r.samples[i].Workload == "untar" && r.samples[i].Err == "" {
				r.samples[i].Err = "check: " + gitErr.Error()
			}
		}
	}
	if gitErr == nil {
		gitErr = r.gitSetup(ctx, serverTree)
	}
	r.remount(ctx)
	var gitOut bytes.Buffer
	r.step(ctx, "git-status", func(ctx context.Context) error {
		if gitErr != nil {
			return fmt.Errorf("setup: %w", gitErr)
		}
		gitOut.Reset()
		return r.command(ctx, tree, &gitOut, "git", "-c", "safe.directory=*", "status", "--porcelain")
	}, func() error {
		if gitOut.Len() != 0 {
			return fmt.Errorf("git status reports changes in a clean tree: %.200q", gitOut.String())
		}
		return nil
	})

	r.step(ctx, "rm-rf", func(ctx context.Context) error {
		return r.command(ctx, r.dir, nil, "rm", "-rf", "tree")
	}, func() error {
		if _, err := os.Lstat(tree); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the tree is still there after rm -rf (lstat: %v)", err)
		}
		return nil
	})

	r.step(ctx, "seq-write", func(ctx context.Context) error {
		return writeSeq(big, r.seqBytes)
	}, func() error {
		fi, err := os.Stat(big)
		if err == nil && fi.Size() != r.seqBytes {
			err = fmt.Errorf("size %d after writing %d bytes", fi.Size(), r.seqBytes)
		}
		return err
	})
	r.remount(ctx)
	r.step(ctx, "seq-read", func(ctx context.Context) error {
		return readSeq(big, r.seqBytes)
	}, nil)
	return r.samples
}

// remount unmounts the client (if mounted) and mounts it again, so that
// the next step starts with cold caches.
func (r *clientRun) remount(ctx context.Context) {
	if r.dead != "" || ctx.Err() != nil {
		return
	}
	if r.m != nil {
		err := r.unmount()
		if err != nil {
			r.dead = "unmount failed: " + err.Error()
			return
		}
	}
	argv := r.c.argv(r.env, r.env.remote, r.mnt)
	r.mounts++
	start := time.Now()
	m, err := startMount(argv, nil, r.mnt, filepath.Join(r.env.work, fmt.Sprintf("%s-r%d-mount%d.log", r.c.Name, r.rep, r.mounts)))
	if took := time.Since(start); took > 1500*time.Millisecond {
		r.log("%s: mounting took %v", r.c.Name, took.Round(100*time.Millisecond))
	}
	if err != nil {
		r.dead = "mount failed: " + err.Error()
		return
	}
	r.m = m
}

// unmount unmounts the client. A write-back client is first given the
// time to upload what it holds (so that nothing it owes the server spills
// into the next step or client), and its cache is emptied afterwards, so
// that the next mount starts cold like the others'.
func (r *clientRun) unmount() error {
	if r.c.Mode == "write-back" && r.m.alive() {
		r.settle()
	}
	err := r.m.unmount()
	r.m = nil
	if r.c.CacheDir != nil {
		dir := r.c.CacheDir(r.env)
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
	}
	return err
}

// settle waits (up to the step timeout) until the server has every name
// the mount shows, with the same size. (The server may have more: the
// harness makes the git repository there.)
func (r *clientRun) settle() {
	start := time.Now()
	for {
		mine, err1 := listSizes(r.dir)
		theirs, err2 := listSizes(r.remote)
		if err1 == nil && err2 == nil && contains(theirs, mine) {
			if waited := time.Since(start); waited > time.Second {
				r.log("%s: uploads finished %v after the last step", r.c.Name, waited.Round(100*time.Millisecond))
			}
			return
		}
		if time.Since(start) > r.stepTimeout {
			r.log("%s: the server still differs from the mount after %v; unmounting anyway", r.c.Name, r.stepTimeout)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// contains reports whether big has every key of small with the same value.
func contains(big, small map[string]int64) bool {
	for k, v := range small {
		if w, ok := big[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// listSizes maps every path under root to its size (-1 for directories).
func listSizes(root string) (map[string]int64, error) {
	out := map[string]int64{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			out[rel] = -1
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[rel] = fi.Size()
		return nil
	})
	return out, err
}

// prepare runs untimed setup; a failure makes the following steps fail.
func (r *clientRun) prepare(fn func() error) {
	if r.dead != "" {
		return
	}
	if err := fn(); err != nil {
		r.log("%s: setup: %v", r.c.Name, err)
	}
}

// step times fn (bounded by the step timeout) and then runs check
// (untimed); either failing makes the sample FAILED.
func (r *clientRun) step(ctx context.Context, workload string, fn func(context.Context) error, check func() error) {
	s := Sample{Client: r.c.Name, Workload: workload, Rep: r.rep}
	defer func() {
		r.samples = append(r.samples, s)
		status := "ok"
		if s.Err != "" {
			status = "FAILED: " + oneLine(s.Err)
		}
		r.log("rep %d %-13s %-10s %8.3fs %7d pkts %7d rt  %s", r.rep, r.c.Name, workload, s.Elapsed.Seconds(), s.Net.ToServer.Packets, s.Net.Turnarounds, status)
	}()
	if ctx.Err() != nil {
		s.Err = "not run: interrupted"
		return
	}
	if r.dead == "" && (r.m == nil || !r.m.alive()) {
		r.dead = "the client process has exited"
		if r.m != nil {
			r.dead += ": " + r.m.logTail()
		}
	}
	if r.dead != "" {
		s.Err = "not run: " + r.dead
		return
	}
	sctx, cancel := context.WithTimeout(ctx, r.stepTimeout)
	defer cancel()
	type outcome struct {
		elapsed time.Duration
		net     netem.Stats
		err     error
	}
	done := make(chan outcome, 1)
	go func() {
		before := r.env.proxy.Stats()
		start := time.Now()
		err := fn(sctx)
		o := outcome{elapsed: time.Since(start), net: r.env.proxy.Stats().Sub(before), err: err}
		if err == nil && check != nil {
			if err := check(); err != nil {
				o.err = fmt.Errorf("check: %w", err)
			}
		}
		done <- o
	}()
	select {
	case o := <-done:
		s.Elapsed, s.Net = o.elapsed, o.net
		if o.err != nil {
			s.Err = o.err.Error()
		}
	case <-sctx.Done():
		r.m.kill()
		r.dead = fmt.Sprintf("%s did not finish within %v; the mount was killed", workload, r.stepTimeout)
		s.Elapsed, s.Err = r.stepTimeout, r.dead
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	}
}

// command runs argv in dir, with stdout to out (if not nil); its error
// includes the end of stderr.
func (r *clientRun) command(ctx context.Context, dir string, out io.Writer, argv ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = commandEnv(r.env)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return fmt.Errorf("%s: %v: %s", argv[0], err, msg)
	}
	return nil
}

// waitForServer waits (up to the step timeout) until the server's copy
// of the tree is complete and correct.
func (r *clientRun) waitForServer(ctx context.Context, serverTree string) error {
	if r.dead != "" {
		return errors.New(r.dead)
	}
	start := time.Now()
	for {
		err := verifyTree(r.tree, serverTree, r.c.KeepsPerm, true)
		if err == nil {
			if waited := time.Since(start); waited > time.Second {
				r.log("%s: the server had the whole tree after another %v", r.c.Name, waited.Round(time.Second))
			}
			return nil
		}
		if time.Since(start) > r.stepTimeout || ctx.Err() != nil {
			return fmt.Errorf("the server did not get the tree within %v: %w", r.stepTimeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// gitSetup puts the run's repository (a copy of the template's .git,
// see makeGitTemplate) into the server's copy of the tree, directly.
func (r *clientRun) gitSetup(ctx context.Context, dir string) error {
	if r.dead != "" {
		return errors.New(r.dead)
	}
	sctx, cancel := context.WithTimeout(ctx, r.stepTimeout)
	defer cancel()
	if err := r.command(sctx, dir, nil, "cp", "-a", r.gitTemplate, filepath.Join(dir, ".git")); err != nil {
		return fmt.Errorf("copying the repository (on the server): %w", err)
	}
	return nil
}

// checkStatOutput checks that stat printed one "./path size" line per
// file, with the right size.
func checkStatOutput(out []byte, files []entry) error {
	want := make(map[string]int64, len(files))
	for _, f := range files {
		want["./"+f.Path] = f.Size
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return fmt.Errorf("stat printed %q", line)
		}
		size, err := strconv.ParseInt(line[i+1:], 10, 64)
		wantSize, ok := want[line[:i]]
		switch {
		case !ok:
			return fmt.Errorf("stat printed an unexpected file: %q", line)
		case err != nil || size != wantSize:
			return fmt.Errorf("stat: %q, want size %d", line, wantSize)
		}
		n++
	}
	if n != len(files) {
		return fmt.Errorf("stat printed %d files, want %d", n, len(files))
	}
	return nil
}

// checkLsOutput checks that ls -lR listed every file (lines of regular
// files start with '-').
func checkLsOutput(out []byte, files int) error {
	n := 0
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(line) > 0 && line[0] == '-' {
			n++
		}
	}
	if n != files {
		return fmt.Errorf("ls -lR listed %d files, want %d", n, files)
	}
	return nil
}

// parallelStat lstats the files with parWorkers goroutines, each its own
// contiguous share, and returns what went wrong.
func parallelStat(root string, files []entry) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	per := (len(files) + parWorkers - 1) / parWorkers
	for w := 0; w < parWorkers; w++ {
		share := files[min(w*per, len(files)):min((w+1)*per, len(files))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, f := range share {
				fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f.Path)))
				if err == nil && (!fi.Mode().IsRegular() || fi.Size() != f.Size) {
					err = fmt.Errorf("%s: mode %v size %d, want a file of %d bytes", f.Path, fi.Mode(), fi.Size(), f.Size)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// createdName is the name worker w gives its i-th file.
func createdName(w, i int) string { return fmt.Sprintf("w%02d-%03d", w, i) }

// parallelCreate has parWorkers goroutines each create creates empty
// files in dir (O_CREAT|O_EXCL) and returns what went wrong.
func parallelCreate(dir string, creates int) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for w := 0; w < parWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < creates; i++ {
				f, err := os.OpenFile(filepath.Join(dir, createdName(w, i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
				if err == nil {
					err = f.Close()
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// checkCreated checks that dir lists exactly the created files.
func checkCreated(dir string, creates int) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	want := make(map[string]bool, parWorkers*creates)
	for w := 0; w < parWorkers; w++ {
		for i := 0; i < creates; i++ {
			want[createdName(w, i)] = true
		}
	}
	var extra []string
	for _, e := range ents {
		if !want[e.Name()] {
			extra = append(extra, e.Name())
		}
		delete(want, e.Name())
	}
	if len(want) > 0 || len(extra) > 0 {
		return fmt.Errorf("the directory lists %d names: %d created files missing, %d unexpected (%.100q)", len(ents), len(want), len(extra), extra)
	}
	return nil
}

// seqPattern is the content of the sequential file: block i is a fixed
// random MiB (incompressible) whose first 8 bytes are i, so a block out of
// place is detected too.
var seqPattern = func() []byte {
	b := make([]byte, seqBlock)
	r := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < len(b); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}()

func seqBlockContent(buf []byte, i int64) {
	copy(buf, seqPattern)
	for j := 0; j < 8; j++ {
		buf[j] = byte(i >> (8 * j))
	}
}

// writeSeq writes size bytes to a new file in seqBlock writes and closes
// it.
func writeSeq(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	buf := make([]byte, seqBlock)
	for off := int64(0); off < size; off += seqBlock {
		seqBlockContent(buf, off/seqBlock)
		n := min(int64(seqBlock), size-off)
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// readSeq reads the file back in seqBlock reads and checks every byte.
func readSeq(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, seqBlock)
	want := make([]byte, seqBlock)
	for off := int64(0); off < size; off += seqBlock {
		n := min(int64(seqBlock), size-off)
		if _, err := io.ReadFull(f, buf[:n]); err != nil {
			return fmt.Errorf("at offset %d: %w", off, err)
		}
		seqBlockContent(want, off/seqBlock)
		if !bytes.Equal(buf[:n], want[:n]) {
			return fmt.Errorf("check: wrong data in the MiB at offset %d", off)
		}
	}
	if n, _ := f.Read(buf[:1]); n != 0 {
		return fmt.Errorf("check: the file is longer than %d bytes", size)
	}
	return nil
}

func firstErrors(errs []error, n int) []error {
	if len(errs) <= n {
		return errs
	}
	return append(errs[:n:n], fmt.Errorf("and %d more errors", len(errs)-n))
}
