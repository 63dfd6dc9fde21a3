package localfs

// This file holds ReadDir: getdents64 on a directory descriptor re-opened
// from the pinned one, with statx of every entry (readdirplus). No locks.

import (
	"bytes"
	"context"
	"encoding/binary"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// direntBufSize is the getdents64 buffer: a few hundred entries per call.
const direntBufSize = 32 << 10

// ReadDir lists dir in the kernel's order (stable while the directory does
// not change), calling fn per entry except "." and "..". Each entry carries
// the node and attributes (HasAttr) from a statx of the name, except mount
// points (not crossed) and entries statx cannot read (then only name, type
// and inode number); entries removed since getdents are skipped.
func (f *FS) ReadDir(ctx context.Context, dir vfs.Node, fn func(vfs.DirEntry) bool) error {
	d, err := f.asNode(dir)
	if err == nil {
		err = f.enter(ctx)
	}
	if err != nil {
		return err
	}
	defer f.leave()
	pfd, _, err := f.pinDir(ctx, d)
	if err != nil {
		return err
	}
	// "." below the pinned directory is that same directory, now open for
	// reading (EACCES without read permission).
	fd, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	unix.Close(pfd)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	buf := make([]byte, direntBufSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Getdents(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		for rest := buf[:n]; len(rest) > 0; {
			var e vfs.DirEntry
			var ok bool
			e, rest, ok = parseDirent(rest)
			if !ok {
				return syscall.EIO
			}
			if e.Name == "." || e.Name == ".." {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			st, err := statAt(fd, e.Name)
			if err == syscall.ENOENT {
				continue
			}
			if err == nil && !isMountRoot(&st) {
				e.HasAttr, e.Node, e.Attr = true, f.nodeAt(d, e.Name, &st), toAttr(&st)
				e.Type, e.Ino = fileType(&st), st.Ino
			}
			if !fn(e) {
				return nil
			}
		}
	}
}

// parseDirent decodes the first linux_dirent64 record of b (ino u64, off
// s64, reclen u16, type u8, NUL-terminated name) and returns the entry
// (name, inode number, type as S_IFMT bits) and what follows it.
func parseDirent(b []byte) (vfs.DirEntry, []byte, bool) {
	const nameOff = 19
	if len(b) < nameOff {
		return vfs.DirEntry{}, nil, false
	}
	reclen := int(binary.NativeEndian.Uint16(b[16:18]))
	if reclen < nameOff || reclen > len(b) {
		return vfs.DirEntry{}, nil, false
	}
	name := b[nameOff:reclen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return vfs.DirEntry{
		Name: string(name),
		Ino:  binary.NativeEndian.Uint64(b[0:8]),
		Type: uint32(b[18]) << 12, // DT_* values are the S_IFMT bits >> 12
	}, b[reclen:], true
}
