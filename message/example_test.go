package message_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/onmqtt/onmqtt/message"
)

// Encode a PUBLISH into a buffer that is reused for every packet.
func ExamplePublish_Append() {
	p := &message.Publish{Message: message.Message{
		Topic:    "sensors/kitchen/temp",
		Payload:  []byte("21.5"),
		QoS:      message.QoS1,
		PacketID: 7,
	}}
	buf := make([]byte, 0, 512)
	buf, err := p.Append(buf[:0], message.V311)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x\n", buf)

	// Append validates first: a wildcard has no place in a topic name.
	p.Topic = "sensors/+/temp"
	_, err = p.Append(buf[:0], message.V311)
	fmt.Println(errors.Is(err, message.ErrInvalidTopic))
	// Output:
	// 32 1c 00 14 73 65 6e 73 6f 72 73 2f 6b 69 74 63 68 65 6e 2f 74 65 6d 70 00 07 32 31 2e 35
	// true
}

// Read packets one by one from a stream until it ends.
func ExampleReader() {
	var stream []byte
	stream, _ = (&message.Connack{ReturnCode: message.Accepted}).Append(stream, message.V311)
	stream, _ = (&message.Publish{Message: message.Message{Topic: "a/b", Payload: []byte("hi")}}).Append(stream, message.V311)
	stream, _ = message.AppendAck(stream, message.PUBACK, 7)
	stream = append(stream, 0x62, 0x02, 0x00, 0x00) // a PUBREL with packet identifier 0

	r := message.NewReader(bytes.NewReader(stream), message.V311, 64<<10)
	for {
		p, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			fmt.Println("malformed:", errors.Is(err, message.ErrMalformed), "zero id:", errors.Is(err, message.ErrZeroPacketID))
			break
		}
		switch p := p.(type) {
		case *message.Connack:
			fmt.Println(p.Type(), p.ReturnCode)
		case *message.Publish:
			// p is reused by the next ReadPacket; its Message is ours to keep.
			m := p.Message
			fmt.Println(p.Type(), m.Topic, string(m.Payload))
		case *message.Puback:
			fmt.Println(p.Type(), p.PacketID)
		}
	}
	// Output:
	// CONNACK connection accepted
	// PUBLISH a/b hi
	// PUBACK 7
	// error: onmqtt: malformed packet PUBREL: packet identifier 0: packet identifier must be non-zero
	// malformed: true zero id: true
}

// Match topic names against filters with wildcards.
func ExampleMatchFilter() {
	for _, c := range []struct{ filter, topic string }{
		{"sensors/+/temp", "sensors/kitchen/temp"},
		{"sensors/+/temp", "sensors/kitchen/humidity"},
		{"sensors/#", "sensors"},
		{"sensors/#", "sensors/kitchen/temp"},
		{"#", "$SYS/broker/uptime"},
		{"$SYS/#", "$SYS/broker/uptime"},
	} {
		fmt.Printf("%-14s %-24s %v\n", c.filter, c.topic, message.MatchFilter(c.filter, c.topic))
	}
	// Output:
	// sensors/+/temp sensors/kitchen/temp     true
	// sensors/+/temp sensors/kitchen/humidity false
	// sensors/#      sensors                  true
	// sensors/#      sensors/kitchen/temp     true
	// #              $SYS/broker/uptime       false
	// $SYS/#         $SYS/broker/uptime       true
}

// Decode one packet from a byte slice, such as a WebSocket message.
func ExampleDecode() {
	raw := []byte{0x90, 0x04, 0x00, 0x0a, 0x01, 0x80}
	p, n, err := message.Decode(raw, message.V311, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.(*message.Suback)
	fmt.Println(n, s.Type(), s.PacketID, s.ReturnCodes)
	// Output:
	// 6 SUBACK 10 [granted QoS1 failure]
}
