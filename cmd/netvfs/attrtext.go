package main

// How ls and stat show attributes: mode strings (-rwxr-xr-x), file type
// names, owner names and times, as coreutils does. An owners cache belongs
// to one command.

import (
	"os/user"
	"strconv"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// modeString is ls -l's mode column for a Unix mode.
func modeString(m uint32) string {
	b := []byte("?rwxrwxrwx")
	switch m & vfs.S_IFMT {
	case vfs.S_IFREG:
		b[0] = '-'
	case vfs.S_IFDIR:
		b[0] = 'd'
	case vfs.S_IFLNK:
		b[0] = 'l'
	case vfs.S_IFIFO:
		b[0] = 'p'
	case vfs.S_IFSOCK:
		b[0] = 's'
	case vfs.S_IFCHR:
		b[0] = 'c'
	case vfs.S_IFBLK:
		b[0] = 'b'
	}
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	special := func(i int, bit uint32, set, unset byte) {
		if m&bit != 0 {
			if b[i] == '-' {
				b[i] = unset
			} else {
				b[i] = set
			}
		}
	}
	special(3, 0o4000, 's', 'S')
	special(6, 0o2000, 's', 'S')
	special(9, 0o1000, 't', 'T')
	return string(b)
}

// typeName is stat's name for a file type.
func typeName(a *vfs.Attr) string {
	switch a.Mode & vfs.S_IFMT {
	case vfs.S_IFREG:
		if a.Size == 0 {
			return "regular empty file"
		}
		return "regular file"
	case vfs.S_IFDIR:
		return "directory"
	case vfs.S_IFLNK:
		return "symbolic link"
	case vfs.S_IFIFO:
		return "fifo"
	case vfs.S_IFSOCK:
		return "socket"
	case vfs.S_IFCHR:
		return "character special file"
	case vfs.S_IFBLK:
		return "block special file"
	}
	return "unknown"
}

// owners maps uids and gids to local names (as sshfs shows them), or
// leaves them numeric.
type owners struct {
	numeric bool
	users   map[uint32]string
	groups  map[uint32]string
}

func newOwners(numeric bool) *owners {
	return &owners{numeric: numeric, users: map[uint32]string{}, groups: map[uint32]string{}}
}

func (o *owners) user(uid uint32) string {
	if s, ok := o.users[uid]; ok {
		return s
	}
	s := strconv.FormatUint(uint64(uid), 10)
	if !o.numeric {
		if u, err := user.LookupId(s); err == nil {
			s = u.Username
		}
	}
	o.users[uid] = s
	return s
}

func (o *owners) group(gid uint32) string {
	if s, ok := o.groups[gid]; ok {
		return s
	}
	s := strconv.FormatUint(uint64(gid), 10)
	if !o.numeric {
		if g, err := user.LookupGroupId(s); err == nil {
			s = g.Name
		}
	}
	o.groups[gid] = s
	return s
}

// lsTime is ls -l's time column: the time of day for the last six months,
// the year otherwise.
func lsTime(t, now time.Time) string {
	if t.After(now.AddDate(0, -6, 0)) && !t.After(now.Add(time.Hour)) {
		return t.Format("Jan _2 15:04")
	}
	return t.Format("Jan _2  2006")
}
