package certs

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handshake runs a TLS handshake over a loopback connection (buffered,
// unlike net.Pipe, so alerts never block) and returns the server's and the
// client's errors.
func handshake(t *testing.T, server, client *tls.Config) (serr, cerr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer b.Close()
	a, err := ln.Accept()
	require.NoError(t, err)
	defer a.Close()
	deadline := time.Now().Add(5 * time.Second)
	a.SetDeadline(deadline)
	b.SetDeadline(deadline)

	done := make(chan error, 1)
	go func() {
		s := tls.Server(a, server)
		err := s.Handshake()
		if err == nil {
			// Read one byte so a TLS 1.3 client certificate is checked
			// before the client is told the result.
			buf := make([]byte, 1)
			_, err = s.Read(buf)
		}
		a.Close()
		done <- err
	}()
	c := tls.Client(b, client)
	cerr = c.Handshake()
	if cerr == nil {
		_, cerr = c.Write([]byte{1})
	}
	b.Close()
	return <-done, cerr
}

func TestHandshake(t *testing.T) {
	set, err := New()
	require.NoError(t, err)
	other, err := New()
	require.NoError(t, err)
	tests := []struct {
		name       string
		server     *tls.Config
		client     *tls.Config
		serverName string
		wantOK     bool
	}{
		{"server only, ip", set.ServerTLS(false), set.ClientTLS(false), "127.0.0.1", true},
		{"server only, ipv6", set.ServerTLS(false), set.ClientTLS(false), "::1", true},
		{"server only, localhost", set.ServerTLS(false), set.ClientTLS(false), ServerName, true},
		{"mutual", set.ServerTLS(true), set.ClientTLS(true), "127.0.0.1", true},
		{"client cert not sent", set.ServerTLS(true), set.ClientTLS(false), "127.0.0.1", false},
		{"wrong host name", set.ServerTLS(false), set.ClientTLS(false), "example.com", false},
		{"unknown authority", set.ServerTLS(false), other.ClientTLS(false), "127.0.0.1", false},
		{"client cert from another authority", set.ServerTLS(true), withCert(set.ClientTLS(false), other.Client), "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.client.ServerName = tt.serverName
			serr, cerr := handshake(t, tt.server, tt.client)
			ok := serr == nil && cerr == nil
			assert.Equalf(t, tt.wantOK, ok, "handshake ok (server: %v, client: %v)", serr, cerr)
		})
	}
}

func withCert(c *tls.Config, cert tls.Certificate) *tls.Config {
	c.Certificates = []tls.Certificate{cert}
	return c
}

func TestCertificates(t *testing.T) {
	set, err := New()
	require.NoError(t, err)
	assert.True(t, set.CA.IsCA, "CA.IsCA")
	for _, c := range []struct {
		name  string
		chain tls.Certificate
		usage x509.ExtKeyUsage
	}{
		{"server", set.Server, x509.ExtKeyUsageServerAuth},
		{"client", set.Client, x509.ExtKeyUsageClientAuth},
	} {
		leaf, err := x509.ParseCertificate(c.chain.Certificate[0])
		require.NoError(t, err, c.name)
		_, err = leaf.Verify(x509.VerifyOptions{Roots: set.Pool, KeyUsages: []x509.ExtKeyUsage{c.usage}})
		assert.NoErrorf(t, err, "%s: verify", c.name)
		assert.LessOrEqualf(t, leaf.NotAfter.Sub(leaf.NotBefore), Validity+2*time.Hour, "%s: validity", c.name)
	}
}

func TestWriteFiles(t *testing.T) {
	set, err := New()
	require.NoError(t, err)
	f, err := set.WriteFiles(t.TempDir())
	require.NoError(t, err)
	for _, pair := range [][2]string{{f.ServerCert, f.ServerKey}, {f.ClientCert, f.ClientKey}} {
		_, err := tls.LoadX509KeyPair(pair[0], pair[1])
		assert.NoErrorf(t, err, "LoadX509KeyPair(%s)", pair[0])
	}
	caPEM, err := os.ReadFile(f.CA)
	require.NoError(t, err)
	assert.Equalf(t, string(set.CAPEM()), string(caPEM), "%s differs from CAPEM()", f.CA)
	info, err := os.Stat(f.ServerKey)
	require.NoError(t, err)
	assert.Equalf(t, os.FileMode(0o600), info.Mode().Perm(), "%s mode", f.ServerKey)
}
