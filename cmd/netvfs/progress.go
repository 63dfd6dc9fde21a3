package main

// Progress on stderr for long work: a spinner for `netvfs bench` scenarios
// and a byte meter for copies. Both draw only when stderr is a terminal
// (a log file gets one plain line per step, or nothing). A spinner's
// goroutine owns the line it draws until finish; a meter belongs to the
// goroutine that copies.

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

const clearLine = "\r\033[K"

// spinner shows that a labelled step is running.
type spinner struct {
	w     io.Writer
	label string
	tty   bool
	start time.Time
	stop  chan struct{}
	done  chan struct{}
}

// startSpinner prints label: on a terminal followed by a spinner until
// finish, elsewhere as one line.
func startSpinner(w io.Writer, tty bool, label string) *spinner {
	s := &spinner{w: w, label: label, tty: tty, start: time.Now()}
	if !tty {
		fmt.Fprintf(w, "%s ...\n", label)
		return s
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		frames := `|/-\`
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(w, "\r%s %c", label, frames[i%len(frames)])
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// finish ends the step; on a terminal the line ends with note and the time
// the step took.
func (s *spinner) finish(note string) {
	if !s.tty {
		return
	}
	close(s.stop)
	<-s.done
	fmt.Fprintf(s.w, "%s%s %s (%.1fs)\n", clearLine, s.label, note, time.Since(s.start).Seconds())
}

// meterMin is the smallest copy that gets a meter.
const meterMin = 1 << 20

// meter shows how far a copy of one file has come. A nil *meter is valid
// and draws nothing.
type meter struct {
	w           io.Writer
	name        string
	total, done int64
	start, last time.Time
}

// newMeter returns a meter for copying total bytes of name, or nil when
// stderr is not a terminal or the file is small.
func newMeter(w io.Writer, tty bool, name string, total int64) *meter {
	if !tty || total < meterMin {
		return nil
	}
	return &meter{w: w, name: name, total: total, start: time.Now()}
}

// add counts n more bytes copied, redrawing at most ten times a second.
func (m *meter) add(n int) {
	if m == nil {
		return
	}
	m.done += int64(n)
	if now := time.Now(); now.Sub(m.last) >= 100*time.Millisecond || m.done == m.total {
		m.last = now
		rate := float64(m.done) / now.Sub(m.start).Seconds()
		fmt.Fprintf(m.w, "%s%s  %s / %s  %3d%%  %s/s", clearLine, m.name, bytesText(m.done), bytesText(m.total),
			m.done*100/max(m.total, 1), bytesText(int64(rate)))
	}
}

// finish clears the meter's line.
func (m *meter) finish() {
	if m != nil {
		fmt.Fprint(m.w, clearLine)
	}
}

// bytesText formats a byte count with a binary unit (1.5 MiB).
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
