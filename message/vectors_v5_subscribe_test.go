package message

// MQTT 5.0 vectors of SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ and
// PINGRESP, and of the fixed header. Rows are part of [vectors].
var v5SubscribeVectors = []vector{
	// -------------------------------------------------------------- SUBSCRIBE
	{
		desc:    "SUBSCRIBE 5.0 two filters with subscription options",
		version: V5,
		raw: []byte{
			0x82, 13, // SUBSCRIBE, remaining length
			0, 10, // packet identifier
			0,                   // property length
			0, 3, 'a', '/', '+', // topic filter
			0x2d,      // options: retain handling 2, retain as published, no local, QoS 1
			0, 1, '#', // topic filter
			0x12, // options: retain handling 1, QoS 2
		},
		packet: &Subscribe{PacketID: 10, Subscriptions: []Subscription{
			{Filter: "a/+", QoS: QoS1, NoLocal: true, RetainAsPublished: true, RetainHandling: DoNotSendRetained},
			{Filter: "#", QoS: QoS2, RetainHandling: SendRetainedIfNew}}},
	},
	{
		desc:    "SUBSCRIBE 5.0 with Subscription Identifier and User Property",
		version: V5,
		raw: []byte{
			0x82, 16, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			9,       // property length
			0x0b, 5, // Subscription Identifier 5
			0x26, 0, 1, 'k', 0, 1, 'v', // User Property k=v
			0, 1, 'a', // topic filter
			0x00, // options: QoS 0
		},
		packet: &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a"}},
			Properties: &Properties{SubscriptionIDs: []uint32{5}, UserProperties: []UserProperty{{"k", "v"}}}},
	},
	{
		desc:    "SUBSCRIBE 5.0 shared subscription",
		version: V5,
		raw: []byte{
			0x82, 18, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,                                                                 // property length
			0, 12, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', '/', 'b', // topic filter
			0x01, // options: QoS 1
		},
		packet: &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "$share/g/a/b", QoS: QoS1}}},
	},
	{
		desc:    "SUBSCRIBE 5.0 reserved option bits [MQTT-3.8.3-5]",
		version: V5,
		raw: []byte{
			0x82, 7, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,         // property length
			0, 1, 'a', // topic filter
			0x41, // options: reserved bit 6, QoS 1
		},
		err: ErrReservedFlag,
	},
	{
		desc:    "SUBSCRIBE 5.0 retain handling 3 [3.8.3.1]",
		version: V5,
		raw: []byte{
			0x82, 7, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,         // property length
			0, 1, 'a', // topic filter
			0x30, // options: retain handling 3
		},
		err: ErrRetainHandling,
	},
	{
		desc:    "SUBSCRIBE 5.0 QoS 3 [3.8.3.1]",
		version: V5,
		raw: []byte{
			0x82, 7, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,         // property length
			0, 1, 'a', // topic filter
			0x03, // options: QoS 3
		},
		err: ErrInvalidQoS,
	},
	{
		desc:    "SUBSCRIBE 5.0 No Local on a shared subscription [MQTT-3.8.3-4]",
		version: V5,
		raw: []byte{
			0x82, 16, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,                                                       // property length
			0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', // topic filter
			0x04, // options: no local
		},
		err: ErrSharedNoLocal,
	},
	{
		desc:    "SUBSCRIBE 5.0 shared subscription with an empty share name [MQTT-4.8.2-1]",
		version: V5,
		raw: []byte{
			0x82, 15, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,                                                 // property length
			0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', '/', 'a', // topic filter
			0x00, // options
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "SUBSCRIBE 5.0 shared subscription with share name '+' [MQTT-4.8.2-2]",
		version: V5,
		raw: []byte{
			0x82, 16, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,                                                       // property length
			0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', '+', '/', 'a', // topic filter
			0x00, // options
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "SUBSCRIBE 5.0 shared subscription without a filter after the share name",
		version: V5,
		raw: []byte{
			0x82, 14, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,                                            // property length
			0, 8, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', // topic filter
			0x00, // options
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "SUBSCRIBE 5.0 two Subscription Identifiers [3.8.2.1.2]",
		version: V5,
		raw: []byte{
			0x82, 11, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			4,       // property length
			0x0b, 1, // Subscription Identifier 1
			0x0b, 2, // Subscription Identifier 2
			0, 1, 'a', // topic filter
			0x00, // options
		},
		err: ErrDuplicateProperty,
	},
	{
		desc:    "SUBSCRIBE 5.0 Subscription Identifier 0 [3.8.2.1.2]",
		version: V5,
		raw: []byte{
			0x82, 9, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			2,       // property length
			0x0b, 0, // Subscription Identifier 0
			0, 1, 'a', // topic filter
			0x00, // options
		},
		err: ErrPropertyValue,
	},
	{
		desc:    "SUBSCRIBE 5.0 Message Expiry Interval is not a SUBSCRIBE property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x82, 12, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			5,                // property length
			0x02, 0, 0, 0, 1, // Message Expiry Interval
			0, 1, 'a', // topic filter
			0x00, // options
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "SUBSCRIBE 5.0 without a filter [MQTT-3.8.3-2]",
		version: V5,
		raw: []byte{
			0x82, 3, // SUBSCRIBE, remaining length
			0, 1, // packet identifier
			0, // property length
		},
		err: ErrNoFilters,
	},
	{
		desc:    "SUBSCRIBE 5.0 flags 0000 [MQTT-3.8.1-1]",
		version: V5,
		raw: []byte{
			0x80, 7, // SUBSCRIBE with flags 0000, remaining length
			0, 1, // packet identifier
			0,         // property length
			0, 1, 'a', // topic filter
			0x00, // options
		},
		err: ErrInvalidFlags,
	},

	// ----------------------------------------------------------------- SUBACK
	{
		desc:    "SUBACK 5.0 every SUBACK reason code",
		version: V5,
		raw: []byte{
			0x90, 15, // SUBACK, remaining length
			0, 10, // packet identifier
			0,                // property length
			0x00, 0x01, 0x02, // Granted QoS 0, 1, 2
			0x80, 0x83, 0x87, // Unspecified error, Implementation specific error, Not authorized
			0x8f, 0x91, 0x97, // Topic Filter invalid, Packet Identifier in use, Quota exceeded
			0x9e, 0xa1, 0xa2, // Shared, Subscription Identifiers, Wildcard Subscriptions not supported
		},
		packet: &Suback{PacketID: 10, ReturnCodes: []SubackCode{0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2}},
	},
	{
		desc:    "SUBACK 5.0 with Reason String and User Property",
		version: V5,
		raw: []byte{
			0x90, 15, // SUBACK, remaining length
			0, 1, // packet identifier
			11,              // property length
			0x1f, 0, 1, 'r', // Reason String
			0x26, 0, 1, 'a', 0, 1, 'b', // User Property a=b
			0x01, // Granted QoS 1
		},
		packet: &Suback{PacketID: 1, ReturnCodes: []SubackCode{1},
			Properties: &Properties{ReasonString: "r", UserProperties: []UserProperty{{"a", "b"}}}},
	},
	{
		desc:    "SUBACK 5.0 reason code not for SUBACK: 0x11 [3.9.3]",
		version: V5,
		raw: []byte{
			0x90, 4, // SUBACK, remaining length
			0, 1, // packet identifier
			0,    // property length
			0x11, // No subscription existed
		},
		err: ErrReasonCode,
	},
	{
		desc:    "SUBACK 5.0 without a reason code",
		version: V5,
		raw: []byte{
			0x90, 3, // SUBACK, remaining length
			0, 1, // packet identifier
			0, // property length
		},
		err: ErrReturnCode,
	},
	{
		desc:    "SUBACK 5.0 Content Type is not a SUBACK property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0x90, 8, // SUBACK, remaining length
			0, 1, // packet identifier
			4,               // property length
			0x03, 0, 1, 'c', // Content Type
			0x00, // Granted QoS 0
		},
		err: ErrPropertyNotAllowed,
	},

	// ------------------------------------------------------------ UNSUBSCRIBE
	{
		desc:    "UNSUBSCRIBE 5.0 two filters",
		version: V5,
		raw: []byte{
			0xa2, 11, // UNSUBSCRIBE, remaining length
			0, 5, // packet identifier
			0,         // property length
			0, 1, 'a', // topic filter
			0, 3, 'b', '/', '#', // topic filter
		},
		packet: &Unsubscribe{PacketID: 5, Filters: []string{"a", "b/#"}},
	},
	{
		desc:    "UNSUBSCRIBE 5.0 shared subscription with User Property",
		version: V5,
		raw: []byte{
			0xa2, 24, // UNSUBSCRIBE, remaining length
			0, 6, // packet identifier
			7,                          // property length
			0x26, 0, 1, 'k', 0, 1, 'v', // User Property k=v
			0, 12, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', '/', 'b', // topic filter
		},
		packet: &Unsubscribe{PacketID: 6, Filters: []string{"$share/g/a/b"},
			Properties: &Properties{UserProperties: []UserProperty{{"k", "v"}}}},
	},
	{
		desc:    "UNSUBSCRIBE 5.0 Subscription Identifier is not an UNSUBSCRIBE property [2.2.2.2]",
		version: V5,
		raw: []byte{
			0xa2, 8, // UNSUBSCRIBE, remaining length
			0, 1, // packet identifier
			2,       // property length
			0x0b, 1, // Subscription Identifier
			0, 1, 'a', // topic filter
		},
		err: ErrPropertyNotAllowed,
	},
	{
		desc:    "UNSUBSCRIBE 5.0 without a filter [MQTT-3.10.3-2]",
		version: V5,
		raw: []byte{
			0xa2, 3, // UNSUBSCRIBE, remaining length
			0, 1, // packet identifier
			0, // property length
		},
		err: ErrNoFilters,
	},
	{
		desc:    "UNSUBSCRIBE 5.0 shared subscription with an empty share name [MQTT-4.8.2-1]",
		version: V5,
		raw: []byte{
			0xa2, 14, // UNSUBSCRIBE, remaining length
			0, 1, // packet identifier
			0,                                                 // property length
			0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', '/', 'a', // topic filter
		},
		err: ErrInvalidFilter,
	},
	{
		desc:    "UNSUBSCRIBE 5.0 flags 0000 [MQTT-3.10.1-1]",
		version: V5,
		raw: []byte{
			0xa0, 6, // UNSUBSCRIBE with flags 0000, remaining length
			0, 1, // packet identifier
			0,         // property length
			0, 1, 'a', // topic filter
		},
		err: ErrInvalidFlags,
	},

	// --------------------------------------------------------------- UNSUBACK
	{
		desc:    "UNSUBACK 5.0 every UNSUBACK reason code",
		version: V5,
		raw: []byte{
			0xb0, 10, // UNSUBACK, remaining length
			0, 5, // packet identifier
			0,          // property length
			0x00, 0x11, // Success, No subscription existed
			0x80, 0x83, 0x87, // Unspecified error, Implementation specific error, Not authorized
			0x8f, 0x91, // Topic Filter invalid, Packet Identifier in use
		},
		packet: &Unsuback{PacketID: 5, ReasonCodes: []ReasonCode{Success, NoSubscriptionExisted, UnspecifiedError,
			ImplementationSpecificError, NotAuthorized, TopicFilterInvalid, PacketIdentifierInUse}},
	},
	{
		desc:    "UNSUBACK 5.0 with Reason String and User Property",
		version: V5,
		raw: []byte{
			0xb0, 16, // UNSUBACK, remaining length
			0, 6, // packet identifier
			12,                   // property length
			0x1f, 0, 2, 'o', 'k', // Reason String
			0x26, 0, 1, 'a', 0, 1, 'b', // User Property a=b
			0x00, // Success
		},
		packet: &Unsuback{PacketID: 6, ReasonCodes: []ReasonCode{Success},
			Properties: &Properties{ReasonString: "ok", UserProperties: []UserProperty{{"a", "b"}}}},
	},
	{
		desc:    "UNSUBACK 5.0 reason code not for UNSUBACK: 0x97 [3.11.3]",
		version: V5,
		raw: []byte{
			0xb0, 4, // UNSUBACK, remaining length
			0, 1, // packet identifier
			0,    // property length
			0x97, // Quota exceeded
		},
		err: ErrReasonCode,
	},
	{
		desc:    "UNSUBACK 5.0 without a reason code",
		version: V5,
		raw: []byte{
			0xb0, 3, // UNSUBACK, remaining length
			0, 1, // packet identifier
			0, // property length
		},
		err: ErrReturnCode,
	},
	{
		desc:    "UNSUBACK 5.0 packet identifier only: no property length",
		version: V5,
		raw: []byte{
			0xb0, 2, // UNSUBACK, remaining length
			0, 1, // packet identifier
		},
		err: ErrTruncated,
	},

	// ------------------------------------------------------ PINGREQ PINGRESP
	{
		desc:    "PINGREQ 5.0",
		version: V5,
		raw: []byte{
			0xc0, 0, // PINGREQ, remaining length
		},
		packet: &Pingreq{},
	},
	{
		desc:    "PINGRESP 5.0",
		version: V5,
		raw: []byte{
			0xd0, 0, // PINGRESP, remaining length
		},
		packet: &Pingresp{},
	},
	{
		desc:    "PINGREQ 5.0 remaining length in two bytes where one suffices [MQTT-1.5.5-1]",
		version: V5,
		raw: []byte{
			0xc0, 0x80, 0x00, // PINGREQ, remaining length 0 in two bytes
		},
		err: ErrVarInt,
	},
	{
		desc:    "PINGRESP 5.0 with a body",
		version: V5,
		raw: []byte{
			0xd0, 1, // PINGRESP, remaining length
			0, // left over
		},
		err: ErrTrailingBytes,
	},
	{
		desc:    "PUBLISH 5.0 remaining length in three bytes where two suffice [MQTT-1.5.5-1]",
		version: V5,
		raw: []byte{
			0x30, 0x85, 0x80, 0x00, // PUBLISH, remaining length 5 in three bytes
			0, 1, 't', // topic name
			0,   // property length
			'x', // payload
		},
		err: ErrVarInt,
	},
}
