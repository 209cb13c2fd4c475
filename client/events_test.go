package client_test

import (
	"slices"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
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

		if _, err := c.Subscribe(ctx, message.Subscription{Filter: "ev/#", QoS: 2}); err != nil {
			t.Fatal(err)
		}
		tok1 := publish(t, c, "ev/q1", "one", message.QoS1)
		tok2 := publish(t, c, "ev/q2", "two", message.QoS2)
		// Both messages come back; wait for the second's PUBREL before
		// unsubscribing, so that no delivery is cut short.
		seen := map[message.Type][]record{}
		for len(seen[message.PUBREL]) == 0 {
			e := rec.next(t)
			seen[e.Type] = append(seen[e.Type], e)
		}
		if err := c.Unsubscribe(ctx, "ev/#"); err != nil {
			t.Fatal(err)
		}
		for len(seen[message.UNSUBACK]) == 0 || len(seen[message.PINGRESP]) == 0 {
			e := rec.next(t)
			seen[e.Type] = append(seen[e.Type], e)
		}

		for typ, es := range seen {
			for _, e := range es {
				if e.PacketType != typ {
					t.Errorf("%v event carries a %v packet, want %v", typ, e.PacketType, typ)
				}
			}
		}
		one := func(typ message.Type) record {
			t.Helper()
			if n := len(seen[typ]); n != 1 {
				t.Fatalf("got %d %v events %v, want 1", n, typ, seen[typ])
			}
			return seen[typ][0]
		}
		if e := one(message.CONNACK); e.ConnackCode != message.Accepted || e.SessionPresent || e.ID != 0 {
			t.Errorf("got %v code %d present %t, want CONNACK accepted without session", e, e.ConnackCode, e.SessionPresent)
		}
		if e := one(message.SUBACK); e.ID == 0 || !slices.Equal(e.Codes, []message.SubackCode{2}) {
			t.Errorf("got %v codes %v, want SUBACK with an id and codes [2]", e, e.Codes)
		}
		if e := one(message.UNSUBACK); e.ID == 0 || e.Msg != nil || e.Sent != nil {
			t.Errorf("got %v, want UNSUBACK with an id, without message", e)
		}
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
			if e.ID != a.tok.ID() || e.Sent == nil || e.Sent.Topic != a.topic || e.Msg != nil {
				t.Errorf("got %v, want %v id=%d sent=%s without message", e, a.typ, a.tok.ID(), a.topic)
			}
		}
		pubs := seen[message.PUBLISH]
		if len(pubs) != 2 {
			t.Fatalf("got PUBLISH events %v, want 2", pubs)
		}
		for i, want := range []struct {
			topic string
			qos   message.QoS
		}{{"ev/q1", message.QoS1}, {"ev/q2", message.QoS2}} {
			e := pubs[i]
			if e.Msg == nil || e.Msg.Topic != want.topic || e.Msg.QoS != want.qos || e.ID == 0 || e.ID != e.Msg.PacketID {
				t.Errorf("got %v, want PUBLISH %s at QoS %d with its id", e, want.topic, want.qos)
			}
		}
		if e := one(message.PUBREL); e.ID != pubs[1].ID || e.Msg != nil {
			t.Errorf("got %v, want PUBREL id=%d without message", e, pubs[1].ID)
		}
		if e := seen[message.PINGRESP][0]; e.ID != 0 || e.Msg != nil {
			t.Errorf("got %v, want a bare PINGRESP", e)
		}
		if got := c.Stats().Unhandled; got != 0 {
			t.Errorf("got %d unhandled events, want 0", got)
		}
	})
}

func TestOnAck(t *testing.T) {
	forEachBroker(t, brokerSpec{}, func(t *testing.T, b testBroker) {
		fallback := newRecorder()
		r := router.New()
		for _, typ := range []message.Type{message.PUBACK, message.PUBREC, message.PUBCOMP} {
			if _, err := r.On(typ, fallback.handler(), nil, 0); err != nil {
				t.Fatal(err)
			}
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
				if err != nil {
					t.Fatal(err)
				}
				waitToken(t, tok)
				e := mine.next(t)
				if e.Type != tt.ack || e.ID != tok.ID() || e.Sent == nil || e.Sent.Topic != "ack/"+tt.name {
					t.Errorf("OnAck handler got %v, want %v id=%d sent=ack/%s", e, tt.ack, tok.ID(), tt.name)
				}
				// Later acknowledgements, of this flow and of others, go
				// to the fallback.
				for range 3 {
					publish(t, c, "ack/other", "y", tt.qos)
				}
				end := publish(t, c, "ack/end", "z", message.QoS1)
				for {
					f := fallback.next(t)
					if f.Type == tt.ack && f.ID == tok.ID() && f.Sent != nil && f.Sent.Topic == "ack/"+tt.name {
						t.Errorf("fallback got %v, which the OnAck handler took", f)
					}
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
				if _, err := c.Subscribe(testContext(t), message.Subscription{Filter: "q2/#", QoS: 2}); err != nil {
					t.Fatal(err)
				}
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
				if pub.ID == 0 || rel.ID != pub.ID {
					t.Errorf("got PUBLISH id %d and PUBREL id %d, want the same non-zero id", pub.ID, rel.ID)
				}
				on, other := pub, rel
				if tt.deliverOn == message.PUBREL {
					on, other = rel, pub
				}
				if on.Msg == nil || on.Msg.Topic != "q2/x" || string(on.Msg.Payload) != "exactly once" || on.Msg.QoS != message.QoS2 {
					t.Errorf("%v event got %v, want the message q2/x at QoS 2", tt.deliverOn, on)
				}
				if other.Msg != nil {
					t.Errorf("%v event got %v, want no message", tt.other, other)
				}
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
			if err != nil {
				t.Fatal(err)
			}
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
		if _, err := c.Subscribe(testContext(t),
			message.Subscription{Filter: "pr/#", QoS: 1},
			message.Subscription{Filter: "other/#", QoS: 1},
		); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-took:
			if want := "retained pr/kept"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		case <-time.After(waitLimit):
			t.Fatal("retained pr/kept not delivered")
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
			if s.remove != "" && !regs[s.remove].Remove() {
				t.Fatalf("Remove(%s) got false, want true", s.remove)
			}
			var opts []client.PublishOption
			if s.retain {
				opts = append(opts, client.Retain())
			}
			publish(t, pub, s.topic, "", s.qos, opts...)
			select {
			case got := <-took:
				if want := s.want + " " + s.topic; got != want {
					t.Errorf("got %q, want %q", got, want)
				}
			case <-time.After(waitLimit):
				t.Fatalf("%s not delivered", s.topic)
			}
		}
	})
}
