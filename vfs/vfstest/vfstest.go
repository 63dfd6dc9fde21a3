package vfstest

// This file holds the public API (Config, Run) and the table of case groups
// Run walks. Cases live in one file per area of the driver contract
// (open.go, io.go, attr.go, dirs.go, links.go, rename.go, readdir.go,
// special.go, paths.go, atforms.go, iofs.go, context.go, concurrency.go). No state is
// shared between subtests: each gets its own driver and mount (env.go).

import (
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

// Config describes the driver under test and what its protocol cannot do.
// The zero value of every capability flag means "supported"; a flag set
// makes the suite assert the documented fallback instead.
type Config struct {
	// New returns a fresh, empty filesystem driver (its root directory
	// empty) for one subtest. It may register cleanups with t.Cleanup.
	New func(t *testing.T) vfs.Driver

	// NoHardLinks: Link returns EPERM or ENOSYS.
	NoHardLinks bool
	// NoIdentity: hard links show as separate files (no shared Ino, rule
	// A1), e.g. SFTP.
	NoIdentity bool
	// NoMknod: special files (FIFOs, sockets) are unsupported (EPERM or
	// ENOSYS).
	NoMknod bool
	// NoXattr: extended attributes are unsupported (the core answers
	// ENOTSUP).
	NoXattr bool
	// NoRenameExchange: RENAME_EXCHANGE returns EINVAL.
	NoRenameExchange bool
	// NoChown: the driver does not act as root on its server: changing the
	// owner to someone else fails with EPERM (or EACCES where the protocol
	// cannot tell the two apart, as SFTP).
	NoChown bool
	// NoAtime: the protocol does not keep access times.
	NoAtime bool
	// NoCtime: the protocol reports no status-change time (SFTP v3: the
	// ctime shown is the mtime), so chmod/chown do not move it.
	NoCtime bool
	// NoLinkCount: the protocol reports no link count (SFTP v3: always 1).
	NoLinkCount bool

	// Options are the mount options for vfs.New (nil: defaults). Run
	// always sets CheckInvariants, and MaxDentries to 2048 when it is 0
	// (the checker's cost grows with the hash table it sizes).
	Options *vfs.Options
}

// testCase is one behaviour: a name and a body run on a fresh mount.
type testCase struct {
	name string
	run  func(e *env)
}

// group is one area of the contract; its cases run as subtests of it.
type group struct {
	name  string
	cases []testCase
}

// groups lists every case of the suite, in the order Run runs them.
func groups() []group {
	return []group{
		{"Open", openCases},
		{"IO", ioCases},
		{"Attr", attrCases},
		{"Dir", dirCases},
		{"Symlink", symlinkCases},
		{"HardLink", hardLinkCases},
		{"Rename", renameCases},
		{"ReadDir", readDirCases},
		{"Special", specialCases},
		{"Path", pathCases},
		{"At", atCases},
		{"IOFS", iofsCases},
		{"Context", contextCases},
		{"Concurrency", concurrencyCases},
	}
}

// Run runs the conformance suite against the drivers cfg.New makes: every
// case as a subtest "Area/Behaviour" on a fresh driver and mount, with the
// core's invariant checker on and CheckInvariants asserted at the end.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	if cfg.New == nil {
		t.Fatal("vfstest: Config.New is nil")
	}
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					c.run(newEnv(t, cfg))
				})
			}
		})
	}
}
