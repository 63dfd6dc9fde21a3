package main

// Tests of the in-process file commands against a real OpenSSH server
// (internal/sshtest) through sftp:// URLs: listing, reading, copying both
// ways, directory operations, absolute symlinks resolved as the server
// resolves them, and the errors a user sees.

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netvfs/netvfs/internal/sshtest"
)

// sftpServer starts sshd serving a fresh directory and returns it with the
// flags that make netvfs trust it and log in.
func sftpServer(t *testing.T) (*sshtest.Server, []string) {
	t.Helper()
	s := sshtest.Start(t, "")
	return s, []string{"-i", s.KeyFile, "--known-hosts", s.KnownHostsFile, "--ssh-config", "none", "--timeout", "20s"}
}

// withConn appends the connection flags to a command line.
func withConn(conn []string, args ...string) []string { return append(args, conn...) }

func TestSFTPCommands(t *testing.T) {
	s, conn := sftpServer(t)
	u := s.URL()
	putTestFile(t, filepath.Join(s.Root, "a.txt"), "alpha\n")
	putTestFile(t, filepath.Join(s.Root, "sub", "b.txt"), "beta\n")
	// An absolute symlink: with the server's "/" as the root it resolves
	// as on the server (rule P2 would otherwise keep it inside the URL).
	if err := os.Symlink(filepath.Join(s.Root, "sub", "b.txt"), filepath.Join(s.Root, "abs")); err != nil {
		t.Fatal(err)
	}

	if got := outLines(mustRun(t, withConn(conn, "ls", u)...).stdout); !slices.Equal(got, []string{"a.txt", "abs", "sub"}) {
		t.Errorf("ls: %q", got)
	}
	if got := mustRun(t, withConn(conn, "ls", "-l", u+"/sub")...).stdout; !strings.Contains(got, "-rw-r--r-- ") || !strings.HasSuffix(got, " b.txt\n") {
		t.Errorf("ls -l:\n%s", got)
	}
	if got := mustRun(t, withConn(conn, "cat", u+"/a.txt", u+"/abs")...).stdout; got != "alpha\nbeta\n" {
		t.Errorf("cat: %q", got)
	}
	if got := mustRun(t, withConn(conn, "stat", u+"/a.txt")...).stdout; !strings.Contains(got, "File: "+u+"/a.txt\n") || !strings.Contains(got, "Size: 6") {
		t.Errorf("stat:\n%s", got)
	}

	// put and get a file of several chunks, and a tree.
	local := t.TempDir()
	big := make([]byte, 2<<20+77)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(local, "big"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, withConn(conn, "put", filepath.Join(local, "big"), u+"/big")...)
	if b, err := os.ReadFile(filepath.Join(s.Root, "big")); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("put: err %v, equal %v", err, bytes.Equal(b, big))
	}
	mustRun(t, withConn(conn, "get", u+"/big", filepath.Join(local, "big2"))...)
	if b, err := os.ReadFile(filepath.Join(local, "big2")); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("get: err %v, equal %v", err, bytes.Equal(b, big))
	}
	mustRun(t, withConn(conn, "cp", "-r", u+"/sub", local)...)
	if getTestFile(t, filepath.Join(local, "sub", "b.txt")) != "beta\n" {
		t.Error("cp -r from the server")
	}
	mustRun(t, withConn(conn, "cp", u+"/a.txt", u+"/sub/a-copy")...) // server to server
	if getTestFile(t, filepath.Join(s.Root, "sub", "a-copy")) != "alpha\n" {
		t.Error("cp on the server")
	}

	// mkdir, mv, rm.
	mustRun(t, withConn(conn, "mkdir", "-p", u+"/d/e")...)
	mustRun(t, withConn(conn, "mv", u+"/a.txt", u+"/d/e")...)
	if getTestFile(t, filepath.Join(s.Root, "d", "e", "a.txt")) != "alpha\n" {
		t.Error("mv into a directory on the server")
	}
	mustFail(t, 1, []string{"remove " + u + "/d", "is a directory"}, withConn(conn, "rm", u+"/d")...)
	mustRun(t, withConn(conn, "rm", "-r", u+"/d", u+"/big")...)
	for _, gone := range []string{"d", "big"} {
		if _, err := os.Lstat(filepath.Join(s.Root, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there after rm: %v", gone, err)
		}
	}

	// Errors name the URL the user typed.
	mustFail(t, 1, []string{"netvfs cat: ", u + "/missing", "no such file or directory"}, withConn(conn, "cat", u+"/missing")...)
	mustFail(t, 1, []string{u + "/nodir/x", "no such file or directory"}, withConn(conn, "ls", u+"/nodir/x")...)
	mustFail(t, 1, []string{"invalid cross-device link"}, withConn(conn, "mv", u+"/sub", "local:"+local+"/sub2")...)
}

func TestSFTPUntrustedHostFails(t *testing.T) {
	s, _ := sftpServer(t)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	putTestFile(t, empty, "")
	r := mustFail(t, 1, []string{"connecting to sftp://"}, "ls", "-i", s.KeyFile, "--known-hosts", empty, "--ssh-config", "none", s.URL())
	if r.stdout != "" {
		t.Errorf("printed %q", r.stdout)
	}
}
