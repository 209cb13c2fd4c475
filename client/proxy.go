package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/net/proxy"
)

// ProxyFunc chooses the proxy for a broker URL given to [Client.Connect]:
// a URL with scheme http:// or https:// (an HTTP proxy, asked with
// CONNECT) or socks5:// or socks5h:// (a SOCKS5 proxy, which resolves the
// broker's host name), with optional user:password@ for the proxy, or nil
// for a direct connection.
type ProxyFunc func(broker *url.URL) (*url.URL, error)

// ProxyURL returns a [ProxyFunc] that sends every connection through
// proxyURL. It reports an error for a URL it cannot parse or whose scheme
// is not http, https, socks5 or socks5h.
func ProxyURL(proxyURL string) (ProxyFunc, error) {
	p, err := parseProxyURL(proxyURL)
	if err != nil {
		return nil, err
	}
	return func(*url.URL) (*url.URL, error) { return p, nil }, nil
}

// ProxyFromEnvironment returns a [ProxyFunc] reading, as net/http does,
// upper case names first then lower case, the environment when it is
// called:
//
//   - ws:// uses HTTP_PROXY, wss:// uses HTTPS_PROXY, and either falls
//     back to ALL_PROXY;
//   - tcp://, mqtt://, tls://, ssl:// and mqtts:// use ALL_PROXY;
//   - NO_PROXY lists hosts, domains (".example.com" or "example.com" for
//     the domain and its subdomains), IP addresses and CIDR ranges, with
//     optional ports, reached directly; "*" turns proxies off.
//
// As with net/http, localhost and loopback addresses are always reached
// directly, and a value without a scheme is an HTTP proxy. It reports an
// error for a value it cannot parse.
func ProxyFromEnvironment() (ProxyFunc, error) {
	get := func(names ...string) string {
		for _, n := range names {
			if v := os.Getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	all := get("ALL_PROXY", "all_proxy")
	httpP := get("HTTP_PROXY", "http_proxy")
	httpsP := get("HTTPS_PROXY", "https_proxy")
	for _, v := range []string{all, httpP, httpsP} {
		if v == "" {
			continue
		}
		if _, err := parseProxyURL(withScheme(v)); err != nil {
			return nil, err
		}
	}
	byScheme := func(value string) func(*url.URL) (*url.URL, error) {
		if value == "" {
			value = all
		}
		cfg := httpproxy.Config{HTTPProxy: withScheme(value), NoProxy: get("NO_PROXY", "no_proxy")}
		return cfg.ProxyFunc()
	}
	wsProxy, wssProxy, otherProxy := byScheme(httpP), byScheme(httpsP), byScheme(all)
	return func(u *url.URL) (*url.URL, error) {
		pick, port := otherProxy, ""
		switch u.Scheme {
		case "ws":
			pick, port = wsProxy, "80"
		case "wss":
			pick, port = wssProxy, "443"
		case "tcp", "mqtt":
			port = "1883"
		case "tls", "ssl", "mqtts":
			port = "8883"
		default:
			return nil, nil
		}
		// The chosen value is matched as an http:// request to the
		// broker's host and port, which applies NO_PROXY to it.
		return pick(&url.URL{Scheme: "http", Host: hostPort(u, port)})
	}, nil
}

// withScheme makes a proxy value without a scheme an HTTP proxy.
func withScheme(v string) string {
	if v != "" && !strings.Contains(v, "://") {
		return "http://" + v
	}
	return v
}

// parseProxyURL parses and checks a proxy URL.
func parseProxyURL(s string) (*url.URL, error) {
	p, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProxy, err)
	}
	switch p.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("%w: unsupported scheme %q in %s", ErrProxy, p.Scheme, p.Redacted())
	}
	if p.Host == "" {
		return nil, fmt.Errorf("%w: no host in %s", ErrProxy, p.Redacted())
	}
	return p, nil
}

// dialTCP opens a TCP connection to addr for the broker URL u, through
// the proxy [Options.Proxy] chooses for u, if any.
func (c *Client) dialTCP(ctx context.Context, u *url.URL, addr string) (net.Conn, error) {
	var direct net.Dialer
	if c.opts.Proxy == nil {
		return direct.DialContext(ctx, "tcp", addr)
	}
	p, err := c.opts.Proxy(u)
	if err != nil {
		return nil, fmt.Errorf("%w: choosing a proxy: %w", ErrProxy, err)
	}
	if p == nil {
		return direct.DialContext(ctx, "tcp", addr)
	}
	switch p.Scheme {
	case "http", "https":
		return dialHTTPConnect(ctx, p, addr)
	case "socks5", "socks5h":
		d, err := proxy.FromURL(p, &direct)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProxy, err)
		}
		nc, err := d.(proxy.ContextDialer).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrProxy, p.Redacted(), err)
		}
		return nc, nil
	}
	return nil, fmt.Errorf("%w: unsupported scheme %q in %s", ErrProxy, p.Scheme, p.Redacted())
}

// dialTLS opens a TLS connection to addr for the broker URL u, through
// the proxy chosen for u, if any.
func (c *Client) dialTLS(ctx context.Context, u *url.URL, addr string) (net.Conn, error) {
	nc, err := c.dialTCP(ctx, u, addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(nc, c.tlsConfig(u))
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return tc, nil
}

// dialHTTPConnect asks the HTTP proxy p for a tunnel to addr with a
// CONNECT request, within ctx. The proxy URL's user information is sent
// as Proxy-Authorization Basic.
func dialHTTPConnect(ctx context.Context, p *url.URL, addr string) (net.Conn, error) {
	port := p.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[p.Scheme]
	}
	proxyAddr := net.JoinHostPort(p.Hostname(), port)
	var (
		d   net.Dialer
		nc  net.Conn
		err error
	)
	if p.Scheme == "https" {
		td := tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: p.Hostname()}}
		nc, err = td.DialContext(ctx, "tcp", proxyAddr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", proxyAddr)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrProxy, p.Redacted(), err)
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	br, err := httpConnect(nc, p, addr)
	if !stop() && err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		nc.Close()
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrProxy, p.Redacted(), err)
	}
	nc.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		return &bufferedConn{Conn: nc, r: br}, nil
	}
	return nc, nil
}

// httpConnect sends the CONNECT request on nc and reads the answer.
func httpConnect(nc net.Conn, p *url.URL, addr string) (*bufio.Reader, error) {
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: make(http.Header),
	}
	if p.User != nil {
		pw, _ := p.User.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(p.User.Username() + ":" + pw))
		req.Header.Set("Proxy-Authorization", "Basic "+cred)
	}
	if err := req.Write(nc); err != nil {
		return nil, err
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, err
	}
	// The body is never read: after a 200 the stream is the tunnel's,
	// and after a refusal the connection is closed.
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("CONNECT %s: %s", addr, resp.Status)
	}
	return br, nil
}

// bufferedConn reads first what the proxy's answer left in r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
