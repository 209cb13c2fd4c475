package message

// MQTT 5.0 vectors of CONNACK, DISCONNECT and AUTH. Rows are part of
// [vectors].
var v5ConnackVectors = []vector{
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
		desc:    "CONNACK read at 5.0 in the 3.1.1 form of a refusal: a server without 5.0 answers 0x01",
		version: V5,
		raw: []byte{
			0x20, 2, // CONNACK, remaining length
			0x00, // acknowledge flags
			0x01, // 3.1.1 return code: unacceptable protocol version
		},
		packet:     &Connack{ReturnCode: RefusedProtocolVersion},
		decodeOnly: true, // Append refuses 0x01 as a 5.0 reason code [MQTT-3.2.2-8]
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
