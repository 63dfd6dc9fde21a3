package memfs

// Tests of extended attributes against Linux's rules.

import (
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/netvfs/netvfs/vfs"
)

func TestXattrLifecycle(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "")
	_, err := m.GetXattr(bg, f, "user.missing")
	wantErrno(t, "Get missing", err, syscall.ENODATA)
	wantErrno(t, "Replace missing", m.SetXattr(bg, f, "user.a", []byte("x"), xattrReplace), syscall.ENODATA)
	before := getattr(t, m, f)
	must(t, "Set create", m.SetXattr(bg, f, "user.a", []byte("one"), xattrCreate))
	if a := getattr(t, m, f); a.CtimeNs <= before.CtimeNs || a.MtimeNs != before.MtimeNs {
		t.Errorf("setxattr must move ctime only")
	}
	wantErrno(t, "Create existing", m.SetXattr(bg, f, "user.a", []byte("x"), xattrCreate), syscall.EEXIST)
	must(t, "Set replace", m.SetXattr(bg, f, "user.a", []byte("two"), xattrReplace))
	value := []byte("three")
	must(t, "Set", m.SetXattr(bg, f, "trusted.b", value, 0))
	value[0] = 'X' // the driver kept its own copy
	must(t, "Set empty", m.SetXattr(bg, f, "security.c", nil, 0))
	got, err := m.GetXattr(bg, f, "trusted.b")
	must(t, "Get", err)
	if string(got) != "three" {
		t.Errorf("Get = %q", got)
	}
	got[0] = 'Y'
	if again, _ := m.GetXattr(bg, f, "trusted.b"); string(again) != "three" {
		t.Errorf("Get returned the driver's own buffer")
	}
	list, err := m.ListXattr(bg, f)
	must(t, "List", err)
	if !slices.Equal(list, []string{"security.c", "trusted.b", "user.a"}) {
		t.Errorf("List = %q", list)
	}
	must(t, "Remove", m.RemoveXattr(bg, f, "user.a"))
	wantErrno(t, "Remove again", m.RemoveXattr(bg, f, "user.a"), syscall.ENODATA)
	wantErrno(t, "bad flags", m.SetXattr(bg, f, "user.z", nil, 4), syscall.EINVAL)
}

func TestXattrNameAndValueLimits(t *testing.T) {
	m, root := setup(t, Options{})
	f := createFile(t, m, root, "f", "")
	l, _, err := m.Symlink(bg, root, "l", "f")
	must(t, "Symlink", err)
	cases := []struct {
		what  string
		node  vfs.Node
		name  string
		value []byte
		want  syscall.Errno
	}{
		{"no namespace", f, "plain", nil, syscall.EOPNOTSUPP},
		{"system namespace", f, "system.posix_acl_access", nil, syscall.EOPNOTSUPP},
		{"empty suffix", f, "user.", nil, syscall.EINVAL},
		{"empty name", f, "", nil, syscall.ERANGE},
		{"long name", f, "user." + strings.Repeat("n", 251), nil, syscall.ERANGE},
		{"big value", f, "user.big", make([]byte, 65537), syscall.E2BIG},
		{"user on symlink", l, "user.x", nil, syscall.EPERM},
	}
	for _, c := range cases {
		wantErrno(t, c.what, m.SetXattr(bg, c.node, c.name, c.value, 0), c.want)
	}
	must(t, "largest value", m.SetXattr(bg, f, "user."+strings.Repeat("n", 250), make([]byte, 65536), 0))
	must(t, "trusted on symlink", m.SetXattr(bg, l, "trusted.x", []byte("v"), 0))
	_, err = m.GetXattr(bg, l, "user.x")
	wantErrno(t, "get user on symlink", err, syscall.ENODATA)
}
