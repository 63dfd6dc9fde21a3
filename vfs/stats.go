package vfs

// CacheStats reports what the dentry cache holds (V4), for tests, the CLI
// and benchmarks.
type CacheStats struct {
	Positive int // hashed positive dentries (excluding the root)
	Negative int // hashed negative dentries
}

// CacheStats returns the sizes of the LRU lists.
func (f *FS) CacheStats() CacheStats {
	f.lru.mu.Lock()
	defer f.lru.mu.Unlock()
	return CacheStats{Positive: f.lru.pos.n, Negative: f.lru.neg.n}
}
