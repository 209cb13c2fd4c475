package broker

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	neturl "net/url"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// timeout bounds every network step of these tests.
const timeout = 5 * time.Second

// dial connects to a broker URL of any scheme this package hands out.
func dial(t testing.TB, rawURL string, tlsConf *tls.Config) (net.Conn, error) {
	t.Helper()
	u, err := neturl.Parse(rawURL)
	require.NoError(t, err, "parse %q", rawURL)
	d := &net.Dialer{Timeout: timeout}
	switch u.Scheme {
	case "tcp":
		return d.Dial("tcp", u.Host)
	case "unix":
		return d.Dial("unix", u.Path)
	case "tls":
		return tls.DialWithDialer(d, "tcp", u.Host, tlsConf)
	case "ws", "wss":
		wd := &websocket.Dialer{
			NetDialContext:   d.DialContext,
			TLSClientConfig:  tlsConf,
			Subprotocols:     []string{"mqtt"},
			HandshakeTimeout: timeout,
		}
		ws, resp, err := wd.Dial(rawURL, nil)
		if err != nil {
			return nil, err
		}
		if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "mqtt" {
			ws.Close()
			require.Equal(t, "mqtt", got, "websocket subprotocol")
		}
		return newWSConn(ws), nil
	}
	require.Failf(t, "unknown scheme", "unknown scheme in %q", rawURL)
	return nil, nil
}

// rawClient speaks MQTT 3.1.1 packet by packet, written and read with the
// message codec.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	r    *message.Reader
}

func newRaw(t testing.TB, conn net.Conn) *rawClient {
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, r: message.NewReader(conn, message.V311, 0)}
}

// dialRaw dials rawURL and fails the test when that does not work.
func dialRaw(t testing.TB, rawURL string, tlsConf *tls.Config) *rawClient {
	t.Helper()
	conn, err := dial(t, rawURL, tlsConf)
	require.NoError(t, err, "dial %s", rawURL)
	return newRaw(t, conn)
}

func (c *rawClient) send(p message.Packet) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(timeout))
	require.NoError(c.t, message.Write(c.conn, p, message.V311), "write %v", p.Type())
}

// next reads one packet; it is valid until the following read.
func (c *rawClient) next() (message.Packet, error) {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	return c.r.ReadPacket()
}

func (c *rawClient) expect(typ message.Type) message.Packet {
	c.t.Helper()
	p, err := c.next()
	require.NoError(c.t, err, "read, want %v", typ)
	require.Equal(c.t, typ, p.Type(), "read")
	return p
}

// expectClosed waits for the broker to close the connection. mochi sends
// DISCONNECT first, even to MQTT 3.1.1 clients, where the specification
// has no server DISCONNECT; it is skipped.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	p, err := c.next()
	if err == nil && p.Type() == message.DISCONNECT {
		p, err = c.next()
	}
	if err == nil {
		require.Failf(c.t, "connection open", "read %v, want the connection closed", p.Type())
	}
	var ne net.Error
	require.False(c.t, errors.As(err, &ne) && ne.Timeout(), "connection still open after %v", timeout)
}

// connect sends CONNECT and returns the CONNACK.
func (c *rawClient) connect(cn message.Connect) message.Connack {
	c.t.Helper()
	if cn.Version == 0 {
		cn.Version = message.V311
	}
	c.send(&cn)
	return *c.expect(message.CONNACK).(*message.Connack)
}

// mustConnect connects with a clean session and fails unless accepted.
func (c *rawClient) mustConnect(id string) {
	c.t.Helper()
	ack := c.connect(message.Connect{ClientID: id, CleanSession: true})
	require.Equal(c.t, message.Accepted, ack.ReturnCode, "CONNACK")
}

// subscribe subscribes to filters at QoS 1 and returns the SUBACK codes.
func (c *rawClient) subscribe(id uint16, filters ...string) []message.SubackCode {
	c.t.Helper()
	sub := &message.Subscribe{PacketID: id}
	for _, f := range filters {
		sub.Subscriptions = append(sub.Subscriptions, message.Subscription{Filter: f, QoS: message.QoS1})
	}
	c.send(sub)
	ack := c.expect(message.SUBACK).(*message.Suback)
	require.Equal(c.t, id, ack.PacketID, "SUBACK id")
	return append([]message.SubackCode(nil), ack.ReturnCodes...)
}

// roundTrip subscribes to topic, publishes to it at QoS 1 and checks that
// the message comes back.
func (c *rawClient) roundTrip(topic string) {
	c.t.Helper()
	got := c.subscribe(1, topic)
	require.Equal(c.t, []message.SubackCode{1}, got, "SUBACK, want [granted QoS1]")
	payload := []byte("hello " + topic)
	c.send(&message.Publish{Message: message.Message{Topic: topic, Payload: payload, QoS: message.QoS1, PacketID: 2}})
	var gotAck, gotMsg bool
	for !gotAck || !gotMsg {
		p, err := c.next()
		require.NoError(c.t, err, "read (puback %v, message %v)", gotAck, gotMsg)
		switch p := p.(type) {
		case *message.Puback:
			gotAck = p.PacketID == 2
		case *message.Publish:
			require.Equal(c.t, topic, p.Topic, "PUBLISH topic")
			require.Equal(c.t, string(payload), string(p.Payload), "PUBLISH payload")
			gotMsg = true
			if p.QoS > 0 {
				c.send(&message.Puback{PacketID: p.PacketID})
			}
		default:
			require.Failf(c.t, "unexpected packet", "unexpected %v", p.Type())
		}
	}
}

// expectAny reads one packet of one of the given types.
func (c *rawClient) expectAny(types ...message.Type) message.Packet {
	c.t.Helper()
	p, err := c.next()
	require.NoError(c.t, err, "read, want one of %v", types)
	for _, typ := range types {
		if p.Type() == typ {
			return p
		}
	}
	require.Failf(c.t, "unexpected packet", "read %v, want one of %v", p.Type(), types)
	return nil
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// tryConnect dials rawURL, sends CONNECT and reads the answer, returning
// the first error. With TLS 1.3 a refused client certificate can show up
// at any of these steps.
func tryConnect(t testing.TB, rawURL string, tlsConf *tls.Config) error {
	conn, err := dial(t, rawURL, tlsConf)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if err := message.Write(conn, &message.Connect{Version: message.V311, ClientID: "try", CleanSession: true}, message.V311); err != nil {
		return err
	}
	_, err = message.NewReader(conn, message.V311, 0).ReadPacket()
	return err
}
