package client_test

import (
	"errors"
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

// TestV5ConnectProperties checks that every CONNECT property option and
// the will properties reach the wire.
func TestV5ConnectProperties(t *testing.T) {
	_, _, cp := connectScripted5(t, nil,
		client.WithClientID("props"),
		client.WithSessionExpiry(90*time.Minute),
		client.WithReceiveMaximum(10),
		client.WithMaxPacketSize(4096),
		client.WithTopicAliasMaximum(5),
		client.WithRequestResponseInfo(),
		client.WithRequestProblemInfo(false),
		client.WithConnectUserProperty("region", "eu"),
		client.WithConnectUserProperty("region", "us"),
		client.WithWill("will/t", []byte("gone"), message.QoS1, false),
		client.WithWillProperties(message.Properties{
			WillDelay:       message.Some[uint32](30),
			MessageExpiry:   message.Some[uint32](60),
			ContentType:     "text/plain",
			ResponseTopic:   "will/reply",
			CorrelationData: []byte{1, 2},
			PayloadFormat:   message.Some[byte](1),
			UserProperties:  []message.UserProperty{{Key: "k", Value: "v"}},
		}),
	)
	p := cp.Properties
	require.NotNil(t, p)
	assert.Equal(t, message.Some[uint32](5400), p.SessionExpiry)
	assert.Equal(t, message.Some[uint16](10), p.ReceiveMaximum)
	assert.Equal(t, message.Some[uint32](4096), p.MaximumPacketSize)
	assert.Equal(t, message.Some[uint16](5), p.TopicAliasMaximum)
	assert.Equal(t, message.Some(true), p.RequestResponseInfo)
	assert.Equal(t, message.Some(false), p.RequestProblemInfo)
	assert.Equal(t, []message.UserProperty{{Key: "region", Value: "eu"}, {Key: "region", Value: "us"}}, p.UserProperties)
	require.NotNil(t, cp.Will)
	require.NotNil(t, cp.Will.Properties)
	w := cp.Will.Properties
	assert.Equal(t, message.Some[uint32](30), w.WillDelay)
	assert.Equal(t, message.Some[uint32](60), w.MessageExpiry)
	assert.Equal(t, "text/plain", w.ContentType)
	assert.Equal(t, "will/reply", w.ResponseTopic)
	assert.Equal(t, []byte{1, 2}, w.CorrelationData)
	assert.Equal(t, message.Some[byte](1), w.PayloadFormat)
	assert.Equal(t, []message.UserProperty{{Key: "k", Value: "v"}}, w.UserProperties)
}

// TestV5SessionExpiryDefaults checks the Session Expiry Interval sent
// without WithSessionExpiry: none with a clean start, "never" for a
// persistent session, as CleanSession false means in 3.1.1.
func TestV5SessionExpiryDefaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clean bool
		want  message.Optional[uint32]
	}{
		{"clean start", true, message.Optional[uint32]{}},
		{"persistent", false, message.Some[uint32](0xffffffff)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, cp := connectScripted5(t, nil, client.WithClientID("exp"), client.WithCleanSession(tc.clean))
			assert.Equal(t, tc.clean, cp.CleanSession)
			var got message.Optional[uint32]
			if cp.Properties != nil {
				got = cp.Properties.SessionExpiry
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestV5InvalidOptions checks that New refuses 5.0 options it cannot
// send.
func TestV5InvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []client.Option
	}{
		{"receive maximum", []client.Option{client.WithReceiveMaximum(70000)}},
		{"topic alias maximum", []client.Option{client.WithTopicAliasMaximum(-1)}},
		{"will properties without will", []client.Option{client.WithWillProperties(message.Properties{})}},
		{"property a will cannot carry", []client.Option{
			client.WithWill("w", nil, 0, false),
			client.WithWillProperties(message.Properties{TopicAlias: message.Some[uint16](1)}),
		}},
		{"bad user property", []client.Option{client.WithConnectUserProperty("a\x00", "b")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.New(append([]client.Option{client.WithVersion(message.V5)}, tc.opts...)...)
			require.ErrorIs(t, err, client.ErrInvalidOption)
		})
	}
}

// TestV5ConnackApplied checks that the CONNACK's properties are visible
// in ConnectResult and applied: the assigned identifier is adopted and
// sent on the next connection, and publishes and subscriptions the
// broker does not accept fail locally with typed errors, nothing sent.
func TestV5ConnackApplied(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithEmptyClientID(), client.WithKeepAlive(0))
	pc, cp := connectScriptedTo5(t, c, p, &message.Properties{
		AssignedClientID:  "given-1",
		ServerKeepAlive:   message.Some[uint16](7),
		SessionExpiry:     message.Some[uint32](120),
		ReceiveMaximum:    message.Some[uint16](3),
		MaximumQoS:        message.Some(message.QoS1),
		RetainAvailable:   message.Some(false),
		MaximumPacketSize: message.Some[uint32](200),
		TopicAliasMaximum: message.Some[uint16](4),
		WildcardSubAvail:  message.Some(false),
		SubIDAvail:        message.Some(false),
		SharedSubAvail:    message.Some(false),
		ResponseInfo:      "resp/base",
		ReasonString:      "welcome",
		UserProperties:    []message.UserProperty{{Key: "node", Value: "n1"}},
	})
	assert.Equal(t, "", cp.ClientID)

	r := c.ConnectResult()
	require.NotNil(t, r)
	assert.Equal(t, message.V5, r.Version)
	assert.Equal(t, "given-1", r.ClientID)
	assert.True(t, r.AssignedClientID)
	assert.Equal(t, 7*time.Second, r.KeepAlive)
	assert.Equal(t, 2*time.Minute, r.SessionExpiry)
	assert.Equal(t, 3, r.ReceiveMaximum)
	assert.Equal(t, message.QoS1, r.MaximumQoS)
	assert.False(t, r.RetainAvailable)
	assert.Equal(t, 200, r.MaximumPacketSize)
	assert.Equal(t, 4, r.TopicAliasMaximum)
	assert.False(t, r.WildcardSubscriptions)
	assert.False(t, r.SubscriptionIDs)
	assert.False(t, r.SharedSubscriptions)
	assert.Equal(t, "resp/base", r.ResponseInformation)
	assert.Equal(t, "welcome", r.ReasonString)
	assert.Equal(t, []message.UserProperty{{Key: "node", Value: "n1"}}, r.UserProperties)
	assert.Equal(t, "given-1", c.ClientID())

	ctx := testContext(t)
	var ce *client.CapabilityError
	_, err := c.Publish(ctx, "t", nil, message.QoS2) // [MQTT-3.2.2-11]
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Maximum QoS", ce.Capability)
	_, err = c.Publish(ctx, "t", nil, message.QoS0, client.Retain()) // [MQTT-3.2.2-14]
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Retain Available", ce.Capability)
	_, err = c.Publish(ctx, "t", make([]byte, 200), message.QoS1) // [MQTT-3.2.2-15]
	require.ErrorIs(t, err, client.ErrPayloadTooLarge)
	_, err = c.Subscribe(ctx, message.Subscription{Filter: "a/+"})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Wildcard Subscription Available", ce.Capability)
	_, err = c.Subscribe(ctx, message.Subscription{Filter: "$share/g/a"})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Shared Subscription Available", ce.Capability)
	_, err = c.SubscribeWith(ctx, []message.Subscription{{Filter: "a"}}, client.WithSubscriptionID(3))
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, client.ErrServerCapability)
	pc.ExpectSilence(100 * time.Millisecond)

	// Within the limits, the publish goes out.
	_, err = c.Publish(ctx, "t", []byte("ok"), message.QoS1)
	require.NoError(t, err)
	pub := pc.ExpectPublish()
	assert.Equal(t, []byte("ok"), pub.Payload)

	// The assigned identifier resumes the session on the next connection.
	require.NoError(t, c.Disconnect(ctx))
	pc.Expect(message.DISCONNECT)
	pc2, cp2 := connectScriptedTo5(t, c, p, nil)
	assert.Equal(t, "given-1", cp2.ClientID)
	_ = pc2
}

// TestV5ServerKeepAlive checks that a Server Keep Alive replaces ours
// [MQTT-3.1.2-21]: with ours at an hour, a PINGREQ comes within the
// broker's second.
func TestV5ServerKeepAlive(t *testing.T) {
	_, pc, cp := connectScripted5(t, &message.Properties{ServerKeepAlive: message.Some[uint16](1)}, client.WithKeepAlive(time.Hour))
	assert.Equal(t, uint16(3600), cp.KeepAlive)
	pc.Expect(message.PINGREQ)
}

// TestV5AutoFallback checks VersionAuto: 5.0 is offered first; a broker
// that refuses the version, in 3.1.1 framing, with 0x84 or by closing,
// gets 3.1.1 on a new connection, without the 5.0 properties, and
// ConnectResult reports what was agreed.
func TestV5AutoFallback(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refusal []byte
	}{
		{"3.1.1 return code 1", []byte{0x20, 0x02, 0x00, 0x01}},
		{"5.0 reason code 0x84", []byte{0x20, 0x03, 0x00, 0x84, 0x00}},
		{"closed without CONNACK", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := peer.Open(t)
			c := newClient(t, client.WithVersion(client.VersionAuto), client.WithClientID("auto"),
				client.WithWill("w", []byte("x"), 0, false), client.WithWillProperties(message.Properties{WillDelay: message.Some[uint32](1)}),
				client.WithConnectUserProperty("k", "v"))
			errc := make(chan error, 1)
			go func() {
				_, err := c.Connect(testContext(t), p.Addr())
				errc <- err
			}()
			pc := p.Next(t)
			cp := pc.Expect(message.CONNECT).(*message.Connect)
			assert.Equal(t, message.V5, cp.Version)
			if tc.refusal == nil {
				pc.Close()
			} else {
				pc.SendRaw(tc.refusal...)
			}
			pc2 := p.Next(t)
			got := pc2.Handshake(message.Accepted)
			assert.Equal(t, message.V311, got.Version)
			assert.Nil(t, got.Properties, "no 5.0 properties at 3.1.1")
			require.NotNil(t, got.Will)
			assert.Nil(t, got.Will.Properties)
			require.NoError(t, <-errc)
			assert.Equal(t, message.V311, c.ConnectResult().Version)
		})
	}
}

// TestV5AutoOtherRefusalIsFinal checks that VersionAuto does not fall
// back for a refusal other than the version's.
func TestV5AutoOtherRefusalIsFinal(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(client.VersionAuto))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	pc.Expect(message.CONNECT)
	pc.SetVersion(message.V5)
	pc.Send(&message.Connack{ReturnCode: message.ConnackCode(message.NotAuthorized),
		Properties: &message.Properties{ReasonString: "no", ServerReference: "other:1883"}})
	err := <-errc
	var ce *client.ConnackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, message.NotAuthorized, ce.Code.Reason())
	assert.Equal(t, "other:1883", ce.ServerReference())
	assert.Contains(t, err.Error(), "no")
}

// TestV5AutoAgainstBrokers checks that VersionAuto agrees on 5.0 with
// the embedded broker and with mosquitto.
func TestV5AutoAgainstBrokers(t *testing.T) {
	urls := map[string]string{"embedded": brokertest.Embedded(t, broker.EmbeddedOptions{}).Addr()}
	if m := mosquitto5(t); m != nil {
		urls["mosquitto"] = m.Addr()
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, client.WithVersion(client.VersionAuto))
			connect(t, c, url)
			assert.Equal(t, message.V5, c.ConnectResult().Version)
		})
	}
}

// mosquitto5 starts mosquitto, or returns nil when it is not installed
// and not required.
func mosquitto5(t *testing.T) *broker.Mosquitto {
	t.Helper()
	if _, err := broker.FindMosquitto(); err != nil && !broker.MosquittoRequired() {
		t.Log("mosquitto not installed: embedded broker only")
		return nil
	}
	return brokertest.Mosquitto(t, broker.MosquittoOptions{})
}

// TestV5ReceiveMaximumQuota checks that no more QoS 1 and 2 publishes are
// in flight than the broker's Receive Maximum [MQTT-3.3.4-7], that an
// acknowledgement frees a slot [MQTT-4.9.0-2], and that QoS 0 is not
// held back by the quota [MQTT-3.3.4-8].
func TestV5ReceiveMaximumQuota(t *testing.T) {
	c, pc, _ := connectScripted5(t, &message.Properties{ReceiveMaximum: message.Some[uint16](2)})
	ctx := testContext(t)
	toks := make(chan *client.Token, 3)
	go func() {
		for i := range 3 {
			tok, err := c.Publish(ctx, "q", []byte{byte(i)}, message.QoS1)
			if err != nil {
				close(toks)
				return
			}
			toks <- tok
		}
	}()
	a, b := pc.ExpectPublish(), pc.ExpectPublish()
	assert.Equal(t, []byte{0}, a.Payload)
	assert.Equal(t, []byte{1}, b.Payload)
	pc.ExpectSilence(150 * time.Millisecond)
	_, err := c.Publish(ctx, "q0", []byte("zero"), message.QoS0)
	require.NoError(t, err)
	assert.Equal(t, "q0", pc.ExpectPublish().Topic)
	pc.Send(&message.Puback{PacketID: a.PacketID})
	third := pc.ExpectPublish()
	assert.Equal(t, []byte{2}, third.Payload)
}

// TestV5DisconnectOnLoss checks errors.As on the connection error for a
// server DISCONNECT, and that the event is routed.
func TestV5ServerDisconnect(t *testing.T) {
	lost := make(chan error, 1)
	c, pc, _ := connectScripted5(t, nil, client.WithOnConnectionLost(func(_ *client.Client, err error) { lost <- err }))
	seen := make(chan message.ReasonCode, 1)
	_, err := c.Router().On(message.DISCONNECT, func(e *router.Event) {
		seen <- e.ReasonCode
	}, nil, 0)
	require.NoError(t, err)
	pc.Send(&message.Disconnect{ReasonCode: message.UseAnotherServer, Properties: &message.Properties{
		ReasonString: "maintenance", ServerReference: "mqtt://b2:1883"}})
	select {
	case code := <-seen:
		assert.Equal(t, message.UseAnotherServer, code)
	case <-time.After(waitLimit):
		require.FailNow(t, "no DISCONNECT event")
	}
	var got error
	select {
	case got = <-lost:
	case <-time.After(waitLimit):
		require.FailNow(t, "connection not lost")
	}
	var de *client.DisconnectError
	require.ErrorAs(t, got, &de)
	assert.Equal(t, message.UseAnotherServer, de.Code)
	assert.Equal(t, "maintenance", de.Reason)
	assert.Equal(t, "mqtt://b2:1883", de.ServerReference())
	assert.True(t, errors.Is(got, client.ErrServerDisconnect))
	require.ErrorAs(t, c.Err(), &de)
}

// TestV5AssignedIdentifierResumes checks that at 5.0 an empty client
// identifier with a persistent session is accepted, and that the
// identifier the broker assigns is sent on the next connection, so the
// session resumes.
func TestV5AssignedIdentifierResumes(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithEmptyClientID(), client.WithCleanSession(false))
	pc, cp := connectScriptedTo5(t, c, p, &message.Properties{AssignedClientID: "auto-7"})
	assert.Equal(t, "", cp.ClientID)
	assert.False(t, cp.CleanSession)
	require.NoError(t, c.Disconnect(testContext(t)))
	pc.Expect(message.DISCONNECT)
	_, cp2 := connectScriptedTo5(t, c, p, nil)
	assert.Equal(t, "auto-7", cp2.ClientID)
	assert.False(t, cp2.CleanSession)

	_, err := client.New(client.WithEmptyClientID(), client.WithCleanSession(false))
	require.ErrorIs(t, err, client.ErrInvalidOption, "3.1.1 cannot")
}

// TestV5ConnectCredentials checks the user name and password flags of a
// 5.0 CONNECT [MQTT-3.1.2-16] … [MQTT-3.1.2-19]: both with their
// fields, and a password without a user name, which 5.0 allows.
func TestV5ConnectCredentials(t *testing.T) {
	passwordOnly := client.Option(func(o *client.Options) error {
		o.Password, o.PasswordSet = []byte("token"), true
		return nil
	})
	for _, tc := range []struct {
		name      string
		opt       client.Option
		user      bool
		username  string
		password  []byte
		wantPassF bool
	}{
		{"user and password", client.WithCredentials("ada", []byte("pw")), true, "ada", []byte("pw"), true},
		{"user alone", client.WithCredentials("bob", nil), true, "bob", nil, false},
		{"password alone", passwordOnly, false, "", []byte("token"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, cp := connectScripted5(t, nil, tc.opt)
			assert.Equal(t, tc.user, cp.UsernameFlag)
			assert.Equal(t, tc.username, cp.Username)
			assert.Equal(t, tc.wantPassF, cp.PasswordFlag)
			assert.Equal(t, tc.password, cp.Password)
		})
	}
}

// TestV5WillPropertiesAnyOrder checks that the will properties may be
// given before the will.
func TestV5WillPropertiesAnyOrder(t *testing.T) {
	_, _, cp := connectScripted5(t, nil,
		client.WithWillProperties(message.Properties{WillDelay: message.Some[uint32](5)}),
		client.WithWill("w/t", []byte("bye"), message.QoS0, false))
	require.NotNil(t, cp.Will)
	require.NotNil(t, cp.Will.Properties)
	assert.Equal(t, message.Some[uint32](5), cp.Will.Properties.WillDelay)
}

// TestV5ConnackEvent checks that the CONNACK event carries the 5.0
// reason code and properties.
func TestV5ConnackEvent(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5))
	got := make(chan string, 1)
	_, err := c.Router().On(message.CONNACK, func(e *router.Event) {
		got <- e.ReasonCode.String() + " " + e.ReasonString() + " " + e.Properties.AssignedClientID
	}, nil, 0)
	require.NoError(t, err)
	connectScriptedTo5(t, c, p, &message.Properties{ReasonString: "hi", AssignedClientID: "a1"})
	select {
	case s := <-got:
		assert.Equal(t, "Success hi a1", s)
	case <-time.After(waitLimit):
		require.FailNow(t, "no CONNACK event")
	}
}
