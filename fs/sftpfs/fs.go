// Package sftpfs is the netvfs driver for SFTP (protocol version 3 with
// OpenSSH's extensions) over SSH: a client of OpenSSH's sftp-server or any
// compatible server.
//
// SFTP names files by path and has no file identity, so nodes record where
// an object lives (parent node and name) and the driver implements
// vfs.Mover; attributes carry no ID (rule A1). Many requests are in flight
// on one connection at once; large reads and writes are split into the
// server's limits and issued concurrently, and a write returns once its
// requests are sent (write-behind, as sshfs does; Flush, Fsync and
// Release report failures). Every call honours its context
// and Options.Timeout. When the connection drops, calls in flight fail
// with ENOTCONN, the next call redials (with backoff), and open files are
// reopened by path where that is safe.
//
// The driver speaks the SFTP wire protocol itself (see wire.go) rather
// than through github.com/pkg/sftp: it needs requests pipelined in a fixed
// order (OPEN then LSTAT in one round trip), attributes on OPEN (the mode
// of a created file), per-request cancellation without a goroutine per
// call, and the lsetstat and limits extensions, none of which that
// client exposes.
package sftpfs

// This file holds the FS type, Dial and Close, and the per-call prologue.
// Lock order: FS.handlesMu before FS.treeMu (names.go); FS.connMu is never
// held with either. None is held across a network round trip.

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/netvfs/netvfs/vfs"
)

// FS is a mounted SFTP filesystem: the vfs.Driver for one remote directory
// tree. It is safe for concurrent use.
type FS struct {
	opts     Options
	target   *target
	hostKeys *hostKeyChecker
	root     *node

	closeCtx  context.Context // cancelled by Close: aborts a redial
	closeFunc context.CancelFunc

	treeMu sync.RWMutex       // guards every node's places (node.go) and linked
	linked map[*node]struct{} // guarded by treeMu: nodes with more than one name (names.go)

	connMu      sync.Mutex
	cur         *session      // guarded by connMu: the live session, if any
	dialDone    chan struct{} // guarded by connMu: non-nil while a redial runs
	lastDialErr error         // guarded by connMu
	retryAt     time.Time     // guarded by connMu: no redial before this
	backoff     time.Duration // guarded by connMu
	closed      bool          // guarded by connMu
	dials       atomic.Int64  // successful redials (tests)

	handlesMu sync.Mutex
	handles   map[*fileHandle]struct{} // guarded by handlesMu: open file handles
}

// Compile-time checks of the capabilities the core discovers.
var (
	_ vfs.Driver       = (*FS)(nil)
	_ vfs.AtomicOpener = (*FS)(nil)
	_ vfs.Mover        = (*FS)(nil)
)

// Dial connects to rawURL, sftp://[user@]host[:port][/path], and returns
// the filesystem rooted at path: an absolute path, "/~/sub" for a path
// below the login directory, or nothing for the login directory itself.
// ctx bounds the connection attempt.
func Dial(ctx context.Context, rawURL string, opts Options) (*FS, error) {
	opts.setDefaults()
	t, err := resolveTarget(rawURL, &opts)
	if err != nil {
		return nil, err
	}
	fs := &FS{
		opts:   opts,
		target: t,
		hostKeys: &hostKeyChecker{
			files:     t.knownHosts,
			addFile:   t.knownHostsAdd,
			acceptNew: opts.AcceptNewHostKey,
			insecure:  opts.InsecureIgnoreHostKey,
		},
		handles: map[*fileHandle]struct{}{},
		linked:  map[*node]struct{}{},
	}
	fs.closeCtx, fs.closeFunc = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	s, err := fs.dial(ctx)
	if err != nil {
		fs.closeFunc()
		return nil, err
	}
	rootPath, err := resolveRoot(ctx, s, t.path)
	if err != nil {
		s.close()
		fs.closeFunc()
		return nil, err
	}
	fs.cur = s
	fs.root = &node{name: rootPath}
	fs.root.typ.Store(vfs.S_IFDIR)
	return fs, nil
}

// resolveRoot turns the URL path into the canonical absolute path of a
// directory on the server.
func resolveRoot(ctx context.Context, s *session, urlPath string) (string, error) {
	p := urlPath
	if p == "" || p == "/~" || strings.HasPrefix(p, "/~/") {
		// Relative to the login directory, where the server starts.
		p = strings.TrimPrefix(strings.TrimPrefix(p, "/~"), "/")
		if p == "" {
			p = "."
		}
	}
	r, err := s.do(ctx, reqRealpath(p))
	if err != nil {
		return "", failure("realpath", p, err)
	}
	names, err := r.names()
	if err != nil || len(names) != 1 {
		if err == nil {
			err = errShortPacket
		}
		return "", failure("realpath", p, err)
	}
	root := names[0].name
	r, err = s.do(ctx, reqStat(root))
	if err != nil {
		return "", failure("stat", root, err)
	}
	a, err := r.attrs()
	if err != nil {
		return "", failure("stat", root, err)
	}
	if a.perm&vfs.S_IFMT != vfs.S_IFDIR {
		return "", errorf("mount", root, syscall.ENOTDIR, "root is not a directory")
	}
	return root, nil
}

// Close closes the connection. Calls in flight fail with ENOTCONN; later
// calls fail at once.
func (fs *FS) Close() error {
	fs.connMu.Lock()
	fs.closed = true
	s := fs.cur
	fs.cur = nil
	fs.connMu.Unlock()
	fs.closeFunc()
	if s != nil {
		s.close()
	}
	return nil
}

// RootPath returns the server path the filesystem is rooted at.
func (fs *FS) RootPath() string { return fs.root.name }

// begin is the prologue of every driver call: it applies Options.Timeout
// to ctx and gets a live session (redialing if needed).
func (fs *FS) begin(ctx context.Context, op, path string) (context.Context, context.CancelFunc, *session, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, fs.opts.Timeout, &timeoutError{d: fs.opts.Timeout})
	s, err := fs.session(ctx)
	if err != nil {
		cancel()
		return nil, nil, nil, failure(op, path, err)
	}
	return ctx, cancel, s, nil
}

// Root returns the root directory (rule: called once at mount).
func (fs *FS) Root(ctx context.Context) (vfs.Node, vfs.Attr, error) {
	a, err := fs.Getattr(ctx, fs.root)
	if err != nil {
		return nil, vfs.Attr{}, err
	}
	return fs.root, a, nil
}
