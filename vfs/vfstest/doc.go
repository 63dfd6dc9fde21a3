// Package vfstest is the driver test kit of netvfs: one conformance suite
// that every filesystem driver runs against itself, as io/fs
// implementations run testing/fstest.TestFS.
//
// A driver's test calls Run with a Config whose New returns a fresh, empty
// driver for each subtest (for a network driver: a client of a server the
// test started on loopback):
//
//	func TestConformance(t *testing.T) {
//		vfstest.Run(t, vfstest.Config{
//			New: func(t *testing.T) vfs.Driver { return memfs.New(memfs.Options{}).Driver() },
//		})
//	}
//
// Run mounts every driver with vfs.New and the invariant checker on
// (Options.CheckInvariants) and drives it only through the core's public
// API: path calls, their at-forms, the inode API, *vfs.File I/O and the
// io/fs view. Each subtest is named after the behaviour it protects and
// asserts Linux semantics: the exact errno (errors.Is(err, syscall.EXXX)) and
// the error's shape (*fs.PathError or *os.LinkError, rule E1). DESIGN.md
// rule numbers are cited where a case protects one.
//
// Behaviour a protocol may lack is gated on a Config flag, never skipped
// silently: a gated case asserts the documented fallback instead (Link
// returns EPERM or ENOSYS under NoHardLinks, RENAME_EXCHANGE returns EINVAL
// under NoRenameExchange, and so on).
//
// A failing case says which of three is wrong: the driver, the core, or
// (rarely) the suite. The expected values were taken from Linux 6.x on
// tmpfs/ext4; where Linux and the core's documented API differ (the io/fs
// view, WriteAt on an O_APPEND file) the case says so.
package vfstest
