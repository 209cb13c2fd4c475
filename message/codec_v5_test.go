package message

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppendRejectsV5 lists what a 5.0 sender must never send, and the
// 5.0 fields a 3.1.1 packet cannot carry. Append returns the sentinel in
// an *Error, appends nothing, and does not call it malformed.
func TestAppendRejectsV5(t *testing.T) {
	long := strings.Repeat("x", 65536)
	pub := func(p *Properties) *Publish { return &Publish{Message: Message{Topic: "t", Properties: p}} }
	tests := []struct {
		name    string
		packet  Packet
		version Version
		err     error
	}{
		{"PUBLISH properties in 3.1.1", pub(&Properties{}), V311, ErrNotInVersion},
		{"PUBACK reason code in 3.1.1", &Puback{PacketID: 1, ReasonCode: NoMatchingSubscribers}, V311, ErrNotInVersion},
		{"PUBREL properties in 3.1", &Pubrel{PacketID: 1, Properties: &Properties{}}, V31, ErrNotInVersion},
		{"SUBSCRIBE no local in 3.1.1", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", NoLocal: true}}}, V311, ErrNotInVersion},
		{"SUBSCRIBE retain handling in 3.1.1", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", RetainHandling: 1}}}, V311, ErrNotInVersion},
		{"UNSUBACK reason codes in 3.1.1", &Unsuback{PacketID: 1, ReasonCodes: []ReasonCode{0}}, V311, ErrNotInVersion},
		{"DISCONNECT reason code in 3.1.1", &Disconnect{ReasonCode: ServerBusy}, V311, ErrNotInVersion},
		{"CONNACK properties in 3.1.1", &Connack{Properties: &Properties{}}, V311, ErrNotInVersion},
		{"SUBACK properties in 3.1.1", &Suback{PacketID: 1, ReturnCodes: []SubackCode{0}, Properties: &Properties{}}, V311, ErrNotInVersion},
		{"CONNECT properties in 3.1.1", &Connect{Version: V311, ClientID: "c", Properties: &Properties{}}, V311, ErrNotInVersion},
		{"CONNECT will properties in 3.1.1", &Connect{Version: V311, ClientID: "c", Will: &Will{Topic: "w", Properties: &Properties{}}}, V311, ErrNotInVersion},
		{"AUTH in 3.1.1", &Auth{}, V311, ErrInvalidType},

		{"PUBLISH empty topic without a Topic Alias", &Publish{}, V5, ErrTopicAlias},
		{"PUBLISH Topic Alias 0 [MQTT-3.3.2-8]", pub(&Properties{TopicAlias: Some[uint16](0)}), V5, ErrPropertyValue},
		{"PUBLISH Subscription Identifier 0", pub(&Properties{SubscriptionIDs: []uint32{0}}), V5, ErrPropertyValue},
		{"PUBLISH Subscription Identifier too large", pub(&Properties{SubscriptionIDs: []uint32{1 << 28}}), V5, ErrPropertyValue},
		{"PUBLISH Payload Format Indicator 2", pub(&Properties{PayloadFormat: Some[byte](2)}), V5, ErrPropertyValue},
		{"PUBLISH Response Topic with a wildcard [MQTT-3.3.2-14]", pub(&Properties{ResponseTopic: "a/#"}), V5, ErrInvalidTopic},
		{"PUBLISH Content Type not UTF-8", pub(&Properties{ContentType: "\xff"}), V5, ErrInvalidUTF8},
		{"PUBLISH User Property name with U+0000 [MQTT-1.5.7-1]", pub(&Properties{UserProperties: []UserProperty{{"\x00", "v"}}}), V5, ErrInvalidUTF8},
		{"PUBLISH User Property value too long", pub(&Properties{UserProperties: []UserProperty{{"k", long}}}), V5, ErrStringTooLong},
		{"PUBLISH Correlation Data too long", pub(&Properties{CorrelationData: []byte(long)}), V5, ErrStringTooLong},
		{"PUBLISH Reason String", pub(&Properties{ReasonString: "r"}), V5, ErrPropertyNotAllowed},
		{"PUBLISH Session Expiry Interval", pub(&Properties{SessionExpiry: Some[uint32](1)}), V5, ErrPropertyNotAllowed},
		{"PUBACK Topic Alias", &Puback{PacketID: 1, Properties: &Properties{TopicAlias: Some[uint16](1)}}, V5, ErrPropertyNotAllowed},
		{"PUBACK reason code for PUBREL [MQTT-3.4.2-1]", &Puback{PacketID: 1, ReasonCode: PacketIdentifierNotFound}, V5, ErrReasonCode},
		{"PUBREC reason code 0x04 [MQTT-3.5.2-1]", &Pubrec{PacketID: 1, ReasonCode: DisconnectWithWill}, V5, ErrReasonCode},
		{"PUBREL reason code 0x80 [MQTT-3.6.2-1]", &Pubrel{PacketID: 1, ReasonCode: UnspecifiedError}, V5, ErrReasonCode},
		{"PUBCOMP reason code 0x10 [MQTT-3.7.2-1]", &Pubcomp{PacketID: 1, ReasonCode: NoMatchingSubscribers}, V5, ErrReasonCode},
		{"PUBACK packet identifier 0 with a reason code", &Puback{ReasonCode: NotAuthorized}, V5, ErrZeroPacketID},
		{"CONNECT Receive Maximum 0", &Connect{Version: V5, Properties: &Properties{ReceiveMaximum: Some[uint16](0)}}, V5, ErrPropertyValue},
		{"CONNECT Maximum Packet Size 0", &Connect{Version: V5, Properties: &Properties{MaximumPacketSize: Some[uint32](0)}}, V5, ErrPropertyValue},
		{"CONNECT Topic Alias", &Connect{Version: V5, Properties: &Properties{TopicAlias: Some[uint16](1)}}, V5, ErrPropertyNotAllowed},
		{"CONNECT Will Delay Interval outside the will", &Connect{Version: V5, Properties: &Properties{WillDelay: Some[uint32](1)}}, V5, ErrPropertyNotAllowed},
		{"CONNECT will Session Expiry Interval", &Connect{Version: V5, Will: &Will{Topic: "w", Properties: &Properties{SessionExpiry: Some[uint32](1)}}}, V5, ErrPropertyNotAllowed},
		{"CONNACK Maximum QoS 2", &Connack{Properties: &Properties{MaximumQoS: Some(QoS2)}}, V5, ErrPropertyValue},
		{"CONNACK reason code 0x04 [MQTT-3.2.2-8]", &Connack{ReturnCode: ConnackCode(DisconnectWithWill)}, V5, ErrReasonCode},
		{"CONNACK reason code 0x01 of 3.1.1 [MQTT-3.2.2-8]", &Connack{ReturnCode: RefusedProtocolVersion}, V5, ErrReasonCode},
		{"CONNACK session present with a refusal [MQTT-3.2.2-6]", &Connack{SessionPresent: true, ReturnCode: ConnackCode(Banned)}, V5, ErrReturnCode},
		{"CONNACK Request Problem Information", &Connack{Properties: &Properties{RequestProblemInfo: Some(true)}}, V5, ErrPropertyNotAllowed},
		{"SUBSCRIBE two Subscription Identifiers", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a"}},
			Properties: &Properties{SubscriptionIDs: []uint32{1, 2}}}, V5, ErrDuplicateProperty},
		{"SUBSCRIBE retain handling 3", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", RetainHandling: 3}}}, V5, ErrRetainHandling},
		{"SUBSCRIBE no local on a shared subscription [MQTT-3.8.3-4]", &Subscribe{PacketID: 1,
			Subscriptions: []Subscription{{Filter: "$share/g/a", NoLocal: true}}}, V5, ErrSharedNoLocal},
		{"SUBSCRIBE empty share name [MQTT-4.8.2-1]", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "$share//a"}}}, V5, ErrInvalidFilter},
		{"SUBSCRIBE share name '#' [MQTT-4.8.2-2]", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "$share/#"}}}, V5, ErrInvalidFilter},
		{"SUBSCRIBE Content Type", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a"}},
			Properties: &Properties{ContentType: "c"}}, V5, ErrPropertyNotAllowed},
		{"SUBACK reason code 0x11", &Suback{PacketID: 1, ReturnCodes: []SubackCode{0x11}}, V5, ErrReasonCode},
		{"SUBACK without a reason code", &Suback{PacketID: 1}, V5, ErrReturnCode},
		{"UNSUBSCRIBE empty share name", &Unsubscribe{PacketID: 1, Filters: []string{"$share//a"}}, V5, ErrInvalidFilter},
		{"UNSUBSCRIBE Subscription Identifier", &Unsubscribe{PacketID: 1, Filters: []string{"a"},
			Properties: &Properties{SubscriptionIDs: []uint32{1}}}, V5, ErrPropertyNotAllowed},
		{"UNSUBACK without a reason code", &Unsuback{PacketID: 1}, V5, ErrReturnCode},
		{"UNSUBACK reason code 0x97", &Unsuback{PacketID: 1, ReasonCodes: []ReasonCode{QuotaExceeded}}, V5, ErrReasonCode},
		{"UNSUBACK packet identifier 0", &Unsuback{ReasonCodes: []ReasonCode{0}}, V5, ErrZeroPacketID},
		{"DISCONNECT reason code 0x01 [MQTT-3.14.2-1]", &Disconnect{ReasonCode: GrantedQoS1}, V5, ErrReasonCode},
		{"DISCONNECT Topic Alias", &Disconnect{Properties: &Properties{TopicAlias: Some[uint16](1)}}, V5, ErrPropertyNotAllowed},
		{"AUTH reason code 0x87 [MQTT-3.15.2-1]", &Auth{ReasonCode: NotAuthorized}, V5, ErrReasonCode},
		{"AUTH Session Expiry Interval", &Auth{Properties: &Properties{SessionExpiry: Some[uint32](1)}}, V5, ErrPropertyNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.packet.Append([]byte("pre"), tt.version)
			require.ErrorIs(t, err, tt.err)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.NotErrorIs(t, err, ErrMalformed)
			assert.Equal(t, "pre", string(got), "nothing appended")
			var w bytes.Buffer
			assert.ErrorIs(t, Write(&w, tt.packet, tt.version), tt.err)
			assert.Zero(t, w.Len())
		})
	}
}

// TestShortForms pins the shortest encodings 5.0 allows and that Append
// chooses: an acknowledgement with only a packet identifier for Success
// without properties, a reason code without a property length, and a
// DISCONNECT or AUTH of remaining length 0.
func TestShortForms(t *testing.T) {
	tests := []struct {
		packet Packet
		want   []byte
	}{
		{&Puback{PacketID: 1}, []byte{0x40, 2, 0, 1}},
		{&Pubrec{PacketID: 1, ReasonCode: NoMatchingSubscribers}, []byte{0x50, 3, 0, 1, 0x10}},
		{&Pubrel{PacketID: 1}, []byte{0x62, 2, 0, 1}},
		{&Pubcomp{PacketID: 1, ReasonCode: PacketIdentifierNotFound}, []byte{0x70, 3, 0, 1, 0x92}},
		{&Puback{PacketID: 1, Properties: &Properties{ReasonString: "r"}}, []byte{0x40, 8, 0, 1, 0, 4, 0x1f, 0, 1, 'r'}},
		{&Disconnect{}, []byte{0xe0, 0}},
		{&Disconnect{ReasonCode: ServerShuttingDown}, []byte{0xe0, 1, 0x8b}},
		{&Auth{}, []byte{0xf0, 0}},
		{&Auth{ReasonCode: ContinueAuthentication}, []byte{0xf0, 1, 0x18}},
	}
	for _, tt := range tests {
		t.Run(tt.packet.Type().String(), func(t *testing.T) {
			got, err := tt.packet.Append(nil, V5)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			p, n, err := Decode(got, V5, 0)
			require.NoError(t, err)
			assert.Equal(t, len(got), n)
			assert.Equal(t, tt.packet, p)
		})
	}
	got, err := AppendAck(nil, PUBACK, 9)
	require.NoError(t, err)
	p, _, err := Decode(got, V5, 0)
	require.NoError(t, err)
	assert.Equal(t, &Puback{PacketID: 9, ReasonCode: Success}, p, "AppendAck is a 5.0 Success")
}

// TestReasonCode checks the names, IsError and the table of which packet
// may carry which code.
func TestReasonCode(t *testing.T) {
	assert.Equal(t, "Quota exceeded", QuotaExceeded.String())
	assert.Equal(t, "Success", Success.String())
	assert.Equal(t, "Normal disconnection", NormalDisconnection.NameIn(DISCONNECT))
	assert.Equal(t, "Granted QoS 0", GrantedQoS0.NameIn(SUBACK))
	assert.Equal(t, "Success", Success.NameIn(PUBACK))
	assert.Equal(t, "ReasonCode(0x03)", ReasonCode(3).String())
	assert.Equal(t, "ReasonCode(0xff)", ReasonCode(0xff).String())
	assert.Equal(t, "Wildcard Subscriptions not supported", WildcardSubscriptionsNotSupported.String())

	for c := range 256 {
		rc := ReasonCode(c)
		assert.Equal(t, c >= 0x80, rc.IsError(), "%v", rc)
	}
	assert.True(t, NoMatchingSubscribers.ValidFor(PUBACK))
	assert.True(t, NoMatchingSubscribers.ValidFor(PUBREC))
	assert.False(t, NoMatchingSubscribers.ValidFor(PUBCOMP))
	assert.True(t, PacketIdentifierNotFound.ValidFor(PUBREL))
	assert.False(t, PacketIdentifierNotFound.ValidFor(PUBACK))
	assert.True(t, ReAuthenticate.ValidFor(AUTH))
	assert.False(t, Success.ValidFor(PUBLISH))
	assert.False(t, Success.ValidFor(Type(200)))
	assert.True(t, TopicAliasInvalid.ValidFor(DISCONNECT))
	assert.False(t, TopicAliasInvalid.ValidFor(CONNACK))

	// 5.0 codes in CONNACK and SUBACK keep their 3.1.1 types.
	assert.Equal(t, "Not authorized", ConnackCode(NotAuthorized).String())
	assert.Equal(t, "not authorized", RefusedNotAuthorized.String())
	assert.Equal(t, "ConnackCode(6)", ConnackCode(6).String())
	assert.Equal(t, "Quota exceeded", SubackCode(QuotaExceeded).String())
	assert.Equal(t, "failure", SubackFailure.String())
	assert.Equal(t, NotAuthorized, ConnackCode(0x87).Reason())
	assert.Equal(t, QuotaExceeded, SubackCode(0x97).Reason())
}

// TestPropertyTable checks the names and the per-packet table.
func TestPropertyTable(t *testing.T) {
	assert.Equal(t, "Content Type", PropContentType.String())
	assert.Equal(t, "Shared Subscription Available", PropSharedSubAvail.String())
	assert.Equal(t, "PropertyID(4)", PropertyID(4).String())
	assert.Equal(t, "PropertyID(200)", PropertyID(200).String())
	assert.True(t, PropWillDelay.AllowedIn(0), "Will Delay Interval is a will property")
	assert.False(t, PropWillDelay.AllowedIn(CONNECT))
	assert.True(t, PropUserProperty.AllowedIn(AUTH))
	assert.False(t, PropUserProperty.AllowedIn(PINGREQ))
	assert.False(t, PropertyID(4).AllowedIn(PUBLISH))

	o := Some[uint32](5)
	v, ok := o.Get()
	assert.True(t, ok)
	assert.Equal(t, uint32(5), v)
	assert.Equal(t, uint32(5), o.Or(9))
	assert.Equal(t, uint16(65535), Optional[uint16]{}.Or(65535), "an absent Receive Maximum means 65535")
}

// TestPropertiesOwnedByCaller checks that decoded properties share no
// memory with the Reader's buffers: reading the next packet leaves them
// unchanged.
func TestPropertiesOwnedByCaller(t *testing.T) {
	p1 := &Publish{Message: Message{Topic: "a", QoS: QoS1, PacketID: 1, Properties: &Properties{
		ContentType: "one", CorrelationData: []byte("c1"), UserProperties: []UserProperty{{"k", "v1"}}}}}
	p2 := &Publish{Message: Message{Topic: "a", QoS: QoS1, PacketID: 2, Properties: &Properties{
		ContentType: "two", CorrelationData: []byte("c2"), UserProperties: []UserProperty{{"k", "v2"}}}}}
	r := NewReader(bytes.NewReader(appendAll(t, V5, p1, p2)), V5, 0)
	got, err := r.ReadPacket()
	require.NoError(t, err)
	first := got.(*Publish).Message
	_, err = r.ReadPacket()
	require.NoError(t, err)
	assert.Equal(t, p1.Message, first)
}

// TestLargeV5Publish reads a 5.0 PUBLISH whose body the Reader does not
// reuse (over 64 KiB), so that its properties alias the body, and checks
// that reading the next packet leaves the first one intact.
func TestLargeV5Publish(t *testing.T) {
	big := &Publish{Message: Message{Topic: "big/t", Payload: bytes.Repeat([]byte{'z'}, 70<<10), QoS: QoS1, PacketID: 1,
		Properties: &Properties{ContentType: "bin", CorrelationData: []byte("id-1"),
			UserProperties: []UserProperty{{"k", "v"}}, TopicAlias: Some[uint16](2)}}}
	small := &Publish{Message: Message{Topic: "s", QoS: QoS1, PacketID: 2,
		Properties: &Properties{ContentType: "txt", UserProperties: []UserProperty{{"k", "w"}}}}}
	r := NewReader(bytes.NewReader(appendAll(t, V5, big, small, big)), V5, 0)
	got, err := r.ReadPacket()
	require.NoError(t, err)
	first := got.(*Publish).Message
	for _, want := range []*Publish{small, big} {
		got, err := r.ReadPacket()
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	assert.Equal(t, big.Message, first)
}

// TestSubscriptionString keeps the 3.1.1 form of a Subscription printed
// with %v, and names the 5.0 options that are set.
func TestSubscriptionString(t *testing.T) {
	assert.Equal(t, "[{public/# QoS1}]", fmt.Sprint([]Subscription{{Filter: "public/#", QoS: QoS1}}))
	assert.Equal(t, "{a QoS2 no-local retain-as-published retain-handling=2}",
		Subscription{Filter: "a", QoS: QoS2, NoLocal: true, RetainAsPublished: true, RetainHandling: DoNotSendRetained}.String())
}

// appendAll encodes packets one after the other for version v.
func appendAll(t *testing.T, v Version, packets ...Packet) []byte {
	t.Helper()
	var b []byte
	for _, p := range packets {
		var err error
		b, err = p.Append(b, v)
		require.NoError(t, err)
	}
	return b
}
