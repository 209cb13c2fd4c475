package message

import "strings"

// RetainHandling is the MQTT 5.0 subscription option that says whether
// the server sends retained messages when the subscription is made.
type RetainHandling byte

// Retain handling options.
const (
	SendRetained           RetainHandling = 0 // send retained messages on subscribe
	SendRetainedIfNew      RetainHandling = 1 // only if the subscription did not exist
	DoNotSendRetained      RetainHandling = 2 // never on subscribe
	maxRetainHandling                     = DoNotSendRetained
	optNoLocal                            = 0x04
	optRetainAsPublished                  = 0x08
	optRetainHandlingShift                = 4
	optReserved                           = 0xc0
)

// Subscription is one topic filter of a SUBSCRIBE with its requested
// maximum QoS and, in MQTT 5.0, its other subscription options.
type Subscription struct {
	Filter string
	QoS    QoS
	// NoLocal asks the server not to send the client its own messages
	// (5.0 only; not allowed on a shared subscription [MQTT-3.8.3-4]).
	NoLocal bool
	// RetainAsPublished keeps the RETAIN flag of forwarded messages as
	// published (5.0 only).
	RetainAsPublished bool
	// RetainHandling says when retained messages are sent (5.0 only).
	RetainHandling RetainHandling
}

// String returns the filter and QoS in braces, such as "{a/+ QoS1}",
// followed by the 5.0 options that are set: "no-local",
// "retain-as-published" and "retain-handling=n".
func (s Subscription) String() string {
	b := make([]byte, 0, 2+len(s.Filter)+5)
	b = append(b, '{')
	b = append(b, s.Filter...)
	b = append(b, ' ')
	b = append(b, s.QoS.String()...)
	if s.NoLocal {
		b = append(b, " no-local"...)
	}
	if s.RetainAsPublished {
		b = append(b, " retain-as-published"...)
	}
	if s.RetainHandling != 0 {
		b = append(b, " retain-handling="...)
		b = append(b, '0'+byte(s.RetainHandling)%10)
	}
	return string(append(b, '}'))
}

// options returns the subscription options byte.
func (s *Subscription) options() byte {
	b := byte(s.QoS) | byte(s.RetainHandling)<<optRetainHandlingShift
	if s.NoLocal {
		b |= optNoLocal
	}
	if s.RetainAsPublished {
		b |= optRetainAsPublished
	}
	return b
}

// Subscribe is the SUBSCRIBE packet.
type Subscribe struct {
	PacketID      uint16
	Subscriptions []Subscription
	Properties    *Properties // 5.0 only: Subscription Identifier, User Property
}

// Type returns SUBSCRIBE.
func (*Subscribe) Type() Type { return SUBSCRIBE }

// sharedPrefix starts the filter of a shared subscription in 5.0.
const sharedPrefix = "$share/"

// checkFilter validates a filter of SUBSCRIBE or UNSUBSCRIBE for version
// v and reports whether it is a shared subscription: in 5.0, "$share/",
// a share name of at least one character without '/', '+' or '#', '/',
// and a filter [MQTT-4.8.2-1] [MQTT-4.8.2-2].
func checkFilter(t Type, f string, v Version) (shared bool, err error) {
	if err := ValidFilter(f); err != nil {
		return false, err
	}
	if v != V5 || !strings.HasPrefix(f, sharedPrefix) {
		return false, nil
	}
	name, rest, ok := strings.Cut(f[len(sharedPrefix):], "/")
	switch {
	case name == "" || strings.ContainsAny(name, "+#"):
		return true, invalidType(t, ErrInvalidFilter, "%q: invalid share name [MQTT-4.8.2-1] [MQTT-4.8.2-2]", f)
	case !ok || rest == "":
		return true, invalidType(t, ErrInvalidFilter, "%q: shared subscription without a filter", f)
	}
	return true, nil
}

func (p *Subscribe) validate(v Version) error {
	if p.PacketID == 0 {
		return invalidType(SUBSCRIBE, ErrZeroPacketID, "SUBSCRIBE [MQTT-2.3.1-1]")
	}
	if len(p.Subscriptions) == 0 {
		return invalidType(SUBSCRIBE, ErrNoFilters, "SUBSCRIBE [MQTT-3.8.3-3]")
	}
	for i := range p.Subscriptions {
		s := &p.Subscriptions[i]
		shared, err := checkFilter(SUBSCRIBE, s.Filter, v)
		if err != nil {
			return err
		}
		if !s.QoS.Valid() {
			return invalidType(SUBSCRIBE, ErrInvalidQoS, "%v for %q", s.QoS, s.Filter)
		}
		if v != V5 {
			if s.NoLocal || s.RetainAsPublished || s.RetainHandling != 0 {
				return invalidType(SUBSCRIBE, ErrNotInVersion, "subscription options of %q for protocol %v", s.Filter, v)
			}
			continue
		}
		if s.RetainHandling > maxRetainHandling {
			return invalidType(SUBSCRIBE, ErrRetainHandling, "%d for %q", s.RetainHandling, s.Filter)
		}
		if shared && s.NoLocal {
			return invalidType(SUBSCRIBE, ErrSharedNoLocal, "%q [MQTT-3.8.3-4]", s.Filter)
		}
	}
	return nil
}

// Append implements [Packet].
func (p *Subscribe) Append(dst []byte, v Version) ([]byte, error) {
	if err := checkVersion(SUBSCRIBE, v); err != nil {
		return dst, err
	}
	if err := p.validate(v); err != nil {
		return dst, err
	}
	pn, err := checkProps(SUBSCRIBE, v, p.Properties)
	if err != nil {
		return dst, err
	}
	n := 2
	if v == V5 {
		n += propsLen(pn)
	}
	for _, s := range p.Subscriptions {
		n += 2 + len(s.Filter) + 1
	}
	if err := checkSize(SUBSCRIBE, n); err != nil {
		return dst, err
	}
	dst = grow(dst, 5+n)
	dst = appendHeader(dst, byte(SUBSCRIBE)<<4|requiredFlags[SUBSCRIBE], n)
	dst = appendUint16(dst, p.PacketID)
	if v == V5 {
		dst = appendProps(dst, p.Properties, pn)
	}
	for i := range p.Subscriptions {
		dst = appendString(dst, p.Subscriptions[i].Filter)
		dst = append(dst, p.Subscriptions[i].options())
	}
	return dst, nil
}

func (p *Subscribe) decode(d *body, _ byte, v Version) error {
	p.PacketID = d.packetID()
	p.Subscriptions, p.Properties = nil, nil
	if v == V5 {
		p.Properties = d.props(SUBSCRIBE)
	}
	for d.err == nil && len(d.b) > 0 {
		f := d.string("topic filter")
		q := d.byte("subscription options")
		if d.err != nil {
			break
		}
		shared, err := checkFilter(SUBSCRIBE, f, v)
		if err != nil {
			d.fail(ErrInvalidFilter, "%s", err.(*Error).Reason)
			break
		}
		s := Subscription{Filter: f, QoS: QoS(q & 3)}
		if v == V5 {
			if q&optReserved != 0 {
				d.fail(ErrReservedFlag, "subscription options 0x%02x [MQTT-3.8.3-5]", q)
				break
			}
			s.NoLocal = q&optNoLocal != 0
			s.RetainAsPublished = q&optRetainAsPublished != 0
			s.RetainHandling = RetainHandling(q >> optRetainHandlingShift & 3)
			if s.RetainHandling > maxRetainHandling {
				d.fail(ErrRetainHandling, "for %q", f)
				break
			}
			if shared && s.NoLocal {
				d.fail(ErrSharedNoLocal, "%q [MQTT-3.8.3-4]", f)
				break
			}
		} else if v != V31 && q&^3 != 0 {
			d.fail(ErrReservedFlag, "requested QoS byte 0x%02x [MQTT-3.8.3-4]", q)
			break
		}
		if s.QoS > QoS2 {
			d.fail(ErrInvalidQoS, "requested QoS 3 for %q", f)
			break
		}
		p.Subscriptions = append(p.Subscriptions, s)
	}
	if d.err == nil && len(p.Subscriptions) == 0 {
		d.fail(ErrNoFilters, "SUBSCRIBE without a filter [MQTT-3.8.3-3]")
	}
	return d.end()
}
