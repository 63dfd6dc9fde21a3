package main

// `netvfs ls`: list files and directories at URLs through the core, like
// ls(1) with one name per line (-l long format, -R recursive, -a hidden
// names, -d directories themselves, -n numeric owners). Operands are
// listed in the order given. A lister belongs to one command run.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

func init() {
	register("ls", "list directory contents at URLs (no mount needed)", runLs)
}

const lsSynopsis = `netvfs ls [-l] [-R] [-a] [-d] [-n] [flags] URL...

Lists each URL: a directory's entries, or a file itself. URL is
sftp://[user@]host[:port]/path, local:/path (or a plain /path) or mem:/path.`

// lister lists for one run of ls.
type lister struct {
	ctx                               context.Context
	s                                 *session
	out                               *bufio.Writer
	long, recursive, all, dirsAsFiles bool
	owners                            *owners
	now                               time.Time
	errs                              operandErrors
	printed                           bool // something was listed: headers get a blank line before
}

func runLs(ctx context.Context, args []string) error {
	fs := newFlagSet("ls", lsSynopsis)
	long := fs.Bool("l", false, "long format: mode, links, owner, group, size, time, name")
	recursive := fs.Bool("R", false, "list subdirectories recursively")
	all := fs.Bool("a", false, "show names starting with '.'")
	dirs := fs.Bool("d", false, "list directories themselves, not their contents")
	numeric := fs.Bool("n", false, "long format with numeric user and group ids")
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
	l := &lister{
		ctx: ctx, s: s, out: bufio.NewWriter(os.Stdout),
		long: *long || *numeric, recursive: *recursive, all: *all, dirsAsFiles: *dirs,
		owners: newOwners(*numeric), now: time.Now(),
		errs: operandErrors{cmd: "ls", stderr: os.Stderr},
	}
	header := len(pos) > 1 || l.recursive
	for _, arg := range pos {
		l.errs.next()
		if err := l.operand(arg, header); err != nil {
			l.errs.fail(err)
		}
		l.out.Flush()
	}
	return l.errs.err()
}

// operand lists one command-line argument.
func (l *lister) operand(arg string, header bool) error {
	follow := !l.long && !l.dirsAsFiles // ls lists a linked directory, ls -l the link
	loc, err := parseLocation(arg, follow)
	if err != nil {
		return err
	}
	fsys, err := l.s.fs(l.ctx, loc)
	if err != nil {
		return err
	}
	a, err := fsys.Lgetattr(l.ctx, loc.path)
	if err != nil {
		return loc.fix(err)
	}
	if a.IsSymlink() && follow {
		if ta, err := fsys.Getattr(l.ctx, loc.path); err == nil && ta.IsDir() {
			a = ta
		}
	}
	if !a.IsDir() || l.dirsAsFiles {
		target := ""
		if l.long && a.IsSymlink() {
			if target, err = fsys.Readlink(l.ctx, loc.path); err != nil {
				return loc.fix(err)
			}
		}
		l.print([]lsEntry{{name: arg, attr: a, target: target}})
		return nil
	}
	return l.dir(fsys, loc, loc.path, arg, header)
}

// lsEntry is one line of a listing.
type lsEntry struct {
	name   string
	attr   vfs.Attr
	target string // a symlink's target, for -l
}

// dir lists directory p (shown as title) and, with -R, its subdirectories.
func (l *lister) dir(fsys *vfs.FS, loc *location, p, title string, header bool) error {
	if header {
		if l.printed {
			l.out.WriteString("\n")
		}
		fmt.Fprintf(l.out, "%s:\n", title)
		l.printed = true
	}
	fl, err := fsys.OpenFileAt(l.ctx, nil, p, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return loc.fix(err)
	}
	defer fl.Close()
	plus, err := fl.ReadDirPlus(l.ctx)
	if err != nil {
		return loc.fix(err)
	}
	sort.Slice(plus, func(i, j int) bool { return plus[i].Name < plus[j].Name })
	var ents []lsEntry
	for _, e := range plus {
		if !l.all && strings.HasPrefix(e.Name, ".") {
			continue
		}
		le := lsEntry{name: e.Name, attr: e.Attr}
		if e.Inode == nil { // the listing had no attributes for it
			le.attr.Mode = e.Type
			if l.long || (l.recursive && e.Type == 0) {
				a, err := fsys.GetattrAt(l.ctx, fl.Inode(), e.Name, false)
				if err != nil {
					l.warn(loc.fix(err))
					continue
				}
				le.attr = a
			}
		}
		if l.long && le.attr.IsSymlink() {
			t, err := fsys.ReadlinkAt(l.ctx, fl.Inode(), e.Name)
			if err != nil {
				l.warn(loc.fix(err))
			}
			le.target = t
		}
		ents = append(ents, le)
	}
	if l.long {
		var blocks int64
		for _, e := range ents {
			blocks += e.attr.Blocks
		}
		fmt.Fprintf(l.out, "total %d\n", (blocks+1)/2) // 1 KiB blocks, as ls
	}
	l.print(ents)
	if !l.recursive {
		return nil
	}
	for _, e := range ents {
		if e.attr.IsDir() {
			sub := path.Join(p, e.name)
			if err := l.dir(fsys, loc, sub, strings.TrimSuffix(title, "/")+"/"+e.name, true); err != nil {
				l.warn(err)
			}
		}
	}
	return nil
}

// warn reports a failure inside an operand (a vanished entry) at once and
// goes on.
func (l *lister) warn(err error) {
	l.out.Flush()
	l.errs.warn(err)
}

// print writes entries, in columns aligned per listing for -l.
func (l *lister) print(ents []lsEntry) {
	l.printed = true
	if !l.long {
		for _, e := range ents {
			fmt.Fprintln(l.out, e.name)
		}
		return
	}
	rows := make([][6]string, len(ents))
	var width [6]int
	for i, e := range ents {
		a := &e.attr
		rows[i] = [6]string{
			modeString(a.Mode),
			strconv.FormatUint(uint64(a.Nlink), 10),
			l.owners.user(a.Uid),
			l.owners.group(a.Gid),
			strconv.FormatInt(a.Size, 10),
			lsTime(a.Mtime(), l.now),
		}
		for c, s := range rows[i] {
			width[c] = max(width[c], len(s))
		}
	}
	for i, e := range ents {
		r := rows[i]
		name := e.name
		if e.target != "" {
			name += " -> " + e.target
		}
		fmt.Fprintf(l.out, "%s %*s %-*s %-*s %*s %s %s\n", r[0], width[1], r[1], width[2], r[2], width[3], r[3], width[4], r[4], r[5], name)
	}
}
