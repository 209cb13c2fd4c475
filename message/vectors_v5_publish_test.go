package message

// MQTT 5.0 vectors of PUBLISH and its acknowledgements PUBACK, PUBREC,
// PUBREL and PUBCOMP. Rows are part of [vectors].
var v5PublishVectors = []vector{
	// ---------------------------------------------------------------- PUBLISH
	{
		desc:    "PUBLISH 5.0 QoS 0 without properties",
		version: V5,
		raw: []byte{
			0x30, 8, // PUBLISH QoS 0, remaining length
			0, 3, 'a', '/', 'b', // topic name
			0,        // property length
			'h', 'i', // payload
		},
		packet: &Publish{Message: Message{Topic: "a/b", Payload: []byte("hi")}},
	},
	{
		desc:    "PUBLISH 5.0 QoS 1 with Content Type, Message Expiry and two User Properties of the same name",
		version: V5,
		raw: []byte{
			0x32, 41, // PUBLISH QoS 1, remaining length
			0, 3, 'a', '/', 'b', // topic name
			0, 7, // packet identifier
			32,                // property length
			0x02, 0, 0, 0, 30, // Message Expiry Interval 30
			0x03, 0, 10, 't', 'e', 'x', 't', '/', 'p', 'l', 'a', 'i', 'n', // Content Type
			0x26, 0, 1, 'a', 0, 1, '1', // User Property a=1
			0x26, 0, 1, 'a', 0, 1, '2', // User Property a=2, kept in order
			'x', // payload
		},
		packet: &Publish{Message: Message{Topic: "a/b", Payload: []byte("x"), QoS: QoS1, PacketID: 7,
			Properties: &Properties{MessageExpiry: Some[uint32](30), ContentType: "text/plain",
				UserProperties: []UserProperty{{"a", "1"}, {"a", "2"}}}}},
	},
	{
		desc:    "PUBLISH 5.0 QoS 2 retained with every PUBLISH property",
		version: V5,
		raw: []byte{
			0x35, 51, // PUBLISH QoS 2 retain, remaining length
			0, 3, 'a', '/', 'b', // topic name
			0, 9, // packet identifier
			41,      // property length
			0x01, 1, // Payload Format Indicator: UTF-8
			0x02, 0, 0, 1, 0, // Message Expiry Interval 256
			0x03, 0, 4, 'j', 's', 'o', 'n', // Content Type
			0x08, 0, 5, 'r', 'e', 'p', '/', '1', // Response Topic
			0x09, 0, 2, 0, 1, // Correlation Data
			0x0b, 0x80, 0x01, // Subscription Identifier 128
			0x0b, 5, // Subscription Identifier 5
			0x23, 0, 3, // Topic Alias 3
			0x26, 0, 1, 'k', 0, 0, // User Property k="" (empty value)
			'{', '}', // payload
		},
		packet: &Publish{Message: Message{Topic: "a/b", Payload: []byte("{}"), QoS: QoS2, Retain: true, PacketID: 9,
			Properties: &Properties{PayloadFormat: Some[byte](1), MessageExpiry: Some[uint32](256),
				ContentType: "json", ResponseTopic: "rep/1", CorrelationData: []byte{0, 1},
				SubscriptionIDs: []uint32{128, 5}, TopicAlias: Some[uint16](3),
				UserProperties: []UserProperty{{"k", ""}}}}},
	},
	{
		desc:    "PUBLISH 5.0 empty topic name with a Topic Alias",
		version: V5,
		raw: []byte{
			0x30, 7, // PUBLISH QoS 0, remaining length
			0, 0, // topic name (empty)
			3,          // property length
			0x23, 0, 3, // Topic Alias 3
			'p', // payload
		},
		packet: &Publish{Message: Message{Payload: []byte("p"), Properties: &Properties{TopicAlias: Some[uint16](3)}}},
	},
	{
		desc:    "PUBLISH 5.0 DUP at QoS 1 without payload",
		version: V5,
		raw: []byte{
			0x3a, 6, // PUBLISH DUP QoS 1, remaining length
			0, 1, 't', // topic name
			0, 2, // packet identifier
			0, // property length
		},
		packet: &Publish{Message: Message{Topic: "t", QoS: QoS1, Dup: true, PacketID: 2}},
	},
	{
		desc:    "PUBLISH 5.0 topic name and Content Type starting with a BOM, which is kept [MQTT-1.5.4-3]",
		version: V5,
		raw: []byte{
			0x30, 14, // PUBLISH QoS 0, remaining length
			0, 4, 0xef, 0xbb, 0xbf, 'a', // topic name: U+FEFF then "a"
			7,                                 // property length
			0x03, 0, 4, 0xef, 0xbb, 0xbf, 'c', // Content Type: U+FEFF then "c"
		},
		packet: &Publish{Message: Message{Topic: "\ufeffa", Properties: &Properties{ContentType: "\ufeffc"}}},
	},
	{
		desc:    "PUBLISH 5.0 empty topic name without a Topic Alias [3.3.2.1]",
		version: V5,
		raw: []byte{
			0x30, 3, // PUBLISH QoS 0, remaining length
			0, 0, // topic name (empty)
			0, // property length
		},
		err: ErrTopicAlias,
	},
	{
		desc:    "PUBLISH 5.0 Topic Alias 0 [MQTT-3.3.2-8]",
		version: V5,
		raw: []byte{
			0x30, 7, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			3,          // property length
			0x23, 0, 0, // Topic Alias 0
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "PUBLISH 5.0 Subscription Identifier 0 [3.3.2.3.8]",
		version: V5,
		raw: []byte{
			0x30, 6, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			2,       // property length
			0x0b, 0, // Subscription Identifier 0
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "PUBLISH 5.0 Subscription Identifier in two bytes where one suffices [MQTT-1.5.5-1]",
		version: V5,
		raw: []byte{
			0x30, 7, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			3,                // property length
			0x0b, 0x81, 0x00, // Subscription Identifier 1 in two bytes
		},
		err: ErrVarInt,
	},
	{
		desc:    "PUBLISH 5.0 Response Topic with a wildcard [MQTT-3.3.2-14]",
		version: V5,
		raw: []byte{
			0x30, 10, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			6,                         // property length
			0x08, 0, 3, 'a', '/', '+', // Response Topic "a/+"
		},
		err: ErrInvalidTopic,
	},
	{
		desc:    "PUBLISH 5.0 Payload Format Indicator 2 [3.3.2.3.2]",
		version: V5,
		raw: []byte{
			0x30, 6, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			2,       // property length
			0x01, 2, // Payload Format Indicator 2
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "PUBLISH 5.0 Content Type twice [3.3.2.3.9]",
		version: V5,
		raw: []byte{
			0x30, 12, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			8,               // property length
			0x03, 0, 1, 'a', // Content Type
			0x03, 0, 1, 'b', // Content Type again
		},
		err: ErrDuplicateProperty,
	},
	{
		desc:    "PUBLISH 5.0 Reason String is not a PUBLISH property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x30, 8, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			4,               // property length
			0x1f, 0, 1, 'r', // Reason String
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "PUBLISH 5.0 Content Type not UTF-8 [MQTT-3.3.2-19]",
		version: V5,
		raw: []byte{
			0x30, 8, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			4,                // property length
			0x03, 0, 1, 0xc3, // Content Type: a cut UTF-8 sequence
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "PUBLISH 5.0 User Property value with U+0000 [MQTT-1.5.4-2]",
		version: V5,
		raw: []byte{
			0x30, 11, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			7,                        // property length
			0x26, 0, 1, 'k', 0, 1, 0, // User Property k=U+0000
		},
		err: ErrInvalidUTF8,
	},
	{
		desc:    "PUBLISH 5.0 Message Expiry Interval cut short by the property length",
		version: V5,
		raw: []byte{
			0x30, 9, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			3,          // property length: the interval needs 5
			0x02, 0, 0, // Message Expiry Interval with 2 of its 4 bytes
			0, 1, // payload
		},
		err: ErrTruncated,
	},
	{
		desc:    "PUBLISH 5.0 property length past the end of the packet",
		version: V5,
		raw: []byte{
			0x30, 4, // PUBLISH QoS 0, remaining length
			0, 1, 't', // topic name
			5, // property length: nothing follows
		},
		err: ErrTruncated,
	},
	{
		desc:    "PUBLISH 5.0 QoS 3 [MQTT-3.3.1-4]",
		version: V5,
		raw: []byte{
			0x36, 6, // PUBLISH QoS 3, remaining length
			0, 1, 't', // topic name
			0, 1, // packet identifier
			0, // property length
		},
		err: ErrInvalidQoS,
	},

	// ------------------------------------------------- PUBACK PUBREC PUBREL PUBCOMP
	{
		desc:    "PUBACK 5.0 packet identifier only: Success",
		version: V5,
		raw: []byte{
			0x40, 2, // PUBACK, remaining length
			0, 1, // packet identifier
		},
		packet: &Puback{PacketID: 1},
	},
	{
		desc:    "PUBACK 5.0 reason code without properties",
		version: V5,
		raw: []byte{
			0x40, 3, // PUBACK, remaining length
			0, 1, // packet identifier
			0x10, // reason code: No matching subscribers
		},
		packet: &Puback{PacketID: 1, ReasonCode: NoMatchingSubscribers},
	},
	{
		desc:    "PUBACK 5.0 Not authorized with Reason String and User Property",
		version: V5,
		raw: []byte{
			0x40, 16, // PUBACK, remaining length
			0, 1, // packet identifier
			0x87,                 // reason code: Not authorized
			12,                   // property length
			0x1f, 0, 2, 'n', 'o', // Reason String
			0x26, 0, 1, 'a', 0, 1, 'b', // User Property a=b
		},
		packet: &Puback{PacketID: 1, ReasonCode: NotAuthorized,
			Properties: &Properties{ReasonString: "no", UserProperties: []UserProperty{{"a", "b"}}}},
	},
	{
		desc:    "PUBACK 5.0 Success with an empty property length",
		version: V5,
		raw: []byte{
			0x40, 4, // PUBACK, remaining length
			0, 1, // packet identifier
			0x00, // reason code: Success
			0,    // property length
		},
		packet:     &Puback{PacketID: 1},
		decodeOnly: true,
	},
	{
		desc:    "PUBREC 5.0 Packet Identifier in use",
		version: V5,
		raw: []byte{
			0x50, 3, // PUBREC, remaining length
			0, 2, // packet identifier
			0x91, // reason code: Packet Identifier in use
		},
		packet: &Pubrec{PacketID: 2, ReasonCode: PacketIdentifierInUse},
	},
	{
		desc:    "PUBREC 5.0 Quota exceeded with Reason String and User Property",
		version: V5,
		raw: []byte{
			0x50, 15, // PUBREC, remaining length
			0, 2, // packet identifier
			0x97,            // reason code: Quota exceeded
			11,              // property length
			0x1f, 0, 1, 'q', // Reason String
			0x26, 0, 1, 'a', 0, 1, 'b', // User Property a=b
		},
		packet: &Pubrec{PacketID: 2, ReasonCode: QuotaExceeded,
			Properties: &Properties{ReasonString: "q", UserProperties: []UserProperty{{"a", "b"}}}},
	},
	{
		desc:    "PUBREL 5.0 Packet Identifier not found",
		version: V5,
		raw: []byte{
			0x62, 3, // PUBREL, remaining length
			0, 3, // packet identifier
			0x92, // reason code: Packet Identifier not found
		},
		packet: &Pubrel{PacketID: 3, ReasonCode: PacketIdentifierNotFound},
	},
	{
		desc:    "PUBREL 5.0 Success with Reason String and User Property",
		version: V5,
		raw: []byte{
			0x62, 15, // PUBREL, remaining length
			0, 3, // packet identifier
			0x00,            // reason code: Success
			11,              // property length
			0x1f, 0, 1, 'r', // Reason String
			0x26, 0, 1, 'a', 0, 1, 'b', // User Property a=b
		},
		packet: &Pubrel{PacketID: 3, Properties: &Properties{ReasonString: "r", UserProperties: []UserProperty{{"a", "b"}}}},
	},
	{
		desc:    "PUBCOMP 5.0 packet identifier only",
		version: V5,
		raw: []byte{
			0x70, 2, // PUBCOMP, remaining length
			0, 4, // packet identifier
		},
		packet: &Pubcomp{PacketID: 4},
	},
	{
		desc:    "PUBCOMP 5.0 Packet Identifier not found with Reason String and User Property",
		version: V5,
		raw: []byte{
			0x70, 15, // PUBCOMP, remaining length
			0, 4, // packet identifier
			0x92,            // reason code: Packet Identifier not found
			11,              // property length
			0x1f, 0, 1, 'c', // Reason String
			0x26, 0, 1, 'a', 0, 1, 'b', // User Property a=b
		},
		packet: &Pubcomp{PacketID: 4, ReasonCode: PacketIdentifierNotFound,
			Properties: &Properties{ReasonString: "c", UserProperties: []UserProperty{{"a", "b"}}}},
	},
	{
		desc:    "PUBACK 5.0 reason code not for PUBACK: 0x92 [MQTT-3.4.2-1]",
		version: V5,
		raw: []byte{
			0x40, 3, // PUBACK, remaining length
			0, 1, // packet identifier
			0x92, // reason code: Packet Identifier not found
		},
		err: ErrReasonCode,
	},
	{
		desc:    "PUBREC 5.0 reason code not for PUBREC: 0x04 [MQTT-3.5.2-1]",
		version: V5,
		raw: []byte{
			0x50, 3, // PUBREC, remaining length
			0, 1, // packet identifier
			0x04, // reason code: Disconnect with Will Message
		},
		err: ErrReasonCode,
	},
	{
		desc:    "PUBREL 5.0 reason code not for PUBREL: 0x10 [MQTT-3.6.2-1]",
		version: V5,
		raw: []byte{
			0x62, 3, // PUBREL, remaining length
			0, 1, // packet identifier
			0x10, // reason code: No matching subscribers
		},
		err: ErrReasonCode,
	},
	{
		desc:    "PUBCOMP 5.0 reason code not for PUBCOMP: 0x80 [MQTT-3.7.2-1]",
		version: V5,
		raw: []byte{
			0x70, 3, // PUBCOMP, remaining length
			0, 1, // packet identifier
			0x80, // reason code: Unspecified error
		},
		err: ErrReasonCode,
	},
	{
		desc:    "PUBACK 5.0 Topic Alias is not a PUBACK property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x40, 7, // PUBACK, remaining length
			0, 1, // packet identifier
			0x00,       // reason code
			3,          // property length
			0x23, 0, 1, // Topic Alias
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "PUBREL 5.0 flags 0000 [MQTT-3.6.1-1]",
		version: V5,
		raw: []byte{
			0x60, 2, // PUBREL with flags 0000, remaining length
			0, 1, // packet identifier
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "PUBACK 5.0 packet identifier 0 [2.2.1]",
		version: V5,
		raw: []byte{
			0x40, 3, // PUBACK, remaining length
			0, 0, // packet identifier 0
			0x10, // reason code
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "PUBCOMP 5.0 Reason String twice",
		version: V5,
		raw: []byte{
			0x70, 12, // PUBCOMP, remaining length
			0, 1, // packet identifier
			0x00,            // reason code
			8,               // property length
			0x1f, 0, 1, 'a', // Reason String
			0x1f, 0, 1, 'b', // Reason String again
		},
		err: ErrDuplicateProperty,
	},
	{
		desc:    "PUBREC 5.0 Success with an empty property length",
		version: V5,
		raw: []byte{
			0x50, 4, // PUBREC, remaining length
			0, 2, // packet identifier
			0x00, // reason code: Success
			0,    // property length
		},
		packet:     &Pubrec{PacketID: 2},
		decodeOnly: true,
	},
	{
		desc:    "PUBREL 5.0 packet identifier only: Success",
		version: V5,
		raw: []byte{
			0x62, 2, // PUBREL, remaining length
			0, 3, // packet identifier
		},
		packet: &Pubrel{PacketID: 3},
	},
	{
		desc:    "PUBREC 5.0 flags 0010 [MQTT-2.1.3-1]",
		version: V5,
		raw: []byte{
			0x52, 2, // PUBREC with flags 0010, remaining length
			0, 1, // packet identifier
		},
		err: ErrInvalidFlags,
	},
	{
		desc:    "PUBREC 5.0 packet identifier 0 [2.2.1]",
		version: V5,
		raw: []byte{
			0x50, 2, // PUBREC, remaining length
			0, 0, // packet identifier 0
		},
		err: ErrZeroPacketID,
	},
	{
		desc:    "PUBREL 5.0 Content Type is not a PUBREL property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x62, 8, // PUBREL, remaining length
			0, 1, // packet identifier
			0x00,            // reason code
			4,               // property length
			0x03, 0, 1, 'c', // Content Type
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "PUBCOMP 5.0 bytes after the properties",
		version: V5,
		raw: []byte{
			0x70, 5, // PUBCOMP, remaining length
			0, 1, // packet identifier
			0x00, // reason code
			0,    // property length
			0xff, // left over
		},
		err: ErrTrailingBytes,
	},
	{
		desc:    "PUBACK 5.0 property length past the end of the packet",
		version: V5,
		raw: []byte{
			0x40, 4, // PUBACK, remaining length
			0, 1, // packet identifier
			0x00, // reason code
			5,    // property length: nothing follows
		},
		err: ErrTruncated,
	},
	{
		desc:    "PUBCOMP 5.0 User Property cut short",
		version: V5,
		raw: []byte{
			0x70, 9, // PUBCOMP, remaining length
			0, 1, // packet identifier
			0x00,               // reason code
			5,                  // property length
			0x26, 0, 1, 'k', 0, // User Property without the rest of its value
		},
		err: ErrTruncated,
	},
}
