package vfs

// Errors (rule E1): every error of the public API is an *fs.PathError (or
// *os.LinkError for two-path calls) whose Err is a syscall.Errno, or an
// *Error that carries an Errno together with the network cause behind it.
// Either way errors.Is(err, fs.ErrNotExist) and errors.Is(err, syscall.EIO)
// work, and errors.As(err, new(syscall.Errno)) finds the errno.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// Error is an errno with the cause that produced it (a broken connection, a
// timeout). It is the Err of a PathError when there is a cause worth keeping.
type Error struct {
	Errno syscall.Errno
	Cause error
}

func (e *Error) Error() string { return e.Errno.Error() + ": " + e.Cause.Error() }

// Unwrap returns the errno and the cause, so errors.Is matches either.
func (e *Error) Unwrap() []error { return []error{e.Errno, e.Cause} }

// Is makes errors.Is(err, fs.ErrNotExist) and friends work like Errno's.
func (e *Error) Is(target error) bool { return e.Errno.Is(target) }

// ErrnoOf returns the errno an error stands for: the Errno it wraps,
// ETIMEDOUT for a deadline, ECANCELED for a cancellation, EIO otherwise.
func ErrnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return syscall.ETIMEDOUT
	case errors.Is(err, context.Canceled):
		return syscall.ECANCELED
	}
	return syscall.EIO
}

// toErr turns any error into an Errno or an *Error (never nil for non-nil).
func toErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil {
		err = pe.Err
	}
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Errno: ErrnoOf(err), Cause: err}
}

func pathErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: op, Path: path, Err: toErr(err)}
}

func linkErr(op, oldPath, newPath string, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: op, Old: oldPath, New: newPath, Err: toErr(err)}
}

// transient reports errors after which a waiter should retry the driver
// itself rather than share the owner's answer (rule L3).
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	switch ErrnoOf(err) {
	case syscall.EIO, syscall.ETIMEDOUT, syscall.ENOTCONN, syscall.EAGAIN, syscall.EINTR,
		syscall.ECANCELED, syscall.ECONNRESET, syscall.ESTALE:
		return true
	}
	return false
}

func isErrno(err error, e syscall.Errno) bool { return errors.Is(err, e) }
