package main

// Argument handling shared by the in-process file commands: combined short
// flags (ls -lR, rm -rf) and coreutils-style reporting of per-operand
// errors (go on with the next operand, exit status 1 at the end).
// No shared state.

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// splitShortFlags expands "-lR" into "-l", "-R" when every letter is a
// one-letter boolean flag of fs and "-lR" is not a flag itself, so that
// parseFlags (package flag) accepts what coreutils users type. Arguments
// after "--" are left alone.
func splitShortFlags(fs *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' && !strings.Contains(a, "=") && fs.Lookup(a[1:]) == nil && allShortBools(fs, a[1:]) {
			for _, c := range a[1:] {
				out = append(out, "-"+string(c))
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func allShortBools(fs *flag.FlagSet, letters string) bool {
	for _, c := range letters {
		f := fs.Lookup(string(c))
		if f == nil {
			return false
		}
		b, ok := f.Value.(interface{ IsBoolFlag() bool })
		if !ok || !b.IsBoolFlag() {
			return false
		}
	}
	return true
}

// operandErrors collects the errors of independent operands (ls a b c).
// An error is held until the next operand starts, then printed, so that
// stdout and stderr keep their order and the last error is the one the
// command returns (main prints it and exits with status 1).
type operandErrors struct {
	cmd     string
	stderr  io.Writer
	pending error
	failed  int // operands that failed
	seen    int // operands started
	warned  int // failures inside an operand (an entry of a tree)
}

// next is called before each operand: it prints the error held, if any.
func (o *operandErrors) next() {
	o.seen++
	if o.pending != nil {
		fmt.Fprintf(o.stderr, "netvfs %s: %v\n", o.cmd, o.pending)
		o.pending = nil
	}
}

// fail records the current operand's error.
func (o *operandErrors) fail(err error) {
	o.pending = err
	o.failed++
}

// warn reports a failure inside an operand (one entry of a tree) at once;
// the operand goes on. Flush buffered output first to keep the order.
func (o *operandErrors) warn(err error) {
	fmt.Fprintf(o.stderr, "netvfs %s: %v\n", o.cmd, err)
	o.warned++
}

// err is the command's result: the last operand's error, or a summary when
// earlier ones failed (already printed) and the last did not.
func (o *operandErrors) err() error {
	switch {
	case o.pending != nil:
		return o.pending
	case o.failed > 0:
		return fmt.Errorf("%d of %d operands failed (see above)", o.failed, o.seen)
	case o.warned > 0:
		return fmt.Errorf("%d error(s) (see above)", o.warned)
	}
	return nil
}
