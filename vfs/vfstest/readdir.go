package vfstest

// Directory listing cases: FS.ReadDir (sorted, typed), File.ReadDir(n)
// pagination, many entries, File.ReadDirPlus and FS.ReadDirInode
// (readdirplus priming the cache without breaking rule L1).

import (
	"fmt"
	"io"
	"io/fs"
	"sort"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

var readDirCases = []testCase{
	{"SortedAndTyped", func(e *env) {
		e.writeFile("b-file", "12345")
		e.mkdir("a-dir")
		e.symlink("b-file", "c-link")
		e.symlink("missing", "d-dangling")
		ents, err := e.fs.ReadDir(e.ctx, "/")
		e.must(err, "readdir")
		want := []struct {
			name string
			typ  fs.FileMode
		}{{"a-dir", fs.ModeDir}, {"b-file", 0}, {"c-link", fs.ModeSymlink}, {"d-dangling", fs.ModeSymlink}}
		if len(ents) != len(want) {
			e.Fatalf("readdir: %d entries %v, want %d", len(ents), ents, len(want))
		}
		for i, w := range want {
			d := ents[i]
			if d.Name() != w.name || d.Type() != w.typ || d.IsDir() != (w.typ == fs.ModeDir) {
				e.Errorf("entry %d: %q type %v, want %q type %v", i, d.Name(), d.Type(), w.name, w.typ)
			}
			info, err := d.Info()
			if !e.ok(err, "DirEntry.Info "+d.Name()) {
				continue
			}
			if info.Name() != w.name || info.Mode().Type() != w.typ {
				e.Errorf("Info of %q: %v", w.name, info)
			}
			if w.name == "b-file" && info.Size() != 5 {
				e.Errorf("Info of b-file: size %d, want 5", info.Size())
			}
		}
		e.wantNames("a-dir")
	}},
	{"Errors", func(e *env) {
		e.writeFile("f", "")
		_, err := e.fs.ReadDir(e.ctx, "f")
		e.wantErr(err, "readdir a file", syscall.ENOTDIR)
		_, err = e.fs.ReadDir(e.ctx, "missing")
		e.wantErr(err, "readdir missing", syscall.ENOENT)
		fl := e.mustOpen("f", oRDONLY, 0)
		_, err = fl.ReadDir(-1)
		e.wantErr(err, "File.ReadDir on a file", syscall.ENOTDIR)
	}},
	{"ManyEntries", func(e *env) {
		const n = 300
		e.mkdir("d")
		var want []string
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("entry-%04d-%x", i, i*7919)
			want = append(want, name)
			if i%3 == 0 {
				e.mkdir("d/" + name)
			} else {
				e.writeFile("d/"+name, "")
			}
		}
		sort.Strings(want)
		e.wantNames("d", want...)
		for i := 0; i < n; i += 2 {
			e.must(e.fs.Remove(e.ctx, "d/"+want[i]), "remove")
		}
		var left []string
		for i := 1; i < n; i += 2 {
			left = append(left, want[i])
		}
		e.wantNames("d", left...)
	}},
	{"Pagination", func(e *env) {
		const n = 23
		e.mkdir("d")
		for i := 0; i < n; i++ {
			e.writeFile(fmt.Sprintf("d/%02d", i), "")
		}
		fl := e.mustOpen("d", oRDONLY|oDIRECTORY, 0)
		var got []string
		for calls := 0; ; calls++ {
			ents, err := fl.ReadDir(5)
			for _, d := range ents {
				got = append(got, d.Name())
			}
			if err == io.EOF {
				if len(ents) != 0 {
					e.Errorf("ReadDir(5) returned %d entries with io.EOF, want 0", len(ents))
				}
				break
			}
			e.must(err, "ReadDir(5)")
			if len(ents) == 0 || len(ents) > 5 {
				e.Fatalf("ReadDir(5) returned %d entries and no error", len(ents))
			}
			if calls > n {
				e.Fatal("ReadDir(5) never returned io.EOF")
			}
		}
		if len(got) != n || !sort.StringsAreSorted(got) {
			e.Errorf("paginated listing: %d names %v, want %d sorted", len(got), got, n)
		}
		ents, err := fl.ReadDir(5)
		if len(ents) != 0 || err != io.EOF {
			e.Errorf("ReadDir(5) after the end = %d, %v; want 0, io.EOF", len(ents), err)
		}
		ents, err = fl.ReadDir(-1)
		if len(ents) != 0 || err != nil {
			e.Errorf("ReadDir(-1) after the end = %d, %v; want 0, nil", len(ents), err)
		}
		// Seeking to 0 rewinds the listing.
		_, err = fl.Seek(0, io.SeekStart)
		e.must(err, "seek")
		ents, err = fl.ReadDir(-1)
		if e.ok(err, "ReadDir(-1) after rewind") && len(ents) != n {
			e.Errorf("ReadDir(-1) after rewind: %d entries, want %d", len(ents), n)
		}
	}},
	{"EmptyDirectory", func(e *env) {
		e.mkdir("d")
		fl := e.mustOpen("d", oRDONLY, 0)
		ents, err := fl.ReadDir(1)
		if len(ents) != 0 || err != io.EOF {
			e.Errorf("ReadDir(1) of an empty directory = %d, %v; want 0, io.EOF", len(ents), err)
		}
		e.wantNames("d")
		e.wantNames("/", "d")
	}},
	{"ReadDirPlus", func(e *env) {
		e.mkdir("d")
		e.writeFile("d/f", "12345")
		e.mkdir("d/sub")
		e.symlink("f", "d/l")
		fl := e.mustOpen("d", oRDONLY, 0)
		ents, err := fl.ReadDirPlus(e.ctx)
		e.must(err, "ReadDirPlus")
		e.checkPlus(ents, "ReadDirPlus")
		d, _, err := e.fs.Lookup(e.ctx, e.fs.Root(), "d")
		e.must(err, "Lookup d")
		ents, err = e.fs.ReadDirInode(e.ctx, d)
		e.must(err, "ReadDirInode")
		e.checkPlus(ents, "ReadDirInode")
		// The primed cache answers like the driver.
		e.wantContent("d/l", "12345")
		if a := e.attr("d/f"); a.Size != 5 {
			e.Errorf("size of d/f after readdirplus = %d", a.Size)
		}
		f := e.mustOpen("d/f", oRDONLY, 0)
		_, err = f.ReadDirPlus(e.ctx)
		e.wantErr(err, "ReadDirPlus on a file", syscall.ENOTDIR)
	}},
}

// checkPlus asserts a readdirplus listing of {f (5 bytes), l -> f, sub/}.
func (e *env) checkPlus(ents []vfs.DirEntryPlus, what string) {
	e.Helper()
	want := map[string]uint32{"f": vfs.S_IFREG, "sub": vfs.S_IFDIR, "l": vfs.S_IFLNK}
	if len(ents) != len(want) {
		e.Errorf("%s: %d entries, want %d", what, len(ents), len(want))
	}
	for _, d := range ents {
		typ, ok := want[d.Name]
		if !ok {
			e.Errorf("%s: unexpected entry %q", what, d.Name)
			continue
		}
		delete(want, d.Name)
		if d.Type != 0 && d.Type != typ {
			e.Errorf("%s: %q type %#o, want %#o", what, d.Name, d.Type, typ)
		}
		if d.Inode == nil {
			continue
		}
		if d.Attr.Mode&vfs.S_IFMT != typ {
			e.Errorf("%s: %q attr type %#o, want %#o", what, d.Name, d.Attr.Mode&vfs.S_IFMT, typ)
		}
		if d.Name == "f" && d.Attr.Size != 5 {
			e.Errorf("%s: f size %d, want 5", what, d.Attr.Size)
		}
		if d.Inode.IsDir() != (typ == vfs.S_IFDIR) {
			e.Errorf("%s: %q Inode.IsDir() = %v", what, d.Name, d.Inode.IsDir())
		}
	}
	for name := range want {
		e.Errorf("%s: %q missing", what, name)
	}
}
