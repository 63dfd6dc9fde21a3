package main

// This file runs one FUSE client in the foreground as a child process: it
// starts it, waits until its mount appears in /proc/self/mountinfo,
// unmounts it (waiting for the process to exit, as a write-back client
// flushes then), and kills it when a step hangs. A mounted value is used
// by one goroutine, except kill, which may be called from another; the
// exited channel is closed by the goroutine that waits for the process.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	mountTimeout = 60 * time.Second
	// exitTimeout bounds how long an unmounted client may take to exit
	// (rclone uploads what it still holds first).
	exitTimeout = 3 * time.Minute
)

// mounted is a running client.
type mounted struct {
	dir     string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error // set before exited is closed
}

// startMount runs argv (which serves dir in the foreground) and waits until
// dir is a FUSE mount.
func startMount(argv, env []string, dir, logPath string) (*mounted, error) {
	if isMounted(dir) {
		return nil, fmt.Errorf("%s is already a mount point", dir)
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	m := &mounted{dir: dir, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		m.waitErr = cmd.Wait()
		log.Close()
		close(m.exited)
	}()
	deadline := time.Now().Add(mountTimeout)
	for !isMounted(dir) {
		select {
		case <-m.exited:
			return nil, fmt.Errorf("%s exited before mounting (%v): %s", argv[0], m.waitErr, m.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.kill()
			return nil, fmt.Errorf("%s did not mount within %v: %s", argv[0], mountTimeout, m.logTail())
		}
	}
	if _, err := os.Stat(dir); err != nil {
		m.kill()
		return nil, fmt.Errorf("mounted, but stat of the root fails: %v: %s", err, m.logTail())
	}
	return m, nil
}

// alive reports whether the client process is still running.
func (m *mounted) alive() bool {
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// unmount unmounts the client and waits for its process to exit.
func (m *mounted) unmount() error {
	var err error
	for i := 0; i < 50; i++ {
		if err = syscall.Unmount(m.dir, 0); err == nil || errors.Is(err, syscall.EINVAL) {
			err = nil
			break
		}
		if !errors.Is(err, syscall.EBUSY) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		syscall.Unmount(m.dir, syscall.MNT_DETACH)
		err = fmt.Errorf("unmount %s: %w (detached)", m.dir, err)
	}
	select {
	case <-m.exited:
	case <-time.After(exitTimeout):
		m.kill()
		return fmt.Errorf("%s did not exit within %v of the unmount: %s", m.cmd.Path, exitTimeout, m.logTail())
	}
	return err
}

// kill ends the client at once (blocked calls on the mount then fail with
// ENOTCONN) and detaches the mount.
func (m *mounted) kill() {
	if m.cmd.Process != nil {
		syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	}
	syscall.Unmount(m.dir, syscall.MNT_DETACH)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
	}
}

// logTail returns the end of the client's output, for error messages.
func (m *mounted) logTail() string {
	b, _ := os.ReadFile(m.logPath)
	b = bytes.TrimSpace(b)
	if len(b) > 600 {
		b = append([]byte("…"), b[len(b)-600:]...)
	}
	if len(b) == 0 {
		return "(no output)"
	}
	return string(b)
}

// mountPoints returns the mount points under prefix (all if "").
func mountPoints(prefix string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if prefix == "" || mp == prefix || strings.HasPrefix(mp, prefix+"/") {
			out = append(out, mp)
		}
	}
	return out
}

// isMounted reports whether dir is a mount point.
func isMounted(dir string) bool {
	dir = filepath.Clean(dir)
	for _, mp := range mountPoints(dir) {
		if mp == dir {
			return true
		}
	}
	return false
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
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
