// Package certs makes throwaway X.509 material for TLS tests: a certificate
// authority, a server certificate for 127.0.0.1, ::1 and localhost, and a
// client certificate, all ECDSA P-256 and valid for one day.
//
// Everything is generated in memory by [New]. [Set.ServerTLS] and
// [Set.ClientTLS] give ready tls.Configs for Go brokers and clients, and
// [Set.WriteFiles] writes PEM files for a broker that reads them from disk,
// such as mosquitto.
//
// # Example
//
//	set, err := certs.New()
//	if err != nil { ... }
//	srv := set.ServerTLS(true)  // demands a client certificate
//	cli := set.ClientTLS(true)  // presents one
//
// The client configuration leaves ServerName empty, so the host name is
// taken from the address dialled, as [crypto/tls.Dial] does; code that
// wraps a connection itself with [crypto/tls.Client] must set it.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Validity is how long generated certificates stay valid. They become
// valid an hour before generation, to absorb clock differences.
const Validity = 24 * time.Hour

// ServerName is the DNS name in the server certificate, besides the
// loopback addresses 127.0.0.1 and ::1.
const ServerName = "localhost"

// ClientCommonName is the subject common name of the client certificate.
const ClientCommonName = "onmqtt-test-client"

// Set is one generated authority with the server and client certificates
// it signed. Its fields are read-only once made.
type Set struct {
	// CA is the self-signed authority certificate.
	CA *x509.Certificate
	// Pool holds CA, for RootCAs and ClientCAs.
	Pool *x509.CertPool
	// Server is the server certificate and key, its chain ending below CA.
	Server tls.Certificate
	// Client is the client certificate and key.
	Client tls.Certificate

	caPEM, serverPEM, serverKeyPEM, clientPEM, clientKeyPEM []byte
}

// Files names the PEM files written by [Set.WriteFiles].
type Files struct {
	CA         string // the authority certificate
	ServerCert string // the server certificate
	ServerKey  string // the server private key (PKCS #8)
	ClientCert string // the client certificate
	ClientKey  string // the client private key (PKCS #8)
}

// New generates a fresh authority, server certificate and client
// certificate.
func New() (*Set, error) {
	now := time.Now()
	notBefore, notAfter := now.Add(-time.Hour), now.Add(Validity)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: authority key: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "onmqtt test authority"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, caPEM, err := sign(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("certs: authority: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("certs: authority: %w", err)
	}

	s := &Set{CA: ca, Pool: x509.NewCertPool(), caPEM: caPEM}
	s.Pool.AddCert(ca)

	s.Server, s.serverPEM, s.serverKeyPEM, err = leaf(ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: ServerName},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{ServerName},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	})
	if err != nil {
		return nil, fmt.Errorf("certs: server: %w", err)
	}
	s.Client, s.clientPEM, s.clientKeyPEM, err = leaf(ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: ClientCommonName},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("certs: client: %w", err)
	}
	return s, nil
}

// leaf makes a key and a certificate from tmpl signed by the authority.
func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, tmpl *x509.Certificate) (tls.Certificate, []byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	_, certPEM, err := sign(tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	return pair, certPEM, keyPEM, nil
}

// sign gives tmpl a random serial number and signs it with the parent's
// key, returning the DER and PEM encodings.
func sign(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, priv *ecdsa.PrivateKey) ([]byte, []byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		return nil, nil, err
	}
	return der, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// ServerTLS returns a server configuration presenting the server
// certificate. With requireClientCert the handshake fails unless the
// client presents a certificate signed by the authority.
func (s *Set) ServerTLS(requireClientCert bool) *tls.Config {
	c := &tls.Config{
		Certificates: []tls.Certificate{s.Server},
		MinVersion:   tls.VersionTLS12,
	}
	if requireClientCert {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = s.Pool
	}
	return c
}

// ClientTLS returns a client configuration trusting only the authority,
// presenting the client certificate when withClientCert is true.
// ServerName is empty: see the package documentation.
func (s *Set) ClientTLS(withClientCert bool) *tls.Config {
	c := &tls.Config{
		RootCAs:    s.Pool,
		MinVersion: tls.VersionTLS12,
	}
	if withClientCert {
		c.Certificates = []tls.Certificate{s.Client}
	}
	return c
}

// CAPEM returns the authority certificate in PEM form.
func (s *Set) CAPEM() []byte { return append([]byte(nil), s.caPEM...) }

// WriteFiles writes the authority, server and client certificates and keys
// as PEM files into dir, keys readable by the owner only, and returns
// their paths.
func (s *Set) WriteFiles(dir string) (Files, error) {
	f := Files{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"),
		ServerKey:  filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey:  filepath.Join(dir, "client-key.pem"),
	}
	for _, w := range []struct {
		path string
		data []byte
		perm os.FileMode
	}{
		{f.CA, s.caPEM, 0o644},
		{f.ServerCert, s.serverPEM, 0o644},
		{f.ServerKey, s.serverKeyPEM, 0o600},
		{f.ClientCert, s.clientPEM, 0o644},
		{f.ClientKey, s.clientKeyPEM, 0o600},
	} {
		if err := os.WriteFile(w.path, w.data, w.perm); err != nil {
			return Files{}, fmt.Errorf("certs: %w", err)
		}
	}
	return f, nil
}
