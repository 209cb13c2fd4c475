package brokertest_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
)

// connack dials a tcp:// URL, sends CONNECT and returns the CONNACK code.
func connack(t *testing.T, url string) message.ConnackCode {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "tcp://"), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	require.NoError(t, message.Write(conn, &message.Connect{Version: message.V311, ClientID: "brokertest", CleanSession: true}, message.V311))
	p, err := message.NewReader(conn, message.V311, 0).ReadPacket()
	require.NoError(t, err)
	ack, ok := p.(*message.Connack)
	require.True(t, ok, "got %v, want CONNACK", p.Type())
	return ack.ReturnCode
}

func TestHelpers(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start func(t *testing.T) string
	}{
		{"embedded", func(t *testing.T) string { return brokertest.Embedded(t, broker.EmbeddedOptions{}).Addr() }},
		{"mosquitto", func(t *testing.T) string { return brokertest.Mosquitto(t, broker.MosquittoOptions{}).Addr() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var addr string
			t.Run("running", func(t *testing.T) {
				addr = tt.start(t)
				require.Equal(t, message.Accepted, connack(t, addr), "CONNACK")
			})
			if addr == "" {
				return // skipped
			}
			// The subtest's cleanup has stopped the broker.
			c, err := net.DialTimeout("tcp", strings.TrimPrefix(addr, "tcp://"), time.Second)
			if !assert.Error(t, err, "%s still accepts after the test ended", addr) {
				c.Close()
			}
		})
	}
}

func TestCerts(t *testing.T) {
	set := brokertest.Certs(t)
	require.NotNil(t, set.CA, "incomplete certificate set")
	require.NotEmpty(t, set.Server.Certificate, "incomplete certificate set")
	require.NotEmpty(t, set.Client.Certificate, "incomplete certificate set")
}
