package certs

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
	"time"
)

// handshake runs a TLS handshake over a loopback connection (buffered,
// unlike net.Pipe, so alerts never block) and returns the server's and the
// client's errors.
func handshake(t *testing.T, server, client *tls.Config) (serr, cerr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	other, err := New()
	if err != nil {
		t.Fatal(err)
	}
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
			if ok != tt.wantOK {
				t.Errorf("handshake ok = %v (server: %v, client: %v), want %v", ok, serr, cerr, tt.wantOK)
			}
		})
	}
}

func withCert(c *tls.Config, cert tls.Certificate) *tls.Config {
	c.Certificates = []tls.Certificate{cert}
	return c
}

func TestCertificates(t *testing.T) {
	set, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if !set.CA.IsCA {
		t.Errorf("CA.IsCA = false, want true")
	}
	for _, c := range []struct {
		name  string
		chain tls.Certificate
		usage x509.ExtKeyUsage
	}{
		{"server", set.Server, x509.ExtKeyUsageServerAuth},
		{"client", set.Client, x509.ExtKeyUsageClientAuth},
	} {
		leaf, err := x509.ParseCertificate(c.chain.Certificate[0])
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: set.Pool, KeyUsages: []x509.ExtKeyUsage{c.usage}}); err != nil {
			t.Errorf("%s: verify: %v", c.name, err)
		}
		if got := leaf.NotAfter.Sub(leaf.NotBefore); got > Validity+2*time.Hour {
			t.Errorf("%s: validity %v, want at most %v", c.name, got, Validity+time.Hour)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	set, err := New()
	if err != nil {
		t.Fatal(err)
	}
	f, err := set.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{f.ServerCert, f.ServerKey}, {f.ClientCert, f.ClientKey}} {
		if _, err := tls.LoadX509KeyPair(pair[0], pair[1]); err != nil {
			t.Errorf("LoadX509KeyPair(%s): %v", pair[0], err)
		}
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		t.Fatal(err)
	}
	if string(caPEM) != string(set.CAPEM()) {
		t.Errorf("%s differs from CAPEM()", f.CA)
	}
	info, err := os.Stat(f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s mode %v, want 0600", f.ServerKey, perm)
	}
}
