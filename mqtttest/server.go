package mqtttest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/certs"
)

// Errors returned by a [Server].
var (
	// ErrNoClient reports that no client with the given identifier is
	// connected.
	ErrNoClient = errors.New("mqtttest: no such client connected")
	// ErrClosed reports a call on a server that was closed.
	ErrClosed = errors.New("mqtttest: server closed")
)

// A Server is an MQTT broker listening on loopback ports chosen by the
// kernel. Create one with [NewServer] in a test, or [Start] elsewhere.
type Server struct {
	b     *broker.Embedded
	certs *certs.Set // nil without TLS
	mtls  bool
}

// NewServer starts a broker configured by opts and closes it when the test
// and its subtests end (t.Cleanup). It fails the test when the broker
// cannot start, and reports an error if closing it fails.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("mqtttest: close: %v", err)
		}
	})
	return s
}

// Start starts a broker configured by opts and returns once every
// listener is serving. The caller must Close it.
func Start(opts ...Option) (*Server, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	s := &Server{mtls: c.clientCerts}
	eo := broker.EmbeddedOptions{
		WebSocket:   c.websocket,
		Unix:        c.unix,
		Users:       c.users,
		DenyFilters: c.deny,
		Logger:      c.logger,
	}
	if c.acl != nil {
		acl := c.acl
		eo.Allow = func(id, user, topic string, write bool) bool {
			return acl(Access{ClientID: id, Username: user, Topic: topic, Write: write})
		}
	}
	if c.tls {
		set, err := certs.New()
		if err != nil {
			return nil, fmt.Errorf("mqtttest: %w", err)
		}
		s.certs = set
		eo.TLS = set.ServerTLS(c.clientCerts)
		eo.SecureWebSocket = c.websocket
	}
	b, err := broker.StartEmbedded(eo)
	if err != nil {
		return nil, fmt.Errorf("mqtttest: %w", err)
	}
	s.b = b
	return s, nil
}

// Close stops the broker, closing every connection, and waits for its
// goroutines to end. Closing again does nothing.
func (s *Server) Close() error { return s.b.Close() }

// URL returns the TCP listener's URL, "tcp://127.0.0.1:port".
func (s *Server) URL() string { return s.b.Addr() }

// Host returns the TCP listener's host, "127.0.0.1".
func (s *Server) Host() string {
	host, _ := s.hostPort()
	return host
}

// Port returns the TCP listener's port.
func (s *Server) Port() int {
	_, port := s.hostPort()
	return port
}

func (s *Server) hostPort() (string, int) {
	u, err := url.Parse(s.b.Addr())
	if err != nil {
		return "", 0
	}
	host, p, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", 0
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// WebSocketURL returns the WebSocket listener's URL,
// "ws://127.0.0.1:port/", or "" without [WithWebSocket].
func (s *Server) WebSocketURL() string { return s.b.WSAddr() }

// TLSURL returns the TLS listener's URL, "tls://127.0.0.1:port", or ""
// without [WithTLS].
func (s *Server) TLSURL() string { return s.b.TLSAddr() }

// WebSocketTLSURL returns the WebSocket-over-TLS listener's URL,
// "wss://127.0.0.1:port/", or "" unless both [WithWebSocket] and
// [WithTLS] were given.
func (s *Server) WebSocketTLSURL() string { return s.b.WSSAddr() }

// UnixURL returns the unix-socket listener's URL, "unix:///path", or ""
// without [WithUnixSocket].
func (s *Server) UnixURL() string { return s.b.UnixAddr() }

// ClientTLSConfig returns a new client configuration that trusts the
// server's authority and, with [WithClientCertificates], presents a
// client certificate it signed; nil without [WithTLS]. Its ServerName is
// empty, so the host name is taken from the URL dialled.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.certs == nil {
		return nil
	}
	return s.certs.ClientTLS(s.mtls)
}

// CertFiles names the PEM files written by [Server.WriteCertFiles].
type CertFiles struct {
	CA   string // the authority's certificate
	Cert string // a client certificate the authority signed
	Key  string // its private key (PKCS #8), readable by the owner only
}

// WriteCertFiles writes the authority's certificate and a client
// certificate and key into dir as PEM files, for programs that read them
// from disk (mosquitto_pub --cafile, --cert, --key). It fails without
// [WithTLS].
func (s *Server) WriteCertFiles(dir string) (CertFiles, error) {
	if s.certs == nil {
		return CertFiles{}, errors.New("mqtttest: the server has no TLS listener")
	}
	f, err := s.certs.WriteFiles(dir)
	if err != nil {
		return CertFiles{}, fmt.Errorf("mqtttest: %w", err)
	}
	return CertFiles{CA: f.CA, Cert: f.ClientCert, Key: f.ClientKey}, nil
}

// Publish sends a message from the broker itself to the matching
// subscribers, as if a client had published it; qos is 0, 1 or 2.
func (s *Server) Publish(topic string, payload []byte, qos byte, retain bool) error {
	if err := s.b.Publish(topic, payload, retain, qos); err != nil {
		return wrap(err)
	}
	return nil
}

// Clients returns the identifiers of the connected clients, sorted.
func (s *Server) Clients() []string {
	ids := s.b.ConnectedClients()
	slices.Sort(ids)
	return ids
}

// DropAll closes the connection of every connected client abruptly,
// without a DISCONNECT, as a network failure would; persistent sessions
// stay, clean ones go. It returns, with the identifiers of the clients
// dropped, sorted, once the broker has finished with their connections;
// a client that reconnects sooner is held until then, so that the old
// session's teardown cannot undo the new one's subscriptions.
func (s *Server) DropAll() ([]string, error) {
	ids, err := s.b.Drop(nil)
	if err != nil {
		return nil, wrap(err)
	}
	slices.Sort(ids)
	return ids, nil
}

// Drop closes the connection of the client with identifier clientID
// abruptly, and returns when the broker has finished with it, as
// [Server.DropAll] does. It returns an error wrapping
// [ErrNoClient] when no such client is connected.
func (s *Server) Drop(clientID string) error {
	ids, err := s.b.Drop(func(id string) bool { return id != clientID })
	if err != nil {
		return wrap(err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w: %q", ErrNoClient, clientID)
	}
	return nil
}

// WaitConnected waits until a client with identifier clientID is
// connected, polling every few milliseconds, or returns ctx's error.
func (s *Server) WaitConnected(ctx context.Context, clientID string) error {
	return s.poll(ctx, func() bool { return slices.Contains(s.b.ConnectedClients(), clientID) },
		"client %q", clientID)
}

// Subscribers returns the identifiers of the clients with a subscription
// matching topic, sorted and without repetition.
func (s *Server) Subscribers(topic string) []string {
	ids := s.b.Subscribers(topic)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// WaitSubscribed waits until at least n clients have a subscription
// matching topic, polling every few milliseconds, or returns ctx's error.
// A test calls it before publishing to a subscriber it started in
// another goroutine or process, so that no message is published before
// the subscription exists.
func (s *Server) WaitSubscribed(ctx context.Context, topic string, n int) error {
	return s.poll(ctx, func() bool { return len(s.Subscribers(topic)) >= n },
		"%d subscribers of %q", n, topic)
}

// poll calls cond every few milliseconds until it holds or ctx ends.
func (s *Server) poll(ctx context.Context, cond func() bool, what string, args ...any) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("mqtttest: waiting for %s: %w", fmt.Sprintf(what, args...), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Restart stops the broker, dropping every connection, and starts a new
// one on the same ports. Nothing survives: sessions, subscriptions,
// in-flight and retained messages are gone, so a client reconnecting with
// clean session off is told no session is present.
func (s *Server) Restart() error { return wrap(s.b.Restart()) }

// wrap turns the internal broker's errors into this package's.
func wrap(err error) error {
	if errors.Is(err, broker.ErrClosed) {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	if err != nil {
		return fmt.Errorf("mqtttest: %w", err)
	}
	return nil
}
