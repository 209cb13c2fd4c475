package client_test

import (
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

// TestV5DisconnectWithReason checks that Disconnect's options reach the
// DISCONNECT, and that nothing follows it [MQTT-3.14.4-1].
func TestV5DisconnectWithReason(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil, client.WithSessionExpiry(time.Hour))
	err := c.Disconnect(testContext(t), client.DisconnectWithWill(), client.DisconnectSessionExpiry(10*time.Minute),
		client.DisconnectReasonString("bye"), client.DisconnectUserProperty("k", "v"))
	require.NoError(t, err)
	d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
	assert.Equal(t, message.DisconnectWithWill, d.ReasonCode)
	require.NotNil(t, d.Properties)
	assert.Equal(t, message.Some[uint32](600), d.Properties.SessionExpiry)
	assert.Equal(t, "bye", d.Properties.ReasonString)
	assert.Equal(t, []message.UserProperty{{Key: "k", Value: "v"}}, d.Properties.UserProperties)
	pc.SkipToClose()
}

// TestV5DisconnectRefusedLocally checks the DISCONNECTs the client does
// not send: a code DISCONNECT cannot carry, and a Session Expiry Interval
// for a session opened with 0 [MQTT-3.14.2-2].
func TestV5DisconnectRefusedLocally(t *testing.T) {
	c, pc, _ := connectScripted5(t, nil)
	ctx := testContext(t)
	require.ErrorIs(t, c.Disconnect(ctx, client.DisconnectSessionExpiry(time.Minute)), client.ErrInvalidOption)
	require.ErrorIs(t, c.Disconnect(ctx, client.DisconnectReason(message.ContinueAuthentication)), client.ErrInvalidOption)
	assert.True(t, c.IsConnected())
	pc.ExpectSilence(50 * time.Millisecond)
	require.NoError(t, c.Disconnect(ctx, client.DisconnectSessionExpiry(0)))
	d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
	assert.Equal(t, message.NormalDisconnection, d.ReasonCode)
}

// TestV5SessionPresentAfterCleanStart checks that a CONNACK reporting a
// session after a Clean Start is a protocol error [MQTT-3.2.2-4].
func TestV5SessionPresentAfterCleanStart(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	pc.Expect(message.CONNECT)
	pc.SetVersion(message.V5)
	pc.Send(&message.Connack{SessionPresent: true})
	require.ErrorIs(t, <-errc, client.ErrProtocolViolation)
}

// TestV5DisconnectWithWillDelivers checks, against the embedded broker
// and mosquitto, that DisconnectWithWill has the broker publish the will.
func TestV5DisconnectWithWillDelivers(t *testing.T) {
	urls := map[string]string{"embedded": brokertest.Embedded(t, broker.EmbeddedOptions{}).Addr()}
	if m := mosquitto5(t); m != nil {
		urls["mosquitto"] = m.Addr()
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			watcher := newClient(t, client.WithVersion(message.V5))
			connect(t, watcher, url)
			got := make(chan string, 1)
			_, err := watcher.Router().On(message.PUBLISH, func(e *router.Event) { got <- string(e.Message.Payload) }, router.Topic("wills/+"), 0)
			require.NoError(t, err)
			ctx := testContext(t)
			_, err = watcher.Subscribe(ctx, message.Subscription{Filter: "wills/+", QoS: 1})
			require.NoError(t, err)

			c := newClient(t, client.WithVersion(message.V5), client.WithWill("wills/"+name, []byte("gone"), message.QoS1, false))
			connect(t, c, url)
			require.NoError(t, c.Disconnect(ctx, client.DisconnectWithWill()))
			select {
			case p := <-got:
				assert.Equal(t, "gone", p)
			case <-time.After(waitLimit):
				require.FailNow(t, "will not published")
			}
		})
	}
}

// TestV5SessionExpiry checks, against the embedded broker and mosquitto,
// that a session with an expiry interval is kept across connections
// [MQTT-3.1.2-23], and that an interval of 0 set on DISCONNECT ends it.
func TestV5SessionExpiry(t *testing.T) {
	e := brokertest.Embedded(t, broker.EmbeddedOptions{})
	urls := map[string]string{"embedded": e.Addr()}
	// ended waits until the broker has ended the session of id: mochi
	// ends it after the connection's reader stopped, which may be after
	// the next CONNECT arrived; mosquitto handles the DISCONNECT first.
	ended := map[string]func(id string){"embedded": func(id string) {
		deadline := time.Now().Add(waitLimit)
		for time.Now().Before(deadline) {
			if _, ok := e.Server().Clients.Get(id); !ok {
				return
			}
			time.Sleep(time.Millisecond)
		}
		require.FailNow(t, fmt.Sprintf("mochi kept the session of %s", id))
	}, "mosquitto": func(string) {}}
	if m := mosquitto5(t); m != nil {
		urls["mosquitto"] = m.Addr()
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			c := newClient(t, client.WithVersion(message.V5), client.WithClientID("expiry-"+name),
				client.WithCleanSession(false), client.WithSessionExpiry(time.Hour))
			_, err := c.Connect(ctx, url)
			require.NoError(t, err)
			_, err = c.Subscribe(ctx, message.Subscription{Filter: "keep/#", QoS: 1})
			require.NoError(t, err)
			require.NoError(t, c.Disconnect(ctx))
			present, err := c.Connect(ctx, url)
			require.NoError(t, err)
			assert.True(t, present, "the session outlives the connection")
			assert.Equal(t, time.Hour, c.ConnectResult().SessionExpiry)
			require.NoError(t, c.Disconnect(ctx, client.DisconnectSessionExpiry(0)))
			ended[name](c.ClientID())
			present, err = c.Connect(ctx, url)
			require.NoError(t, err)
			assert.False(t, present, "expiry 0 on DISCONNECT ends the session")
		})
	}
}

// TestV5DisconnectDropsProblemInfo checks that our DISCONNECT leaves out
// its Reason String and User Properties when they would exceed the
// broker's Maximum Packet Size [MQTT-3.14.2-3], and keeps the rest.
func TestV5DisconnectDropsProblemInfo(t *testing.T) {
	c, pc, _ := connectScripted5(t, &message.Properties{MaximumPacketSize: message.Some[uint32](40)}, client.WithSessionExpiry(time.Hour))
	err := c.Disconnect(testContext(t), client.DisconnectSessionExpiry(time.Minute),
		client.DisconnectReasonString("a reason far longer than forty bytes, which the broker refuses"))
	require.NoError(t, err)
	d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
	require.NotNil(t, d.Properties)
	assert.Equal(t, message.Some[uint32](60), d.Properties.SessionExpiry)
	assert.Empty(t, d.Properties.ReasonString)
}

// TestV5ProblemInfoRefused checks that after Request Problem Information
// 0 a Reason String on an acknowledgement is a protocol error closed
// with 0x82 [MQTT-3.1.2-29], while PUBLISH may still carry User
// Properties.
func TestV5ProblemInfoRefused(t *testing.T) {
	c, pc, cp := connectScripted5(t, nil, client.WithRequestProblemInfo(false))
	assert.Equal(t, message.Some(false), cp.Properties.RequestProblemInfo)
	got := make(chan string, 1)
	_, err := c.Router().On(message.PUBLISH, func(e *router.Event) { got <- e.Message.Properties.UserProperties[0].Value }, nil, 0)
	require.NoError(t, err)
	pc.Send(&message.Publish{Message: message.Message{Topic: "t", Properties: &message.Properties{
		UserProperties: []message.UserProperty{{Key: "k", Value: "v"}}}}})
	select {
	case v := <-got:
		assert.Equal(t, "v", v)
	case <-time.After(waitLimit):
		require.FailNow(t, "PUBLISH not delivered")
	}
	tok, err := c.Publish(testContext(t), "t", nil, message.QoS1)
	require.NoError(t, err)
	pub := pc.ExpectPublish()
	pc.Send(&message.Puback{PacketID: pub.PacketID, ReasonCode: message.NoMatchingSubscribers,
		Properties: &message.Properties{ReasonString: "nobody"}})
	d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
	assert.Equal(t, message.ProtocolError, d.ReasonCode)
	_ = tok
}
