package main

// This file builds the source tree the workloads use: a tar of part of the
// Go distribution's own source (real code: thousands of files in nested
// directories), the listing of what it holds (path, type, mode, size,
// SHA-256, mtime), and the check that a directory read back through a
// mount equals it. Nothing is shared between goroutines except the
// results of verifyTree's workers, gathered through a channel.

import (
	"archive/tar"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// treeDirs are the directories of $GOROOT/src that make each named tree.
var treeDirs = map[string][]string{
	// About 2000 files in 150 directories, 20 MiB.
	"go": {"archive", "compress", "encoding", "go", "hash", "image", "math", "net", "os"},
	// About 300 files, for the quick run.
	"small": {"bufio", "bytes", "container", "context", "errors", "fmt", "hash", "io", "path", "regexp", "sort", "strconv", "strings", "sync", "text"},
}

// entry is one file or directory of the tree.
type entry struct {
	Path  string // slash-separated, relative to the tree's root
	Dir   bool
	Perm  fs.FileMode
	Size  int64
	Sum   [sha256.Size]byte
	MTime int64 // Unix seconds
}

// tree is the workload's source tree and its tar.
type tree struct {
	Name    string
	Entries []entry // sorted by Path
	Files   int
	Dirs    int
	Bytes   int64
	TarPath string
}

// filePaths returns the files' paths in order.
func (t *tree) filePaths() []entry {
	var out []entry
	for _, e := range t.Entries {
		if !e.Dir {
			out = append(out, e)
		}
	}
	return out
}

// buildTree writes the tar of the named tree ("go", "small" or a directory
// path) to tarPath and lists what it holds. Modes are normalised (0644,
// 0755 if executable, directories 0755) and mtimes truncated to seconds,
// so the listing is exactly what a correct extraction produces.
func buildTree(name, tarPath string) (*tree, error) {
	var roots []string // absolute source directories
	var prefixes []string
	if dirs, ok := treeDirs[name]; ok {
		goroot, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return nil, fmt.Errorf("go env GOROOT: %w", err)
		}
		src := filepath.Join(strings.TrimSpace(string(goroot)), "src")
		for _, d := range dirs {
			roots = append(roots, filepath.Join(src, d))
			prefixes = append(prefixes, d)
		}
	} else {
		fi, err := os.Stat(name)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("-tree %q: want go, small or a directory", name)
		}
		abs, _ := filepath.Abs(name)
		roots, prefixes = []string{abs}, []string{filepath.Base(abs)}
	}
	f, err := os.Create(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	t := &tree{Name: name, TarPath: tarPath}
	for i, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			name := filepath.ToSlash(filepath.Join(prefixes[i], rel))
			if !d.IsDir() && !d.Type().IsRegular() {
				return nil // no symlinks or devices: the tree is plain files
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			e, hdr := entry{Path: name, Dir: d.IsDir(), MTime: fi.ModTime().Unix()}, &tar.Header{
				Name: name, ModTime: time.Unix(fi.ModTime().Unix(), 0), Format: tar.FormatPAX,
			}
			if e.Dir {
				e.Perm, hdr.Typeflag, hdr.Name = 0o755, tar.TypeDir, name+"/"
			} else {
				e.Perm, hdr.Typeflag, e.Size = 0o644, tar.TypeReg, fi.Size()
				if fi.Mode()&0o111 != 0 {
					e.Perm = 0o755
				}
			}
			hdr.Mode, hdr.Size = int64(e.Perm), e.Size
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if !e.Dir {
				src, err := os.Open(path)
				if err != nil {
					return err
				}
				h := sha256.New()
				_, err = io.Copy(io.MultiWriter(tw, h), src)
				src.Close()
				if err != nil {
					return err
				}
				copy(e.Sum[:], h.Sum(nil))
				t.Files++
				t.Bytes += e.Size
			} else {
				t.Dirs++
			}
			t.Entries = append(t.Entries, e)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	slices.SortFunc(t.Entries, func(a, b entry) int { return strings.Compare(a.Path, b.Path) })
	return t, f.Close()
}

// verifyTree checks that root holds exactly the tree: the same entries,
// types, sizes and file mtimes, permission bits if checkPerm, and
// contents if checkContents (it then reads every file, with a few
// workers). It reports up to a few differences.
func verifyTree(t *tree, root string, checkPerm, checkContents bool) error {
	var diffs []string
	add := func(format string, args ...any) {
		diffs = append(diffs, fmt.Sprintf(format, args...))
	}
	want := make(map[string]entry, len(t.Entries))
	for _, e := range t.Entries {
		want[e.Path] = e
	}
	seen := make(map[string]bool, len(t.Entries))
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		e, ok := want[rel]
		if !ok {
			add("unexpected %s", rel)
			return nil
		}
		seen[rel] = true
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		switch {
		case e.Dir != fi.IsDir() || (!e.Dir && !fi.Mode().IsRegular()):
			add("%s: type %v", rel, fi.Mode().Type())
		case !e.Dir && fi.Size() != e.Size:
			add("%s: size %d, want %d", rel, fi.Size(), e.Size)
		case !e.Dir && fi.ModTime().Unix() != e.MTime:
			add("%s: mtime %v, want %v", rel, fi.ModTime().UTC().Format(time.RFC3339), time.Unix(e.MTime, 0).UTC().Format(time.RFC3339))
		case checkPerm && fi.Mode().Perm() != e.Perm:
			add("%s: mode %v, want %v", rel, fi.Mode().Perm(), e.Perm)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walking the tree: %w", err)
	}
	for _, e := range t.Entries {
		if !seen[e.Path] {
			add("missing %s", e.Path)
		}
	}
	if checkContents {
		diffs = append(diffs, compareContents(t, root)...)
	}
	if len(diffs) == 0 {
		return nil
	}
	more := ""
	if len(diffs) > 3 {
		more = fmt.Sprintf(" (and %d more)", len(diffs)-3)
		diffs = diffs[:3]
	}
	return fmt.Errorf("tree differs from the source: %s%s", strings.Join(diffs, "; "), more)
}

// compareContents reads every file of the tree under root and returns the
// ones whose SHA-256 differs (or that cannot be read).
func compareContents(t *tree, root string) []string {
	files := t.filePaths()
	work := make(chan entry)
	var mu sync.Mutex
	var diffs []string
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				sum, err := fileSum(filepath.Join(root, filepath.FromSlash(e.Path)))
				var msg string
				switch {
				case errors.Is(err, fs.ErrNotExist):
					// Reported as missing by the walk.
				case err != nil:
					msg = fmt.Sprintf("%s: %v", e.Path, err)
				case sum != e.Sum:
					msg = fmt.Sprintf("%s: contents differ", e.Path)
				}
				if msg != "" {
					mu.Lock()
					diffs = append(diffs, msg)
					mu.Unlock()
				}
			}
		}()
	}
	for _, e := range files {
		work <- e
	}
	close(work)
	wg.Wait()
	slices.Sort(diffs)
	return diffs
}

func fileSum(path string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
