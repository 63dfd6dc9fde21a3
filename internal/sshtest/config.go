package sshtest

// This file renders the server's own sshd_config (the system one is never
// read) and, for clients, an ssh_config snippet naming the server. Nothing
// here is shared between goroutines.

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// sshdPath is where Debian's openssh-server installs sshd. sshd must be run
// by absolute path (it re-executes itself for every connection).
const sshdPath = "/usr/sbin/sshd"

// missingSSHDMessage is the failure shown when sshd is not installed. Tests
// fail rather than skip so that a missing server is never counted as a pass.
const missingSSHDMessage = "sshtest: " + sshdPath + " not found: OpenSSH's sshd is required; " +
	"run the test command from README.md, which installs it " +
	"(apt-get update && apt-get install -y openssh-server)"

// sshdVersion returns OpenSSH's (major, minor) version as reported by
// `sshd -V`, or (0, 0) if it cannot be parsed.
func sshdVersion() (major, minor int) {
	out, _ := exec.Command(sshdPath, "-V").CombinedOutput()
	m := regexp.MustCompile(`OpenSSH_(\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil {
		return 0, 0
	}
	major, _ = strconv.Atoi(string(m[1]))
	minor, _ = strconv.Atoi(string(m[2]))
	return major, minor
}

// sshdConfig renders the daemon configuration for a server listening on
// 127.0.0.1:port with its state in dir.
func sshdConfig(dir string, port int) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# sshtest: throwaway test server; generated, never the system config")
	line("Port %d", port)
	line("ListenAddress 127.0.0.1")
	line("AddressFamily inet")
	line("HostKey %s/ssh_host_ed25519_key", dir)
	line("PidFile %s/sshd.pid", dir)
	line("AuthorizedKeysFile %s/authorized_keys", dir)
	line("PermitRootLogin prohibit-password")
	line("StrictModes no")
	line("UsePAM no")
	line("PubkeyAuthentication yes")
	line("PasswordAuthentication no")
	line("KbdInteractiveAuthentication no")
	line("AllowAgentForwarding no")
	line("AllowTcpForwarding no")
	line("X11Forwarding no")
	line("PermitTTY no")
	line("PrintMotd no")
	line("UseDNS no")
	// Tests reconnect often and cut connections on purpose: never throttle.
	line("MaxStartups 200")
	line("MaxSessions 64")
	line("LoginGraceTime 30")
	if major, minor := sshdVersion(); major > 9 || (major == 9 && minor >= 8) {
		// OpenSSH 9.8 penalises sources whose connections end early
		// (host-key rejections, cut connections): tests do that on purpose.
		line("PerSourcePenalties no")
	}
	line("LogLevel ERROR")
	line("Subsystem sftp internal-sftp")
	return b.String()
}

// WriteSSHConfig writes an ssh_config(5) snippet to path that names this
// server as Host alias (HostName, Port, User, IdentityFile,
// UserKnownHostsFile, StrictHostKeyChecking yes), for clients that read
// ~/.ssh/config-style files (OpenSSH's ssh and sftp with -F, or a driver's
// ConfigFile option).
func (s *Server) WriteSSHConfig(path, alias string) error {
	snippet := fmt.Sprintf("Host %s\n"+
		"  HostName 127.0.0.1\n"+
		"  Port %d\n"+
		"  User %s\n"+
		"  IdentityFile %s\n"+
		"  IdentitiesOnly yes\n"+
		"  UserKnownHostsFile %s\n"+
		"  StrictHostKeyChecking yes\n",
		alias, s.Port, s.User, s.KeyFile, s.KnownHostsFile)
	return os.WriteFile(path, []byte(snippet), 0o600)
}
