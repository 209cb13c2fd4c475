package router

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/onmqtt/onmqtt/message"
)

// The conditions of this file test the MQTT 5.0 metadata of an event:
// the properties of its message or packet and its reason codes. On an
// event without them (any event before 5.0) they do not hold, and never
// panic.

// maxSubscriptionID is the largest Subscription Identifier, the largest
// Variable Byte Integer.
const maxSubscriptionID = 268_435_455

// SubscriptionID holds when the delivered Message carries the
// Subscription Identifier id: the broker attaches, to each message it
// delivers, the identifiers of the subscriptions that matched it, so that
// a handler can belong to one subscription rather than to a topic
// pattern. Identifiers are 1 to 268435455; others are rejected at
// registration. SubscriptionID conditions are indexed, alone or as an
// operand of a top-level [And]: a dispatch looks each identifier of the
// message up in a map, so thousands of them cost what one does.
func SubscriptionID(id uint32) Condition { return &subIDCond{id: id} }

type subIDCond struct{ id uint32 }

func (c *subIDCond) String() string {
	return "subscriptionID(" + strconv.FormatUint(uint64(c.id), 10) + ")"
}
func (c *subIDCond) check() error {
	if c.id == 0 || c.id > maxSubscriptionID {
		return fmt.Errorf("%w: subscription identifier %d, not 1 to %d", ErrInvalidCondition, c.id, maxSubscriptionID)
	}
	return nil
}
func (c *subIDCond) match(e *Event) bool {
	p := messageProps(e)
	return p != nil && slices.Contains(p.SubscriptionIDs, c.id)
}
func (c *subIDCond) why(e *Event) string {
	switch p := messageProps(e); {
	case e.Message == nil:
		return "no message"
	case p == nil || len(p.SubscriptionIDs) == 0:
		return "no subscription identifier"
	default:
		return fmt.Sprintf("subscription identifiers %v, not %d", p.SubscriptionIDs, c.id)
	}
}

// messageProps returns the properties of the delivered Message, nil
// when there is no message or it has none.
func messageProps(e *Event) *message.Properties {
	if e.Message == nil {
		return nil
	}
	return e.Message.Properties
}

// UserProperty holds when the event's packet (see [Event.Properties]) or
// its delivered Message carries the User Property key with exactly the
// value value. Keys and values are compared exactly, as bytes: a User
// Property value is free text, so value is not a pattern. A packet may
// carry a key several times; one of them having value is enough.
// [HasUserProperty] tests for the key with any value, the empty one
// included.
func UserProperty(key, value string) Condition { return &userPropCond{key: key, value: value} }

// HasUserProperty holds when the event's packet or its delivered Message
// carries the User Property key, with any value.
func HasUserProperty(key string) Condition { return &userPropCond{key: key, any: true} }

type userPropCond struct {
	key, value string
	any        bool
}

func (c *userPropCond) String() string {
	if c.any {
		return "hasUserProperty(" + strconv.Quote(c.key) + ")"
	}
	return "userProperty(" + strconv.Quote(c.key) + ", " + strconv.Quote(c.value) + ")"
}
func (c *userPropCond) check() error { return nil }
func (c *userPropCond) match(e *Event) bool {
	return c.in(e.Properties) || c.in(messageProps(e))
}
func (c *userPropCond) in(p *message.Properties) bool {
	if p == nil {
		return false
	}
	for _, u := range p.UserProperties {
		if u.Key == c.key && (c.any || u.Value == c.value) {
			return true
		}
	}
	return false
}
func (c *userPropCond) why(e *Event) string {
	var seen []string
	ps := [2]*message.Properties{e.Properties, messageProps(e)}
	if ps[1] == ps[0] {
		ps[1] = nil // a PUBLISH's are its message's
	}
	for _, p := range ps {
		if p == nil {
			continue
		}
		for _, u := range p.UserProperties {
			if u.Key == c.key {
				seen = append(seen, strconv.Quote(u.Value))
			}
		}
	}
	if len(seen) == 0 {
		return "no user property " + strconv.Quote(c.key)
	}
	return "user property " + strconv.Quote(c.key) + " = " + strings.Join(seen, ", ") + ", not " + strconv.Quote(c.value)
}

// ContentType holds when the Content Type property of the event's
// message (the delivered Message, else the Sent one) matches pattern, a
// glob of github.com/gobwas/glob without separators: '*' matches any
// run of characters, '/' included, '?' one character, and '[…]' and
// '{a,b}' work as in that package. A pattern without those characters
// is an exact match. Matching is case-sensitive, as the property is
// compared by the standard: ContentType("application/json") does not
// match "Application/JSON", and ContentType("application/json*") also
// matches "application/json; charset=utf-8". A message without a Content
// Type never matches.
func ContentType(pattern string) Condition {
	return &contentTypeCond{compile(pattern)}
}

type contentTypeCond struct{ globPattern }

func (c *contentTypeCond) String() string { return "contentType(" + strconv.Quote(c.pattern) + ")" }
func (c *contentTypeCond) match(e *Event) bool {
	m := subject(e)
	return m != nil && m.Properties != nil && m.Properties.ContentType != "" && c.g.Match(m.Properties.ContentType)
}
func (c *contentTypeCond) why(e *Event) string {
	m := subject(e)
	switch {
	case m == nil:
		return "no message"
	case m.Properties == nil || m.Properties.ContentType == "":
		return "no content type"
	}
	return "content type " + strconv.Quote(m.Properties.ContentType) + " does not match the pattern"
}

// ReasonCode holds when the event's reason code is code: that of a
// PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH or CONNACK (see
// [Event.ReasonCode]), or, on a SUBACK or UNSUBACK, that of at least one
// of its filters ([Event.FilterCodes]). Other events carry no reason
// code, and it never holds on them. Before 5.0 the acknowledgements
// carry none either and their reason code is 0, Success.
func ReasonCode(code message.ReasonCode) Condition { return &reasonCond{code: code} }

type reasonCond struct{ code message.ReasonCode }

func (c *reasonCond) String() string { return "reasonCode(" + hexCode(c.code) + ")" }
func (c *reasonCond) check() error   { return nil }
func (c *reasonCond) match(e *Event) bool {
	if code, ok := e.code(); ok {
		return code == c.code
	}
	return slices.Contains(e.FilterCodes(), c.code)
}
func (c *reasonCond) why(e *Event) string {
	if code, ok := e.code(); ok {
		return "reason code " + nameCode(e.Type, code) + ", not " + nameCode(e.Type, c.code)
	}
	return filterCodesWhy(e, "none is "+nameCode(e.Type, c.code))
}

// Failed holds when the event reports a failure: a reason code of 0x80
// or more (see [ReasonCode] for the events that carry one), on a SUBACK
// or UNSUBACK for at least one filter (a 3.1.1 SUBACK's failure code is
// 0x80 too), and on a CONNACK a refusal, also one of 3.1 or 3.1.1.
func Failed() Condition { return failedCond{} }

type failedCond struct{}

func (failedCond) String() string { return "failed" }
func (failedCond) check() error   { return nil }
func (failedCond) match(e *Event) bool {
	if code, ok := e.code(); ok {
		return code.IsError()
	}
	return slices.ContainsFunc(e.FilterCodes(), message.ReasonCode.IsError)
}
func (failedCond) why(e *Event) string {
	if code, ok := e.code(); ok {
		return "reason code " + nameCode(e.Type, code) + ", not a failure"
	}
	return filterCodesWhy(e, "none is a failure")
}

// filterCodesWhy says what the reason codes of e's filters are, ending
// with tail, for an event that has no single reason code.
func filterCodesWhy(e *Event, tail string) string {
	codes := e.FilterCodes()
	if codes == nil {
		return e.Type.String() + " carries no reason code"
	}
	var b strings.Builder
	b.WriteString("filter reason codes ")
	for i, c := range codes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(nameCode(e.Type, c))
	}
	b.WriteString(": ")
	b.WriteString(tail)
	return b.String()
}

func hexCode(c message.ReasonCode) string {
	return "0x" + strconv.FormatUint(uint64(c)|0x100, 16)[1:]
}

// nameCode renders c as "0x87 (Not authorized)", with its name in
// packets of type t.
func nameCode(t message.Type, c message.ReasonCode) string {
	return hexCode(c) + " (" + c.NameIn(t) + ")"
}

// Correlation holds when the delivered Message carries the Correlation
// Data data, byte for byte: the answer to a request that carried it (see
// [Router.OnCorrelation]). Correlation(nil) is rejected at registration;
// an empty non-nil data matches an empty Correlation Data. Correlation
// conditions are indexed, alone or as an operand of a top-level [And],
// by a map keyed by the data. The condition keeps its own copy of data.
func Correlation(data []byte) Condition {
	return &corrCond{key: string(data), set: data != nil}
}

type corrCond struct {
	key string
	set bool
}

func (c *corrCond) String() string { return "correlation(" + quoteData(c.key) + ")" }
func (c *corrCond) check() error {
	if !c.set {
		return fmt.Errorf("%w: nil correlation data", ErrInvalidCondition)
	}
	return nil
}
func (c *corrCond) match(e *Event) bool {
	p := messageProps(e)
	return p != nil && p.CorrelationData != nil && string(p.CorrelationData) == c.key
}
func (c *corrCond) why(e *Event) string {
	switch p := messageProps(e); {
	case e.Message == nil:
		return "no message"
	case p == nil || p.CorrelationData == nil:
		return "no correlation data"
	default:
		return "correlation data " + quoteData(string(p.CorrelationData)) + ", not " + quoteData(c.key)
	}
}

// quoteData renders binary data quoted when it is printable text, else
// in hexadecimal, "0x0a1b".
func quoteData(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return strconv.Quote(s)
	}
	return "0x" + hex.EncodeToString([]byte(s))
}
