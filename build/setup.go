package build

// Package setup as data
//
// With base "none" no maintainer script runs, so what a package's postinst
// would have done for a service to work is recorded here as data, keyed by
// package name, and applied when the package is in the lock. Each entry
// is the part of the postinst a service needs at run time (users, log
// directories, the enabled default site), nothing for upgrades, debconf or
// init-system integration.

// Setup is what a package's maintainer scripts would have set up.
type Setup struct {
	Users    []string // static Debian users (see debianStaticUsers) the package needs
	Dirs     []SetupDir
	Touch    []SetupDir  // empty files (log files)
	Symlinks [][2]string // {path, target}, created only when path is absent
	Copies   [][2]string // {from, to}, only when "to" is absent
	Own      []SetupDir  // owner and mode set last (copied files)
	// Service is the default way to run the package's daemon in the
	// foreground, used when a description's service names the package's
	// program without arguments.
	Service []string
	// Autostart runs Service even when the description declares no
	// service for it (an SSH server pulled in by the "server" template).
	Autostart bool
	// SystemUsers are dynamic system accounts the postinst would create
	// with adduser --system: {name, home}.
	SystemUsers [][2]string
	// Files are written when absent: {path, content}.
	Files [][2]string
	// Before are commands pdvm's init runs at every boot before the
	// services start (generating host keys, say: they must not be baked
	// into an image that many VMs share).
	Before [][]string
}

// SetupDir is a directory or file with its mode and owner.
type SetupDir struct {
	Path  string
	Mode  uint32
	Owner string // user:group
}

// PackageSetup is the table of package setups.
var PackageSetup = map[string]Setup{
	// libpam-runtime's postinst runs pam-auth-update, which writes the
	// common-* stacks from /usr/share/pam-configs (pam_unix only here);
	// keyed to libpam-modules, which brings pam_unix.so, because a sudo
	// closure need not contain libpam-runtime.
	"libpam-modules": {Files: [][2]string{
		{"/etc/pam.d/other", "@include common-auth\n@include common-account\n@include common-password\n@include common-session\n"},
		{"/etc/pam.d/common-auth", "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\t\t\tpam_deny.so\nauth\trequired\t\t\tpam_permit.so\n"},
		{"/etc/pam.d/common-account", "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so\naccount\trequisite\t\t\tpam_deny.so\naccount\trequired\t\t\tpam_permit.so\n"},
		{"/etc/pam.d/common-session", "session\t[default=1]\t\t\tpam_permit.so\nsession\trequisite\t\t\tpam_deny.so\nsession\trequired\t\t\tpam_permit.so\nsession\trequired\tpam_unix.so\n"},
		{"/etc/pam.d/common-session-noninteractive", "session\t[default=1]\t\t\tpam_permit.so\nsession\trequisite\t\t\tpam_deny.so\nsession\trequired\t\t\tpam_permit.so\nsession\trequired\tpam_unix.so\n"},
		{"/etc/pam.d/common-password", "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword\trequisite\t\t\tpam_deny.so\npassword\trequired\t\t\tpam_permit.so\n"},
	}},
	// nginx-common's postinst: log dir root:adm 0755, log files
	// www-data:adm 0640, sites-enabled/default, default index page.
	"nginx-common": {
		Users: []string{"www-data"},
		Dirs: []SetupDir{
			{Path: "/var/log/nginx", Mode: 0o755, Owner: "root:adm"},
			{Path: "/var/lib/nginx", Mode: 0o755, Owner: "root:root"},
			{Path: "/var/www/html", Mode: 0o755, Owner: "root:root"},
		},
		Touch: []SetupDir{
			{Path: "/var/log/nginx/access.log", Mode: 0o640, Owner: "www-data:adm"},
			{Path: "/var/log/nginx/error.log", Mode: 0o640, Owner: "www-data:adm"},
		},
		Symlinks: [][2]string{{"/etc/nginx/sites-enabled/default", "/etc/nginx/sites-available/default"}},
		Copies:   [][2]string{{"/usr/share/nginx/html/index.html", "/var/www/html/index.nginx-debian.html"}},
	},
	"nginx": {Service: []string{"/usr/sbin/nginx", "-g", "daemon off; master_process on;"}},
	// openssh-server's postinst: the sshd privilege-separation user,
	// host keys (here: at boot), /run/sshd.
	"openssh-server": {
		SystemUsers: [][2]string{{"sshd", "/run/sshd"}},
		Dirs:        []SetupDir{{Path: "/run/sshd", Mode: 0o755, Owner: "root:root"}},
		Before:      [][]string{{"/usr/bin/ssh-keygen", "-A"}},
		Service:     []string{"/usr/sbin/sshd", "-D", "-e"},
		Autostart:   true,
	},
	// dropbear -R makes its host keys on the first connection.
	// unbound's postinst: the unbound system user and the DNSSEC root
	// trust anchor it keeps up to date in /var/lib/unbound.
	"unbound": {
		SystemUsers: [][2]string{{"unbound", "/var/lib/unbound"}},
		Dirs:        []SetupDir{{Path: "/var/lib/unbound", Mode: 0o755, Owner: "unbound:unbound"}},
		Copies:      [][2]string{{"/usr/share/dns/root.key", "/var/lib/unbound/root.key"}},
		Own:         []SetupDir{{Path: "/var/lib/unbound/root.key", Mode: 0o644, Owner: "unbound:unbound"}},
	},
	"dropbear-bin": {
		Dirs:      []SetupDir{{Path: "/etc/dropbear", Mode: 0o755, Owner: "root:root"}},
		Service:   []string{"/usr/sbin/dropbear", "-F", "-E", "-R"},
		Autostart: true,
	},
	"redis-server": {Service: []string{"/usr/bin/redis-server", "--daemonize", "no"}},
}
