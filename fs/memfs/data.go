package memfs

// This file stores regular-file data sparsely: a map from chunk index to a
// 64 KiB chunk, so a write at offset 1<<40 allocates one chunk, holes read as
// zeros, and Attr.Blocks counts allocated chunks. Every function here runs
// with the inode's mu held (for reading or writing as named). Invariant:
// bytes of an allocated chunk beyond the file size are zero, so extending the
// file exposes zeros. Freed chunks go to chunkPool: touching fresh memory
// (page faults) costs more than copying the data, so reuse keeps repeated
// large writes fast.

import (
	"math"
	"sync"
	"syscall"
)

const (
	chunkShift = 16
	chunkSize  = 1 << chunkShift
	chunkMask  = chunkSize - 1
	// maxFileSize is Linux's MAX_LFS_FILESIZE (tmpfs): larger is EFBIG.
	maxFileSize = math.MaxInt64
)

// checkRange validates an I/O range as Linux does: a negative offset is
// EINVAL, a range ending beyond the largest file EFBIG.
func checkRange(off, n int64) error {
	if off < 0 || n < 0 {
		return syscall.EINVAL
	}
	if off > maxFileSize-n {
		return syscall.EFBIG
	}
	return nil
}

// readAtLocked copies file bytes at off into p, stopping at the file size,
// and returns how many it copied. ino.mu held for reading.
func (ino *inode) readAtLocked(p []byte, off int64) int {
	if off >= ino.size {
		return 0
	}
	end := off + int64(len(p))
	if end > ino.size || end < off {
		end = ino.size
	}
	n := 0
	for pos := off; pos < end; {
		co := pos & chunkMask
		l := min(int64(chunkSize)-co, end-pos)
		dst := p[n : n+int(l)]
		if c := ino.chunks[pos>>chunkShift]; c != nil {
			copy(dst, c[co:co+l])
		} else {
			clear(dst)
		}
		n += int(l)
		pos += l
	}
	return n
}

// writeAtLocked writes p at off, allocating chunks as needed, and extends the
// size. It stops with ENOSPC when the capacity is exhausted, returning what
// it wrote. The caller checked the range. ino.mu held for writing.
func (m *FS) writeAtLocked(ino *inode, p []byte, off int64) (int, error) {
	n := 0
	var err error
	for n < len(p) {
		pos := off + int64(n)
		c, ok := m.chunkLocked(ino, pos>>chunkShift)
		if !ok {
			err = syscall.ENOSPC
			break
		}
		n += copy(c[pos&chunkMask:], p[n:])
	}
	if end := off + int64(n); n > 0 && end > ino.size {
		ino.size = end
	}
	return n, err
}

// chunk is one 64 KiB piece of file data.
type chunk [chunkSize]byte

// zeroChunk stands for an allocated chunk nobody has written yet
// (fallocate): it counts in Blocks and against the capacity, reads as zeros,
// and is replaced by a private chunk on the first write. Never written.
var zeroChunk = new(chunk)

// chunkPool holds freed chunks for reuse (dirty: newChunk clears them).
var chunkPool sync.Pool

func newChunk() *chunk {
	if c, ok := chunkPool.Get().(*chunk); ok {
		clear(c[:])
		return c
	}
	return new(chunk)
}

// freeChunk returns c to the pool; nobody may hold it any more.
func freeChunk(c *chunk) {
	if c != zeroChunk {
		chunkPool.Put(c)
	}
}

// chunkLocked returns chunk ci ready for writing, allocating it if needed;
// false means no space. ino.mu held for writing.
func (m *FS) chunkLocked(ino *inode, ci int64) (*chunk, bool) {
	c := ino.chunks[ci]
	switch {
	case c == nil:
		if !m.reserve(chunkSize) {
			return nil, false
		}
		if ino.chunks == nil {
			ino.chunks = make(map[int64]*chunk)
		}
	case c == zeroChunk:
		// Already reserved by allocateLocked.
	default:
		return c, true
	}
	c = newChunk()
	ino.chunks[ci] = c
	return c, true
}

// zeroLocked zeroes bytes [from, to) of chunk ci if it is allocated.
// ino.mu held for writing.
func (ino *inode) zeroLocked(ci, from, to int64) {
	if c := ino.chunks[ci]; c != nil && c != zeroChunk {
		clear(c[from:to])
	}
}

// dropChunksLocked frees every allocated chunk with index in [first, last).
// It walks whichever is smaller, the range or the map, so a huge sparse
// range costs nothing. ino.mu held for writing.
func (m *FS) dropChunksLocked(ino *inode, first, last int64) {
	if last <= first {
		return
	}
	drop := func(ci int64) {
		if c, ok := ino.chunks[ci]; ok {
			delete(ino.chunks, ci)
			m.unreserve(chunkSize)
			freeChunk(c)
		}
	}
	if uint64(last-first) > uint64(len(ino.chunks)) {
		for ci := range ino.chunks {
			if ci >= first && ci < last {
				drop(ci)
			}
		}
		return
	}
	for ci := first; ci < last; ci++ {
		drop(ci)
	}
}

// truncateLocked sets the size. Shrinking frees chunks wholly beyond the new
// size (including those fallocate(KEEP_SIZE) placed beyond the old one, as
// Linux does) and zeroes the tail of the last partial chunk. ino.mu held for
// writing.
func (m *FS) truncateLocked(ino *inode, size int64) {
	if size < ino.size {
		first := (size + chunkMask) >> chunkShift
		m.dropChunksLocked(ino, first, math.MaxInt64)
		if size&chunkMask != 0 {
			ino.zeroLocked(size>>chunkShift, size&chunkMask, chunkSize)
		}
	}
	ino.size = size
}

// punchHoleLocked zeroes [off, off+length) without changing the size,
// freeing the chunks the range covers entirely. The caller checked the
// range. ino.mu held for writing.
func (m *FS) punchHoleLocked(ino *inode, off, length int64) {
	end := off + length
	headCi, tailCi := off>>chunkShift, end>>chunkShift
	if headCi == tailCi {
		ino.zeroLocked(headCi, off&chunkMask, end&chunkMask)
		return
	}
	first := headCi
	if off&chunkMask != 0 {
		ino.zeroLocked(headCi, off&chunkMask, chunkSize)
		first++
	}
	if end&chunkMask != 0 {
		ino.zeroLocked(tailCi, 0, end&chunkMask)
	}
	m.dropChunksLocked(ino, first, tailCi)
}

// allocateLocked makes every chunk of [off, off+length) allocated (fresh
// ones as zeroChunk), failing with ENOSPC up front when the capacity cannot
// hold them. With keepSize false the file grows to off+length if it was
// shorter. The caller checked the range. ino.mu held for writing.
func (m *FS) allocateLocked(ino *inode, off, length int64, keepSize bool) error {
	end := off + length
	first, last := off>>chunkShift, (end-1)>>chunkShift+1
	present := int64(0)
	if uint64(last-first) > uint64(len(ino.chunks)) {
		for ci := range ino.chunks {
			if ci >= first && ci < last {
				present++
			}
		}
	} else {
		for ci := first; ci < last; ci++ {
			if ino.chunks[ci] != nil {
				present++
			}
		}
	}
	missing := last - first - present
	if missing > m.capacity/chunkSize || !m.reserve(missing*chunkSize) {
		return syscall.ENOSPC
	}
	if missing > 0 && ino.chunks == nil {
		ino.chunks = make(map[int64]*chunk)
	}
	for ci := first; ci < last && missing > 0; ci++ {
		if ino.chunks[ci] == nil {
			ino.chunks[ci] = zeroChunk
			missing--
		}
	}
	if !keepSize && end > ino.size {
		ino.size = end
	}
	return nil
}
