package client

import (
	"fmt"
	"strconv"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// aliasLRU assigns the topic aliases of one connection's outbound
// publishes: aliases 1 to max [MQTT-3.3.2-8] [MQTT-3.3.2-9], the least
// recently used one reassigned when all are taken. It lives and dies with
// its connection, so no alias outlives it [MQTT-3.3.2-7]. Only the
// connection's writer uses it.
type aliasLRU struct {
	max     int
	byTopic map[string]*aliasEntry
	head    *aliasEntry // most recently used
	tail    *aliasEntry // least recently used
	next    int         // the next alias never assigned
}

type aliasEntry struct {
	topic      string
	alias      uint16
	prev, next *aliasEntry
}

func newAliasLRU(max int) *aliasLRU {
	return &aliasLRU{max: min(max, 65535), byTopic: make(map[string]*aliasEntry), next: 1}
}

// get returns the alias for topic, and whether the broker already maps
// it (the PUBLISH may then leave its topic empty). A topic without an
// alias gets one: a new one while some are unused, else the least
// recently used one's, whose topic loses it.
func (l *aliasLRU) get(topic string) (alias uint16, known bool) {
	if e := l.byTopic[topic]; e != nil {
		l.unlink(e)
		l.push(e)
		return e.alias, true
	}
	var e *aliasEntry
	if l.next <= l.max {
		e = &aliasEntry{alias: uint16(l.next)}
		l.next++
	} else {
		e = l.tail
		l.unlink(e)
		delete(l.byTopic, e.topic)
	}
	e.topic = topic
	l.byTopic[topic] = e
	l.push(e)
	return e.alias, false
}

func (l *aliasLRU) unlink(e *aliasEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (l *aliasLRU) push(e *aliasEntry) {
	e.next = l.head
	if l.head != nil {
		l.head.prev = e
	}
	l.head = e
	if l.tail == nil {
		l.tail = e
	}
}

// resolveAlias gives an inbound PUBLISH its full topic before anything
// else sees it, so handlers and conditions never see an alias. An alias
// of 0 or above our Topic Alias Maximum is a protocol error closed with
// 0x94 [MQTT-3.3.2-10]; an empty topic with an alias never mapped on this
// connection one closed with 0x82. It runs on the reader.
func (cn *conn) resolveAlias(p *message.Publish) error {
	if p.Properties == nil || !p.Properties.TopicAlias.Set {
		return nil
	}
	a := p.Properties.TopicAlias.Value
	if a == 0 || int(a) > cn.c.opts.TopicAliasMaximum {
		return &ProtocolError{Type: message.PUBLISH, ID: p.PacketID, Code: message.TopicAliasInvalid,
			Reason: "topic alias " + strconv.Itoa(int(a)) + " outside 1.." + strconv.Itoa(cn.c.opts.TopicAliasMaximum)}
	}
	if p.Topic == "" {
		t, ok := cn.aliasIn[a]
		if !ok {
			return &ProtocolError{Type: message.PUBLISH, ID: p.PacketID, Code: message.ProtocolError,
				Reason: "empty topic with topic alias " + strconv.Itoa(int(a)) + ", which was never mapped"}
		}
		p.Topic = t
		return nil
	}
	if cn.aliasIn == nil {
		cn.aliasIn = make(map[uint16]string)
	}
	cn.aliasIn[a] = p.Topic
	return nil
}

// preparePublish adapts an outbound PUBLISH to the connection, on the
// writer: before 5.0 it carries no properties; at 5.0 its Message Expiry
// Interval is what remains of it since born, and it may travel with a
// topic alias. A re-sent PUBLISH, or one asked to go without (dup),
// carries its full topic and no alias. It returns an error when the
// message must not be sent: errExpired for one that expired before it
// was ever sent, and a *CapabilityError for one this connection's broker
// does not accept, queued before the CONNACK that set the limits
// [MQTT-3.2.2-11] [MQTT-3.2.2-14].
func (cn *conn) preparePublish(pub *message.Publish, born time.Time, dup bool) error {
	if cn.v != message.V5 {
		pub.Properties = nil
		return nil
	}
	if r := cn.res; r != nil {
		switch {
		case pub.QoS > r.MaximumQoS:
			return &CapabilityError{Capability: "Maximum QoS", Detail: fmt.Sprintf("queued QoS %d publish to %q, the broker accepts at most QoS %d", pub.QoS, pub.Topic, r.MaximumQoS)}
		case pub.Retain && !r.RetainAvailable:
			return &CapabilityError{Capability: "Retain Available", Detail: fmt.Sprintf("queued retained message to %q", pub.Topic)}
		}
	}
	// The message's own properties stay as they are (a resend needs
	// them): what changes goes into a copy the writer keeps in the
	// connection, used only until pub is encoded.
	copied := false
	props := func() *message.Properties {
		if !copied {
			cn.propsOut = message.Properties{}
			if pub.Properties != nil {
				cn.propsOut = *pub.Properties
			}
			pub.Properties, copied = &cn.propsOut, true
		}
		return pub.Properties
	}
	if pub.Properties != nil && pub.Properties.MessageExpiry.Set && !born.IsZero() {
		exp := time.Duration(pub.Properties.MessageExpiry.Value) * time.Second
		left := exp - time.Since(born)
		if left <= 0 {
			if !dup {
				return errExpired
			}
			// Once sent, the flow goes on: no expiry applies to it
			// [MQTT-4.3.3-7]; the broker gets the least interval.
			left = time.Second
		}
		props().MessageExpiry = message.Some(durationSeconds(left))
	}
	if cn.aliasOut != nil && !dup && pub.Topic != "" {
		alias, known := cn.aliasOut.get(pub.Topic)
		props().TopicAlias = message.Some(alias)
		if known {
			pub.Topic = ""
		}
	}
	return nil
}
