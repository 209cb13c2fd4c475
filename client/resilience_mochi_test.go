package client_test

// Minimal reproductions of the two ways mochi 2.7 (the embedded broker)
// loses QoS 1 and 2 messages when connections fail. They speak raw MQTT
// to the broker, so no behaviour of this client is involved. Each test
// asserts the loss: if one starts failing, mochi has been fixed and the
// allowance the resilience tests make for it (see mochiWitness) should
// be removed.

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/require"
)

// rawSession is an MQTT 3.1.1 client connection driven packet by packet.
type rawSession struct {
	t  *testing.T
	nc net.Conn
	r  *message.Reader
}

// dialRaw connects to the broker at url with CONNECT and returns the
// session and CONNACK's session-present flag.
func dialRaw(t *testing.T, url, id string, clean bool) (*rawSession, bool) {
	t.Helper()
	s, present, err := tryDialRaw(t, url, id, clean)
	require.NoError(t, err)
	return s, present
}

// tryDialRaw is dialRaw for any goroutine: it returns its error.
func tryDialRaw(t *testing.T, url, id string, clean bool) (*rawSession, bool, error) {
	nc, err := net.Dial("tcp", strings.TrimPrefix(url, "tcp://"))
	if err != nil {
		return nil, false, err
	}
	t.Cleanup(func() { nc.Close() })
	s := &rawSession{t: t, nc: nc, r: message.NewReader(bufio.NewReader(nc), message.V311, 0)}
	if err := message.Write(nc, &message.Connect{Version: message.V311, ClientID: id, CleanSession: clean, KeepAlive: 60}, message.V311); err != nil {
		return nil, false, err
	}
	p, err := s.read(waitLimit)
	if err != nil {
		return nil, false, fmt.Errorf("%s: waiting for CONNACK: %w", id, err)
	}
	ack, ok := p.(*message.Connack)
	if !ok || ack.ReturnCode != message.Accepted {
		return nil, false, fmt.Errorf("%s: got %v, want CONNACK accepted", id, p)
	}
	return s, ack.SessionPresent, nil
}

func (s *rawSession) send(p message.Packet) {
	s.t.Helper()
	require.NoError(s.t, message.Write(s.nc, p, message.V311), "send %v", p.Type())
}

// read returns the next packet within d; the packet is valid until the
// next read.
func (s *rawSession) read(d time.Duration) (message.Packet, error) {
	s.nc.SetReadDeadline(time.Now().Add(d))
	return s.r.ReadPacket()
}

// until reads packets, skipping others, until one of type typ.
func (s *rawSession) until(typ message.Type) message.Packet {
	s.t.Helper()
	for {
		p, err := s.read(waitLimit)
		require.NoError(s.t, err, "want %v", typ)
		if p.Type() == typ {
			return p
		}
	}
}

// messages returns the payloads of the PUBLISH packets that arrive within
// d, acknowledging each.
func (s *rawSession) messages(d time.Duration) []string {
	s.t.Helper()
	var got []string
	deadline := time.Now().Add(d)
	for {
		p, err := s.read(time.Until(deadline))
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return got
			}
			require.NoError(s.t, err, "reading messages")
		}
		pub, ok := p.(*message.Publish)
		if !ok {
			continue
		}
		got = append(got, string(pub.Payload))
		switch pub.QoS {
		case message.QoS1:
			s.send(&message.Puback{PacketID: pub.PacketID})
		case message.QoS2:
			s.send(&message.Pubrec{PacketID: pub.PacketID})
		}
	}
}

func (s *rawSession) subscribe(filter string, q message.QoS) {
	s.t.Helper()
	s.send(&message.Subscribe{PacketID: 1, Subscriptions: []message.Subscription{{Filter: filter, QoS: q}}})
	s.until(message.SUBACK)
}

// dropOnPublish makes mochi's connection to a publisher fail while it
// handles that publisher's first QoS 2 PUBLISH, after the packet was read
// and before PUBREC is written: the moment a network failure can hit.
type dropOnPublish struct {
	mqtt.HookBase
	client string
	done   atomic.Bool
}

func (h *dropOnPublish) ID() string           { return "drop-on-publish" }
func (h *dropOnPublish) Provides(b byte) bool { return b == mqtt.OnPublish }

func (h *dropOnPublish) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.ID == h.client && pk.FixedHeader.Qos == 2 && h.done.CompareAndSwap(false, true) {
		cl.Stop(errors.New("network failure"))
	}
	return pk, nil
}

// TestMochiLosesQoS2WhenPubrecFails shows mochi losing a QoS 2 message:
// when the connection fails after mochi read the PUBLISH but before it
// wrote PUBREC, mochi keeps the packet identifier as received but never
// forwards the message. The publisher then does what MQTT asks: it
// reconnects with its session, sends the PUBLISH again with DUP set, gets
// PUBREC, sends PUBREL and gets PUBCOMP. The flow ends as if delivered,
// and no subscriber ever gets the message.
func TestMochiLosesQoS2WhenPubrecFails(t *testing.T) {
	hook := &dropOnPublish{client: "repro-pub"}
	b := brokertest.Embedded(t, broker.EmbeddedOptions{Configure: func(o *mqtt.Options) {
		o.Hooks = append(o.Hooks, mqtt.HookLoadConfig{Hook: hook})
	}})
	sub, _ := dialRaw(t, b.Addr(), "repro-sub", true)
	sub.subscribe("repro/#", message.QoS2)

	pub, _ := dialRaw(t, b.Addr(), "repro-pub", false)
	first := message.Message{Topic: "repro/a", Payload: []byte("first"), QoS: message.QoS2, PacketID: 1}
	pub.send(&message.Publish{Message: first})
	if p, err := pub.read(waitLimit); err == nil {
		require.Failf(t, "connection still up", "got %v, want the connection to fail before PUBREC", p.Type())
	}

	pub, present := dialRaw(t, b.Addr(), "repro-pub", false)
	require.True(t, present, "session present = false after reconnecting, want true")
	first.Dup = true
	pub.send(&message.Publish{Message: first})
	pub.until(message.PUBREC)
	pub.send(&message.Pubrel{PacketID: 1})
	pub.until(message.PUBCOMP)

	// A second message shows the subscription works.
	pub.send(&message.Publish{Message: message.Message{Topic: "repro/a", Payload: []byte("second"), QoS: message.QoS2, PacketID: 2}})
	pub.until(message.PUBREC)
	pub.send(&message.Pubrel{PacketID: 2})
	pub.until(message.PUBCOMP)

	got := sub.messages(500 * time.Millisecond)
	require.Equal(t, []string{"second"}, got, `subscriber messages (mochi losing "first"); if mochi now delivers it, drop the allowance in mochiWitness`)
	t.Logf(`mochi completed the QoS 2 flow of "first" (PUBREC, PUBCOMP) but never delivered it; subscriber got %q`, got)
}

// slowTakeover holds mochi in the middle of a session takeover: after it
// copied the old connection's in-flight messages to the new connection
// and while it clears them from the old one, but before the new
// connection is registered. A message published then is queued on the
// old connection, which is discarded.
type slowTakeover struct {
	mqtt.HookBase
	client    string // the subscriber taking its session over
	publisher string
	once      sync.Once
	entered   chan struct{}
	release   chan struct{}
	published chan string
}

func (h *slowTakeover) ID() string { return "slow-takeover" }
func (h *slowTakeover) Provides(b byte) bool {
	return b == mqtt.OnQosDropped || b == mqtt.OnPublished
}

func (h *slowTakeover) OnQosDropped(cl *mqtt.Client, pk packets.Packet) {
	if cl.ID != h.client {
		return
	}
	h.once.Do(func() {
		close(h.entered)
		select {
		case <-h.release:
		case <-time.After(waitLimit):
		}
	})
}

func (h *slowTakeover) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if cl.ID != h.publisher {
		return
	}
	select {
	case h.published <- string(pk.Payload):
	default:
	}
}

// TestMochiLosesMessagesDuringTakeover shows mochi losing a QoS 1
// message for a subscriber with a persistent session: a message
// published while the subscriber's reconnection is taking over its
// session goes to the old connection and is never delivered, neither
// then nor on any later connection.
func TestMochiLosesMessagesDuringTakeover(t *testing.T) {
	hook := &slowTakeover{client: "repro-sub", publisher: "repro-pub", entered: make(chan struct{}), release: make(chan struct{}), published: make(chan string, 10)}
	b := brokertest.Embedded(t, broker.EmbeddedOptions{Configure: func(o *mqtt.Options) {
		o.Hooks = append(o.Hooks, mqtt.HookLoadConfig{Hook: hook})
	}})
	sub, _ := dialRaw(t, b.Addr(), "repro-sub", false)
	sub.subscribe("repro/#", message.QoS1)
	pub, _ := dialRaw(t, b.Addr(), "repro-pub", true)
	publish := func(id uint16, payload string) {
		pub.send(&message.Publish{Message: message.Message{Topic: "repro/t", Payload: []byte(payload), QoS: message.QoS1, PacketID: id}})
		pub.until(message.PUBACK)
		select {
		case <-hook.published:
		case <-time.After(waitLimit):
			require.Failf(t, "mochi did not publish", "%q", payload)
		}
	}

	// "before" stays unacknowledged, so the session has a message in
	// flight when the subscriber comes back.
	publish(1, "before")
	p := sub.until(message.PUBLISH).(*message.Publish)
	require.Equal(t, "before", string(p.Payload))
	sub.nc.Close()

	type conn struct {
		s       *rawSession
		present bool
		err     error
	}
	back := make(chan conn, 1)
	go func() {
		s, present, err := tryDialRaw(t, b.Addr(), "repro-sub", false)
		back <- conn{s, present, err}
	}()
	select {
	case <-hook.entered:
	case <-time.After(waitLimit):
		require.Fail(t, "mochi did not take the session over")
	}
	publish(2, "during")
	close(hook.release)
	var c conn
	select {
	case c = <-back:
	case <-time.After(waitLimit):
		require.Fail(t, "reconnection did not complete")
	}
	require.NoError(t, c.err, "reconnecting")
	require.True(t, c.present, "session present = false, want true")
	publish(3, "after")
	got := c.s.messages(500 * time.Millisecond)
	// mochi sends "before" again and "after" in either order, and under
	// load sometimes sends "after" twice (this raw session never acks):
	// the point here is which messages arrive, not how often.
	slices.Sort(got)
	got = slices.Compact(got)
	want := []string{"after", "before"}
	require.Equal(t, want, got, `subscriber messages (mochi losing "during"); if mochi now delivers it, drop the allowance in mochiWitness`)
	t.Logf(`mochi acknowledged and published "during" while taking over the session, and never delivered it; subscriber got %q`, got)
}
