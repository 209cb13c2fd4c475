package client_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// scramHook is a SCRAM-SHA-256 server (RFC 5802) for the embedded
// broker: the exchange inside CONNECT's authentication, the server-final
// message added to CONNACK, and re-authentication through AUTH packets.
type scramHook struct {
	mqtt.HookBase
	users      map[string]scramCreds
	forge      bool        // send a wrong server signature
	failReauth atomic.Bool // refuse re-authentications

	mu    sync.Mutex
	convs map[*mqtt.Client]*scramConv // re-authentications in progress
	final map[*mqtt.Client][]byte     // server-final for the CONNACK
}

type scramCreds struct {
	salt                 []byte
	storedKey, serverKey []byte
}

type scramConv struct {
	creds       scramCreds
	clientFirst string // bare
	serverFirst string
	nonce       string
}

const scramIter = 4096

func hmac256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func newSCRAMHook(users map[string]string) (*scramHook, error) {
	h := &scramHook{users: map[string]scramCreds{}, convs: map[*mqtt.Client]*scramConv{}, final: map[*mqtt.Client][]byte{}}
	for u, pw := range users {
		salt := make([]byte, 16)
		rand.Read(salt)
		salted, err := pbkdf2.Key(sha256.New, pw, salt, scramIter, 32)
		if err != nil {
			return nil, err
		}
		stored := sha256.Sum256(hmac256(salted, "Client Key"))
		h.users[u] = scramCreds{salt: salt, storedKey: stored[:], serverKey: hmac256(salted, "Server Key")}
	}
	return h, nil
}

// startSCRAMBroker starts the embedded broker with the SCRAM hook for
// users; no client gets in by user name and password. The caller closes
// it.
func startSCRAMBroker(users map[string]string) (*broker.Embedded, *scramHook, error) {
	b, err := broker.StartEmbedded(broker.EmbeddedOptions{Users: map[string]string{}})
	if err != nil {
		return nil, nil, err
	}
	h, err := newSCRAMHook(users)
	if err == nil {
		err = b.Server().AddHook(h, nil)
	}
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return b, h, nil
}

func (h *scramHook) ID() string { return "test-scram" }

func (h *scramHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnAuthPacket || b == mqtt.OnPacketEncode || b == mqtt.OnDisconnect
}

// first answers a client-first message.
func (h *scramHook) first(data []byte) (*scramConv, error) {
	msg, ok := strings.CutPrefix(string(data), "n,,")
	if !ok {
		return nil, errors.New("no gs2 header")
	}
	name, nonce, ok := strings.Cut(strings.TrimPrefix(msg, "n="), ",r=")
	if !ok {
		return nil, errors.New("bad client-first")
	}
	creds, ok := h.users[strings.NewReplacer("=2C", ",", "=3D", "=").Replace(name)]
	if !ok {
		return nil, errors.New("unknown user")
	}
	b := make([]byte, 12)
	rand.Read(b)
	c := &scramConv{creds: creds, clientFirst: msg, nonce: nonce + base64.RawURLEncoding.EncodeToString(b)}
	c.serverFirst = "r=" + c.nonce + ",s=" + base64.StdEncoding.EncodeToString(creds.salt) + ",i=4096"
	return c, nil
}

// verify checks a client-final message and returns the server-final.
func (h *scramHook) verify(c *scramConv, data []byte) ([]byte, error) {
	msg := string(data)
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, errors.New("no proof")
	}
	without := msg[:i]
	if without != "c=biws,r="+c.nonce {
		return nil, errors.New("bad client-final")
	}
	proof, err := base64.StdEncoding.DecodeString(msg[i+3:])
	if err != nil || len(proof) != 32 {
		return nil, errors.New("bad proof")
	}
	auth := c.clientFirst + "," + c.serverFirst + "," + without
	key := hmac256(c.creds.storedKey, auth)
	subtle.XORBytes(key, key, proof)
	if sum := sha256.Sum256(key); !bytes.Equal(sum[:], c.creds.storedKey) {
		return nil, errors.New("wrong password")
	}
	sig := hmac256(c.creds.serverKey, auth)
	if h.forge {
		sig[0] ^= 1
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(sig)), nil
}

func authPacket(code byte, data []byte) packets.Packet {
	return packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Auth}, ReasonCode: code,
		Properties: packets.Properties{AuthenticationMethod: client.SCRAMMethod, AuthenticationData: data}}
}

// OnConnectAuthenticate runs the whole exchange before CONNACK: it
// writes AUTH 0x18 with the server-first message and reads the client's
// AUTH, on the connection mochi is reading CONNECT from.
func (h *scramHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	if pk.Properties.AuthenticationMethod != client.SCRAMMethod {
		return false
	}
	c, err := h.first(pk.Properties.AuthenticationData)
	if err != nil {
		return false
	}
	if cl.WritePacket(authPacket(packets.CodeContinueAuthentication.Code, []byte(c.serverFirst))) != nil {
		return false
	}
	fh := new(packets.FixedHeader)
	if cl.ReadFixedHeader(fh) != nil {
		return false
	}
	rp, err := cl.ReadPacket(fh)
	if err != nil || rp.FixedHeader.Type != packets.Auth || rp.ReasonCode != packets.CodeContinueAuthentication.Code {
		return false
	}
	final, err := h.verify(c, rp.Properties.AuthenticationData)
	if err != nil {
		return false
	}
	h.mu.Lock()
	h.final[cl] = final
	h.mu.Unlock()
	return true
}

// OnPacketEncode adds the server-final message to the CONNACK.
func (h *scramHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type != packets.Connack {
		return pk
	}
	h.mu.Lock()
	final, ok := h.final[cl]
	delete(h.final, cl)
	h.mu.Unlock()
	if ok {
		pk.Properties.AuthenticationMethod = client.SCRAMMethod
		pk.Properties.AuthenticationData = final
	}
	return pk
}

// OnAuthPacket runs a re-authentication: AUTH 0x19 opens it, AUTH 0x18
// carries the proof.
func (h *scramHook) OnAuthPacket(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.Properties.AuthenticationMethod != client.SCRAMMethod {
		return pk, packets.ErrBadAuthenticationMethod
	}
	switch pk.ReasonCode {
	case packets.CodeReAuthenticate.Code:
		c, err := h.first(pk.Properties.AuthenticationData)
		if err != nil {
			return pk, packets.ErrNotAuthorized
		}
		h.mu.Lock()
		h.convs[cl] = c
		h.mu.Unlock()
		return pk, cl.WritePacket(authPacket(packets.CodeContinueAuthentication.Code, []byte(c.serverFirst)))
	case packets.CodeContinueAuthentication.Code:
		h.mu.Lock()
		c := h.convs[cl]
		delete(h.convs, cl)
		h.mu.Unlock()
		if c == nil {
			return pk, packets.ErrProtocolViolation
		}
		final, err := h.verify(c, pk.Properties.AuthenticationData)
		if err != nil || h.failReauth.Load() {
			return pk, packets.ErrNotAuthorized
		}
		return pk, cl.WritePacket(authPacket(packets.CodeSuccess.Code, final))
	}
	return pk, packets.ErrProtocolViolation
}

// OnDisconnect forgets the client's exchanges.
func (h *scramHook) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	h.mu.Lock()
	delete(h.convs, cl)
	delete(h.final, cl)
	h.mu.Unlock()
}

// scramBroker starts the embedded broker with the SCRAM hook; no client
// gets in by user name and password.
func scramBroker(t *testing.T, forge bool) (*broker.Embedded, *scramHook) {
	b, h, err := startSCRAMBroker(map[string]string{"alice": "correct horse"})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	h.forge = forge
	return b, h
}

// TestV5SCRAMAgainstBroker checks the SCRAM authenticator with the
// broker's hook: the exchange inside the handshake, re-authentication on
// the live connection with its AUTH packets routed as events, and the
// refusals.
func TestV5SCRAMAgainstBroker(t *testing.T) {
	b, h := scramBroker(t, false)
	c := newClient(t, client.WithVersion(message.V5), client.WithAuthenticator(client.NewSCRAM("alice", "correct horse")))
	connect(t, c, b.Addr())
	r := c.ConnectResult()
	require.NotNil(t, r.Properties)
	assert.Equal(t, client.SCRAMMethod, r.Properties.AuthMethod)

	codes := make(chan message.ReasonCode, 4)
	_, err := c.Router().On(message.AUTH, func(e *router.Event) { codes <- e.ReasonCode }, nil, 0)
	require.NoError(t, err)
	ctx := testContext(t)
	require.NoError(t, c.Reauthenticate(ctx))
	for _, want := range []message.ReasonCode{message.ContinueAuthentication, message.Success} {
		select {
		case got := <-codes:
			assert.Equal(t, want, got)
		case <-time.After(waitLimit):
			require.Fail(t, "AUTH event missing")
		}
	}
	// Still usable after it.
	tok, err := c.Publish(ctx, "after/reauth", []byte("x"), message.QoS1)
	require.NoError(t, err)
	require.NoError(t, tok.Wait(ctx))

	// A refused re-authentication ends the connection with the broker's
	// DISCONNECT [MQTT-4.12.1-2].
	h.failReauth.Store(true)
	err = c.Reauthenticate(ctx)
	var de *client.DisconnectError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, message.NotAuthorized, de.Code)
	require.ErrorIs(t, err, client.ErrConnectionLost)

	t.Run("wrong password", func(t *testing.T) {
		c := newClient(t, client.WithVersion(message.V5), client.WithAuthenticator(client.NewSCRAM("alice", "wrong")))
		_, err := c.Connect(testContext(t), b.Addr())
		var ce *client.ConnackError
		require.ErrorAs(t, err, &ce)
		assert.True(t, ce.Code.Reason().IsError())
	})
	t.Run("without authenticator", func(t *testing.T) {
		c := newClient(t, client.WithVersion(message.V5))
		_, err := c.Connect(testContext(t), b.Addr())
		var ce *client.ConnackError
		require.ErrorAs(t, err, &ce)
	})
}

// TestV5SCRAMForgedServer checks that a broker that cannot prove it knows
// the password is refused by the client, although it accepted us.
func TestV5SCRAMForgedServer(t *testing.T) {
	b, _ := scramBroker(t, true)
	c := newClient(t, client.WithVersion(message.V5), client.WithAuthenticator(client.NewSCRAM("alice", "correct horse")))
	_, err := c.Connect(testContext(t), b.Addr())
	require.ErrorIs(t, err, client.ErrAuthFailed)
	require.ErrorIs(t, err, client.ErrSCRAMServer)
	assert.False(t, c.IsConnected())
}
