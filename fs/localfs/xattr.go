package localfs

// This file holds the extended-attribute calls (vfs.Xattrer). Linux has no
// xattr calls taking an O_PATH descriptor before 6.13, so they go through
// /proc/self/fd of the pinned object: the non-"l" variants follow the /proc
// link to exactly that object (a symlink itself, not its target). No locks.

import (
	"bytes"
	"context"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// maxXattrRetries bounds the size-then-read loops, which repeat only while
// another process keeps growing the value or list.
const maxXattrRetries = 8

// GetXattr returns the value of attribute name of n; ENODATA if absent.
func (f *FS) GetXattr(ctx context.Context, n vfs.Node, name string) ([]byte, error) {
	var val []byte
	err := f.withProcPath(ctx, n, false, func(path string) error {
		var err error
		val, err = readSized(ctx, func(buf []byte) (int, error) { return unix.Getxattr(path, name, buf) })
		return err
	})
	return val, err
}

// SetXattr sets attribute name of n (flags: XATTR_CREATE, XATTR_REPLACE).
func (f *FS) SetXattr(ctx context.Context, n vfs.Node, name string, value []byte, flags int) error {
	return f.withProcPath(ctx, n, true, func(path string) error {
		return unix.Setxattr(path, name, value, flags)
	})
}

// ListXattr returns the attribute names of n.
func (f *FS) ListXattr(ctx context.Context, n vfs.Node) ([]string, error) {
	var names []string
	err := f.withProcPath(ctx, n, false, func(path string) error {
		list, err := readSized(ctx, func(buf []byte) (int, error) { return unix.Listxattr(path, buf) })
		for _, b := range bytes.Split(list, []byte{0}) {
			if len(b) > 0 {
				names = append(names, string(b))
			}
		}
		return err
	})
	return names, err
}

// RemoveXattr removes attribute name of n; ENODATA if absent.
func (f *FS) RemoveXattr(ctx context.Context, n vfs.Node, name string) error {
	return f.withProcPath(ctx, n, true, func(path string) error {
		return unix.Removexattr(path, name)
	})
}

// withProcPath pins n (falling back to an open handle, see pin; change
// says whether call modifies n) and runs call with its /proc path.
func (f *FS) withProcPath(ctx context.Context, n vfs.Node, change bool, call func(path string) error) error {
	nd, err := f.asNode(n)
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return err
	}
	defer f.leave()
	fd, _, err := f.pin(ctx, nd, change)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := ctx.Err(); err != nil {
		return err
	}
	return call(procPath(fd))
}

// readSized asks read for the size (empty buffer), then reads into a
// buffer of that size, again if the data grew meanwhile (ERANGE).
func readSized(ctx context.Context, read func([]byte) (int, error)) ([]byte, error) {
	for range maxXattrRetries {
		size, err := read(nil)
		if err != nil {
			return nil, err
		}
		if size == 0 {
			return []byte{}, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		buf := make([]byte, size)
		m, err := read(buf)
		if err == syscall.ERANGE {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:m], nil
	}
	return nil, syscall.ERANGE
}
