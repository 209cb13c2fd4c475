package client_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// silence is how long a peer listens to prove the client sent nothing.
const silence = 150 * time.Millisecond

func TestPeerSendPriority(t *testing.T) {
	gate := newGate()
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithDialer(gate.dial))
	ctx := testContext(t)
	inbound := make(chan struct{}, 1)
	_, err := c.On(message.PUBLISH, func(*router.Event) { inbound <- struct{}{} }, nil, 0)
	require.NoError(t, err)

	gate.hold()
	first, err := c.Publish(ctx, "prio/first", nil, message.QoS0)
	require.NoError(t, err)
	gate.waitBlocked(t) // the writer is stuck writing prio/first

	var toks []*client.Token
	for _, p := range []struct {
		topic string
		qos   message.QoS
		level client.PublishOption
	}{
		{"prio/normal-1", message.QoS1, client.WithPriority(priority.Normal)},
		{"prio/high-1", message.QoS1, client.WithPriority(priority.High)},
		{"prio/normal-2", message.QoS2, client.WithPriority(priority.Normal)},
		{"prio/high-q0", message.QoS0, client.WithPriority(priority.High)},
		{"prio/critical", message.QoS1, client.WithPriority(priority.Critical)},
		{"prio/high-2", message.QoS1, client.WithPriority(priority.High)},
	} {
		tok, err := c.Publish(ctx, p.topic, nil, p.qos, p.level)
		require.NoError(t, err, p.topic)
		toks = append(toks, tok)
	}
	// An inbound QoS 2 PUBLISH queues a PUBREC behind the publishes; its
	// event runs after the PUBREC was queued.
	pc.Send(&message.Publish{Message: message.Message{Topic: "prio/in", QoS: message.QoS2, PacketID: 77}})
	select {
	case <-inbound:
	case <-time.After(waitLimit):
		require.Fail(t, "inbound PUBLISH not dispatched")
	}
	gate.release()
	waitToken(t, first)

	var got []string
	want := []string{"prio/first", "PUBREC", "prio/critical", "prio/high-1", "prio/high-q0", "prio/high-2", "prio/normal-1", "prio/normal-2", "PUBREL"}
	for len(got) < len(want) {
		p, err := pc.ReadWithin(waitLimit)
		require.NoError(t, err, "peer, after %v", got)
		switch p := p.(type) {
		case *message.Publish:
			got = append(got, p.Topic)
			switch p.QoS {
			case message.QoS1:
				pc.Send(&message.Puback{PacketID: p.PacketID})
			case message.QoS2:
				pc.Send(&message.Pubrec{PacketID: p.PacketID})
			}
		case *message.Pubrel:
			got = append(got, "PUBREL")
			pc.Send(&message.Pubcomp{PacketID: p.PacketID})
		default:
			got = append(got, p.Type().String())
		}
	}
	assert.Equal(t, want, got, "packets the peer got")
	for _, tok := range toks {
		waitToken(t, tok)
	}
}

func TestPeerMaxPending(t *testing.T) {
	r, rec := recordAll(t)
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithManualLoop(), client.WithMaxPending(2), client.WithRouter(r))
	ctx := testContext(t)
	require.NoError(t, c.WaitMsg(ctx)) // CONNACK
	rec.nextOf(t, message.CONNACK)
	for i := range 5 {
		pc.Send(&message.Publish{Message: message.Message{Topic: "pending/q0", Payload: []byte{byte(i)}}})
	}
	pc.Send(&message.Publish{Message: message.Message{Topic: "pending/q1", QoS: message.QoS1, PacketID: 1}})
	pc.Send(&message.Publish{Message: message.Message{Topic: "pending/q2", QoS: message.QoS2, PacketID: 2}})
	// Two QoS 0 messages fill the bound, the other three are dropped;
	// the QoS 1 message goes past the bound and the reader stops: the
	// QoS 2 one stays unread, unacknowledged, until a handler ran.
	deadline := time.Now().Add(waitLimit)
	for (c.Stats().Dropped != 3 || c.Stats().Pending != 3) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	st := c.Stats()
	require.EqualValues(t, 3, st.Dropped, "QoS 0 messages dropped")
	require.EqualValues(t, 3, st.Pending, "messages pending")
	pc.ExpectSilence(50 * time.Millisecond)
	var got []string
	for range 4 {
		require.NoError(t, c.WaitMsg(ctx))
		e := rec.next(t)
		got = append(got, fmt.Sprint(e.Msg.Topic, e.Msg.Payload))
	}
	want := []string{"pending/q0[0]", "pending/q0[1]", "pending/q1[]", "pending/q2[]"}
	assert.Equal(t, want, got, "want the first two QoS 0 messages and every QoS 1 and 2 one")
	// PUBREC leaves when the reader reads the QoS 2 message, after the
	// first dispatch; PUBACK after the third: either may come first.
	acks := map[message.Type]uint16{}
	for range 2 {
		p, err := pc.ReadWithin(waitLimit)
		require.NoError(t, err)
		acks[p.Type()] = peer.PacketID(p)
	}
	assert.Equal(t, uint16(2), acks[message.PUBREC], "acknowledgements %v: PUBREC id", acks)
	assert.Equal(t, uint16(1), acks[message.PUBACK], "acknowledgements %v: PUBACK id", acks)
}

// TestPeerDisconnectLast checks that DISCONNECT leaves after everything
// queued before it: a graceful disconnect does not drop publishes.
func TestPeerDisconnectLast(t *testing.T) {
	gate := newGate()
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithDialer(gate.dial))
	ctx := testContext(t)
	gate.hold()
	first, err := c.Publish(ctx, "bye/0", nil, message.QoS0)
	require.NoError(t, err)
	gate.waitBlocked(t)
	var toks []*client.Token
	for _, topic := range []string{"bye/1", "bye/2", "bye/3"} {
		tok, err := c.Publish(ctx, topic, nil, message.QoS0)
		require.NoError(t, err, topic)
		toks = append(toks, tok)
	}
	disc := make(chan error, 1)
	go func() { disc <- c.Disconnect(ctx) }()
	// Nothing shows when Disconnect has queued DISCONNECT: give it a
	// moment. Were it too short, the test would pass without proving
	// anything, never fail wrongly.
	time.Sleep(50 * time.Millisecond)
	gate.release()
	// The client closes the connection after DISCONNECT.
	var got []string
	for _, p := range pc.SkipToClose() {
		if pub, ok := p.(*message.Publish); ok {
			got = append(got, pub.Topic)
		} else {
			got = append(got, p.Type().String())
		}
	}
	assert.NoError(t, <-disc, "Disconnect")
	want := []string{"bye/0", "bye/1", "bye/2", "bye/3", "DISCONNECT"}
	assert.Equal(t, want, got, "packets the peer got")
	waitToken(t, first)
	for _, tok := range toks {
		waitToken(t, tok)
	}
}
