package fuse

// Mountpoints: the checks Mount makes before asking the kernel (so that the
// usual mistakes get a message that says what to do), the classification of
// the kernel's and fusermount3's refusals, and unmounting by path, as root
// with umount2(2) and otherwise through fusermount3. No locks.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// MountError is why a mount or unmount was refused. Err is the errno that
// best says so (ENOENT, ENOTDIR, EBUSY, ENOTCONN, ENODEV, EPERM, EINVAL), so
// errors.Is(err, syscall.EBUSY) works.
type MountError struct {
	Op         string // "mount" or "unmount"
	Mountpoint string
	Reason     string
	Err        error
}

func (e *MountError) Error() string {
	return "cannot " + e.Op + " " + e.Mountpoint + ": " + e.Reason
}

func (e *MountError) Unwrap() error { return e.Err }

// CheckMountpoint returns the absolute path of mountpoint, symlinks
// resolved, if it is a directory nothing is mounted on yet, and otherwise a
// *MountError saying what is wrong. Mount makes the same check; a caller
// with costly work to do before mounting (connecting to a server) can make
// it first.
func CheckMountpoint(mountpoint string) (string, error) {
	abs, err := filepath.Abs(mountpoint)
	if err != nil {
		return "", &MountError{"mount", mountpoint, err.Error(), err}
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, syscall.ENOENT):
		return "", &MountError{"mount", abs, "the mountpoint does not exist (create the directory first)", syscall.ENOENT}
	case errors.Is(err, syscall.ENOTCONN):
		return "", &MountError{"mount", abs, "a FUSE mount whose server has exited is still attached here (transport endpoint is not connected); run `netvfs umount " + abs + "` first", syscall.ENOTCONN}
	case err != nil:
		return "", &MountError{"mount", abs, err.Error(), err}
	case !fi.IsDir():
		return "", &MountError{"mount", abs, "the mountpoint is not a directory", syscall.ENOTDIR}
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", &MountError{"mount", abs, err.Error(), err}
	}
	if fstype, source, ok := mountedOn(real); ok {
		return "", &MountError{"mount", abs, fmt.Sprintf("already mounted (%s %s); unmount it first", fstype, source), syscall.EBUSY}
	}
	return real, nil
}

// mountedOn reports whether something is mounted on dir, from
// /proc/self/mountinfo.
func mountedOn(dir string) (fstype, source string, ok bool) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source super
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || unescapeMountinfo(fields[4]) != dir {
			continue
		}
		fstype, source = "?", "?"
		for i, fl := range fields {
			if fl == "-" && i+2 < len(fields) {
				fstype, source = fields[i+1], unescapeMountinfo(fields[i+2])
			}
		}
		ok = true // keep going: the last mount on dir is the visible one
	}
	return fstype, source, ok
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) of
// /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// checkFuseDevice makes sure /dev/fuse is there (and, for root, who opens it
// directly, usable).
func checkFuseDevice() error {
	const dev = "/dev/fuse"
	if _, err := os.Stat(dev); err != nil {
		return &MountError{"mount", dev, "no FUSE device: load the fuse kernel module (modprobe fuse), or give the container the device (docker run --device /dev/fuse --cap-add SYS_ADMIN)", syscall.ENODEV}
	}
	if os.Geteuid() != 0 {
		return nil // fusermount3 opens it with its own privileges
	}
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return &MountError{"mount", dev, "cannot open the FUSE device: " + err.Error(), err}
	}
	f.Close()
	return nil
}

// mountError explains a refusal by go-fuse (mount(2) or fusermount3).
func mountError(mountpoint string, err error) error {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno) && (errno == syscall.EPERM || errno == syscall.EACCES):
		return &MountError{"mount", mountpoint, "permission denied: mounting needs root, or the fusermount3 helper (apt-get install fuse3)", errno}
	case errors.Is(err, exec.ErrNotFound) || strings.Contains(err.Error(), "executable file not found"):
		return &MountError{"mount", mountpoint, "fusermount3 is not installed (apt-get install fuse3), and only root can mount without it", syscall.EPERM}
	case strings.Contains(err.Error(), "fusermount exited"):
		return &MountError{"mount", mountpoint, "fusermount3 refused (its message is above); for allow_other a non-root user needs user_allow_other in /etc/fuse.conf", syscall.EPERM}
	}
	return &MountError{"mount", mountpoint, err.Error(), err}
}

// Unmount unmounts the FUSE filesystem mounted on mountpoint, whichever
// process serves it: umount2(2) as root, fusermount3 -u otherwise. With
// lazy the mount is detached at once even while in use (umount -l); its
// server goes on answering the processes that still use it. A mount in use
// gives EBUSY, a path nothing is mounted on EINVAL.
func Unmount(mountpoint string, lazy bool) error {
	abs, err := filepath.Abs(mountpoint)
	if err != nil {
		return &MountError{"unmount", mountpoint, err.Error(), err}
	}
	// Never unmount something else by mistake (as root umount2 would
	// unmount anything). A dead FUSE mount cannot be resolved (ENOTCONN),
	// but it is still listed under its own path.
	real := abs
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		real = r
	}
	fstype, _, mounted := mountedOn(real)
	switch {
	case !mounted:
		return unmountError(abs, syscall.EINVAL, "")
	case fstype != "fuse" && !strings.HasPrefix(fstype, "fuse."):
		return &MountError{"unmount", abs, "not a FUSE filesystem (" + fstype + "); use umount(8)", syscall.EINVAL}
	}
	abs = real
	if os.Geteuid() == 0 {
		flags := 0
		if lazy {
			flags = syscall.MNT_DETACH
		}
		return unmountError(abs, syscall.Unmount(abs, flags), "")
	}
	bin, err := exec.LookPath("fusermount3")
	if err != nil {
		if bin, err = exec.LookPath("fusermount"); err != nil {
			return &MountError{"unmount", abs, "fusermount3 is not installed (apt-get install fuse3)", syscall.EPERM}
		}
	}
	args := []string{"-u"}
	if lazy {
		args = append(args, "-z")
	}
	out, err := exec.Command(bin, append(args, abs)...).CombinedOutput()
	if err == nil {
		return nil
	}
	msg := strings.TrimSpace(string(out))
	switch {
	case strings.Contains(msg, "busy"):
		err = syscall.EBUSY
	case strings.Contains(msg, "not found in"), strings.Contains(msg, "not mounted"), strings.Contains(msg, "Invalid argument"):
		err = syscall.EINVAL
	case strings.Contains(msg, "No such file"):
		err = syscall.ENOENT
	case strings.Contains(msg, "not permitted"), strings.Contains(msg, "ermission denied"):
		err = syscall.EPERM
	}
	return unmountError(abs, err, msg)
}

// unmountError explains a failed unmount (msg: fusermount3's own words).
func unmountError(mountpoint string, err error, msg string) error {
	if err == nil {
		return nil
	}
	reason := ""
	switch {
	case errors.Is(err, syscall.EBUSY):
		reason = "the filesystem is in use (an open file or a working directory; see fuser -m); close it, or unmount lazily"
	case errors.Is(err, syscall.EINVAL):
		reason = "nothing is mounted there"
	case errors.Is(err, syscall.ENOENT):
		reason = "no such directory"
	case errors.Is(err, syscall.EPERM):
		reason = "permission denied (only root or the user who mounted it may unmount)"
	default:
		reason = err.Error()
	}
	if msg != "" {
		reason += " (" + msg + ")"
	}
	return &MountError{"unmount", mountpoint, reason, err}
}
