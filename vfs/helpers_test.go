package vfs_test

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
)

// mount mounts a fresh memfs with the invariant checker on.
func mount(t testing.TB, mo memfs.Options, o *vfs.Options) (*vfs.FS, *memfs.FS) {
	t.Helper()
	m := memfs.New(mo)
	opts := vfs.Options{CheckInvariants: true, Timeout: 20 * time.Second}
	if o != nil {
		opts = *o
	}
	f, err := vfs.New(context.Background(), m.Driver(), &opts)
	if err != nil {
		t.Fatal(err)
	}
	return f, m
}

func wantErrno(t testing.TB, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var bg = context.Background()

// randomOp is one change (or stat) the concurrency tests make at random.
type randomOp int

const (
	opCreate randomOp = iota
	opRemove
	opRename
	opMkdir
	opStat
)

// randomChange makes op on names drawn from name; racing others, its
// errors are expected and ignored (the tests check the end state).
func randomChange(f *vfs.FS, op randomOp, name func() string) {
	switch op {
	case opCreate:
		if fl, err := f.OpenFile(bg, name(), os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fl.Close()
		}
	case opRemove:
		f.Remove(bg, name())
	case opRename:
		f.Rename(bg, name(), name())
	case opMkdir:
		f.Mkdir(bg, name(), 0o755)
	case opStat:
		f.Getattr(bg, name())
	}
}
