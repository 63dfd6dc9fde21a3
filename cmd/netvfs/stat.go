package main

// `netvfs stat`: show the attributes of files at URLs, in the layout of
// stat(1) (without its Device and Birth lines, which no protocol here
// reports). Like stat(1) it describes a symlink itself unless -L is given.
// No shared state.

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/netvfs/netvfs/vfs"
)

func init() {
	register("stat", "show attributes of files at URLs", runStat)
}

const statSynopsis = `netvfs stat [-L] [flags] URL...

Shows the attributes of each URL (sftp://..., local:/path, mem:/path).`

func runStat(ctx context.Context, args []string) error {
	fs := newFlagSet("stat", statSynopsis)
	follow := fs.Bool("L", false, "follow symlinks")
	conn := addConnFlags(fs)
	pos, err := parseFlags(fs, splitShortFlags(fs, args))
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want at least one URL")
	}
	s, err := newSession(conn)
	if err != nil {
		return err
	}
	defer s.close()
	out := bufio.NewWriter(os.Stdout)
	names := newOwners(false)
	errs := operandErrors{cmd: "stat", stderr: os.Stderr}
	for _, arg := range pos {
		errs.next()
		if err := statOne(ctx, s, out, names, arg, *follow); err != nil {
			errs.fail(err)
		}
		out.Flush()
	}
	return errs.err()
}

// statOne prints the attributes of one operand.
func statOne(ctx context.Context, s *session, out *bufio.Writer, names *owners, arg string, follow bool) error {
	loc, err := parseLocation(arg, follow)
	if err != nil {
		return err
	}
	fsys, err := s.fs(ctx, loc)
	if err != nil {
		return err
	}
	var a vfs.Attr
	if follow {
		a, err = fsys.Getattr(ctx, loc.path)
	} else {
		a, err = fsys.Lgetattr(ctx, loc.path)
	}
	if err != nil {
		return loc.fix(err)
	}
	name := arg
	if a.IsSymlink() {
		target, err := fsys.Readlink(ctx, loc.path)
		if err != nil {
			return loc.fix(err)
		}
		name += " -> " + target
	}
	const when = "2006-01-02 15:04:05.000000000 -0700"
	fmt.Fprintf(out, "  File: %s\n", name)
	fmt.Fprintf(out, "  Size: %-10d\tBlocks: %-10d %s\n", a.Size, a.Blocks, typeName(&a))
	fmt.Fprintf(out, " Inode: %-10d\tLinks: %d\n", a.Ino, a.Nlink)
	fmt.Fprintf(out, "Access: (%04o/%s)  Uid: (%5d/%8s)   Gid: (%5d/%8s)\n",
		a.Mode&0o7777, modeString(a.Mode), a.Uid, names.user(a.Uid), a.Gid, names.group(a.Gid))
	fmt.Fprintf(out, "Access: %s\n", a.Atime().Format(when))
	fmt.Fprintf(out, "Modify: %s\n", a.Mtime().Format(when))
	fmt.Fprintf(out, "Change: %s\n", a.Ctime().Format(when))
	return nil
}
