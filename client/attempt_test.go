package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/mqtttest"
)

// TestWebSocketHeaders checks on the embedded broker's WebSocket
// listeners that the opening request carries the extra headers, the
// URL's path and query, the "mqtt" subprotocol, and never the URL's
// user information as HTTP Basic; wss:// takes the TLS options of
// tls:// (here from PEM files).
func TestWebSocketHeaders(t *testing.T) {
	set := brokertest.Certs(t)
	files, err := set.WriteFiles(t.TempDir())
	require.NoError(t, err)
	reqs := make(chan *http.Request, 10)
	b := brokertest.Embedded(t, broker.EmbeddedOptions{
		WebSocket: true, TLS: set.ServerTLS(false), SecureWebSocket: true,
		WebSocketRequest: func(r *http.Request) { reqs <- r.Clone(context.Background()) },
	})
	for _, base := range []string{b.WSAddr(), b.WSSAddr()} {
		t.Run(strings.SplitN(base, ":", 2)[0], func(t *testing.T) {
			u := strings.Replace(base, "://", "://alice:s3cret@", 1) + "devices/d1/mqtt?sig=a%2Fb%3D&se=1700000000"
			c := newClient(t,
				client.WithWebSocketHeader("X-Hub-Token", "token-1"),
				client.WithWebSocketHeader("X-Multi", "a", "b"),
				client.WithTLSFiles(files.CA, "", ""))
			connect(t, c, u)
			var r *http.Request
			select {
			case r = <-reqs:
			case <-time.After(waitLimit):
				require.Fail(t, "no WebSocket request seen")
			}
			assert.Equal(t, "/devices/d1/mqtt", r.URL.Path)
			assert.Equal(t, "sig=a%2Fb%3D&se=1700000000", r.URL.RawQuery)
			assert.Equal(t, []string{"token-1"}, r.Header.Values("X-Hub-Token"))
			assert.Equal(t, []string{"a", "b"}, r.Header.Values("X-Multi"))
			assert.Equal(t, "mqtt", r.Header.Get("Sec-WebSocket-Protocol"))
			assert.Empty(t, r.Header.Values("Authorization"), "URL user information sent as HTTP authentication")
			assert.NotContains(t, fmt.Sprint(r.Header), "s3cret")
			publish(t, c, "ws/headers", "ok", message.QoS1)
		})
	}
}

// TestCredentialsProviderRotates runs against mosquitto with a password
// file: the provider gives a new password on every attempt; the first
// (an expired token) is refused, the retry with the next one is
// accepted, and after mosquitto restarts the reconnect asks the provider
// again and logs in with what it returns then.
func TestCredentialsProviderRotates(t *testing.T) {
	m := brokertest.Mosquitto(t, broker.MosquittoOptions{Users: map[string]string{
		"device": "token-2", "device-b": "token-3",
	}})
	var (
		mu   sync.Mutex
		seen []string
	)
	provider := func(ctx context.Context) (string, []byte, error) {
		if _, ok := ctx.Deadline(); !ok {
			return "", nil, errors.New("no deadline")
		}
		mu.Lock()
		defer mu.Unlock()
		n := len(seen) + 1
		user := "device"
		if n >= 3 {
			user = "device-b"
		}
		pw := fmt.Sprintf("token-%d", min(n, 3))
		seen = append(seen, user+":"+pw)
		return user, []byte(pw), nil
	}
	calls := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
	connected := make(chan bool, 10)
	c := newClient(t,
		client.WithCredentials("ignored", []byte("ignored")),
		client.WithCredentialsProvider(provider),
		client.WithConnectRetry(),
		client.WithAutoReconnect(20*time.Millisecond, 200*time.Millisecond),
		client.WithOnConnect(func(*client.Client, bool) { connected <- true }))
	connect(t, c, m.Addr())
	assert.Equal(t, []string{"device:token-1", "device:token-2"}, calls())
	publish(t, c, "creds/first", "x", message.QoS1)

	require.NoError(t, m.Restart())
	for range 2 {
		select {
		case <-connected:
		case <-time.After(waitLimit):
			require.Failf(t, "not reconnected", "provider calls %v", calls())
		}
	}
	got := calls()
	require.GreaterOrEqual(t, len(got), 3)
	assert.Equal(t, "device-b:token-3", got[len(got)-1])
	publish(t, c, "creds/second", "x", message.QoS1)
}

// TestCredentialsProviderError fails the attempt with the provider's
// error.
func TestCredentialsProviderError(t *testing.T) {
	srv := mqtttest.NewServer(t)
	errVault := errors.New("vault sealed")
	c := newClient(t, client.WithCredentialsProvider(func(context.Context) (string, []byte, error) {
		return "", nil, errVault
	}))
	_, err := c.Connect(testContext(t), srv.URL())
	assert.ErrorIs(t, err, client.ErrConnectHook)
	assert.ErrorIs(t, err, errVault)
	assert.Empty(t, srv.Clients())
}

// TestConnectHook changes the client identifier and will of every
// attempt: the broker sees "dev-1" with will "wills/dev-1", then, after
// dropping it (which publishes that will), "dev-2". The hook sees the
// provider's credentials.
func TestConnectHook(t *testing.T) {
	srv := mqtttest.NewServer(t)
	_, watch := subscriber(t, srv.URL(), message.Subscription{Filter: "wills/#", QoS: 1})
	var attempts atomic.Int32
	users := make(chan string, 10)
	hook := func(_ context.Context, a *client.ConnectAttempt) error {
		n := attempts.Add(1)
		users <- a.Username
		a.ClientID = fmt.Sprintf("dev-%d", n)
		a.Will = &message.Will{Topic: "wills/" + a.ClientID, Payload: []byte("gone"), QoS: 1}
		return nil
	}
	c := newClient(t,
		client.WithClientID("configured"),
		client.WithCredentialsProvider(func(context.Context) (string, []byte, error) { return "from-provider", []byte("pw"), nil }),
		client.WithConnectHook(hook),
		client.WithAutoReconnect(20*time.Millisecond, 100*time.Millisecond))
	connect(t, c, srv.URL())
	assert.Equal(t, []string{"dev-1"}, filterDev(srv.Clients()))
	select {
	case u := <-users:
		assert.Equal(t, "from-provider", u)
	default:
		assert.Fail(t, "the hook did not run")
	}
	assert.Equal(t, "configured", c.ClientID())

	require.NoError(t, srv.Drop("dev-1"))
	e := watch.nextMessage(t)
	assert.Equal(t, "wills/dev-1", e.Msg.Topic)
	assert.Equal(t, "gone", string(e.Msg.Payload))
	require.NoError(t, srv.WaitConnected(testContext(t), "dev-2"))
	assert.Equal(t, []string{"dev-2"}, filterDev(srv.Clients()))
}

// filterDev keeps the identifiers the connect hook gave.
func filterDev(ids []string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, "dev-") {
			out = append(out, id)
		}
	}
	return out
}

// TestConnectHookRefused checks that a hook's error, or a CONNECT a
// hook made invalid, fails the attempt before anything is sent.
func TestConnectHookRefused(t *testing.T) {
	srv := mqtttest.NewServer(t)
	errNo := errors.New("not now")
	for _, tt := range []struct {
		name string
		hook client.ConnectHook
		want error
	}{
		{"error", func(context.Context, *client.ConnectAttempt) error { return errNo }, errNo},
		{"bad will topic", func(_ context.Context, a *client.ConnectAttempt) error {
			a.Will = &message.Will{Topic: "wills/+", QoS: 0}
			return nil
		}, message.ErrInvalidTopic},
		{"bad will QoS", func(_ context.Context, a *client.ConnectAttempt) error {
			a.Will = &message.Will{Topic: "wills/x", QoS: 3}
			return nil
		}, message.ErrInvalidQoS},
		{"password without user name", func(_ context.Context, a *client.ConnectAttempt) error {
			a.UsernameSet, a.Password, a.PasswordSet = false, []byte("pw"), true
			return nil
		}, client.ErrConnectHook},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, client.WithClientID("refused-"+strings.ReplaceAll(tt.name, " ", "-")), client.WithConnectHook(tt.hook))
			_, err := c.Connect(testContext(t), srv.URL())
			assert.ErrorIs(t, err, client.ErrConnectHook)
			assert.ErrorIs(t, err, tt.want)
			assert.Empty(t, srv.Clients())
		})
	}
}
