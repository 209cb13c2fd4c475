package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// connFlags are the connection flags every subcommand shares.
type connFlags struct {
	host       string
	port       int
	url        string
	user       string
	password   string
	id         string
	keepalive  int
	version    string
	persistent bool
	cafile     string
	cert       string
	key        string
	insecure   bool
	timeout    time.Duration
}

// register adds the connection flags to fs.
func (f *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.host, "h", "localhost", "broker `host`")
	fs.IntVar(&f.port, "p", 0, "broker `port` (default 1883, 8883 with TLS)")
	fs.StringVar(&f.url, "L", "", "broker `URL` instead of -h and -p (mqtt://user:pass@host:port/topic, ws://..., unix:///path)")
	fs.StringVar(&f.user, "u", "", "user `name`")
	fs.StringVar(&f.password, "P", "", "`password`")
	fs.StringVar(&f.id, "i", "", "client `id` (default: a random one)")
	fs.IntVar(&f.keepalive, "k", 60, "keepalive in `seconds` (0: off)")
	fs.StringVar(&f.version, "V", "311", "protocol `version`: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5)")
	fs.BoolVar(&f.persistent, "c", false, "ask for a persistent session (clean session off)")
	fs.StringVar(&f.cafile, "cafile", "", "PEM `file` of trusted certificate authorities; turns TLS on")
	fs.StringVar(&f.cert, "cert", "", "client certificate PEM `file` (with --key); turns TLS on")
	fs.StringVar(&f.key, "key", "", "client private key PEM `file`")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the server certificate")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "bound on connecting")
}

// target is where to connect, from the connection flags.
type target struct {
	url   string // the URL for client.Connect, without user information
	topic string // the topic in an -L URL's path, "" when none
	tls   bool
}

// tlsSchemes are the URL schemes that use TLS.
var tlsSchemes = map[string]bool{"mqtts": true, "tls": true, "ssl": true, "wss": true}

// topicSchemes are the URL schemes whose path names a topic, as in
// mosquitto's -L.
var topicSchemes = map[string]bool{"mqtt": true, "mqtts": true, "tcp": true, "tls": true, "ssl": true}

// target works out the URL to dial, and takes user information from an
// -L URL into f.
func (f *connFlags) target() (target, error) {
	wantTLS := f.cafile != "" || f.cert != "" || f.insecure
	if f.url == "" {
		if f.port < 0 || f.port > 65535 {
			return target{}, usageError("port %d out of range", f.port)
		}
		scheme, port := "tcp", 1883
		if wantTLS {
			scheme, port = "tls", 8883
		}
		if f.port != 0 {
			port = f.port
		}
		return target{url: scheme + "://" + net.JoinHostPort(f.host, strconv.Itoa(port)), tls: wantTLS}, nil
	}
	u, err := url.Parse(f.url)
	if err != nil {
		return target{}, usageError("-L: %v", err)
	}
	switch u.Scheme {
	case "mqtt", "mqtts", "tcp", "tls", "ssl", "ws", "wss", "unix":
	default:
		return target{}, usageError("-L: unsupported scheme %q", u.Scheme)
	}
	if u.User != nil {
		if f.user == "" {
			f.user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && f.password == "" {
			f.password = p
		}
		u.User = nil
	}
	t := target{tls: tlsSchemes[u.Scheme]}
	if topicSchemes[u.Scheme] {
		t.topic = strings.TrimPrefix(u.Path, "/")
		u.Path, u.RawPath = "", ""
	}
	if t.tls != wantTLS && wantTLS {
		return target{}, usageError("--cafile, --cert and --insecure need a TLS URL (mqtts://, tls://, ssl://, wss://)")
	}
	t.url = u.String()
	return t, nil
}

// protocol parses -V.
func (f *connFlags) protocol() (message.Version, error) {
	switch f.version {
	case "31", "mqttv31", "3.1":
		return message.V31, nil
	case "311", "mqttv311", "3.1.1":
		return message.V311, nil
	case "5", "mqttv5", "5.0":
		return message.V5, nil
	}
	return 0, usageError("-V %q: want 31, 311 or 5", f.version)
}

// tlsConfig builds the TLS configuration from --cafile, --cert, --key and
// --insecure; nil means the client's default (system roots).
func (f *connFlags) tlsConfig() (*tls.Config, error) {
	if f.cafile == "" && f.cert == "" && f.key == "" && !f.insecure {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: f.insecure}
	if f.cafile != "" {
		pem, err := os.ReadFile(f.cafile)
		if err != nil {
			return nil, fmt.Errorf("--cafile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError("--cafile %s: no PEM certificate in it", f.cafile)
		}
		cfg.RootCAs = pool
	}
	if (f.cert == "") != (f.key == "") {
		return nil, usageError("--cert and --key go together")
	}
	if f.cert != "" {
		pair, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return nil, fmt.Errorf("--cert/--key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// options returns the client options the connection flags ask for, with
// the client identifier id when -i was not given ("" for a random one).
func (f *connFlags) options(id string) ([]client.Option, error) {
	v, err := f.protocol()
	if err != nil {
		return nil, err
	}
	if f.keepalive < 0 || f.keepalive > 65535 {
		return nil, usageError("-k %d: want 0 to 65535 seconds", f.keepalive)
	}
	if f.persistent && f.id == "" && id == "" {
		return nil, usageError("-c needs a client id (-i)")
	}
	opts := []client.Option{
		client.WithVersion(v),
		client.WithKeepAlive(time.Duration(f.keepalive) * time.Second),
		client.WithCleanSession(!f.persistent),
		client.WithConnectTimeout(f.timeout),
		client.WithMaxPacketSize(message.MaxPacketSize),
	}
	if f.id != "" {
		id = f.id
	}
	if id != "" {
		opts = append(opts, client.WithClientID(id))
	}
	if f.user != "" || f.password != "" {
		opts = append(opts, client.WithCredentials(f.user, []byte(f.password)))
	}
	cfg, err := f.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		opts = append(opts, client.WithTLSConfig(cfg))
	}
	return opts, nil
}

// dial creates a client with the connection flags and extra options and
// connects it to t.
func (f *connFlags) dial(ctx context.Context, t target, id string, extra ...client.Option) (*client.Client, error) {
	opts, err := f.options(id)
	if err != nil {
		return nil, err
	}
	c, err := client.New(append(opts, extra...)...)
	if err != nil {
		return nil, err
	}
	if _, err := c.Connect(ctx, t.url); err != nil {
		c.Close()
		return nil, fmt.Errorf("connect to %s: %w", t.url, err)
	}
	return c, nil
}

// disconnect ends c's connection cleanly, waiting at most a second.
func disconnect(c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Disconnect(ctx)
	c.Close()
}
