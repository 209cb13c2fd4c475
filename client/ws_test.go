package client_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wsPeer serves one WebSocket connection with subprotocol "mqtt" and
// hands it to the test as a scripted peer.
func wsPeer(t *testing.T) (url string, accept func() *peer.Conn) {
	t.Helper()
	conns := make(chan net.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"mqtt"}})
		if err != nil {
			return
		}
		nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
		conns <- nc
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/mqtt", func() *peer.Conn {
		t.Helper()
		select {
		case nc := <-conns:
			t.Cleanup(func() { nc.Close() })
			return peer.NewConn(t, nc)
		case <-time.After(waitLimit):
			require.Fail(t, "no WebSocket connection")
			return nil
		}
	}
}

// TestWebSocketSilentBroker checks that a WebSocket broker that stops
// answering is declared lost in keepalive time: closing the connection
// must not wait for a WebSocket close handshake the broker never answers.
func TestWebSocketSilentBroker(t *testing.T) {
	const (
		keep        = time.Second
		pingTimeout = keep / 2 // the default
		// closeWait is how long the WebSocket library waits for the
		// answer to its close frame before it gives up.
		closeWait = 5 * time.Second
	)
	url, accept := wsPeer(t)
	lost, errs := lostRecorder()
	c := newClient(t, client.WithKeepAlive(keep), lost)
	start := time.Now() // before the connection's first write
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), url)
		errc <- err
	}()
	pc := accept()
	pc.Handshake(message.Accepted)
	require.NoError(t, <-errc)
	pc.Expect(message.PINGREQ)
	err := awaitErr(t, errs)
	assert.ErrorIs(t, err, client.ErrKeepAliveTimeout)
	// Not a limit on speed: timers never fire early, so a client that
	// waited for the close handshake could report the loss no sooner
	// than 3/4 keepalive of silence, the ping timeout and the library's
	// whole close wait after connecting. A report before that point
	// shows the close did not wait, with closeWait to spare for load.
	elapsed, waited := time.Since(start), keep*3/4+pingTimeout+closeWait
	assert.Less(t, elapsed, waited,
		"connection declared lost %v after connecting, as late as a close that waited %v for the handshake", elapsed, closeWait)
}
