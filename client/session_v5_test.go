package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// reaccept takes the client's next connection to p and answers its
// 5.0 CONNECT with the session-present flag present.
func reaccept(t *testing.T, p *peer.Peer, present bool) *peer.Conn {
	t.Helper()
	pc := p.Next(t)
	cp := pc.Expect(message.CONNECT).(*message.Connect)
	assert.False(t, cp.CleanSession, "Clean Start 0 to resume")
	pc.SetVersion(message.V5)
	pc.Send(&message.Connack{SessionPresent: present})
	return pc
}

// TestV5ResendRules checks the resend at 5.0: with Session Present 1 the
// unacknowledged PUBLISH (DUP 1, same identifier) and the PUBREL are
// resent in original order, never the PUBLISH of a released QoS 2 flow
// [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-4.3.3-5]; with Session Present 0
// the session state is discarded [MQTT-3.2.2-5]: the QoS 1 publish goes
// again as a new one (DUP 0), the released QoS 2 flow is over.
func TestV5ResendRules(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithClientID("resend5"), client.WithCleanSession(false),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond))
	pc, _ := connectScriptedTo5(t, c, p, nil)
	ctx := testContext(t)
	tok2, err := c.Publish(ctx, "q2", []byte("two"), message.QoS2)
	require.NoError(t, err)
	p2 := pc.ExpectPublish()
	assert.False(t, p2.Dup, "DUP 0 on the first send")
	pc.Send(&message.Pubrec{PacketID: p2.PacketID})
	pc.ExpectAck(message.PUBREL, p2.PacketID)
	tok1, err := c.Publish(ctx, "q1", []byte("one"), message.QoS1)
	require.NoError(t, err)
	p1 := pc.ExpectPublish()
	assert.False(t, p1.Dup)
	pc.Close()

	pc = reaccept(t, p, true)
	pc.ExpectAck(message.PUBREL, p2.PacketID)
	again := pc.ExpectPublish()
	assert.True(t, again.Dup)
	assert.Equal(t, p1.PacketID, again.PacketID)
	pc.ExpectSilence(100 * time.Millisecond)
	pc.Close()

	pc = reaccept(t, p, false)
	fresh := pc.ExpectPublish()
	assert.Equal(t, "q1", fresh.Topic)
	assert.False(t, fresh.Dup, "a new publish to a new session")
	pc.Send(&message.Puback{PacketID: fresh.PacketID})
	require.NoError(t, tok1.Wait(ctx))
	require.NoError(t, tok2.Wait(ctx), "the broker took the message at PUBREC")
	pc.ExpectSilence(100 * time.Millisecond)
}

// TestV5InboundQoS2 checks the receiver's QoS 2 flow at 5.0: PUBREC, a
// duplicate acknowledged again and not delivered twice, PUBCOMP after
// PUBREL, and the identifier a new message afterwards [MQTT-4.3.3-8] …
// [MQTT-4.3.3-12]; the PUBLISH is acknowledged although no handler takes
// it [MQTT-4.5.0-2].
func TestV5InboundQoS2(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	got := make(chan string, 4)
	_, err := c.Router().On(message.PUBLISH, func(e *router.Event) { got <- string(e.Message.Payload) }, router.Topic("in"), 0)
	require.NoError(t, err)
	pub := func(payload string, dup bool) {
		pc.Send(&message.Publish{Message: message.Message{Topic: "in", QoS: message.QoS2, PacketID: 5, Payload: []byte(payload), Dup: dup}})
	}
	pub("first", false)
	pc.ExpectAck(message.PUBREC, 5)
	pub("first", true)
	pc.ExpectAck(message.PUBREC, 5)
	pc.Send(&message.Pubrel{PacketID: 5})
	pc.ExpectAck(message.PUBCOMP, 5)
	pub("second", false)
	pc.ExpectAck(message.PUBREC, 5)
	pc.Send(&message.Pubrel{PacketID: 5})
	pc.ExpectAck(message.PUBCOMP, 5)
	for _, want := range []string{"first", "second"} {
		select {
		case m := <-got:
			assert.Equal(t, want, m)
		case <-time.After(waitLimit):
			require.FailNow(t, "not delivered")
		}
	}
	assert.Empty(t, got, "the duplicate is not delivered")

	// Unhandled, still acknowledged.
	pc.Send(&message.Publish{Message: message.Message{Topic: "nobody", QoS: message.QoS1, PacketID: 9}})
	pc.ExpectAck(message.PUBACK, 9)
}

// TestV5AckOrder checks the order of acknowledgements at 5.0: PUBACKs
// and PUBRECs in the order the PUBLISHes arrived, PUBRELs in the order
// the PUBRECs arrived [MQTT-4.6.0-2] [MQTT-4.6.0-3] [MQTT-4.6.0-4].
func TestV5AckOrder(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	for id := uint16(1); id <= 3; id++ {
		pc.Send(&message.Publish{Message: message.Message{Topic: "o", QoS: message.QoS1, PacketID: id}})
	}
	for id := uint16(1); id <= 3; id++ {
		pc.ExpectAck(message.PUBACK, id)
	}
	for id := uint16(4); id <= 6; id++ {
		pc.Send(&message.Publish{Message: message.Message{Topic: "o", QoS: message.QoS2, PacketID: id}})
	}
	for id := uint16(4); id <= 6; id++ {
		pc.ExpectAck(message.PUBREC, id)
	}
	ctx := testContext(t)
	var ids []uint16
	for range 2 {
		_, err := c.Publish(ctx, "out", nil, message.QoS2)
		require.NoError(t, err)
		ids = append(ids, pc.ExpectPublish().PacketID)
	}
	pc.Send(&message.Pubrec{PacketID: ids[1]})
	pc.Send(&message.Pubrec{PacketID: ids[0]})
	pc.ExpectAck(message.PUBREL, ids[1])
	pc.ExpectAck(message.PUBREL, ids[0])
}

// TestV5KeepAlive checks PINGREQ on an idle 5.0 connection with our own
// keepalive [MQTT-3.1.2-20].
func TestV5KeepAlive(t *testing.T) {
	_, pc, cp := connectScripted5(t, nil, client.WithKeepAlive(time.Second))
	assert.Equal(t, uint16(1), cp.KeepAlive)
	pc.Expect(message.PINGREQ)
	pc.Send(&message.Pingresp{})
	pc.Expect(message.PINGREQ)
}

// TestV5PubrelReasonCode checks that a PUBREL's reason code and
// properties are on its event, and that PUBCOMP follows it anyway.
func TestV5PubrelReasonCode(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	got := make(chan string, 1)
	_, err := c.Router().On(message.PUBREL, func(e *router.Event) {
		got <- e.ReasonCode.String() + ": " + e.ReasonString()
	}, router.Failed(), 0)
	require.NoError(t, err)
	pc.Send(&message.Publish{Message: message.Message{Topic: "r", QoS: message.QoS2, PacketID: 3}})
	pc.ExpectAck(message.PUBREC, 3)
	pc.Send(&message.Pubrel{PacketID: 3, ReasonCode: message.PacketIdentifierNotFound,
		Properties: &message.Properties{ReasonString: "lost it"}})
	pc.ExpectAck(message.PUBCOMP, 3)
	select {
	case s := <-got:
		assert.Equal(t, "Packet Identifier not found: lost it", s)
	case <-time.After(waitLimit):
		require.FailNow(t, "no PUBREL event")
	}
}
