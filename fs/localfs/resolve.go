package localfs

// This file turns a node into a descriptor of exactly that object, without
// ever leaving the root (rule P2) and checking identity (rule V3). It is
// the only place that resolves paths; everything else works on the
// descriptors it returns with *at calls or through /proc/self/fd.
//
// No locks: descriptors returned here belong to the caller, who closes
// them before returning. The caller must be inside enter/leave so that
// f.rootfd is open.

import (
	"context"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// beneath confines openat2 to the root: no "..", absolute path, symlink,
// magic link or mount point may take the resolution out of it.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS |
	unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// maxResolveChunk is the longest path handed to one openat2 call; longer
// node paths (a tree deeper than PATH_MAX) are resolved piecewise.
const maxResolveChunk = 4000

// openat2 opens path below dirfd under the beneath rules, never following
// a final symlink. It retries EAGAIN, which openat2 returns when it cannot
// rule out that a concurrent rename let the resolution escape.
func openat2(dirfd int, path string, flags int) (int, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_NOFOLLOW | unix.O_CLOEXEC),
		Resolve: beneath,
	}
	for try := 0; ; try++ {
		fd, err := unix.Openat2(dirfd, path, &how)
		if (err == syscall.EAGAIN || err == syscall.EINTR) && try < 8 {
			continue
		}
		return fd, err
	}
}

// openBeneath opens path (relative to the root) with flags, piecewise when
// it is longer than one openat2 call accepts.
func (f *FS) openBeneath(path string, flags int) (int, error) {
	dirfd := f.rootfd
	defer func() {
		if dirfd != f.rootfd {
			unix.Close(dirfd)
		}
	}()
	for len(path) > maxResolveChunk {
		cut := strings.LastIndexByte(path[:maxResolveChunk], '/')
		if cut <= 0 {
			return -1, syscall.ENAMETOOLONG
		}
		next, err := openat2(dirfd, path[:cut], unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return -1, err
		}
		if dirfd != f.rootfd {
			unix.Close(dirfd)
		}
		dirfd, path = next, path[cut+1:]
	}
	return openat2(dirfd, path, flags)
}

// staleIfGone maps the errors that say "this path no longer leads to an
// object" (it vanished, a component is no longer a directory, a symlink or
// mount point was planted in it) to ESTALE: the node is stale (rule V3).
func staleIfGone(err error) error {
	switch err {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ELOOP, syscall.EXDEV:
		return syscall.ESTALE
	}
	return err
}

// pinPath returns an O_PATH descriptor of exactly n and its attributes,
// resolved from the root through the places n is known at, best first:
// ESTALE if none of them leads to the object n was found as. Other errors
// (EACCES on the way) end the search.
func (f *FS) pinPath(ctx context.Context, n *node) (int, unix.Statx_t, error) {
	locs := n.locations()
	if len(locs) == 0 {
		return f.pinAt(ctx, n, ".")
	}
	for _, loc := range locs {
		path, err := loc.path()
		if err != nil {
			continue
		}
		fd, st, err := f.pinAt(ctx, n, path)
		if err == nil {
			n.confirmed(loc)
			return fd, st, nil
		}
		if err != syscall.ESTALE {
			return -1, st, err
		}
	}
	return -1, unix.Statx_t{}, syscall.ESTALE
}

// pinAt opens path with O_PATH and checks that it is n's object.
func (f *FS) pinAt(ctx context.Context, n *node, path string) (int, unix.Statx_t, error) {
	var st unix.Statx_t
	if err := ctx.Err(); err != nil {
		return -1, st, err
	}
	fd, err := f.openBeneath(path, unix.O_PATH)
	if err != nil {
		return -1, st, staleIfGone(err)
	}
	if st, err = statFD(fd); err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	if !n.is(&st) {
		unix.Close(fd)
		return -1, st, syscall.ESTALE
	}
	return fd, st, nil
}

// pin is pinPath for calls about the object itself (attributes, xattrs,
// open): when n's path is stale but n has an open handle, it falls back to
// the handle's descriptor, so an open file keeps working after its name
// was removed or replaced, as a local descriptor does. For a directory the
// fallback serves only calls that do not change it (change false): a
// directory handle gives read access only, and its directory may have been
// moved out of the root. Calls that act on names inside a directory, and
// Link, never use the fallback.
func (f *FS) pin(ctx context.Context, n *node, change bool) (int, unix.Statx_t, error) {
	fd, st, err := f.pinPath(ctx, n)
	if err != syscall.ESTALE || change && n.typ == unix.S_IFDIR {
		return fd, st, err
	}
	return pinHandle(n)
}

// pinHandle returns a descriptor of n's object from one of its open
// handles, and its attributes: ESTALE when n has none.
func pinHandle(n *node) (int, unix.Statx_t, error) {
	fd := n.dupOpenFD()
	if fd < 0 {
		return -1, unix.Statx_t{}, syscall.ESTALE
	}
	st, err := statFD(fd)
	if err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	return fd, st, nil
}

// pinDir returns an O_PATH descriptor of directory n, resolved from the
// root, for *at calls on names inside it: ENOTDIR if n is not a directory.
func (f *FS) pinDir(ctx context.Context, n *node) (int, unix.Statx_t, error) {
	fd, st, err := f.pinPath(ctx, n)
	if err != nil {
		return -1, st, err
	}
	if fileType(&st) != unix.S_IFDIR {
		unix.Close(fd)
		return -1, st, syscall.ENOTDIR
	}
	return fd, st, nil
}

// procPath names descriptor fd through /proc. Calls that have no form
// taking an O_PATH descriptor (chmod, utimensat, xattrs, linkat of a
// symlink, re-opening) use it: the kernel jumps straight to fd's object,
// so they act on exactly the object that was pinned and checked.
func procPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// reopen opens the object of descriptor fd with open flags (without
// O_NOFOLLOW: the /proc link itself must be followed). Permission checks
// are the kernel's, as for any open.
func reopen(fd int, flags int) (int, error) {
	return unix.Open(procPath(fd), flags|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
}
