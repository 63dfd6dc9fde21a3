package localfs_test

// The project's driver conformance suite (vfs/vfstest) run against localfs
// through the core, on a fresh temporary directory per case.

import (
	"os"
	"testing"

	"github.com/netvfs/netvfs/fs/localfs"
	"github.com/netvfs/netvfs/vfs"
	"github.com/netvfs/netvfs/vfs/vfstest"
)

func TestConformance(t *testing.T) {
	vfstest.Run(t, vfstest.Config{
		New: func(t *testing.T) vfs.Driver {
			f, err := localfs.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		},
		// Changing owners needs root; the suite checks EPERM otherwise.
		NoChown: os.Geteuid() != 0,
	})
}
