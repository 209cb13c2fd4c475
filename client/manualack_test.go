package client_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/mqtttest"
	"github.com/onmqtt/onmqtt/router"
)

// ackKeeper is a PUBLISH (or PUBREL) handler that keeps each delivered
// message's Ack, by payload.
type ackKeeper struct {
	mu   sync.Mutex
	acks map[string]func()
	got  chan string
}

func newAckKeeper() *ackKeeper {
	return &ackKeeper{acks: map[string]func(){}, got: make(chan string, 1024)}
}

// manualAckScripted returns a client with manual acknowledgement and
// opts, whose PUBLISH events that match cond go to a new ackKeeper, and
// the scripted broker it is to connect to.
func manualAckScripted(t *testing.T, cond router.Condition, opts ...client.Option) (*ackKeeper, *peer.Peer, *client.Client) {
	t.Helper()
	k := newAckKeeper()
	r := router.New()
	_, err := r.On(message.PUBLISH, k.handler, cond, 0)
	require.NoError(t, err)
	p := peer.Open(t)
	c := newClient(t, append([]client.Option{client.WithKeepAlive(0), client.WithRouter(r), client.WithManualAck()}, opts...)...)
	return k, p, c
}

func (k *ackKeeper) handler(e *router.Event) {
	if e.Message == nil {
		return
	}
	k.mu.Lock()
	k.acks[string(e.Message.Payload)] = e.Ack
	k.mu.Unlock()
	k.got <- string(e.Message.Payload)
}

// wait returns once the message with payload p was delivered.
func (k *ackKeeper) wait(t *testing.T, p string) {
	t.Helper()
	select {
	case got := <-k.got:
		require.Equal(t, p, got)
	case <-time.After(waitLimit):
		require.Failf(t, "not delivered", "%q not delivered", p)
	}
}

func (k *ackKeeper) ack(p string) {
	k.mu.Lock()
	a := k.acks[p]
	k.mu.Unlock()
	a()
}

// expectRaw reads the next packet's exact bytes.
func expectRaw(t *testing.T, p *peer.Peer, want ...byte) {
	t.Helper()
	got, err := p.ReadRaw()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// TestManualAckInOrder: acknowledged out of order, from another
// goroutine, the PUBACKs leave in the order the PUBLISHes arrived: a
// later one waits for the earlier ones [MQTT-4.6.0-2].
func TestManualAckInOrder(t *testing.T) {
	k, p, c := manualAckScripted(t, nil)
	peerConnect(t, p, c, false)
	for i := range 3 {
		peerSend(t, p, &message.Publish{Message: message.Message{Topic: "m", Payload: []byte{'a' + byte(i)}, QoS: message.QoS1, PacketID: uint16(i + 1)}})
		k.wait(t, string(rune('a'+i)))
	}
	p.ExpectSilence(t, 50*time.Millisecond) // handlers returned, nothing acknowledged
	done := make(chan struct{})
	go func() { k.ack("c"); k.ack("b"); k.ack("c"); close(done) }()
	<-done
	p.ExpectSilence(t, 50*time.Millisecond) // 2 and 3 wait for 1
	k.ack("a")
	expectRaw(t, p, 0x40, 0x02, 0x00, 0x01)
	expectRaw(t, p, 0x40, 0x02, 0x00, 0x02)
	expectRaw(t, p, 0x40, 0x02, 0x00, 0x03)
	k.ack("a") // only the first call counts
	p.ExpectSilence(t, 50*time.Millisecond)
}

// TestManualAckQoS2: PUBREC leaves on receipt, PUBCOMP only once the
// message was acknowledged and PUBREL came, in both delivery modes. MQTT
// orders PUBACK and PUBREC, not PUBCOMP: a QoS 1 message that came after
// it and is acknowledged first is not held back.
func TestManualAckQoS2(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []client.Option
		on   message.Type
	}{
		{"deliver on PUBLISH", nil, message.PUBLISH},
		{"deliver on PUBREL", []client.Option{client.WithDeliverOnPubrel()}, message.PUBREL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newAckKeeper()
			r := router.New()
			_, err := r.On(tc.on, k.handler, nil, 0)
			require.NoError(t, err)
			_, err = r.On(message.PUBLISH, k.handler, router.QoS(message.QoS1), 0)
			require.NoError(t, err)
			p := peer.Open(t)
			c := newClient(t, append([]client.Option{client.WithKeepAlive(0), client.WithRouter(r), client.WithManualAck()}, tc.opts...)...)
			peerConnect(t, p, c, false)
			peerSend(t, p, &message.Publish{Message: message.Message{Topic: "m", Payload: []byte("two"), QoS: message.QoS2, PacketID: 5}})
			expectRaw(t, p, 0x50, 0x02, 0x00, 0x05) // PUBREC on receipt
			peerSend(t, p, &message.Pubrel{PacketID: 5})
			k.wait(t, "two")
			peerSend(t, p, &message.Publish{Message: message.Message{Topic: "m", Payload: []byte("one"), QoS: message.QoS1, PacketID: 6}})
			k.wait(t, "one")
			k.ack("one")
			expectRaw(t, p, 0x40, 0x02, 0x00, 0x06) // PUBACK: its PUBLISH came after PUBREC 5
			p.ExpectSilence(t, 50*time.Millisecond) // PUBCOMP waits for the Ack
			k.ack("two")
			expectRaw(t, p, 0x70, 0x02, 0x00, 0x05)
		})
	}
}

// TestManualAckAfterReconnect: an Ack for a message of a connection that
// ended sends nothing on the next one, where the broker has given the
// packet identifier to another message (paho.golang issue 160).
func TestManualAckAfterReconnect(t *testing.T) {
	k, p, c := manualAckScripted(t, nil,
		client.WithClientID("manual-reconnect"), client.WithCleanSession(false),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond))
	peerConnect(t, p, c, false)
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "m", Payload: []byte("old"), QoS: message.QoS1, PacketID: 1}})
	k.wait(t, "old")
	peerReconnect(t, p, false)
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "m", Payload: []byte("new"), QoS: message.QoS1, PacketID: 1}})
	k.wait(t, "new")
	k.ack("old")
	p.ExpectSilence(t, 100*time.Millisecond) // not PUBACK 1: id 1 is "new" now
	k.ack("new")
	expectRaw(t, p, 0x40, 0x02, 0x00, 0x01)
	assert.Eventually(t, func() bool { return c.Stats().Inbound == 0 }, waitLimit, time.Millisecond, "both slots freed")
}

// TestManualAckBackpressure: messages not acknowledged count against
// MaxPending: the reader stops once it is reached, and goes on when the
// application acknowledges.
func TestManualAckBackpressure(t *testing.T) {
	const max, n = 4, 12
	k, p, c := manualAckScripted(t, nil, client.WithMaxPending(max))
	peerConnect(t, p, c, false)
	for i := range n {
		peerSend(t, p, &message.Publish{Message: message.Message{Topic: "m", Payload: []byte(fmt.Sprint(i)), QoS: message.QoS1, PacketID: uint16(i + 1)}})
	}
	for i := range max + 1 {
		k.wait(t, fmt.Sprint(i))
	}
	p.ExpectSilence(t, 50*time.Millisecond)
	st := c.Stats()
	assert.Equal(t, max+1, st.Inbound, "messages held unacknowledged")
	assert.Equal(t, uint64(max+1), st.Received[message.PUBLISH], "the reader stopped at the bound")
	for i := range n {
		if i > max {
			k.wait(t, fmt.Sprint(i))
		}
		k.ack(fmt.Sprint(i))
		expectRaw(t, p, 0x40, 0x02, 0x00, byte(i+1))
	}
	assert.Equal(t, uint64(n), c.Stats().Received[message.PUBLISH])
}

// TestManualAckBroker runs manual acknowledgement against the embedded
// broker and mosquitto: 200 QoS 1 messages acknowledged in random order from another
// goroutine are all delivered in order, and the broker, having had every
// PUBACK, delivers none again when the session resumes.
func TestManualAckBroker(t *testing.T) {
	// mochi hands a session over to a new connection without waiting
	// for the old one's reader, which may still be completing flows with
	// the PUBACKs it read before the DISCONNECT: the new connection then
	// gets those messages again. The embedded runs wait until the broker
	// is done with the old connection before reconnecting.
	embedded := func(t *testing.T, extra ...client.Option) {
		s := mqtttest.NewServer(t)
		manualAckBroker(t, s.URL(), func(t *testing.T) {
			require.Eventually(t, func() bool { return !slices.Contains(s.Clients(), "manual-broker") }, waitLimit, time.Millisecond,
				"the broker still has the old connection")
		}, extra...)
	}
	t.Run("embedded", func(t *testing.T) { embedded(t) })
	t.Run("embedded 5.0", func(t *testing.T) { embedded(t, client.WithVersion(message.V5)) })
	t.Run("mosquitto", func(t *testing.T) {
		manualAckBroker(t, brokertest.Mosquitto(t, broker.MosquittoOptions{}).Addr(), nil)
	})
	t.Run("mosquitto 5.0", func(t *testing.T) {
		manualAckBroker(t, brokertest.Mosquitto(t, broker.MosquittoOptions{}).Addr(), nil, client.WithVersion(message.V5))
	})
}

// manualAckBroker is one run of TestManualAckBroker; settled, when not
// nil, waits until the broker is done with a connection that ended.
func manualAckBroker(t *testing.T, url string, settled func(t *testing.T), extra ...client.Option) {
	const n = 200
	ctx := testContext(t)
	acks := make(chan func(), n)
	got := make(chan string, 2*n)
	r := router.New()
	_, err := r.On(message.PUBLISH, func(e *router.Event) {
		got <- string(e.Message.Payload)
		acks <- e.Ack
	}, nil, 0)
	require.NoError(t, err)
	opts := append([]client.Option{client.WithRouter(r), client.WithManualAck(), client.WithClientID("manual-broker"), client.WithCleanSession(false)}, extra...)
	sub := newClient(t, opts...)
	connect(t, sub, url)
	_, err = sub.Subscribe(ctx, message.Subscription{Filter: "manual/#", QoS: message.QoS1})
	require.NoError(t, err)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var batch []func()
		rng := rand.New(rand.NewPCG(1, 2))
		for range n {
			batch = append(batch, <-acks)
			if len(batch) == 7 || rng.IntN(4) == 0 {
				rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
				for _, a := range batch {
					a()
				}
				batch = batch[:0]
			}
		}
		for _, a := range batch {
			a()
		}
	}()
	pub := newClient(t, extra...)
	connect(t, pub, url)
	for i := range n {
		tok, err := pub.Publish(ctx, "manual/t", []byte(fmt.Sprint(i)), message.QoS1)
		require.NoError(t, err)
		waitToken(t, tok)
	}
	for i := range n {
		select {
		case p := <-got:
			require.Equal(t, fmt.Sprint(i), p)
		case <-time.After(waitLimit):
			require.Failf(t, "not delivered", "message %d not delivered", i)
		}
	}
	wg.Wait()
	require.Eventually(t, func() bool { return sub.Stats().Sent[message.PUBACK] == n }, waitLimit, time.Millisecond)
	require.NoError(t, sub.Disconnect(ctx))
	if settled != nil {
		settled(t)
	}

	// Resume: a message the broker had no PUBACK for would come again
	// before the marker published after the reconnect.
	connect(t, sub, url)
	tok, err := pub.Publish(ctx, "manual/t", []byte("marker"), message.QoS1)
	require.NoError(t, err)
	waitToken(t, tok)
	select {
	case p := <-got:
		assert.Equal(t, "marker", p, "nothing delivered again")
		(<-acks)()
	case <-time.After(waitLimit):
		require.Fail(t, "marker not delivered")
	}
}

// TestManualAckUnhandled: a message no handler takes is acknowledged by
// the client, since nobody holds its Ack; it does not hold later ones.
func TestManualAckUnhandled(t *testing.T) {
	k, p, c := manualAckScripted(t, router.Topic("kept")) // no fallback
	peerConnect(t, p, c, false)
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "nobody", QoS: message.QoS1, PacketID: 1}})
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "kept", Payload: []byte("k"), QoS: message.QoS1, PacketID: 2}})
	k.wait(t, "k")
	expectRaw(t, p, 0x40, 0x02, 0x00, 0x01)
	p.ExpectSilence(t, 50*time.Millisecond)
	k.ack("k")
	expectRaw(t, p, 0x40, 0x02, 0x00, 0x02)
}

// TestManualAckQoS2AfterReconnect: a QoS 2 flow outlives its connection
// (the broker kept the session), so the Ack of its message, given after
// the reconnect, lets the PUBCOMP answer the broker's PUBREL on the new
// connection; before the Ack the client stays silent.
func TestManualAckQoS2AfterReconnect(t *testing.T) {
	k, p, c := manualAckScripted(t, nil,
		client.WithClientID("manual-q2"), client.WithCleanSession(false),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond))
	peerConnect(t, p, c, false)
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "m", Payload: []byte("q2"), QoS: message.QoS2, PacketID: 3}})
	expectRaw(t, p, 0x50, 0x02, 0x00, 0x03)
	k.wait(t, "q2")
	peerReconnect(t, p, true)
	peerSend(t, p, &message.Pubrel{PacketID: 3})
	p.ExpectSilence(t, 100*time.Millisecond) // the message is not acknowledged yet
	k.ack("q2")
	expectRaw(t, p, 0x70, 0x02, 0x00, 0x03)
	assert.Eventually(t, func() bool { return c.Stats().Inbound == 0 }, waitLimit, time.Millisecond)
}
