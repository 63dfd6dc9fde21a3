package sftpfs

// This file is ReadDir. SFTP's READDIR returns names with their
// attributes (the server lstat(2)s each entry), so every entry carries a
// Node and Attr for the core to prime its cache with. No driver lock is
// taken; the READDIRs in flight belong to the one ReadDir call.
//
// READDIRs are read ahead: the first two are sent back to back right after
// OPENDIR (the server answers them in order on the same handle), so a small
// directory costs two waits, OPENDIR and the first batch, whose successor,
// EOF, has arrived meanwhile. While the directory goes on, a READDIR is
// always in flight behind the batch being handed to the caller. CLOSE is
// sent but never awaited.

import (
	"context"
	"io"

	"github.com/netvfs/netvfs/vfs"
)

// fullBatch is the batch size of OpenSSH's sftp-server (it sends at most
// 100 names per READDIR, fewer only when readdir(3) has hit the end).
// After a batch this large the driver keeps two READDIRs in flight; after
// a shorter one it keeps one, so that a listing that has ended costs no
// READDIR beyond the one answered EOF. Servers with smaller batches are
// still read correctly, one batch per round trip.
const fullBatch = 100

// ReadDir lists dir in the server's order, calling fn per entry (never
// "." or "..") until fn returns false or the listing ends.
func (fs *FS) ReadDir(ctx context.Context, dirN vfs.Node, fn func(vfs.DirEntry) bool) error {
	dir, err := nodeOf(dirN)
	if err != nil {
		return err
	}
	p := fs.path(dir)
	ctx, cancel, s, err := fs.begin(ctx, "readdir", p)
	if err != nil {
		return err
	}
	defer cancel()
	r, err := s.do(ctx, reqOpendir(p))
	if err != nil {
		return failure("readdir", p, err)
	}
	h, err := r.handle()
	if err != nil {
		// Not ESTALE for a removed directory: an open directory handle
		// lists through here, and Linux says ENOENT for it.
		return failure("readdir", p, err)
	}
	// Deferred first, so it runs last: the server executes requests in
	// order, so the READDIRs abandoned below are answered before CLOSE.
	defer s.send(reqClose(h)) // nobody needs to wait for it

	ra := readahead{s: s, h: h}
	defer ra.abandon()
	if err := ra.fill(ctx, 2); err != nil {
		return failure("readdir", p, err)
	}
	for {
		names, err := ra.next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return failure("readdir", p, err)
		}
		for _, e := range names {
			if e.name == "." || e.name == ".." {
				continue
			}
			if ctx.Err() != nil {
				return failure("readdir", p, ctxError(ctx))
			}
			de := vfs.DirEntry{
				Name:    e.name,
				Type:    e.attrs.perm & vfs.S_IFMT,
				HasAttr: true,
				Node:    newChild(dir, e.name, e.attrs),
				Attr:    toAttr(e.attrs),
			}
			if !fn(de) {
				return nil
			}
		}
	}
}

// readahead is the queue of READDIRs in flight on one directory handle,
// oldest first. Replies are consumed in the order the requests were sent,
// which is the order the server read the directory in, so no batch is
// skipped or seen twice.
type readahead struct {
	s        *session
	h        string
	inflight []*call
}

// fill sends READDIRs, in one batch, until n are in flight.
func (ra *readahead) fill(ctx context.Context, n int) error {
	if len(ra.inflight) >= n {
		return nil
	}
	pkts := make([]*packet, n-len(ra.inflight))
	for i := range pkts {
		pkts[i] = reqReaddir(ra.h)
	}
	calls, err := ra.s.start(ctx, pkts...)
	if err != nil {
		return err
	}
	ra.inflight = append(ra.inflight, calls...)
	return nil
}

// next waits for the oldest READDIR's batch (io.EOF at the end of the
// listing) and, before returning it, sends the READDIR that keeps the
// pipeline going.
func (ra *readahead) next(ctx context.Context) ([]nameEntry, error) {
	c := ra.inflight[0]
	ra.inflight = ra.inflight[1:]
	r, err := ra.s.wait(ctx, c) // on ctx done, wait abandons c itself
	if err != nil {
		return nil, err
	}
	names, err := r.names()
	if err != nil {
		return nil, err
	}
	ahead := 1
	if len(names) >= fullBatch {
		ahead = 2
	}
	if err := ra.fill(ctx, ahead); err != nil {
		return nil, err
	}
	return names, nil
}

// abandon gives up the READDIRs still in flight (listing stopped early or
// failed). Their ids are never reused, so their replies, when they come,
// match no pending call and are dropped without confusing later requests.
func (ra *readahead) abandon() {
	ra.s.abandon(ra.inflight...)
	ra.inflight = nil
}
