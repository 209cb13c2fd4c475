package message

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"slices"
	"testing"
)

// vector is one packet on the wire. A row with a nil err is a valid packet:
// raw decodes to packet and, unless decodeOnly, packet encodes to exactly
// raw. A row with an err is refused with that sentinel.
type vector struct {
	desc       string
	version    Version
	max        int // size limit given to the decoder; 0 means none
	raw        []byte
	packet     Packet
	err        error
	decodeOnly bool // accepted, but not how the codec encodes the packet
}

// vectors holds every packet type in every protocol level and every way a
// packet can be refused: the 3.1 and 3.1.1 rows below and the 5.0 rows of
// the vectors_v5_*_test.go files.
var vectors = slices.Concat(vectors3, v5ConnectVectors, v5PublishVectors, v5SubscribeVectors)

// vectors3 are the rows of MQTT 3.1 and 3.1.1.
var vectors3 = []vector{
	// ---------------------------------------------------------------- CONNECT
	{
		desc:    "CONNECT 3.1.1 minimal",
		version: V311,
		raw: []byte{
			0x10, 14, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,     // protocol level
			0x02,  // flags: clean session
			0, 60, // keep alive
			0, 2, 'c', '1', // client identifier
		},
		packet: &Connect{Version: V311, ClientID: "c1", CleanSession: true, KeepAlive: 60},
	},
	{
		desc:    "CONNECT 3.1.1 with will, user name and password",
		version: V311,
		raw: []byte{
			0x10, 31, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,     // protocol level
			0xee,  // flags: user name, password, will retain, will QoS 1, will, clean session
			0, 30, // keep alive
			0, 2, 'c', '1', // client identifier
			0, 3, 'w', '/', 't', // will topic
			0, 3, 'b', 'y', 'e', // will message
			0, 1, 'u', // user name
			0, 2, 'p', 'w', // password
		},
		packet: &Connect{Version: V311, ClientID: "c1", CleanSession: true, KeepAlive: 30,
			Will:         &Will{Topic: "w/t", Payload: []byte("bye"), QoS: QoS1, Retain: true},
			UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("pw")},
	},
	{
		desc:    "CONNECT 3.1.1 empty client identifier, empty user name and will message",
		version: V311,
		raw: []byte{
			0x10, 22, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x96, // flags: user name, will QoS 2, will, clean session
			0, 0, // keep alive off
			0, 0, // client identifier (empty)
			0, 4, '$', 'a', '/', 'b', // will topic
			0, 0, // will message (empty)
			0, 0, // user name (empty)
		},
		packet: &Connect{Version: V311, CleanSession: true,
			Will:         &Will{Topic: "$a/b", QoS: QoS2},
			UsernameFlag: true},
	},
	{
		desc:    "CONNECT 3.1 minimal",
		version: V31,
		raw: []byte{
			0x10, 16, // CONNECT, remaining length
			0, 6, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name
			3,     // protocol level
			0x02,  // flags: clean session
			0, 60, // keep alive
			0, 2, 'c', '1', // client identifier
		},
		packet: &Connect{Version: V31, ClientID: "c1", CleanSession: true, KeepAlive: 60},
	},
	{
		desc:    "CONNECT 3.1 with will and user name",
		version: V31,
		raw: []byte{
			0x10, 30, // CONNECT, remaining length
			0, 6, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name
			3,       // protocol level
			0x94,    // flags: user name, will QoS 2, will; no clean session
			0x01, 0, // keep alive 256
			0, 3, 'c', 'i', 'd', // client identifier
			0, 1, 'w', // will topic
			0, 2, 0xff, 0x00, // will message: binary
			0, 4, 'u', 's', 'e', 'r', // user name
		},
		packet: &Connect{Version: V31, ClientID: "cid", KeepAlive: 256,
			Will:         &Will{Topic: "w", Payload: []byte{0xff, 0x00}, QoS: QoS2},
			UsernameFlag: true, Username: "user"},
	},
	{
		desc:    "CONNECT 3.1 password without user name",
		version: V31,
		raw: []byte{
			0x10, 18, // CONNECT, remaining length
			0, 6, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name
			3,    // protocol level
			0x40, // flags: password
			0, 0, // keep alive
			0, 1, 'c', // client identifier
			0, 1, 'p', // password
		},
		packet: &Connect{Version: V31, ClientID: "c", PasswordFlag: true, Password: []byte("p")},
		// Accepted when received; Append refuses to send it (MQTT 3.1
		// sends a password only after a user name).
		decodeOnly: true,
	},
	{
		desc:    "CONNECT 3.1 read by a 3.1.1 reader: the level comes from the packet",
		version: V311,
		raw: []byte{
			0x10, 14, // CONNECT, remaining length
			0, 6, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name
			3,    // protocol level
			0x00, // flags
			0, 0, // keep alive
			0, 0, // client identifier (empty)
		},
		packet: &Connect{Version: V31},
		// An empty client identifier is accepted when received; MQTT 3.1
		// requires 1 to 23 characters, so Append refuses it.
		decodeOnly: true,
	},
	{
		desc:    "CONNECT read by a reader of no version yet",
		version: 0,
		raw: []byte{
			0x10, 12, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x02, // flags: clean session
			0, 0, // keep alive
			0, 0, // client identifier (empty)
		},
		packet: &Connect{Version: V311, CleanSession: true},
	},
	{
		desc:    "CONNECT protocol name MQTT with level 3",
		version: V311,
		raw: []byte{
			0x10, 12, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			3,    // protocol level: 3.1 is "MQIsdp"
			0x02, // flags
			0, 0, // keep alive
			0, 0, // client identifier
		},
		err: ErrProtocolLevel, // [MQTT-3.1.2-2]
	},
	{
		desc:    "CONNECT protocol name MQIsdp with level 4",
		version: V31,
		raw: []byte{
			0x10, 14, // CONNECT, remaining length
			0, 6, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name
			4,    // protocol level: 3.1.1 is "MQTT"
			0x02, // flags
			0, 0, // keep alive
			0, 0, // client identifier
		},
		err: ErrProtocolLevel, // [MQTT-3.1.2-2]
	},
	{
		desc:    "CONNECT level 6 is not supported",
		version: V311,
		raw: []byte{
			0x10, 13, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			6,    // protocol level 6
			0x02, // flags
			0, 0, // keep alive
			0,    // properties length
			0, 0, // client identifier
		},
		err: ErrProtocolLevel, // [MQTT-3.1.2-2]
	},
	{
		desc:    "CONNECT protocol name in lower case",
		version: V311,
		raw: []byte{
			0x10, 12, // CONNECT, remaining length
			0, 4, 'm', 'q', 't', 't', // protocol name
			4,    // protocol level
			0x02, // flags
			0, 0, // keep alive
			0, 0, // client identifier
		},
		err: ErrProtocolName, // [MQTT-3.1.2-1]
	},
	{
		desc:    "CONNECT reserved flag set [MQTT-3.1.2-3]",
		version: V311,
		raw: []byte{
			0x10, 12, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x03, // flags: clean session, reserved
			0, 0, // keep alive
			0, 0, // client identifier
		},
		err: ErrReservedFlag,
	},
	{
		desc:    "CONNECT will QoS without will flag [MQTT-3.1.2-13]",
		version: V311,
		raw: []byte{
			0x10, 12, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x0a, // flags: will QoS 1, clean session, no will
			0, 0, // keep alive
			0, 0, // client identifier
		},
		err: ErrWillFlags,
	},
	{
		desc:    "CONNECT will retain without will flag [MQTT-3.1.2-15]",
		version: V31,
		raw: []byte{
			0x10, 14, // CONNECT, remaining length
			0, 6, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name
			3,    // protocol level
			0x20, // flags: will retain, no will
			0, 0, // keep alive
			0, 0, // client identifier
		},
		err: ErrWillFlags,
	},
	{
		desc:    "CONNECT will QoS 3 [MQTT-3.1.2-14]",
		version: V311,
		raw: []byte{
			0x10, 18, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x1c, // flags: will QoS 3, will
			0, 0, // keep alive
			0, 0, // client identifier
			0, 1, 't', // will topic
			0, 1, 'm', // will message
		},
		err: ErrInvalidQoS,
	},
	{
		desc:    "CONNECT 3.1.1 password without user name [MQTT-3.1.2-22]",
		version: V311,
		raw: []byte{
			0x10, 15, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x40, // flags: password
			0, 0, // keep alive
			0, 0, // client identifier
			0, 1, 'p', // password
		},
		err: ErrPasswordFlag,
	},
	{
		desc:    "CONNECT will flag without will topic",
		version: V311,
		raw: []byte{
			0x10, 12, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x04, // flags: will
			0, 0, // keep alive
			0, 0, // client identifier; no will topic follows
		},
		err: ErrTruncated,
	},
	{
		desc:    "CONNECT will topic with a wildcard",
		version: V311,
		raw: []byte{
			0x10, 18, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x04, // flags: will
			0, 0, // keep alive
			0, 0, // client identifier
			0, 1, '#', // will topic
			0, 1, 'm', // will message
		},
		err: ErrInvalidTopic,
	},
	{
		desc:    "CONNECT client identifier not UTF-8",
		version: V311,
		raw: []byte{
			0x10, 13, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x02, // flags
			0, 0, // keep alive
			0, 1, 0xc3, // client identifier: a lone lead byte
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "CONNECT user name with U+0000",
		version: V311,
		raw: []byte{
			0x10, 16, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x82, // flags: user name, clean session
			0, 0, // keep alive
			0, 0, // client identifier
			0, 2, 'u', 0, // user name
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "CONNECT user name flag without user name",
		version: V311,
		raw: []byte{
			0x10, 12, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x82, // flags: user name, clean session
			0, 0, // keep alive
			0, 0, // client identifier; no user name follows
		},
		err: ErrTruncated,
	},
	{
		desc:    "CONNECT byte after the last field",
		version: V311,
		raw: []byte{
			0x10, 13, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x02, // flags
			0, 0, // keep alive
			0, 0, // client identifier
			'x', // trailing byte
		},
		err: ErrTrailingBytes,
	},
	{
		desc:    "CONNECT fixed-header flags 0001",
		version: V311,
		raw: []byte{
			0x11, 12, // CONNECT with flags 0001, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			4,    // protocol level
			0x02, // flags
			0, 0, // keep alive
			0, 0, // client identifier
		},
		err: ErrInvalidFlags,
	},

	// ---------------------------------------------------------------- CONNACK
	{
		desc:    "CONNACK 3.1.1 accepted, session present",
		version: V311,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x01, // acknowledge flags: session present
			0x00, // return code: accepted
		},
		packet: &Connack{SessionPresent: true, ReturnCode: Accepted},
	},
	{
		desc:    "CONNACK 3.1.1 not authorized",
		version: V311,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x00, // acknowledge flags
			0x05, // return code: not authorized
		},
		packet: &Connack{ReturnCode: RefusedNotAuthorized},
	},
	{
		desc:    "CONNACK 3.1 accepted",
		version: V31,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x00, // reserved
			0x00, // return code: accepted
		},
		packet: &Connack{ReturnCode: Accepted},
	},
	{
		desc:    "CONNACK 3.1 identifier rejected",
		version: V31,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x00, // reserved
			0x02, // return code: identifier rejected
		},
		packet: &Connack{ReturnCode: RefusedIdentifierRejected},
	},
	{
		desc:    "CONNACK 3.1 ignores the reserved byte",
		version: V31,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x01, // reserved: no session present flag in 3.1
			0x00, // return code: accepted
		},
		packet:     &Connack{ReturnCode: Accepted},
		decodeOnly: true,
	},
	{
		desc:    "CONNACK 3.1.1 reserved acknowledge flag [MQTT-3.2.2-1]",
		version: V311,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x02, // acknowledge flags: reserved bit 1
			0x00, // return code
		},
		err: ErrReservedFlag,
	},
	{
		desc:    "CONNACK reserved return code 0x80 is a refusal",
		version: V311,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x00, // acknowledge flags
			0x80, // return code: reserved (some brokers send 5.0 reason codes)
		},
		packet:     &Connack{ReturnCode: 0x80},
		decodeOnly: true,
	},
	{
		desc:    "CONNACK 3.1.1 session present with a refusal [MQTT-3.2.2-4]",
		version: V311,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x01, // acknowledge flags: session present
			0x04, // return code: bad user name or password
		},
		err: ErrReturnCode,
	},
	{
		desc:    "CONNACK without return code",
		version: V311,
		raw: []byte{
			0x20, 1, // CONNACK, remaining length
			0x00, // acknowledge flags
		},
		err: ErrTruncated,
	},
	{
		desc:    "CONNACK byte after the return code",
		version: V31,
		raw: []byte{
			0x20, 3, // CONNACK, remaining length
			0x00, // reserved
			0x00, // return code
			0x00, // trailing byte
		},
		err: ErrTrailingBytes,
	},
	{
		desc:    "CONNACK fixed-header flags 0010",
		version: V311,
		raw: []byte{
			0x22, 2, // CONNACK with flags 0010, remaining length
			0x00, // acknowledge flags
			0x00, // return code
		},
		err: ErrInvalidFlags,
	},

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

	// -------------------------------------------------------------- SUBSCRIBE
	{
		desc:    "SUBSCRIBE 3.1.1 two filters",
		version: V311,
		raw: []byte{
			0x82, 12, // SUBSCRIBE with flags 0010, remaining length
			0x00, 0x0a, // packet identifier
			0, 3, 'a', '/', '+', // topic filter
			0x01,      // requested QoS 1
			0, 1, '#', // topic filter
			0x02, // requested QoS 2
		},
		packet: &Subscribe{PacketID: 10, Subscriptions: []Subscription{{Filter: "a/+", QoS: QoS1}, {Filter: "#", QoS: QoS2}}},
	},
	{
		desc:    "SUBSCRIBE 3.1 one filter",
		version: V31,
		raw: []byte{
			0x82, 11, // SUBSCRIBE with flags 0010 (QoS 1), remaining length
			0x00, 0x01, // packet identifier
			0, 6, '$', 'S', 'Y', 'S', '/', '#', // topic filter
			0x00, // requested QoS 0
		},
		packet: &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "$SYS/#", QoS: QoS0}}},
	},
	{
		desc:    "SUBSCRIBE 3.1 re-sent with DUP",
		version: V31,
		raw: []byte{
			0x8a, 6, // SUBSCRIBE with flags 1010 (DUP, QoS 1), remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
			0x01, // requested QoS 1
		},
		packet:     &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: QoS1}}},
		decodeOnly: true,
	},
	{
		desc:    "SUBSCRIBE 3.1 ignores the upper bits of the requested QoS",
		version: V31,
		raw: []byte{
			0x82, 6, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
			0xf1, // requested QoS 1, upper bits not used in 3.1
		},
		packet:     &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: QoS1}}},
		decodeOnly: true,
	},
	{
		desc:    "SUBSCRIBE 3.1.1 with DUP",
		version: V311,
		raw: []byte{
			0x8a, 6, // SUBSCRIBE with flags 1010, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
			0x01, // requested QoS 1
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "SUBSCRIBE fixed-header flags 0000 [MQTT-3.8.1-1]",
		version: V311,
		raw: []byte{
			0x80, 6, // SUBSCRIBE with flags 0000, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
			0x01, // requested QoS 1
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "SUBSCRIBE packet identifier 0",
		version: V311,
		raw: []byte{
			0x82, 6, // SUBSCRIBE, remaining length
			0x00, 0x00, // packet identifier
			0, 1, 'a', // topic filter
			0x01, // requested QoS 1
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "SUBSCRIBE without a filter [MQTT-3.8.3-3]",
		version: V311,
		raw: []byte{
			0x82, 2, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrNoFilters,
	},
	{
		desc:    "SUBSCRIBE 3.1 without a filter",
		version: V31,
		raw: []byte{
			0x82, 2, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrNoFilters,
	},
	{
		desc:    "SUBSCRIBE requested QoS 3 [MQTT-3.8.3-4]",
		version: V311,
		raw: []byte{
			0x82, 6, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
			0x03, // requested QoS 3
		},
		err: ErrInvalidQoS,
	},
	{
		desc:    "SUBSCRIBE 3.1 requested QoS 3",
		version: V31,
		raw: []byte{
			0x82, 6, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
			0x03, // requested QoS 3
		},
		err: ErrInvalidQoS,
	},
	{
		desc:    "SUBSCRIBE 3.1.1 reserved bits in the requested QoS [MQTT-3.8.3-4]",
		version: V311,
		raw: []byte{
			0x82, 6, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
			0x41, // requested QoS 1 with a reserved bit
		},
		err: ErrReservedFlag,
	},
	{
		desc:    "SUBSCRIBE filter without requested QoS",
		version: V311,
		raw: []byte{
			0x82, 5, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter; no QoS byte follows
		},
		err: ErrTruncated,
	},
	{
		desc:    "SUBSCRIBE filter a/#/b [MQTT-4.7.1-2]",
		version: V311,
		raw: []byte{
			0x82, 10, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 5, 'a', '/', '#', '/', 'b', // topic filter
			0x00, // requested QoS 0
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "SUBSCRIBE filter a+/b [MQTT-4.7.1-3]",
		version: V311,
		raw: []byte{
			0x82, 9, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 4, 'a', '+', '/', 'b', // topic filter
			0x00, // requested QoS 0
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "SUBSCRIBE filter #x",
		version: V31,
		raw: []byte{
			0x82, 7, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 2, '#', 'x', // topic filter
			0x00, // requested QoS 0
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "SUBSCRIBE empty filter [MQTT-4.7.3-1]",
		version: V311,
		raw: []byte{
			0x82, 5, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 0, // topic filter (empty)
			0x00, // requested QoS 0
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "SUBSCRIBE second filter invalid",
		version: V311,
		raw: []byte{
			0x82, 11, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
			0x00,           // requested QoS 0
			0, 2, '+', '+', // topic filter
			0x00, // requested QoS 0
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "SUBSCRIBE filter not UTF-8",
		version: V311,
		raw: []byte{
			0x82, 6, // SUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 0x80, // topic filter: a continuation byte alone
			0x00, // requested QoS 0
		},
		err: ErrInvalidUTF8,
	},

	// ----------------------------------------------------------------- SUBACK
	{
		desc:    "SUBACK 3.1.1 granted and failure",
		version: V311,
		raw: []byte{
			0x90, 5, // SUBACK, remaining length
			0x00, 0x0a, // packet identifier
			0x01, // granted QoS 1
			0x80, // failure
			0x00, // granted QoS 0
		},
		packet: &Suback{PacketID: 10, ReturnCodes: []SubackCode{1, SubackFailure, 0}},
	},
	{
		desc:    "SUBACK 3.1",
		version: V31,
		raw: []byte{
			0x90, 3, // SUBACK, remaining length
			0x00, 0x01, // packet identifier
			0x02, // granted QoS 2
		},
		packet: &Suback{PacketID: 1, ReturnCodes: []SubackCode{2}},
	},
	{
		desc:    "SUBACK 3.1 failure code does not exist [MQTT-3.9.3-2]",
		version: V31,
		raw: []byte{
			0x90, 3, // SUBACK, remaining length
			0x00, 0x01, // packet identifier
			0x80, // failure: 3.1.1 only
		},
		err: ErrReturnCode,
	},
	{
		desc:    "SUBACK return code 3",
		version: V311,
		raw: []byte{
			0x90, 3, // SUBACK, remaining length
			0x00, 0x01, // packet identifier
			0x03, // reserved
		},
		err: ErrReturnCode,
	},
	{
		desc:    "SUBACK without a return code",
		version: V311,
		raw: []byte{
			0x90, 2, // SUBACK, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrReturnCode,
	},
	{
		desc:    "SUBACK packet identifier 0",
		version: V311,
		raw: []byte{
			0x90, 3, // SUBACK, remaining length
			0x00, 0x00, // packet identifier
			0x00, // granted QoS 0
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "SUBACK fixed-header flags 0010",
		version: V311,
		raw: []byte{
			0x92, 3, // SUBACK with flags 0010, remaining length
			0x00, 0x01, // packet identifier
			0x00, // granted QoS 0
		},
		err: ErrInvalidFlags,
	},

	// ------------------------------------------------------------ UNSUBSCRIBE
	{
		desc:    "UNSUBSCRIBE 3.1.1 two filters",
		version: V311,
		raw: []byte{
			0xa2, 11, // UNSUBSCRIBE with flags 0010, remaining length
			0x00, 0x05, // packet identifier
			0, 3, 'a', '/', 'b', // topic filter
			0, 2, '/', '#', // topic filter
		},
		packet: &Unsubscribe{PacketID: 5, Filters: []string{"a/b", "/#"}},
	},
	{
		desc:    "UNSUBSCRIBE 3.1",
		version: V31,
		raw: []byte{
			0xa2, 5, // UNSUBSCRIBE with flags 0010 (QoS 1), remaining length
			0x00, 0x06, // packet identifier
			0, 1, '+', // topic filter
		},
		packet: &Unsubscribe{PacketID: 6, Filters: []string{"+"}},
	},
	{
		desc:    "UNSUBSCRIBE 3.1 re-sent with DUP",
		version: V31,
		raw: []byte{
			0xaa, 5, // UNSUBSCRIBE with flags 1010 (DUP, QoS 1), remaining length
			0x00, 0x06, // packet identifier
			0, 1, '+', // topic filter
		},
		packet:     &Unsubscribe{PacketID: 6, Filters: []string{"+"}},
		decodeOnly: true,
	},
	{
		desc:    "UNSUBSCRIBE fixed-header flags 0000 [MQTT-3.10.1-1]",
		version: V311,
		raw: []byte{
			0xa0, 5, // UNSUBSCRIBE with flags 0000, remaining length
			0x00, 0x01, // packet identifier
			0, 1, 'a', // topic filter
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "UNSUBSCRIBE without a filter [MQTT-3.10.3-2]",
		version: V311,
		raw: []byte{
			0xa2, 2, // UNSUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
		},
		err: ErrNoFilters,
	},
	{
		desc:    "UNSUBSCRIBE packet identifier 0",
		version: V31,
		raw: []byte{
			0xa2, 5, // UNSUBSCRIBE, remaining length
			0x00, 0x00, // packet identifier
			0, 1, 'a', // topic filter
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "UNSUBSCRIBE filter a/#/b",
		version: V311,
		raw: []byte{
			0xa2, 9, // UNSUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 5, 'a', '/', '#', '/', 'b', // topic filter
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "UNSUBSCRIBE filter with U+0000",
		version: V311,
		raw: []byte{
			0xa2, 6, // UNSUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 2, 'a', 0, // topic filter
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "UNSUBSCRIBE filter length past the end of the body",
		version: V311,
		raw: []byte{
			0xa2, 5, // UNSUBSCRIBE, remaining length
			0x00, 0x01, // packet identifier
			0, 9, 'a', // topic filter: 9 bytes announced, 1 present
		},
		err: ErrTruncated,
	},

	// --------------------------------------------------------------- UNSUBACK
	{
		desc:    "UNSUBACK 3.1.1",
		version: V311,
		raw: []byte{
			0xb0, 2, // UNSUBACK, remaining length
			0x00, 0x05, // packet identifier
		},
		packet: &Unsuback{PacketID: 5},
	},
	{
		desc:    "UNSUBACK 3.1",
		version: V31,
		raw: []byte{
			0xb0, 2, // UNSUBACK, remaining length
			0x00, 0x06, // packet identifier
		},
		packet: &Unsuback{PacketID: 6},
	},
	{
		desc:    "UNSUBACK packet identifier 0",
		version: V311,
		raw: []byte{
			0xb0, 2, // UNSUBACK, remaining length
			0x00, 0x00, // packet identifier
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "UNSUBACK byte after the packet identifier",
		version: V31,
		raw: []byte{
			0xb0, 3, // UNSUBACK, remaining length
			0x00, 0x05, // packet identifier
			0x00, // trailing byte
		},
		err: ErrTrailingBytes,
	},

	// ------------------------------------------- PINGREQ, PINGRESP, DISCONNECT
	{
		desc:    "PINGREQ 3.1.1",
		version: V311,
		raw:     []byte{0xc0, 0}, // PINGREQ, remaining length
		packet:  &Pingreq{},
	},
	{
		desc:    "PINGREQ 3.1",
		version: V31,
		raw:     []byte{0xc0, 0}, // PINGREQ, remaining length
		packet:  &Pingreq{},
	},
	{
		desc:    "PINGRESP 3.1.1",
		version: V311,
		raw:     []byte{0xd0, 0}, // PINGRESP, remaining length
		packet:  &Pingresp{},
	},
	{
		desc:    "PINGRESP 3.1",
		version: V31,
		raw:     []byte{0xd0, 0}, // PINGRESP, remaining length
		packet:  &Pingresp{},
	},
	{
		desc:    "DISCONNECT 3.1.1",
		version: V311,
		raw:     []byte{0xe0, 0}, // DISCONNECT, remaining length
		packet:  &Disconnect{},
	},
	{
		desc:    "DISCONNECT 3.1",
		version: V31,
		raw:     []byte{0xe0, 0}, // DISCONNECT, remaining length
		packet:  &Disconnect{},
	},
	{
		desc:    "PINGREQ with a body",
		version: V311,
		raw: []byte{
			0xc0, 1, // PINGREQ, remaining length
			0x00, // trailing byte
		},
		err: ErrTrailingBytes,
	},
	{
		desc:    "PINGRESP fixed-header flags 0010",
		version: V31,
		raw:     []byte{0xd2, 0}, // PINGRESP with flags 0010, remaining length
		err:     ErrInvalidFlags,
	},
	{
		desc:    "DISCONNECT fixed-header flags 1000",
		version: V311,
		raw:     []byte{0xe8, 0}, // DISCONNECT with flags 1000, remaining length
		err:     ErrInvalidFlags,
	},
	{
		desc:    "DISCONNECT with a body",
		version: V31,
		raw: []byte{
			0xe0, 2, // DISCONNECT, remaining length
			0x00, 0x00, // trailing bytes
		},
		err: ErrTrailingBytes,
	},
	{
		desc:    "PINGREQ remaining length of 5 bytes",
		version: V311,
		raw: []byte{
			0xc0, 0xff, 0xff, 0xff, 0xff, 0x7f, // PINGREQ, 5-byte remaining length
		},
		err: ErrRemainingLength,
	},

	// ------------------------------------------------------ reserved types
	{
		desc:    "packet type 0",
		version: V311,
		raw:     []byte{0x00, 0}, // reserved type 0, remaining length
		err:     ErrInvalidType,
	},
	{
		desc:    "packet type 0, 3.1",
		version: V31,
		raw:     []byte{0x00}, // reserved type 0; nothing else needs reading
		err:     ErrInvalidType,
	},
	{
		desc:    "packet type 15 (AUTH is 5.0 only)",
		version: V311,
		raw: []byte{
			0xf0, 2, // type 15, remaining length
			0x00, 0x00, // reason code, properties length
		},
		err: ErrInvalidType,
	},
	{
		desc:    "packet type 15, 3.1",
		version: V31,
		raw:     []byte{0xf0, 0}, // type 15, remaining length
		err:     ErrInvalidType,
	},
}

// decodeVector decodes v.raw twice, with a Reader and with Decode, checks
// that both agree, and returns the Reader's result. A valid packet must be
// the whole input.
func decodeVector(t *testing.T, v vector) (Packet, error) {
	t.Helper()
	r := NewReader(bytes.NewReader(v.raw), v.version, v.max)
	got, err := r.ReadPacket()
	if err == nil {
		if _, err := r.ReadPacket(); err != io.EOF {
			t.Errorf("ReadPacket after the packet: got %v, want io.EOF", err)
		}
	}
	dp, n, derr := Decode(v.raw, v.version, v.max)
	switch {
	case (err == nil) != (derr == nil):
		t.Errorf("Decode error %v, ReadPacket error %v", derr, err)
	case err != nil && derr.Error() != err.Error():
		t.Errorf("Decode error %q, ReadPacket error %q", derr, err)
	case err == nil && !reflect.DeepEqual(dp, got):
		t.Errorf("Decode got %#v, ReadPacket got %#v", dp, got)
	case err == nil && n != len(v.raw):
		t.Errorf("Decode took %d bytes, want %d", n, len(v.raw))
	}
	return got, err
}

func TestVectorsDecode(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.desc, func(t *testing.T) {
			got, err := decodeVector(t, v)
			if v.err == nil {
				if err != nil {
					t.Fatalf("got error %v, want %#v", err, v.packet)
				}
				if !reflect.DeepEqual(got, v.packet) {
					t.Errorf("got %#v, want %#v", got, v.packet)
				}
				return
			}
			if !errors.Is(err, v.err) {
				t.Fatalf("got %v (packet %#v), want error %v", err, got, v.err)
			}
			if got != nil {
				t.Errorf("got packet %#v with the error, want nil", got)
			}
			if v.err == io.ErrUnexpectedEOF || v.err == ErrVersion {
				return
			}
			// Every refusal of a received packet is an *Error of the
			// ErrMalformed or ErrPacketTooLarge family naming the type.
			family := ErrMalformed
			if v.err == ErrPacketTooLarge {
				family = ErrPacketTooLarge
			}
			if !errors.Is(err, family) {
				t.Errorf("got %v, want it to match %v", err, family)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T, want *Error", err)
			}
			if want := Type(v.raw[0] >> 4); e.Type != want {
				t.Errorf("got Error.Type %v, want %v", e.Type, want)
			}
		})
	}
}

func TestVectorsEncode(t *testing.T) {
	for _, v := range vectors {
		if v.err != nil || v.decodeOnly {
			continue
		}
		t.Run(v.desc, func(t *testing.T) {
			version := v.version
			if c, ok := v.packet.(*Connect); ok {
				version = c.Version // CONNECT carries its own level
			}
			got, err := v.packet.Append(nil, version)
			if err != nil {
				t.Fatalf("Append: got error %v, want % x", err, v.raw)
			}
			if !bytes.Equal(got, v.raw) {
				t.Errorf("Append: got % x, want % x", got, v.raw)
			}

			// Appending keeps what dst holds and, with room, does not allocate.
			dst := make([]byte, 3, 3+len(v.raw))
			dst[0], dst[1], dst[2] = 'p', 'r', 'e'
			got, err = v.packet.Append(dst, version)
			if err != nil || !bytes.Equal(got[:3], []byte("pre")) || !bytes.Equal(got[3:], v.raw) {
				t.Errorf("Append after a prefix: got % x, %v, want \"pre\" then % x", got, err, v.raw)
			}
			if allocs := testing.AllocsPerRun(10, func() { _, _ = v.packet.Append(dst[:0], version) }); allocs != 0 {
				t.Errorf("Append into a buffer with room: got %v allocations, want 0", allocs)
			}

			var w bytes.Buffer
			if err := Write(&w, v.packet, version); err != nil || !bytes.Equal(w.Bytes(), v.raw) {
				t.Errorf("Write: got % x, %v, want % x", w.Bytes(), err, v.raw)
			}
		})
	}
}
