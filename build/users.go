package build

import (
	"fmt"
	"sort"
	"strings"
)

// account is a passwd entry; group a group entry.
type account struct {
	Name, Home, Shell, Gecos string
	UID, GID                 int
	Hash                     string // shadow field; "*" or "!" when locked
}

type group struct {
	Name    string
	GID     int
	Members []string
}

// accounts is the user database pdvm writes for base "none" (for base
// "debian", base-passwd's own files are used and only description users
// are added).
type accounts struct {
	users  []*account
	groups []*group
}

// debianStatic are the fixed ids of Debian's base-passwd (passwd.master,
// group.master) that services commonly run as or that files are owned by.
var debianStaticUsers = []account{
	{Name: "root", UID: 0, GID: 0, Home: "/root", Shell: "/bin/sh", Gecos: "root"},
	{Name: "daemon", UID: 1, GID: 1, Home: "/usr/sbin", Shell: "/usr/sbin/nologin", Gecos: "daemon"},
	{Name: "www-data", UID: 33, GID: 33, Home: "/var/www", Shell: "/usr/sbin/nologin", Gecos: "www-data"},
	{Name: "nobody", UID: 65534, GID: 65534, Home: "/nonexistent", Shell: "/usr/sbin/nologin", Gecos: "nobody"},
}

var debianStaticGroups = []group{
	{Name: "root", GID: 0}, {Name: "daemon", GID: 1}, {Name: "adm", GID: 4}, {Name: "tty", GID: 5},
	{Name: "disk", GID: 6}, {Name: "kmem", GID: 15}, {Name: "www-data", GID: 33}, {Name: "shadow", GID: 42},
	{Name: "utmp", GID: 43}, {Name: "sudo", GID: 27}, {Name: "users", GID: 100}, {Name: "nogroup", GID: 65534},
}

func newAccounts() *accounts {
	a := &accounts{}
	for _, u := range debianStaticUsers {
		u := u
		u.Hash = "*"
		if u.Name == "root" {
			u.Hash = "!"
		}
		a.users = append(a.users, &u)
	}
	for _, g := range debianStaticGroups {
		g := g
		a.groups = append(a.groups, &g)
	}
	return a
}

func (a *accounts) user(name string) *account {
	for _, u := range a.users {
		if u.Name == name {
			return u
		}
	}
	return nil
}

func (a *accounts) group(name string) *group {
	for _, g := range a.groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// ensureGroup returns the group, creating it with the next free id at or
// above from.
func (a *accounts) ensureGroup(name string, from int) *group {
	if g := a.group(name); g != nil {
		return g
	}
	id := from
	for a.gidUsed(id) {
		id++
	}
	g := &group{Name: name, GID: id}
	a.groups = append(a.groups, g)
	return g
}

func (a *accounts) gidUsed(id int) bool {
	for _, g := range a.groups {
		if g.GID == id {
			return true
		}
	}
	return false
}

func (a *accounts) uidUsed(id int) bool {
	for _, u := range a.users {
		if u.UID == id {
			return true
		}
	}
	return false
}

// addUser adds a description user with its own group.
func (a *accounts) addUser(u User, shell string) (*account, error) {
	if ex := a.user(u.Name); ex != nil {
		if u.PasswordHash != "" {
			ex.Hash = u.PasswordHash
		}
		return ex, nil
	}
	uid := u.UID
	if uid == 0 {
		uid = 1000
		for a.uidUsed(uid) {
			uid++
		}
	} else if a.uidUsed(uid) {
		return nil, fmt.Errorf("user %s: uid %d is already taken", u.Name, uid)
	}
	g := a.group(u.Name)
	if g == nil {
		gid := uid
		for a.gidUsed(gid) {
			gid++
		}
		g = &group{Name: u.Name, GID: gid}
		a.groups = append(a.groups, g)
	}
	home := u.Home
	if home == "" {
		home = "/home/" + u.Name
	}
	if u.Shell != "" {
		shell = u.Shell
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = "!"
	}
	acc := &account{Name: u.Name, UID: uid, GID: g.GID, Home: home, Shell: shell, Hash: hash}
	a.users = append(a.users, acc)
	for _, gn := range u.Groups {
		gr := a.ensureGroup(gn, 1000)
		gr.Members = append(gr.Members, u.Name)
	}
	if u.Sudo {
		gr := a.ensureGroup("sudo", 27)
		gr.Members = append(gr.Members, u.Name)
	}
	return acc, nil
}

// ids resolves "user" or "user:group" to numeric ids.
func (a *accounts) ids(owner string) (int, int, error) {
	if owner == "" {
		return 0, 0, nil
	}
	un, gn, hasG := strings.Cut(owner, ":")
	u := a.user(un)
	if u == nil {
		return 0, 0, fmt.Errorf("owner %q: no user %s in the image", owner, un)
	}
	gid := u.GID
	if hasG {
		g := a.group(gn)
		if g == nil {
			return 0, 0, fmt.Errorf("owner %q: no group %s in the image", owner, gn)
		}
		gid = g.GID
	}
	return u.UID, gid, nil
}

func (a *accounts) files(days int) (passwd, groupf, shadow, gshadow []byte) {
	us := append([]*account(nil), a.users...)
	sort.SliceStable(us, func(i, j int) bool { return us[i].UID < us[j].UID })
	gs := append([]*group(nil), a.groups...)
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].GID < gs[j].GID })
	var p, g, s, gsh strings.Builder
	for _, u := range us {
		fmt.Fprintf(&p, "%s:x:%d:%d:%s:%s:%s\n", u.Name, u.UID, u.GID, u.Gecos, u.Home, u.Shell)
		fmt.Fprintf(&s, "%s:%s:%d:0:99999:7:::\n", u.Name, u.Hash, days)
	}
	for _, gr := range gs {
		m := append([]string(nil), gr.Members...)
		sort.Strings(m)
		fmt.Fprintf(&g, "%s:x:%d:%s\n", gr.Name, gr.GID, strings.Join(m, ","))
		fmt.Fprintf(&gsh, "%s:*::%s\n", gr.Name, strings.Join(m, ","))
	}
	return []byte(p.String()), []byte(g.String()), []byte(s.String()), []byte(gsh.String())
}

// addSystemUser adds a dynamic system account (uid and gid from 100 up,
// no login), as adduser --system does.
func (a *accounts) addSystemUser(name, home string) {
	if a.user(name) != nil {
		return
	}
	id := 100
	for a.uidUsed(id) || a.gidUsed(id) {
		id++
	}
	g := a.group(name)
	if g == nil {
		g = &group{Name: name, GID: id}
		a.groups = append(a.groups, g)
	}
	a.users = append(a.users, &account{Name: name, UID: id, GID: g.GID, Home: home, Shell: "/usr/sbin/nologin", Hash: "*"})
}
