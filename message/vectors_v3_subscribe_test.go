package message

// MQTT 3.1 and 3.1.1 vectors of SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK,
// PINGREQ, PINGRESP and DISCONNECT, and of reserved packet types. Rows are part of
// [vectors].
var v3SubscribeVectors = []vector{
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
