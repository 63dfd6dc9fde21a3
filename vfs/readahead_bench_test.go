package vfs_test

// Benchmarks of the read-ahead heuristics (readahead.go) on the cold
// workloads of the issue-5 comparison, in the shape the FUSE frontend sends
// them (one name per Lookup, READDIRPLUS through ReadDirInode), against a
// memfs tree whose every driver call takes raTreeLatency. Metrics:
// ms/op (wall), drivercalls/op, readdirs/op, lookups/op. Compare with
// NoReadAhead: go test -run XXX -bench ReadAhead -benchtime 3x ./vfs/
//
// The du workload walks a tree listed once before, whose files' attributes
// have expired since (listings still valid), as du -s a few seconds after
// an ls -R: every READDIRPLUS of a directory with files goes to the driver.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

const raTreeLatency = time.Millisecond

// raAttrTTL is the files' attribute timeout of the du workload: the
// warm-up walk's attributes expire, the timed walk's do not.
const raAttrTTL = 500 * time.Millisecond

// raTree makes a tree shaped like the comparison's (a slice of GOROOT/src):
// 9 top directories of 4 subdirectories of 3, 13 files in every directory
// below the root: 153 directories, 1989 files. It returns the files'
// paths, sorted.
func raTree(tb testing.TB, m *memfs.FS) []string {
	r := m.Remote()
	var files []string
	fill := func(dir string) {
		for i := 0; i < 13; i++ {
			p := fmt.Sprintf("%s/f%02d.go", dir, i)
			must(tb, r.WriteFile(p, []byte("x"), 0o644))
			files = append(files, p)
		}
	}
	for a := 0; a < 9; a++ {
		da := fmt.Sprintf("d%d", a)
		must(tb, r.Mkdir(da, 0o755))
		fill(da)
		for b := 0; b < 4; b++ {
			db := fmt.Sprintf("%s/s%d", da, b)
			must(tb, r.Mkdir(db, 0o755))
			fill(db)
			for c := 0; c < 3; c++ {
				dc := fmt.Sprintf("%s/t%d", db, c)
				must(tb, r.Mkdir(dc, 0o755))
				fill(dc)
			}
		}
	}
	sort.Strings(files)
	return files
}

// walkTree lists dir and everything below it depth first, as find and du
// do through FUSE: READDIRPLUS, then a LOOKUP of each entry. It returns
// the number of files seen.
func walkTree(tb testing.TB, f *vfs.FS, dir *vfs.Inode) int {
	ents, err := f.ReadDirInode(bg, dir)
	must(tb, err)
	n := 0
	for _, e := range ents {
		ino, _, err := f.Lookup(bg, dir, e.Name)
		must(tb, err)
		if ino.IsDir() {
			n += walkTree(tb, f, ino)
		} else {
			n++
		}
	}
	return n
}

// lstatPath looks path up one name at a time, as the kernel does.
func lstatPath(tb testing.TB, f *vfs.FS, p string) {
	dir := f.Root()
	for _, c := range strings.Split(p, "/") {
		ino, _, err := f.Lookup(bg, dir, c)
		must(tb, err)
		dir = ino
	}
}

// BenchmarkReadAhead runs each workload on a cold cache, with the
// heuristics on and off.
func BenchmarkReadAhead(b *testing.B) {
	m := memfs.New(memfs.Options{})
	files := raTree(b, m)
	walk := func(f *vfs.FS) {
		if n := walkTree(b, f, f.Root()); n != len(files) {
			b.Fatalf("walk saw %d files, want %d", n, len(files))
		}
	}
	workloads := []struct {
		name string
		run  func(f *vfs.FS)
		// warm runs untimed, at no latency, before run.
		warm func(f *vfs.FS)
		opts vfs.Options
	}{
		{name: "walk", run: walk},
		{name: "du", run: walk, opts: vfs.Options{AcRegMin: raAttrTTL, AcRegMax: raAttrTTL},
			warm: func(f *vfs.FS) {
				walk(f)
				f.WaitReadAhead()
				time.Sleep(raAttrTTL) // the files' attributes expire
			}},
		{name: "lstat", run: func(f *vfs.FS) {
			for _, p := range files {
				lstatPath(b, f, p)
			}
		}},
		{name: "lstat16", run: func(f *vfs.FS) {
			var wg sync.WaitGroup
			share := (len(files) + 15) / 16
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, p := range files[min(w*share, len(files)):min((w+1)*share, len(files))] {
						lstatPath(b, f, p)
					}
				}()
			}
			wg.Wait()
		}},
		{name: "ls", run: func(f *vfs.FS) {
			_, err := f.ReadDirInode(bg, f.Root())
			must(b, err)
		}},
	}
	for _, w := range workloads {
		for _, off := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/noreadahead=%v", w.name, off), func(b *testing.B) {
				var wall time.Duration
				var calls, readdirs, lookups int64
				for n := 0; n < b.N; n++ {
					m.SetLatency("", 0)
					opts := w.opts
					opts.NoReadAhead = off
					f, err := vfs.New(bg, m.Driver(), &opts)
					must(b, err)
					if w.warm != nil {
						w.warm(f)
					}
					m.SetLatency("", raTreeLatency)
					m.ResetCalls()
					start := time.Now()
					w.run(f)
					wall += time.Since(start)
					f.WaitReadAhead() // background listings count too
					calls += m.Calls("")
					readdirs += m.Calls(memfs.OpReadDir)
					lookups += m.Calls(memfs.OpLookup)
				}
				b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/op")
				b.ReportMetric(float64(calls)/float64(b.N), "drivercalls/op")
				b.ReportMetric(float64(readdirs)/float64(b.N), "readdirs/op")
				b.ReportMetric(float64(lookups)/float64(b.N), "lookups/op")
			})
		}
	}
}
