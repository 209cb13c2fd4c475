package message

import "io"

// MQTT 3.1 and 3.1.1 vectors of PUBLISH and its acknowledgements PUBACK,
// PUBREC, PUBREL and PUBCOMP. Rows are part of
// [vectors].
var v3PublishVectors = []vector{
	// ---------------------------------------------------------------- PUBLISH
	{
		desc:    "PUBLISH 3.1.1 QoS 0",
		version: V311,
		raw: []byte{
			0x30, 7, // PUBLISH QoS 0, remaining length
			0, 3, 'a', '/', 'b', // topic name
			'h', 'i', // payload
		},
		packet: &Publish{Message{Topic: "a/b", Payload: []byte("hi")}},
	},
	{
		desc:    "PUBLISH 3.1.1 QoS 1, DUP, retain",
		version: V311,
		raw: []byte{
			0x3b, 8, // PUBLISH DUP QoS 1 retain, remaining length
			0, 1, 't', // topic name
			0x01, 0x02, // packet identifier 258
			'x', 'y', 'z', // payload
		},
		packet: &Publish{Message{Topic: "t", Payload: []byte("xyz"), QoS: QoS1, Dup: true, Retain: true, PacketID: 258}},
	},
	{
		desc:    "PUBLISH 3.1.1 QoS 2, empty payload",
		version: V311,
		raw: []byte{
			0x34, 8, // PUBLISH QoS 2, remaining length
			0, 4, 's', '/', '/', 'x', // topic name, with an empty level
			0xff, 0xff, // packet identifier 65535
		},
		packet: &Publish{Message{Topic: "s//x", QoS: QoS2, PacketID: 65535}},
	},
	{
		desc:    "PUBLISH 3.1.1 QoS 0 retained, UTF-8 topic, binary payload",
		version: V311,
		raw: []byte{
			0x31, 8, // PUBLISH QoS 0 retain, remaining length
			0, 4, 0xc3, 0xa9, '/', '$', // topic name "é/$"
			0x00, 0xff, // payload
		},
		packet: &Publish{Message{Topic: "é/$", Payload: []byte{0x00, 0xff}, Retain: true}},
	},
	{
		desc:    "PUBLISH 3.1 QoS 0",
		version: V31,
		raw: []byte{
			0x30, 5, // PUBLISH QoS 0, remaining length
			0, 1, 'a', // topic name
			'h', 'i', // payload
		},
		packet: &Publish{Message{Topic: "a", Payload: []byte("hi")}},
	},
	{
		desc:    "PUBLISH 3.1 QoS 2 DUP",
		version: V31,
		raw: []byte{
			0x3c, 9, // PUBLISH DUP QoS 2, remaining length
			0, 5, '$', 'S', 'Y', 'S', '/', // topic name
			0x00, 0x07, // packet identifier
		},
		packet: &Publish{Message{Topic: "$SYS/", QoS: QoS2, Dup: true, PacketID: 7}},
	},
	{
		desc:    "PUBLISH QoS 3 [MQTT-3.3.1-4]",
		version: V311,
		raw: []byte{
			0x36, 5, // PUBLISH QoS 3, remaining length
			0, 1, 't', // topic name
			0, 1, // packet identifier
		},
		err: ErrInvalidQoS,
	},
	{
		desc:    "PUBLISH QoS 3 with DUP and retain, 3.1",
		version: V31,
		raw: []byte{
			0x3f, 5, // PUBLISH DUP QoS 3 retain, remaining length
			0, 1, 't', // topic name
			0, 1, // packet identifier
		},
		err: ErrInvalidQoS,
	},
	{
		desc:    "PUBLISH DUP at QoS 0 [MQTT-3.3.1-2]",
		version: V311,
		raw: []byte{
			0x38, 3, // PUBLISH DUP QoS 0, remaining length
			0, 1, 't', // topic name
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "PUBLISH QoS 1 packet identifier 0 [MQTT-2.3.1-1]",
		version: V311,
		raw: []byte{
			0x32, 5, // PUBLISH QoS 1, remaining length
			0, 1, 't', // topic name
			0, 0, // packet identifier
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "PUBLISH QoS 2 packet identifier 0, 3.1",
		version: V31,
		raw: []byte{
			0x34, 5, // PUBLISH QoS 2, remaining length
			0, 1, 't', // topic name
			0, 0, // packet identifier
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "PUBLISH topic name with '+' [MQTT-3.3.2-2]",
		version: V311,
		raw: []byte{
			0x30, 5, // PUBLISH QoS 0, remaining length
			0, 3, 'a', '/', '+', // topic name
		},
		err: ErrInvalidTopic,
	},
	{
		desc:    "PUBLISH topic name with '#' [MQTT-3.3.2-2]",
		version: V31,
		raw: []byte{
			0x30, 5, // PUBLISH QoS 0, remaining length
			0, 3, 'a', '/', '#', // topic name
			// no payload
		},
		err: ErrInvalidTopic,
	},
	{
		desc:    "PUBLISH topic name with '#' inside a level",
		version: V311,
		raw: []byte{
			0x30, 4, // PUBLISH QoS 0, remaining length
			0, 2, 'a', '#', // topic name
		},
		err: ErrInvalidTopic,
	},
	{
		desc:    "PUBLISH empty topic name [MQTT-4.7.3-1]",
		version: V311,
		raw: []byte{
			0x30, 4, // PUBLISH QoS 0, remaining length
			0, 0, // topic name (empty)
			'h', 'i', // payload
		},
		err: ErrInvalidTopic,
	},
	{
		desc:    "PUBLISH topic name not UTF-8 [MQTT-1.5.3-1]",
		version: V311,
		raw: []byte{
			0x30, 4, // PUBLISH QoS 0, remaining length
			0, 2, 'a', 0xff, // topic name
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "PUBLISH topic name with an encoded surrogate [MQTT-1.5.3-1]",
		version: V311,
		raw: []byte{
			0x30, 5, // PUBLISH QoS 0, remaining length
			0, 3, 0xed, 0xa0, 0x80, // topic name: U+D800
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "PUBLISH topic name with U+0000 [MQTT-1.5.3-2]",
		version: V31,
		raw: []byte{
			0x30, 5, // PUBLISH QoS 0, remaining length
			0, 3, 'a', 0, 'b', // topic name
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "PUBLISH topic name with an overlong U+0000",
		version: V311,
		raw: []byte{
			0x30, 4, // PUBLISH QoS 0, remaining length
			0, 2, 0xc0, 0x80, // topic name
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "PUBLISH topic length past the end of the body",
		version: V311,
		raw: []byte{
			0x30, 3, // PUBLISH QoS 0, remaining length
			0, 5, 'a', // topic name: 5 bytes announced, 1 present
		},
		err: ErrTruncated,
	},
	{
		desc:    "PUBLISH QoS 1 without packet identifier",
		version: V311,
		raw: []byte{
			0x32, 4, // PUBLISH QoS 1, remaining length
			0, 1, 't', // topic name
			0, // half a packet identifier
		},
		err: ErrTruncated,
	},
	{
		desc:    "PUBLISH stream ends inside the body",
		version: V311,
		raw: []byte{
			0x30, 10, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			'p', // payload: 6 bytes missing
		},
		err: io.ErrUnexpectedEOF,
	},
	{
		desc:    "PUBLISH stream ends inside the remaining length",
		version: V311,
		raw: []byte{
			0x30, 0x80, // PUBLISH QoS 0, remaining length continues
		},
		err: io.ErrUnexpectedEOF,
	},
	{
		desc:    "PUBLISH over the size limit, refused from the fixed header",
		version: V311,
		max:     100,
		raw: []byte{
			0x30, 0x80, 0x01, // PUBLISH QoS 0, remaining length 128
			// body never read
		},
		err: ErrPacketTooLarge,
	},
	{
		desc:    "PUBLISH one byte over the size limit",
		version: V311,
		max:     6,
		raw: []byte{
			0x30, 5, // PUBLISH QoS 0, remaining length: 7 bytes in all
			0, 1, 't', // topic name
			'h', 'i', // payload
		},
		err: ErrPacketTooLarge,
	},
	{
		desc:    "PUBLISH exactly at the size limit",
		version: V311,
		max:     7,
		raw: []byte{
			0x30, 5, // PUBLISH QoS 0, remaining length: 7 bytes in all
			0, 1, 't', // topic name
			'h', 'i', // payload
		},
		packet: &Publish{Message{Topic: "t", Payload: []byte("hi")}},
	},
	{
		desc:    "PUBLISH remaining length of 5 bytes",
		version: V311,
		raw: []byte{
			0x30, 0x80, 0x80, 0x80, 0x80, 0x01, // PUBLISH QoS 0, 5-byte remaining length
		},
		err: ErrRemainingLength,
	},
	{
		desc:    "PUBLISH remaining length in a non-minimal encoding",
		version: V311,
		raw: []byte{
			0x30, 0x85, 0x00, // PUBLISH QoS 0, remaining length 5 in 2 bytes
			0, 1, 't', // topic name
			'h', 'i', // payload
		},
		packet:     &Publish{Message{Topic: "t", Payload: []byte("hi")}},
		decodeOnly: true,
	},

	// ------------------------------------------- PUBACK, PUBREC, PUBREL, PUBCOMP
	{
		desc:    "PUBACK 3.1.1",
		version: V311,
		raw: []byte{
			0x40, 2, // PUBACK, remaining length
			0x00, 0x01, // packet identifier
		},
		packet: &Puback{PacketID: 1},
	},
	{
		desc:    "PUBACK 3.1",
		version: V31,
		raw: []byte{
			0x40, 2, // PUBACK, remaining length
			0xab, 0xcd, // packet identifier
		},
		packet: &Puback{PacketID: 0xabcd},
	},
	{
		desc:    "PUBREC 3.1.1",
		version: V311,
		raw: []byte{
			0x50, 2, // PUBREC, remaining length
			0x12, 0x34, // packet identifier
		},
		packet: &Pubrec{PacketID: 0x1234},
	},
	{
		desc:    "PUBREC 3.1",
		version: V31,
		raw: []byte{
			0x50, 2, // PUBREC, remaining length
			0x00, 0x02, // packet identifier
		},
		packet: &Pubrec{PacketID: 2},
	},
	{
		desc:    "PUBREL 3.1.1",
		version: V311,
		raw: []byte{
			0x62, 2, // PUBREL with flags 0010, remaining length
			0xff, 0xff, // packet identifier
		},
		packet: &Pubrel{PacketID: 65535},
	},
	{
		desc:    "PUBREL 3.1",
		version: V31,
		raw: []byte{
			0x62, 2, // PUBREL with flags 0010 (QoS 1), remaining length
			0x00, 0x03, // packet identifier
		},
		packet: &Pubrel{PacketID: 3},
	},
	{
		desc:    "PUBREL 3.1 re-sent with DUP",
		version: V31,
		raw: []byte{
			0x6a, 2, // PUBREL with flags 1010 (DUP, QoS 1), remaining length
			0x00, 0x03, // packet identifier
		},
		packet:     &Pubrel{PacketID: 3},
		decodeOnly: true,
	},
	{
		desc:    "PUBCOMP 3.1.1",
		version: V311,
		raw: []byte{
			0x70, 2, // PUBCOMP, remaining length
			0x00, 0x09, // packet identifier
		},
		packet: &Pubcomp{PacketID: 9},
	},
	{
		desc:    "PUBCOMP 3.1",
		version: V31,
		raw: []byte{
			0x70, 2, // PUBCOMP, remaining length
			0x01, 0x00, // packet identifier
		},
		packet: &Pubcomp{PacketID: 256},
	},
	{
		desc:    "PUBACK packet identifier 0 [MQTT-2.3.1-1]",
		version: V311,
		raw: []byte{
			0x40, 2, // PUBACK, remaining length
			0x00, 0x00, // packet identifier
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "PUBREL packet identifier 0, 3.1",
		version: V31,
		raw: []byte{
			0x62, 2, // PUBREL, remaining length
			0x00, 0x00, // packet identifier
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "PUBREL fixed-header flags 0000 [MQTT-3.6.1-1]",
		version: V311,
		raw: []byte{
			0x60, 2, // PUBREL with flags 0000, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "PUBREL 3.1.1 with DUP",
		version: V311,
		raw: []byte{
			0x6a, 2, // PUBREL with flags 1010, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "PUBACK fixed-header flags 0010",
		version: V311,
		raw: []byte{
			0x42, 2, // PUBACK with flags 0010, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "PUBREC 3.1 with DUP",
		version: V31,
		raw: []byte{
			0x58, 2, // PUBREC with flags 1000, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "PUBCOMP fixed-header flags 0001",
		version: V311,
		raw: []byte{
			0x71, 2, // PUBCOMP with flags 0001, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "PUBACK without packet identifier",
		version: V311,
		raw: []byte{
			0x40, 1, // PUBACK, remaining length
			0x01, // half a packet identifier
		},
		err: ErrTruncated,
	},
	{
		desc:    "PUBACK empty body",
		version: V31,
		raw: []byte{
			0x40, 0, // PUBACK, remaining length
		},
		err: ErrTruncated,
	},
	{
		desc:    "PUBCOMP byte after the packet identifier",
		version: V311,
		raw: []byte{
			0x70, 3, // PUBCOMP, remaining length
			0x00, 0x01, // packet identifier
			0x00, // trailing byte
		},
		err: ErrTrailingBytes,
	},
	{
		desc:    "PUBREC stream ends inside the packet identifier",
		version: V311,
		raw: []byte{
			0x50, 2, // PUBREC, remaining length
			0x00, // packet identifier, first byte only
		},
		err: io.ErrUnexpectedEOF,
	},
	{
		desc:    "PUBACK read by a reader of an unsupported version",
		version: 6,
		raw: []byte{
			0x40, 2, // PUBACK, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrVersion,
	},
}
