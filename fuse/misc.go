package fuse

// STATFS and ACCESS. ACCESS matters only without default_permissions (with
// it the kernel checks access(2) itself): it is answered from the cached
// attributes and the caller's uid, gid and supplementary groups, the way the
// kernel's generic_permission would. No locks.

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/netvfs/netvfs/vfs"
)

func (s *fileSystem) StatFs(cancel <-chan struct{}, h *gofuse.InHeader, out *gofuse.StatfsOut) gofuse.Status {
	ctx, end := requestCtx(cancel, h, interruptible)
	defer end()
	st, err := s.fsys.Statfs(ctx)
	if err != nil {
		return s.status(ctx, "statfs", h, err)
	}
	*out = gofuse.StatfsOut{
		Blocks:  st.Blocks,
		Bfree:   st.Bfree,
		Bavail:  st.Bavail,
		Files:   st.Files,
		Ffree:   st.Ffree,
		Bsize:   st.Bsize,
		NameLen: st.NameLen,
		Frsize:  st.Frsize,
	}
	return gofuse.OK
}

// access(2) mask bits.
const (
	accessR = 4
	accessW = 2
	accessX = 1
)

func (s *fileSystem) Access(cancel <-chan struct{}, in *gofuse.AccessIn) gofuse.Status {
	ino, st := s.inode(in.NodeId)
	if !st.Ok() {
		return st
	}
	ctx, end := requestCtx(cancel, &in.InHeader, interruptible)
	defer end()
	a, err := s.fsys.GetattrInode(ctx, ino)
	if err != nil {
		return s.status(ctx, "access", &in.InHeader, err)
	}
	mask := in.Mask & (accessR | accessW | accessX)
	if mask&accessW != 0 && s.readOnly {
		return gofuse.Status(syscall.EROFS)
	}
	if !permitted(&a, mask, in.Uid, in.Gid, func(gid uint32) bool { return inGroups(in.Pid, gid) }) {
		return gofuse.Status(syscall.EACCES)
	}
	return gofuse.OK
}

// permitted reports whether uid (primary group gid, other groups as inGroup
// says) may access a with mask, as generic_permission decides: root may
// read and write anything and execute what has an execute bit (or is a
// directory); others get the owner, group or other bits.
func permitted(a *vfs.Attr, mask, uid, gid uint32, inGroup func(uint32) bool) bool {
	if mask == 0 {
		return true
	}
	if uid == 0 {
		return mask&accessX == 0 || a.IsDir() || a.Mode&0o111 != 0
	}
	var bits uint32
	switch {
	case uid == a.Uid:
		bits = a.Mode >> 6 & 7
	case gid == a.Gid || inGroup(a.Gid):
		bits = a.Mode >> 3 & 7
	default:
		bits = a.Mode & 7
	}
	return bits&mask == mask
}

// inGroups reports whether process pid has gid among its supplementary
// groups (the FUSE request carries only the primary one).
func inGroups(pid, gid uint32) bool {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		for _, g := range strings.Fields(rest) {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil && uint32(n) == gid {
				return true
			}
		}
		return false
	}
	return false
}
