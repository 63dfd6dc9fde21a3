package memfs

// Concurrency tests, run under -race: random mixes of every operation on a
// few shared names, checked afterwards against the tree's invariants, and
// parallel I/O on one file. Random tests print their seed on failure.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// checkInvariants verifies link counts, parent pointers, directory indexes,
// the inode count and the space accounting of m, with no handle open.
func checkInvariants(t *testing.T, m *FS) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	refs := map[*inode]uint32{}
	var used int64
	var visit func(d *inode)
	visit = func(d *inode) {
		subdirs := uint32(0)
		for name, i := range d.dir.index {
			if e := d.dir.list[i]; e.name != name || e.ino == nil {
				t.Errorf("dir %d: index of %q points at %+v", d.ino, name, e)
			}
		}
		d.dir.each(func(name string, c *inode) bool {
			if c.dead.Load() {
				t.Errorf("dir %d: %q names a dead inode", d.ino, name)
			}
			if c.isDir() {
				subdirs++
				if c.parent != d {
					t.Errorf("dir %q: parent is %d, want %d", name, c.parent.ino, d.ino)
				}
				visit(c)
			} else if refs[c]++; refs[c] == 1 {
				used += int64(len(c.chunks)) * chunkSize
			}
			return true
		})
		if d.nlink != 2+subdirs {
			t.Errorf("dir %d: nlink %d, want %d", d.ino, d.nlink, 2+subdirs)
		}
		refs[d] = 0 // counted as an inode
	}
	visit(m.root)
	for ino, n := range refs {
		if !ino.isDir() && ino.nlink != n {
			t.Errorf("inode %d: nlink %d but %d names", ino.ino, ino.nlink, n)
		}
		if c := ino.openCount.Load(); c != 0 {
			t.Errorf("inode %d: %d handles still open", ino.ino, c)
		}
	}
	if m.inodes != int64(len(refs)) {
		t.Errorf("inode count %d, reachable %d", m.inodes, len(refs))
	}
	if got := m.used.Load(); got != used {
		t.Errorf("used %d bytes, reachable files hold %d", got, used)
	}
}

// allowed are the errnos a random operation may legitimately meet when other
// goroutines change the same names.
var allowed = []syscall.Errno{
	syscall.ENOENT, syscall.EEXIST, syscall.ENOTEMPTY, syscall.EISDIR,
	syscall.ENOTDIR, syscall.EINVAL, syscall.ESTALE, syscall.EPERM,
	syscall.ELOOP, syscall.ENXIO,
}

func checkAllowed(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, e := range allowed {
		if errors.Is(err, e) {
			return
		}
	}
	t.Errorf("%s: unexpected error %v", what, err)
}

func TestConcurrentRandomOperationsKeepInvariants(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d", seed)
		}
	})
	m, root := setup(t, Options{})
	r := m.Remote()
	names := []string{"a", "b", "c", "d"}
	const workers, opsEach = 8, 400
	var succeeded [14]atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			pick := func() string { return names[rng.IntN(len(names))] }
			// dir returns root or a directory one level down (maybe stale).
			dir := func() vfs.Node {
				if rng.IntN(2) == 0 {
					return root
				}
				n, a, err := m.Lookup(bg, root, pick())
				if err != nil || !a.IsDir() {
					return root
				}
				return n
			}
			for range opsEach {
				d, name := dir(), pick()
				var err error
				op := rng.IntN(14)
				switch op {
				case 0:
					var h vfs.Handle
					_, _, h, err = m.Create(bg, d, name, syscall.O_RDWR, 0o644)
					if err == nil {
						_, err = h.WriteAt(bg, make([]byte, rng.IntN(3*chunkSize)), int64(rng.IntN(chunkSize)))
						must(t, "Release", h.Release(bg))
					}
				case 1:
					_, _, err = m.Mkdir(bg, d, name, 0o755)
				case 2:
					err = m.Unlink(bg, d, name)
				case 3:
					err = m.Rmdir(bg, d, name)
				case 4:
					flags := []uint32{0, vfs.RenameNoReplace, vfs.RenameExchange}[rng.IntN(3)]
					err = m.Rename(bg, d, name, dir(), pick(), flags)
				case 5:
					var n vfs.Node
					if n, _, err = m.Lookup(bg, d, name); err == nil {
						_, err = m.Link(bg, n, dir(), pick())
					}
				case 6:
					var res vfs.OpenResult
					res, err = m.AtomicOpen(bg, d, name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
					if err == nil && res.Handle != nil {
						h := res.Handle
						h.ReadAt(bg, make([]byte, 100), 0)
						_, err = h.WriteAt(bg, []byte("data"), int64(rng.IntN(1<<20)))
						must(t, "Release", h.Release(bg))
					}
				case 7:
					err = m.ReadDir(bg, d, func(e vfs.DirEntry) bool { return true })
				case 8:
					_, err = m.Walk(bg, root, []string{pick(), pick()})
				case 9:
					_, _, err = m.Symlink(bg, d, name, pick())
				case 10:
					err = r.Replace(pick()+"/"+pick(), []byte("replaced"))
				case 11:
					err = r.Rename(pick(), pick()+"/"+pick())
				case 12:
					var n vfs.Node
					if n, _, err = m.Lookup(bg, d, name); err == nil {
						_, err = m.Setattr(bg, n, vfs.SetAttr{Valid: vfs.SetSize, Size: int64(rng.IntN(2 * chunkSize))})
					}
				case 13:
					err = r.Remove(pick() + "/" + pick())
				}
				checkAllowed(t, fmt.Sprintf("op %d", op), err)
				if err == nil {
					succeeded[op].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	checkInvariants(t, m)
	// A mix in which some operation never succeeds tests less than it says.
	for op := range succeeded {
		if succeeded[op].Load() == 0 {
			t.Errorf("op %d never succeeded", op)
		}
	}
}

// Writers of disjoint ranges and readers of one file run in parallel; every
// byte ends where its writer put it.
func TestConcurrentIOOnOneFile(t *testing.T) {
	m, _ := setup(t, Options{})
	n, h := openRW(t, m, "shared")
	const writers, span = 8, 3 * chunkSize / 2 // spans straddle chunk boundaries
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p := bytes.Repeat([]byte{byte(w + 1)}, span)
			for i := range 20 {
				if _, err := h.WriteAt(bg, p[:span-i], int64(w*span)); err != nil {
					t.Errorf("WriteAt: %v", err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			buf := make([]byte, span)
			for range 20 {
				if _, err := h.ReadAt(bg, buf, int64(w*span)); err != nil && err != io.EOF {
					t.Errorf("ReadAt: %v", err)
				}
				for _, b := range buf {
					if b != 0 && b != byte(w+1) {
						t.Errorf("reader saw another writer's byte %d", b)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	got := make([]byte, writers*span)
	h.ReadAt(bg, got, 0)
	for w := range writers {
		if !bytes.Equal(got[w*span:(w+1)*span], bytes.Repeat([]byte{byte(w + 1)}, span)) {
			t.Errorf("range of writer %d corrupted", w)
		}
	}
	if a := getattr(t, m, n); a.Size != writers*span {
		t.Errorf("size %d", a.Size)
	}
}
