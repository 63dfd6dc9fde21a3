package sftpfs

// This file maps SFTP status replies and transport failures to the
// syscall.Errno values the core expects (rule E1). OpenSSH's sftp-server
// folds most errnos into SSH_FX_FAILURE (and ENOTDIR into NO_SUCH_FILE), so
// the operations that need a precise errno (EEXIST, ENOTEMPTY, EISDIR,
// ENOTDIR) establish it with an extra LSTAT; see dirops.go and open.go.

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// statusError is a non-OK SSH_FXP_STATUS reply.
type statusError struct {
	code uint32
	msg  string
}

func (e *statusError) Error() string {
	name := statusNames[e.code]
	if name == "" {
		name = fmt.Sprintf("status %d", e.code)
	}
	if e.msg == "" {
		return "server replied " + name
	}
	return fmt.Sprintf("server replied %s (%q)", name, e.msg)
}

var statusNames = map[uint32]string{
	fxOK: "SSH_FX_OK", fxEOF: "SSH_FX_EOF", fxNoSuchFile: "SSH_FX_NO_SUCH_FILE",
	fxPermissionDenied: "SSH_FX_PERMISSION_DENIED", fxFailure: "SSH_FX_FAILURE",
	fxBadMessage: "SSH_FX_BAD_MESSAGE", fxNoConnection: "SSH_FX_NO_CONNECTION",
	fxConnectionLost: "SSH_FX_CONNECTION_LOST", fxOpUnsupported: "SSH_FX_OP_UNSUPPORTED",
}

// isStatus reports whether err is a status reply with the given code.
func isStatus(err error, code uint32) bool {
	var st *statusError
	return errors.As(err, &st) && st.code == code
}

// statusErrno is the errno of a status code when nothing better is known.
// OpenSSH's sftp-server maps ENOENT, ENOTDIR, EBADF and ELOOP to
// NO_SUCH_FILE; EPERM and EACCES to PERMISSION_DENIED; EINVAL and
// ENAMETOOLONG to BAD_MESSAGE; ENOSYS to OP_UNSUPPORTED; everything else
// to FAILURE.
func statusErrno(code uint32) syscall.Errno {
	switch code {
	case fxNoSuchFile:
		return syscall.ENOENT
	case fxPermissionDenied:
		return syscall.EACCES
	case fxBadMessage:
		return syscall.EINVAL
	case fxNoConnection, fxConnectionLost:
		return syscall.ENOTCONN
	case fxOpUnsupported:
		return syscall.ENOSYS
	default:
		return syscall.EIO
	}
}

// opError is the error every driver method returns: the operation, the
// server path, the errno the core maps, and the cause (a status reply, a
// transport error).
type opError struct {
	op    string
	path  string
	errno syscall.Errno
	cause error
}

func (e *opError) Error() string {
	s := "sftp " + e.op
	if e.path != "" {
		s += " " + e.path
	}
	s += ": " + e.errno.Error()
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap lets errors.Is match both the errno and the cause.
func (e *opError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.errno}
	}
	return []error{e.errno, e.cause}
}

// errorf returns an opError with a message as its cause.
func errorf(op, path string, errno syscall.Errno, format string, args ...any) error {
	return &opError{op: op, path: path, errno: errno, cause: fmt.Errorf(format, args...)}
}

// withErrno returns an opError for a failed request whose errno the caller
// has established (e.g. EEXIST after an LSTAT).
func withErrno(op, path string, errno syscall.Errno, cause error) error {
	return &opError{op: op, path: path, errno: errno, cause: cause}
}

// failure converts the error of a request into the error a driver method
// returns: a status reply becomes its errno, a transport error keeps its
// errno (ENOTCONN, ETIMEDOUT), a cancelled context stays a context error,
// anything else is EIO.
func failure(op, path string, err error) error {
	var oe *opError
	if errors.As(err, &oe) {
		return err
	}
	var st *statusError
	if errors.As(err, &st) {
		return &opError{op: op, path: path, errno: statusErrno(st.code), cause: st}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &opError{op: op, path: path, errno: errno, cause: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sftp %s %s: %w", op, path, err)
	}
	return &opError{op: op, path: path, errno: syscall.EIO, cause: err}
}

// connLostError is the error of every request in flight, or sent, on a
// connection that has died.
type connLostError struct{ cause error }

func (e *connLostError) Error() string { return "connection lost: " + e.cause.Error() }

func (e *connLostError) Unwrap() []error { return []error{syscall.ENOTCONN, e.cause} }

// timeoutError is the cause of a call that got no reply within
// Options.Timeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("no reply within %v", e.d) }

func (e *timeoutError) Unwrap() []error {
	return []error{syscall.ETIMEDOUT, context.DeadlineExceeded}
}

// ctxError returns why ctx is done: our per-call timeout (ETIMEDOUT) or the
// caller's own cancellation or deadline.
func ctxError(ctx context.Context) error {
	var te *timeoutError
	if cause := context.Cause(ctx); errors.As(cause, &te) {
		return cause
	}
	return ctx.Err()
}
