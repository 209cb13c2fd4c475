package message

// MQTT 5.0 vectors of the connection packets: CONNECT, CONNACK, DISCONNECT
// and AUTH. Rows are part of [vectors].
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

	// ---------------------------------------------------------------- CONNACK
	{
		desc:    "CONNACK 5.0 success",
		version: V5,
		raw: []byte{
			0x20, 3, // CONNACK, remaining length
			0x00, // acknowledge flags
			0x00, // reason code: Success
			0,    // property length
		},
		packet: &Connack{},
	},
	{
		desc:    "CONNACK 5.0 session present",
		version: V5,
		raw: []byte{
			0x20, 3, // CONNACK, remaining length
			0x01, // acknowledge flags: session present
			0x00, // reason code: Success
			0,    // property length
		},
		packet: &Connack{SessionPresent: true},
	},
	{
		desc:    "CONNACK 5.0 Not authorized with a Reason String",
		version: V5,
		raw: []byte{
			0x20, 9, // CONNACK, remaining length
			0x00,                      // acknowledge flags
			0x87,                      // reason code: Not authorized
			6,                         // property length
			0x1f, 0, 3, 'n', 'o', '!', // Reason String
		},
		packet: &Connack{ReturnCode: ConnackCode(NotAuthorized), Properties: &Properties{ReasonString: "no!"}},
	},
	{
		desc:    "CONNACK 5.0 with every CONNACK property",
		version: V5,
		raw: []byte{
			0x20, 65, // CONNACK, remaining length
			0x00,               // acknowledge flags
			0x00,               // reason code: Success
			62,                 // property length
			0x11, 0, 0, 0, 120, // Session Expiry Interval 120
			0x12, 0, 3, 'a', 'b', 'c', // Assigned Client Identifier
			0x13, 0, 30, // Server Keep Alive 30
			0x15, 0, 1, 'm', // Authentication Method
			0x16, 0, 0, // Authentication Data (empty)
			0x1a, 0, 1, 'r', // Response Information
			0x1c, 0, 1, 's', // Server Reference
			0x1f, 0, 2, 'o', 'k', // Reason String
			0x21, 0, 100, // Receive Maximum 100
			0x22, 0, 5, // Topic Alias Maximum 5
			0x24, 1, // Maximum QoS 1
			0x25, 0, // Retain Available 0
			0x26, 0, 1, 'x', 0, 1, 'y', // User Property x=y
			0x27, 0, 1, 0, 0, // Maximum Packet Size 65536
			0x28, 1, // Wildcard Subscription Available 1
			0x29, 0, // Subscription Identifier Available 0
			0x2a, 1, // Shared Subscription Available 1
		},
		packet: &Connack{Properties: &Properties{SessionExpiry: Some[uint32](120), AssignedClientID: "abc",
			ServerKeepAlive: Some[uint16](30), AuthMethod: "m", AuthData: []byte{}, ResponseInfo: "r",
			ServerReference: "s", ReasonString: "ok", ReceiveMaximum: Some[uint16](100),
			TopicAliasMaximum: Some[uint16](5), MaximumQoS: Some(QoS1), RetainAvailable: Some(false),
			UserProperties: []UserProperty{{"x", "y"}}, MaximumPacketSize: Some[uint32](65536),
			WildcardSubAvail: Some(true), SubIDAvail: Some(false), SharedSubAvail: Some(true)}},
	},
	{
		desc:    "CONNACK 5.0 reason code not for CONNACK: 0x04 [MQTT-3.2.2-8]",
		version: V5,
		raw: []byte{
			0x20, 3, // CONNACK, remaining length
			0x00, // acknowledge flags
			0x04, // reason code: Disconnect with Will Message
			0,    // property length
		},
		err: ErrReasonCode,
	},
	{
		desc:    "CONNACK 5.0 session present with a refusal [MQTT-3.2.2-6]",
		version: V5,
		raw: []byte{
			0x20, 3, // CONNACK, remaining length
			0x01, // acknowledge flags: session present
			0x80, // reason code: Unspecified error
			0,    // property length
		},
		err: ErrReturnCode,
	},
	{
		desc:    "CONNACK 5.0 reserved acknowledge flag [MQTT-3.2.2-1]",
		version: V5,
		raw: []byte{
			0x20, 3, // CONNACK, remaining length
			0x02, // acknowledge flags: reserved bit 1
			0x00, // reason code
			0,    // property length
		},
		err: ErrReservedFlag,
	},
	{
		desc:    "CONNACK 5.0 without a property length",
		version: V5,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x00, // acknowledge flags
			0x00, // reason code
		},
		err: ErrTruncated,
	},
	{
		desc:    "CONNACK 5.0 Maximum QoS 2 [3.2.2.3.4]",
		version: V5,
		raw: []byte{
			0x20, 5, // CONNACK, remaining length
			0x00,    // acknowledge flags
			0x00,    // reason code
			2,       // property length
			0x24, 2, // Maximum QoS 2
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "CONNACK 5.0 Retain Available 2 [3.2.2.3.5]",
		version: V5,
		raw: []byte{
			0x20, 5, // CONNACK, remaining length
			0x00,    // acknowledge flags
			0x00,    // reason code
			2,       // property length
			0x25, 2, // Retain Available 2
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "CONNACK 5.0 Topic Alias is not a CONNACK property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x20, 6, // CONNACK, remaining length
			0x00,       // acknowledge flags
			0x00,       // reason code
			3,          // property length
			0x23, 0, 1, // Topic Alias
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "CONNACK 5.0 Reason String twice [3.2.2.3.9]",
		version: V5,
		raw: []byte{
			0x20, 11, // CONNACK, remaining length
			0x00,            // acknowledge flags
			0x80,            // reason code
			8,               // property length
			0x1f, 0, 1, 'a', // Reason String
			0x1f, 0, 1, 'b', // Reason String again
		},
		err: ErrDuplicateProperty,
	},
	{
		desc:    "CONNACK 5.0 Server Keep Alive cut short",
		version: V5,
		raw: []byte{
			0x20, 5, // CONNACK, remaining length
			0x00,    // acknowledge flags
			0x00,    // reason code
			2,       // property length
			0x13, 0, // Server Keep Alive with one byte of two
		},
		err: ErrTruncated,
	},

	// ------------------------------------------------------------- DISCONNECT
	{
		desc:    "DISCONNECT 5.0 remaining length 0: Normal disconnection",
		version: V5,
		raw: []byte{
			0xe0, 0, // DISCONNECT, remaining length
		},
		packet: &Disconnect{},
	},
	{
		desc:    "DISCONNECT 5.0 reason code without properties",
		version: V5,
		raw: []byte{
			0xe0, 1, // DISCONNECT, remaining length
			0x04, // reason code: Disconnect with Will Message
		},
		packet: &Disconnect{ReasonCode: DisconnectWithWill},
	},
	{
		desc:    "DISCONNECT 5.0 with every DISCONNECT property",
		version: V5,
		raw: []byte{
			0xe0, 27, // DISCONNECT, remaining length
			0x9c,             // reason code: Use another server
			25,               // property length
			0x11, 0, 0, 0, 0, // Session Expiry Interval 0
			0x1c, 0, 3, 'h', ':', '1', // Server Reference
			0x1f, 0, 4, 'm', 'o', 'v', 'e', // Reason String
			0x26, 0, 1, 'a', 0, 1, 'b', // User Property a=b
		},
		packet: &Disconnect{ReasonCode: UseAnotherServer, Properties: &Properties{SessionExpiry: Some[uint32](0),
			ServerReference: "h:1", ReasonString: "move", UserProperties: []UserProperty{{"a", "b"}}}},
	},
	{
		desc:    "DISCONNECT 5.0 Normal disconnection with an empty property length",
		version: V5,
		raw: []byte{
			0xe0, 2, // DISCONNECT, remaining length
			0x00, // reason code: Normal disconnection
			0,    // property length
		},
		packet:     &Disconnect{},
		decodeOnly: true,
	},
	{
		desc:    "DISCONNECT 5.0 reason code not for DISCONNECT: 0x01 [MQTT-3.14.2-1]",
		version: V5,
		raw: []byte{
			0xe0, 1, // DISCONNECT, remaining length
			0x01, // reason code: Granted QoS 1
		},
		err: ErrReasonCode,
	},
	{
		desc:    "DISCONNECT 5.0 reserved flags [MQTT-3.14.1-1]",
		version: V5,
		raw: []byte{
			0xe1, 0, // DISCONNECT with flags 0001, remaining length
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "DISCONNECT 5.0 Assigned Client Identifier is not a DISCONNECT property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0xe0, 6, // DISCONNECT, remaining length
			0x00,            // reason code
			4,               // property length
			0x12, 0, 1, 'x', // Assigned Client Identifier
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "DISCONNECT 5.0 bytes after the properties",
		version: V5,
		raw: []byte{
			0xe0, 3, // DISCONNECT, remaining length
			0x00, // reason code
			0,    // property length
			0xff, // left over
		},
		err: ErrTrailingBytes,
	},

	// ------------------------------------------------------------------- AUTH
	{
		desc:    "AUTH 5.0 remaining length 0: Success",
		version: V5,
		raw: []byte{
			0xf0, 0, // AUTH, remaining length
		},
		packet: &Auth{},
	},
	{
		desc:    "AUTH 5.0 Continue authentication with method and data",
		version: V5,
		raw: []byte{
			0xf0, 16, // AUTH, remaining length
			0x18,                                // reason code: Continue authentication
			14,                                  // property length
			0x15, 0, 5, 'S', 'C', 'R', 'A', 'M', // Authentication Method
			0x16, 0, 3, 1, 2, 3, // Authentication Data
		},
		packet: &Auth{ReasonCode: ContinueAuthentication,
			Properties: &Properties{AuthMethod: "SCRAM", AuthData: []byte{1, 2, 3}}},
	},
	{
		desc:    "AUTH 5.0 Re-authenticate with Reason String and User Property",
		version: V5,
		raw: []byte{
			0xf0, 22, // AUTH, remaining length
			0x19,                                // reason code: Re-authenticate
			20,                                  // property length
			0x15, 0, 5, 'S', 'C', 'R', 'A', 'M', // Authentication Method
			0x1f, 0, 2, 'h', 'i', // Reason String
			0x26, 0, 1, 'k', 0, 1, 'v', // User Property k=v
		},
		packet: &Auth{ReasonCode: ReAuthenticate, Properties: &Properties{AuthMethod: "SCRAM",
			ReasonString: "hi", UserProperties: []UserProperty{{"k", "v"}}}},
	},
	{
		desc:    "AUTH 5.0 reason code without properties",
		version: V5,
		raw: []byte{
			0xf0, 1, // AUTH, remaining length
			0x19, // reason code: Re-authenticate
		},
		packet: &Auth{ReasonCode: ReAuthenticate},
	},
	{
		desc:    "AUTH in 3.1.1: packet type 15 is reserved",
		version: V311,
		raw: []byte{
			0xf0, 0, // AUTH, remaining length
		},
		err: ErrInvalidType,
	},
	{
		desc:    "AUTH 5.0 reason code not for AUTH: 0x87 [MQTT-3.15.2-1]",
		version: V5,
		raw: []byte{
			0xf0, 1, // AUTH, remaining length
			0x87, // reason code: Not authorized
		},
		err: ErrReasonCode,
	},
	{
		desc:    "AUTH 5.0 reserved flags [MQTT-3.15.1-1]",
		version: V5,
		raw: []byte{
			0xf2, 0, // AUTH with flags 0010, remaining length
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "AUTH 5.0 Session Expiry Interval is not an AUTH property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0xf0, 7, // AUTH, remaining length
			0x18,             // reason code
			5,                // property length
			0x11, 0, 0, 0, 1, // Session Expiry Interval
		},
		err: ErrPropertyNotAllowed,
	},
}
