package client_test

import (
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
	"github.com/onmqtt/onmqtt/router"
)

// TestV5PublishProperties checks that every PUBLISH property option
// reaches the wire, and that none is sent as a Subscription Identifier
// or topic alias of our own making [MQTT-3.3.4-6].
func TestV5PublishProperties(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	ctx := testContext(t)
	_, err := c.Publish(ctx, "dev/1", []byte("héllo"), message.QoS1,
		client.WithMessageExpiry(90*time.Second),
		client.WithContentType("text/plain"),
		client.WithPayloadUTF8(),
		client.WithResponseTopic("dev/1/reply"),
		client.WithCorrelationData([]byte{9, 8, 7}),
		client.WithUserProperty("a", "1"),
		client.WithUserProperty("a", "2"),
	)
	require.NoError(t, err)
	pub := pc.ExpectPublish()
	assert.Equal(t, "dev/1", pub.Topic)
	p := pub.Properties
	require.NotNil(t, p)
	assert.Equal(t, message.Some[uint32](90), p.MessageExpiry)
	assert.Equal(t, "text/plain", p.ContentType)
	assert.Equal(t, message.Some[byte](1), p.PayloadFormat)
	assert.Equal(t, "dev/1/reply", p.ResponseTopic)
	assert.Equal(t, []byte{9, 8, 7}, p.CorrelationData)
	assert.Equal(t, []message.UserProperty{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}, p.UserProperties)
	assert.Empty(t, p.SubscriptionIDs)
	assert.False(t, p.TopicAlias.Set, "no alias without a broker Topic Alias Maximum [MQTT-3.2.2-18]")
}

// TestV5PublishRefusedLocally checks properties the client refuses
// before sending.
func TestV5PublishRefusedLocally(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	ctx := testContext(t)
	for _, tc := range []struct {
		name string
		opts []client.PublishOption
		want error
	}{
		{"payload not UTF-8", []client.PublishOption{client.WithPayloadUTF8()}, message.ErrInvalidUTF8},
		{"response topic with wildcard", []client.PublishOption{client.WithResponseTopic("a/+")}, message.ErrInvalidTopic},
		{"content type with U+0000", []client.PublishOption{client.WithContentType("a\x00")}, message.ErrInvalidUTF8},
		{"zero expiry", []client.PublishOption{client.WithMessageExpiry(0)}, client.ErrInvalidOption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Publish(ctx, "t", []byte{0xff, 0xfe}, message.QoS1, tc.opts...)
			require.ErrorIs(t, err, tc.want)
		})
	}
	pc.ExpectSilence(100 * time.Millisecond)
}

// TestV5PropertiesNotSentBefore5 checks that publish properties are left
// out at 3.1.1, where the packet cannot carry them.
func TestV5PropertiesNotSentBefore5(t *testing.T) {
	c, pc := connectScripted(t)
	tok, err := c.Publish(testContext(t), "t", []byte("x"), message.QoS1, client.WithContentType("text/plain"))
	require.NoError(t, err)
	pub := pc.ExpectPublish()
	assert.Nil(t, pub.Properties)
	pc.Send(&message.Puback{PacketID: pub.PacketID})
	require.NoError(t, tok.Wait(testContext(t)))
}

// TestV5InboundProperties checks that a received PUBLISH's properties
// are on the event and its message, and routable by router conditions.
func TestV5InboundProperties(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	got := make(chan *message.Properties, 2)
	_, err := c.Router().On(message.PUBLISH, func(e *router.Event) {
		assert.Same(t, e.Message.Properties, e.Properties)
		got <- e.Message.Properties
	}, router.And(router.ContentType("application/*"), router.UserProperty("k", "v")), 0)
	require.NoError(t, err)
	_, err = c.Router().On(message.PUBLISH, func(e *router.Event) { got <- nil }, nil, 0)
	require.NoError(t, err)
	pc.Send(&message.Publish{Message: message.Message{Topic: "x", QoS: message.QoS1, PacketID: 1, Payload: []byte("{}"),
		Properties: &message.Properties{ContentType: "application/json", UserProperties: []message.UserProperty{{Key: "k", Value: "v"}},
			SubscriptionIDs: []uint32{4}, MessageExpiry: message.Some[uint32](10)}}})
	select {
	case p := <-got:
		require.NotNil(t, p, "the conditional handler must take it")
		assert.Equal(t, "application/json", p.ContentType)
		assert.Equal(t, []uint32{4}, p.SubscriptionIDs)
		assert.Equal(t, message.Some[uint32](10), p.MessageExpiry)
	case <-time.After(waitLimit):
		require.FailNow(t, "no PUBLISH event")
	}
	pc.ExpectAck(message.PUBACK, 1)
}

// TestV5AckReasonCodes checks that a PUBACK or PUBREC of 0x80 or above
// completes the token with a *PublishError, that the QoS 2 flow ends
// without PUBREL [MQTT-4.4.0-2], and that the refused flows give their
// quota back [MQTT-4.9.0-3].
func TestV5AckReasonCodes(t *testing.T) {
	c, pc, _ := connectScripted5(t, &message.Properties{ReceiveMaximum: message.Some[uint16](1)})
	ctx := testContext(t)
	seen := make(chan message.ReasonCode, 4)
	_, err := c.Router().On(message.PUBACK, func(e *router.Event) { seen <- e.ReasonCode }, router.Failed(), 0)
	require.NoError(t, err)

	tok1, err := c.Publish(ctx, "a", []byte("1"), message.QoS1)
	require.NoError(t, err)
	p1 := pc.ExpectPublish()
	pc.Send(&message.Puback{PacketID: p1.PacketID, ReasonCode: message.NotAuthorized,
		Properties: &message.Properties{ReasonString: "acl"}})
	err = tok1.Wait(ctx)
	var pe *client.PublishError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, message.PUBACK, pe.Type)
	assert.Equal(t, message.NotAuthorized, pe.Code)
	assert.Equal(t, "acl", pe.Reason)
	require.ErrorIs(t, err, client.ErrPublishFailed)
	assert.Equal(t, message.NotAuthorized, <-seen)

	// The quota of 1 is free again: a QoS 2 publish goes out.
	tok2, err := c.Publish(ctx, "b", []byte("2"), message.QoS2)
	require.NoError(t, err)
	p2 := pc.ExpectPublish()
	pc.Send(&message.Pubrec{PacketID: p2.PacketID, ReasonCode: message.QuotaExceeded})
	require.ErrorAs(t, tok2.Wait(ctx), &pe)
	assert.Equal(t, message.PUBREC, pe.Type)
	assert.Equal(t, message.QuotaExceeded, pe.Code)

	// No PUBREL for the refused flow; the next publish takes the slot.
	tok3, err := c.Publish(ctx, "c", []byte("3"), message.QoS1)
	require.NoError(t, err)
	p3 := pc.ExpectPublish()
	assert.Equal(t, "c", p3.Topic)
	pc.Send(&message.Puback{PacketID: p3.PacketID, ReasonCode: message.NoMatchingSubscribers})
	require.NoError(t, tok3.Wait(ctx), "0x10 is a success")

	// A PUBCOMP failure code is reported on its event, and the publish,
	// which the broker took at PUBREC, still succeeds.
	comp := make(chan message.ReasonCode, 1)
	_, err = c.Router().On(message.PUBCOMP, func(e *router.Event) { comp <- e.ReasonCode }, router.Failed(), 0)
	require.NoError(t, err)
	tok4, err := c.Publish(ctx, "d", []byte("4"), message.QoS2)
	require.NoError(t, err)
	p4 := pc.ExpectPublish()
	pc.Send(&message.Pubrec{PacketID: p4.PacketID})
	pc.ExpectAck(message.PUBREL, p4.PacketID)
	pc.Send(&message.Pubcomp{PacketID: p4.PacketID, ReasonCode: message.PacketIdentifierNotFound})
	require.NoError(t, tok4.Wait(ctx))
	assert.Equal(t, message.PacketIdentifierNotFound, <-comp)
	pc.ExpectSilence(100 * time.Millisecond)
}

// TestV5SubackUnsubackCodes checks the per-filter reason codes of SUBACK
// and UNSUBACK.
func TestV5SubackUnsubackCodes(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	ctx := testContext(t)
	type result struct {
		codes []message.SubackCode
		err   error
	}
	res := make(chan result, 1)
	go func() {
		codes, err := c.Subscribe(ctx, message.Subscription{Filter: "a", QoS: 1}, message.Subscription{Filter: "b", QoS: 2})
		res <- result{codes, err}
	}()
	s := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
	pc.Send(&message.Suback{PacketID: s.PacketID, ReturnCodes: []message.SubackCode{1, message.SubackCode(message.NotAuthorized)}})
	r := <-res
	var se *client.SubscribeError
	require.ErrorAs(t, r.err, &se)
	assert.Equal(t, []string{"b"}, se.Filters)
	assert.Equal(t, []message.SubackCode{1, 0x87}, r.codes)
	assert.Equal(t, []message.Subscription{{Filter: "a", QoS: 1}}, c.Subscriptions())

	errc := make(chan error, 1)
	go func() { errc <- c.Unsubscribe(ctx, "a", "x", "y") }()
	u := pc.Expect(message.UNSUBSCRIBE).(*message.Unsubscribe)
	pc.Send(&message.Unsuback{PacketID: u.PacketID, ReasonCodes: []message.ReasonCode{message.Success, message.NoSubscriptionExisted, message.NotAuthorized}})
	err := <-errc
	var ue *client.UnsubscribeError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, []string{"y"}, ue.Filters)
	assert.Equal(t, []message.ReasonCode{0, 0x11, 0x87}, ue.Codes)
	assert.Empty(t, c.Subscriptions())
}

// TestV5SubscriptionOptions checks that subscription options and the
// Subscription Identifier reach the wire, that the identifier is sent
// again when the subscriptions are renewed, and that No Local on a
// shared subscription is refused locally [MQTT-3.8.3-4].
func TestV5SubscriptionOptions(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond))
	pc, _ := connectScriptedTo5(t, c, p, nil)
	ctx := testContext(t)
	_, err := c.Subscribe(ctx, message.Subscription{Filter: "$share/g/a", NoLocal: true})
	require.ErrorIs(t, err, message.ErrSharedNoLocal)
	_, err = c.SubscribeWith(ctx, []message.Subscription{{Filter: "a"}}, client.WithSubscriptionID(0))
	require.ErrorIs(t, err, client.ErrInvalidOption)

	errc := make(chan error, 1)
	go func() {
		_, err := c.SubscribeWith(ctx, []message.Subscription{
			{Filter: "a/#", QoS: 1, NoLocal: true, RetainAsPublished: true, RetainHandling: message.DoNotSendRetained},
		}, client.WithSubscriptionID(42), client.WithSubscribeUserProperty("u", "p"))
		errc <- err
	}()
	s := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
	require.Len(t, s.Subscriptions, 1)
	assert.Equal(t, message.Subscription{Filter: "a/#", QoS: 1, NoLocal: true, RetainAsPublished: true, RetainHandling: message.DoNotSendRetained}, s.Subscriptions[0])
	require.NotNil(t, s.Properties)
	assert.Equal(t, []uint32{42}, s.Properties.SubscriptionIDs)
	assert.Equal(t, []message.UserProperty{{Key: "u", Value: "p"}}, s.Properties.UserProperties)
	pc.Send(&message.Suback{PacketID: s.PacketID, ReturnCodes: []message.SubackCode{1}})
	require.NoError(t, <-errc)

	errc2 := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(ctx, message.Subscription{Filter: "plain"})
		errc2 <- err
	}()
	s2 := pc.Expect(message.SUBSCRIBE).(*message.Subscribe)
	assert.Nil(t, s2.Properties)
	pc.Send(&message.Suback{PacketID: s2.PacketID, ReturnCodes: []message.SubackCode{0}})
	require.NoError(t, <-errc2)

	// The broker loses the session: the renewal keeps the identifier,
	// one SUBSCRIBE per identifier.
	pc.Close()
	pc2 := p.Next(t)
	pc2.Handshake5(nil)
	renewed := map[string]*message.Properties{}
	for range 2 {
		s := pc2.Expect(message.SUBSCRIBE).(*message.Subscribe)
		cp := *s
		for _, sub := range cp.Subscriptions {
			renewed[sub.Filter] = cp.Properties
		}
		codes := make([]message.SubackCode, len(cp.Subscriptions))
		pc2.Send(&message.Suback{PacketID: cp.PacketID, ReturnCodes: codes})
	}
	require.Contains(t, renewed, "a/#")
	require.NotNil(t, renewed["a/#"])
	assert.Equal(t, []uint32{42}, renewed["a/#"].SubscriptionIDs)
	require.Contains(t, renewed, "plain")
	assert.Nil(t, renewed["plain"])
}

// TestV5SubscriptionIDRouting checks, against the embedded broker and
// mosquitto, that the identifiers the broker attaches route messages to
// the handler of their subscription, not by topic.
func TestV5SubscriptionIDRouting(t *testing.T) {
	urls := map[string]string{"embedded": brokertest.Embedded(t, broker.EmbeddedOptions{}).Addr()}
	if m := mosquitto5(t); m != nil {
		urls["mosquitto"] = m.Addr()
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, client.WithVersion(message.V5))
			connect(t, c, url)
			ctx := testContext(t)
			var mu sync.Mutex
			got := map[string][]string{}
			done := make(chan struct{}, 4)
			for _, h := range []struct {
				name string
				id   uint32
			}{{"sensors", 1}, {"alerts", 2}} {
				_, err := c.Router().On(message.PUBLISH, func(e *router.Event) {
					mu.Lock()
					got[h.name] = append(got[h.name], e.Message.Topic)
					mu.Unlock()
					done <- struct{}{}
				}, router.SubscriptionID(h.id), 0)
				require.NoError(t, err)
			}
			_, err := c.SubscribeWith(ctx, []message.Subscription{{Filter: "site/+/temp", QoS: 1}}, client.WithSubscriptionID(1))
			require.NoError(t, err)
			_, err = c.SubscribeWith(ctx, []message.Subscription{{Filter: "site/alarm/#", QoS: 1}}, client.WithSubscriptionID(2))
			require.NoError(t, err)
			for _, topic := range []string{"site/a/temp", "site/alarm/fire"} {
				tok, err := c.Publish(ctx, topic, []byte("x"), message.QoS1)
				require.NoError(t, err)
				require.NoError(t, tok.Wait(ctx))
			}
			for range 2 {
				select {
				case <-done:
				case <-time.After(waitLimit):
					require.FailNow(t, "message not delivered")
				}
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"site/a/temp"}, got["sensors"])
			assert.Equal(t, []string{"site/alarm/fire"}, got["alerts"])
		})
	}
}

// TestV5PropertiesRoundTrip checks, against the embedded broker and
// mosquitto, that a message's properties arrive as published.
func TestV5PropertiesRoundTrip(t *testing.T) {
	urls := map[string]string{"embedded": brokertest.Embedded(t, broker.EmbeddedOptions{}).Addr()}
	if m := mosquitto5(t); m != nil {
		urls["mosquitto"] = m.Addr()
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, client.WithVersion(message.V5))
			connect(t, c, url)
			ctx := testContext(t)
			got := make(chan message.Message, 1)
			_, err := c.Router().On(message.PUBLISH, func(e *router.Event) { got <- *e.Message }, router.Topic("rt/#"), 0)
			require.NoError(t, err)
			_, err = c.Subscribe(ctx, message.Subscription{Filter: "rt/#", QoS: 2})
			require.NoError(t, err)
			tok, err := c.Publish(ctx, "rt/x", []byte("body"), message.QoS2,
				client.WithContentType("text/plain"), client.WithPayloadUTF8(),
				client.WithResponseTopic("rt/reply"), client.WithCorrelationData([]byte("id-1")),
				client.WithUserProperty("k", "v"), client.WithMessageExpiry(time.Hour))
			require.NoError(t, err)
			require.NoError(t, tok.Wait(ctx))
			var m message.Message
			select {
			case m = <-got:
			case <-time.After(waitLimit):
				require.FailNow(t, "message not delivered")
			}
			require.NotNil(t, m.Properties)
			assert.Equal(t, "text/plain", m.Properties.ContentType)
			assert.Equal(t, message.Some[byte](1), m.Properties.PayloadFormat)
			assert.Equal(t, "rt/reply", m.Properties.ResponseTopic)
			assert.Equal(t, []byte("id-1"), m.Properties.CorrelationData)
			assert.Contains(t, m.Properties.UserProperties, message.UserProperty{Key: "k", Value: "v"})
			exp, ok := m.Properties.MessageExpiry.Get()
			assert.True(t, ok)
			assert.LessOrEqual(t, exp, uint32(3600))
		})
	}
}

// TestV5SubscribeTooLargeForBroker checks that a SUBSCRIBE above the
// broker's Maximum Packet Size is refused locally [MQTT-3.2.2-15].
func TestV5SubscribeTooLargeForBroker(t *testing.T) {
	c, pc, _ := connectScripted5(t, &message.Properties{MaximumPacketSize: message.Some[uint32](20)})
	_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "a/very/long/filter/name/here"})
	require.ErrorIs(t, err, message.ErrPacketTooLarge)
	require.ErrorIs(t, c.Unsubscribe(testContext(t), "a/very/long/filter/name/here"), message.ErrPacketTooLarge)
	pc.ExpectSilence(50 * time.Millisecond)
}

// TestV5SharedFilterRefusedLocally checks that a shared subscription
// with an invalid share name is refused before anything is sent
// [MQTT-4.8.2-1] [MQTT-4.8.2-2].
func TestV5SharedFilterRefusedLocally(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	for _, f := range []string{"$share/+/a", "$share//a", "$share/g"} {
		_, err := c.Subscribe(testContext(t), message.Subscription{Filter: f})
		require.ErrorIs(t, err, message.ErrInvalidFilter, f)
	}
	pc.ExpectSilence(50 * time.Millisecond)
}

// TestV5SubscriptionOptionsWithBrokers checks No Local, Retain As
// Published and Retain Handling against the embedded broker and
// mosquitto. Absence is proven by order: a later message from another
// client arrives and the one that must not come did not come first.
func TestV5SubscriptionOptionsWithBrokers(t *testing.T) {
	urls := map[string]string{"embedded": brokertest.Embedded(t, broker.EmbeddedOptions{}).Addr()}
	if m := mosquitto5(t); m != nil {
		urls["mosquitto"] = m.Addr()
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			other := newClient(t, client.WithVersion(message.V5))
			connect(t, other, url)
			publish := func(c *client.Client, topic, payload string, opts ...client.PublishOption) {
				t.Helper()
				tok, err := c.Publish(ctx, topic, []byte(payload), message.QoS1, opts...)
				require.NoError(t, err)
				require.NoError(t, tok.Wait(ctx))
			}
			// A retained message, there before anyone subscribes. The
			// embedded broker acknowledges a publish before it forwards
			// it, so wait until a watcher got it: a subscription made
			// earlier could receive the live copy.
			publishForwarded(t, other, url, "so/retained", "old", message.QoS1, client.Retain())

			c := newClient(t, client.WithVersion(message.V5))
			type got struct {
				topic, payload string
				retain         bool
			}
			msgs := make(chan got, 16)
			_, err := c.Router().On(message.PUBLISH, func(e *router.Event) {
				msgs <- got{e.Message.Topic, string(e.Message.Payload), e.Message.Retain}
			}, nil, 0)
			require.NoError(t, err)
			connect(t, c, url)
			next := func() got {
				t.Helper()
				select {
				case m := <-msgs:
					return m
				case <-time.After(waitLimit):
					require.FailNow(t, "no message")
					return got{}
				}
			}
			_, err = c.Subscribe(ctx,
				message.Subscription{Filter: "so/local", QoS: 1, NoLocal: true},
				message.Subscription{Filter: "so/rap", QoS: 1, RetainAsPublished: true},
				message.Subscription{Filter: "so/plain", QoS: 1},
				message.Subscription{Filter: "so/retained", QoS: 1, RetainHandling: message.DoNotSendRetained},
			)
			require.NoError(t, err)

			publish(c, "so/local", "mine")
			publish(other, "so/local", "theirs")
			assert.Equal(t, got{"so/local", "theirs", false}, next(), "No Local: our own message is not delivered")

			publish(other, "so/rap", "r", client.Retain())
			assert.Equal(t, got{"so/rap", "r", true}, next(), "Retain As Published keeps the flag")
			publish(other, "so/plain", "p", client.Retain())
			assert.Equal(t, got{"so/plain", "p", false}, next(), "without it the flag is cleared")

			publish(other, "so/retained", "new")
			assert.Equal(t, got{"so/retained", "new", false}, next(), "Retain Handling 2: no retained message on subscribe")
		})
	}
}

// TestV5BadInput checks, on a 5.0 connection, the topic names and
// filters refused before anything is sent: wildcards in a topic name
// [MQTT-3.3.2-2] [MQTT-4.7.0-1], empty or U+0000 names [MQTT-4.7.3-1]
// [MQTT-4.7.3-2], names over 65,535 bytes [MQTT-4.7.3-3], misplaced
// wildcards in filters [MQTT-4.7.1-1] [MQTT-4.7.1-2], and SUBSCRIBE or
// UNSUBSCRIBE without a filter [MQTT-3.8.3-2] [MQTT-3.10.3-2].
func TestV5BadInput(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	ctx := testContext(t)
	long := string(make([]byte, 65536))
	for _, topic := range []string{"a/+", "a/#", "", "a\x00b", "x" + long[1:] + "y"} {
		_, err := c.Publish(ctx, topic, nil, message.QoS1)
		require.ErrorIs(t, err, message.ErrInvalidTopic, "%.20q", topic)
	}
	for _, f := range []string{"a/#/b", "a+", "#a", ""} {
		_, err := c.Subscribe(ctx, message.Subscription{Filter: f})
		require.ErrorIs(t, err, message.ErrInvalidFilter, "%q", f)
		require.ErrorIs(t, c.Unsubscribe(ctx, f), message.ErrInvalidFilter, "%q", f)
	}
	_, err := c.Subscribe(ctx)
	require.ErrorIs(t, err, message.ErrNoFilters)
	require.ErrorIs(t, c.Unsubscribe(ctx), message.ErrNoFilters)
	pc.ExpectSilence(50 * time.Millisecond)
}

// TestV5WebSocket checks a 5.0 session over WebSocket with the embedded
// broker: the "mqtt" subprotocol, binary frames, and packets larger than
// a frame [MQTT-6.0.0-1] [MQTT-6.0.0-2] [MQTT-6.0.0-3].
func TestV5WebSocket(t *testing.T) {
	b := brokertest.Embedded(t, broker.EmbeddedOptions{WebSocket: true})
	c := newClient(t, client.WithVersion(message.V5))
	connect(t, c, b.WSAddr())
	assert.Equal(t, message.V5, c.ConnectResult().Version)
	ctx := testContext(t)
	got := make(chan message.Message, 1)
	_, err := c.Router().On(message.PUBLISH, func(e *router.Event) { got <- *e.Message }, router.Topic("ws5/#"), 0)
	require.NoError(t, err)
	_, err = c.Subscribe(ctx, message.Subscription{Filter: "ws5/#", QoS: 1})
	require.NoError(t, err)
	big := make([]byte, 200<<10)
	for i := range big {
		big[i] = byte(i)
	}
	tok, err := c.Publish(ctx, "ws5/big", big, message.QoS1, client.WithContentType("application/octet-stream"))
	require.NoError(t, err)
	require.NoError(t, tok.Wait(ctx))
	select {
	case m := <-got:
		assert.Equal(t, big, m.Payload)
		assert.Equal(t, "application/octet-stream", m.Properties.ContentType)
	case <-time.After(waitLimit):
		require.FailNow(t, "not delivered")
	}
}
