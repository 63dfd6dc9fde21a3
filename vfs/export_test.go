package vfs

// Test-only access to the core's internals, for tests that stage an
// interleaving no driver call can mark (package vfs_test).

// SetTestHookFound makes fn(name) run whenever a walker is about to read a
// dentry it found without a claim (foundInode), until restore is called.
func SetTestHookFound(fn func(name string)) (restore func()) {
	testHookFound = func(d *dentry) { fn(d.name) }
	return func() { testHookFound = nil }
}

// EvictName drops the cached entry for name in dir as the LRU does under
// pressure (rule V4), if nothing uses it; it reports whether it did.
func (f *FS) EvictName(dir *Inode, name string) bool {
	d := f.hash.find(dir.dir, name)
	return d != nil && f.tryEvict(d)
}
