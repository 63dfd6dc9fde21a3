package fuse

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"context"
	"fmt"

	"github.com/netvfs/netvfs/vfs"
)

type timingHandler struct {
	mu    sync.Mutex
	start map[string]time.Time
	op    map[string]string
	total map[string]time.Duration
	count map[string]int
	first, last time.Time
}

var rxRe = regexp.MustCompile(`^rx (\d+): (\S+)`)
var txRe = regexp.MustCompile(`^tx (\d+):`)

func (h *timingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *timingHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h *timingHandler) WithGroup(string) slog.Handler           { return h }
func (h *timingHandler) Handle(_ context.Context, r slog.Record) error {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := rxRe.FindStringSubmatch(r.Message); m != nil {
		h.start[m[1]] = now
		h.op[m[1]] = m[2]
		if h.first.IsZero() {
			h.first = now
		}
	} else if m := txRe.FindStringSubmatch(r.Message); m != nil {
		if s, ok := h.start[m[1]]; ok {
			h.total[h.op[m[1]]] += now.Sub(s)
			h.count[h.op[m[1]]]++
			delete(h.start, m[1])
		}
		h.last = now
	}
	return nil
}

func TestZZTiming(t *testing.T) {
	h := &timingHandler{start: map[string]time.Time{}, op: map[string]string{}, total: map[string]time.Duration{}, count: map[string]int{}}
	m := mountMem(t, &vfs.Options{}, Options{Debug: true, Logger: slog.New(h)})
	tarball := filepath.Join(t.TempDir(), "x.tar")
	out, err := exec.Command("sh", "-c", "tar -C $(go env GOROOT)/src -cf "+tarball+" net").CombinedOutput()
	if err != nil {
		t.Fatal(err, string(out))
	}
	h.mu.Lock(); h.total = map[string]time.Duration{}; h.count = map[string]int{}; h.first = time.Time{}; h.mu.Unlock()
	start := time.Now()
	out, err = exec.Command("tar", "-C", m.dir, "-xf", tarball).CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err, string(out))
	}
	h.mu.Lock()
	var ops []string
	n := 0
	var sum time.Duration
	for k := range h.total {
		ops = append(ops, k)
		n += h.count[k]
		sum += h.total[k]
	}
	sort.Strings(ops)
	var b strings.Builder
	for _, k := range ops {
		b.WriteString(k + ": " + (h.total[k] / time.Duration(h.count[k])).String() + " x" + itoa(h.count[k]) + "\n")
	}
	h.mu.Unlock()
	t.Logf("wall %v, %d requests, %v per request wall, %v per request in server\n%s", wall, n, wall/time.Duration(n), sum/time.Duration(n), b.String())
	_ = os.Remove
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }
func fmtInt(i int) string { return strconvItoa(i) }
func strconvItoa(i int) string { return fmt.Sprint(i) }
