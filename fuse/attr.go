package fuse

// Attributes on the wire: vfs.Attr to FUSE attributes, device numbers, and
// the entry/attribute timeouts that the mount's revalidation policy (rule
// V1) gives the kernel's caches. Pure functions and immutable settings; no
// locks.

import (
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// blockSize is the st_blksize reported: the I/O size programs such as cp
// choose their buffers from. A network filesystem wants large requests.
const blockSize = 64 << 10

// exclusiveTimeout is how long the kernel may trust names and attributes
// under vfs.PolicyExclusive: every change goes through this mount, so the
// kernel's own caches are never stale.
const exclusiveTimeout = 24 * time.Hour

// timeouts are the kernel cache lifetimes of one mount.
type timeouts struct {
	entry, attr, negative time.Duration
	// perInode gives each reply the time the core still trusts that
	// inode's attributes for, instead of entry and attr (the adaptive,
	// NFS-like attribute cache: vfs.Options.TTL unset).
	perInode bool
	// keepCache keeps a file's page cache across opens (FOPEN_KEEP_CACHE).
	// Close-to-open does not: an open must see other clients' writes, as
	// the Linux NFS client guarantees.
	keepCache bool
}

// timeoutsFor derives the kernel's cache lifetimes from the core's policy.
func timeoutsFor(o vfs.Options) timeouts {
	switch o.Policy {
	case vfs.PolicyExclusive:
		return timeouts{entry: exclusiveTimeout, attr: exclusiveTimeout, negative: exclusiveTimeout, keepCache: true}
	case vfs.PolicyCloseToOpen:
		return timeouts{entry: o.TTL, attr: o.TTL, negative: o.NegativeTTL}
	}
	// Cached pages stay across opens; the kernel drops them when it sees a
	// new mtime or size (CAP_AUTO_INVAL_DATA).
	return timeouts{entry: o.TTL, attr: o.TTL, negative: o.NegativeTTL, perInode: o.TTL == 0, keepCache: true}
}

// fillAttr converts a to the kernel's attribute record.
func fillAttr(out *gofuse.Attr, a *vfs.Attr) {
	out.Ino = a.Ino
	out.Size = uint64(a.Size)
	out.Blocks = uint64(a.Blocks)
	out.Atime, out.Atimensec = splitNs(a.AtimeNs)
	out.Mtime, out.Mtimensec = splitNs(a.MtimeNs)
	out.Ctime, out.Ctimensec = splitNs(a.CtimeNs)
	out.Mode = a.Mode
	out.Nlink = a.Nlink
	out.Uid = a.Uid
	out.Gid = a.Gid
	out.Rdev = encodeDev(a.Rdev)
	out.Blksize = blockSize
}

// splitNs splits nanoseconds since the epoch into seconds and a non-negative
// nanosecond part (the kernel reads the seconds as signed).
func splitNs(ns int64) (uint64, uint32) {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec--
		nsec += 1e9
	}
	return uint64(sec), uint32(nsec)
}

// encodeDev converts a dev_t (vfs.Attr.Rdev, glibc's encoding) to the 32-bit
// encoding FUSE uses on the wire (the kernel's new_encode_dev).
func encodeDev(dev uint64) uint32 {
	major, minor := unix.Major(dev), unix.Minor(dev)
	return minor&0xff | major&0xfff<<8 | (minor&^0xff)<<12
}

// decodeDev is the inverse of encodeDev (MKNOD's rdev).
func decodeDev(dev uint32) uint64 {
	major := dev & 0xfff00 >> 8
	minor := dev&0xff | dev>>12&0xfff00
	return unix.Mkdev(major, minor)
}

// entryOut takes a node reference for ino (nodes.ref) and fills an entry
// reply for it with attributes a. It reports false, filling nothing, for an
// Inode the core has forgotten since it handed it out.
func (s *fileSystem) entryOut(out *gofuse.EntryOut, ino *vfs.Inode, a *vfs.Attr) bool {
	id, ok := s.nodes.ref(ino)
	if !ok {
		return false
	}
	out.NodeId = id
	out.Generation = generation
	entry, attr := s.ttl.entry, s.ttl.attr
	if s.ttl.perInode {
		attr = s.fsys.AttrTimeout(ino)
		entry = attr
	}
	out.SetEntryTimeout(entry)
	out.SetAttrTimeout(attr)
	fillAttr(&out.Attr, a)
	return true
}

// attrOut fills an attribute reply for ino.
func (s *fileSystem) attrOut(out *gofuse.AttrOut, ino *vfs.Inode, a *vfs.Attr) {
	if s.ttl.perInode {
		out.SetTimeout(s.fsys.AttrTimeout(ino))
	} else {
		out.SetTimeout(s.ttl.attr)
	}
	fillAttr(&out.Attr, a)
}
