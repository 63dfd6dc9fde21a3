package vfs_test

// countingDriver wraps a driver and records how many calls of each kind are
// in flight at once, to observe parallelism (L2, D1) without timing.

import (
	"context"
	"sync/atomic"

	"github.com/netvfs/netvfs/vfs"
)

type inflight struct {
	cur, max atomic.Int64
}

func (c *inflight) enter() {
	n := c.cur.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			return
		}
	}
}
func (c *inflight) exit() { c.cur.Add(-1) }

// countingDriver counts concurrent Lookup and Create calls; optional
// capabilities of the wrapped driver are hidden except AtomicOpener when
// keepAO.
type countingDriver struct {
	vfs.Driver
	lookups, creates inflight
}

func (c *countingDriver) Lookup(ctx context.Context, dir vfs.Node, name string) (vfs.Node, vfs.Attr, error) {
	c.lookups.enter()
	defer c.lookups.exit()
	return c.Driver.Lookup(ctx, dir, name)
}

func (c *countingDriver) Create(ctx context.Context, dir vfs.Node, name string, flags int, mode uint32) (vfs.Node, vfs.Attr, vfs.Handle, error) {
	c.creates.enter()
	defer c.creates.exit()
	return c.Driver.Create(ctx, dir, name, flags, mode)
}

type countingAO struct {
	*countingDriver
	ao vfs.AtomicOpener
}

func (c countingAO) AtomicOpen(ctx context.Context, dir vfs.Node, name string, flags int, mode uint32) (vfs.OpenResult, error) {
	c.creates.enter()
	defer c.creates.exit()
	return c.ao.AtomicOpen(ctx, dir, name, flags, mode)
}
