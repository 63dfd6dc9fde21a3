package test

// Concurrency through the kernel: goroutines making system calls and shell
// processes running mv/touch/rm loops on the same few names of a memfs
// mount at once (creates, renames with and without flags, links, unlinks,
// mkdir/rmdir, stats). Every call must end in one of the errnos that such
// races legitimately give; afterwards the tree the kernel shows, the tree
// the core shows and the tree memfs holds must be the same, and the core's
// invariants must hold.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/fs/memfs"
	"github.com/netvfs/netvfs/fuse"
	"github.com/netvfs/netvfs/vfs"
)

// raceErrnos are the answers a call may get when others change the same
// names at the same time.
var raceErrnos = map[syscall.Errno]bool{
	0: true, unix.ENOENT: true, unix.EEXIST: true, unix.ENOTEMPTY: true, unix.EISDIR: true,
	unix.ENOTDIR: true, unix.EINVAL: true, unix.EPERM: true,
}

func TestMountConcurrentSyscalls(t *testing.T) {
	mem := memfs.New(memfs.Options{})
	// A little latency makes the driver calls overlap as on a network.
	mem.SetLatency(memfs.OpLookup, 20*time.Microsecond)
	mem.SetLatency(memfs.OpRename, 50*time.Microsecond)
	m := mntMount(t, "memfs", mem.Driver(), &vfs.Options{TTL: 50 * time.Millisecond, CheckInvariants: true}, fuse.Options{})
	dirs := []string{"d1", "d2", "d1/sub"}
	names := []string{"a", "b", "c"}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(m.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	paths := func(r *rand.Rand) string {
		return filepath.Join(m.dir, dirs[r.IntN(len(dirs))], names[r.IntN(len(names))])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	// Shell processes doing the same, through coreutils.
	var procs []*exec.Cmd
	for range 2 {
		script := fmt.Sprintf(`cd %s; i=0; while [ $i -lt 400 ]; do
			touch d1/a d2/b 2>/dev/null; mv d1/a d2/c 2>/dev/null; mv d2/b d1/sub/a 2>/dev/null
			rm -f d1/sub/a d2/c 2>/dev/null; mkdir d2/a 2>/dev/null; rmdir d2/a 2>/dev/null; i=$((i+1)); done`, m.dir)
		cmd := exec.CommandContext(ctx, "sh", "-c", script)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(g)))
			for ctx.Err() == nil {
				op, err := randomSyscall(r, paths)
				if e := mntErrno(err); !raceErrnos[e] {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s: %v", op, err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range procs {
		p.Wait() // killed by ctx or finished; their errors are expected
	}
	if len(bad) > 0 {
		t.Fatalf("seed %d: calls failed with errnos no race explains:\n%s", seed, strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
	if err := m.fsys.CheckInvariants(); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	time.Sleep(100 * time.Millisecond) // past the TTL: the core asks memfs again
	kernel, core, server := treeViews(t, m, mem)
	if kernel != server || core != server {
		t.Fatalf("seed %d: the views differ\nkernel:\n%s\ncore:\n%s\nmemfs:\n%s", seed, kernel, core, server)
	}
}

// randomSyscall makes one random call on random names.
func randomSyscall(r *rand.Rand, path func(*rand.Rand) string) (string, error) {
	p, q := path(r), path(r)
	switch r.IntN(10) {
	case 0, 1:
		fd, err := unix.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC|[]int{0, unix.O_EXCL, unix.O_TRUNC}[r.IntN(3)], 0o644)
		if err == nil {
			unix.Write(fd, []byte(p))
			err = unix.Close(fd)
		}
		return "create " + p, err
	case 2, 3:
		flags := []uint{0, 0, unix.RENAME_NOREPLACE, unix.RENAME_EXCHANGE}[r.IntN(4)]
		return fmt.Sprintf("rename %s %s %d", p, q, flags), unix.Renameat2(unix.AT_FDCWD, p, unix.AT_FDCWD, q, flags)
	case 4:
		var st unix.Stat_t
		return "stat " + p, unix.Lstat(p, &st)
	case 5:
		return "unlink " + p, unix.Unlink(p)
	case 6:
		return "link " + p + " " + q, unix.Link(p, q)
	case 7:
		return "mkdir " + p, unix.Mkdir(p, 0o755)
	case 8:
		return "rmdir " + p, unix.Rmdir(p)
	default:
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Read(fd, make([]byte, 64))
			err = unix.Close(fd)
			if err == nil {
				return "open " + p, nil
			}
		}
		if mntErrno(err) == unix.EISDIR {
			err = nil
		}
		return "open " + p, err
	}
}

// treeViews describes the tree below the mount as the kernel (readdir and
// lstat on the mount), the core (its path API; listings always come from the
// driver) and memfs itself (Remote.Stat of what the core listed) see it: one
// line per name with its type and link count.
func treeViews(t *testing.T, m *mnt, mem *memfs.FS) (kernel, core, server string) {
	t.Helper()
	var k, c, s []string
	var walkKernel func(rel string)
	walkKernel = func(rel string) {
		ents, err := os.ReadDir(filepath.Join(m.dir, rel))
		if err != nil {
			t.Fatalf("readdir %q through the kernel: %v", rel, err)
		}
		for _, e := range ents {
			p := strings.TrimPrefix(rel+"/"+e.Name(), "/")
			var st unix.Stat_t
			if err := unix.Lstat(filepath.Join(m.dir, p), &st); err != nil {
				t.Fatalf("lstat %s, which readdir listed: %v", p, err)
			}
			k = append(k, fmt.Sprintf("%s %o %d", p, st.Mode&unix.S_IFMT, st.Nlink))
			if e.IsDir() {
				walkKernel(p)
			}
		}
	}
	var walkCore func(rel string)
	walkCore = func(rel string) {
		ents, err := m.fsys.ReadDir(context.Background(), "/"+rel)
		if err != nil {
			t.Fatalf("core ReadDir %q: %v", rel, err)
		}
		for _, e := range ents {
			p := strings.TrimPrefix(rel+"/"+e.Name(), "/")
			ca, err := m.fsys.Lgetattr(context.Background(), p)
			if err != nil {
				t.Fatalf("core Lgetattr %s: %v", p, err)
			}
			c = append(c, fmt.Sprintf("%s %o %d", p, ca.Mode&vfs.S_IFMT, ca.Nlink))
			sa, err := mem.Remote().Stat(p)
			if err != nil {
				t.Fatalf("memfs Stat %s: %v", p, err)
			}
			s = append(s, fmt.Sprintf("%s %o %d", p, sa.Mode&vfs.S_IFMT, sa.Nlink))
			if e.IsDir() {
				walkCore(p)
			}
		}
	}
	walkKernel("")
	walkCore("")
	sort.Strings(k)
	sort.Strings(c)
	sort.Strings(s)
	return strings.Join(k, "\n"), strings.Join(c, "\n"), strings.Join(s, "\n")
}
