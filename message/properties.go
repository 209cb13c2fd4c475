package message

// Optional is a property value that may be absent: the zero Optional is
// absent, [Some] makes a present one.
type Optional[T any] struct {
	Value T    // the value, meaningful when Set
	Set   bool // whether the property is present
}

// Some returns a present Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{Value: v, Set: true} }

// Get returns the value and whether it is present.
func (o Optional[T]) Get() (T, bool) { return o.Value, o.Set }

// Or returns the value when it is present and def otherwise.
func (o Optional[T]) Or(def T) T {
	if o.Set {
		return o.Value
	}
	return def
}

// UserProperty is one User Property: a name and value pair. A packet may
// carry several, also with the same name; their order is kept.
type UserProperty struct {
	Key   string
	Value string
}

// Properties are the MQTT 5.0 properties of a packet or of a will. Each
// field is one property of the standard; which packets may carry which
// property is checked both when encoding and when decoding. An absent
// property is the field's zero value: an unset [Optional], an empty
// string, a nil slice. Binary properties (CorrelationData, AuthData) are
// present when non-nil, so an empty one can be sent; a string property
// cannot be sent empty.
//
// The comment of each field gives its identifier and where it may appear
// ("will" means the will properties of CONNECT).
type Properties struct {
	PayloadFormat       Optional[byte]   // 0x01, PUBLISH, will: 0 bytes, 1 UTF-8
	MessageExpiry       Optional[uint32] // 0x02, PUBLISH, will: seconds
	ContentType         string           // 0x03, PUBLISH, will
	ResponseTopic       string           // 0x08, PUBLISH, will: a topic name
	CorrelationData     []byte           // 0x09, PUBLISH, will
	SubscriptionIDs     []uint32         // 0x0B, PUBLISH (several), SUBSCRIBE (one): 1 to 268435455
	SessionExpiry       Optional[uint32] // 0x11, CONNECT, CONNACK, DISCONNECT: seconds
	AssignedClientID    string           // 0x12, CONNACK
	ServerKeepAlive     Optional[uint16] // 0x13, CONNACK: seconds
	AuthMethod          string           // 0x15, CONNECT, CONNACK, AUTH
	AuthData            []byte           // 0x16, CONNECT, CONNACK, AUTH
	RequestProblemInfo  Optional[bool]   // 0x17, CONNECT
	WillDelay           Optional[uint32] // 0x18, will: seconds
	RequestResponseInfo Optional[bool]   // 0x19, CONNECT
	ResponseInfo        string           // 0x1A, CONNACK
	ServerReference     string           // 0x1C, CONNACK, DISCONNECT
	ReasonString        string           // 0x1F, every packet with a reason code
	ReceiveMaximum      Optional[uint16] // 0x21, CONNECT, CONNACK: not 0
	TopicAliasMaximum   Optional[uint16] // 0x22, CONNECT, CONNACK
	TopicAlias          Optional[uint16] // 0x23, PUBLISH: not 0
	MaximumQoS          Optional[QoS]    // 0x24, CONNACK: 0 or 1
	RetainAvailable     Optional[bool]   // 0x25, CONNACK
	UserProperties      []UserProperty   // 0x26, every packet with properties, and will
	MaximumPacketSize   Optional[uint32] // 0x27, CONNECT, CONNACK: not 0
	WildcardSubAvail    Optional[bool]   // 0x28, CONNACK
	SubIDAvail          Optional[bool]   // 0x29, CONNACK
	SharedSubAvail      Optional[bool]   // 0x2A, CONNACK
}

// PropertyID is the identifier of an MQTT 5.0 property.
type PropertyID byte

// Property identifiers of MQTT 5.0 (section 2.2.2.2).
const (
	PropPayloadFormat       PropertyID = 0x01
	PropMessageExpiry       PropertyID = 0x02
	PropContentType         PropertyID = 0x03
	PropResponseTopic       PropertyID = 0x08
	PropCorrelationData     PropertyID = 0x09
	PropSubscriptionID      PropertyID = 0x0B
	PropSessionExpiry       PropertyID = 0x11
	PropAssignedClientID    PropertyID = 0x12
	PropServerKeepAlive     PropertyID = 0x13
	PropAuthMethod          PropertyID = 0x15
	PropAuthData            PropertyID = 0x16
	PropRequestProblemInfo  PropertyID = 0x17
	PropWillDelay           PropertyID = 0x18
	PropRequestResponseInfo PropertyID = 0x19
	PropResponseInfo        PropertyID = 0x1A
	PropServerReference     PropertyID = 0x1C
	PropReasonString        PropertyID = 0x1F
	PropReceiveMaximum      PropertyID = 0x21
	PropTopicAliasMaximum   PropertyID = 0x22
	PropTopicAlias          PropertyID = 0x23
	PropMaximumQoS          PropertyID = 0x24
	PropRetainAvailable     PropertyID = 0x25
	PropUserProperty        PropertyID = 0x26
	PropMaximumPacketSize   PropertyID = 0x27
	PropWildcardSubAvail    PropertyID = 0x28
	PropSubIDAvail          PropertyID = 0x29
	PropSharedSubAvail      PropertyID = 0x2A
)

// propKind is the data type of a property's value.
type propKind byte

const (
	kindByte   propKind = iota + 1 // one byte
	kindUint16                     // Two Byte Integer
	kindUint32                     // Four Byte Integer
	kindVarInt                     // Variable Byte Integer
	kindString                     // UTF-8 Encoded String
	kindPair                       // UTF-8 String Pair
	kindBinary                     // Binary Data
)

// willProps stands for the will properties in the packet sets of the
// property table: bit 0, which no packet type uses.
const willProps Type = 0

// propInfo is one row of the property table.
type propInfo struct {
	name    string
	kind    propKind
	packets uint16 // bit set by Type; bit 0 is the will
}

// propTable says, for each property identifier, its name, its type and
// the packets that may carry it (section 2.2.2.2 of MQTT 5.0).
var propTable = [0x2B]propInfo{
	PropPayloadFormat:       {"Payload Format Indicator", kindByte, types(PUBLISH, willProps)},
	PropMessageExpiry:       {"Message Expiry Interval", kindUint32, types(PUBLISH, willProps)},
	PropContentType:         {"Content Type", kindString, types(PUBLISH, willProps)},
	PropResponseTopic:       {"Response Topic", kindString, types(PUBLISH, willProps)},
	PropCorrelationData:     {"Correlation Data", kindBinary, types(PUBLISH, willProps)},
	PropSubscriptionID:      {"Subscription Identifier", kindVarInt, types(PUBLISH, SUBSCRIBE)},
	PropSessionExpiry:       {"Session Expiry Interval", kindUint32, types(CONNECT, CONNACK, DISCONNECT)},
	PropAssignedClientID:    {"Assigned Client Identifier", kindString, types(CONNACK)},
	PropServerKeepAlive:     {"Server Keep Alive", kindUint16, types(CONNACK)},
	PropAuthMethod:          {"Authentication Method", kindString, types(CONNECT, CONNACK, AUTH)},
	PropAuthData:            {"Authentication Data", kindBinary, types(CONNECT, CONNACK, AUTH)},
	PropRequestProblemInfo:  {"Request Problem Information", kindByte, types(CONNECT)},
	PropWillDelay:           {"Will Delay Interval", kindUint32, types(willProps)},
	PropRequestResponseInfo: {"Request Response Information", kindByte, types(CONNECT)},
	PropResponseInfo:        {"Response Information", kindString, types(CONNACK)},
	PropServerReference:     {"Server Reference", kindString, types(CONNACK, DISCONNECT)},
	PropReasonString: {"Reason String", kindString,
		types(CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH)},
	PropReceiveMaximum:    {"Receive Maximum", kindUint16, types(CONNECT, CONNACK)},
	PropTopicAliasMaximum: {"Topic Alias Maximum", kindUint16, types(CONNECT, CONNACK)},
	PropTopicAlias:        {"Topic Alias", kindUint16, types(PUBLISH)},
	PropMaximumQoS:        {"Maximum QoS", kindByte, types(CONNACK)},
	PropRetainAvailable:   {"Retain Available", kindByte, types(CONNACK)},
	PropUserProperty: {"User Property", kindPair, types(CONNECT, CONNACK, PUBLISH, willProps, PUBACK, PUBREC,
		PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH)},
	PropMaximumPacketSize: {"Maximum Packet Size", kindUint32, types(CONNECT, CONNACK)},
	PropWildcardSubAvail:  {"Wildcard Subscription Available", kindByte, types(CONNACK)},
	PropSubIDAvail:        {"Subscription Identifier Available", kindByte, types(CONNACK)},
	PropSharedSubAvail:    {"Shared Subscription Available", kindByte, types(CONNACK)},
}

// String returns the property's name as the standard writes it, or
// "PropertyID(n)" for an identifier it does not define.
func (id PropertyID) String() string {
	if int(id) < len(propTable) && propTable[id].name != "" {
		return propTable[id].name
	}
	return "PropertyID(" + itoa(int(id)) + ")"
}

// AllowedIn reports whether a packet of type t may carry the property. A
// t of 0 asks about the will properties of CONNECT.
func (id PropertyID) AllowedIn(t Type) bool {
	return int(id) < len(propTable) && t < 16 && propTable[id].packets&(1<<t) != 0
}

// where names a packet type, or the will, in error messages.
func where(t Type) string {
	if t == willProps {
		return "will properties"
	}
	return t.String()
}
