package test

// Permissions through the kernel (default_permissions, allow_other): a
// script run as uid nobody gets the same answers on the mounts as on a
// local directory with the same modes: EACCES for a 0700 directory and a
// 0600 file, EPERM for chmod of someone else's file and for deleting
// another user's file from a sticky directory.

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/fuse"
)

const nobodyID = 65534

// permScript is run as nobody in a prepared directory. Each step prints its
// name and "ok" or the error text of the failing command (the part after
// the last ": ", such as "Permission denied").
const permScript = `
step() {
	name=$1; shift
	if out=$("$@" 2>&1); then echo "$name: ok"; else echo "$name: ${out##*: }"; fi
}
step touch-in-private    touch private/x
step list-private        ls private
step read-secret         cat secret
step read-public         cat public
step append-public       sh -c 'echo x >> public'
step create-in-shared    touch shared/mine
step mkdir-in-shared     mkdir shared/sub
step remove-from-root    rm -f public
step chmod-public        chmod 666 public
step remove-in-sticky    rm -f sticky/roots
step remove-own-sticky   sh -c 'touch sticky/own && rm sticky/own'
step rename-in-private   mv private/f private/g
step exec-script         ./script.sh
`

// permSetup prepares dir (as root) for permScript.
func permSetup(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"private", 0o700}, {"shared", 0o777}, {"sticky", 0o777 | os.ModeSticky}} {
		if err := os.Mkdir(dir+"/"+d.name, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir+"/"+d.name, d.mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []struct {
		name string
		mode os.FileMode
		data string
	}{
		{"secret", 0o600, "secret"},
		{"public", 0o644, "public"},
		{"private/f", 0o644, "f"},
		{"sticky/roots", 0o666, "root's"},
		{"script.sh", 0o755, "#!/bin/sh\necho ran\n"},
	} {
		if err := os.WriteFile(dir+"/"+f.name, []byte(f.data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir+"/"+f.name, f.mode); err != nil {
			t.Fatal(err)
		}
	}
}

// runAsNobody runs script as nobody in dir and returns its output.
func runAsNobody(t *testing.T, dir, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", "cd "+shellQuote(dir)+" && "+script) // not cmd.Dir: see sh
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyID, Gid: nobodyID}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running as nobody in %s: %v\n%s", dir, err, out)
	}
	return string(out)
}

func TestMountPermissionsAsNobody(t *testing.T) {
	mounts := mntBoth(t, nil, fuse.Options{AllowOther: true})
	local := mntDir(t)
	permSetup(t, local)
	want := runAsNobody(t, local, permScript)
	for _, step := range []string{"touch-in-private: Permission denied", "read-secret: Permission denied",
		"read-public: ok", "chmod-public: Operation not permitted", "remove-in-sticky: Operation not permitted", "exec-script: ok"} {
		if !strings.Contains(want, step+"\n") {
			t.Fatalf("on a local directory the script does not give %q (a wrong test):\n%s", step, want)
		}
	}
	for _, m := range mounts {
		if err := os.Chmod(m.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		permSetup(t, m.dir)
		if got := runAsNobody(t, m.dir, permScript); got != want {
			t.Errorf("%s as nobody:\n%s\na local directory:\n%s", m.name, got, want)
		}
	}
}

func TestMountWithoutAllowOtherKeepsOthersOut(t *testing.T) {
	m := mntMemfs(t, nil, fuse.Options{})
	os.Chmod(m.dir, 0o777)
	out := runAsNobody(t, "/", `if ls `+m.dir+` >/dev/null 2>&1; then echo in; else echo out; fi`)
	if out != "out\n" {
		t.Fatalf("without allow_other another user can list the mount: %q", out)
	}
}
