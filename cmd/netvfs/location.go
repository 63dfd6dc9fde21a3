package main

// Locations: how the in-process commands (ls, stat, cat, cp, mkdir, rm, mv,
// put, get) turn an argument into a mounted filesystem and a path inside it,
// and how their errors name what the user typed.
//
// An argument is a filesystem URL as openURL accepts it plus a path:
//
//	mem:[/path]                       a fresh in-memory filesystem
//	local:/path, or a plain /path     a local file or directory
//	sftp://[user@]host[:port]/path    an absolute path on an SFTP server
//	sftp://[user@]host[:port][/~/path]  a path below the login directory
//
// openURL makes the URL's path the root of the filesystem. Which root a
// location gets is chosen so that the core resolves names as the server
// would (rule P2 keeps every symlink inside the root):
//
//   - sftp: the server's "/" for an absolute path, so absolute symlinks
//     resolve as on the server; the login directory for "~" paths.
//   - local: the deepest existing directory above the path (symlinks in it
//     resolved), not "/": localfs does not cross mount points (EXDEV), and
//     /tmp is often one. A final symlink is resolved first when the command
//     follows it, so its target may lie anywhere.
//
// No shared state: a session (not safe for concurrent use) caches the
// filesystems one command opened, by root, and closes them at the end.

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// location is one argument resolved to a filesystem root and a path in it.
type location struct {
	key  string // the openURL argument of the root; the session's cache key
	base string // what the root is shown as: show(p) is base + "/" + p
	// path is slash-separated, relative to the root, clean but for a
	// trailing slash kept from the argument (rule P1: "must be a
	// directory"); "." is the root.
	path string
	// local is the absolute local path (local: and plain paths only), and
	// prefix "local:" or "" as typed, so that two locations can be moved to
	// a common root (see sameRoot).
	local, prefix string
	// dirSlash: the argument ended in "/" (a destination meaning "into").
	dirSlash bool
}

// isURL reports whether arg names a filesystem by scheme rather than being a
// plain local path: mem:, memfs:, local:, or anything with "://".
func isURL(arg string) bool {
	for _, p := range []string{"mem:", "memfs:", "local:"} {
		if strings.HasPrefix(arg, p) {
			return true
		}
	}
	return strings.Contains(arg, "://")
}

// parseLocation resolves arg. follow says the command follows a final
// symlink (cat, ls, cp's source); it matters for local paths only, where
// the link is resolved before the root is chosen.
func parseLocation(arg string, follow bool) (*location, error) {
	if arg == "" {
		return nil, usagef("empty path")
	}
	dirSlash := strings.HasSuffix(arg, "/")
	switch {
	case strings.HasPrefix(arg, "mem:"), strings.HasPrefix(arg, "memfs:"):
		_, rest, _ := strings.Cut(arg, ":")
		return &location{key: "mem:", base: "mem:", path: relPath(rest, dirSlash), dirSlash: dirSlash}, nil
	case strings.HasPrefix(arg, "sftp://"):
		return parseSFTP(arg, dirSlash)
	case strings.HasPrefix(arg, "local:"):
		return parseLocal(strings.TrimPrefix(arg, "local:"), "local:", follow, dirSlash)
	case strings.Contains(arg, "://"):
		scheme, _, _ := strings.Cut(arg, "://")
		return nil, usagef("unknown URL scheme %q in %q (known: sftp://, local:, mem:)", scheme, arg)
	}
	return parseLocal(arg, "", follow, dirSlash)
}

// parseSFTP roots an sftp URL at "/" or at the login directory.
func parseSFTP(arg string, dirSlash bool) (*location, error) {
	u, err := url.Parse(arg)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, usagef("bad URL %q: want sftp://[user@]host[:port][/path]", arg)
	}
	root := url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host, Path: "/"}
	shown := root
	shown.Path = ""
	inner, home := strings.CutPrefix(u.Path, "/~")
	if home && inner != "" && inner[0] != '/' { // "/~x" is a name, not home
		inner, home = u.Path, false
	}
	if home || u.Path == "" {
		root.Path = "" // sftpfs: the login directory
		shown.Path = "/~"
	}
	return &location{key: root.String(), base: shown.String(), path: relPath(inner, dirSlash), dirSlash: dirSlash}, nil
}

// parseLocal roots a local path at its deepest existing ancestor directory.
// prefix is "local:" or "" (a plain path), kept for messages.
func parseLocal(p, prefix string, follow, dirSlash bool) (*location, error) {
	if p == "" {
		return nil, usagef("local: needs a path (local:/path)")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	if follow {
		if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if real, err := filepath.EvalSymlinks(abs); err == nil {
				abs = real
			} // a dangling link: the core reports it
		}
	}
	dir := filepath.Dir(abs)
	for dir != "/" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			break
		}
		dir = filepath.Dir(dir)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return nil, err
	}
	if abs == "/" {
		rel = "."
	}
	l := &location{dirSlash: dirSlash, local: filepath.Join(dir, rel), prefix: prefix}
	l.setLocalRoot(dir)
	return l, nil
}

// setLocalRoot roots local location l at directory dir (an ancestor of
// l.local).
func (l *location) setLocalRoot(dir string) {
	rel, _ := filepath.Rel(dir, l.local)
	l.key = "local:" + dir
	l.base = l.prefix + strings.TrimSuffix(dir, "/")
	l.path = relPath(filepath.ToSlash(rel), l.dirSlash)
}

// sameRoot moves a and b to one root if they are on the same filesystem
// (for mv), and reports whether they are. Two local paths always are: the
// common root is their roots' deepest common ancestor, and the kernel
// answers EXDEV if a mount point lies between them.
func sameRoot(a, b *location) bool {
	if a.local != "" && b.local != "" {
		dir, other := strings.TrimPrefix(a.key, "local:"), strings.TrimPrefix(b.key, "local:")
		for !within(dir, other) {
			dir = filepath.Dir(dir)
		}
		a.setLocalRoot(dir)
		b.setLocalRoot(dir)
		return true
	}
	return a.local == "" && b.local == "" && a.key == b.key
}

// within reports whether p is dir or below it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// relPath makes p a clean path relative to a root ("." for the root),
// with a trailing slash if slash.
func relPath(p string, slash bool) string {
	p = strings.TrimLeft(path.Clean("/"+p), "/")
	switch {
	case p == "":
		return "."
	case slash:
		return p + "/"
	}
	return p
}

// show is how path p (relative to l's root) is shown to the user.
func (l *location) show(p string) string {
	slash := ""
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		slash = "/"
	}
	switch {
	case p == "." || p == "" || p == "/":
		return l.base + "/"
	case strings.HasPrefix(p, "/"):
		return l.base + path.Clean(p) + slash
	}
	return l.base + "/" + path.Clean(p) + slash
}

// String is the location as shown to the user.
func (l *location) String() string { return l.show(l.path) }

// fix rewrites the paths in an error of the core (relative to the root)
// into what the user would type; the Op and the Err (rule E1: an errno)
// stay. Call it once, on errors straight from the core.
func (l *location) fix(err error) error {
	switch e := err.(type) {
	case *fs.PathError:
		return &fs.PathError{Op: e.Op, Path: l.show(e.Path), Err: e.Err}
	case *os.LinkError:
		return &os.LinkError{Op: e.Op, Old: l.show(e.Old), New: l.show(e.New), Err: e.Err}
	}
	return err
}

// pathError builds the error for an operation on l that the core did not
// report itself (a check made here, such as "is a directory").
func (l *location) pathError(op string, err error) error {
	return &fs.PathError{Op: op, Path: l.String(), Err: err}
}

// connFlags are the flags of every command that opens filesystems.
type connFlags struct {
	ssh     sshOptions
	timeout time.Duration
}

// addConnFlags defines the sftp and timeout flags on fs (the same names as
// `netvfs mount`, plus -i as ssh has it).
func addConnFlags(fs *flag.FlagSet) *connFlags {
	c := &connFlags{}
	fs.Var(&c.ssh.identityFiles, "identity", "sftp: private key `file` to try first (repeatable)")
	fs.Var(&c.ssh.identityFiles, "i", "same as --identity")
	fs.StringVar(&c.ssh.knownHosts, "known-hosts", "", "sftp: known_hosts `file` (default ~/.ssh/known_hosts)")
	fs.BoolVar(&c.ssh.acceptNewKey, "accept-new-host-key", false, "sftp: trust and record the key of a host not yet in known_hosts")
	fs.BoolVar(&c.ssh.ignoreHostKey, "insecure-ignore-host-key", false, "sftp: do not check the host key at all")
	fs.StringVar(&c.ssh.sshConfig, "ssh-config", "", "sftp: ssh_config `file` (default ~/.ssh/config; \"none\" for none)")
	fs.DurationVar(&c.timeout, "timeout", time.Minute, "bound on connecting and on each filesystem operation")
	return c
}

// session opens filesystems for one command and closes them at the end.
type session struct {
	flags   *connFlags
	mounted map[string]*mounted // by location.key
}

type mounted struct {
	fsys *vfs.FS
	src  *filesystem
}

func newSession(c *connFlags) (*session, error) {
	if c.timeout <= 0 {
		return nil, usagef("--timeout must be positive")
	}
	c.ssh.connectTimeout = c.timeout
	return &session{flags: c, mounted: map[string]*mounted{}}, nil
}

// fs returns the mounted filesystem l lives on, opening it on first use.
func (s *session) fs(ctx context.Context, l *location) (*vfs.FS, error) {
	if m := s.mounted[l.key]; m != nil {
		return m.fsys, nil
	}
	src, err := openURL(ctx, l.key, s.flags.ssh)
	if err != nil {
		return nil, err
	}
	fsys, err := vfs.New(ctx, src.driver, &vfs.Options{Timeout: s.flags.timeout})
	if err != nil {
		src.close()
		return nil, fmt.Errorf("opening %s: %w", l.base, err)
	}
	s.mounted[l.key] = &mounted{fsys: fsys, src: src}
	return fsys, nil
}

// close closes every filesystem the session opened.
func (s *session) close() {
	for k, m := range s.mounted {
		m.src.close()
		delete(s.mounted, k)
	}
}
