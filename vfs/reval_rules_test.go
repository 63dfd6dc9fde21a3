package vfs_test

// Tests of the revalidation rules V1-V4.

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// TestV1_Policies: TTL serves the cache until it expires; exclusive never
// asks again; close-to-open asks on every open.
func TestV1_Policies(t *testing.T) {
	t.Run("ttl", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, TTL: 50 * time.Millisecond})
		must(t, f.WriteFile(bg, "x", []byte("1"), 0o644))
		_, err := f.Getattr(bg, "x")
		must(t, err)
		must(t, m.Remote().WriteFile("x", []byte("12345"), 0o644))
		a, _ := f.Getattr(bg, "x")
		if a.Size != 1 {
			t.Fatalf("size %d within the TTL, want the cached 1", a.Size)
		}
		time.Sleep(60 * time.Millisecond)
		a, _ = f.Getattr(bg, "x")
		if a.Size != 5 {
			t.Fatalf("size %d after the TTL, want the server's 5", a.Size)
		}
	})
	t.Run("exclusive", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive, TTL: time.Millisecond})
		must(t, f.WriteFile(bg, "x", []byte("1"), 0o644))
		f.Getattr(bg, "x")
		time.Sleep(5 * time.Millisecond)
		m.ResetCalls()
		f.Getattr(bg, "x")
		if n := m.Calls(""); n != 0 {
			t.Fatalf("%d driver calls under the exclusive policy", n)
		}
	})
	t.Run("close-to-open", func(t *testing.T) {
		f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyCloseToOpen, TTL: time.Hour})
		must(t, f.WriteFile(bg, "x", []byte("1"), 0o644))
		must(t, m.Remote().WriteFile("x", []byte("12345"), 0o644))
		fl, err := f.Open(bg, "x")
		must(t, err)
		defer fl.Close()
		a, _ := f.Getattr(bg, "x")
		if a.Size != 5 {
			t.Fatalf("size %d after open, want 5 (close-to-open)", a.Size)
		}
	})
}

// TestV2_ExpiredEntryRevalidated: a name replaced on the server is looked up
// again after expiry, once, however many walkers want it (L1).
func TestV2_ExpiredEntryRevalidated(t *testing.T) {
	f, m := mount(t, memfs.Options{NoWalk: true}, &vfs.Options{CheckInvariants: true, TTL: 20 * time.Millisecond})
	must(t, f.WriteFile(bg, "x", []byte("old"), 0o644))
	old, _, err := f.Lookup(bg, f.Root(), "x")
	must(t, err)
	must(t, m.Remote().Replace("x", []byte("new!")))
	time.Sleep(30 * time.Millisecond)
	m.ResetCalls()
	m.SetLatency(memfs.OpLookup, 5*time.Millisecond)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a, err := f.Getattr(bg, "x"); err != nil || a.Size != 4 {
				t.Error(a.Size, err)
			}
		}()
	}
	wg.Wait()
	if n := m.Calls(memfs.OpLookup); n != 1 {
		t.Fatalf("%d lookups to revalidate one name, want 1", n)
	}
	now, _, err := f.Lookup(bg, f.Root(), "x")
	must(t, err)
	if now == old {
		t.Fatal("a replaced file kept its old inode")
	}
}

// TestV3_EstaleRetriedOnce: ESTALE drops what it concerned and the
// operation is retried once with revalidation; a second ESTALE is returned.
func TestV3_EstaleRetriedOnce(t *testing.T) {
	f, m := mount(t, memfs.Options{NoAtomicOpen: true}, &vfs.Options{CheckInvariants: true, Policy: vfs.PolicyExclusive})
	must(t, f.WriteFile(bg, "x", []byte("old"), 0o644))
	f.Getattr(bg, "x")
	// The server replaced x: our cached node is stale.
	must(t, m.Remote().Replace("x", []byte("new!")))
	b, err := f.ReadFile(bg, "x")
	must(t, err)
	if string(b) != "new!" {
		t.Fatalf("read %q after ESTALE retry", b)
	}
	m.InjectFault(memfs.OpOpen, "", 2, syscall.ESTALE)
	_, err = f.Open(bg, "x")
	wantErrno(t, err, syscall.ESTALE)
	m.InjectFault(memfs.OpOpen, "", 1, syscall.ESTALE)
	fl, err := f.Open(bg, "x")
	must(t, err)
	fl.Close()
}

// TestV4_CacheBounded: unused entries are evicted past the bound; entries
// in use (open files) are not.
func TestV4_CacheBounded(t *testing.T) {
	f, m := mount(t, memfs.Options{}, &vfs.Options{MaxDentries: 100, MaxNegative: 20, Policy: vfs.PolicyExclusive})
	must(t, f.WriteFile(bg, "keep", []byte("k"), 0o644))
	fl, err := f.Open(bg, "keep")
	must(t, err)
	defer fl.Close()
	for i := 0; i < 1000; i++ {
		must(t, f.WriteFile(bg, fmt.Sprintf("f%d", i), nil, 0o644))
		f.Getattr(bg, fmt.Sprintf("missing%d", i))
	}
	st := f.CacheStats()
	if st.Positive > 100 || st.Negative > 20 {
		t.Fatalf("cache holds %+v, bounds 100/20", st)
	}
	m.ResetCalls()
	if _, err := f.Getattr(bg, "keep"); err != nil {
		t.Fatal(err)
	}
	if n := m.Calls(memfs.OpLookup) + m.Calls(memfs.OpWalk); n != 0 {
		t.Fatal("the entry of an open file was evicted")
	}
	must(t, f.CheckInvariants())
}

// TestP_PathRules: P1 (symlinks, slashes, dots), P2 (no escape), P3 (limits).
func TestP_PathRules(t *testing.T) {
	f, _ := mount(t, memfs.Options{}, nil)
	must(t, f.MkdirAll(bg, "a/b", 0o755))
	must(t, f.WriteFile(bg, "a/b/f", []byte("f"), 0o644))
	must(t, f.Symlink(bg, "../../../../..", "a/b/up"))
	must(t, f.Symlink(bg, "/a/b/f", "abs"))
	must(t, f.Symlink(bg, "loop2", "loop1"))
	must(t, f.Symlink(bg, "loop1", "loop2"))
	// A chain of 41 symlinks is one too many (P1: 40).
	must(t, f.Symlink(bg, "a/b/f", "c0"))
	for i := 1; i <= 40; i++ {
		must(t, f.Symlink(bg, fmt.Sprintf("c%d", i-1), fmt.Sprintf("c%d", i)))
	}
	cases := []struct {
		path string
		want error
	}{
		{"a//b///f", nil},
		{"/../../a/b/f", nil}, // ".." at the root stays at the root
		{"a/b/up/a/b/f", nil}, // a relative symlink cannot climb out
		{"a/b/up/../a/b/f", nil},
		{"abs", nil}, // an absolute target is relative to the mount root
		{"c39", nil},
		{"c40", syscall.ELOOP},
		{"loop1", syscall.ELOOP},
		{"a/b/f/", syscall.ENOTDIR},
		{"a/b/", nil},
		{"", syscall.ENOENT},
		{"a/\x00", syscall.EINVAL},
		{"a/" + string(make([]byte, 256)), syscall.EINVAL}, // NUL bytes
		{"a/" + strings256(), syscall.ENAMETOOLONG},
		{pathOf(4096), syscall.ENAMETOOLONG},
	}
	for _, c := range cases {
		_, err := f.Getattr(bg, c.path)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("stat(%.40q) = %v, want %v", c.path, err, c.want)
		}
	}
}

func strings256() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = 'n'
	}
	return string(b)
}

func pathOf(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
		if i%2 == 1 {
			b[i] = '/'
		}
	}
	return string(b)
}

// TestE1_ErrorsArePathErrorsWithErrno: every error is an *fs.PathError or
// *os.LinkError wrapping an errno; a slow server gives ETIMEDOUT, not a hang.
func TestE1_ErrorsArePathErrorsWithErrno(t *testing.T) {
	// NoReadAhead: the second stat must meet the stalled lookup, not a
	// listing of the root.
	f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, Timeout: 50 * time.Millisecond, NoReadAhead: true})
	_, err := f.Stat(bg, "missing")
	var pe *os.PathError
	if !errors.As(err, &pe) || !errors.Is(err, os.ErrNotExist) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("stat error %#v", err)
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno != syscall.ENOENT {
		t.Fatalf("no errno in %v", err)
	}
	m.InjectFault(memfs.OpMkdir, "", 1, fmt.Errorf("connection reset: %w", errors.New("peer gone")))
	err = f.Mkdir(bg, "d", 0o755)
	if !errors.As(err, &pe) || !errors.Is(err, syscall.EIO) || err.Error() == "" {
		t.Fatalf("a non-errno driver failure gave %v, want EIO with its cause", err)
	}
	m.SetLatency(memfs.OpLookup, 10*time.Second)
	start := time.Now()
	_, err = f.Stat(bg, "slow")
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("stat on a stalled server: %v, want ETIMEDOUT", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the timeout was not honoured")
	}
}

// TestV2_ListingRevalidatesExpiredNames: a readdirplus answer with the same
// identity revalidates an expired cached name in place (no lookup needed).
func TestV2_ListingRevalidatesExpiredNames(t *testing.T) {
	f, m := mount(t, memfs.Options{}, &vfs.Options{CheckInvariants: true, TTL: 10 * time.Millisecond})
	must(t, f.WriteFile(bg, "x", []byte("12"), 0o644))
	time.Sleep(20 * time.Millisecond)
	ents, err := f.ReadDirInode(bg, f.Root())
	must(t, err)
	if len(ents) != 1 || ents[0].Inode == nil || ents[0].Attr.Size != 2 {
		t.Fatalf("listing %+v: want x primed with its attributes", ents)
	}
	m.ResetCalls()
	if _, err := f.Getattr(bg, "x"); err != nil {
		t.Fatal(err)
	}
	if n := m.Calls(memfs.OpLookup); n != 0 {
		t.Fatalf("%d lookups after a listing revalidated the name", n)
	}
}
