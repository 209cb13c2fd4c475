package client_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// sizedAuth is an Authenticator whose Start data is small the first
// time and start bytes long afterwards, and whose Continue data is
// cont bytes long.
type sizedAuth struct {
	starts      atomic.Int32
	start, cont int
}

func (a *sizedAuth) Method() string { return "SIZED" }
func (a *sizedAuth) Start(context.Context) ([]byte, error) {
	if a.starts.Add(1) == 1 {
		return []byte("hi"), nil
	}
	return bytes.Repeat([]byte{'s'}, a.start), nil
}
func (a *sizedAuth) Continue(context.Context, []byte) ([]byte, error) {
	return bytes.Repeat([]byte{'c'}, a.cont), nil
}
func (a *sizedAuth) Finish(context.Context, []byte) error { return nil }

// TestV5ReauthTooLargeRefusedLocally checks that a re-authentication
// whose AUTH would exceed the broker's Maximum Packet Size fails with
// ErrPacketTooLarge before anything is sent [MQTT-3.2.2-15], and the
// connection stays up.
func TestV5ReauthTooLargeRefusedLocally(t *testing.T) {
	a := &sizedAuth{start: 200, cont: 10}
	c, pc, _ := connectScripted5(t, &message.Properties{MaximumPacketSize: message.Some(uint32(128))}, client.WithAuthenticator(a))
	err := c.Reauthenticate(testContext(t))
	require.ErrorIs(t, err, message.ErrPacketTooLarge)
	require.ErrorIs(t, err, client.ErrAuthFailed)
	pc.ExpectSilence(200 * time.Millisecond)
	assert.Equal(t, client.Connected, c.State())

	// A re-authentication that fits still runs.
	a.start = 20
	errc := make(chan error, 1)
	go func() { errc <- c.Reauthenticate(testContext(t)) }()
	got := pc.Expect(message.AUTH).(*message.Auth)
	assert.Equal(t, message.ReAuthenticate, got.ReasonCode)
	assert.Len(t, got.Properties.AuthData, 20)
	pc.Send(&message.Auth{ReasonCode: message.Success, Properties: &message.Properties{AuthMethod: "SIZED"}})
	require.NoError(t, <-errc)
}

// TestV5ReauthRoundTooLargeEndsExchange checks that an answer to the
// broker's AUTH 0x18 that would exceed its Maximum Packet Size is not
// sent: the exchange fails with ErrPacketTooLarge.
func TestV5ReauthRoundTooLargeEndsExchange(t *testing.T) {
	a := &sizedAuth{start: 20, cont: 200}
	c, pc, _ := connectScripted5(t, &message.Properties{MaximumPacketSize: message.Some(uint32(128))}, client.WithAuthenticator(a))
	errc := make(chan error, 1)
	go func() { errc <- c.Reauthenticate(testContext(t)) }()
	pc.Expect(message.AUTH)
	pc.Send(&message.Auth{ReasonCode: message.ContinueAuthentication, Properties: &message.Properties{AuthMethod: "SIZED", AuthData: []byte("x")}})
	require.ErrorIs(t, <-errc, message.ErrPacketTooLarge)
	for {
		p, err := pc.ReadWithin(waitLimit)
		if err != nil {
			break // closed
		}
		require.NotEqual(t, message.AUTH, p.Type(), "an oversize AUTH was sent")
	}
}
