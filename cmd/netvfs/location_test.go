package main

// Unit tests of argument handling: where each kind of URL is rooted
// (location.go) and combined short flags (cmdargs.go).

import (
	"flag"
	"slices"
	"testing"
)

func TestParseLocationRoots(t *testing.T) {
	for _, c := range []struct {
		arg, key, path, shown string
	}{
		{"sftp://u@h:22/a/b", "sftp://u@h:22/", "a/b", "sftp://u@h:22/a/b"},
		{"sftp://h/a//b/../c/", "sftp://h/", "a/c/", "sftp://h/a/c/"},
		{"sftp://h/", "sftp://h/", ".", "sftp://h/"},
		{"sftp://h", "sftp://h", ".", "sftp://h/~/"},
		{"sftp://u@h:2222/~/docs/x", "sftp://u@h:2222", "docs/x", "sftp://u@h:2222/~/docs/x"},
		{"mem:", "mem:", ".", "mem:/"},
		{"mem:/a/b", "mem:", "a/b", "mem:/a/b"},
		{"local:/", "local:/", ".", "local:/"},
	} {
		l, err := parseLocation(c.arg, false)
		if err != nil {
			t.Errorf("%s: %v", c.arg, err)
			continue
		}
		if l.key != c.key || l.path != c.path || l.String() != c.shown {
			t.Errorf("%s: key %q path %q shown %q; want %q %q %q", c.arg, l.key, l.path, l.String(), c.key, c.path, c.shown)
		}
	}
}

// A local path is rooted at its deepest existing directory, so a name in
// a missing directory still reaches the core (which reports ENOENT for the
// whole path), and two paths share a root for mv.
func TestParseLocationLocal(t *testing.T) {
	dir := t.TempDir()
	l, err := parseLocation("local:"+dir+"/missing/x", false)
	if err != nil {
		t.Fatal(err)
	}
	if l.key != "local:"+dir || l.path != "missing/x" || l.String() != "local:"+dir+"/missing/x" {
		t.Errorf("key %q path %q shown %q", l.key, l.path, l.String())
	}
	a, _ := parseLocation(dir+"/a", false)
	b, _ := parseLocation("local:"+dir+"/missing/b", false)
	if !sameRoot(a, b) || a.key != b.key || a.path != "a" || b.path != "missing/b" {
		t.Errorf("sameRoot: %q %q / %q %q", a.key, a.path, b.key, b.path)
	}
	m, _ := parseLocation("mem:/a", false)
	if sameRoot(a, m) {
		t.Error("a local path and mem: share a root")
	}
}

func TestSplitShortFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Bool("l", false, "")
	fs.Bool("R", false, "")
	fs.String("m", "", "")
	fs.Bool("lx", false, "")
	got := splitShortFlags(fs, []string{"-lR", "-lm", "-lx", "--", "-lR"})
	want := []string{"-l", "-R", "-lm", "-lx", "--", "-lR"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
