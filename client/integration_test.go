package client_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subscriber connects a client to url whose PUBLISH fallback records into
// the returned recorder, and subscribes it to subs.
func subscriber(t *testing.T, url string, subs ...message.Subscription) (*client.Client, recorder) {
	t.Helper()
	rec := newRecorder()
	c := newClient(t)
	_, err := c.On(message.PUBLISH, rec.handler(), nil, 0)
	require.NoError(t, err)
	connect(t, c, url)
	if len(subs) > 0 {
		_, err := c.Subscribe(testContext(t), subs...)
		require.NoError(t, err, "Subscribe(%v)", subs)
	}
	return c, rec
}

// publisher connects a client to url.
func publisher(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c := newClient(t, opts...)
	connect(t, c, url)
	return c
}

// publish publishes and waits for completion.
func publish(t *testing.T, c *client.Client, topic, payload string, qos message.QoS, opts ...client.PublishOption) *client.Token {
	t.Helper()
	tok, err := c.Publish(testContext(t), topic, []byte(payload), qos, opts...)
	require.NoError(t, err, "Publish(%s, q%d)", topic, qos)
	waitToken(t, tok)
	return tok
}

// publishForwarded publishes like publish and then waits until a watcher
// subscribed to topic beforehand has received the message. A broker may
// send the PUBACK before it forwards the message (mochi does), so a test
// that subscribes right after publish could otherwise receive the live
// copy as well as the retained one.
func publishForwarded(t *testing.T, c *client.Client, url, topic, payload string, qos message.QoS, opts ...client.PublishOption) {
	t.Helper()
	_, watch := subscriber(t, url, message.Subscription{Filter: topic, QoS: 1})
	publish(t, c, topic, payload, qos, opts...)
	for {
		// A message retained earlier reaches the watcher first; skip it.
		e := watch.nextMessage(t)
		if e.Msg.Retain {
			continue
		}
		require.Equal(t, topic, e.Msg.Topic, "watcher got %v", e)
		require.Equal(t, payload, string(e.Msg.Payload), "watcher got %v", e)
		return
	}
}

// until returns the messages recorded up to and including the first one
// on topic end, in order: publishing a message on end after the ones a
// test expects not to see proves they did not come, without a timer.
func (r recorder) until(t *testing.T, end string) []record {
	t.Helper()
	var got []record
	for {
		e := r.nextMessage(t)
		got = append(got, e)
		if e.Msg.Topic == end {
			return got
		}
	}
}

func topics(rs []record) []string {
	var s []string
	for _, r := range rs {
		if r.Msg != nil {
			s = append(s, r.Msg.Topic)
		}
	}
	return s
}

func TestRoundTripQoS(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		var subs []message.Subscription
		for q := message.QoS0; q <= message.QoS2; q++ {
			subs = append(subs, message.Subscription{Filter: fmt.Sprintf("rt/s%d/#", q), QoS: q})
		}
		_, rec := subscriber(t, b.Addr, subs...)
		pub := publisher(t, b.Addr)
		for sq := message.QoS0; sq <= message.QoS2; sq++ {
			for pq := message.QoS0; pq <= message.QoS2; pq++ {
				t.Run(fmt.Sprintf("publish q%d subscribe q%d", pq, sq), func(t *testing.T) {
					topic := fmt.Sprintf("rt/s%d/p%d", sq, pq)
					payload := []byte{0, 1, 2, 0xff, byte(pq), byte(sq)}
					tok, err := pub.Publish(testContext(t), topic, payload, pq)
					require.NoError(t, err)
					waitToken(t, tok)
					assert.Equal(t, pq > message.QoS0, tok.ID() != 0, "got token id %d at QoS %d, want non-zero exactly for QoS > 0", tok.ID(), pq)
					e := rec.nextMessage(t)
					want := min(pq, sq)
					assert.Equal(t, topic, e.Msg.Topic, "got %v", e)
					assert.Equal(t, payload, e.Msg.Payload, "got %v", e)
					assert.Equal(t, want, e.Msg.QoS, "got %v", e)
					assert.Equal(t, want > message.QoS0, e.ID != 0, "got delivered id %d at QoS %d, want non-zero exactly for QoS > 0", e.ID, want)
					assert.False(t, e.Msg.Retain, "got retain set on a live message")
				})
			}
		}
	})
}

func TestRetained(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		pub := publisher(t, b.Addr)
		publishForwarded(t, pub, b.Addr, "ret/a", "kept", message.QoS1, client.Retain())

		_, rec := subscriber(t, b.Addr, message.Subscription{Filter: "ret/#", QoS: 1})
		e := rec.nextMessage(t)
		require.Equal(t, "ret/a", e.Msg.Topic, "got %v", e)
		require.Equal(t, "kept", string(e.Msg.Payload), "got %v", e)
		require.True(t, e.Msg.Retain, "got %v, want it retained", e)

		// An empty retained payload clears the topic's retained message;
		// present subscribers still get it, live.
		publishForwarded(t, pub, b.Addr, "ret/a", "", message.QoS1, client.Retain())
		e = rec.nextMessage(t)
		require.Equal(t, "ret/a", e.Msg.Topic, "got %v", e)
		require.Empty(t, e.Msg.Payload, "got %v", e)

		_, late := subscriber(t, b.Addr, message.Subscription{Filter: "ret/#", QoS: 1})
		publish(t, pub, "ret/end", "end", message.QoS1)
		assert.Equal(t, []string{"ret/end"}, topics(late.until(t, "ret/end")), "late subscriber: the retained message was not cleared")
	})
}

// keepConn is a dialer that keeps the connections it opens, so a test
// can break one without DISCONNECT.
type keepConn struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (k *keepConn) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.conns = append(k.conns, nc)
	k.mu.Unlock()
	return nc, nil
}

func (k *keepConn) last() net.Conn {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.conns[len(k.conns)-1]
}

func TestWill(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		_, rec := subscriber(t, b.Addr, message.Subscription{Filter: "will/#", QoS: 1})

		t.Run("socket closed", func(t *testing.T) {
			var k keepConn
			lost, errs := lostRecorder()
			publisher(t, b.Addr, client.WithDialer(k.dial), lost,
				client.WithWill("will/broken", []byte("gone"), message.QoS1, false))
			k.last().Close()
			awaitErr(t, errs)
			e := rec.nextMessage(t)
			assert.Equal(t, "will/broken", e.Msg.Topic, "got %v", e)
			assert.Equal(t, "gone", string(e.Msg.Payload), "got %v", e)
			assert.Equal(t, message.QoS1, e.Msg.QoS, "got %v", e)
		})
		t.Run("Disconnect", func(t *testing.T) {
			c := publisher(t, b.Addr, client.WithWill("will/clean", []byte("gone"), message.QoS1, false))
			require.NoError(t, c.Disconnect(testContext(t)), "Disconnect")
			assert.False(t, c.IsConnected(), "IsConnected() after Disconnect got true, want false")
			other := publisher(t, b.Addr)
			publish(t, other, "will/end", "", message.QoS1)
			assert.Equal(t, []string{"will/end"}, topics(rec.until(t, "will/end")), "the will was published after DISCONNECT")
		})
	})
}

func TestOverlappingSubscriptions(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		_, rec := subscriber(t, b.Addr,
			message.Subscription{Filter: "ov/#", QoS: 0},
			message.Subscription{Filter: "ov/+", QoS: 1},
			message.Subscription{Filter: "ov-end", QoS: 1},
		)
		pub := publisher(t, b.Addr)
		publish(t, pub, "ov/a", "x", message.QoS1)
		publish(t, pub, "ov-end", "", message.QoS1)
		got := rec.until(t, "ov-end")
		copies := len(got) - 1
		assert.Equal(t, b.Kind.OverlapCopies, copies, "copies %v", got)
		var qos []message.QoS
		for _, e := range got[:copies] {
			qos = append(qos, e.Msg.QoS)
		}
		slices.Sort(qos)
		if len(qos) > 0 {
			assert.Equal(t, message.QoS1, qos[len(qos)-1], "got copies at QoS %v, want one at QoS 1 (the highest granted)", qos)
		}
	})
}

func TestSubscribeRefused(t *testing.T) {
	forEachBroker(t, brokerSpec{Deny: []string{"secret/#"}}, func(t *testing.T, b testBroker) {
		c := publisher(t, b.Addr)
		codes, err := c.Subscribe(testContext(t),
			message.Subscription{Filter: "open/#", QoS: 1},
			message.Subscription{Filter: "secret/x", QoS: 2},
			message.Subscription{Filter: "open2/+", QoS: 2},
		)
		want := []message.SubackCode{1, message.SubackFailure, 2}
		assert.Equal(t, want, codes, "codes")
		var se *client.SubscribeError
		require.ErrorAs(t, err, &se)
		assert.ErrorIs(t, err, client.ErrSubscriptionFailed)
		assert.Equal(t, []string{"secret/x"}, se.Filters, "refused filters")
		assert.Equal(t, want, se.Codes, "refused codes")
		var active []string
		for _, s := range c.Subscriptions() {
			active = append(active, s.Filter)
		}
		assert.Equal(t, []string{"open/#", "open2/+"}, active, "active subscriptions")
		assert.True(t, c.IsConnected(), "got disconnected after a refused subscription")
	})
}

func TestDollarTopics(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		_, wild := subscriber(t, b.Addr,
			message.Subscription{Filter: "#", QoS: 1},
		)
		_, plus := subscriber(t, b.Addr,
			message.Subscription{Filter: "+/+", QoS: 1},
		)
		_, dollar := subscriber(t, b.Addr, message.Subscription{Filter: "$test/#", QoS: 1})
		pub := publisher(t, b.Addr)
		publish(t, pub, "$test/x", "d", message.QoS1)
		publish(t, pub, "plain/end", "", message.QoS1)

		e := dollar.nextMessage(t)
		assert.Equal(t, "$test/x", e.Msg.Topic, "$test/# subscriber got %v", e)
		assert.Equal(t, "d", string(e.Msg.Payload), "$test/# subscriber got %v", e)
		for name, r := range map[string]recorder{"#": wild, "+/+": plus} {
			assert.Equal(t, []string{"plain/end"}, topics(r.until(t, "plain/end")), "%s subscriber", name)
		}

		t.Run("$SYS", func(t *testing.T) {
			_, sys := subscriber(t, b.Addr,
				message.Subscription{Filter: "$SYS/onmqtt/#", QoS: 1},
				message.Subscription{Filter: "sys-end", QoS: 1},
			)
			tok, err := pub.Publish(testContext(t), "$SYS/onmqtt/x", []byte("s"), message.QoS1)
			require.NoError(t, err)
			if b.Kind.SysPublishAcked {
				waitToken(t, tok)
			} else {
				select {
				case <-tok.Done():
					assert.Failf(t, "the $SYS publish completed", "with %v, want no PUBACK from %s", tok.Err(), b.Kind.Name)
				case <-time.After(200 * time.Millisecond):
				}
			}
			publish(t, pub, "sys-end", "", message.QoS1)
			assert.Equal(t, []string{"sys-end"}, topics(sys.until(t, "sys-end")), "a client's $SYS publication was delivered")
			assert.True(t, pub.IsConnected(), "publisher disconnected, want connected")
		})
	})
}

func TestUnsubscribe(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		c, rec := subscriber(t, b.Addr,
			message.Subscription{Filter: "un/#", QoS: 1},
			message.Subscription{Filter: "un-end", QoS: 1},
		)
		pub := publisher(t, b.Addr)
		publish(t, pub, "un/a", "1", message.QoS1)
		e := rec.nextMessage(t)
		require.Equal(t, "un/a", e.Msg.Topic, "got %v", e)
		require.NoError(t, c.Unsubscribe(testContext(t), "un/#"), "Unsubscribe")
		if got := c.Subscriptions(); assert.Len(t, got, 1, "subscriptions") {
			assert.Equal(t, "un-end", got[0].Filter, "subscriptions %v", got)
		}
		publish(t, pub, "un/a", "2", message.QoS1)
		publish(t, pub, "un-end", "", message.QoS1)
		assert.Equal(t, []string{"un-end"}, topics(rec.until(t, "un-end")), "after Unsubscribe")
	})
}

// clearCleanSession rewrites the CONNECT the client writes first so that
// its clean-session flag is off: the client's own options refuse that
// combination with an empty client identifier, and the test needs the
// broker's answer to it.
type clearCleanSession struct {
	net.Conn
	once sync.Once
}

func (c *clearCleanSession) Write(b []byte) (int, error) {
	c.once.Do(func() {
		// Fixed header (type, 1-byte remaining length), protocol name
		// (2 + 4 bytes "MQTT"), level, then the connect flags.
		const flags = 2 + 6 + 1
		if len(b) > flags && b[0] == byte(message.CONNECT)<<4 && b[1] < 0x80 {
			b = slices.Clone(b)
			b[flags] &^= 0x02
		}
	})
	return c.Conn.Write(b)
}

func TestEmptyClientID(t *testing.T) {
	t.Run("options refuse it without clean session", func(t *testing.T) {
		c, err := client.New(client.WithEmptyClientID(), client.WithCleanSession(false))
		if c != nil {
			c.Close()
		}
		require.ErrorIs(t, err, client.ErrInvalidOption)
	})
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		t.Run("clean session", func(t *testing.T) {
			c := publisher(t, b.Addr, client.WithEmptyClientID())
			assert.Empty(t, c.ClientID(), "client id")
			publish(t, c, "empty/id", "x", message.QoS1)
		})
		t.Run("no clean session", func(t *testing.T) {
			dial := func(ctx context.Context, u *url.URL) (net.Conn, error) {
				var d net.Dialer
				nc, err := d.DialContext(ctx, "tcp", u.Host)
				if err != nil {
					return nil, err
				}
				return &clearCleanSession{Conn: nc}, nil
			}
			c := newClient(t, client.WithEmptyClientID(), client.WithDialer(dial))
			_, err := c.Connect(testContext(t), b.Addr)
			var ce *client.ConnackError
			if assert.ErrorAs(t, err, &ce) {
				assert.Equal(t, b.Kind.EmptyIDCode, ce.Code, "CONNACK code of %v", err)
			}
		})
	})
}

func TestCredentials(t *testing.T) {
	users := map[string]string{"alice": "wonderland"}
	forEachBroker(t, brokerSpec{Users: users}, func(t *testing.T, b testBroker) {
		tests := []struct {
			name     string
			user     string
			password []byte
			refused  bool
		}{
			{"right password", "alice", []byte("wonderland"), false},
			{"wrong password", "alice", []byte("looking-glass"), true},
			{"unknown user", "bob", []byte("wonderland"), true},
			{"no password", "alice", nil, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := newClient(t, client.WithCredentials(tt.user, tt.password))
				_, err := c.Connect(testContext(t), b.Addr)
				if !tt.refused {
					require.NoError(t, err, "want accepted")
					publish(t, c, "auth/ok", "x", message.QoS1)
					return
				}
				var ce *client.ConnackError
				if assert.ErrorAs(t, err, &ce) {
					assert.Equal(t, b.Kind.BadAuthCode, ce.Code, "CONNACK code of %v", err)
				}
			})
		}
		t.Run("anonymous", func(t *testing.T) {
			c := newClient(t)
			_, err := c.Connect(testContext(t), b.Addr)
			var ce *client.ConnackError
			if assert.ErrorAs(t, err, &ce) {
				assert.Equal(t, b.Kind.BadAuthCode, ce.Code, "CONNACK code of %v", err)
			}
		})
	})
}

func TestTransports(t *testing.T) {
	forEachBroker(t, brokerSpec{WebSocket: true, Unix: true}, func(t *testing.T, b testBroker) {
		tests := []struct {
			name string
			url  string
			opts []client.Option
		}{
			{"tcp", b.Addr, nil},
			{"mqtt scheme", "mqtt" + b.Addr[len("tcp"):], nil},
			{"websocket", b.WSAddr, nil},
			{"unix", b.Unix, nil},
			{"MQTT 3.1", b.Addr, []client.Option{client.WithVersion(message.V31)}},
			{"MQTT 3.1 over websocket", b.WSAddr, []client.Option{client.WithVersion(message.V31)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				roundTrip(t, tt.url, tt.opts...)
			})
		}
	})
}

// roundTrip connects a client to url with opts, subscribes it to a topic
// and publishes to it at each QoS, checking each message comes back.
func roundTrip(t *testing.T, url string, opts ...client.Option) {
	t.Helper()
	rec := newRecorder()
	c := newClient(t, opts...)
	_, err := c.On(message.PUBLISH, rec.handler(), nil, 0)
	require.NoError(t, err)
	connect(t, c, url)
	ctx := testContext(t)
	codes, err := c.Subscribe(ctx, message.Subscription{Filter: "loop/#", QoS: 2})
	require.NoError(t, err, "Subscribe")
	require.Equal(t, []message.SubackCode{2}, codes, "Subscribe codes")
	for q := message.QoS0; q <= message.QoS2; q++ {
		topic := fmt.Sprintf("loop/q%d", q)
		publish(t, c, topic, "ping", q)
		e := rec.nextMessage(t)
		assert.Equal(t, topic, e.Msg.Topic, "got %v", e)
		assert.Equal(t, "ping", string(e.Msg.Payload), "got %v", e)
		assert.Equal(t, q, e.Msg.QoS, "got %v", e)
	}
	assert.NoError(t, c.Unsubscribe(ctx, "loop/#"), "Unsubscribe")
	assert.NoError(t, c.Disconnect(ctx), "Disconnect")
}

func TestConnectAgain(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		r, rec := recordAll(t)
		c := publisher(t, b.Addr, client.WithRouter(r))
		ctx := testContext(t)
		_, err := c.Subscribe(ctx, message.Subscription{Filter: "again/#", QoS: 1})
		require.NoError(t, err)
		rec.nextOf(t, message.SUBACK)
		require.NoError(t, c.Disconnect(ctx), "Disconnect")
		assert.NoError(t, c.Err(), "Err() after Disconnect")
		assert.ErrorIs(t, c.Disconnect(ctx), client.ErrNotConnected, "second Disconnect")
		present, err := c.Connect(ctx, b.Addr)
		require.NoError(t, err, "Connect again")
		require.False(t, present, "Connect again: session present")
		// The broker kept no session: the client renews its
		// subscriptions by itself.
		e := rec.nextOf(t, message.SUBACK)
		assert.Equal(t, []message.SubackCode{1}, e.Codes, "resubscribe got %v", e)
		publish(t, c, "again/x", "back", message.QoS1)
		e = rec.nextMessage(t)
		assert.Equal(t, "again/x", e.Msg.Topic, "got %v", e)
		assert.Equal(t, "back", string(e.Msg.Payload), "got %v", e)
		st := c.Stats()
		assert.EqualValues(t, 2, st.Connects, "connects")
		assert.Zero(t, st.ConnectionsLost, "connections lost")
	})
}

func TestPayloadSizes(t *testing.T) {
	sizes := []int{0, 1, 120, 121, 16_380, 16_390, 256<<10 - 10, 256<<10 + 10, 3 << 20}
	forEachBroker(t, brokerSpec{WebSocket: true}, func(t *testing.T, b testBroker) {
		t.Run("tcp", func(t *testing.T) { payloadSizes(t, b.Addr, sizes) })
		t.Run("websocket", func(t *testing.T) {
			ws := sizes
			if max := b.Kind.WSMaxQuick; max > 0 {
				ws = slices.DeleteFunc(slices.Clone(sizes), func(n int) bool { return n > max })
			}
			payloadSizes(t, b.WSAddr, ws)
		})
	})
}

func payloadSizes(t *testing.T, url string, sizes []int) {
	{
		_, rec := subscriber(t, url, message.Subscription{Filter: "size/#", QoS: 2})
		pub := publisher(t, url)
		ctx := testContext(t)
		// Publish everything at once so that packets of every size share
		// the writer's batches.
		var toks []*client.Token
		for i, n := range sizes {
			payload := make([]byte, n)
			for j := range payload {
				payload[j] = byte(i + j)
			}
			tok, err := pub.Publish(ctx, fmt.Sprintf("size/%d", n), payload, message.QoS(i%3))
			require.NoError(t, err, "size/%d", n)
			toks = append(toks, tok)
		}
		for _, tok := range toks {
			waitToken(t, tok)
		}
		got := map[string][]byte{}
		for len(got) < len(sizes) {
			e := rec.nextMessage(t)
			got[e.Msg.Topic] = e.Msg.Payload
		}
		for i, n := range sizes {
			p := got[fmt.Sprintf("size/%d", n)]
			ok := len(p) == n
			for j := 0; ok && j < n; j++ {
				ok = p[j] == byte(i+j)
			}
			assert.True(t, ok, "size/%d: got %d bytes, want %d bytes of the pattern", n, len(p), n)
		}
	}
}
