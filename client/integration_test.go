package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// subscriber connects a client to url whose PUBLISH fallback records into
// the returned recorder, and subscribes it to subs.
func subscriber(t *testing.T, url string, subs ...message.Subscription) (*client.Client, recorder) {
	t.Helper()
	rec := newRecorder()
	c := newClient(t)
	if _, err := c.On(message.PUBLISH, rec.handler(), nil, 0); err != nil {
		t.Fatal(err)
	}
	connect(t, c, url)
	if len(subs) > 0 {
		if _, err := c.Subscribe(testContext(t), subs...); err != nil {
			t.Fatalf("Subscribe(%v): %v", subs, err)
		}
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
	if err != nil {
		t.Fatalf("Publish(%s, q%d): %v", topic, qos, err)
	}
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
		if e.Msg.Topic != topic || string(e.Msg.Payload) != payload {
			t.Fatalf("watcher got %v, want %s %q", e, topic, payload)
		}
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
					if err != nil {
						t.Fatal(err)
					}
					waitToken(t, tok)
					if got := tok.ID() != 0; got != (pq > message.QoS0) {
						t.Errorf("got token id %d at QoS %d, want non-zero exactly for QoS > 0", tok.ID(), pq)
					}
					e := rec.nextMessage(t)
					want := min(pq, sq)
					if e.Msg.Topic != topic || !bytes.Equal(e.Msg.Payload, payload) || e.Msg.QoS != want {
						t.Errorf("got %v payload %v, want %s at QoS %d payload %v", e, e.Msg.Payload, topic, want, payload)
					}
					if got := e.ID != 0; got != (want > message.QoS0) {
						t.Errorf("got delivered id %d at QoS %d, want non-zero exactly for QoS > 0", e.ID, want)
					}
					if e.Msg.Retain {
						t.Error("got retain set on a live message")
					}
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
		if e.Msg.Topic != "ret/a" || string(e.Msg.Payload) != "kept" || !e.Msg.Retain {
			t.Fatalf("got %v, want the retained ret/a \"kept\"", e)
		}

		// An empty retained payload clears the topic's retained message;
		// present subscribers still get it, live.
		publishForwarded(t, pub, b.Addr, "ret/a", "", message.QoS1, client.Retain())
		e = rec.nextMessage(t)
		if e.Msg.Topic != "ret/a" || len(e.Msg.Payload) != 0 {
			t.Fatalf("got %v, want the empty ret/a", e)
		}

		_, late := subscriber(t, b.Addr, message.Subscription{Filter: "ret/#", QoS: 1})
		publish(t, pub, "ret/end", "end", message.QoS1)
		if got := topics(late.until(t, "ret/end")); !slices.Equal(got, []string{"ret/end"}) {
			t.Errorf("late subscriber got %v, want only [ret/end]: the retained message was not cleared", got)
		}
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
			if e.Msg.Topic != "will/broken" || string(e.Msg.Payload) != "gone" || e.Msg.QoS != message.QoS1 {
				t.Errorf("got %v, want the will will/broken \"gone\" at QoS 1", e)
			}
		})
		t.Run("Disconnect", func(t *testing.T) {
			c := publisher(t, b.Addr, client.WithWill("will/clean", []byte("gone"), message.QoS1, false))
			if err := c.Disconnect(testContext(t)); err != nil {
				t.Fatalf("Disconnect: %v", err)
			}
			if c.IsConnected() {
				t.Error("IsConnected() after Disconnect got true, want false")
			}
			other := publisher(t, b.Addr)
			publish(t, other, "will/end", "", message.QoS1)
			if got := topics(rec.until(t, "will/end")); !slices.Equal(got, []string{"will/end"}) {
				t.Errorf("got %v, want only [will/end]: the will was published after DISCONNECT", got)
			}
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
		if copies != b.Kind.OverlapCopies {
			t.Errorf("got %d copies %v, want %d", copies, got, b.Kind.OverlapCopies)
		}
		var qos []message.QoS
		for _, e := range got[:copies] {
			qos = append(qos, e.Msg.QoS)
		}
		slices.Sort(qos)
		if len(qos) > 0 && qos[len(qos)-1] != message.QoS1 {
			t.Errorf("got copies at QoS %v, want one at QoS 1 (the highest granted)", qos)
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
		if !slices.Equal(codes, want) {
			t.Errorf("got codes %v, want %v", codes, want)
		}
		var se *client.SubscribeError
		if !errors.As(err, &se) {
			t.Fatalf("got %v, want a *SubscribeError", err)
		}
		if !errors.Is(err, client.ErrSubscriptionFailed) {
			t.Errorf("got %v, want it to wrap ErrSubscriptionFailed", err)
		}
		if !slices.Equal(se.Filters, []string{"secret/x"}) || !slices.Equal(se.Codes, want) {
			t.Errorf("got refused %v codes %v, want [secret/x] and %v", se.Filters, se.Codes, want)
		}
		var active []string
		for _, s := range c.Subscriptions() {
			active = append(active, s.Filter)
		}
		if !slices.Equal(active, []string{"open/#", "open2/+"}) {
			t.Errorf("got active subscriptions %v, want [open/# open2/+]", active)
		}
		if !c.IsConnected() {
			t.Error("got disconnected after a refused subscription")
		}
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
		if e.Msg.Topic != "$test/x" || string(e.Msg.Payload) != "d" {
			t.Errorf("$test/# subscriber got %v, want $test/x", e)
		}
		for name, r := range map[string]recorder{"#": wild, "+/+": plus} {
			if got := topics(r.until(t, "plain/end")); !slices.Equal(got, []string{"plain/end"}) {
				t.Errorf("%s subscriber got %v, want only [plain/end]", name, got)
			}
		}

		t.Run("$SYS", func(t *testing.T) {
			_, sys := subscriber(t, b.Addr,
				message.Subscription{Filter: "$SYS/onmqtt/#", QoS: 1},
				message.Subscription{Filter: "sys-end", QoS: 1},
			)
			tok, err := pub.Publish(testContext(t), "$SYS/onmqtt/x", []byte("s"), message.QoS1)
			if err != nil {
				t.Fatal(err)
			}
			if b.Kind.SysPublishAcked {
				waitToken(t, tok)
			} else {
				select {
				case <-tok.Done():
					t.Errorf("got the $SYS publish completed (%v), want no PUBACK from %s", tok.Err(), b.Kind.Name)
				case <-time.After(200 * time.Millisecond):
				}
			}
			publish(t, pub, "sys-end", "", message.QoS1)
			if got := topics(sys.until(t, "sys-end")); !slices.Equal(got, []string{"sys-end"}) {
				t.Errorf("got %v, want only [sys-end]: a client's $SYS publication was delivered", got)
			}
			if !pub.IsConnected() {
				t.Error("publisher disconnected, want connected")
			}
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
		if e := rec.nextMessage(t); e.Msg.Topic != "un/a" {
			t.Fatalf("got %v, want un/a", e)
		}
		if err := c.Unsubscribe(testContext(t), "un/#"); err != nil {
			t.Fatalf("Unsubscribe: %v", err)
		}
		if got := c.Subscriptions(); len(got) != 1 || got[0].Filter != "un-end" {
			t.Errorf("got subscriptions %v, want [un-end]", got)
		}
		publish(t, pub, "un/a", "2", message.QoS1)
		publish(t, pub, "un-end", "", message.QoS1)
		if got := topics(rec.until(t, "un-end")); !slices.Equal(got, []string{"un-end"}) {
			t.Errorf("got %v after Unsubscribe, want only [un-end]", got)
		}
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
		if !errors.Is(err, client.ErrInvalidOption) {
			t.Fatalf("got %v, want ErrInvalidOption", err)
		}
	})
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		t.Run("clean session", func(t *testing.T) {
			c := publisher(t, b.Addr, client.WithEmptyClientID())
			if c.ClientID() != "" {
				t.Errorf("got client id %q, want empty", c.ClientID())
			}
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
			if !errors.As(err, &ce) || ce.Code != b.Kind.EmptyIDCode {
				t.Errorf("got %v, want a *ConnackError with code %d", err, b.Kind.EmptyIDCode)
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
					if err != nil {
						t.Fatalf("got %v, want accepted", err)
					}
					publish(t, c, "auth/ok", "x", message.QoS1)
					return
				}
				var ce *client.ConnackError
				if !errors.As(err, &ce) || ce.Code != b.Kind.BadAuthCode {
					t.Errorf("got %v, want a *ConnackError with code %d", err, b.Kind.BadAuthCode)
				}
			})
		}
		t.Run("anonymous", func(t *testing.T) {
			c := newClient(t)
			_, err := c.Connect(testContext(t), b.Addr)
			var ce *client.ConnackError
			if !errors.As(err, &ce) || ce.Code != b.Kind.BadAuthCode {
				t.Errorf("got %v, want a *ConnackError with code %d", err, b.Kind.BadAuthCode)
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
	if _, err := c.On(message.PUBLISH, rec.handler(), nil, 0); err != nil {
		t.Fatal(err)
	}
	connect(t, c, url)
	ctx := testContext(t)
	codes, err := c.Subscribe(ctx, message.Subscription{Filter: "loop/#", QoS: 2})
	if err != nil || !slices.Equal(codes, []message.SubackCode{2}) {
		t.Fatalf("Subscribe got (%v, %v), want ([2], nil)", codes, err)
	}
	for q := message.QoS0; q <= message.QoS2; q++ {
		topic := fmt.Sprintf("loop/q%d", q)
		publish(t, c, topic, "ping", q)
		e := rec.nextMessage(t)
		if e.Msg.Topic != topic || string(e.Msg.Payload) != "ping" || e.Msg.QoS != q {
			t.Errorf("got %v, want %s \"ping\" at QoS %d", e, topic, q)
		}
	}
	if err := c.Unsubscribe(ctx, "loop/#"); err != nil {
		t.Errorf("Unsubscribe: %v", err)
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
}

func TestConnectAgain(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		r, rec := recordAll(t)
		c := publisher(t, b.Addr, client.WithRouter(r))
		ctx := testContext(t)
		if _, err := c.Subscribe(ctx, message.Subscription{Filter: "again/#", QoS: 1}); err != nil {
			t.Fatal(err)
		}
		rec.nextOf(t, message.SUBACK)
		if err := c.Disconnect(ctx); err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		if err := c.Err(); err != nil {
			t.Errorf("Err() after Disconnect got %v, want nil", err)
		}
		if err := c.Disconnect(ctx); !errors.Is(err, client.ErrNotConnected) {
			t.Errorf("second Disconnect got %v, want ErrNotConnected", err)
		}
		present, err := c.Connect(ctx, b.Addr)
		if err != nil || present {
			t.Fatalf("Connect again got (%t, %v), want (false, nil)", present, err)
		}
		// The broker kept no session: the client renews its
		// subscriptions by itself.
		if e := rec.nextOf(t, message.SUBACK); !slices.Equal(e.Codes, []message.SubackCode{1}) {
			t.Errorf("resubscribe got %v codes %v, want [1]", e, e.Codes)
		}
		publish(t, c, "again/x", "back", message.QoS1)
		if e := rec.nextMessage(t); e.Msg.Topic != "again/x" || string(e.Msg.Payload) != "back" {
			t.Errorf("got %v, want again/x \"back\"", e)
		}
		st := c.Stats()
		if st.Connects != 2 || st.ConnectionsLost != 0 {
			t.Errorf("got %d connects and %d lost, want 2 and 0", st.Connects, st.ConnectionsLost)
		}
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
			if err != nil {
				t.Fatal(err)
			}
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
			if !ok {
				t.Errorf("size/%d: got %d bytes, want %d bytes of the pattern", n, len(p), n)
			}
		}
	}
}
