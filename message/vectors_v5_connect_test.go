package message

// MQTT 5.0 vectors of CONNECT. Rows are part of [vectors].
var v5ConnectVectors = []vector{
	// ---------------------------------------------------------------- CONNECT
	{
		desc:    "CONNECT 5.0 minimal",
		version: V5,
		raw: []byte{
			0x10, 15, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,     // protocol level
			0x02,  // flags: clean start
			0, 60, // keep alive
			0,              // property length
			0, 2, 'c', '1', // client identifier
		},
		packet: &Connect{Version: V5, ClientID: "c1", CleanSession: true, KeepAlive: 60},
	},
	{
		desc:    "CONNECT 5.0 with every CONNECT property, a will with every will property, user name and password",
		version: V5,
		raw: []byte{
			0x10, 110, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,     // protocol level
			0xee,  // flags: user name, password, will retain, will QoS 1, will, clean start
			0, 30, // keep alive
			40,                     // property length
			0x11, 0, 0, 0x0e, 0x10, // Session Expiry Interval 3600
			0x15, 0, 5, 'S', 'C', 'R', 'A', 'M', // Authentication Method
			0x16, 0, 2, 1, 2, // Authentication Data
			0x17, 0, // Request Problem Information 0
			0x19, 1, // Request Response Information 1
			0x21, 0, 20, // Receive Maximum 20
			0x22, 0, 10, // Topic Alias Maximum 10
			0x26, 0, 1, 'a', 0, 1, 'b', // User Property a=b
			0x27, 0, 0, 0x10, 0, // Maximum Packet Size 4096
			0, 2, 'c', '1', // client identifier
			37,      // will property length
			0x01, 1, // Payload Format Indicator: UTF-8
			0x02, 0, 0, 0, 60, // Message Expiry Interval 60
			0x03, 0, 4, 't', 'e', 'x', 't', // Content Type
			0x08, 0, 3, 'r', '/', 't', // Response Topic
			0x09, 0, 2, 0xca, 0xfe, // Correlation Data
			0x18, 0, 0, 0, 5, // Will Delay Interval 5
			0x26, 0, 1, 'k', 0, 1, 'v', // User Property k=v
			0, 3, 'w', '/', 't', // will topic
			0, 3, 'b', 'y', 'e', // will payload
			0, 1, 'u', // user name
			0, 2, 'p', 'w', // password
		},
		packet: &Connect{Version: V5, ClientID: "c1", CleanSession: true, KeepAlive: 30,
			Properties: &Properties{SessionExpiry: Some[uint32](3600), AuthMethod: "SCRAM", AuthData: []byte{1, 2},
				RequestProblemInfo: Some(false), RequestResponseInfo: Some(true), ReceiveMaximum: Some[uint16](20),
				TopicAliasMaximum: Some[uint16](10), UserProperties: []UserProperty{{"a", "b"}},
				MaximumPacketSize: Some[uint32](4096)},
			Will: &Will{Topic: "w/t", Payload: []byte("bye"), QoS: QoS1, Retain: true,
				Properties: &Properties{PayloadFormat: Some[byte](1), MessageExpiry: Some[uint32](60),
					ContentType: "text", ResponseTopic: "r/t", CorrelationData: []byte{0xca, 0xfe},
					WillDelay: Some[uint32](5), UserProperties: []UserProperty{{"k", "v"}}}},
			UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("pw")},
	},
	{
		desc:    "CONNECT 5.0 password without user name is allowed",
		version: V5,
		raw: []byte{
			0x10, 18, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x42, // flags: password, clean start
			0, 0, // keep alive
			0,              // property length
			0, 2, 'c', '1', // client identifier
			0, 1, 'p', // password
		},
		packet: &Connect{Version: V5, ClientID: "c1", CleanSession: true, PasswordFlag: true, Password: []byte("p")},
	},
	{
		desc:    "CONNECT 5.0 empty client identifier with clean start 0: the server assigns one",
		version: V5,
		raw: []byte{
			0x10, 13, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x00, // flags
			0, 0, // keep alive
			0,    // property length
			0, 0, // client identifier (empty)
		},
		packet: &Connect{Version: V5},
	},
	{
		desc:    "CONNECT 5.0 read by a 3.1.1 reader: the level comes from the packet",
		version: V311,
		raw: []byte{
			0x10, 15, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			2,       // property length
			0x17, 1, // Request Problem Information 1
			0, 0, // client identifier (empty)
		},
		packet: &Connect{Version: V5, CleanSession: true, Properties: &Properties{RequestProblemInfo: Some(true)}},
	},
	{
		desc:    "CONNECT 5.0 empty string property is the same as none",
		version: V5,
		raw: []byte{
			0x10, 18, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			3,          // property length
			0x15, 0, 0, // Authentication Method (empty)
			0, 2, 'c', '1', // client identifier
		},
		packet:     &Connect{Version: V5, ClientID: "c1", CleanSession: true},
		decodeOnly: true,
	},
	{
		desc:    "CONNECT 5.0 property not allowed in CONNECT: Topic Alias [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x10, 18, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			3,          // property length
			0x23, 0, 1, // Topic Alias: PUBLISH only
			0, 2, 'c', '1', // client identifier
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "CONNECT 5.0 Will Delay Interval outside the will properties [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x10, 20, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			5,                // property length
			0x18, 0, 0, 0, 1, // Will Delay Interval: will properties only
			0, 2, 'c', '1', // client identifier
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "CONNECT 5.0 Session Expiry Interval in the will properties [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x10, 26, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x06, // flags: will, clean start
			0, 0, // keep alive
			0,              // property length
			0, 2, 'c', '1', // client identifier
			5,                // will property length
			0x11, 0, 0, 0, 1, // Session Expiry Interval: not a will property
			0, 1, 'w', // will topic
			0, 0, // will payload
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "CONNECT 5.0 Session Expiry Interval twice [3.1.2.11.2]",
		version: V5,
		raw: []byte{
			0x10, 25, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			10,               // property length
			0x11, 0, 0, 0, 1, // Session Expiry Interval 1
			0x11, 0, 0, 0, 2, // Session Expiry Interval again
			0, 2, 'c', '1', // client identifier
		},
		err: ErrDuplicateProperty,
	},
	{
		desc:    "CONNECT 5.0 Receive Maximum 0 [3.1.2.11.3]",
		version: V5,
		raw: []byte{
			0x10, 18, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			3,          // property length
			0x21, 0, 0, // Receive Maximum 0
			0, 2, 'c', '1', // client identifier
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "CONNECT 5.0 Maximum Packet Size 0 [3.1.2.11.4]",
		version: V5,
		raw: []byte{
			0x10, 20, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			5,                // property length
			0x27, 0, 0, 0, 0, // Maximum Packet Size 0
			0, 2, 'c', '1', // client identifier
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "CONNECT 5.0 Request Problem Information 2 [3.1.2.11.7]",
		version: V5,
		raw: []byte{
			0x10, 17, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			2,       // property length
			0x17, 2, // Request Problem Information 2
			0, 2, 'c', '1', // client identifier
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "CONNECT 5.0 Request Response Information 2 [3.1.2.11.6]",
		version: V5,
		raw: []byte{
			0x10, 17, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			2,       // property length
			0x19, 2, // Request Response Information 2
			0, 2, 'c', '1', // client identifier
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "CONNECT 5.0 unknown property identifier 0x04 [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x10, 17, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			2,       // property length
			0x04, 0, // identifier 0x04 is not defined
			0, 2, 'c', '1', // client identifier
		},
		err: ErrUnknownProperty,
	},
	{
		desc:    "CONNECT 5.0 property length in two bytes where one suffices [MQTT-1.5.5-1]",
		version: V5,
		raw: []byte{
			0x10, 16, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			0x80, 0x00, // property length 0 in two bytes
			0, 2, 'c', '1', // client identifier
		},
		err: ErrVarInt,
	},
	{
		desc:    "CONNECT 5.0 property length past the end of the packet",
		version: V5,
		raw: []byte{
			0x10, 15, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			9,              // property length: 4 bytes follow
			0, 2, 'c', '1', // client identifier
		},
		err: ErrTruncated,
	},
	{
		desc:    "CONNECT 5.0 User Property name not UTF-8 [MQTT-1.5.7-1]",
		version: V5,
		raw: []byte{
			0x10, 22, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x02, // flags: clean start
			0, 0, // keep alive
			7,                           // property length
			0x26, 0, 1, 0xff, 0, 1, 'v', // User Property with a name that is not UTF-8
			0, 2, 'c', '1', // client identifier
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "CONNECT 5.0 will Response Topic with a wildcard [MQTT-3.3.2-14]",
		version: V5,
		raw: []byte{
			0x10, 25, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x06, // flags: will, clean start
			0, 0, // keep alive
			0,              // property length
			0, 2, 'c', '1', // client identifier
			4,               // will property length
			0x08, 0, 1, '#', // Response Topic "#"
			0, 1, 'w', // will topic
			0, 0, // will payload
		},
		err: ErrInvalidTopic,
	},
	{
		desc:    "CONNECT 5.0 reserved flag set [MQTT-3.1.2-3]",
		version: V5,
		raw: []byte{
			0x10, 15, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x03, // flags: clean start, reserved
			0, 0, // keep alive
			0,              // property length
			0, 2, 'c', '1', // client identifier
		},
		err: ErrReservedFlag,
	},
	{
		desc:    "CONNECT 5.0 will QoS without will flag [MQTT-3.1.2-11]",
		version: V5,
		raw: []byte{
			0x10, 15, // CONNECT, remaining length
			0, 4, 'M', 'Q', 'T', 'T', // protocol name
			5,    // protocol level
			0x0a, // flags: will QoS 1, clean start, no will
			0, 0, // keep alive
			0,              // property length
			0, 2, 'c', '1', // client identifier
		},
		err: ErrWillFlags,
	},
	{
		desc:    "CONNECT protocol name MQIsdp with level 5 [MQTT-3.1.2-2]",
		version: V5,
		raw: []byte{
			0x10, 15, // CONNECT, remaining length
			0, 6, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name
			5,    // protocol level: 5.0 is "MQTT"
			0x02, // flags
			0, 0, // keep alive
			0,    // property length
			0, 0, // client identifier
		},
		err: ErrProtocolLevel,
	},
}
