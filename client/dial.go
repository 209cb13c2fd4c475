package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/coder/websocket"
)

// dial opens the byte stream for u.
func (c *Client) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	if c.opts.Dialer != nil {
		nc, err := c.opts.Dialer(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("onmqtt: dialing %s: %w", u.Redacted(), err)
		}
		return nc, nil
	}
	var (
		nc  net.Conn
		err error
	)
	switch u.Scheme {
	case "tcp", "mqtt":
		nc, err = c.dialTCP(ctx, u, hostPort(u, "1883"))
	case "tls", "ssl", "mqtts":
		nc, err = c.dialTLS(ctx, u, hostPort(u, "8883"))
	case "ws", "wss":
		nc, err = c.dialWebSocket(ctx, u)
	case "unix":
		path := u.Path
		if u.Host != "" {
			path = u.Host + path
		}
		var d net.Dialer
		nc, err = d.DialContext(ctx, "unix", path)
	default:
		return nil, fmt.Errorf("%w: %q in %s", ErrUnsupportedScheme, u.Scheme, u.Redacted())
	}
	if err != nil {
		return nil, fmt.Errorf("onmqtt: dialing %s: %w", u.Redacted(), err)
	}
	return nc, nil
}

// tlsConfig returns the TLS configuration for u, naming the server when
// the configured one does not.
func (c *Client) tlsConfig(u *url.URL) *tls.Config {
	cfg := c.opts.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	return cfg
}

// dialWebSocket opens a WebSocket with subprotocol "mqtt" and returns it
// as a byte stream of binary messages.
func (c *Client) dialWebSocket(ctx context.Context, u *url.URL) (net.Conn, error) {
	tr := &http.Transport{TLSClientConfig: c.tlsConfig(u)}
	tr.DialContext = func(ctx context.Context, _, addr string) (net.Conn, error) { return c.dialTCP(ctx, u, addr) }
	defer tr.CloseIdleConnections()
	// The URL's user information is the MQTT user name and password
	// (see credentials): never HTTP Basic authentication, which would
	// send it in the clear on ws://.
	bare := *u
	bare.User = nil
	ws, _, err := websocket.Dial(ctx, bare.String(), &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: tr},
		Subprotocols: []string{"mqtt"},
		HTTPHeader:   c.opts.WebSocketHeader,
	})
	if err != nil {
		return nil, err
	}
	// NetConn lifts the WebSocket message size limit; the packet reader
	// enforces MaxPacketSize on the byte stream instead.
	return websocket.NetConn(context.Background(), ws, websocket.MessageBinary), nil
}

// hostPort returns u's host with port, adding port when u has none.
func hostPort(u *url.URL, port string) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), port)
}
