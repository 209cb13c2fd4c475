package client_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// toyAuth is an Authenticator that records what it was given.
type toyAuth struct {
	mu       sync.Mutex
	got      []string
	finalErr error
}

func (a *toyAuth) Method() string { return "TOY" }
func (a *toyAuth) Start(context.Context) ([]byte, error) {
	return []byte("hello"), nil
}
func (a *toyAuth) Continue(_ context.Context, data []byte) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, "continue:"+string(data))
	return append([]byte("answer-"), data...), nil
}
func (a *toyAuth) Finish(_ context.Context, data []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, "finish:"+string(data))
	return a.finalErr
}

func (a *toyAuth) setFinalErr(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.finalErr = err
}

func (a *toyAuth) calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.got...)
}

func authMsg(code message.ReasonCode, method, data string) *message.Auth {
	return &message.Auth{ReasonCode: code, Properties: &message.Properties{AuthMethod: method, AuthData: []byte(data)}}
}

// TestV5AuthExchange checks the AUTH rounds of the handshake with exact
// packets: the method and data in CONNECT, nothing but AUTH until CONNACK
// [MQTT-3.1.2-30], each AUTH 0x18 answered with AUTH 0x18 and the same
// method [MQTT-4.12.0-3] [MQTT-4.12.0-5]; then a re-authentication, AUTH
// 0x19 with the same method [MQTT-4.12.1-1].
func TestV5AuthExchange(t *testing.T) {
	a := &toyAuth{}
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithAuthenticator(a))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	cp := pc.Expect(message.CONNECT).(*message.Connect)
	require.NotNil(t, cp.Properties)
	assert.Equal(t, "TOY", cp.Properties.AuthMethod)
	assert.Equal(t, []byte("hello"), cp.Properties.AuthData)
	pc.SetVersion(message.V5)
	for _, challenge := range []string{"c1", "c2"} {
		pc.Send(authMsg(message.ContinueAuthentication, "TOY", challenge))
		got := pc.Expect(message.AUTH).(*message.Auth)
		assert.Equal(t, message.ContinueAuthentication, got.ReasonCode)
		assert.Equal(t, "TOY", got.Properties.AuthMethod)
		assert.Equal(t, "answer-"+challenge, string(got.Properties.AuthData))
	}
	pc.ExpectSilence(50 * time.Millisecond)
	pc.Send(&message.Connack{Properties: &message.Properties{AuthMethod: "TOY", AuthData: []byte("welcome")}})
	require.NoError(t, <-errc)
	assert.Equal(t, []string{"continue:c1", "continue:c2", "finish:welcome"}, a.calls())

	rerr := make(chan error, 1)
	go func() { rerr <- c.Reauthenticate(testContext(t)) }()
	re := pc.Expect(message.AUTH).(*message.Auth)
	assert.Equal(t, message.ReAuthenticate, re.ReasonCode)
	assert.Equal(t, "TOY", re.Properties.AuthMethod)
	assert.Equal(t, []byte("hello"), re.Properties.AuthData)
	pc.Send(authMsg(message.ContinueAuthentication, "TOY", "c3"))
	got := pc.Expect(message.AUTH).(*message.Auth)
	assert.Equal(t, "answer-c3", string(got.Properties.AuthData))
	pc.Send(authMsg(message.Success, "TOY", "again"))
	require.NoError(t, <-rerr)
	assert.Equal(t, "finish:again", a.calls()[len(a.calls())-1])
}

// TestV5AuthRefusals checks what ends an exchange: a broker AUTH with
// another method [MQTT-4.12.0-5], and an authenticator that refuses the
// broker's final data.
func TestV5AuthRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth *toyAuth
		step func(pc *peer.Conn)
		want error
	}{
		{"other method", &toyAuth{}, func(pc *peer.Conn) {
			pc.Send(authMsg(message.ContinueAuthentication, "OTHER", "x"))
		}, client.ErrProtocolViolation},
		{"broker not proven", &toyAuth{finalErr: errors.New("bad server proof")}, func(pc *peer.Conn) {
			pc.Send(&message.Connack{Properties: &message.Properties{AuthMethod: "TOY", AuthData: []byte("forged")}})
		}, client.ErrAuthFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := peer.Open(t)
			c := newClient(t, client.WithVersion(message.V5), client.WithAuthenticator(tc.auth))
			errc := make(chan error, 1)
			go func() {
				_, err := c.Connect(testContext(t), p.Addr())
				errc <- err
			}()
			pc := p.Next(t)
			pc.Expect(message.CONNECT)
			pc.SetVersion(message.V5)
			tc.step(pc)
			require.ErrorIs(t, <-errc, tc.want)
			assert.False(t, c.IsConnected())
		})
	}
}

// TestV5ReauthRefusedByClient checks that a re-authentication whose
// final data the authenticator refuses ends the connection with our
// DISCONNECT 0x87 [MQTT-4.12.1-2].
func TestV5ReauthRefusedByClient(t *testing.T) {
	a := &toyAuth{}
	p := peer.Open(t)
	c := newClient(t, client.WithVersion(message.V5), client.WithAuthenticator(a))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	pc.Expect(message.CONNECT)
	pc.SetVersion(message.V5)
	pc.Send(&message.Connack{Properties: &message.Properties{AuthMethod: "TOY"}})
	require.NoError(t, <-errc)
	a.setFinalErr(errors.New("server proof wrong"))
	rerr := make(chan error, 1)
	go func() { rerr <- c.Reauthenticate(testContext(t)) }()
	pc.Expect(message.AUTH)
	pc.Send(authMsg(message.Success, "TOY", "forged"))
	d := pc.Expect(message.DISCONNECT).(*message.Disconnect)
	assert.Equal(t, message.NotAuthorized, d.ReasonCode)
	require.ErrorIs(t, <-rerr, client.ErrAuthFailed)
	pc.SkipToClose()
}
