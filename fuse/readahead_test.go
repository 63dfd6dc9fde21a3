package fuse

// The mount's readahead is raised past the 128 KiB FUSE's INIT allows.

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestReadaheadRaised(t *testing.T) {
	m := mountMem(t, nil, Options{})
	var st syscall.Stat_t
	if err := syscall.Stat(m.dir, &st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev)))
	if err != nil {
		t.Fatalf("reading the mount's readahead: %v", err)
	}
	if got := strings.TrimSpace(string(b)); got != fmt.Sprint(maxReadAhead>>10) {
		t.Fatalf("read_ahead_kb = %s, want %d", got, maxReadAhead>>10)
	}
}
