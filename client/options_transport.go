package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/onmqtt/onmqtt/message"
)

// CredentialsProvider returns the user name and password for one
// connection attempt: it is called before every CONNECT, so that rotating
// tokens (a JWT, a SAS token) are fresh on each reconnect. A nil password
// sends no password. ctx ends with the attempt's connect timeout.
type CredentialsProvider func(ctx context.Context) (username string, password []byte, err error)

// ConnectAttempt is the part of a CONNECT a [ConnectHook] may change for
// one attempt. Changes last for that attempt only: the next one starts
// again from the options (and the [CredentialsProvider]).
type ConnectAttempt struct {
	// ClientID is the client identifier sent. [Client.ClientID] keeps
	// reporting the configured one.
	ClientID string
	// Will is the will sent, nil for none. Replace it rather than
	// changing the options' will in place.
	Will *message.Will
	// Username and Password are sent when UsernameSet / PasswordSet are
	// true.
	Username    string
	UsernameSet bool
	Password    []byte
	PasswordSet bool
}

// ConnectHook runs before every CONNECT is sent, after the
// [CredentialsProvider], and may change the attempt's client identifier,
// will and credentials. An error fails the attempt.
type ConnectHook func(ctx context.Context, a *ConnectAttempt) error

// TransportOptions holds the options of the transports and of each
// connection attempt. Its fields are part of [Options].
type TransportOptions struct {
	// Proxy chooses the proxy for tcp://, mqtt://, tls://, ssl://,
	// mqtts://, ws:// and wss:// URLs; unix:// and a [DialFunc] never
	// use one. Set it with [WithProxy], [WithProxyFromEnvironment] or
	// [WithProxyFunc]. Default nil: direct connections, whatever the
	// environment says.
	Proxy ProxyFunc
	// WebSocketHeader is added to the WebSocket opening request of
	// ws:// and wss:// URLs. Default none.
	WebSocketHeader http.Header
	// CredentialsProvider, when set, gives the user name and password of
	// every attempt, in place of [WithCredentials] and the URL's user
	// information. Default nil.
	CredentialsProvider CredentialsProvider
	// ConnectHook, when set, runs before every CONNECT. Default nil.
	ConnectHook ConnectHook
}

// WithProxy sends every connection through the proxy at proxyURL:
// "http://[user:password@]host:port" or "https://..." for an HTTP proxy
// asked with CONNECT, "socks5://[user:password@]host:port" (or socks5h)
// for a SOCKS5 proxy. An unusable URL is an invalid option.
func WithProxy(proxyURL string) Option {
	return func(o *Options) error {
		f, err := ProxyURL(proxyURL)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidOption, err)
		}
		o.Proxy = f
		return nil
	}
}

// WithProxyFromEnvironment chooses proxies from HTTP_PROXY, HTTPS_PROXY,
// ALL_PROXY and NO_PROXY, read when the option is applied: see
// [ProxyFromEnvironment]. An unusable value is an invalid option.
func WithProxyFromEnvironment() Option {
	return func(o *Options) error {
		f, err := ProxyFromEnvironment()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidOption, err)
		}
		o.Proxy = f
		return nil
	}
}

// WithProxyFunc chooses the proxy of each connection with f.
func WithProxyFunc(f ProxyFunc) Option {
	return func(o *Options) error { o.Proxy = f; return nil }
}

// WithWebSocketHeader adds a header to the WebSocket opening request,
// once per value; it may be given several times.
func WithWebSocketHeader(name string, values ...string) Option {
	return func(o *Options) error {
		if o.WebSocketHeader == nil {
			o.WebSocketHeader = make(http.Header)
		}
		for _, v := range values {
			o.WebSocketHeader.Add(name, v)
		}
		return nil
	}
}

// WithCredentialsProvider calls p before every connection attempt for the
// user name and password to send.
func WithCredentialsProvider(p CredentialsProvider) Option {
	return func(o *Options) error { o.CredentialsProvider = p; return nil }
}

// WithConnectHook runs h before every CONNECT is sent: see [ConnectHook].
func WithConnectHook(h ConnectHook) Option {
	return func(o *Options) error { o.ConnectHook = h; return nil }
}

// WithTLSFiles sets the TLS configuration from PEM files: caFile, if not
// empty, holds the authorities trusted instead of the system roots;
// certFile and keyFile, if not empty, the client certificate and its key.
// Unreadable or invalid files are an invalid option.
func WithTLSFiles(caFile, certFile, keyFile string) Option {
	return func(o *Options) error {
		var ca, cert, key []byte
		for _, f := range []struct {
			name string
			dst  *[]byte
		}{{caFile, &ca}, {certFile, &cert}, {keyFile, &key}} {
			if f.name == "" {
				continue
			}
			b, err := os.ReadFile(f.name)
			if err != nil {
				return fmt.Errorf("%w: TLS files: %w", ErrInvalidOption, err)
			}
			*f.dst = b
		}
		return WithTLSPEM(ca, cert, key)(o)
	}
}

// WithTLSPEM is [WithTLSFiles] with the PEM contents themselves.
func WithTLSPEM(caPEM, certPEM, keyPEM []byte) Option {
	return func(o *Options) error {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if len(caPEM) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(caPEM) {
				return fmt.Errorf("%w: TLS: no certificate in the CA PEM", ErrInvalidOption)
			}
			cfg.RootCAs = pool
		}
		if len(certPEM) > 0 || len(keyPEM) > 0 {
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				return fmt.Errorf("%w: TLS client certificate: %w", ErrInvalidOption, err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		o.TLSConfig = cfg
		return nil
	}
}

// prepareConnect applies the credentials provider and the connect hook
// to the CONNECT of one attempt.
func (c *Client) prepareConnect(ctx context.Context, pkt *message.Connect) error {
	o := &c.opts
	if o.CredentialsProvider == nil && o.ConnectHook == nil {
		return nil
	}
	a := ConnectAttempt{
		ClientID: pkt.ClientID, Will: pkt.Will,
		Username: pkt.Username, UsernameSet: pkt.UsernameFlag,
		Password: pkt.Password, PasswordSet: pkt.PasswordFlag,
	}
	if p := o.CredentialsProvider; p != nil {
		user, pw, err := p(ctx)
		if err != nil {
			return fmt.Errorf("%w: credentials provider: %w", ErrConnectHook, err)
		}
		a.Username, a.UsernameSet, a.Password, a.PasswordSet = user, true, pw, pw != nil
	}
	if h := o.ConnectHook; h != nil {
		if err := h(ctx, &a); err != nil {
			return fmt.Errorf("%w: %w", ErrConnectHook, err)
		}
	}
	if a.Will != nil {
		if err := message.ValidTopic(a.Will.Topic); err != nil {
			return fmt.Errorf("%w: will: %w", ErrConnectHook, topicErr(message.ErrInvalidTopic, err))
		}
		if !a.Will.QoS.Valid() {
			return fmt.Errorf("%w: will: %w: %v", ErrConnectHook, message.ErrInvalidQoS, a.Will.QoS)
		}
	}
	if a.ClientID == "" && !o.CleanSession {
		return fmt.Errorf("%w: a persistent session needs a client identifier", ErrConnectHook)
	}
	if a.PasswordSet && !a.UsernameSet {
		// [MQTT-3.1.2-22]
		return fmt.Errorf("%w: a password needs a user name", ErrConnectHook)
	}
	pkt.ClientID, pkt.Will = a.ClientID, a.Will
	pkt.Username, pkt.UsernameFlag = a.Username, a.UsernameSet
	pkt.Password, pkt.PasswordFlag = a.Password, a.PasswordSet
	return nil
}
