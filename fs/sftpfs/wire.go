package sftpfs

// This file is the SFTP version 3 wire format (draft-ietf-secsh-filexfer-02
// plus OpenSSH's extensions, PROTOCOL in openssh-portable): packet type and
// status numbers, a packet builder and a reply decoder. Nothing here is
// shared between goroutines: a packet belongs to the call that builds it
// until the session's writer sends it.

import (
	"encoding/binary"
	"errors"
)

// Packet types.
const (
	fxpInit          = 1
	fxpVersion       = 2
	fxpOpen          = 3
	fxpClose         = 4
	fxpRead          = 5
	fxpWrite         = 6
	fxpLstat         = 7
	fxpFstat         = 8
	fxpSetstat       = 9
	fxpFsetstat      = 10
	fxpOpendir       = 11
	fxpReaddir       = 12
	fxpRemove        = 13
	fxpMkdir         = 14
	fxpRmdir         = 15
	fxpRealpath      = 16
	fxpStat          = 17
	fxpRename        = 18
	fxpReadlink      = 19
	fxpSymlink       = 20
	fxpStatus        = 101
	fxpHandle        = 102
	fxpData          = 103
	fxpName          = 104
	fxpAttrs         = 105
	fxpExtended      = 200
	fxpExtendedReply = 201
)

// Status codes of an SSH_FXP_STATUS reply.
const (
	fxOK               = 0
	fxEOF              = 1
	fxNoSuchFile       = 2
	fxPermissionDenied = 3
	fxFailure          = 4
	fxBadMessage       = 5
	fxNoConnection     = 6
	fxConnectionLost   = 7
	fxOpUnsupported    = 8
)

// Open flags (pflags) of SSH_FXP_OPEN.
const (
	fxfRead   = 0x01
	fxfWrite  = 0x02
	fxfAppend = 0x04
	fxfCreat  = 0x08
	fxfTrunc  = 0x10
	fxfExcl   = 0x20
)

// Attribute flags of an ATTRS structure.
const (
	attrSize        = 0x00000001
	attrUIDGID      = 0x00000002
	attrPermissions = 0x00000004
	attrACModTime   = 0x00000008
	attrExtended    = 0x80000000
)

// OpenSSH extensions this driver uses, by the name the server advertises
// in its VERSION packet.
const (
	extPosixRename = "posix-rename@openssh.com"
	extStatvfs     = "statvfs@openssh.com"
	extHardlink    = "hardlink@openssh.com"
	extFsync       = "fsync@openssh.com"
	extLsetstat    = "lsetstat@openssh.com"
	extLimits      = "limits@openssh.com"
)

// defaultIOSize is the read and write size every SFTP server accepts, used
// when the server does not announce limits@openssh.com.
const defaultIOSize = 32768

// maxReplyLen bounds a reply packet we accept (OpenSSH sends at most 256
// KiB); anything larger means a corrupt stream.
const maxReplyLen = 4 << 20

// fileAttrs is the SFTP v3 ATTRS structure. Times are seconds.
type fileAttrs struct {
	flags        uint32
	size         uint64
	uid, gid     uint32
	perm         uint32 // includes the file type bits (S_IFMT)
	atime, mtime uint32
}

// packet is one request being built: 4 bytes of length, the type byte and
// 4 bytes of request id (filled in when it is sent), then the payload.
type packet struct {
	b   []byte
	typ byte
	ext string // extension name of an SSH_FXP_EXTENDED request, for tracing
}

// headerLen is the length of a request's header: length, type, id.
const headerLen = 9

func newPacket(typ byte, payloadHint int) *packet {
	b := make([]byte, headerLen, headerLen+payloadHint)
	b[4] = typ
	return &packet{b: b, typ: typ}
}

// newExtended starts an SSH_FXP_EXTENDED request for extension name.
func newExtended(name string, payloadHint int) *packet {
	p := newPacket(fxpExtended, 4+len(name)+payloadHint)
	p.ext = name
	return p.str(name)
}

func (p *packet) u32(v uint32) *packet { p.b = binary.BigEndian.AppendUint32(p.b, v); return p }
func (p *packet) u64(v uint64) *packet { p.b = binary.BigEndian.AppendUint64(p.b, v); return p }

func (p *packet) str(s string) *packet {
	p.u32(uint32(len(s)))
	p.b = append(p.b, s...)
	return p
}

func (p *packet) bytes(s []byte) *packet {
	p.u32(uint32(len(s)))
	p.b = append(p.b, s...)
	return p
}

func (p *packet) attrs(a fileAttrs) *packet {
	p.u32(a.flags &^ attrExtended)
	if a.flags&attrSize != 0 {
		p.u64(a.size)
	}
	if a.flags&attrUIDGID != 0 {
		p.u32(a.uid).u32(a.gid)
	}
	if a.flags&attrPermissions != 0 {
		p.u32(a.perm)
	}
	if a.flags&attrACModTime != 0 {
		p.u32(a.atime).u32(a.mtime)
	}
	return p
}

// seal fills in the length and request id.
func (p *packet) seal(id uint32) {
	binary.BigEndian.PutUint32(p.b[0:4], uint32(len(p.b)-4))
	binary.BigEndian.PutUint32(p.b[5:9], id)
}

// errShortPacket reports a reply that ended before its fields did.
var errShortPacket = errors.New("sftp: malformed reply packet")

// decoder reads the fields of a reply payload; the first short read sets
// err and every later read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) u32() uint32 {
	if len(d.b) < 4 {
		d.err = errShortPacket
		d.b = nil
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.err = errShortPacket
		d.b = nil
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// raw returns the next string field without copying.
func (d *decoder) raw() []byte {
	n := d.u32()
	if d.err != nil || uint64(n) > uint64(len(d.b)) {
		d.err = errShortPacket
		d.b = nil
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) str() string { return string(d.raw()) }

func (d *decoder) attrs() fileAttrs {
	var a fileAttrs
	a.flags = d.u32()
	if a.flags&attrSize != 0 {
		a.size = d.u64()
	}
	if a.flags&attrUIDGID != 0 {
		a.uid, a.gid = d.u32(), d.u32()
	}
	if a.flags&attrPermissions != 0 {
		a.perm = d.u32()
	}
	if a.flags&attrACModTime != 0 {
		a.atime, a.mtime = d.u32(), d.u32()
	}
	if a.flags&attrExtended != 0 {
		for n := d.u32(); n > 0 && d.err == nil; n-- {
			d.raw()
			d.raw()
		}
	}
	return a
}
