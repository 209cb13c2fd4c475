package client_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/mqtttest"
)

// brokerHost is a name only the test proxies know: they resolve it to
// the loopback broker, so proxies chosen from the environment (which
// never apply to loopback addresses) are used.
const brokerHost = "broker.mqtt.test"

// hostOf returns the host:port of a broker URL.
func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}

// renamed returns raw with its host replaced by brokerHost.
func renamed(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	u.Host = net.JoinHostPort(brokerHost, u.Port())
	return u.String()
}

// TestProxies sends tcp, tls, ws and wss connections through an HTTP
// CONNECT proxy and a SOCKS5 server started by the test, each checking
// that the proxy was asked for the broker's address.
func TestProxies(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithTLS(), mqtttest.WithWebSocket())
	httpProxy := newHTTPProxy(t, nil, "", "")
	authProxy := newHTTPProxy(t, nil, "proxyuser", "proxypass")
	socks := newSOCKS5Proxy(t, nil)
	tlsOpt := client.WithTLSConfig(srv.ClientTLSConfig())
	for _, p := range []struct {
		name  string
		proxy *testProxy
		url   string
	}{
		{"http", httpProxy, httpProxy.URL},
		{"http with auth", authProxy, strings.Replace(authProxy.URL, "://", "://proxyuser:proxypass@", 1)},
		{"socks5", socks, socks.URL},
	} {
		for _, b := range []struct{ scheme, url string }{
			{"tcp", srv.URL()}, {"tls", srv.TLSURL()}, {"ws", srv.WebSocketURL()}, {"wss", srv.WebSocketTLSURL()},
		} {
			t.Run(p.name+"/"+b.scheme, func(t *testing.T) {
				before := len(p.proxy.targets())
				roundTrip(t, b.url, client.WithProxy(p.url), tlsOpt)
				assert.Equal(t, []string{hostOf(t, b.url)}, p.proxy.targets()[before:])
			})
		}
	}
}

// TestProxyRefused checks that a proxy's refusal is a clear ErrProxy.
func TestProxyRefused(t *testing.T) {
	srv := mqtttest.NewServer(t)
	p := newHTTPProxy(t, nil, "proxyuser", "proxypass")
	c := newClient(t, client.WithProxy(p.URL))
	_, err := c.Connect(testContext(t), srv.URL())
	require.ErrorIs(t, err, client.ErrProxy)
	assert.Contains(t, err.Error(), "407")
	assert.Empty(t, p.targets())

	_, err = client.New(client.WithProxy("ftp://proxy:21"))
	assert.ErrorIs(t, err, client.ErrInvalidOption)
	assert.ErrorIs(t, err, client.ErrProxy)
}

// TestProxyFromEnvironment chooses proxies from the environment: ws://
// from HTTP_PROXY, wss:// from https_proxy (lower case), tcp:// and
// tls:// from ALL_PROXY; NO_PROXY and loopback addresses go direct.
func TestProxyFromEnvironment(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithTLS(), mqtttest.WithWebSocket())
	hosts := map[string]string{brokerHost: "127.0.0.1"}
	httpP, httpsP, socks := newHTTPProxy(t, hosts, "", ""), newHTTPProxy(t, hosts, "", ""), newSOCKS5Proxy(t, hosts)
	t.Setenv("HTTP_PROXY", httpP.URL)
	t.Setenv("HTTPS_PROXY", "")
	t.Setenv("https_proxy", httpsP.URL)
	t.Setenv("ALL_PROXY", socks.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	tlsConf := srv.ClientTLSConfig()
	tlsConf.ServerName = "127.0.0.1" // the name dialled is brokerHost
	tlsOpt := client.WithTLSConfig(tlsConf)

	for _, tt := range []struct {
		name  string
		url   string
		proxy *testProxy
	}{
		{"tcp", srv.URL(), socks},
		{"tls", srv.TLSURL(), socks},
		{"ws", srv.WebSocketURL(), httpP},
		{"wss", srv.WebSocketTLSURL(), httpsP},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tt.proxy.targets())
			u := renamed(t, tt.url)
			roundTrip(t, u, client.WithProxyFromEnvironment(), tlsOpt)
			assert.Equal(t, []string{hostOf(t, u)}, tt.proxy.targets()[before:])
		})
	}

	asked := func() int { return len(httpP.targets()) + len(httpsP.targets()) + len(socks.targets()) }
	t.Run("loopback goes direct", func(t *testing.T) {
		before := asked()
		roundTrip(t, srv.URL(), client.WithProxyFromEnvironment())
		assert.Equal(t, before, asked())
	})
	t.Run("NO_PROXY", func(t *testing.T) {
		t.Setenv("NO_PROXY", "example.com, ."+strings.SplitN(brokerHost, ".", 2)[1])
		before := asked()
		c := newClient(t, client.WithProxyFromEnvironment())
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		// Direct, the name does not resolve: no proxy is asked.
		_, err := c.Connect(ctx, renamed(t, srv.URL()))
		require.Error(t, err)
		assert.NotErrorIs(t, err, client.ErrProxy)
		assert.Equal(t, before, asked())
	})
	t.Run("invalid value", func(t *testing.T) {
		t.Setenv("ALL_PROXY", "gopher://proxy:70")
		_, err := client.New(client.WithProxyFromEnvironment())
		assert.ErrorIs(t, err, client.ErrInvalidOption)
	})
}

// TestProxyFromEnvironmentSelection checks which variable each scheme
// reads, upper case before lower case, and NO_PROXY with ports.
func TestProxyFromEnvironmentSelection(t *testing.T) {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"} {
		t.Setenv(k, "")
	}
	t.Setenv("HTTP_PROXY", "upper:3128")
	t.Setenv("http_proxy", "http://lower:3128")
	t.Setenv("all_proxy", "socks5://all:1080")
	t.Setenv("no_proxy", "direct.example,ported.example:8883")
	f, err := client.ProxyFromEnvironment()
	require.NoError(t, err)
	for _, tt := range []struct{ broker, want string }{
		{"ws://b.example/mqtt", "http://upper:3128"},
		{"wss://b.example/mqtt", "socks5://all:1080"},
		{"tcp://b.example", "socks5://all:1080"},
		{"mqtts://b.example", "socks5://all:1080"},
		{"tcp://direct.example:2883", ""},
		{"tls://sub.direct.example", ""},
		{"tls://ported.example", ""},
		{"tcp://ported.example", "socks5://all:1080"},
		{"tcp://localhost:2883", ""},
		{"tcp://[::1]:2883", ""},
		{"unix:///tmp/mqtt.sock", ""},
	} {
		u, err := url.Parse(tt.broker)
		require.NoError(t, err)
		p, err := f(u)
		require.NoError(t, err)
		got := ""
		if p != nil {
			got = p.String()
		}
		assert.Equal(t, tt.want, got, tt.broker)
	}
}

// TestTLSFiles connects with the authority, client certificate and key
// read from PEM files, to a broker that demands client certificates.
func TestTLSFiles(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithClientCertificates(), mqtttest.WithWebSocket())
	files, err := srv.WriteCertFiles(t.TempDir())
	require.NoError(t, err)
	opt := client.WithTLSFiles(files.CA, files.Cert, files.Key)
	t.Run("tls", func(t *testing.T) { roundTrip(t, srv.TLSURL(), opt) })
	t.Run("wss", func(t *testing.T) { roundTrip(t, srv.WebSocketTLSURL(), opt) })
	t.Run("without a client certificate", func(t *testing.T) {
		c := newClient(t, client.WithTLSFiles(files.CA, "", ""), client.WithConnectTimeout(5*time.Second))
		_, err := c.Connect(testContext(t), srv.TLSURL())
		assert.Error(t, err)
	})
	t.Run("without the authority", func(t *testing.T) {
		c := newClient(t, client.WithTLSFiles("", files.Cert, files.Key), client.WithConnectTimeout(5*time.Second))
		_, err := c.Connect(testContext(t), srv.TLSURL())
		var unknown x509UnknownAuthority
		assert.ErrorAs(t, err, &unknown)
	})
	t.Run("bad files", func(t *testing.T) {
		_, err := client.New(client.WithTLSFiles(files.CA+".missing", "", ""))
		assert.ErrorIs(t, err, client.ErrInvalidOption)
		_, err = client.New(client.WithTLSFiles(files.Key, "", ""))
		assert.ErrorIs(t, err, client.ErrInvalidOption)
		_, err = client.New(client.WithTLSFiles(files.CA, files.Cert, files.CA))
		assert.ErrorIs(t, err, client.ErrInvalidOption)
	})
}

// x509UnknownAuthority is the error of a certificate signed by an
// authority not trusted.
type x509UnknownAuthority = *tls.CertificateVerificationError
