package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// DialFunc opens the byte stream to a broker. It receives the parsed URL
// given to [Client.Connect] and may return any net.Conn: a TCP or TLS
// socket, one side of a pipe, a serial link, a proxy tunnel.
type DialFunc func(ctx context.Context, u *url.URL) (net.Conn, error)

// Options configures a [Client]. Build it with [Option] functions passed
// to [New]; each field documents its default.
type Options struct {
	// ClientID is the client identifier. Default: "onmqtt-" followed by a
	// random UUID (by 16 random hex digits in MQTT 3.1, whose identifiers
	// have at most 23 characters), unless EmptyClientID is set.
	ClientID string
	// clientIDSet records that WithClientID was given, even with "".
	clientIDSet bool
	// EmptyClientID sends a zero-length client identifier, asking the
	// broker to assign one: at 3.1.1 only with CleanSession; at 5.0 also
	// without, the assigned identifier then resuming the session on
	// later connections. Default false.
	EmptyClientID bool
	// CleanSession asks the broker to discard any previous session.
	// Default true.
	CleanSession bool
	// Version is the protocol level: message.V311, message.V31,
	// message.V5, or [VersionAuto] (5.0 with a fallback to 3.1.1).
	// Default message.V311: see the README's "MQTT 5.0" section for why.
	Version message.Version
	// KeepAlive is the keepalive interval sent in CONNECT, rounded up to
	// whole seconds; the client sends PINGREQ when it has sent nothing for
	// three quarters of it. 0 turns keepalive off. Default 60 s.
	KeepAlive time.Duration
	// PingTimeout is how long the client waits for PINGRESP before it
	// declares the connection lost. Default: half of KeepAlive.
	PingTimeout time.Duration
	// ConnectTimeout bounds dialing and the CONNECT/CONNACK exchange when
	// the context given to Connect has no earlier deadline. Default 30 s.
	ConnectTimeout time.Duration
	// Will is published by the broker if the connection ends without
	// DISCONNECT. Default nil (no will).
	Will *message.Will
	// Username and Password are sent when UsernameSet / PasswordSet are
	// true. Set them with [WithCredentials]. Default: none.
	Username    string
	UsernameSet bool
	Password    []byte
	PasswordSet bool
	// TLSConfig is used for tls://, ssl://, mqtts:// and wss:// URLs.
	// Default: a config with the URL's host as ServerName and the system
	// roots.
	TLSConfig *tls.Config
	// Dialer replaces the built-in dialers for every URL when set.
	// Default nil.
	Dialer DialFunc
	// MaxInflight bounds the QoS 1 and 2 publishes awaiting
	// acknowledgement; Publish waits for room beyond it. 0 means the
	// default; at most 65535. Default 20, the
	// default max_inflight_messages of Mosquitto, so a stock broker never
	// has to drop a QoS 2 publish.
	MaxInflight int
	// MaxPacketSize is the largest packet the client accepts from the
	// broker and the largest it sends. Default message.MaxPacketSize.
	MaxPacketSize int
	// MaxPending bounds the inbound messages the client holds: waiting
	// for or in their handler, QoS 2 messages held for PUBREL, and
	// messages not yet acknowledged with [WithManualAck]; and, apart,
	// the queued events that deliver nothing. When it is reached the
	// client stops reading the socket until there is room (TCP
	// backpressure), except that a QoS 0 message is dropped by
	// DropPolicy and counted in [Stats]. QoS 1 and 2 messages are never
	// dropped. See the package documentation, "Inbound memory", for the
	// bound this gives. 0 means the default. Default 10000.
	MaxPending int
	// DeliverOnPubrel delivers QoS 2 messages on the PUBREL event, the way
	// Zerynth's client does, instead of on the PUBLISH event. Default
	// false.
	DeliverOnPubrel bool
	// ManualLoop leaves dispatch to the application, which calls
	// [Client.WaitMsg], [Client.CheckMsg], [Client.Run] or [Client.Start].
	// Default false: Connect starts a dispatch goroutine.
	ManualLoop bool
	// Router receives every inbound packet. Default: a new router.
	Router *router.Router
	// Logger receives the client's logs. Default: logs are discarded.
	Logger *slog.Logger

	// AutoReconnect reconnects after a lost connection, with exponential
	// backoff between ReconnectMin and ReconnectMax, with jitter. Default
	// false.
	AutoReconnect bool
	// ReconnectMin is the first backoff delay. 0 means the default.
	// Default 100 ms.
	ReconnectMin time.Duration
	// ReconnectMax caps the backoff delay; it may not be below
	// ReconnectMin. 0 means the default, or ReconnectMin when that is
	// larger. Default 30 s.
	ReconnectMax time.Duration
	// ConnectRetry makes Connect retry a failed first connection with
	// the reconnect backoff (ReconnectMin, ReconnectMax) until its
	// context ends, instead of returning the first failure. Default
	// false.
	ConnectRetry bool
	// MaxReconnectAttempts gives up after that many failed attempts in a
	// row; 0 means never. With several broker URLs an attempt is one pass
	// over the list (see [Client.Connect]). Default 0.
	MaxReconnectAttempts int
	// ShuffleBrokers makes Connect put its broker URLs in a random order,
	// drawn once per Connect call from a random source of the client's
	// own, so that many clients given the same list spread over the
	// brokers. Default false: the order given.
	ShuffleBrokers bool
	// OnConnect runs after every successful connect, with the CONNACK's
	// session-present flag. Default nil.
	OnConnect func(c *Client, sessionPresent bool)
	// OnConnectionLost runs when an established connection ends for any
	// reason other than Disconnect or Close. Default nil.
	OnConnectionLost func(c *Client, err error)
	// OnReconnecting runs before each reconnect attempt, numbered from 1;
	// with several broker URLs, before each pass over the list. Default
	// nil.
	OnReconnecting func(c *Client, attempt int)
	// Store keeps QoS 1 and 2 state: outbound publishes awaiting
	// acknowledgement, and inbound QoS 2 messages awaiting their handler
	// and identifiers awaiting PUBREL; a [SessionStore] also the MQTT 5.0
	// session's expiry state (see [Session]).
	// Default nil: the session lives in the client's memory only, which
	// survives reconnects but not the Client. A [MemoryStore] hands a
	// session on to a later Client of the same process, a [FileStore]
	// to a restarted process.
	Store Store
	// TransportOptions: proxies, WebSocket headers, credentials
	// provider and connect hook.
	TransportOptions

	// MaxOffline bounds the QoS 1 and 2 publishes held while the client
	// is not connected; Publish returns ErrQueueFull beyond it. 0 means
	// the default. Default 10000.
	MaxOffline int

	// InboundOptions: the bound on inbound memory, manual
	// acknowledgement and parallel dispatch.
	InboundOptions

	// V5Options: the CONNECT properties and behaviours of MQTT 5.0.
	V5Options
}

// Option sets one field of [Options].
type Option func(*Options) error

func defaultOptions() Options {
	return Options{
		CleanSession:   true,
		Version:        message.V311,
		KeepAlive:      60 * time.Second,
		ConnectTimeout: 30 * time.Second,
		MaxInflight:    20,
		MaxPacketSize:  message.MaxPacketSize,
		MaxPending:     10000,
		ReconnectMin:   100 * time.Millisecond,
		ReconnectMax:   30 * time.Second,
		MaxOffline:     10000,
	}
}

// finish validates the options and fills in derived defaults.
func (o *Options) finish() error {
	switch o.Version {
	case message.V31, message.V311, message.V5, VersionAuto:
	default:
		return fmt.Errorf("%w: %w: %v", ErrInvalidOption, message.ErrVersion, o.Version)
	}
	if o.KeepAlive < 0 || o.KeepAlive > 65535*time.Second {
		return fmt.Errorf("%w: keepalive %v out of range", ErrInvalidOption, o.KeepAlive)
	}
	// CONNECT carries whole seconds: round up, so that the pinger and the
	// broker agree on the interval and a short one does not become 0 (off).
	o.KeepAlive = (o.KeepAlive + time.Second - 1).Truncate(time.Second)
	if o.PingTimeout < 0 || o.ConnectTimeout < 0 {
		return fmt.Errorf("%w: negative timeout (ping %v, connect %v)", ErrInvalidOption, o.PingTimeout, o.ConnectTimeout)
	}
	if o.PingTimeout == 0 {
		o.PingTimeout = o.KeepAlive / 2
	}
	// Counts: 0 means the default, negative is an error.
	d := defaultOptions()
	for _, n := range []struct {
		name     string
		v        *int
		def, max int
	}{
		{"MaxInflight", &o.MaxInflight, d.MaxInflight, 65535},
		{"MaxPending", &o.MaxPending, d.MaxPending, math.MaxInt},
		{"MaxOffline", &o.MaxOffline, d.MaxOffline, math.MaxInt},
		{"MaxPacketSize", &o.MaxPacketSize, d.MaxPacketSize, message.MaxPacketSize},
		{"MaxReconnectAttempts", &o.MaxReconnectAttempts, 0, math.MaxInt},
	} {
		if *n.v < 0 || *n.v > n.max {
			return fmt.Errorf("%w: %s %d out of range 0..%d", ErrInvalidOption, n.name, *n.v, n.max)
		}
		if *n.v == 0 {
			*n.v = n.def
		}
	}
	if o.Will != nil {
		if err := message.ValidTopic(o.Will.Topic); err != nil {
			return fmt.Errorf("%w: will: %w", ErrInvalidOption, topicErr(message.ErrInvalidTopic, err))
		}
		if !o.Will.QoS.Valid() {
			return fmt.Errorf("%w: will: %w: %v", ErrInvalidOption, message.ErrInvalidQoS, o.Will.QoS)
		}
	}
	if o.EmptyClientID && !o.CleanSession && o.Version != message.V5 {
		// At 5.0 the broker assigns one that the client adopts and
		// resumes the session with.
		return fmt.Errorf("%w: an empty client identifier needs CleanSession (or MQTT 5.0)", ErrInvalidOption)
	}
	if o.clientIDSet && o.ClientID == "" && !o.CleanSession {
		// A random identifier could never resume the session, and the
		// broker would keep each abandoned one.
		return fmt.Errorf("%w: a persistent session (CleanSession false) needs a client identifier", ErrInvalidOption)
	}
	if o.ReconnectMin < 0 || o.ReconnectMax < 0 {
		return fmt.Errorf("%w: negative reconnect delay (%v, %v)", ErrInvalidOption, o.ReconnectMin, o.ReconnectMax)
	}
	if o.ReconnectMin == 0 {
		o.ReconnectMin = d.ReconnectMin
	}
	if o.ReconnectMax == 0 {
		o.ReconnectMax = max(d.ReconnectMax, o.ReconnectMin)
	}
	if o.ReconnectMax < o.ReconnectMin {
		return fmt.Errorf("%w: ReconnectMax %v below ReconnectMin %v", ErrInvalidOption, o.ReconnectMax, o.ReconnectMin)
	}
	if err := o.finish5(); err != nil {
		return err
	}
	if err := o.finishInbound(); err != nil {
		return err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Router == nil {
		o.Router = router.New()
	}
	return nil
}

// WithClientID sets the client identifier.
func WithClientID(id string) Option {
	return func(o *Options) error { o.ClientID, o.clientIDSet = id, true; return nil }
}

// WithEmptyClientID sends a zero-length client identifier (see
// [Options.EmptyClientID]).
func WithEmptyClientID() Option {
	return func(o *Options) error { o.EmptyClientID = true; return nil }
}

// WithCleanSession sets the clean-session flag.
func WithCleanSession(clean bool) Option {
	return func(o *Options) error { o.CleanSession = clean; return nil }
}

// WithVersion selects MQTT 3.1 (message.V31), 3.1.1 (message.V311), 5.0
// (message.V5), or 5.0 with a fallback to 3.1.1 ([VersionAuto]).
func WithVersion(v message.Version) Option {
	return func(o *Options) error { o.Version = v; return nil }
}

// WithKeepAlive sets the keepalive interval; it is sent in whole seconds.
func WithKeepAlive(d time.Duration) Option {
	return func(o *Options) error { o.KeepAlive = d; return nil }
}

// WithPingTimeout sets how long to wait for PINGRESP.
func WithPingTimeout(d time.Duration) Option {
	return func(o *Options) error { o.PingTimeout = d; return nil }
}

// WithConnectTimeout bounds dialing and the CONNACK wait.
func WithConnectTimeout(d time.Duration) Option {
	return func(o *Options) error { o.ConnectTimeout = d; return nil }
}

// WithWill sets the will message.
func WithWill(topic string, payload []byte, qos message.QoS, retain bool) Option {
	return func(o *Options) error {
		o.Will = &message.Will{Topic: topic, Payload: payload, QoS: qos, Retain: retain}
		return nil
	}
}

// WithCredentials sets the user name and password. A nil password sends
// the user name alone.
func WithCredentials(username string, password []byte) Option {
	return func(o *Options) error {
		o.Username, o.UsernameSet = username, true
		o.Password, o.PasswordSet = password, password != nil
		return nil
	}
}

// WithTLSConfig sets the TLS configuration for secure URLs.
func WithTLSConfig(c *tls.Config) Option {
	return func(o *Options) error { o.TLSConfig = c; return nil }
}

// WithDialer makes the client open every connection with dial.
func WithDialer(dial DialFunc) Option {
	return func(o *Options) error { o.Dialer = dial; return nil }
}

// WithMaxInflight sets the in-flight window for QoS 1 and 2 publishes.
func WithMaxInflight(n int) Option {
	return func(o *Options) error { o.MaxInflight = n; return nil }
}

// WithMaxPacketSize sets the largest packet sent or accepted.
func WithMaxPacketSize(n int) Option {
	return func(o *Options) error { o.MaxPacketSize = n; return nil }
}

// WithMaxPending bounds the inbound messages held and the events queued
// (see [Options.MaxPending]).
func WithMaxPending(n int) Option {
	return func(o *Options) error { o.MaxPending = n; return nil }
}

// WithDeliverOnPubrel delivers QoS 2 messages on PUBREL (Zerynth's way).
func WithDeliverOnPubrel() Option {
	return func(o *Options) error { o.DeliverOnPubrel = true; return nil }
}

// WithManualLoop leaves dispatch to the application's own loop.
func WithManualLoop() Option {
	return func(o *Options) error { o.ManualLoop = true; return nil }
}

// WithRouter makes the client dispatch to r.
func WithRouter(r *router.Router) Option {
	return func(o *Options) error { o.Router = r; return nil }
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option {
	return func(o *Options) error { o.Logger = l; return nil }
}

// WithAutoReconnect turns on automatic reconnection with backoff between
// min and max (zero values keep the defaults; see [Options.ReconnectMax]).
// Negative values and min above max make [New] fail with
// ErrInvalidOption.
func WithAutoReconnect(min, max time.Duration) Option {
	return func(o *Options) error {
		o.AutoReconnect = true
		o.ReconnectMin, o.ReconnectMax = min, max
		return nil
	}
}

// WithConnectRetry makes Connect keep trying, with the reconnect backoff,
// until it connects or its context ends (see [Options.ConnectRetry]).
func WithConnectRetry() Option {
	return func(o *Options) error { o.ConnectRetry = true; return nil }
}

// WithMaxReconnectAttempts gives up after n failed attempts in a row.
func WithMaxReconnectAttempts(n int) Option {
	return func(o *Options) error { o.MaxReconnectAttempts = n; return nil }
}

// WithShuffleBrokers makes Connect try its broker URLs in a random order
// (see [Options.ShuffleBrokers]).
func WithShuffleBrokers() Option {
	return func(o *Options) error { o.ShuffleBrokers = true; return nil }
}

// WithOnConnect sets the hook run after each successful connect.
func WithOnConnect(f func(c *Client, sessionPresent bool)) Option {
	return func(o *Options) error { o.OnConnect = f; return nil }
}

// WithOnConnectionLost sets the hook run when a connection is lost.
func WithOnConnectionLost(f func(c *Client, err error)) Option {
	return func(o *Options) error { o.OnConnectionLost = f; return nil }
}

// WithOnReconnecting sets the hook run before each reconnect attempt.
func WithOnReconnecting(f func(c *Client, attempt int)) Option {
	return func(o *Options) error { o.OnReconnecting = f; return nil }
}

// WithStore sets the session store.
func WithStore(s Store) Option {
	return func(o *Options) error { o.Store = s; return nil }
}

// WithMaxOffline bounds the publishes held while offline.
func WithMaxOffline(n int) Option {
	return func(o *Options) error { o.MaxOffline = n; return nil }
}
