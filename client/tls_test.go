package client_test

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLS(t *testing.T) {
	set := brokertest.Certs(t)
	t.Run("server verification", func(t *testing.T) {
		forEachBroker(t, brokerSpec{TLS: set}, func(t *testing.T, b testBroker) {
			t.Run("with the CA", func(t *testing.T) {
				roundTrip(t, b.TLSAddr, client.WithTLSConfig(set.ClientTLS(false)))
			})
			for _, scheme := range []string{"mqtts", "ssl"} {
				t.Run(scheme+" scheme", func(t *testing.T) {
					roundTrip(t, scheme+strings.TrimPrefix(b.TLSAddr, "tls"), client.WithTLSConfig(set.ClientTLS(false)))
				})
			}
			t.Run("without the CA", func(t *testing.T) {
				c := newClient(t, client.WithTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
				_, err := c.Connect(testContext(t), b.TLSAddr)
				var verr *tls.CertificateVerificationError
				var uerr x509.UnknownAuthorityError
				assert.ErrorAs(t, err, &verr, "want a certificate verification error")
				assert.ErrorAs(t, err, &uerr, "want an unknown authority")
				assert.False(t, c.IsConnected(), "IsConnected() got true, want false")
			})
			t.Run("wrong server name", func(t *testing.T) {
				cfg := set.ClientTLS(false)
				cfg.ServerName = "elsewhere.example"
				c := newClient(t, client.WithTLSConfig(cfg))
				_, err := c.Connect(testContext(t), b.TLSAddr)
				var herr x509.HostnameError
				assert.ErrorAs(t, err, &herr)
			})
		})
	})
	t.Run("client certificate", func(t *testing.T) {
		forEachBroker(t, brokerSpec{TLS: set, RequireCert: true}, func(t *testing.T, b testBroker) {
			t.Run("provided", func(t *testing.T) {
				roundTrip(t, b.TLSAddr, client.WithTLSConfig(set.ClientTLS(true)))
			})
			t.Run("missing", func(t *testing.T) {
				c := newClient(t, client.WithTLSConfig(set.ClientTLS(false)))
				_, err := c.Connect(testContext(t), b.TLSAddr)
				require.Error(t, err, "got connected without a client certificate, want an error")
				var ce *client.ConnackError
				assert.NotErrorAs(t, err, &ce, "want a TLS failure rather than a CONNACK refusal")
				assert.False(t, c.IsConnected(), "IsConnected() got true, want false")
			})
		})
	})
}

// TestSecureWebSocket runs against mochi only: the mosquitto helper has
// no WebSocket-over-TLS listener.
func TestSecureWebSocket(t *testing.T) {
	set := brokertest.Certs(t)
	b := brokertest.Embedded(t, broker.EmbeddedOptions{TLS: set.ServerTLS(false), SecureWebSocket: true})
	t.Run("with the CA", func(t *testing.T) {
		roundTrip(t, b.WSSAddr(), client.WithTLSConfig(set.ClientTLS(false)))
	})
	t.Run("without the CA", func(t *testing.T) {
		c := newClient(t, client.WithTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
		_, err := c.Connect(testContext(t), b.WSSAddr())
		var uerr x509.UnknownAuthorityError
		assert.ErrorAs(t, err, &uerr)
	})
}
