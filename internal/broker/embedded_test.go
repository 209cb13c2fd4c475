package broker

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/internal/certs"
	"github.com/onmqtt/onmqtt/message"
)

func startEmbedded(t *testing.T, opts EmbeddedOptions) *Embedded {
	t.Helper()
	e, err := StartEmbedded(opts)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

func newCerts(t *testing.T) *certs.Set {
	t.Helper()
	set, err := certs.New()
	require.NoError(t, err)
	return set
}

func TestEmbeddedListeners(t *testing.T) {
	set := newCerts(t)
	e := startEmbedded(t, EmbeddedOptions{
		WebSocket:       true,
		Unix:            true,
		TLS:             set.ServerTLS(false),
		SecureWebSocket: true,
	})
	for _, tt := range []struct {
		name string
		url  string
		tls  *tls.Config
	}{
		{"tcp", e.Addr(), nil},
		{"websocket", e.WSAddr(), nil},
		{"unix", e.UnixAddr(), nil},
		{"tls", e.TLSAddr(), set.ClientTLS(false)},
		{"secure websocket", e.WSSAddr(), set.ClientTLS(false)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.url, "no address")
			c := dialRaw(t, tt.url, tt.tls)
			c.mustConnect("listener-" + strings.ReplaceAll(tt.name, " ", "-"))
			c.roundTrip("test/" + strings.ReplaceAll(tt.name, " ", "/"))
		})
	}
}

func TestEmbeddedAddresses(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{})
	assert.True(t, strings.HasPrefix(e.Addr(), "tcp://127.0.0.1:") && !strings.HasSuffix(e.Addr(), ":0"),
		"Addr() = %q, want tcp://127.0.0.1:port", e.Addr())
	for name, got := range map[string]string{
		"WSAddr": e.WSAddr(), "WSSAddr": e.WSSAddr(), "TLSAddr": e.TLSAddr(), "UnixAddr": e.UnixAddr(),
	} {
		assert.Empty(t, got, "%s() without the listener", name)
	}
	_, err := StartEmbedded(EmbeddedOptions{SecureWebSocket: true})
	assert.Error(t, err, "SecureWebSocket without TLS: no error")
}

func TestEmbeddedMutualTLS(t *testing.T) {
	set := newCerts(t)
	e := startEmbedded(t, EmbeddedOptions{TLS: set.ServerTLS(true)})

	c := dialRaw(t, e.TLSAddr(), set.ClientTLS(true))
	c.mustConnect("with-cert")

	require.Error(t, tryConnect(t, e.TLSAddr(), set.ClientTLS(false)), "connected without a client certificate")
}

func TestEmbeddedUsers(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{Users: map[string]string{"alice": "secret", "bob": "x"}})
	for _, tt := range []struct {
		name string
		cn   message.Connect
		want message.ConnackCode
	}{
		{"right password", message.Connect{UsernameFlag: true, Username: "alice", PasswordFlag: true, Password: []byte("secret")}, message.Accepted},
		{"other user", message.Connect{UsernameFlag: true, Username: "bob", PasswordFlag: true, Password: []byte("x")}, message.Accepted},
		{"wrong password", message.Connect{UsernameFlag: true, Username: "alice", PasswordFlag: true, Password: []byte("guess")}, message.RefusedNotAuthorized},
		{"no password", message.Connect{UsernameFlag: true, Username: "alice"}, message.RefusedNotAuthorized},
		{"unknown user", message.Connect{UsernameFlag: true, Username: "carol", PasswordFlag: true, Password: []byte("secret")}, message.RefusedNotAuthorized},
		{"anonymous", message.Connect{}, message.RefusedNotAuthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, e.Addr(), nil)
			tt.cn.ClientID, tt.cn.CleanSession = "user-test", true
			ack := c.connect(tt.cn)
			require.Equal(t, tt.want, ack.ReturnCode, "CONNACK")
			if tt.want != message.Accepted {
				c.expectClosed()
			}
		})
	}
}

func TestEmbeddedDenyFilters(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{DenyFilters: []string{"secret/#", "private"}})
	c := dialRaw(t, e.Addr(), nil)
	c.mustConnect("acl")

	filters := []string{"secret/#", "secret/+", "secret/a/b", "secret", "private", "public/#", "#", "privateer"}
	want := []message.SubackCode{0x80, 0x80, 0x80, 0x80, 0x80, 1, 1, 1}
	got := c.subscribe(7, filters...)
	require.Len(t, got, len(want), "SUBACK codes")
	for i := range want {
		assert.Equal(t, want[i], got[i], "SUBACK for %q", filters[i])
	}

	// A QoS 1 publication to a denied topic ends an MQTT 3 connection.
	c.send(&message.Publish{Message: message.Message{Topic: "secret/x", QoS: message.QoS1, PacketID: 9}})
	c.expectClosed()
}

func TestEmbeddedPublish(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{})
	c := dialRaw(t, e.Addr(), nil)
	c.mustConnect("inline")
	got := c.subscribe(1, "from/broker")
	require.Equal(t, message.SubackCode(1), got[0], "SUBACK %v", got)
	require.NoError(t, e.Publish("from/broker", []byte("hi"), false, 1))
	p := c.expect(message.PUBLISH).(*message.Publish)
	assert.Equal(t, "from/broker", p.Topic)
	assert.Equal(t, "hi", string(p.Payload))
	assert.Equal(t, message.QoS(1), p.QoS)
}

func TestEmbeddedRestart(t *testing.T) {
	e := startEmbedded(t, EmbeddedOptions{WebSocket: true, Unix: true})
	addrs := []string{e.Addr(), e.WSAddr(), e.UnixAddr()}

	var before []*rawClient
	for i, a := range addrs {
		c := dialRaw(t, a, nil)
		ack := c.connect(message.Connect{ClientID: "persistent-" + string(rune('a'+i)), KeepAlive: 30})
		require.Equal(t, message.Accepted, ack.ReturnCode, "first CONNACK %+v, want accepted without session", ack)
		require.False(t, ack.SessionPresent, "first CONNACK %+v, want accepted without session", ack)
		c.subscribe(1, "keep/me")
		before = append(before, c)
	}

	require.NoError(t, e.Restart())
	for i, c := range before {
		c.expectClosed()
		assert.Equal(t, addrs[i], []string{e.Addr(), e.WSAddr(), e.UnixAddr()}[i], "address after restart")
	}
	for i, a := range addrs {
		c := dialRaw(t, a, nil)
		ack := c.connect(message.Connect{ClientID: "persistent-" + string(rune('a'+i)), KeepAlive: 30})
		assert.Equal(t, message.Accepted, ack.ReturnCode, "%s: CONNACK after restart %+v, want accepted, no session present", a, ack)
		assert.False(t, ack.SessionPresent, "%s: CONNACK after restart %+v, want accepted, no session present", a, ack)
	}
}

func TestEmbeddedCloseTwice(t *testing.T) {
	e, err := StartEmbedded(EmbeddedOptions{Unix: true})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	assert.NoError(t, e.Close(), "second Close")
	assert.Error(t, e.Restart(), "Restart after Close: no error")
	c, err := net.Dial("unix", e.UnixPath())
	if !assert.Error(t, err, "unix socket still accepts after Close") {
		c.Close()
	}
}

func TestEmbeddedLogger(t *testing.T) {
	var buf syncBuffer
	e := startEmbedded(t, EmbeddedOptions{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	c := dialRaw(t, e.Addr(), nil)
	c.mustConnect("logged")
	e.Close()
	assert.Contains(t, buf.String(), "mochi mqtt", "the log does not mention mochi")
}

// TestEmbeddedCloseLeaksNothing starts a broker with every listener and a
// client on each, one of them silent before CONNECT, and checks that
// Close leaves no goroutine behind.
func TestEmbeddedCloseLeaksNothing(t *testing.T) {
	set := newCerts(t)
	start := runtime.NumGoroutine()

	e, err := StartEmbedded(EmbeddedOptions{
		WebSocket: true, Unix: true, TLS: set.ServerTLS(false), SecureWebSocket: true,
		Users: map[string]string{"u": "p"}, DenyFilters: []string{"x"},
	})
	require.NoError(t, err)
	for _, tt := range []struct {
		url string
		tls *tls.Config
	}{
		{e.Addr(), nil}, {e.WSAddr(), nil}, {e.UnixAddr(), nil},
		{e.TLSAddr(), set.ClientTLS(false)}, {e.WSSAddr(), set.ClientTLS(false)},
	} {
		c := dialRaw(t, tt.url, tt.tls)
		c.connect(message.Connect{Version: message.V311, ClientID: "leak", KeepAlive: 60,
			UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("p")})
		c.subscribe(1, "a/#")
	}
	silent, err := net.Dial("tcp", strings.TrimPrefix(e.Addr(), "tcp://"))
	require.NoError(t, err)
	defer silent.Close()
	require.NoError(t, e.Restart())
	silent2, err := net.Dial("tcp", strings.TrimPrefix(e.Addr(), "tcp://"))
	require.NoError(t, err)
	defer silent2.Close()

	closed := make(chan error, 1)
	go func() { closed <- e.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(timeout):
		require.Fail(t, "Close blocked on a connection that never sent CONNECT")
	}

	deadline := time.Now().Add(timeout)
	for runtime.NumGoroutine() > start {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			require.Failf(t, "goroutines leaked", "%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), start, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the broker's logging goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
