package vfstest

// Context cases: every call honours its context. A call that must reach the
// driver with a context already cancelled returns promptly with ECANCELED
// (context.Canceled wrapped, rule E1) and changes nothing.

import (
	"context"
	"errors"
	"syscall"
)

var contextCases = []testCase{
	{"Cancelled", func(e *env) {
		e.mkdir("d")
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		check := func(what string, err error) {
			e.Helper()
			if err == nil {
				e.Errorf("%s with a cancelled context succeeded", what)
				return
			}
			if !errors.Is(err, context.Canceled) && errnoOf(err) != syscall.ECANCELED {
				e.Errorf("%s with a cancelled context: %v, want context.Canceled / ECANCELED", what, err)
			}
			if !isE1(err) {
				e.Errorf("%s with a cancelled context: %v (%T) is not an E1 error", what, err, err)
			}
		}
		// Names never seen before: the core must ask the driver.
		_, err := e.fs.Stat(ctx, "d/never-looked-up")
		check("stat", err)
		_, err = e.fs.OpenFile(ctx, "d/new", oWRONLY|oCREAT, 0o644)
		check("create", err)
		check("mkdir", e.fs.Mkdir(ctx, "d/newdir", 0o755))
		_, err = e.fs.ReadDir(ctx, "d")
		check("readdir", err)
		// Nothing happened, and the mount still works.
		e.wantNames("d")
		e.writeFile("d/new", "ok")
		e.wantContent("d/new", "ok")
	}},
}
