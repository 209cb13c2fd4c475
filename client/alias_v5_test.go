package client_test

import (
	"errors"
	"fmt"
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

// aliased returns a QoS 0 PUBLISH of topic with topic alias a.
func aliased(topic string, a uint16, payload string) *message.Publish {
	return &message.Publish{Message: message.Message{Topic: topic, Payload: []byte(payload),
		Properties: &message.Properties{TopicAlias: message.Some(a)}}}
}

// TestV5InboundTopicAlias checks that inbound aliases are resolved
// before routing: handlers and Topic conditions see the full topic, for
// every alias up to our maximum [MQTT-3.3.2-10].
func TestV5InboundTopicAlias(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil, client.WithTopicAliasMaximum(2))
	got := make(chan string, 8)
	_, err := c.Router().On(message.PUBLISH, func(e *router.Event) {
		got <- e.Message.Topic + "=" + string(e.Message.Payload)
	}, router.Topic("s/+"), 0)
	require.NoError(t, err)
	pc.Send(aliased("s/a", 1, "1"))
	pc.Send(aliased("", 1, "2"))
	pc.Send(aliased("s/b", 2, "3"))
	pc.Send(aliased("s/c", 1, "4")) // remapped
	pc.Send(aliased("", 1, "5"))
	pc.Send(aliased("", 2, "6"))
	var all []string
	for range 6 {
		select {
		case s := <-got:
			all = append(all, s)
		case <-time.After(waitLimit):
			require.FailNow(t, fmt.Sprintf("got %v, want 6 messages", all))
		}
	}
	assert.Equal(t, []string{"s/a=1", "s/a=2", "s/b=3", "s/c=4", "s/c=5", "s/b=6"}, all)
}

// TestV5InboundTopicAliasErrors checks that an alias above our maximum
// closes with 0x94 and an unknown alias with an empty topic with 0x82,
// the connection error being a *ProtocolError with that code.
func TestV5InboundTopicAliasErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		pub  *message.Publish
		code message.ReasonCode
	}{
		{"alias above our maximum", 2, aliased("t", 3, "x"), message.TopicAliasInvalid},
		{"alias when we allow none", 0, aliased("t", 1, "x"), message.TopicAliasInvalid},
		{"unknown alias", 2, aliased("", 2, "x"), message.ProtocolError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lost := make(chan error, 1)
			c, pc, _ := connectScripted5(t, nil, client.WithTopicAliasMaximum(tc.max),
				client.WithOnConnectionLost(func(_ *client.Client, err error) { lost <- err }))
			_, err := c.Router().On(message.PUBLISH, func(e *router.Event) { assert.Fail(t, fmt.Sprintf("delivered %q", e.Message.Topic)) }, nil, 0)
			require.NoError(t, err)
			pc.Send(tc.pub)
			d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
			assert.Equal(t, tc.code, d.ReasonCode)
			pc.SkipToClose()
			select {
			case err := <-lost:
				var pe *client.ProtocolError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tc.code, pe.Code)
			case <-time.After(waitLimit):
				require.FailNow(t, "connection not lost")
			}
		})
	}
}

// aliasOf returns the topic and alias of an outbound PUBLISH.
func aliasOf(p *message.Publish) (string, uint16) {
	if p.Properties == nil {
		return p.Topic, 0
	}
	return p.Topic, p.Properties.TopicAlias.Value
}

// TestV5OutboundTopicAlias checks the automatic aliases: within the
// broker's maximum, the least recently used reassigned, an empty topic
// once the broker knows the alias; new aliases on a new connection
// [MQTT-3.3.2-7], and a resent PUBLISH with its full topic.
func TestV5OutboundTopicAlias(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithClientID("alias"), client.WithCleanSession(false),
		client.WithAutoReconnect(time.Millisecond, 10*time.Millisecond))
	pc, _ := connectScriptedTo5(t, c, p, &message.Properties{TopicAliasMaximum: message.Some[uint16](2)})
	ctx := testContext(t)
	type sent struct {
		topic string
		alias uint16
	}
	var got []sent
	for _, topic := range []string{"a", "b", "a", "c", "b"} {
		_, err := c.Publish(ctx, topic, []byte(topic), message.QoS0)
		require.NoError(t, err)
		pub := pc.ExpectPublish()
		assert.Equal(t, []byte(topic), pub.Payload)
		tp, a := aliasOf(pub)
		got = append(got, sent{tp, a})
	}
	assert.Equal(t, []sent{{"a", 1}, {"b", 2}, {"", 1}, {"c", 2}, {"b", 1}}, got)

	// A QoS 1 publish left unacknowledged, then the connection drops.
	_, err := c.Publish(ctx, "b", []byte("q1"), message.QoS1)
	require.NoError(t, err)
	first := pc.ExpectPublish()
	tp, a := aliasOf(first)
	assert.Equal(t, "", tp, "b is mapped on this connection")
	assert.Equal(t, uint16(1), a)
	pc.Close()

	pc2 := p.Next(t)
	cp := *pc2.Expect(message.CONNECT).(*message.Connect)
	assert.False(t, cp.CleanSession)
	pc2.SetVersion(message.V5)
	pc2.Send(&message.Connack{SessionPresent: true, Properties: &message.Properties{TopicAliasMaximum: message.Some[uint16](2)}})
	resent := pc2.ExpectPublish()
	assert.True(t, resent.Dup)
	tp, a = aliasOf(resent)
	assert.Equal(t, "b", tp, "a resent PUBLISH carries its full topic")
	assert.Zero(t, a)
	pc2.Send(&message.Puback{PacketID: resent.PacketID})
	_, err = c.Publish(ctx, "a", []byte("a"), message.QoS0)
	require.NoError(t, err)
	tp, a = aliasOf(pc2.ExpectPublish())
	assert.Equal(t, "a", tp, "no alias survives the connection [MQTT-3.3.2-7]")
	assert.Equal(t, uint16(1), a)
}

// TestV5OutboundAliasesOff checks WithoutTopicAliases, and that a broker
// without a Topic Alias Maximum gets none [MQTT-3.2.2-18].
func TestV5OutboundAliasesOff(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props *message.Properties
		opts  []client.Option
	}{
		{"broker allows none", nil, nil},
		{"turned off", &message.Properties{TopicAliasMaximum: message.Some[uint16](5)}, []client.Option{client.WithoutTopicAliases()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, pc, _ := connectScripted5(t, tc.props, tc.opts...)
			for range 2 {
				_, err := c.Publish(testContext(t), "t", nil, message.QoS0)
				require.NoError(t, err)
				tp, a := aliasOf(pc.ExpectPublish())
				assert.Equal(t, "t", tp)
				assert.Zero(t, a)
			}
		})
	}
}

// TestV5TopicAliasesWithBroker checks aliases both ways with the embedded
// broker, which uses the aliases we allow it: the handler sees full
// topics.
func TestV5TopicAliasesWithBroker(t *testing.T) {
	b := brokertest.Embedded(t, broker.EmbeddedOptions{})
	c := newClient(t, client.WithVersion(message.V5), client.WithTopicAliasMaximum(4))
	connect(t, c, b.Addr())
	ctx := testContext(t)
	got := make(chan string, 20)
	_, err := c.Router().On(message.PUBLISH, func(e *router.Event) { got <- e.Message.Topic }, router.Topic("al/#"), 0)
	require.NoError(t, err)
	_, err = c.Subscribe(ctx, message.Subscription{Filter: "al/#", QoS: 1})
	require.NoError(t, err)
	topics := []string{"al/1", "al/2", "al/1", "al/1", "al/2"}
	for _, topic := range topics {
		tok, err := c.Publish(ctx, topic, []byte("x"), message.QoS1)
		require.NoError(t, err)
		require.NoError(t, tok.Wait(ctx))
	}
	var all []string
	for range topics {
		select {
		case s := <-got:
			all = append(all, s)
		case <-time.After(waitLimit):
			require.FailNow(t, fmt.Sprintf("got %v", all))
		}
	}
	assert.Equal(t, topics, all)
	assert.NoError(t, c.Err())
	_ = errors.New
}

// TestV5WithoutTopicAlias checks the per-publish policy: a publish with
// WithoutTopicAlias carries its full topic and takes no alias, at every
// QoS.
func TestV5WithoutTopicAlias(t *testing.T) {
	c, pc, _ := connectScripted5(t, &message.Properties{TopicAliasMaximum: message.Some[uint16](1)})
	ctx := testContext(t)
	_, err := c.Publish(ctx, "reg", nil, message.QoS0)
	require.NoError(t, err)
	tp, a := aliasOf(pc.ExpectPublish())
	assert.Equal(t, "reg", tp)
	assert.Equal(t, uint16(1), a)
	for _, q := range []message.QoS{message.QoS0, message.QoS1} {
		_, err := c.Publish(ctx, "once", nil, q, client.WithoutTopicAlias())
		require.NoError(t, err)
		tp, a := aliasOf(pc.ExpectPublish())
		assert.Equal(t, "once", tp)
		assert.Zero(t, a)
	}
	// "reg" kept its alias.
	_, err = c.Publish(ctx, "reg", nil, message.QoS0)
	require.NoError(t, err)
	tp, a = aliasOf(pc.ExpectPublish())
	assert.Equal(t, "", tp)
	assert.Equal(t, uint16(1), a)
}
