package vfstest

// Open cases: open(2) flags and their errors (rules O1-O4), File.Created
// (rule O3). Expected results are Linux's (probed on tmpfs and ext4).

import (
	"os"
	"sync"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

const (
	oRDONLY    = syscall.O_RDONLY
	oWRONLY    = syscall.O_WRONLY
	oRDWR      = syscall.O_RDWR
	oCREAT     = syscall.O_CREAT
	oEXCL      = syscall.O_EXCL
	oTRUNC     = syscall.O_TRUNC
	oAPPEND    = syscall.O_APPEND
	oDIRECTORY = syscall.O_DIRECTORY
	oNOFOLLOW  = syscall.O_NOFOLLOW
)

var openCases = []testCase{
	{"CreateNew", func(e *env) {
		fl, err := e.openFile("f", oRDWR|oCREAT, 0o640)
		e.must(err, "open O_CREAT")
		if !fl.Created() {
			e.Error("File.Created() = false for the open that created the file (rule O3)")
		}
		a := handleAttr(e, fl)
		if !a.IsRegular() || a.Mode&0o7777 != 0o640 || a.Size != 0 || a.Nlink != 1 {
			e.Errorf("new file: mode %#o size %d nlink %d, want regular 0640, 0, 1", a.Mode, a.Size, a.Nlink)
		}
		_, err = fl.Write([]byte("hello"))
		e.must(err, "write")
		e.must(fl.Close(), "close")
		e.wantContent("f", "hello")
	}},
	{"CreateExisting_NotCreatedNotTruncated", func(e *env) {
		e.writeFile("f", "abc")
		fl := e.mustOpen("f", oRDWR|oCREAT, 0o644)
		if fl.Created() {
			e.Error("File.Created() = true for an O_CREAT open of an existing file (rule O3)")
		}
		e.must(fl.Close(), "close")
		e.wantContent("f", "abc")
	}},
	{"CreateExclExisting_EEXIST", func(e *env) {
		e.writeFile("f", "abc")
		e.mkdir("d")
		_, err := e.openFile("f", oRDWR|oCREAT|oEXCL, 0o644)
		e.wantErr(err, "O_CREAT|O_EXCL on an existing file", syscall.EEXIST)
		_, err = e.openFile("d", oRDONLY|oCREAT|oEXCL, 0o644)
		e.wantErr(err, "O_CREAT|O_EXCL on an existing directory", syscall.EEXIST)
		e.wantContent("f", "abc")
	}},
	{"CreateExclNew_Created", func(e *env) {
		fl := e.mustOpen("f", oWRONLY|oCREAT|oEXCL, 0o600)
		if !fl.Created() {
			e.Error("File.Created() = false after O_CREAT|O_EXCL succeeded (rule O3)")
		}
		if a := e.attr("f"); a.Mode&0o7777 != 0o600 {
			e.Errorf("mode %#o, want 0600", a.Mode&0o7777)
		}
	}},
	{"PlainOpen_NotCreated", func(e *env) {
		e.writeFile("f", "x")
		if fl := e.mustOpen("f", oRDONLY, 0); fl.Created() {
			e.Error("File.Created() = true for an open without O_CREAT")
		}
	}},
	{"CreatedReportedOnce", func(e *env) {
		// Rule O3: among racing O_CREAT opens of one name, exactly one
		// reports Created; among racing O_CREAT|O_EXCL opens exactly one
		// succeeds and the others get EEXIST.
		const n = 8
		for round := 0; round < 4; round++ {
			for _, excl := range []bool{false, true} {
				name := "race"
				if excl {
					name = "race-excl"
				}
				flags := oRDWR | oCREAT
				if excl {
					flags |= oEXCL
				}
				var wg sync.WaitGroup
				created := make([]bool, n)
				errs := make([]error, n)
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						fl, err := e.fs.OpenFile(e.ctx, name, flags, 0o644)
						errs[i] = err
						if err == nil {
							created[i] = fl.Created()
							fl.Close()
						}
					}()
				}
				wg.Wait()
				nCreated := 0
				for i := 0; i < n; i++ {
					if created[i] {
						nCreated++
					}
					if errs[i] != nil && !(excl && errnoOf(errs[i]) == syscall.EEXIST && isE1(errs[i])) {
						e.Errorf("round %d excl=%v: open: %v", round, excl, errs[i])
					}
				}
				if nCreated != 1 {
					e.Errorf("round %d excl=%v: %d opens reported Created, want exactly 1 (rule O3)", round, excl, nCreated)
				}
				e.must(e.fs.Remove(e.ctx, name), "remove")
			}
		}
	}},
	{"Trunc", func(e *env) {
		e.writeFile("f", "hello world")
		fl := e.mustOpen("f", oWRONLY|oTRUNC, 0)
		if a := handleAttr(e, fl); a.Size != 0 {
			e.Errorf("size through the handle after O_TRUNC = %d, want 0", a.Size)
		}
		if a := e.attr("f"); a.Size != 0 {
			e.Errorf("size by path after O_TRUNC = %d, want 0", a.Size)
		}
		e.must(fl.Close(), "close")
		e.wantContent("f", "")
	}},
	{"CreateTruncExisting", func(e *env) {
		e.writeFile("f", "hello")
		fl := e.mustOpen("f", oRDWR|oCREAT|oTRUNC, 0o644)
		if fl.Created() {
			e.Error("Created() = true for O_CREAT|O_TRUNC of an existing file")
		}
		e.must(fl.Close(), "close")
		e.wantContent("f", "")
	}},
	{"Append", func(e *env) {
		e.writeFile("f", "abc")
		a := e.mustOpen("f", oWRONLY|oAPPEND, 0)
		b := e.mustOpen("f", oWRONLY|oAPPEND, 0)
		_, err := a.Seek(0, 0)
		e.must(err, "seek")
		_, err = a.Write([]byte("def"))
		e.must(err, "write a")
		_, err = b.Write([]byte("ghi"))
		e.must(err, "write b")
		_, err = a.Write([]byte("jk"))
		e.must(err, "write a again")
		if off, err := a.Seek(0, 1); err != nil || off != 11 {
			e.Errorf("offset after appending = %d, %v; want 11 (the end of file)", off, err)
		}
		e.wantContent("f", "abcdefghijk")
		// Like os.File, *vfs.File refuses WriteAt on an O_APPEND file
		// (documented in file.go; Linux pwrite would append).
		_, err = a.WriteAt([]byte("zz"), 0)
		e.wantErr(err, "WriteAt on an O_APPEND file", syscall.EINVAL)
		e.wantContent("f", "abcdefghijk")
	}},
	{"ReadOnly_WriteEBADF", func(e *env) {
		e.writeFile("f", "abc")
		fl := e.mustOpen("f", oRDONLY, 0)
		_, err := fl.Write([]byte("x"))
		e.wantErr(err, "Write on an O_RDONLY file", syscall.EBADF)
		_, err = fl.WriteAt([]byte("x"), 0)
		e.wantErr(err, "WriteAt on an O_RDONLY file", syscall.EBADF)
		e.wantContent("f", "abc")
	}},
	{"ReadOnly_TruncateEINVAL", func(e *env) {
		// ftruncate(2) on a descriptor not open for writing is EINVAL
		// (do_ftruncate), not EBADF.
		e.writeFile("f", "abc")
		fl := e.mustOpen("f", oRDONLY, 0)
		e.wantErr(fl.Truncate(0), "Truncate on an O_RDONLY file", syscall.EINVAL)
		e.wantContent("f", "abc")
	}},
	{"WriteOnly_ReadEBADF", func(e *env) {
		e.writeFile("f", "abc")
		fl := e.mustOpen("f", oWRONLY, 0)
		_, err := fl.Read(make([]byte, 3))
		e.wantErr(err, "Read on an O_WRONLY file", syscall.EBADF)
		_, err = fl.ReadAt(make([]byte, 3), 0)
		e.wantErr(err, "ReadAt on an O_WRONLY file", syscall.EBADF)
	}},
	{"DirectoryFlagOnFile_ENOTDIR", func(e *env) {
		e.writeFile("f", "abc")
		e.mkdir("d")
		e.symlink("f", "lf")
		e.symlink("d", "ld")
		_, err := e.openFile("f", oRDONLY|oDIRECTORY, 0)
		e.wantErr(err, "O_DIRECTORY on a file", syscall.ENOTDIR)
		_, err = e.openFile("lf", oRDONLY|oDIRECTORY, 0)
		e.wantErr(err, "O_DIRECTORY on a symlink to a file", syscall.ENOTDIR)
		_, err = e.openFile("d", oRDONLY|oDIRECTORY, 0)
		e.ok(err, "O_DIRECTORY on a directory")
		_, err = e.openFile("ld", oRDONLY|oDIRECTORY, 0)
		e.ok(err, "O_DIRECTORY on a symlink to a directory")
	}},
	{"NoFollowOnSymlink_ELOOP", func(e *env) {
		e.writeFile("f", "abc")
		e.mkdir("d")
		e.writeFile("d/g", "g")
		e.symlink("f", "lf")
		e.symlink("d", "ld")
		e.symlink("missing", "dangle")
		_, err := e.openFile("lf", oRDONLY|oNOFOLLOW, 0)
		e.wantErr(err, "O_NOFOLLOW on a symlink", syscall.ELOOP)
		_, err = e.openFile("ld", oRDONLY|oNOFOLLOW, 0)
		e.wantErr(err, "O_NOFOLLOW on a symlink to a directory", syscall.ELOOP)
		_, err = e.openFile("dangle", oWRONLY|oCREAT|oNOFOLLOW, 0o644)
		e.wantErr(err, "O_CREAT|O_NOFOLLOW on a dangling symlink", syscall.ELOOP)
		e.wantMissing("missing")
		// O_NOFOLLOW concerns only the final component.
		_, err = e.openFile("ld/g", oRDONLY|oNOFOLLOW, 0)
		e.ok(err, "O_NOFOLLOW with a symlink in the middle")
		_, err = e.openFile("f", oRDONLY|oNOFOLLOW, 0)
		e.ok(err, "O_NOFOLLOW on a regular file")
	}},
	{"CreateThroughDanglingSymlink", func(e *env) {
		// O4: O_CREAT follows a final symlink and creates its target.
		e.mkdir("d")
		e.symlink("target", "dangle")
		e.symlink("d/t2", "dangle2")
		e.symlink("/d/t3", "dangle3")
		for _, c := range []struct{ link, target string }{
			{"dangle", "target"}, {"dangle2", "d/t2"}, {"dangle3", "d/t3"},
		} {
			fl, err := e.openFile(c.link, oWRONLY|oCREAT, 0o644)
			if !e.ok(err, "O_CREAT through dangling symlink "+c.link) {
				continue
			}
			if !fl.Created() {
				e.Errorf("Created() = false creating %s through %s", c.target, c.link)
			}
			_, err = fl.Write([]byte("via " + c.link))
			e.must(err, "write")
			e.must(fl.Close(), "close")
			e.wantType(c.link, vfs.S_IFLNK)
			e.wantType(c.target, vfs.S_IFREG)
			e.wantContent(c.target, "via "+c.link)
		}
	}},
	{"CreateExclOnSymlink_EEXIST", func(e *env) {
		e.writeFile("f", "abc")
		e.symlink("f", "lf")
		e.symlink("target", "dangle")
		_, err := e.openFile("lf", oWRONLY|oCREAT|oEXCL, 0o644)
		e.wantErr(err, "O_CREAT|O_EXCL on a symlink to a file", syscall.EEXIST)
		_, err = e.openFile("dangle", oWRONLY|oCREAT|oEXCL, 0o644)
		e.wantErr(err, "O_CREAT|O_EXCL on a dangling symlink", syscall.EEXIST)
		e.wantMissing("target")
		e.wantContent("f", "abc")
	}},
	{"DirectoryForWriting_EISDIR", func(e *env) {
		e.mkdir("d")
		e.symlink("d", "ld")
		for _, c := range []struct {
			name  string
			flags int
		}{
			{"d", oWRONLY}, {"d", oRDWR}, {"d", oRDONLY | oTRUNC}, {"d", oRDONLY | oCREAT},
			{"d/", oRDONLY | oCREAT}, {"ld", oWRONLY}, {".", oRDONLY | oCREAT},
			{"d/..", oRDONLY | oCREAT}, {"/", oWRONLY},
		} {
			_, err := e.openFile(c.name, c.flags, 0o644)
			e.wantErr(err, "open "+c.name+" "+flagString(c.flags), syscall.EISDIR)
		}
		fl, err := e.openFile("d", oRDONLY, 0)
		if e.ok(err, "open a directory O_RDONLY") && fl.Created() {
			e.Error("Created() = true opening a directory")
		}
	}},
	{"TrailingSlash", func(e *env) {
		// P1: a trailing slash means "must be a directory".
		e.writeFile("f", "abc")
		e.mkdir("d")
		e.symlink("f", "lf")
		e.symlink("missing", "dangle")
		_, err := e.openFile("f/", oRDONLY, 0)
		e.wantErr(err, "open file/", syscall.ENOTDIR)
		_, err = e.openFile("lf/", oRDONLY, 0)
		e.wantErr(err, "open symlink-to-file/", syscall.ENOTDIR)
		_, err = e.openFile("f/", oWRONLY|oCREAT, 0o644)
		e.wantErr(err, "open file/ O_CREAT", syscall.EISDIR)
		_, err = e.openFile("new/", oWRONLY|oCREAT, 0o644)
		e.wantErr(err, "open new/ O_CREAT", syscall.EISDIR)
		_, err = e.openFile("dangle/", oRDONLY|oCREAT, 0o644)
		e.wantErr(err, "open dangling-symlink/ O_CREAT", syscall.EISDIR)
		_, err = e.openFile("d/", oRDONLY, 0)
		e.ok(err, "open dir/")
		e.wantMissing("new")
		e.wantMissing("missing")
		e.wantContent("f", "abc")
	}},
	{"MissingInTheMiddle_ENOENT", func(e *env) {
		e.mkdir("d")
		for _, p := range []string{"nope/f", "d/nope/f", "nope/"} {
			_, err := e.openFile(p, oRDONLY, 0)
			e.wantErr(err, "open "+p, syscall.ENOENT)
		}
		for _, p := range []string{"nope/f", "d/nope/f"} {
			_, err := e.openFile(p, oWRONLY|oCREAT, 0o644)
			e.wantErr(err, "open "+p+" O_CREAT", syscall.ENOENT)
		}
		_, err := e.openFile("missing", oRDONLY, 0)
		if e.wantErr(err, "open a missing file", syscall.ENOENT) && !os.IsNotExist(err) {
			e.Error("os.IsNotExist(ENOENT error) = false")
		}
	}},
	{"FileInTheMiddle_ENOTDIR", func(e *env) {
		e.writeFile("f", "abc")
		e.symlink("f", "lf")
		for _, p := range []string{"f/x", "f/.", "f/..", "lf/x", "f/x/y"} {
			_, err := e.openFile(p, oRDONLY, 0)
			e.wantErr(err, "open "+p, syscall.ENOTDIR)
		}
		_, err := e.openFile("f/x", oWRONLY|oCREAT, 0o644)
		e.wantErr(err, "open file/x O_CREAT", syscall.ENOTDIR)
	}},
	{"CreateWithDirectoryFlag_EINVAL", func(e *env) {
		// Linux 6.4+: O_CREAT|O_DIRECTORY is EINVAL whatever the name is.
		e.writeFile("f", "")
		_, err := e.openFile("new", oRDONLY|oCREAT|oDIRECTORY, 0o755)
		e.wantErr(err, "O_CREAT|O_DIRECTORY on a new name", syscall.EINVAL)
		_, err = e.openFile("f", oRDONLY|oCREAT|oDIRECTORY, 0o755)
		e.wantErr(err, "O_CREAT|O_DIRECTORY on a file", syscall.EINVAL)
		e.wantMissing("new")
	}},
	{"CreateAfterNegativeLookup", func(e *env) {
		// A name first found absent (a cached negative entry) can be
		// created, by every kind of create.
		for _, name := range []string{"f", "g"} {
			_, err := e.fs.Stat(e.ctx, name)
			e.wantErr(err, "stat before create", syscall.ENOENT)
		}
		fl := e.mustOpen("f", oWRONLY|oCREAT|oEXCL, 0o644)
		if !fl.Created() {
			e.Error("Created() = false after a negative lookup")
		}
		e.attr("f")
		e.mkdir("g")
		if a := e.attr("g"); !a.IsDir() {
			e.Error("g is not a directory")
		}
	}},
	{"RecreateAfterRemove", func(e *env) {
		e.writeFile("f", "old")
		e.must(e.fs.Remove(e.ctx, "f"), "remove")
		fl := e.mustOpen("f", oRDWR|oCREAT|oEXCL, 0o644)
		if !fl.Created() {
			e.Error("Created() = false re-creating a removed name")
		}
		if got := readAll(e, fl); got != "" {
			e.Errorf("re-created file has content %q", got)
		}
	}},
}

// flagString names open flags for messages.
func flagString(fl int) string {
	s := map[int]string{oRDONLY: "O_RDONLY", oWRONLY: "O_WRONLY", oRDWR: "O_RDWR"}[fl&syscall.O_ACCMODE]
	for _, f := range []struct {
		bit  int
		name string
	}{{oCREAT, "O_CREAT"}, {oEXCL, "O_EXCL"}, {oTRUNC, "O_TRUNC"}, {oAPPEND, "O_APPEND"}, {oDIRECTORY, "O_DIRECTORY"}, {oNOFOLLOW, "O_NOFOLLOW"}} {
		if fl&f.bit != 0 {
			s += "|" + f.name
		}
	}
	return s
}
