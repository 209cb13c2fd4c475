package client

import (
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// V5Options are the options of MQTT 5.0. Before 5.0 they are not sent,
// and the behaviours they turn on do not apply.
type V5Options struct {
	// SessionExpiry is the Session Expiry Interval sent in CONNECT when
	// SessionExpirySet (rounded up to whole seconds). Unset, CONNECT
	// carries none (0: the session ends with the connection) with
	// CleanSession, and 0xFFFFFFFF (never expires, the meaning of
	// CleanSession false in 3.1.1) without. Default unset.
	SessionExpiry    time.Duration
	SessionExpirySet bool
	// ReceiveMaximum is how many QoS 1 and 2 publishes the broker may
	// send us unacknowledged; a broker that sends more is disconnected
	// with 0x93. 0 means 65535, which CONNECT leaves out. Default 0.
	ReceiveMaximum int
	// TopicAliasMaximum is the highest topic alias the broker may use
	// when it sends us publishes; 0 accepts none. Default 0.
	TopicAliasMaximum int
	// NoTopicAliases stops the client from assigning topic aliases to
	// its own publishes. Default false: aliases are assigned, least
	// recently used reassigned first, within the broker's Topic Alias
	// Maximum.
	NoTopicAliases bool
	// RequestResponseInfo asks the broker for Response Information
	// (see [ConnectResult.ResponseInformation]). Default false.
	RequestResponseInfo bool
	// RequestProblemInfo, when set, is sent as Request Problem
	// Information. Default unset (the broker's default: true).
	RequestProblemInfo message.Optional[bool]
	// ConnectUserProperties are the CONNECT's User Properties. Default
	// none.
	ConnectUserProperties []message.UserProperty
	// WillProperties are the will's properties, attached to Will by
	// [New]; a will is then required. Default none.
	WillProperties *message.Properties
	// Authenticator runs enhanced authentication (see [Authenticator]).
	// Default nil: none.
	Authenticator Authenticator
	// FollowServerReference connects to the broker a CONNACK refusal or
	// a DISCONNECT with 0x9C (Use another server) or 0x9D (Server moved)
	// names in its Server Reference: at once for a CONNACK, on the next
	// reconnect for a DISCONNECT. A reference listing several brokers
	// (separated by spaces) has them tried in its order; a referenced
	// broker that refers the client on is followed too, up to 3 in a
	// row and never back to a broker the attempt already tried. Default
	// false: the reference is only reported (see
	// [ConnackError.ServerReference], [DisconnectError.ServerReference]).
	FollowServerReference bool
}

// finish5 checks the 5.0 options.
func (o *Options) finish5() error {
	if o.ReceiveMaximum < 0 || o.ReceiveMaximum > 65535 {
		return fmt.Errorf("%w: ReceiveMaximum %d out of range 0..65535", ErrInvalidOption, o.ReceiveMaximum)
	}
	if o.TopicAliasMaximum < 0 || o.TopicAliasMaximum > 65535 {
		return fmt.Errorf("%w: TopicAliasMaximum %d out of range 0..65535", ErrInvalidOption, o.TopicAliasMaximum)
	}
	if o.SessionExpiry < 0 {
		return fmt.Errorf("%w: negative SessionExpiry %v", ErrInvalidOption, o.SessionExpiry)
	}
	if p := o.WillProperties; p != nil {
		if o.Will == nil {
			return fmt.Errorf("%w: will properties without a will", ErrInvalidOption)
		}
		w := *o.Will
		w.Properties = p
		o.Will = &w
	}
	if o.Version != message.V5 && o.Version != VersionAuto {
		return nil
	}
	// The codec checks every property: encode a CONNECT once.
	probe := &message.Connect{ClientID: "x", CleanSession: true, Will: o.Will, Properties: o.connectProperties()}
	if _, err := probe.Append(nil, message.V5); err != nil {
		return fmt.Errorf("%w: CONNECT properties: %w", ErrInvalidOption, err)
	}
	return nil
}

// WithSessionExpiry sets the Session Expiry Interval sent in CONNECT
// (MQTT 5.0): how long the broker keeps the session after the
// connection ends. 0 ends it with the connection.
func WithSessionExpiry(d time.Duration) Option {
	return func(o *Options) error { o.SessionExpiry, o.SessionExpirySet = d, true; return nil }
}

// WithReceiveMaximum sets our Receive Maximum (MQTT 5.0; see
// [V5Options.ReceiveMaximum]).
func WithReceiveMaximum(n int) Option {
	return func(o *Options) error { o.ReceiveMaximum = n; return nil }
}

// WithTopicAliasMaximum sets the highest topic alias the broker may send
// us (MQTT 5.0). Inbound aliases are resolved before routing: handlers
// always see the full topic.
func WithTopicAliasMaximum(n int) Option {
	return func(o *Options) error { o.TopicAliasMaximum = n; return nil }
}

// WithoutTopicAliases stops the automatic topic aliases of our own
// publishes (MQTT 5.0).
func WithoutTopicAliases() Option {
	return func(o *Options) error { o.NoTopicAliases = true; return nil }
}

// WithRequestResponseInfo asks the broker for Response Information
// (MQTT 5.0).
func WithRequestResponseInfo() Option {
	return func(o *Options) error { o.RequestResponseInfo = true; return nil }
}

// WithRequestProblemInfo sets Request Problem Information (MQTT 5.0):
// false asks the broker to leave Reason Strings and User Properties out
// of everything but PUBLISH, CONNACK and DISCONNECT.
func WithRequestProblemInfo(on bool) Option {
	return func(o *Options) error { o.RequestProblemInfo = message.Some(on); return nil }
}

// WithConnectUserProperty adds a User Property to CONNECT (MQTT 5.0).
func WithConnectUserProperty(key, value string) Option {
	return func(o *Options) error {
		o.ConnectUserProperties = append(o.ConnectUserProperties, message.UserProperty{Key: key, Value: value})
		return nil
	}
}

// WithWillProperties sets the will's MQTT 5.0 properties (Will Delay
// Interval, Message Expiry, Content Type, Response Topic, Correlation
// Data, Payload Format, User Properties), before or after [WithWill];
// [New] fails with ErrInvalidOption without a will, or for a property a
// will cannot carry.
func WithWillProperties(p message.Properties) Option {
	return func(o *Options) error { o.WillProperties = &p; return nil }
}

// WithAuthenticator turns on enhanced authentication (MQTT 5.0) with a.
func WithAuthenticator(a Authenticator) Option {
	return func(o *Options) error { o.Authenticator = a; return nil }
}

// WithFollowServerReference makes the client follow a broker's Server
// Reference (see [V5Options.FollowServerReference]).
func WithFollowServerReference() Option {
	return func(o *Options) error { o.FollowServerReference = true; return nil }
}
