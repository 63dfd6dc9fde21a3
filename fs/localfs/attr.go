package localfs

// This file converts what the kernel reports (statx) into vfs.Attr and the
// node identity (rule A1). No state, no locks.

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// statFlags never follow a final symlink and never trigger an automount.
const statFlags = unix.AT_SYMLINK_NOFOLLOW | unix.AT_NO_AUTOMOUNT | unix.AT_STATX_SYNC_AS_STAT

// statMask asks for the basic attributes and the birth time (an identity
// check, see node.is).
const statMask = unix.STATX_BASIC_STATS | unix.STATX_BTIME

// statAt returns the attributes of name in directory dirfd, without
// following it if it is a symlink.
func statAt(dirfd int, name string) (unix.Statx_t, error) {
	var st unix.Statx_t
	err := unix.Statx(dirfd, name, statFlags, statMask, &st)
	return st, err
}

// statFD returns the attributes of the object fd refers to (O_PATH or
// open descriptor).
func statFD(fd int) (unix.Statx_t, error) {
	var st unix.Statx_t
	err := unix.Statx(fd, "", statFlags|unix.AT_EMPTY_PATH, statMask, &st)
	return st, err
}

// devOf returns the device number of the filesystem holding st's object.
func devOf(st *unix.Statx_t) uint64 { return unix.Mkdev(st.Dev_major, st.Dev_minor) }

// btimeOf returns st's birth time in ns, or 0 when the filesystem did not
// report one.
func btimeOf(st *unix.Statx_t) int64 {
	if st.Mask&unix.STATX_BTIME == 0 {
		return 0
	}
	return nsec(st.Btime)
}

// isMountRoot reports whether st's object is the root of a mount, i.e. a
// mount point seen from its parent: the driver does not cross those.
func isMountRoot(st *unix.Statx_t) bool {
	return st.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 &&
		st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0
}

// fileType returns the S_IFMT bits of st.
func fileType(st *unix.Statx_t) uint32 { return uint32(st.Mode) & unix.S_IFMT }

// identity encodes (dev, ino) as the 16-byte Attr.ID (rule A1): big-endian
// dev, then big-endian ino.
func identity(dev, ino uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], dev)
	binary.BigEndian.PutUint64(b[8:], ino)
	return string(b[:])
}

// toAttr converts statx attributes to vfs.Attr.
func toAttr(st *unix.Statx_t) vfs.Attr {
	dev := devOf(st)
	return vfs.Attr{
		Mode:    uint32(st.Mode),
		Nlink:   st.Nlink,
		Uid:     st.Uid,
		Gid:     st.Gid,
		Ino:     st.Ino,
		Size:    int64(st.Size),
		Blocks:  int64(st.Blocks),
		Rdev:    unix.Mkdev(st.Rdev_major, st.Rdev_minor),
		AtimeNs: nsec(st.Atime),
		MtimeNs: nsec(st.Mtime),
		CtimeNs: nsec(st.Ctime),
		ID:      identity(dev, st.Ino),
	}
}

func nsec(t unix.StatxTimestamp) int64 { return t.Sec*1e9 + int64(t.Nsec) }
