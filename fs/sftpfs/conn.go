package sftpfs

// This file owns the connection: dialing (TCP, SSH handshake with host-key
// check and public-key auth, SFTP session), keepalives that detect a dead
// peer, and redialing with backoff after the connection drops.
//
// Locking: FS.connMu guards cur, dialDone, lastDialErr, retryAt, backoff
// and closed. It is never held across network I/O: one goroutine dials
// (dialDone is non-nil meanwhile) and callers wait on dialDone or their ctx.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Redial backoff after a failed connection attempt: calls within the
// backoff fail at once with the last dial error instead of piling up.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 3 * time.Second
)

// session returns a live session, dialing if the connection is down.
// Requests that were in flight on a connection that died have already
// failed with ENOTCONN (rule E1); this is where the next call reconnects.
func (fs *FS) session(ctx context.Context) (*session, error) {
	for {
		fs.connMu.Lock()
		if fs.closed {
			fs.connMu.Unlock()
			return nil, &opError{op: "connect", path: fs.target.addr(), errno: syscall.ENOTCONN,
				cause: errors.New("filesystem closed")}
		}
		if s := fs.cur; s != nil && s.alive() {
			fs.connMu.Unlock()
			return s, nil
		}
		if done := fs.dialDone; done != nil {
			fs.connMu.Unlock()
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return nil, ctxError(ctx)
			}
		}
		if wait := time.Until(fs.retryAt); wait > 0 {
			err := fs.lastDialErr
			fs.connMu.Unlock()
			return nil, &opError{op: "connect", path: fs.target.addr(), errno: syscall.ENOTCONN,
				cause: fmt.Errorf("reconnecting in %v after: %w", wait.Round(time.Millisecond), err)}
		}
		done := make(chan struct{})
		fs.dialDone = done
		fs.connMu.Unlock()
		go fs.redial(done)
	}
}

// redial makes one connection attempt on behalf of every waiting caller.
// It is bounded by Options.Timeout and by Close, not by any caller's ctx:
// a caller giving up must not abort the dial the others wait for.
func (fs *FS) redial(done chan struct{}) {
	ctx, cancel := context.WithTimeout(fs.closeCtx, fs.opts.Timeout)
	s, err := fs.dial(ctx)
	cancel()
	fs.connMu.Lock()
	fs.dialDone = nil
	if err != nil {
		fs.lastDialErr = err
		fs.backoff = min(max(2*fs.backoff, minBackoff), maxBackoff)
		fs.retryAt = time.Now().Add(fs.backoff)
	} else if fs.closed {
		s.close()
	} else {
		fs.cur = s
		fs.backoff = 0
		fs.retryAt = time.Time{}
		fs.dials.Add(1)
	}
	fs.connMu.Unlock()
	close(done)
}

// dial connects, authenticates and starts an SFTP session. ctx bounds all
// of it: when ctx is done the TCP connection is closed, which unblocks the
// handshake.
func (fs *FS) dial(ctx context.Context) (_ *session, err error) {
	addr := fs.target.addr()
	defer func() {
		if err != nil {
			err = dialError(ctx, addr, err)
		}
	}()
	d := net.Dialer{KeepAlive: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	auth, release, err := authMethods(&fs.opts, fs.target)
	if err != nil {
		conn.Close()
		return nil, err
	}
	defer release()
	cfg := &ssh.ClientConfig{
		User:              fs.target.user,
		Auth:              auth,
		HostKeyCallback:   fs.hostKeys.callback,
		HostKeyAlgorithms: fs.hostKeys.algorithms(addr, conn.RemoteAddr()),
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	client := ssh.NewClient(c, chans, reqs)
	s, err := newSession(client, fs.opts.trace)
	if err != nil {
		client.Close()
		return nil, err
	}
	if !stop() {
		// ctx ended while we were setting up: conn is closed.
		s.close()
		return nil, ctx.Err()
	}
	if fs.opts.KeepaliveInterval > 0 {
		go keepalive(s, fs.opts.KeepaliveInterval, fs.opts.KeepaliveCountMax)
	}
	return s, nil
}

// dialError gives a failed connection attempt its errno: EACCES for a
// rejected host key or failed authentication, ETIMEDOUT, or ENOTCONN with
// the cause (connection refused, reset...).
func dialError(ctx context.Context, addr string, err error) error {
	var hk *HostKeyError
	switch {
	case errors.As(err, &hk):
		return &opError{op: "connect", path: addr, errno: syscall.EACCES, cause: err}
	case isAuthFailure(err):
		return &opError{op: "connect", path: addr, errno: syscall.EACCES, cause: err}
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &opError{op: "connect", path: addr, errno: syscall.ETIMEDOUT, cause: err}
	case ctx.Err() != nil:
		return fmt.Errorf("sftp connect %s: %w", addr, ctx.Err())
	}
	return &opError{op: "connect", path: addr, errno: syscall.ENOTCONN, cause: err}
}

// isAuthFailure recognises x/crypto/ssh's authentication failure (it has
// no error type for it).
func isAuthFailure(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "unable to authenticate") || strings.Contains(msg, "no supported methods remain")
}

// keepalive probes the connection every interval with an OpenSSH
// keepalive request; countMax probes without a reply in a row mark the
// session dead, which fails its requests in flight with ENOTCONN and makes
// the next call redial.
func keepalive(s *session, interval time.Duration, countMax int) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var outstanding atomic.Bool
	var missed atomic.Int32
	for {
		select {
		case <-s.dead:
			return
		case <-t.C:
		}
		if outstanding.Load() {
			if int(missed.Add(1)) >= countMax {
				s.fail(fmt.Errorf("no reply to %d keepalives sent %v apart", countMax, interval))
				return
			}
			continue
		}
		outstanding.Store(true)
		go func() {
			// The reply is a failure ("unknown request"): any reply
			// proves the peer alive. It returns an error once the
			// connection closes.
			_, _, err := s.client.SendRequest("keepalive@openssh.com", true, nil)
			if err == nil {
				missed.Store(0)
			}
			outstanding.Store(false)
		}()
	}
}
