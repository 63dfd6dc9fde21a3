// Command netvfs mounts network filesystems through the netvfs core and
// works with them without a mount.
//
//	netvfs mount [flags] [URL] MOUNTPOINT
//	netvfs umount [-l] MOUNTPOINT
//	netvfs help [COMMAND]
//
// Each subcommand lives in its own file and registers itself from an init
// function with register; main only dispatches. A subcommand returns nil, a
// usage error (exit status 2, see usagef) or any other error (status 1).
package main

// The dispatcher: the registry of subcommands (written by init functions
// before main runs, read-only after), help, exit statuses, and the context
// every subcommand runs with: cancelled by the first SIGINT or SIGTERM.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one registered subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

// commands is the registry; filled by init functions only.
var commands = map[string]*command{}

// register adds a subcommand. Call it from an init function of the file
// that implements the command:
//
//	func init() { register("cat", "print files", runCat) }
//
// run gets the arguments after the command name and a context cancelled on
// SIGINT/SIGTERM. It should parse them with newFlagSet, so that -h prints
// its usage and a bad flag is a usage error.
func register(name, summary string, run func(ctx context.Context, args []string) error) {
	if _, dup := commands[name]; dup {
		panic("netvfs: command registered twice: " + name)
	}
	commands[name] = &command{name: name, summary: summary, run: run}
}

// usageError is bad input: main prints it with the command's usage hint and
// exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// newFlagSet returns a flag set for a subcommand whose -h prints synopsis
// (one or more lines, without the leading "usage: ") and the flags.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("netvfs "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	fs.Usage = func() {
		fmt.Fprintf(os.Stdout, "usage: %s\n\nflags:\n", synopsis)
		fs.SetOutput(os.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args with fs, allowing flags after positional
// arguments (netvfs mount URL DIR -o ro), and returns the positional ones.
// "--" ends the flags. A bad flag is a usage error; -h is flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) { // fs.Parse printed the usage
				return nil, flag.ErrHelp
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" { // fs.Parse stopped at "--" only if it was first
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := commands[args[1]]; c != nil {
				c.run(context.Background(), []string{"-h"})
				return 0
			}
			fmt.Fprintf(stderr, "netvfs: unknown command %q\n", args[1])
			return 2
		}
		printHelp(stdout)
		return 0
	}
	c := commands[name]
	if c == nil {
		fmt.Fprintf(stderr, "netvfs: unknown command %q (run `netvfs help` for the list)\n", name)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := c.run(ctx, args[1:])
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "netvfs %s: %v\nrun `netvfs help %s` for usage\n", name, err, name)
		return 2
	default:
		fmt.Fprintf(stderr, "netvfs %s: %v\n", name, err)
		return 1
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "netvfs: a userspace VFS for network filesystems\n\nusage: netvfs COMMAND [ARGS]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n\nrun `netvfs help COMMAND` for a command's flags\n", "help", "show this list, or a command's usage")
}
