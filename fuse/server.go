package fuse

// Server: mounting a *vfs.FS, serving it, and unmounting it. Mount checks
// the mountpoint and the FUSE device first so that the usual mistakes get a
// clear message (mountpoint.go), negotiates the kernel options (parallel
// directory operations, readdirplus, atomic O_TRUNC, 1 MiB requests), starts
// go-fuse's request loop and waits until the kernel answers through the new
// mount.
//
// Locks: Server.mu guards unmounted; everything else is set before Mount
// returns and immutable after.

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/netvfs/netvfs/vfs"
)

// Options configure a mount.
type Options struct {
	// ReadOnly mounts read-only ("-o ro"): the kernel refuses every change
	// with EROFS.
	ReadOnly bool
	// AllowOther lets users other than the one who mounted use the mount
	// ("-o allow_other"; for a non-root user /etc/fuse.conf must contain
	// user_allow_other). It implies DefaultPermissions.
	AllowOther bool
	// DefaultPermissions makes the kernel check permissions against the
	// files' mode, owner and group ("-o default_permissions"). Without it
	// every user who may use the mount may do anything the driver's own
	// credentials allow.
	DefaultPermissions bool
	// Debug logs every FUSE request and reply through Logger at
	// slog.LevelDebug (the Logger's handler must enable that level).
	Debug bool
	// Logger receives the frontend's messages; nil means slog.Default().
	Logger *slog.Logger
	// FsName is the "source" column of mount(8) and df(1); default
	// "netvfs".
	FsName string
	// MountOptions are further options for the kernel or fusermount3
	// ("noexec", "nosuid", "nodev", "dev", "suid", ...).
	MountOptions []string
}

// Server is one mounted filesystem being served.
type Server struct {
	mountpoint string
	fs         *fileSystem
	srv        *gofuse.Server
	done       chan struct{} // closed when the request loop has ended

	mu        sync.Mutex
	unmounted bool // guarded by mu
}

// Request sizes: the largest the kernel allows (fs.fuse.max_pages_limit is
// 256 pages by default), so sequential I/O takes few round trips. The
// kernel caps the readahead negotiated at INIT to 128 KiB; setReadahead
// raises it afterwards.
const (
	maxWrite     = 1 << 20
	maxReadAhead = 1 << 20
	// maxBackground bounds the kernel's asynchronous requests (readahead,
	// async direct I/O) in flight at once.
	maxBackground = 64
)

// Mount mounts fsys on mountpoint and serves it until it is unmounted (by
// Unmount, `netvfs umount`, fusermount3 -u or umount(8)). It returns once
// the kernel has answered a first request through the new mount.
//
// Errors name the usual causes: a mountpoint that does not exist (ENOENT)
// or is not a directory (ENOTDIR), one that is already mounted on (EBUSY),
// a dead mount still attached (ENOTCONN), no /dev/fuse (ENODEV), no right to
// mount (EPERM).
func Mount(fsys *vfs.FS, mountpoint string, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	abs, err := CheckMountpoint(mountpoint)
	if err != nil {
		return nil, err
	}
	if err := checkFuseDevice(); err != nil {
		return nil, err
	}
	fs := newFileSystem(fsys, log, opts.ReadOnly)
	mo := mountOptions(opts, log)
	srv, err := gofuse.NewServer(fs, abs, mo)
	if err != nil {
		return nil, mountError(abs, err)
	}
	s := &Server{mountpoint: abs, fs: fs, srv: srv, done: make(chan struct{})}
	go func() {
		srv.Serve() // returns after the kernel ended the session; runs OnUnmount
		close(s.done)
	}()
	if err := srv.WaitMount(); err != nil {
		s.Unmount()
		return nil, fmt.Errorf("fuse: mount %s: the kernel did not answer: %w", abs, err)
	}
	setReadahead(abs, log)
	log.Debug("fuse: mounted", "mountpoint", abs, "fsname", mo.FsName, "options", strings.Join(mo.Options, ","))
	return s, nil
}

// setReadahead raises the kernel's readahead for the new mount to
// maxReadAhead. FUSE's INIT can only lower the kernel's default (128 KiB);
// the mount's backing device takes more through sysfs, which doubles
// sequential read throughput. Only root may write it; failing is harmless.
func setReadahead(mountpoint string, log *slog.Logger) {
	var st syscall.Stat_t
	if err := syscall.Stat(mountpoint, &st); err != nil {
		return
	}
	bdi := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	if err := os.WriteFile(bdi, []byte(strconv.Itoa(maxReadAhead>>10)), 0); err != nil {
		log.Debug("fuse: readahead stays at the kernel's default", "err", err)
	}
}

// mountOptions translates Options for go-fuse.
func mountOptions(opts Options, log *slog.Logger) *gofuse.MountOptions {
	mo := &gofuse.MountOptions{
		FsName:        opts.FsName,
		Name:          "netvfs",
		AllowOther:    opts.AllowOther,
		MaxWrite:      maxWrite,
		MaxReadAhead:  maxReadAhead,
		MaxBackground: maxBackground,
		// Parallel directory operations and readdirplus are part of
		// go-fuse's default capabilities; atomic O_TRUNC is asked for so
		// that open(O_TRUNC) is one OPEN rather than SETATTR plus OPEN.
		ExtraCapabilities: gofuse.CAP_ATOMIC_O_TRUNC,
		// As root, mount(2) directly: no need for the fusermount3 helper.
		DirectMount: os.Geteuid() == 0,
		Debug:       opts.Debug,
		Logger:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if mo.FsName == "" {
		mo.FsName = "netvfs"
	}
	if opts.Debug {
		mo.Logger = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	}
	if opts.ReadOnly {
		mo.Options = append(mo.Options, "ro")
		mo.DirectMountFlags = syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_RDONLY
	}
	if opts.DefaultPermissions || opts.AllowOther {
		mo.Options = append(mo.Options, "default_permissions")
	}
	mo.Options = append(mo.Options, opts.MountOptions...)
	if !slices.Contains(mo.Options, "suid") {
		// nosuid (the default): the frontend clears set-id bits itself,
		// saving the kernel's security.capability lookup on every write
		// (killpriv.go).
		mo.ExtraCapabilities |= gofuse.CAP_HANDLE_KILLPRIV_V2
	}
	return mo
}

// Mountpoint returns the absolute path the filesystem is mounted on.
func (s *Server) Mountpoint() string { return s.mountpoint }

// Wait blocks until the filesystem is unmounted and every request has been
// answered.
func (s *Server) Wait() { <-s.done }

// Done returns a channel closed when the filesystem has been unmounted.
func (s *Server) Done() <-chan struct{} { return s.done }

// Unmount unmounts the filesystem and waits for the request loop to end.
// It fails with EBUSY while a process uses the mount (an open file, a
// working directory); UnmountLazy detaches it anyway. Unmounting twice is
// not an error.
func (s *Server) Unmount() error {
	return s.unmount(false)
}

// UnmountLazy detaches the mount from the namespace at once (umount -l);
// the server keeps answering the processes still using it and Wait returns
// when the last of them lets go.
func (s *Server) UnmountLazy() error {
	return s.unmount(true)
}

func (s *Server) unmount(lazy bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unmounted {
		return nil
	}
	select {
	case <-s.done: // unmounted by someone else
		s.unmounted = true
		return nil
	default:
	}
	// The kernel may hold the mount busy for a moment after the last close
	// (RELEASE is asynchronous): retry EBUSY briefly.
	var err error
	for delay := 5 * time.Millisecond; ; delay *= 2 {
		err = Unmount(s.mountpoint, lazy)
		if err == nil || !errors.Is(err, syscall.EBUSY) || delay > 100*time.Millisecond {
			break
		}
		time.Sleep(delay)
	}
	if err != nil {
		select {
		case <-s.done: // it went away while we tried
			s.unmounted = true
			return nil
		default:
		}
		return err
	}
	s.unmounted = true
	if !lazy {
		<-s.done
	}
	return nil
}

// Stats are counters of what the kernel holds, for tests and diagnostics.
type Stats struct {
	Nodes       int    // node ids the kernel holds, the root excepted
	Lookups     uint64 // their lookup counts, summed
	OpenHandles int    // open file and directory handles
}

// Stats returns what the kernel holds now.
func (s *Server) Stats() Stats {
	n, l := s.fs.nodes.count()
	return Stats{Nodes: n, Lookups: l, OpenHandles: s.fs.handles.count()}
}
