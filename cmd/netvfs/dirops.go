package main

// `netvfs mkdir`, `rm` and `mv`: change names at URLs through the core,
// like mkdir(1), rm(1) and mv(1). mv renames within one filesystem (one
// server, or local paths); across filesystems it answers EXDEV, as
// rename(2) does, rather than copying. No shared state.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"syscall"

	"github.com/netvfs/netvfs/vfs"
)

func init() {
	register("mkdir", "make directories at URLs", runMkdir)
	register("rm", "remove files or trees at URLs", runRm)
	register("mv", "rename a file or directory within one filesystem", runMv)
}

const mkdirSynopsis = `netvfs mkdir [-p] [-m MODE] [flags] URL...

Creates each directory URL (sftp://..., local:/path, mem:/path).`

func runMkdir(ctx context.Context, args []string) error {
	flags := newFlagSet("mkdir", mkdirSynopsis)
	parents := flags.Bool("p", false, "make parent directories as needed; no error if the directory exists")
	modeText := flags.String("m", "", "permission bits in octal (default 0777 less the umask)")
	conn := addConnFlags(flags)
	pos, err := parseFlags(flags, splitShortFlags(flags, args))
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want at least one URL")
	}
	mode := 0o777 &^ readUmask()
	if *modeText != "" {
		m, err := strconv.ParseUint(*modeText, 8, 32)
		if err != nil || m > 0o7777 {
			return usagef("-m %s: want octal permission bits such as 755", *modeText)
		}
		mode = octalMode(uint32(m))
	}
	s, err := newSession(conn)
	if err != nil {
		return err
	}
	defer s.close()
	errs := operandErrors{cmd: "mkdir", stderr: os.Stderr}
	for _, arg := range pos {
		errs.next()
		if err := mkdirOne(ctx, s, arg, mode, *parents); err != nil {
			errs.fail(err)
		}
	}
	return errs.err()
}

// octalMode converts chmod-style octal bits to an fs.FileMode.
func octalMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	for bit, fm := range map[uint32]fs.FileMode{0o4000: fs.ModeSetuid, 0o2000: fs.ModeSetgid, 0o1000: fs.ModeSticky} {
		if m&bit != 0 {
			mode |= fm
		}
	}
	return mode
}

func mkdirOne(ctx context.Context, s *session, arg string, mode fs.FileMode, parents bool) error {
	loc, err := parseLocation(arg, false)
	if err != nil {
		return err
	}
	fsys, err := s.fs(ctx, loc)
	if err != nil {
		return err
	}
	if parents {
		return loc.fix(fsys.MkdirAll(ctx, loc.path, mode))
	}
	return loc.fix(fsys.Mkdir(ctx, loc.path, mode))
}

const rmSynopsis = `netvfs rm [-r] [-f] [flags] URL...

Removes each URL (sftp://..., local:/path, mem:/path): a file, an empty
directory with -d, or a whole tree with -r.`

func runRm(ctx context.Context, args []string) error {
	flags := newFlagSet("rm", rmSynopsis)
	recursive := flags.Bool("r", false, "remove directories and their contents")
	flags.BoolVar(recursive, "R", false, "same as -r")
	force := flags.Bool("f", false, "ignore missing names; never fail for lack of operands")
	emptyDirs := flags.Bool("d", false, "remove empty directories")
	conn := addConnFlags(flags)
	pos, err := parseFlags(flags, splitShortFlags(flags, args))
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		if *force {
			return nil
		}
		return usagef("want at least one URL")
	}
	s, err := newSession(conn)
	if err != nil {
		return err
	}
	defer s.close()
	errs := operandErrors{cmd: "rm", stderr: os.Stderr}
	for _, arg := range pos {
		errs.next()
		if err := rmOne(ctx, s, arg, *recursive, *force, *emptyDirs); err != nil {
			errs.fail(err)
		}
	}
	return errs.err()
}

func rmOne(ctx context.Context, s *session, arg string, recursive, force, emptyDirs bool) error {
	loc, err := parseLocation(arg, false)
	if err != nil {
		return err
	}
	if loc.path == "." {
		return fmt.Errorf("refusing to remove %s: it is the root of the filesystem", loc)
	}
	fsys, err := s.fs(ctx, loc)
	if err != nil {
		return err
	}
	a, err := fsys.Lgetattr(ctx, loc.path)
	switch {
	case err != nil && force && errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return loc.fix(err)
	case a.IsDir() && recursive:
		return loc.fix(fsys.RemoveAll(ctx, loc.path))
	case a.IsDir() && !emptyDirs:
		return loc.pathError("remove", syscall.EISDIR)
	}
	err = fsys.Remove(ctx, loc.path)
	if force && errors.Is(err, fs.ErrNotExist) {
		return nil // removed by someone else meanwhile
	}
	return loc.fix(err)
}

const mvSynopsis = `netvfs mv [-n] [flags] SRC DST

Renames SRC to DST on one filesystem (the same sftp server, or local
paths). If DST is a directory, SRC moves into it under its own name.`

func runMv(ctx context.Context, args []string) error {
	flags := newFlagSet("mv", mvSynopsis)
	noClobber := flags.Bool("n", false, "do not replace an existing DST (EEXIST)")
	conn := addConnFlags(flags)
	pos, err := parseFlags(flags, splitShortFlags(flags, args))
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want SRC and DST, got %d arguments", len(pos))
	}
	src, err := parseLocation(pos[0], false)
	if err != nil {
		return err
	}
	dst, err := parseLocation(pos[1], false)
	if err != nil {
		return err
	}
	if !sameRoot(src, dst) {
		return &os.LinkError{Op: "rename", Old: src.String(), New: dst.String(), Err: syscall.EXDEV}
	}
	if src.path == "." {
		return fmt.Errorf("refusing to move %s: it is the root of the filesystem", src)
	}
	s, err := newSession(conn)
	if err != nil {
		return err
	}
	defer s.close()
	fsys, err := s.fs(ctx, src)
	if err != nil {
		return err
	}
	to := dst.path
	if a, err := fsys.Getattr(ctx, to); err == nil && a.IsDir() {
		to = path.Join(to, path.Base(src.path))
	}
	var flag uint32
	if *noClobber {
		flag = vfs.RenameNoReplace
	}
	return src.fix(fsys.Rename2(ctx, src.path, to, flag))
}
