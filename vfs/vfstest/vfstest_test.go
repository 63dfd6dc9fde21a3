package vfstest_test

// The suite run against memfs, the reference driver, in its two shapes:
// with every capability (the core's atomic open and multi-name walk paths)
// and without atomic open, walk or identities (the core's lookup + create
// fallback, rule O2, and identity-less caching as for SFTP, rule A1).

import (
	"testing"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/vfs"
	"github.com/netvfs/netvfs/vfs/vfstest"
)

func TestMemfs(t *testing.T) {
	vfstest.Run(t, vfstest.Config{
		New: func(t *testing.T) vfs.Driver { return memfs.New(memfs.Options{}).Driver() },
	})
}

func TestMemfsNoAtomicOpenNoWalkNoIdentity(t *testing.T) {
	vfstest.Run(t, vfstest.Config{
		New: func(t *testing.T) vfs.Driver {
			return memfs.New(memfs.Options{NoAtomicOpen: true, NoWalk: true, NoIdentity: true}).Driver()
		},
		NoIdentity: true,
	})
}
