package broker

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// errWSTextFrame reports a WebSocket message that is not binary: MQTT
// packets must travel in binary frames [MQTT-6.0.0-1].
var errWSTextFrame = errors.New("broker: websocket message is not binary")

// wsConn presents a WebSocket connection as a [net.Conn] carrying an MQTT
// byte stream: each Write is sent as one binary message, and Read returns
// the payloads of successive messages back to back, since MQTT packets
// may span or share messages [MQTT-6.0.0-2].
//
// Reads must come from one goroutine at a time; Write, Close and the
// deadline setters may be called from any goroutine.
type wsConn struct {
	ws  *websocket.Conn
	r   io.Reader // the message being read, nil between messages
	wmu sync.Mutex

	// wdl is the write deadline. gorilla/websocket keeps its own copy
	// unsynchronised, so it is handed over under wmu before each write.
	wdl atomic.Pointer[time.Time]
}

var _ net.Conn = (*wsConn)(nil)

// newWSConn wraps ws.
func newWSConn(ws *websocket.Conn) *wsConn { return &wsConn{ws: ws} }

// Read reads from the current binary message, moving to the next one when
// it is exhausted.
func (c *wsConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				return 0, fmt.Errorf("%w (message type %d)", errWSTextFrame, typ)
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// Write sends p as one binary message.
func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var dl time.Time
	if p := c.wdl.Load(); p != nil {
		dl = *p
	}
	c.ws.SetWriteDeadline(dl)
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close sends a normal-closure frame, waiting briefly, and closes the
// connection.
func (c *wsConn) Close() error {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
	return c.ws.Close()
}

// LocalAddr returns the local network address.
func (c *wsConn) LocalAddr() net.Addr { return c.ws.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *wsConn) RemoteAddr() net.Addr { return c.ws.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (c *wsConn) SetDeadline(t time.Time) error {
	if err := c.ws.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline. After a read times out the
// connection is unusable, as with gorilla/websocket itself.
func (c *wsConn) SetReadDeadline(t time.Time) error { return c.ws.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline for later writes and for one
// in progress.
func (c *wsConn) SetWriteDeadline(t time.Time) error {
	c.wdl.Store(&t)
	return c.ws.UnderlyingConn().SetWriteDeadline(t)
}
