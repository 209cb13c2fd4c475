package mqtttest

import "log/slog"

// An Option configures a [Server].
type Option func(*config)

// config collects the options before the broker starts.
type config struct {
	websocket   bool
	tls         bool
	clientCerts bool
	unix        bool
	users       map[string]string
	deny        []string
	acl         func(Access) bool
	logger      *slog.Logger
}

// WithWebSocket adds a WebSocket listener (subprotocol "mqtt", any path):
// see [Server.WebSocketURL]. With [WithTLS] a WebSocket-over-TLS listener
// is added too: see [Server.WebSocketTLSURL].
func WithWebSocket() Option { return func(c *config) { c.websocket = true } }

// WithTLS adds a TLS listener presenting a certificate, for 127.0.0.1, ::1
// and localhost, signed by an authority generated for this server and
// valid for a day. Clients trust it with [Server.ClientTLSConfig], or with
// the PEM files of [Server.WriteCertFiles].
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithClientCertificates makes the TLS listeners demand a client
// certificate signed by the server's authority; [Server.ClientTLSConfig]
// presents one. It implies [WithTLS].
func WithClientCertificates() Option {
	return func(c *config) { c.tls, c.clientCerts = true, true }
}

// WithUnixSocket adds a unix-socket listener: see [Server.UnixURL].
func WithUnixSocket() Option { return func(c *config) { c.unix = true } }

// WithUser admits a user name with its password. Once one user is given,
// anonymous clients and wrong passwords are refused with CONNACK return
// code 5 (not authorized). The password must not be empty: the broker
// refuses an empty password.
func WithUser(name, password string) Option {
	return func(c *config) {
		if c.users == nil {
			c.users = make(map[string]string)
		}
		c.users[name] = password
	}
}

// WithDeny refuses every client subscriptions to the filters and
// publications to topics that one of filters matches, wildcards in a
// subscription taken literally: denying "secret/#" refuses subscribing to
// "secret/#", "secret/+" and "secret/a". A refused subscription gets
// SUBACK return code 0x80; a refused QoS 0 publication is dropped, and the
// broker disconnects an MQTT 3 client that publishes at QoS 1 or 2 to a
// refused topic.
func WithDeny(filters ...string) Option {
	return func(c *config) { c.deny = append(c.deny, filters...) }
}

// Access is one request that [WithACL] rules on.
type Access struct {
	ClientID string
	Username string // "" for an anonymous client
	// Topic is the topic of a publication or the filter of a
	// subscription.
	Topic string
	// Write is true for a publication, false for a subscription.
	Write bool
}

// WithACL asks allow about every subscription and publication that
// [WithDeny] lets through; false refuses it in the same way. allow runs
// on the broker's goroutines, possibly several at once.
func WithACL(allow func(Access) bool) Option { return func(c *config) { c.acl = allow } }

// WithLogger sends the broker's logs to l. By default they are discarded.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }
