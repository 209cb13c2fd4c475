package message

// MQTT 3.1 and 3.1.1 vectors of CONNECT and CONNACK. Rows are part of
// [vectors].
var v3ConnectVectors = []vector{
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
}
