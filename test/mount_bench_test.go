package test

// Benchmarks of the FUSE frontend against the kernel's tmpfs on the same
// machine (DESIGN.md: speed is measured, never asserted):
//
//	go test ./test -run '^$' -bench BenchmarkMount -benchtime 3x
//
// Each benchmark runs on memfs through FUSE (fuse-memfs-ttl: the default 1s
// TTL policy; fuse-memfs-excl: the exclusive policy, long kernel cache
// timeouts) and on the kernel's tmpfs:
//   - TarExtract: tar -x of all of $GOROOT/src (about 11,500 files, 160 MB)
//     into an empty directory.
//   - FindStat: find + lstat of every name of that tree, with the kernel's
//     dentry and inode caches dropped first (cold: every name is looked up
//     through FUSE) and without (warm).
//   - SeqWrite / SeqRead: a 1 GiB file in 1 MiB write(2)/read(2) calls:
//     written new and overwritten in place, and read with the page cache
//     dropped first, so that every byte goes through FUSE.
//
// They need root (mounting, dropping caches).

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/fuse"
	"github.com/netvfs/netvfs/vfs"
)

// benchTarball makes a tar of $GOROOT/src in a temporary directory of b.
func benchTarball(b *testing.B) string {
	b.Helper()
	tarball := filepath.Join(b.TempDir(), "src.tar")
	if out, err := execSh(filepath.Join(goRoot(b), "src"), "tar -cf "+tarball+" ."); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	return tarball
}

// execSh runs a shell command in dir and returns its combined output (the
// shell changes into dir itself: see sh).
func execSh(dir, script string) ([]byte, error) {
	return exec.Command("sh", "-c", "cd "+shellQuote(dir)+" && "+script).CombinedOutput()
}

// benchTargets mounts what a benchmark compares and returns its directory
// by name: memfs through FUSE with the default revalidation policy (a 1s
// TTL, as for a network filesystem) and with the exclusive policy (the
// kernel trusts its caches), and a fresh tmpfs.
func benchTargets(b *testing.B) map[string]string {
	b.Helper()
	ttl := mntMemfs(b, workloadVFS(), fuse.Options{})
	excl := mntMemfs(b, &vfs.Options{Policy: vfs.PolicyExclusive}, fuse.Options{})
	tmpfs := filepath.Join(mntDir(b), "tmpfs")
	if err := os.Mkdir(tmpfs, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", tmpfs, "tmpfs", 0, "size=8g"); err != nil {
		b.Fatalf("mounting a tmpfs to compare with: %v", err)
	}
	b.Cleanup(func() { syscall.Unmount(tmpfs, syscall.MNT_DETACH) })
	return map[string]string{"fuse-memfs-ttl": ttl.dir, "fuse-memfs-excl": excl.dir, "tmpfs": tmpfs}
}

var benchOrder = []string{"fuse-memfs-ttl", "fuse-memfs-excl", "tmpfs"}

func BenchmarkMountTarExtract(b *testing.B) {
	tarball := benchTarball(b)
	for _, name := range benchOrder {
		b.Run(name, func(b *testing.B) {
			dir := benchTargets(b)[name]
			for i := 0; b.Loop(); i++ {
				sub := filepath.Join(dir, fmt.Sprint(i))
				if out, err := execSh("/", "mkdir "+sub+" && tar -xf "+tarball+" -C "+sub); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
			}
		})
	}
}

func BenchmarkMountFindStat(b *testing.B) {
	tarball := benchTarball(b)
	for _, name := range benchOrder {
		for _, cold := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/cold=%v", name, cold), func(b *testing.B) {
				dir := benchTargets(b)[name]
				if out, err := execSh(dir, "tar -xf "+tarball); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				names := 0
				for b.Loop() {
					if cold {
						b.StopTimer()
						os.WriteFile("/proc/sys/vm/drop_caches", []byte("2"), 0)
						b.StartTimer()
					}
					out, err := execSh(dir, "find . -printf '%s\\n' | wc -l")
					if err != nil {
						b.Fatalf("%v: %s", err, out)
					}
					fmt.Sscan(string(out), &names)
				}
				b.ReportMetric(float64(names), "names")
			})
		}
	}
}

const seqSize = 1 << 30

// BenchmarkMountSeqWrite writes a new 1 GiB file (new: the filesystem
// allocates as it goes) and overwrites an existing one in place
// (overwrite: the data path alone).
func BenchmarkMountSeqWrite(b *testing.B) {
	for _, name := range benchOrder {
		for _, overwrite := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/overwrite=%v", name, overwrite), func(b *testing.B) {
				dir := benchTargets(b)[name]
				buf := make([]byte, 1<<20)
				path := filepath.Join(dir, "big")
				if overwrite {
					writeFile(b, path, buf, os.O_CREATE)
				}
				b.SetBytes(seqSize)
				for b.Loop() {
					if overwrite {
						writeFile(b, path, buf, 0)
						continue
					}
					writeFile(b, path, buf, os.O_CREATE|os.O_EXCL)
					b.StopTimer()
					os.Remove(path)
					b.StartTimer()
				}
			})
		}
	}
}

// writeFile writes seqSize bytes to path in len(buf) writes, opened
// O_WRONLY|flags, and closes it.
func writeFile(b *testing.B, path string, buf []byte, flags int) {
	f, err := os.OpenFile(path, os.O_WRONLY|flags, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	for n := 0; n < seqSize; n += len(buf) {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkMountSeqRead(b *testing.B) {
	for _, name := range benchOrder {
		b.Run(name, func(b *testing.B) {
			dir := benchTargets(b)[name]
			path := filepath.Join(dir, "big")
			buf := make([]byte, 1<<20)
			writeFile(b, path, buf, os.O_CREATE)
			b.SetBytes(seqSize)
			for b.Loop() {
				b.StopTimer()
				os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0) // page cache: reads go to FUSE
				b.StartTimer()
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
				f.Close()
				if err != nil || n != seqSize {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}
