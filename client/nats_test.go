package client_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
)

// TestNATSInterop runs the interoperability checks against the MQTT
// interface of one nats-server (2.9.10 on Debian bookworm), which keeps
// sessions and retained messages in JetStream.
func TestNATSInterop(t *testing.T) {
	n := brokertest.NATS(t, broker.NATSOptions{})
	url := n.Addr(0)

	t.Run("connect", func(t *testing.T) {
		c := newClient(t, client.WithClientID(chaosClientID(t, "c")))
		present, err := c.Connect(testContext(t), url)
		require.NoError(t, err)
		assert.False(t, present, "session present with a clean session")
		assert.True(t, c.IsConnected())
		require.NoError(t, c.Disconnect(testContext(t)))
		assert.False(t, c.IsConnected())
	})

	t.Run("qos 0 and 1 both ways", func(t *testing.T) {
		var subs []message.Subscription
		for q := message.QoS0; q <= message.QoS1; q++ {
			subs = append(subs, message.Subscription{Filter: "rt/s" + string('0'+byte(q)) + "/#", QoS: q})
		}
		_, rec := subscriber(t, url, subs...)
		pub := publisher(t, url)
		for sq := message.QoS0; sq <= message.QoS1; sq++ {
			for pq := message.QoS0; pq <= message.QoS1; pq++ {
				topic := "rt/s" + string('0'+byte(sq)) + "/p" + string('0'+byte(pq))
				payload := []byte{0, 1, 0xff, byte(pq), byte(sq)}
				tok := publish(t, pub, topic, string(payload), pq)
				assert.Equal(t, pq > message.QoS0, tok.ID() != 0, "token id %d at QoS %d", tok.ID(), pq)
				e := rec.nextMessage(t)
				assert.Equal(t, topic, e.Msg.Topic)
				assert.Equal(t, payload, e.Msg.Payload)
				assert.Equal(t, min(pq, sq), e.Msg.QoS, "publish q%d subscribe q%d", pq, sq)
				assert.False(t, e.Msg.Retain)
			}
		}
		rec.empty(t)
	})

	t.Run("retained set and clear", func(t *testing.T) {
		pub := publisher(t, url)
		publishForwarded(t, pub, url, "ret/a", "kept", message.QoS1, client.Retain())
		_, rec := subscriber(t, url, message.Subscription{Filter: "ret/#", QoS: message.QoS1})
		e := rec.nextMessage(t)
		assert.Equal(t, "ret/a", e.Msg.Topic)
		assert.Equal(t, "kept", string(e.Msg.Payload))
		assert.True(t, e.Msg.Retain, "a retained message delivered on subscribe has RETAIN set")

		// An empty retained message clears it: a later subscriber gets
		// only the live message that follows.
		publishForwarded(t, pub, url, "ret/a", "", message.QoS1, client.Retain())
		e = rec.nextMessage(t) // the clearing message, delivered live
		assert.Equal(t, "ret/a", e.Msg.Topic)
		assert.Empty(t, e.Msg.Payload)
		_, rec2 := subscriber(t, url, message.Subscription{Filter: "ret/#", QoS: message.QoS1})
		publish(t, pub, "ret/end", "live", message.QoS1)
		got := rec2.until(t, "ret/end")
		assert.Equal(t, []string{"ret/end"}, topics(got), "a cleared retained message was delivered")
		assert.False(t, got[len(got)-1].Msg.Retain)
	})

	t.Run("will on abrupt loss", func(t *testing.T) {
		_, rec := subscriber(t, url, message.Subscription{Filter: "will/#", QoS: message.QoS1})
		proxy := newChaosProxy(t, url)
		w := newClient(t, client.WithClientID(chaosClientID(t, "w")),
			client.WithWill("will/gone", []byte("bye"), message.QoS1, false))
		connect(t, w, proxy.URL())
		require.Equal(t, 1, proxy.Cut())
		e := rec.nextMessage(t)
		assert.Equal(t, "will/gone", e.Msg.Topic)
		assert.Equal(t, "bye", string(e.Msg.Payload))
		assert.Equal(t, message.QoS1, e.Msg.QoS)

		// After DISCONNECT the will is not published.
		w2 := newClient(t, client.WithClientID(chaosClientID(t, "w2")),
			client.WithWill("will/w2", []byte("no"), message.QoS1, false))
		connect(t, w2, url)
		require.NoError(t, w2.Disconnect(testContext(t)))
		pub := publisher(t, url)
		publish(t, pub, "will/end", "", message.QoS1)
		assert.Equal(t, []string{"will/end"}, topics(rec.until(t, "will/end")))
	})

	t.Run("unsubscribe", func(t *testing.T) {
		sub, rec := subscriber(t, url,
			message.Subscription{Filter: "un/a", QoS: message.QoS1},
			message.Subscription{Filter: "un/end", QoS: message.QoS1})
		pub := publisher(t, url)
		publish(t, pub, "un/a", "1", message.QoS1)
		assert.Equal(t, "un/a", rec.nextMessage(t).Msg.Topic)
		require.NoError(t, sub.Unsubscribe(testContext(t), "un/a"))
		publish(t, pub, "un/a", "2", message.QoS1)
		publish(t, pub, "un/end", "", message.QoS1)
		assert.Equal(t, []string{"un/end"}, topics(rec.until(t, "un/end")))
	})

	t.Run("keepalive", func(t *testing.T) {
		// A 1 s keepalive over 3.5 s: the client pings, NATS answers,
		// and neither side ends the connection.
		opt, lostCh := lostRecorder()
		c := newClient(t, opt, client.WithKeepAlive(time.Second))
		connect(t, c, url)
		time.Sleep(3500 * time.Millisecond)
		assert.True(t, c.IsConnected())
		st := c.Stats()
		assert.GreaterOrEqual(t, st.Sent[message.PINGREQ], uint64(3))
		assert.GreaterOrEqual(t, st.Received[message.PINGRESP], st.Sent[message.PINGREQ]-1)
		assert.Zero(t, st.ConnectionsLost)
		select {
		case err := <-lostCh:
			assert.Failf(t, "connection lost", "%v", err)
		default:
		}
	})

	t.Run("persistent session resumes", func(t *testing.T) {
		id := chaosClientID(t, "s")
		c := newClient(t, client.WithClientID(id), client.WithCleanSession(false))
		present, err := c.Connect(testContext(t), url)
		require.NoError(t, err)
		assert.False(t, present, "a first connect found a session")
		_, err = c.Subscribe(testContext(t), message.Subscription{Filter: "sess/#", QoS: message.QoS1})
		require.NoError(t, err)
		require.NoError(t, c.Disconnect(testContext(t)))

		// Published while the subscriber is away: JetStream keeps them.
		pub := publisher(t, url)
		for _, p := range []string{"1", "2", "3"} {
			publish(t, pub, "sess/x", p, message.QoS1)
		}
		rec := newRecorder()
		c2 := newClient(t, client.WithClientID(id), client.WithCleanSession(false))
		_, err = c2.On(message.PUBLISH, rec.handler(), nil, 0)
		require.NoError(t, err)
		present, err = c2.Connect(testContext(t), url)
		require.NoError(t, err)
		assert.True(t, present, "session not resumed")
		var got []string
		for range 3 {
			got = append(got, string(rec.nextMessage(t).Msg.Payload))
		}
		assert.Equal(t, []string{"1", "2", "3"}, got)
		assert.Empty(t, c2.Subscriptions(), "the resumed session needed no subscription of its own")
		require.NoError(t, c2.Disconnect(testContext(t)))

		// A clean session discards it.
		c3 := newClient(t, client.WithClientID(id))
		present, err = c3.Connect(testContext(t), url)
		require.NoError(t, err)
		assert.False(t, present)
	})

	t.Run("qos 2", func(t *testing.T) {
		testNATSQoS2(t, url)
		const refusal = "publish QoS=2 not supported"
		assert.Contains(t, n.NodeLog(0), refusal)
		for _, line := range strings.Split(n.NodeLog(0), "\n") {
			if strings.Contains(line, refusal) {
				t.Logf("nats-server: %s", line)
				break
			}
		}
	})
	t.Run("qos 2 with auto reconnect", func(t *testing.T) {
		c := newClient(t, client.WithAutoReconnect(20*time.Millisecond, 100*time.Millisecond))
		connect(t, c, url)
		_, err := c.Publish(testContext(t), "q2/again", []byte("z"), message.QoS2)
		require.NoError(t, err)
		// The pending QoS 2 flow is resent on every new connection, and
		// the server drops each one.
		require.Eventually(t, func() bool { return c.Stats().ConnectionsLost >= 3 }, waitLimit, 10*time.Millisecond,
			"the server did not drop the connection carrying the QoS 2 flow three times")
		st := c.Stats()
		t.Logf("%d connects, %d connections lost, %d PUBLISH sent", st.Connects, st.ConnectionsLost, st.Sent[message.PUBLISH])
		// With AutoReconnect the client
		// reconnects in a loop, paced by the backoff, until the
		// application closes it. Nothing in 3.1.1 tells the client that
		// the server will never take QoS 2.
		assert.GreaterOrEqual(t, st.ConnectionsLost, uint64(3))
		assert.GreaterOrEqual(t, st.Sent[message.PUBLISH], st.ConnectionsLost)
		assert.Equal(t, 1, st.Inflight, "the QoS 2 flow is still pending")
	})
}

// TestNATSResendsOnlyAfterAckWait pins why, in the failover runs,
// messages the broker had in flight to a connection that died come late:
// nats-server 2.9.10 does not resend a resumed session's unacknowledged
// QoS 1 messages when the session resumes, as [MQTT-4.4.0-1] asks. The
// JetStream consumer behind the subscription sends them again when their
// ack wait (mqtt.ack_wait, 30 s by default) expires, with DUP set.
func TestNATSResendsOnlyAfterAckWait(t *testing.T) {
	const ackWait = 4 * time.Second
	n := brokertest.NATS(t, broker.NATSOptions{AckWait: ackWait})
	url := n.Addr(0)
	id := chaosClientID(t, "s")

	// A subscriber that takes a QoS 1 message and drops its connection
	// without acknowledging it: raw packets, so that nothing sends a
	// PUBACK.
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "tcp://"), waitLimit)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(waitLimit))
	r := message.NewReader(conn, message.V311, 0)
	require.NoError(t, message.Write(conn, &message.Connect{Version: message.V311, ClientID: id, KeepAlive: 60}, message.V311))
	p, err := r.ReadPacket()
	require.NoError(t, err)
	require.Equal(t, message.CONNACK, p.Type())
	require.NoError(t, message.Write(conn, &message.Subscribe{PacketID: 1,
		Subscriptions: []message.Subscription{{Filter: "aw/#", QoS: message.QoS1}}}, message.V311))
	p, err = r.ReadPacket()
	require.NoError(t, err)
	require.Equal(t, message.SUBACK, p.Type())
	pub := publisher(t, url)
	publish(t, pub, "aw/x", "once", message.QoS1)
	p, err = r.ReadPacket()
	require.NoError(t, err)
	first, ok := p.(*message.Publish)
	require.True(t, ok, "got %v, want PUBLISH", p.Type())
	require.Equal(t, "once", string(first.Payload))
	require.False(t, first.Dup)
	delivered := time.Now()
	require.NoError(t, conn.Close())

	// The session resumes at once on a new connection; the message comes
	// again only when its ack wait has passed.
	rec := newRecorder()
	c := newClient(t, client.WithClientID(id), client.WithCleanSession(false), client.WithConnectRetry())
	_, err = c.On(message.PUBLISH, rec.handler(), nil, 0)
	require.NoError(t, err)
	present, err := c.Connect(testContext(t), url)
	require.NoError(t, err)
	require.True(t, present, "the session did not resume")
	resumed := time.Since(delivered)
	e := rec.nextMessage(t)
	after := time.Since(delivered)
	t.Logf("session resumed %v after the first delivery; the message came again %v after it (ack wait %v)",
		resumed.Round(time.Millisecond), after.Round(time.Millisecond), ackWait)
	assert.Equal(t, "aw/x", e.Msg.Topic)
	assert.Equal(t, "once", string(e.Msg.Payload))
	assert.True(t, e.Msg.Dup, "a resend has DUP set")
	// A lower bound on the server's timer, with room for the time the
	// first delivery took to reach the test: a server that resends on
	// resume sends it within milliseconds of the CONNACK. It tells only
	// when the session resumed well before the ack wait expired.
	if resumed < ackWait/2 {
		assert.GreaterOrEqual(t, after, ackWait/2, "the message came again before its ack wait expired")
	}
	rec.empty(t)
}

// testNATSQoS2 pins what nats-server 2.9.10 does with QoS 2, which its
// MQTT interface does not support: a QoS 2 subscription is granted QoS
// 1, and a QoS 2 PUBLISH makes the server close the connection. The
// client reports the loss (OnConnectionLost, Err) at once; the publish
// stays pending for a resend, as any QoS 2 flow across a loss does, so
// its token fails only when the client closes — a wait on it ends with
// the caller's context, never hangs past it.
func testNATSQoS2(t *testing.T, url string) {
	sub, rec := subscriber(t, url)
	codes, err := sub.Subscribe(testContext(t), message.Subscription{Filter: "q2/#", QoS: message.QoS2})
	require.NoError(t, err)
	assert.Equal(t, []message.SubackCode{message.SubackCode(message.QoS1)}, codes, "QoS 2 subscription granted")

	// A QoS 1 publication reaches the QoS 2 subscription at QoS 1.
	pub := publisher(t, url)
	publish(t, pub, "q2/one", "x", message.QoS1)
	e := rec.nextMessage(t)
	assert.Equal(t, "q2/one", e.Msg.Topic)
	assert.Equal(t, message.QoS1, e.Msg.QoS)

	opt, lostCh := lostRecorder()
	c := newClient(t, opt)
	connect(t, c, url)
	tok, err := c.Publish(testContext(t), "q2/two", []byte("y"), message.QoS2)
	require.NoError(t, err, "Publish queues the flow")
	lostErr := awaitErr(t, lostCh)
	assert.ErrorIs(t, lostErr, io.EOF, "the server closes the connection on a QoS 2 PUBLISH")
	assert.False(t, c.IsConnected())
	assert.ErrorIs(t, c.Err(), io.EOF)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, tok.Wait(ctx), context.DeadlineExceeded, "the QoS 2 flow completed")
	require.NoError(t, c.Close())
	werr := tok.Wait(testContext(t))
	assert.Error(t, werr)
	assert.True(t, errors.Is(werr, client.ErrClosed) || errors.Is(werr, client.ErrConnectionLost), "token error %v", werr)

	// Nothing was delivered.
	publish(t, pub, "q2/end", "", message.QoS1)
	assert.Equal(t, []string{"q2/end"}, topics(rec.until(t, "q2/end")))
}
