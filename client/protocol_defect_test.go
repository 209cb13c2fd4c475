package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
)

// A broker that breaks a QoS flow's order violates the protocol: the
// client closes the connection with a *client.ProtocolError, and the flow
// stays open for the next connection.
func TestDefectProtocolLaxness(t *testing.T) {
	tests := []struct {
		name string
		qos  message.QoS
		ack  func(id uint16) []byte
		want message.Type // the packet the error names
	}{
		{"PUBCOMP before PUBREC", message.QoS2, func(id uint16) []byte {
			return []byte{0x70, 0x02, byte(id >> 8), byte(id)} // PUBCOMP, remaining length 2, packet id
		}, message.PUBCOMP},
		{"PUBREC for a QoS 1 publish", message.QoS1, func(id uint16) []byte {
			return []byte{0x50, 0x02, byte(id >> 8), byte(id)} // PUBREC, remaining length 2, packet id
		}, message.PUBREC},
		{"PUBACK for a QoS 2 publish", message.QoS2, func(id uint16) []byte {
			return []byte{0x40, 0x02, byte(id >> 8), byte(id)} // PUBACK, remaining length 2, packet id
		}, message.PUBACK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := peer.Open(t)
			lost, lostc := lostRecorder()
			c := newClient(t, client.WithKeepAlive(0), lost)
			peerConnect(t, p, c, false)
			tok, err := c.Publish(testContext(t), "t", []byte("x"), tt.qos)
			require.NoError(t, err)
			id := p.Expect(t, message.PUBLISH).(*message.Publish).PacketID
			require.NoError(t, p.Send(tt.ack(id)))
			require.NoError(t, p.WaitClosed(), "the client answered instead of closing")

			err = awaitErr(t, lostc)
			var pe *client.ProtocolError
			require.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, err, client.ErrProtocolViolation)
			assert.Equal(t, tt.want, pe.Type)
			assert.Equal(t, id, pe.ID)
			select {
			case <-tok.Done():
				require.Failf(t, "the publish completed", "with %v", tok.Err())
			default:
			}
		})
	}
}

// A CONNACK reporting a session present after a clean-session CONNECT
// is a protocol violation [MQTT-3.2.2-1]: Connect fails, and no
// subscription is taken for restored.
func TestDefectConnackSessionPresentAfterCleanSession(t *testing.T) {
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0))
	done := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), p.Addr())
		done <- err
	}()
	cn := p.Expect(t, message.CONNECT).(*message.Connect)
	require.True(t, cn.CleanSession)
	require.NoError(t, p.Send([]byte{0x20, 0x02, 0x01, 0x00})) // CONNACK, length 2, session present, accepted
	err := <-done
	require.ErrorIs(t, err, client.ErrProtocolViolation)
	var pe *client.ProtocolError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, message.CONNACK, pe.Type)
	assert.False(t, c.IsConnected())
	assert.Empty(t, c.Subscriptions())
	require.NoError(t, p.WaitClosed())
}
