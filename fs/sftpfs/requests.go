package sftpfs

// This file builds the request packets the driver sends and decodes the
// replies it gets back. Packets and replies are owned by one call; nothing
// here is shared.

import (
	"fmt"
	"io"
)

func reqLstat(path string) *packet    { return newPacket(fxpLstat, 4+len(path)).str(path) }
func reqStat(path string) *packet     { return newPacket(fxpStat, 4+len(path)).str(path) }
func reqFstat(h string) *packet       { return newPacket(fxpFstat, 4+len(h)).str(h) }
func reqClose(h string) *packet       { return newPacket(fxpClose, 4+len(h)).str(h) }
func reqOpendir(path string) *packet  { return newPacket(fxpOpendir, 4+len(path)).str(path) }
func reqReaddir(h string) *packet     { return newPacket(fxpReaddir, 4+len(h)).str(h) }
func reqRemove(path string) *packet   { return newPacket(fxpRemove, 4+len(path)).str(path) }
func reqRmdir(path string) *packet    { return newPacket(fxpRmdir, 4+len(path)).str(path) }
func reqReadlink(path string) *packet { return newPacket(fxpReadlink, 4+len(path)).str(path) }
func reqRealpath(path string) *packet { return newPacket(fxpRealpath, 4+len(path)).str(path) }

func reqOpen(path string, pflags uint32, a fileAttrs) *packet {
	return newPacket(fxpOpen, 4+len(path)+4+32).str(path).u32(pflags).attrs(a)
}

func reqRead(h string, off int64, n int) *packet {
	return newPacket(fxpRead, 4+len(h)+12).str(h).u64(uint64(off)).u32(uint32(n))
}

// reqWrite copies data into the packet: the caller may reuse its buffer as
// soon as the call returns, even if the packet is still queued.
func reqWrite(h string, off int64, data []byte) *packet {
	return newPacket(fxpWrite, 4+len(h)+12+len(data)).str(h).u64(uint64(off)).bytes(data)
}

func reqSetstat(path string, a fileAttrs) *packet {
	return newPacket(fxpSetstat, 4+len(path)+32).str(path).attrs(a)
}

func reqFsetstat(h string, a fileAttrs) *packet {
	return newPacket(fxpFsetstat, 4+len(h)+32).str(h).attrs(a)
}

func reqLsetstat(path string, a fileAttrs) *packet {
	return newExtended(extLsetstat, 4+len(path)+32).str(path).attrs(a)
}

func reqMkdir(path string, a fileAttrs) *packet {
	return newPacket(fxpMkdir, 4+len(path)+8).str(path).attrs(a)
}

func reqRename(oldPath, newPath string) *packet {
	return newPacket(fxpRename, 8+len(oldPath)+len(newPath)).str(oldPath).str(newPath)
}

func reqPosixRename(oldPath, newPath string) *packet {
	return newExtended(extPosixRename, 8+len(oldPath)+len(newPath)).str(oldPath).str(newPath)
}

func reqHardlink(oldPath, newPath string) *packet {
	return newExtended(extHardlink, 8+len(oldPath)+len(newPath)).str(oldPath).str(newPath)
}

// reqSymlink creates linkPath pointing at target. OpenSSH's sftp-server
// takes the two paths in the reverse of the draft's order (target first);
// every server in practice follows OpenSSH here.
func reqSymlink(target, linkPath string) *packet {
	return newPacket(fxpSymlink, 8+len(target)+len(linkPath)).str(target).str(linkPath)
}

func reqFsync(h string) *packet      { return newExtended(extFsync, 4+len(h)).str(h) }
func reqStatvfs(path string) *packet { return newExtended(extStatvfs, 4+len(path)).str(path) }
func reqLimits() *packet             { return newExtended(extLimits, 0) }

func typeName(typ byte, ext string) string {
	if ext != "" {
		return ext
	}
	if name, ok := packetNames[typ]; ok {
		return name
	}
	return fmt.Sprintf("packet type %d", typ)
}

var packetNames = map[byte]string{
	fxpInit: "INIT", fxpVersion: "VERSION", fxpOpen: "OPEN", fxpClose: "CLOSE",
	fxpRead: "READ", fxpWrite: "WRITE", fxpLstat: "LSTAT", fxpFstat: "FSTAT",
	fxpSetstat: "SETSTAT", fxpFsetstat: "FSETSTAT", fxpOpendir: "OPENDIR",
	fxpReaddir: "READDIR", fxpRemove: "REMOVE", fxpMkdir: "MKDIR", fxpRmdir: "RMDIR",
	fxpRealpath: "REALPATH", fxpStat: "STAT", fxpRename: "RENAME",
	fxpReadlink: "READLINK", fxpSymlink: "SYMLINK", fxpStatus: "STATUS",
	fxpHandle: "HANDLE", fxpData: "DATA", fxpName: "NAME", fxpAttrs: "ATTRS",
	fxpExtended: "EXTENDED", fxpExtendedReply: "EXTENDED_REPLY",
}

// reply is the server's answer to one request, or the transport error that
// prevented one (err set: the connection was lost).
type reply struct {
	typ  byte
	data []byte // payload after the request id
	err  error
}

// unexpected reports a reply of the wrong type.
func (r reply) unexpected(want string) error {
	return fmt.Errorf("sftp: expected %s reply, got %s", want, typeName(r.typ, ""))
}

// statusOr returns r.err, the status error of a failed request, or the
// "unexpected reply" error; it is what every decoder returns when the reply
// is not the one it wanted.
func (r reply) statusOr(want string) error {
	if r.err != nil {
		return r.err
	}
	if r.typ == fxpStatus {
		d := decoder{b: r.data}
		code := d.u32()
		msg := d.str()
		if d.err != nil {
			return d.err
		}
		if code == fxOK {
			return r.unexpected(want)
		}
		return &statusError{code: code, msg: msg}
	}
	return r.unexpected(want)
}

// status decodes a STATUS reply: nil for SSH_FX_OK, a *statusError
// otherwise.
func (r reply) status() error {
	if r.err == nil && r.typ == fxpStatus {
		d := decoder{b: r.data}
		if code := d.u32(); code == fxOK && d.err == nil {
			return nil
		}
	}
	return r.statusOr("STATUS")
}

func (r reply) handle() (string, error) {
	if r.err != nil || r.typ != fxpHandle {
		return "", r.statusOr("HANDLE")
	}
	d := decoder{b: r.data}
	h := d.str()
	return h, d.err
}

func (r reply) attrs() (fileAttrs, error) {
	if r.err != nil || r.typ != fxpAttrs {
		return fileAttrs{}, r.statusOr("ATTRS")
	}
	d := decoder{b: r.data}
	a := d.attrs()
	return a, d.err
}

// readData decodes a DATA reply; end of file is io.EOF.
func (r reply) readData() ([]byte, error) {
	if r.err == nil && r.typ == fxpData {
		d := decoder{b: r.data}
		b := d.raw()
		return b, d.err
	}
	err := r.statusOr("DATA")
	if isStatus(err, fxEOF) {
		return nil, io.EOF
	}
	return nil, err
}

// nameEntry is one entry of a NAME reply.
type nameEntry struct {
	name  string
	attrs fileAttrs
}

// names decodes a NAME reply; end of a listing is io.EOF.
func (r reply) names() ([]nameEntry, error) {
	if r.err != nil || r.typ != fxpName {
		err := r.statusOr("NAME")
		if isStatus(err, fxEOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	d := decoder{b: r.data}
	n := d.u32()
	if uint64(n) > uint64(len(d.b))/4 {
		return nil, errShortPacket
	}
	out := make([]nameEntry, 0, n)
	for range n {
		name := d.str()
		d.raw() // long name, for humans
		a := d.attrs()
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, nameEntry{name: name, attrs: a})
	}
	return out, nil
}

// extended decodes an EXTENDED_REPLY payload.
func (r reply) extended() (*decoder, error) {
	if r.err != nil || r.typ != fxpExtendedReply {
		return nil, r.statusOr("EXTENDED_REPLY")
	}
	return &decoder{b: r.data}, nil
}
