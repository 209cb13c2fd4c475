package client_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReconnectBackoff watches the reconnect attempts against a port
// where nothing listens: attempt k waits between max(min, d/2) and d
// after attempt k-1, where d doubles from min up to max, with jitter.
// After MaxReconnectAttempts the client gives up.
func TestReconnectBackoff(t *testing.T) {
	const (
		min, max = 20 * time.Millisecond, 160 * time.Millisecond
		attempts = 10
	)
	hooks := newHookLog()
	p := peer.Open(t)
	c := newClient(t, append(hooks.options(),
		client.WithKeepAlive(0),
		client.WithAutoReconnect(min, max),
		client.WithMaxReconnectAttempts(attempts))...)
	peerConnect(t, p, c, false)
	// Refuse everything from now on.
	p.Close()

	hooks.await(t, "every attempt made", func(h *hookLog) bool { return len(h.attempts) == attempts })
	hooks.await(t, "giving up", func(*hookLog) bool { return !c.IsConnected() && c.Err() != nil })
	time.Sleep(2 * max)
	got, at, connects, lost := hooks.snapshot()

	want := make([]int, attempts)
	for i := range want {
		want[i] = i + 1
	}
	assert.Equal(t, want, got, "OnReconnecting attempts")
	assert.Len(t, lost, 1, "OnConnectionLost runs")
	assert.Len(t, connects, 1, "OnConnect runs, want the first connect only")

	// Timers never fire early, so each wait is at least the least the
	// schedule allows. How much longer a wait took is not asserted (a
	// loaded machine can always be slower); the cap is checked on the
	// capped waits together: they stay below the least an uncapped
	// backoff, still doubling, would have waited for the same attempts
	// (about 5 s against at most 1 s), a margin no scheduling delay
	// comes near.
	d, uncapped := min, min
	var capped []time.Duration
	var cappedTotal, uncappedLeast time.Duration
	for k := 1; k < len(at); k++ {
		gap := at[k].Sub(at[k-1])
		lo := d / 2
		if lo < min {
			lo = min
		}
		assert.GreaterOrEqual(t, gap, lo, "attempt %d came %v after attempt %d, want at least %v (of %v)", k+1, gap, k, lo, d)
		if d == max {
			capped = append(capped, gap)
			cappedTotal += gap
			uncappedLeast += uncapped / 2
		}
		uncapped = min * 2 * time.Duration(1<<(k-1))
		d = uncapped
		if d > max {
			d = max
		}
	}
	assert.Less(t, cappedTotal, uncappedLeast, "capped waits %v took %v together, as long as uncapped ones", capped, cappedTotal)
	t.Logf("gaps between attempts: %v", gaps(at))
	// Jitter: the capped waits are drawn from [max/2, max]; equal ones
	// to the millisecond would mean there is none.
	if len(capped) >= 3 {
		assert.GreaterOrEqual(t, slices.Max(capped)-slices.Min(capped), time.Millisecond, "capped waits %v show no jitter", capped)
	}
}

func gaps(at []time.Time) []time.Duration {
	var g []time.Duration
	for k := 1; k < len(at); k++ {
		g = append(g, at[k].Sub(at[k-1]).Round(time.Millisecond))
	}
	return g
}

// TestReconnectGiveUp checks that giving up after MaxReconnectAttempts
// fails every pending QoS 1 and 2 publish with ErrConnectionLost.
func TestReconnectGiveUp(t *testing.T) {
	hooks := newHookLog()
	p := peer.Open(t)
	c := newClient(t, append(hooks.options(),
		client.WithKeepAlive(0),
		client.WithAutoReconnect(5*time.Millisecond, 10*time.Millisecond),
		client.WithMaxReconnectAttempts(3))...)
	peerConnect(t, p, c, false)
	ctx := testContext(t)
	var toks []*client.Token
	for _, q := range []message.QoS{message.QoS1, message.QoS2, message.QoS1} {
		tok, err := c.Publish(ctx, "give/up", []byte("x"), q)
		require.NoError(t, err)
		toks = append(toks, tok)
		p.Expect(t, message.PUBLISH)
	}
	p.Close()

	for i, tok := range toks {
		assert.ErrorIs(t, tok.Wait(ctx), client.ErrConnectionLost, "token %d", i)
	}
	// Hooks run on the callback goroutine: wait for the third.
	hooks.await(t, "three attempts", func(h *hookLog) bool { return len(h.attempts) >= 3 })
	attempts, _, _, _ := hooks.snapshot()
	assert.Equal(t, []int{1, 2, 3}, attempts, "attempts")
	assert.Zero(t, c.Stats().Inflight, "publishes still in flight after giving up")
	// The window is free again: a publish is held for the next Connect.
	tok, err := c.Publish(shortContext(t, time.Second), "give/up", nil, message.QoS1)
	assert.NoError(t, err, "publish after giving up, want a held publish")
	assert.NotNil(t, tok, "publish after giving up, want a held publish")
	assert.ErrorIs(t, c.Run(ctx), client.ErrConnectionLost, "Run after giving up")
}

// TestReconnectTokensSurvive cuts the connection at each point of the
// QoS 1 and QoS 2 flows: the flow resumes on the next connection (the
// PUBLISH again with DUP set, or the PUBREL), the token completes without
// error, and each OnAck handler fires exactly once, also when the broker
// acknowledges twice.
func TestReconnectTokensSurvive(t *testing.T) {
	tests := []struct {
		name    string
		qos     message.QoS
		pubrec  bool           // PUBREC before the cut
		handled []message.Type // OnAck handlers
	}{
		{"QoS 1", message.QoS1, false, []message.Type{message.PUBACK}},
		{"QoS 2 before PUBREC", message.QoS2, false, []message.Type{message.PUBREC, message.PUBCOMP}},
		{"QoS 2 after PUBREC", message.QoS2, true, []message.Type{message.PUBREC, message.PUBCOMP}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := peer.Open(t)
			c := newClient(t, client.WithKeepAlive(0), client.WithCleanSession(false),
				client.WithAutoReconnect(5*time.Millisecond, 20*time.Millisecond))
			peerConnect(t, p, c, false)
			var acks ackCounter
			var opts []client.PublishOption
			for _, typ := range tt.handled {
				opts = append(opts, acks.handler(typ))
			}
			tok, err := c.Publish(testContext(t), "survive", []byte("payload"), tt.qos, opts...)
			require.NoError(t, err)
			first := p.Expect(t, message.PUBLISH).(*message.Publish)
			id := first.PacketID
			require.False(t, first.Dup, "first PUBLISH has DUP set")
			require.Equal(t, tok.ID(), id, "first PUBLISH id")
			if tt.pubrec {
				peerSend(t, p, &message.Pubrec{PacketID: id})
				rel := p.Expect(t, message.PUBREL).(*message.Pubrel)
				require.Equal(t, id, rel.PacketID, "PUBREL id")
			}

			peerReconnect(t, p, true)
			if tt.pubrec {
				rel := p.Expect(t, message.PUBREL).(*message.Pubrel)
				require.Equal(t, id, rel.PacketID, "after reconnect: PUBREL id")
			} else {
				again := p.Expect(t, message.PUBLISH).(*message.Publish)
				require.True(t, again.Dup, "after reconnect: PUBLISH without DUP")
				require.Equal(t, id, again.PacketID, "after reconnect: PUBLISH id")
				require.Equal(t, "payload", string(again.Payload), "after reconnect: PUBLISH payload")
				if tt.qos == message.QoS2 {
					peerSend(t, p, &message.Pubrec{PacketID: id})
					p.Expect(t, message.PUBREL)
				}
			}
			select {
			case <-tok.Done():
				require.Failf(t, "token completed before the acknowledgement", "%v", tok.Err())
			default:
			}
			final := message.Packet(&message.Puback{PacketID: id})
			if tt.qos == message.QoS2 {
				final = &message.Pubcomp{PacketID: id}
			}
			peerSend(t, p, final)
			waitToken(t, tok)
			// A second acknowledgement must not reach the handlers again.
			peerSend(t, p, final)
			peerSync(t, p)
			for _, typ := range tt.handled {
				assert.Equal(t, 1, acks.count(typ), "OnAck(%v) runs", typ)
			}
		})
	}
}

// TestCloseFailsTokens checks that Close completes every open token with
// ErrClosed, connected or while reconnecting, and that the publishes stay
// in a durable store for the next process.
func TestCloseFailsTokens(t *testing.T) {
	for _, reconnecting := range []bool{false, true} {
		t.Run(fmt.Sprintf("reconnecting=%v", reconnecting), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.log")
			store, err := client.OpenFileStore(path, client.FileStoreOptions{NoSync: true})
			require.NoError(t, err)
			hooks := newHookLog()
			p := peer.Open(t)
			c := newClient(t, append(hooks.options(), client.WithKeepAlive(0), client.WithCleanSession(false),
				client.WithStore(store), client.WithAutoReconnect(5*time.Millisecond, 20*time.Millisecond))...)
			peerConnect(t, p, c, false)
			var toks []*client.Token
			for _, q := range []message.QoS{message.QoS1, message.QoS2} {
				tok, err := c.Publish(testContext(t), "close", []byte("x"), q)
				require.NoError(t, err)
				toks = append(toks, tok)
				p.Expect(t, message.PUBLISH)
			}
			if reconnecting {
				p.Close()
				hooks.await(t, "reconnect attempts", func(h *hookLog) bool { return len(h.attempts) >= 2 })
			}
			require.NoError(t, c.Close(), "Close")
			for i, tok := range toks {
				select {
				case <-tok.Done():
				default:
					require.Failf(t, "token still open after Close", "token %d", i)
				}
				assert.ErrorIs(t, tok.Err(), client.ErrClosed, "token %d", i)
			}
			_, err = c.Publish(testContext(t), "close", nil, message.QoS1)
			assert.ErrorIs(t, err, client.ErrClosed, "publish after Close")

			again, err := client.OpenFileStore(path, client.FileStoreOptions{})
			require.NoError(t, err)
			defer again.Close()
			snap, err := again.Load()
			require.NoError(t, err)
			assert.Len(t, snap.Outbound, 2, "publishes in the store after Close, want 2 for the next process")
		})
	}
}

// TestResubscribeAfterBrokerRestart restarts a broker that keeps no
// sessions: the client reconnects on its own, learns the session is gone
// and subscribes again to every filter, and messages flow again.
func TestResubscribeAfterBrokerRestart(t *testing.T) {
	eachBroker(t, func(t *testing.T, b chaosBroker) {
		for _, clean := range []bool{true, false} {
			t.Run(fmt.Sprintf("clean=%v", clean), func(t *testing.T) {
				resubscribeAfterRestart(t, b, clean)
			})
		}
	})
}

func resubscribeAfterRestart(t *testing.T, b chaosBroker, clean bool) {
	hooks := newHookLog()
	rec := newRecorder()
	prefix := fmt.Sprintf("resub/%v", clean)
	sub := newClient(t, append(hooks.options(),
		client.WithClientID(chaosClientID(t, "sub")),
		client.WithCleanSession(clean),
		client.WithKeepAlive(30*time.Second),
		client.WithAutoReconnect(10*time.Millisecond, 100*time.Millisecond))...)
	sub.On(message.PUBLISH, rec.handler(), nil, 0)
	connect(t, sub, b.url)
	subs := []message.Subscription{
		{Filter: prefix + "/a", QoS: message.QoS0},
		{Filter: prefix + "/b/#", QoS: message.QoS1},
		{Filter: prefix + "/+/c", QoS: message.QoS2},
	}
	_, err := sub.Subscribe(testContext(t), subs...)
	require.NoError(t, err)
	topics := []string{prefix + "/a", prefix + "/b/x", prefix + "/z/c"}
	check := func(round string) {
		t.Helper()
		pub := newClient(t)
		connect(t, pub, b.url)
		for _, topic := range topics {
			tok, err := pub.Publish(testContext(t), topic, []byte(round), message.QoS1)
			require.NoError(t, err, topic)
			waitToken(t, tok)
		}
		var got []string
		for range topics {
			m := rec.nextMessage(t)
			got = append(got, m.Msg.Topic+"="+string(m.Msg.Payload))
		}
		slices.Sort(got)
		var want []string
		for _, topic := range topics {
			want = append(want, topic+"="+round)
		}
		slices.Sort(want)
		assert.Equal(t, want, got, round)
		pub.Close()
	}
	check("before")

	require.NoError(t, b.restart(), "restart %s", b.name)
	hooks.await(t, "reconnected", func(h *hookLog) bool { return len(h.connects) == 2 })
	for sub.Stats().Resubscribes < 1 {
		select {
		case <-time.After(time.Millisecond):
		case <-testContext(t).Done():
			require.Fail(t, "no resubscription")
		}
	}
	check("after")

	attempts, _, connects, lost := hooks.snapshot()
	assert.Len(t, lost, 1, "OnConnectionLost runs")
	if assert.NotEmpty(t, attempts, "OnReconnecting attempts, want 1, 2, ...") {
		assert.Equal(t, 1, attempts[0], "OnReconnecting attempts %v, want 1, 2, ...", attempts)
	}
	for i := range attempts {
		if !assert.Equal(t, i+1, attempts[i], "OnReconnecting attempts %v, want consecutive from 1", attempts) {
			break
		}
	}
	assert.Equal(t, []bool{false, false}, connects, "OnConnect session present")
	assert.EqualValues(t, 1, sub.Stats().Resubscribes, "Stats().Resubscribes")
	assert.Equal(t, subs, sub.Subscriptions(), "Subscriptions()")
}

// TestResubscribeInterrupted cuts the connection while the client renews
// its subscriptions after the broker lost its session. The broker may
// never have seen the SUBSCRIBE, yet answers the next CONNECT with
// session present (it made a new, empty session at the previous one):
// the client must renew the subscriptions then all the same.
func TestResubscribeInterrupted(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithCleanSession(false),
		client.WithAutoReconnect(5*time.Millisecond, 20*time.Millisecond))
	peerConnect(t, p, c, false)
	done := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "renew/#", QoS: message.QoS1})
		done <- err
	}()
	s := p.Expect(t, message.SUBSCRIBE).(*message.Subscribe)
	peerSend(t, p, &message.Suback{PacketID: s.PacketID, ReturnCodes: []message.SubackCode{1}})
	require.NoError(t, <-done)

	// The broker lost the session: the client renews; cut before SUBACK.
	peerReconnect(t, p, false)
	s = p.Expect(t, message.SUBSCRIBE).(*message.Subscribe)
	require.Equal(t, "renew/#", s.Subscriptions[0].Filter, "renewal SUBSCRIBE %v", s.Subscriptions)
	peerReconnect(t, p, true)
	s = p.Expect(t, message.SUBSCRIBE).(*message.Subscribe)
	require.Len(t, s.Subscriptions, 1, "renewal after the interrupted one")
	require.Equal(t, "renew/#", s.Subscriptions[0].Filter, "renewal after the interrupted one")
	require.Equal(t, message.QoS1, s.Subscriptions[0].QoS, "renewal after the interrupted one")
	peerSend(t, p, &message.Suback{PacketID: s.PacketID, ReturnCodes: []message.SubackCode{1}})
	peerSync(t, p)
	assert.EqualValues(t, 1, c.Stats().Resubscribes, "Stats().Resubscribes")
	// Later reconnects with the session present renew nothing.
	peerReconnect(t, p, true)
	p.ExpectSilence(t, 100*time.Millisecond)
}

// TestReconnectStalledNetwork stalls the network without closing it, as a
// dead path does: keepalive finds the connection dead, the client
// reconnects once the path carries traffic again, and the publishes made
// meanwhile complete, delivered as QoS 1 and 2 promise.
func TestReconnectStalledNetwork(t *testing.T) {
	eachBroker(t, func(t *testing.T, b chaosBroker) {
		rec := newRecorder()
		sub := newClient(t, client.WithKeepAlive(30*time.Second))
		sub.On(message.PUBLISH, rec.handler(), nil, 0)
		connect(t, sub, b.url)
		_, err := sub.Subscribe(testContext(t), message.Subscription{Filter: "stall/#", QoS: message.QoS2})
		require.NoError(t, err)

		hooks := newHookLog()
		p := newChaosProxy(t, b.url)
		pub := newClient(t, append(hooks.options(),
			client.WithClientID(chaosClientID(t, "pub")),
			client.WithCleanSession(false),
			client.WithKeepAlive(time.Second),
			client.WithPingTimeout(300*time.Millisecond),
			client.WithAutoReconnect(10*time.Millisecond, 50*time.Millisecond))...)
		connect(t, pub, p.URL())

		p.Pause()
		var toks []*client.Token
		for _, q := range []message.QoS{message.QoS1, message.QoS2} {
			tok, err := pub.Publish(testContext(t), fmt.Sprintf("stall/q%d", q), []byte("during the stall"), q)
			require.NoError(t, err)
			toks = append(toks, tok)
		}
		hooks.await(t, "connection lost", func(h *hookLog) bool { return len(h.lost) == 1 })
		_, _, _, lost := hooks.snapshot()
		assert.ErrorIs(t, lost[0], client.ErrKeepAliveTimeout, "connection lost")
		for _, tok := range toks {
			select {
			case <-tok.Done():
				require.Failf(t, "token completed during the stall", "%v", tok.Err())
			default:
			}
		}

		p.Resume()
		for _, tok := range toks {
			waitToken(t, tok)
		}
		got := map[string]int{}
		for range toks {
			m := rec.nextMessage(t)
			got[m.Msg.Topic]++
		}
		time.Sleep(chaosSettle)
		for {
			select {
			case e := <-rec:
				if e.Msg != nil {
					got[e.Msg.Topic]++
				}
				continue
			default:
			}
			break
		}
		assert.GreaterOrEqual(t, got["stall/q1"], 1, "deliveries %v, want stall/q1 at least once", got)
		assert.Equal(t, 1, got["stall/q2"], "deliveries %v, want stall/q2 exactly once", got)
	})
}

// TestReconnectStaleInbound has the client's writes fail while its reader
// still holds a QoS 2 PUBLISH read before the failure. The client
// reconnects, the broker sends the PUBLISH again and the flow completes
// on the new connection; the copy from the old connection, handled late,
// must not be delivered a second time (nor leave the packet identifier
// looking in use).
func TestReconnectStaleInbound(t *testing.T) {
	dial, first := stallDialer()
	p := peer.Open(t)
	rec := newRecorder()
	c := newClient(t, client.WithKeepAlive(0), client.WithCleanSession(false), client.WithDialer(dial),
		client.WithAutoReconnect(5*time.Millisecond, 20*time.Millisecond))
	c.On(message.PUBLISH, rec.handler(), nil, 0)
	peerConnect(t, p, c, false)

	first.hold.Store(true)
	m := message.Message{Topic: "stale", Payload: []byte("once"), QoS: message.QoS2, PacketID: 5}
	peerSend(t, p, &message.Publish{Message: m})
	select {
	case <-first.held:
	case <-time.After(waitLimit):
		require.Fail(t, "the client did not read the PUBLISH")
	}
	// The network fails under the next write.
	first.broken.Store(true)
	_, err := c.Publish(testContext(t), "trigger", nil, message.QoS0)
	require.NoError(t, err)
	require.NoError(t, p.Accept())
	peerHandshake(t, p, true)
	m.Dup = true
	peerSend(t, p, &message.Publish{Message: m})
	p.Expect(t, message.PUBREC)
	peerSend(t, p, &message.Pubrel{PacketID: 5})
	p.Expect(t, message.PUBCOMP)

	// Now the old connection's reader goes on with what it held.
	close(first.release)
	time.Sleep(50 * time.Millisecond)
	peerSync(t, p)
	// The identifier is free again: a new message with it is delivered.
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "stale", Payload: []byte("next"), QoS: message.QoS2, PacketID: 5}})
	p.Expect(t, message.PUBREC)
	peerSend(t, p, &message.Pubrel{PacketID: 5})
	p.Expect(t, message.PUBCOMP)
	peerSync(t, p)

	var got []string
	for {
		select {
		case e := <-rec:
			if e.Msg != nil && e.Msg.Topic == "stale" {
				got = append(got, string(e.Msg.Payload))
			}
			continue
		default:
		}
		break
	}
	assert.Equal(t, []string{"once", "next"}, got, "delivered")
}
