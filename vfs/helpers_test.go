package vfs_test

import (
	"context"
	"errors"
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
