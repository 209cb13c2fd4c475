package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// EmbeddedOptions configures [StartEmbedded]. The zero value gives a TCP
// listener that lets everyone connect and use every topic.
type EmbeddedOptions struct {
	// WebSocket adds a WebSocket listener answering on every path and
	// accepting the "mqtt" subprotocol.
	WebSocket bool
	// Unix adds a unix-socket listener; the socket lives in a new
	// temporary directory that Close removes.
	Unix bool
	// TLS, when non-nil, adds a TLS listener with this configuration
	// (see package certs for a ready one).
	TLS *tls.Config
	// SecureWebSocket adds a WebSocket-over-TLS listener using TLS, which
	// must then be set.
	SecureWebSocket bool
	// Users, when non-nil, admits only these user names, each with its
	// password. Anyone else gets CONNACK return code 5 (not authorized):
	// mochi maps its "bad user name or password" to that code for MQTT 3
	// clients. Passwords must not be empty: mochi refuses a CONNECT whose
	// password flag is set with an empty password, answering with the
	// MQTT 5 code 0x82, which is no valid MQTT 3 return code.
	Users map[string]string
	// DenyFilters refuses subscriptions to filters and publications to
	// topics that one of these filters matches, wildcards in the request
	// taken literally. A refused subscription gets SUBACK return code
	// 0x80; mochi disconnects an MQTT 3 client that publishes at QoS 1 or
	// 2 to a denied topic and silently drops one at QoS 0.
	DenyFilters []string
	// Allow, when non-nil, is asked after DenyFilters about every
	// subscription (write false) and publication (write true) that they
	// let through, with the client's identifier and user name; false
	// refuses it the same way.
	Allow func(clientID, username, topic string, write bool) bool
	// Logger receives mochi's logs; nil discards them.
	Logger *slog.Logger
	// WebSocketRequest, when non-nil, sees every WebSocket opening
	// request before it is upgraded, on the request's goroutine.
	WebSocketRequest func(*http.Request)
	// Configure, when non-nil, may adjust mochi's options (capabilities
	// such as maximum packet size or receive maximum) before each start.
	Configure func(*mqtt.Options)
}

// Embedded is a mochi MQTT broker running in this process on loopback
// ports chosen by the kernel.
type Embedded struct {
	opts EmbeddedOptions

	mu        sync.Mutex
	srv       *mqtt.Server
	listeners []*listener // those of srv
	closed    bool
	tcp       string // host:port of each listener, "" when absent
	ws        string
	tlsAddr   string
	wss       string
	sockDir   string
	sock      string

	// dropping holds, for each client identifier being dropped, the
	// channel closed once mochi has finished with the dropped connection.
	// A new CONNECT with that identifier waits for it: mochi tears a
	// clean session down by identifier, and would otherwise remove the
	// subscriptions the reconnected client makes.
	dmu      sync.Mutex
	dropping map[string]<-chan struct{}
}

// StartEmbedded starts a broker with the given options and returns once
// every listener is bound and serving.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	if opts.SecureWebSocket && opts.TLS == nil {
		return nil, errors.New("broker: SecureWebSocket needs a TLS configuration")
	}
	e := &Embedded{opts: opts, tcp: "127.0.0.1:0", dropping: make(map[string]<-chan struct{})}
	if opts.WebSocket {
		e.ws = "127.0.0.1:0"
	}
	if opts.TLS != nil {
		e.tlsAddr = "127.0.0.1:0"
	}
	if opts.SecureWebSocket {
		e.wss = "127.0.0.1:0"
	}
	if opts.Unix {
		// A short directory of its own: socket paths are limited to about
		// 100 bytes, which test temporary directories can exceed.
		dir, err := os.MkdirTemp("", "onmqtt-")
		if err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		e.sockDir, e.sock = dir, filepath.Join(dir, "mqtt.sock")
	}
	if err := e.start(); err != nil {
		if e.sockDir != "" {
			os.RemoveAll(e.sockDir)
		}
		return nil, err
	}
	return e, nil
}

// start binds every listener (on the remembered addresses after the first
// start) and serves a new mochi server on them. e.mu is held or e is not
// yet shared.
func (e *Embedded) start() error {
	var ls []*listener
	fail := func(err error) error {
		for _, l := range ls {
			l.ln.Close()
		}
		return fmt.Errorf("broker: embedded: %w", err)
	}
	add := func(id, kind, network string, addr *string, tlsConf *tls.Config) error {
		if *addr == "" {
			return nil
		}
		if network == "unix" {
			os.Remove(*addr)
		}
		ln, err := listenRetry(network, *addr, 2*time.Second)
		if err != nil {
			return err
		}
		if a := ln.Addr().String(); a != *addr {
			*addr = a // only on the first start: the port is then kept
		}
		l := newListener(id, kind, ln, tlsConf)
		l.onRequest = e.opts.WebSocketRequest
		ls = append(ls, l)
		return nil
	}
	for _, a := range []struct {
		id, kind, network string
		addr              *string
		tls               *tls.Config
	}{
		{"tcp", kindTCP, "tcp", &e.tcp, nil},
		{"ws", kindWS, "tcp", &e.ws, nil},
		{"tls", kindTLS, "tcp", &e.tlsAddr, e.opts.TLS},
		{"wss", kindWSS, "tcp", &e.wss, e.opts.TLS},
		{"unix", kindUnix, "unix", &e.sock, nil},
	} {
		if err := add(a.id, a.kind, a.network, a.addr, a.tls); err != nil {
			return fail(err)
		}
	}

	logger := e.opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// mochi's acknowledgements otherwise copy the PUBLISH's properties,
	// and a PUBACK then goes out in full with the reason code 0x01
	// (Granted QoS 1), which the standard does not allow in a PUBACK
	// [MQTT-3.4.2-1]: a strict client refuses it as malformed.
	caps := mqtt.NewDefaultServerCapabilities()
	caps.Compatibilities.NoInheritedPropertiesOnAck = true
	mopts := &mqtt.Options{Logger: logger, InlineClient: true, Capabilities: caps}
	if e.opts.Configure != nil {
		e.opts.Configure(mopts)
	}
	srv := mqtt.New(mopts)
	if err := srv.AddHook(&authHook{users: e.opts.Users, deny: e.opts.DenyFilters, allow: e.opts.Allow, waitDropped: e.waitDropped}, nil); err != nil {
		return fail(err)
	}
	for _, l := range ls {
		if err := srv.AddListener(l); err != nil {
			return fail(err)
		}
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return fail(err)
	}
	e.srv, e.listeners = srv, ls
	return nil
}

// Addr returns the TCP listener's URL, "tcp://127.0.0.1:port".
func (e *Embedded) Addr() string { return "tcp://" + e.tcp }

// WSAddr returns the WebSocket listener's URL, "ws://127.0.0.1:port/", or
// "" when it was not requested.
func (e *Embedded) WSAddr() string { return url("ws://", e.ws, "/") }

// WSSAddr returns the WebSocket-over-TLS listener's URL,
// "wss://127.0.0.1:port/", or "" when it was not requested.
func (e *Embedded) WSSAddr() string { return url("wss://", e.wss, "/") }

// TLSAddr returns the TLS listener's URL, "tls://127.0.0.1:port", or ""
// when it was not requested.
func (e *Embedded) TLSAddr() string { return url("tls://", e.tlsAddr, "") }

// UnixAddr returns the unix-socket listener's URL, "unix:///path/to/sock"
// (the path is the URL's Path), or "" when it was not requested.
func (e *Embedded) UnixAddr() string { return url("unix://", e.sock, "") }

// UnixPath returns the unix socket's file name, or "".
func (e *Embedded) UnixPath() string { return e.sock }

func url(scheme, hostport, path string) string {
	if hostport == "" {
		return ""
	}
	return scheme + hostport + path
}

// Server returns the running mochi server, for tests that inspect or
// drive the broker directly. Restart replaces it.
func (e *Embedded) Server() *mqtt.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv
}

// Publish sends a message from the broker itself to the matching
// subscribers, as if a client had published it.
func (e *Embedded) Publish(topic string, payload []byte, retain bool, qos byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	return e.srv.Publish(topic, payload, retain, qos)
}

// Drop closes the network connection of every connected client whose
// identifier keep does not accept (keep nil drops all), without sending
// anything first: to those clients it looks like a network failure. Their
// sessions stay, as after any abrupt loss. It returns the identifiers of
// the clients dropped, in no particular order.
func (e *Embedded) Drop(keep func(clientID string) bool) ([]string, error) {
	e.mu.Lock()
	srv, ls, closed := e.srv, e.listeners, e.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	var (
		dropped []string
		waits   []<-chan struct{}
	)
	for id, cl := range srv.Clients.GetAll() {
		if cl.Net.Inline || cl.Closed() || (keep != nil && keep(id)) {
			continue
		}
		var done <-chan struct{}
		for _, l := range ls {
			if done = l.served(cl.Net.Conn); done != nil {
				break
			}
		}
		if done != nil {
			e.dmu.Lock()
			e.dropping[id] = done
			e.dmu.Unlock()
			waits = append(waits, done)
		}
		cl.Stop(errDropped)
		dropped = append(dropped, id)
	}
	timeout := time.After(dropWait)
	for _, done := range waits {
		select {
		case <-done:
		case <-timeout:
		}
	}
	e.dmu.Lock()
	for _, id := range dropped {
		delete(e.dropping, id)
	}
	e.dmu.Unlock()
	return dropped, nil
}

// dropWait bounds how long Drop, and a CONNECT of a client being
// dropped, wait for mochi to finish with a dropped connection.
const dropWait = 5 * time.Second

// waitDropped returns once no connection of the client identifier id is
// being dropped.
func (e *Embedded) waitDropped(id string) {
	e.dmu.Lock()
	done := e.dropping[id]
	e.dmu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(dropWait):
	}
}

// ConnectedClients returns the identifiers of the clients connected now,
// in no particular order.
func (e *Embedded) ConnectedClients() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	var ids []string
	for id, cl := range e.srv.Clients.GetAll() {
		if !cl.Net.Inline && !cl.Closed() {
			ids = append(ids, id)
		}
	}
	return ids
}

// Subscribers returns the identifiers of the clients with a subscription
// matching topic, shared subscriptions included, in no particular order.
func (e *Embedded) Subscribers(topic string) []string {
	e.mu.Lock()
	srv, closed := e.srv, e.closed
	e.mu.Unlock()
	if closed {
		return nil
	}
	subs := srv.Topics.Subscribers(topic)
	var ids []string
	for id := range subs.Subscriptions {
		ids = append(ids, id)
	}
	for _, group := range subs.Shared {
		for id := range group {
			ids = append(ids, id)
		}
	}
	return ids
}

// errDropped is the stop cause mochi records for a client closed by Drop.
var errDropped = errors.New("broker: connection dropped on request")

// Restart closes the broker, dropping every connection, and starts a new
// one on the same addresses. Nothing survives: sessions, subscriptions,
// in-flight and retained messages are gone, so clients reconnecting with
// clean session off get session present = false.
func (e *Embedded) Restart() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	e.srv.Close()
	if err := e.start(); err != nil {
		e.closed = true
		e.cleanup()
		return err
	}
	return nil
}

// Close stops the broker, closes every connection and waits for the
// goroutines serving them. Closing twice is a no-op.
func (e *Embedded) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	err := e.srv.Close()
	e.cleanup()
	return err
}

func (e *Embedded) cleanup() {
	if e.sockDir != "" {
		os.RemoveAll(e.sockDir)
	}
}
