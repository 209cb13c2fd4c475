package client_test

import (
	"testing"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/internal/certs"
	"github.com/onmqtt/onmqtt/message"
)

// brokerSpec is what a test needs from a broker, whichever it is.
type brokerSpec struct {
	Users       map[string]string // nil: anonymous access
	Deny        []string          // filters whose subscription is refused
	WebSocket   bool
	Unix        bool
	TLS         *certs.Set // adds a TLS listener
	RequireCert bool       // the TLS listener demands a client certificate
}

// testBroker is a running broker and the URLs of its listeners.
type testBroker struct {
	Kind    *brokerKind
	Addr    string
	WSAddr  string
	Unix    string
	TLSAddr string
}

// brokerKind is one broker implementation the integration tests run
// against, with what it does where brokers may differ.
type brokerKind struct {
	Name  string
	start func(t *testing.T, k *brokerKind, s brokerSpec) testBroker
	// BadAuthCode is the CONNACK code for an unknown user or a wrong
	// password.
	BadAuthCode message.ConnackCode
	// OverlapCopies is how many copies of one publication a client gets
	// when two of its subscriptions match the topic.
	OverlapCopies int
	// EmptyIDCode is the CONNACK return code refusing an empty client
	// identifier without clean session. MQTT 3.1.1 requires 2
	// [MQTT-3.1.3-8]; mochi 2.7 answers an MQTT 3.1.1 client with the
	// MQTT 5 reason code 0x80 (unspecified error) instead.
	EmptyIDCode message.ConnackCode
	// SysPublishAcked reports whether the broker acknowledges a QoS 1
	// publication to a $SYS topic from a client. Neither broker delivers
	// it; mochi ignores the packet altogether, so the PUBACK never comes.
	SysPublishAcked bool
	// WSMaxQuick is the largest message the broker delivers to a
	// WebSocket subscriber in well under a second; 0 means no limit.
	// mosquitto 2.0.11 sends about 4 KB every 100 ms over WebSocket, so a
	// 300 KB message takes 7 s; TCP is not affected.
	WSMaxQuick int
}

var (
	mochi = &brokerKind{
		Name:          "mochi",
		start:         startMochi,
		BadAuthCode:   message.RefusedNotAuthorized,
		OverlapCopies: 1, // one copy, at the highest granted QoS
		EmptyIDCode:   0x80,
	}
	mosquitto = &brokerKind{
		Name:            "mosquitto",
		start:           startMosquitto,
		BadAuthCode:     message.RefusedNotAuthorized,
		OverlapCopies:   1, // 2.0 also sends one copy, at the highest granted QoS
		EmptyIDCode:     message.RefusedIdentifierRejected,
		SysPublishAcked: true,
		WSMaxQuick:      20_000,
	}
	brokerKinds = []*brokerKind{mochi, mosquitto}
)

func startMochi(t *testing.T, k *brokerKind, s brokerSpec) testBroker {
	o := broker.EmbeddedOptions{Users: s.Users, DenyFilters: s.Deny, WebSocket: s.WebSocket, Unix: s.Unix}
	if s.TLS != nil {
		o.TLS = s.TLS.ServerTLS(s.RequireCert)
	}
	b := brokertest.Embedded(t, o)
	return testBroker{Kind: k, Addr: b.Addr(), WSAddr: b.WSAddr(), Unix: b.UnixAddr(), TLSAddr: b.TLSAddr()}
}

func startMosquitto(t *testing.T, k *brokerKind, s brokerSpec) testBroker {
	m := brokertest.Mosquitto(t, broker.MosquittoOptions{
		Users:              s.Users,
		DenyFilters:        s.Deny,
		WebSocket:          s.WebSocket,
		Unix:               s.Unix,
		TLS:                s.TLS,
		RequireCertificate: s.RequireCert,
		// At least the client's window: mosquitto 2.0.11 drops QoS 2
		// deliveries to a 3.1.1 client beyond it.
		MaxInflightMessages: broker.DefaultMaxInflightMessages,
	})
	return testBroker{Kind: k, Addr: m.Addr(), WSAddr: m.WSAddr(), Unix: m.UnixAddr(), TLSAddr: m.TLSAddr()}
}

// forEachBroker runs f in a subtest per broker kind, each with a broker of
// its own started for spec.
func forEachBroker(t *testing.T, spec brokerSpec, f func(t *testing.T, b testBroker)) {
	t.Helper()
	for _, k := range brokerKinds {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			f(t, k.start(t, k, spec))
		})
	}
}
