package memfs

// This file builds the view FS.Driver returns: a value whose dynamic type
// has exactly the optional capabilities Options allow, so that the core's
// type assertions see a driver without atomic open, walk, revalidation or
// xattrs. Each combination is a struct type embedding the allowed interfaces;
// all of them forward to the same *FS. No state, no locks.

import "github.com/netvfs/netvfs/vfs"

// Compile-time proof that *FS has every capability memfs offers.
var (
	_ vfs.Driver       = (*FS)(nil)
	_ vfs.AtomicOpener = (*FS)(nil)
	_ vfs.Walker       = (*FS)(nil)
	_ vfs.Revalidator  = (*FS)(nil)
	_ vfs.Xattrer      = (*FS)(nil)
)

// Capability bits of a view.
const (
	capAtomicOpen = 1 << iota
	capWalk
	capRevalidate
	capXattr
)

// Driver returns m as a vfs.Driver exposing exactly the optional
// capabilities its Options allow (all of them: m itself). Nodes and handles
// are shared with m, and calls through the view count in m's hooks.
func (m *FS) Driver() vfs.Driver {
	caps := 0
	if !m.opts.NoAtomicOpen {
		caps |= capAtomicOpen
	}
	if !m.opts.NoWalk {
		caps |= capWalk
	}
	if !m.opts.NoRevalidate {
		caps |= capRevalidate
	}
	if !m.opts.NoXattr {
		caps |= capXattr
	}
	type (
		D = vfs.Driver
		A = vfs.AtomicOpener
		W = vfs.Walker
		R = vfs.Revalidator
		X = vfs.Xattrer
	)
	switch caps {
	case 0:
		return struct{ D }{m}
	case capAtomicOpen:
		return struct {
			D
			A
		}{m, m}
	case capWalk:
		return struct {
			D
			W
		}{m, m}
	case capAtomicOpen | capWalk:
		return struct {
			D
			A
			W
		}{m, m, m}
	case capRevalidate:
		return struct {
			D
			R
		}{m, m}
	case capAtomicOpen | capRevalidate:
		return struct {
			D
			A
			R
		}{m, m, m}
	case capWalk | capRevalidate:
		return struct {
			D
			W
			R
		}{m, m, m}
	case capAtomicOpen | capWalk | capRevalidate:
		return struct {
			D
			A
			W
			R
		}{m, m, m, m}
	case capXattr:
		return struct {
			D
			X
		}{m, m}
	case capAtomicOpen | capXattr:
		return struct {
			D
			A
			X
		}{m, m, m}
	case capWalk | capXattr:
		return struct {
			D
			W
			X
		}{m, m, m}
	case capAtomicOpen | capWalk | capXattr:
		return struct {
			D
			A
			W
			X
		}{m, m, m, m}
	case capRevalidate | capXattr:
		return struct {
			D
			R
			X
		}{m, m, m}
	case capAtomicOpen | capRevalidate | capXattr:
		return struct {
			D
			A
			R
			X
		}{m, m, m, m}
	case capWalk | capRevalidate | capXattr:
		return struct {
			D
			W
			R
			X
		}{m, m, m, m}
	default: // all four
		return m
	}
}
