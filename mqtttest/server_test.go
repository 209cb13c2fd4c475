package mqtttest_test

import (
	"context"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/mqtttest"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// connect returns a client connected to url, closed when the test ends.
func connect(t *testing.T, url string, opts ...client.Option) (*client.Client, error) {
	t.Helper()
	c, err := client.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err = c.Connect(ctx, url)
	return c, err
}

// roundTrip subscribes c to topic, publishes payload at QoS 1 and
// returns what came back.
func roundTrip(t *testing.T, c *client.Client, topic, payload string) string {
	t.Helper()
	got := make(chan string, 1)
	_, err := c.On(message.PUBLISH, func(e *router.Event) { got <- string(e.Message.Payload) }, router.Topic(topic), priority.Normal)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err = c.Subscribe(ctx, message.Subscription{Filter: topic, QoS: message.QoS1})
	require.NoError(t, err)
	tok, err := c.Publish(ctx, topic, []byte(payload), message.QoS1)
	require.NoError(t, err)
	require.NoError(t, tok.Wait(ctx))
	select {
	case p := <-got:
		return p
	case <-ctx.Done():
		require.Failf(t, "no message", "no message on %s", topic)
		return ""
	}
}

func TestServerListeners(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithWebSocket(), mqtttest.WithTLS(), mqtttest.WithUnixSocket())
	for _, tt := range []struct {
		name, url, prefix string
		tls               bool
	}{
		{"tcp", srv.URL(), "tcp://127.0.0.1:", false},
		{"websocket", srv.WebSocketURL(), "ws://127.0.0.1:", false},
		{"tls", srv.TLSURL(), "tls://127.0.0.1:", true},
		{"websocket over tls", srv.WebSocketTLSURL(), "wss://127.0.0.1:", true},
		{"unix", srv.UnixURL(), "unix:///", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, strings.HasPrefix(tt.url, tt.prefix), "got URL %q, want prefix %q", tt.url, tt.prefix)
			var opts []client.Option
			if tt.tls {
				opts = append(opts, client.WithTLSConfig(srv.ClientTLSConfig()))
			}
			c, err := connect(t, tt.url, opts...)
			require.NoError(t, err)
			assert.Equal(t, "hello "+tt.name, roundTrip(t, c, "test/"+strings.ReplaceAll(tt.name, " ", "-"), "hello "+tt.name))
		})
	}
}

func TestServerHostPort(t *testing.T) {
	srv := mqtttest.NewServer(t)
	assert.Equal(t, "127.0.0.1", srv.Host())
	assert.NotZero(t, srv.Port())
	assert.Equal(t, srv.URL(), "tcp://127.0.0.1:"+itoa(srv.Port()))
	for name, got := range map[string]string{
		"WebSocketURL": srv.WebSocketURL(), "TLSURL": srv.TLSURL(),
		"WebSocketTLSURL": srv.WebSocketTLSURL(), "UnixURL": srv.UnixURL(),
	} {
		assert.Empty(t, got, "%s without the listener", name)
	}
	assert.Nil(t, srv.ClientTLSConfig())
	_, err := srv.WriteCertFiles(t.TempDir())
	assert.Error(t, err, "WriteCertFiles without TLS")
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestServerClientCertificates(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithClientCertificates())
	c, err := connect(t, srv.TLSURL(), client.WithTLSConfig(srv.ClientTLSConfig()))
	require.NoError(t, err, "with the client certificate")
	assert.Equal(t, "m", roundTrip(t, c, "mtls", "m"))

	noCert := srv.ClientTLSConfig()
	noCert.Certificates = nil
	_, err = connect(t, srv.TLSURL(), client.WithTLSConfig(noCert), client.WithConnectTimeout(2*time.Second))
	assert.Error(t, err, "without a client certificate")

	files, err := srv.WriteCertFiles(t.TempDir())
	require.NoError(t, err)
	for _, f := range []string{files.CA, files.Cert, files.Key} {
		assert.FileExists(t, f)
	}
}

func TestServerUsers(t *testing.T) {
	srv := mqtttest.NewServer(t, mqtttest.WithUser("alice", "secret"), mqtttest.WithUser("bob", "hunter2"))
	for _, tt := range []struct {
		name     string
		opts     []client.Option
		accepted bool
	}{
		{"alice", []client.Option{client.WithCredentials("alice", []byte("secret"))}, true},
		{"bob", []client.Option{client.WithCredentials("bob", []byte("hunter2"))}, true},
		{"wrong password", []client.Option{client.WithCredentials("alice", []byte("nope"))}, false},
		{"unknown user", []client.Option{client.WithCredentials("carol", []byte("secret"))}, false},
		{"anonymous", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connect(t, srv.URL(), tt.opts...)
			if tt.accepted {
				require.NoError(t, err)
				return
			}
			var ce *client.ConnackError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, message.ConnackCode(5), ce.Code, "got CONNACK code %v, want 5 (not authorized)", ce.Code)
		})
	}
}

func TestServerDenyAndACL(t *testing.T) {
	var asked atomic.Int32
	srv := mqtttest.NewServer(t,
		mqtttest.WithUser("reader", "pw"), mqtttest.WithUser("writer", "pw"),
		mqtttest.WithDeny("secret/#"),
		mqtttest.WithACL(func(a mqtttest.Access) bool {
			asked.Add(1)
			// Only writer publishes; everyone subscribes.
			return !a.Write || a.Username == "writer"
		}))
	reader, err := connect(t, srv.URL(), client.WithCredentials("reader", []byte("pw")))
	require.NoError(t, err)
	writer, err := connect(t, srv.URL(), client.WithCredentials("writer", []byte("pw")))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	codes, err := reader.Subscribe(ctx, message.Subscription{Filter: "secret/a", QoS: 1}, message.Subscription{Filter: "open/#", QoS: 1})
	var se *client.SubscribeError
	require.ErrorAs(t, err, &se, "secret/a is denied")
	assert.Equal(t, []message.SubackCode{message.SubackFailure, 1}, codes)

	got := make(chan string, 4)
	_, err = reader.On(message.PUBLISH, func(e *router.Event) { got <- string(e.Message.Payload) }, nil, 0)
	require.NoError(t, err)
	// The reader's own publication is refused by the ACL (QoS 0: dropped);
	// the writer's goes through.
	tok, err := reader.Publish(ctx, "open/x", []byte("from reader"), message.QoS0)
	require.NoError(t, err)
	require.NoError(t, tok.Wait(ctx))
	tok, err = writer.Publish(ctx, "open/x", []byte("from writer"), message.QoS1)
	require.NoError(t, err)
	require.NoError(t, tok.Wait(ctx))
	select {
	case p := <-got:
		assert.Equal(t, "from writer", p)
	case <-ctx.Done():
		require.Fail(t, "no message from the writer")
	}
	assert.Positive(t, asked.Load(), "the ACL function was never asked")
}

func TestServerDrop(t *testing.T) {
	srv := mqtttest.NewServer(t)
	var lost atomic.Int32
	up := make(chan string, 8)
	opts := func(id string) []client.Option {
		return []client.Option{
			client.WithClientID(id),
			client.WithAutoReconnect(10*time.Millisecond, 50*time.Millisecond),
			client.WithOnConnect(func(c *client.Client, _ bool) { up <- c.ClientID() }),
			client.WithOnConnectionLost(func(*client.Client, error) { lost.Add(1) }),
		}
	}
	waitUp := func(want ...string) {
		t.Helper()
		var got []string
		for range want {
			select {
			case id := <-up:
				got = append(got, id)
			case <-time.After(5 * time.Second):
				require.Failf(t, "missing connections", "got connections from %v, want %v", got, want)
			}
		}
		assert.ElementsMatch(t, want, got)
	}
	a, err := connect(t, srv.URL(), opts("a")...)
	require.NoError(t, err)
	_, err = connect(t, srv.URL(), opts("b")...)
	require.NoError(t, err)
	waitUp("a", "b")
	assert.Equal(t, []string{"a", "b"}, srv.Clients())

	require.NoError(t, srv.Drop("a"))
	waitUp("a")
	assert.Equal(t, int32(1), lost.Load(), "connections lost after dropping a")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, srv.WaitConnected(ctx, "a"))
	assert.Equal(t, "back", roundTrip(t, a, "after/drop", "back"))

	err = srv.Drop("nobody")
	assert.ErrorIs(t, err, mqtttest.ErrNoClient)

	dropped, err := srv.DropAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, dropped)
	waitUp("a", "b")
	assert.Equal(t, int32(3), lost.Load(), "connections lost after dropping all")
	assert.Equal(t, uint64(3), a.Stats().Connects)
}

func TestServerRestartAndPublish(t *testing.T) {
	srv := mqtttest.NewServer(t)
	require.NoError(t, srv.Publish("kept", []byte("retained"), 1, true))
	c, err := connect(t, srv.URL(), client.WithClientID("r"), client.WithAutoReconnect(10*time.Millisecond, 50*time.Millisecond))
	require.NoError(t, err)
	got := make(chan *message.Message, 4)
	_, err = c.On(message.PUBLISH, func(e *router.Event) { m := *e.Message; got <- &m }, nil, 0)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err = c.Subscribe(ctx, message.Subscription{Filter: "kept", QoS: 1})
	require.NoError(t, err)
	select {
	case m := <-got:
		assert.Equal(t, "retained", string(m.Payload))
		assert.True(t, m.Retain)
	case <-ctx.Done():
		require.Fail(t, "no retained message")
	}

	require.NoError(t, srv.Restart())
	require.NoError(t, srv.WaitConnected(ctx, "r"))
	// The client renewed its subscription on the new broker.
	require.Eventually(t, func() bool { return c.Stats().Resubscribes > 0 }, 5*time.Second, 5*time.Millisecond)
	// The subscription may reach the broker a moment after the counter
	// moved: publish until the message arrives.
	require.Eventually(t, func() bool {
		require.NoError(t, srv.Publish("kept", []byte("fresh"), 1, false))
		select {
		case m := <-got:
			return assert.Equal(t, "fresh", string(m.Payload)) && assert.False(t, m.Retain)
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}, 5*time.Second, time.Millisecond, "no message after the restart")
}

func TestServerCleanup(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		srv := mqtttest.NewServer(t)
		addr = strings.TrimPrefix(srv.URL(), "tcp://")
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		conn.Close()
	})
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "the listener is still open after the test ended")

	srv, err := mqtttest.Start()
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close(), "second Close")
	assert.ErrorIs(t, srv.Publish("x", nil, 0, false), mqtttest.ErrClosed)
	_, err = srv.DropAll()
	assert.ErrorIs(t, err, mqtttest.ErrClosed)
}

func TestServerWaitSubscribed(t *testing.T) {
	srv := mqtttest.NewServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	assert.ErrorIs(t, srv.WaitSubscribed(short, "a/b", 1), context.DeadlineExceeded, "nobody subscribed yet")

	for _, id := range []string{"s1", "s2"} {
		c, err := connect(t, srv.URL(), client.WithClientID(id))
		require.NoError(t, err)
		_, err = c.Subscribe(ctx, message.Subscription{Filter: "a/+", QoS: 1}, message.Subscription{Filter: "a/#", QoS: 0})
		require.NoError(t, err)
	}
	require.NoError(t, srv.WaitSubscribed(ctx, "a/b", 2))
	assert.Equal(t, []string{"s1", "s2"}, srv.Subscribers("a/b"))
	assert.Empty(t, srv.Subscribers("b"))
}

// TestServerCloseLeavesNoGoroutines drops and restarts with clients on
// every listener, closes the clients and the server, and requires the
// goroutine count to come back to where it was.
func TestServerCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, err := mqtttest.Start(mqtttest.WithWebSocket(), mqtttest.WithTLS(), mqtttest.WithUnixSocket())
	require.NoError(t, err)
	var clients []*client.Client
	for i, url := range []string{srv.URL(), srv.WebSocketURL(), srv.TLSURL(), srv.WebSocketTLSURL(), srv.UnixURL()} {
		c, err := client.New(client.WithClientID("leak-"+strconv.Itoa(i)), client.WithTLSConfig(srv.ClientTLSConfig()),
			client.WithAutoReconnect(10*time.Millisecond, 50*time.Millisecond))
		require.NoError(t, err)
		clients = append(clients, c)
		_, err = c.Connect(t.Context(), url)
		require.NoError(t, err, url)
	}
	_, err = srv.DropAll()
	require.NoError(t, err)
	require.NoError(t, srv.WaitConnected(t.Context(), "leak-0"))
	require.NoError(t, srv.Restart())
	for _, c := range clients {
		require.NoError(t, c.Close())
	}
	require.NoError(t, srv.Close())
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			require.Failf(t, "goroutines leaked", "%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:n])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServerCloseWhileClientsDisconnect closes the server while its
// clients disconnect: Close must return however the two interleave.
func TestServerCloseWhileClientsDisconnect(t *testing.T) {
	for range 30 {
		srv, err := mqtttest.Start()
		require.NoError(t, err)
		var clients []*client.Client
		for i := range 8 {
			c, err := client.New(client.WithClientID("leaving-" + strconv.Itoa(i)))
			require.NoError(t, err)
			_, err = c.Connect(t.Context(), srv.URL())
			require.NoError(t, err)
			clients = append(clients, c)
		}
		done := make(chan error, 1)
		for _, c := range clients {
			go c.Close()
		}
		go func() { done <- srv.Close() }()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			buf := make([]byte, 1<<20)
			require.Failf(t, "Close blocked", "Close did not return while clients disconnected:\n%s", buf[:runtime.Stack(buf, true)])
		}
		for _, c := range clients {
			c.Close()
		}
	}
}
