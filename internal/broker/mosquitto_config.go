package broker

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// passwdIterations is the PBKDF2 round count mosquitto_passwd 2.0 uses.
const passwdIterations = 101

// passwdLine returns a mosquitto password-file line for user:
//
//	user:$7$101$<base64 salt>$<base64 hash>
//
// where the hash is PBKDF2-HMAC-SHA512 of the password over the 12 raw
// salt bytes, 64 bytes long: the format mosquitto_passwd 2.0 writes.
func passwdLine(user, password string, salt []byte) (string, error) {
	if strings.ContainsAny(user, ":\n") {
		return "", fmt.Errorf("broker: user name %q contains ':' or a newline", user)
	}
	hash, err := pbkdf2.Key(sha512.New, password, salt, passwdIterations, sha512.Size)
	if err != nil {
		return "", err
	}
	enc := base64.StdEncoding
	return fmt.Sprintf("%s:$7$%d$%s$%s\n", user, passwdIterations, enc.EncodeToString(salt), enc.EncodeToString(hash)), nil
}

// writePasswordFile writes users to path in mosquitto's password-file
// format, in user-name order, each with a fresh random salt.
func writePasswordFile(path string, users map[string]string) error {
	var b strings.Builder
	for _, u := range sortedKeys(users) {
		salt := make([]byte, 12)
		rand.Read(salt)
		line, err := passwdLine(u, users[u], salt)
		if err != nil {
			return err
		}
		b.WriteString(line)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// dynsecPluginPaths are where Debian, Fedora and source installs put the
// dynamic-security plugin; the first existing one is used.
var dynsecPluginPaths = []string{
	"/usr/lib/*/mosquitto_dynamic_security.so",
	"/usr/lib/mosquitto_dynamic_security.so",
	"/usr/lib64/mosquitto_dynamic_security.so",
	"/usr/local/lib/mosquitto_dynamic_security.so",
	"/usr/local/lib/*/mosquitto_dynamic_security.so",
}

func findDynsecPlugin() (string, error) {
	for _, pattern := range dynsecPluginPaths {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && !fi.IsDir() {
				return m, nil
			}
		}
	}
	return "", ErrNoDynsec
}

// The dynamic-security configuration, the subset of its JSON that is
// needed to deny filters.
type dynsecConfig struct {
	DefaultACLAccess map[string]bool `json:"defaultACLAccess"`
	Clients          []dynsecClient  `json:"clients"`
	Groups           []dynsecGroup   `json:"groups"`
	Roles            []dynsecRole    `json:"roles"`
	AnonymousGroup   string          `json:"anonymousGroup"`
}

type dynsecClient struct {
	Username string          `json:"username"`
	Roles    []dynsecRoleRef `json:"roles"`
}

type dynsecGroup struct {
	Groupname string          `json:"groupname"`
	Roles     []dynsecRoleRef `json:"roles"`
}

type dynsecRoleRef struct {
	Rolename string `json:"rolename"`
}

type dynsecRole struct {
	Rolename string      `json:"rolename"`
	ACLs     []dynsecACL `json:"acls"`
}

type dynsecACL struct {
	ACLType  string `json:"acltype"`
	Topic    string `json:"topic"`
	Priority int    `json:"priority"`
	Allow    bool   `json:"allow"`
}

// dynsecJSON returns a dynamic-security configuration that allows
// everything except subscribing to, publishing to and receiving from the
// deny filters, for anonymous clients and for each user. The users carry
// no password: the password file authenticates them, the plugin only
// gives them the role (a user the plugin does not know is denied every
// subscription).
func dynsecJSON(deny []string, users map[string]string) ([]byte, error) {
	const role, group = "onmqtt-deny", "onmqtt-anonymous"
	r := dynsecRole{Rolename: role}
	for _, f := range deny {
		for _, t := range []string{"subscribePattern", "publishClientSend", "publishClientReceive"} {
			r.ACLs = append(r.ACLs, dynsecACL{ACLType: t, Topic: f, Allow: false})
		}
	}
	ref := []dynsecRoleRef{{Rolename: role}}
	c := dynsecConfig{
		DefaultACLAccess: map[string]bool{
			"publishClientSend": true, "publishClientReceive": true, "subscribe": true, "unsubscribe": true,
		},
		Clients:        []dynsecClient{},
		Groups:         []dynsecGroup{{Groupname: group, Roles: ref}},
		Roles:          []dynsecRole{r},
		AnonymousGroup: group,
	}
	for _, u := range sortedKeys(users) {
		// Group membership read from the file did not grant roles in
		// mosquitto 2.0.11; roles given to the client directly do.
		c.Clients = append(c.Clients, dynsecClient{Username: u, Roles: ref})
	}
	return json.MarshalIndent(c, "", "  ")
}

// config returns mosquitto.conf for m's options, ports and files.
func (m *Mosquitto) config() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	o := &m.opts

	line("# Generated for one test run.")
	if os.Geteuid() == 0 {
		// Started as root, mosquitto switches to the "mosquitto" user,
		// which cannot read this private directory.
		line("user root")
	}
	if o.Persistence {
		line("persistence true")
		line("persistence_location %s/", m.dataDir())
	} else {
		line("persistence false")
	}
	line("log_dest file %s", m.logPath())
	if o.LogAll {
		line("log_type all")
	} else {
		for _, t := range []string{"error", "warning", "notice", "information"} {
			line("log_type %s", t)
		}
	}
	line("connection_messages true")
	line("log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S")
	line("set_tcp_nodelay true")
	line("max_inflight_messages %d", o.MaxInflightMessages)
	line("max_queued_messages %d", o.MaxQueuedMessages)
	line("allow_anonymous %t", o.Users == nil)
	if o.Users != nil {
		line("password_file %s", m.passwdPath())
	}
	if len(o.DenyFilters) > 0 {
		line("plugin %s", m.dynsecPlugin)
		line("plugin_opt_config_file %s", m.dynsecPath())
	}
	if o.ExtraConfig != "" {
		b.WriteString(strings.TrimRight(o.ExtraConfig, "\n") + "\n")
	}

	line("")
	line("listener %d 127.0.0.1", m.port)
	if m.tlsPort != 0 {
		line("")
		line("listener %d 127.0.0.1", m.tlsPort)
		line("cafile %s", m.files.CA)
		line("certfile %s", m.files.ServerCert)
		line("keyfile %s", m.files.ServerKey)
		line("require_certificate %t", o.RequireCertificate)
	}
	if m.wsPort != 0 {
		line("")
		line("listener %d 127.0.0.1", m.wsPort)
		line("protocol websockets")
	}
	if m.sock != "" {
		line("")
		line("listener 0 %s", m.sock)
	}
	return b.String()
}
