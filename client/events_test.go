package client_test

import (
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEvents checks that every packet type a broker sends reaches the
// router as an event with the fields the router contract promises.
func TestEvents(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		r, rec := recordAll(t)
		c := newClient(t, client.WithRouter(r), client.WithKeepAlive(time.Second))
		connect(t, c, b.Addr)
		ctx := testContext(t)

		_, err := c.Subscribe(ctx, message.Subscription{Filter: "ev/#", QoS: 2})
		require.NoError(t, err)
		tok1 := publish(t, c, "ev/q1", "one", message.QoS1)
		tok2 := publish(t, c, "ev/q2", "two", message.QoS2)
		// Both messages come back; wait for the second's PUBREL before
		// unsubscribing, so that no delivery is cut short.
		seen := map[message.Type][]record{}
		for len(seen[message.PUBREL]) == 0 {
			e := rec.next(t)
			seen[e.Type] = append(seen[e.Type], e)
		}
		require.NoError(t, c.Unsubscribe(ctx, "ev/#"))
		for len(seen[message.UNSUBACK]) == 0 || len(seen[message.PINGRESP]) == 0 {
			e := rec.next(t)
			seen[e.Type] = append(seen[e.Type], e)
		}

		for typ, es := range seen {
			for _, e := range es {
				assert.Equal(t, typ, e.PacketType, "%v event carries a %v packet", typ, e.PacketType)
			}
		}
		one := func(typ message.Type) record {
			t.Helper()
			require.Len(t, seen[typ], 1, "%v events", typ)
			return seen[typ][0]
		}
		connack := one(message.CONNACK)
		assert.Equal(t, message.Accepted, connack.ConnackCode, "CONNACK %v: code", connack)
		assert.False(t, connack.SessionPresent, "CONNACK %v: want no session present", connack)
		assert.Zero(t, connack.ID, "CONNACK %v: id", connack)
		suback := one(message.SUBACK)
		assert.NotZero(t, suback.ID, "SUBACK %v: want an id", suback)
		assert.Equal(t, []message.SubackCode{2}, suback.Codes, "SUBACK %v: codes", suback)
		unsuback := one(message.UNSUBACK)
		assert.NotZero(t, unsuback.ID, "UNSUBACK %v: want an id", unsuback)
		assert.Nil(t, unsuback.Msg, "UNSUBACK %v: want no message", unsuback)
		assert.Nil(t, unsuback.Sent, "UNSUBACK %v: want no sent message", unsuback)
		for _, a := range []struct {
			typ   message.Type
			tok   *client.Token
			topic string
		}{
			{message.PUBACK, tok1, "ev/q1"},
			{message.PUBREC, tok2, "ev/q2"},
			{message.PUBCOMP, tok2, "ev/q2"},
		} {
			e := one(a.typ)
			assert.Equal(t, a.tok.ID(), e.ID, "%v event %v: id", a.typ, e)
			if assert.NotNil(t, e.Sent, "%v event %v: want sent=%s", a.typ, e, a.topic) {
				assert.Equal(t, a.topic, e.Sent.Topic, "%v event %v: sent topic", a.typ, e)
			}
			assert.Nil(t, e.Msg, "%v event %v: want no message", a.typ, e)
		}
		pubs := seen[message.PUBLISH]
		require.Len(t, pubs, 2, "PUBLISH events")
		for i, want := range []struct {
			topic string
			qos   message.QoS
		}{{"ev/q1", message.QoS1}, {"ev/q2", message.QoS2}} {
			e := pubs[i]
			assert.NotZero(t, e.ID, "PUBLISH %v: want an id", e)
			if assert.NotNil(t, e.Msg, "PUBLISH %v: want a message", e) {
				assert.Equal(t, want.topic, e.Msg.Topic, "PUBLISH %v: topic", e)
				assert.Equal(t, want.qos, e.Msg.QoS, "PUBLISH %v: QoS", e)
				assert.Equal(t, e.Msg.PacketID, e.ID, "PUBLISH %v: event id, want the message's", e)
			}
		}
		pubrel := one(message.PUBREL)
		assert.Equal(t, pubs[1].ID, pubrel.ID, "PUBREL %v: id, want the QoS 2 PUBLISH's", pubrel)
		assert.Nil(t, pubrel.Msg, "PUBREL %v: want no message", pubrel)
		ping := seen[message.PINGRESP][0]
		assert.Zero(t, ping.ID, "PINGRESP %v: want a bare PINGRESP", ping)
		assert.Nil(t, ping.Msg, "PINGRESP %v: want a bare PINGRESP", ping)
		assert.Zero(t, c.Stats().Unhandled, "unhandled events")
	})
}

func TestOnAck(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		fallback := newRecorder()
		r := router.New()
		for _, typ := range []message.Type{message.PUBACK, message.PUBREC, message.PUBCOMP} {
			_, err := r.On(typ, fallback.handler(), nil, 0)
			require.NoError(t, err)
		}
		c := publisher(t, b.Addr, client.WithRouter(r))
		ctx := testContext(t)

		tests := []struct {
			name string
			qos  message.QoS
			ack  message.Type
		}{
			{"PUBACK", message.QoS1, message.PUBACK},
			{"PUBREC", message.QoS2, message.PUBREC},
			{"PUBCOMP", message.QoS2, message.PUBCOMP},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				mine := newRecorder()
				tok, err := c.Publish(ctx, "ack/"+tt.name, []byte("x"), tt.qos, client.OnAck(tt.ack, mine.handler()))
				require.NoError(t, err)
				waitToken(t, tok)
				e := mine.next(t)
				assert.Equal(t, tt.ack, e.Type, "OnAck handler got %v", e)
				assert.Equal(t, tok.ID(), e.ID, "OnAck handler got %v", e)
				if assert.NotNil(t, e.Sent, "OnAck handler got %v, want sent=ack/%s", e, tt.name) {
					assert.Equal(t, "ack/"+tt.name, e.Sent.Topic, "OnAck handler got %v", e)
				}
				// Later acknowledgements, of this flow and of others, go
				// to the fallback.
				for range 3 {
					publish(t, c, "ack/other", "y", tt.qos)
				}
				end := publish(t, c, "ack/end", "z", message.QoS1)
				for {
					f := fallback.next(t)
					took := f.Type == tt.ack && f.ID == tok.ID() && f.Sent != nil && f.Sent.Topic == "ack/"+tt.name
					assert.False(t, took, "fallback got %v, which the OnAck handler took", f)
					if f.Type == message.PUBACK && f.ID == end.ID() && f.Sent.Topic == "ack/end" {
						break
					}
				}
				mine.empty(t)
			})
		}
	})
}

func TestQoS2Delivery(t *testing.T) {
	tests := []struct {
		name      string
		opts      []client.Option
		deliverOn message.Type
		other     message.Type
	}{
		{"default", nil, message.PUBLISH, message.PUBREL},
		{"WithDeliverOnPubrel", []client.Option{client.WithDeliverOnPubrel()}, message.PUBREL, message.PUBLISH},
	}
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, rec := recordAll(t)
				c := publisher(t, b.Addr, append(tt.opts, client.WithRouter(r))...)
				_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "q2/#", QoS: 2})
				require.NoError(t, err)
				publish(t, c, "q2/x", "exactly once", message.QoS2)
				var pub, rel record
				for pub.Type == 0 || rel.Type == 0 {
					switch e := rec.next(t); e.Type {
					case message.PUBLISH:
						pub = e
					case message.PUBREL:
						rel = e
					}
				}
				assert.NotZero(t, pub.ID, "PUBLISH id")
				assert.Equal(t, pub.ID, rel.ID, "PUBREL id, want the PUBLISH's")
				on, other := pub, rel
				if tt.deliverOn == message.PUBREL {
					on, other = rel, pub
				}
				if assert.NotNil(t, on.Msg, "%v event got %v, want the message q2/x at QoS 2", tt.deliverOn, on) {
					assert.Equal(t, "q2/x", on.Msg.Topic, "%v event got %v", tt.deliverOn, on)
					assert.Equal(t, "exactly once", string(on.Msg.Payload), "%v event got %v", tt.deliverOn, on)
					assert.Equal(t, message.QoS2, on.Msg.QoS, "%v event got %v", tt.deliverOn, on)
				}
				assert.Nil(t, other.Msg, "%v event got %v, want no message", tt.other, other)
			})
		}
	})
}

// TestRouterPrecedence checks conditional handlers, priorities and the
// fallback with messages that went through a broker.
func TestRouterPrecedence(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		took := make(chan string, 100)
		handler := func(name string) router.Handler {
			return func(e *router.Event) { took <- name + " " + e.Message.Topic }
		}
		r := router.New()
		regs := map[string]*router.Registration{}
		for _, h := range []struct {
			name string
			cond router.Condition
			p    priority.Level
		}{
			{"any-pr", router.Topic("pr/#"), priority.Normal},
			{"alarm", router.Topic("pr/alarm/#"), priority.High},
			{"never", router.Func(func(*router.Event) bool { return false }), priority.Critical},
			{"second-pr", router.Topic("pr/+"), priority.Normal},
			{"retained", router.And(router.Topic("pr/#"), router.Retained()), priority.Critical},
			{"q0-glob", router.And(router.Glob("pr/*/q0"), router.QoS(0)), priority.High},
			{"fallback", nil, 0},
		} {
			reg, err := r.On(message.PUBLISH, handler(h.name), h.cond, h.p)
			require.NoError(t, err, "On(%s)", h.name)
			regs[h.name] = reg
		}
		pub := publisher(t, b.Addr)
		// A retained message reaches a new subscription with its retain
		// flag set; live messages to existing subscriptions have it clear.
		// A broker may acknowledge a PUBLISH before it has forwarded it, so
		// a subscription made right after the PUBACK could receive the
		// live copy as well as the retained one. A watcher that receives
		// the live copy shows the forwarding is over before c subscribes.
		_, watch := subscriber(t, b.Addr, message.Subscription{Filter: "pr/kept", QoS: 1})
		publish(t, pub, "pr/kept", "k", 1, client.Retain())
		require.Equal(t, "pr/kept", watch.nextMessage(t).Msg.Topic)
		c := publisher(t, b.Addr, client.WithRouter(r))
		_, err := c.Subscribe(testContext(t),
			message.Subscription{Filter: "pr/#", QoS: 1},
			message.Subscription{Filter: "other/#", QoS: 1},
		)
		require.NoError(t, err)
		select {
		case got := <-took:
			assert.Equal(t, "retained pr/kept", got)
		case <-time.After(waitLimit):
			require.Fail(t, "retained pr/kept not delivered")
		}
		steps := []struct {
			topic  string
			qos    message.QoS
			retain bool
			remove string // registration removed before publishing
			want   string
		}{
			{"pr/alarm/door", 1, false, "", "alarm"},
			{"pr/x", 1, false, "", "any-pr"}, // equal priority: registered first
			{"pr/deep/er", 1, false, "", "any-pr"},
			{"other/x", 1, false, "", "fallback"},
			{"pr/kept", 1, true, "", "any-pr"}, // live: retain flag clear
			{"pr/a/q0", 0, false, "", "q0-glob"},
			{"pr/a/q0", 1, false, "", "any-pr"},
			{"pr/alarm/window", 1, false, "alarm", "any-pr"},
			{"pr/y", 1, false, "any-pr", "second-pr"},
			{"pr/y/z", 1, false, "", "fallback"},
		}
		for _, s := range steps {
			if s.remove != "" {
				require.True(t, regs[s.remove].Remove(), "Remove(%s)", s.remove)
			}
			var opts []client.PublishOption
			if s.retain {
				opts = append(opts, client.Retain())
			}
			publish(t, pub, s.topic, "", s.qos, opts...)
			select {
			case got := <-took:
				assert.Equal(t, s.want+" "+s.topic, got)
			case <-time.After(waitLimit):
				require.Failf(t, "not delivered", "%s not delivered", s.topic)
			}
		}
	})
}
