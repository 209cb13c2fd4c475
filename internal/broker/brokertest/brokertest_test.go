package brokertest_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
)

// connack dials a tcp:// URL, sends CONNECT and returns the CONNACK code.
func connack(t *testing.T, url string) message.ConnackCode {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "tcp://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := message.Write(conn, &message.Connect{Version: message.V311, ClientID: "brokertest", CleanSession: true}, message.V311); err != nil {
		t.Fatal(err)
	}
	p, err := message.NewReader(conn, message.V311, 0).ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	ack, ok := p.(*message.Connack)
	if !ok {
		t.Fatalf("got %v, want CONNACK", p.Type())
	}
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
				if got := connack(t, addr); got != message.Accepted {
					t.Fatalf("CONNACK %v, want accepted", got)
				}
			})
			if addr == "" {
				return // skipped
			}
			// The subtest's cleanup has stopped the broker.
			if c, err := net.DialTimeout("tcp", strings.TrimPrefix(addr, "tcp://"), time.Second); err == nil {
				c.Close()
				t.Errorf("%s still accepts after the test ended", addr)
			}
		})
	}
}

func TestCerts(t *testing.T) {
	set := brokertest.Certs(t)
	if set.CA == nil || len(set.Server.Certificate) == 0 || len(set.Client.Certificate) == 0 {
		t.Fatal("incomplete certificate set")
	}
}
