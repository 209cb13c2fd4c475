package client_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// TestReaderAcksNeverWaitForTheNetwork checks the acknowledgements the
// reader owes for packets already in its buffer, which it sends together:
// two QoS 2 PUBLISH packets arrive in one write followed by the first
// bytes of a third packet, whose rest never comes; both PUBRECs must
// leave anyway, while the reader waits for the rest.
func TestReaderAcksNeverWaitForTheNetwork(t *testing.T) {
	_, pc := connectScripted(t)
	var b []byte
	for id := uint16(1); id <= 2; id++ {
		pkt := &message.Publish{Message: message.Message{Topic: "a", Payload: []byte("x"), QoS: message.QoS2, PacketID: id}}
		var err error
		b, err = pkt.Append(b, message.V311)
		require.NoError(t, err)
	}
	// A third PUBLISH's fixed header promising 100 bytes, and 3 of them.
	b = append(b, 0x34, 100, 0, 1, 'a')
	pc.SendRaw(b...)
	pc.ExpectAck(message.PUBREC, 1)
	pc.ExpectAck(message.PUBREC, 2)
}
