package main

// `netvfs cat`: write files at URLs to standard output, in order, through
// the core (reads honour Ctrl-C). No shared state.

import (
	"context"
	"io"
	"os"
	"syscall"
)

func init() {
	register("cat", "print files at URLs", runCat)
}

const catSynopsis = `netvfs cat [flags] URL...

Writes each URL (sftp://..., local:/path, mem:/path) to standard output.`

func runCat(ctx context.Context, args []string) error {
	fs := newFlagSet("cat", catSynopsis)
	conn := addConnFlags(fs)
	pos, err := parseFlags(fs, args)
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
	errs := operandErrors{cmd: "cat", stderr: os.Stderr}
	buf := make([]byte, copyChunk)
	for _, arg := range pos {
		errs.next()
		if err := catOne(ctx, s, os.Stdout, buf, arg); err != nil {
			errs.fail(err)
		}
	}
	return errs.err()
}

// catOne copies one file to w.
func catOne(ctx context.Context, s *session, w io.Writer, buf []byte, arg string) error {
	loc, err := parseLocation(arg, true)
	if err != nil {
		return err
	}
	fsys, err := s.fs(ctx, loc)
	if err != nil {
		return err
	}
	a, err := fsys.Getattr(ctx, loc.path)
	if err != nil {
		return loc.fix(err)
	}
	if a.IsDir() {
		return loc.pathError("read", syscall.EISDIR)
	}
	fl, err := fsys.OpenFileAt(ctx, nil, loc.path, syscall.O_RDONLY, 0)
	if err != nil {
		return loc.fix(err)
	}
	defer fl.Close()
	for off := int64(0); ; {
		n, rerr := fl.ReadAtContext(ctx, buf, off)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			off += int64(n)
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return loc.fix(rerr)
		}
		if n == 0 {
			return loc.pathError("read", syscall.EIO) // no progress and no EOF
		}
	}
}
