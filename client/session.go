package client

import (
	"slices"
	"strconv"

	"github.com/onmqtt/onmqtt/message"
)

// session is the client's MQTT session, the state that outlives a
// connection: outbound flows (PUBLISH, SUBSCRIBE, UNSUBSCRIBE) by packet
// identifier and in send order, the flows waiting for a slot of the send
// quota, the active subscriptions, the inbound QoS 2 flows, and the store
// writes the inbound flows' changes call for, in the order decided.
//
// Its methods do no I/O: each changes the state and, when the store must
// follow, appends a write to ops. Everything is guarded by c.mu (the
// quota has its own lock, see [quota]); after unlocking, the caller runs
// [Client.flushStore], which performs the writes in order before the
// caller sends what depends on them.
//
// Lock order: c.storeMu, then c.mu, then the quota's. No disk or network
// I/O happens under c.mu or the quota's lock; c.storeMu is held across
// store writes only.
type session struct {
	// lastID is the last packet identifier handed out.
	lastID uint16
	// seq numbers QoS 1 and 2 publishes in the order Publish accepted
	// them: the send order, kept across restarts by the store.
	seq uint64
	// pending holds the outbound flows awaiting acknowledgement by
	// packet identifier; a flow keeps its id reserved while retiring.
	pending map[uint16]*pending
	// held are publishes waiting for a quota slot, in send order.
	held []*pending
	// forget are PUBLISH flows finished without an acknowledgement whose
	// store entries [Client.forgetFlows] deletes.
	forget []*pending
	// subs are the active subscriptions, in subscribe order; renewSubs:
	// the broker lost them and they are not renewed yet.
	subs      []message.Subscription
	renewSubs bool

	// onPubrel is WithDeliverOnPubrel: a QoS 2 message is delivered on
	// the PUBREL event instead of the PUBLISH event.
	onPubrel bool
	// in holds the inbound QoS 2 flows by packet identifier, from the
	// PUBLISH until the PUBCOMP is written.
	in map[uint16]inflow
	// arrivals numbers inbound flows in arrival order.
	arrivals uint64
	// ops are the store writes decided and not yet performed.
	ops []storeOp
	// quota bounds the QoS 1 and 2 publishes in flight.
	quota *quota
}

func newSession(onPubrel bool, inflight int) *session {
	return &session{
		pending:  make(map[uint16]*pending),
		onPubrel: onPubrel,
		in:       make(map[uint16]inflow),
		quota:    newQuota(inflight),
	}
}

// addPublish records a new PUBLISH flow under its packet identifier and
// gives it the next send-order number.
func (s *session) addPublish(p *pending) {
	s.seq++
	p.seq = s.seq
	s.pending[p.msg.PacketID] = p
}

// lost returns the flows a lost connection ends: SUBSCRIBE and
// UNSUBSCRIBE in flight cannot be resumed, since the broker does not
// keep them across connections. Publishes stay for the resend.
func (s *session) lost() []*pending {
	var ended []*pending
	for _, p := range s.pending {
		if p.kind != message.PUBLISH && !p.retiring {
			ended = append(ended, p)
		}
	}
	return ended
}

// acked finds the flow a PUBACK (qos 1) or PUBCOMP (qos 2) for id
// completes. It returns nil and a reason when the acknowledgement does
// not fit the flow with that id (PUBACK for QoS 2, PUBCOMP for QoS 1 or
// before PUBREC, either for a subscription): a protocol violation. It
// returns nil and no reason for an id without a flow, which an earlier
// connection may have completed.
func (s *session) acked(id uint16, qos message.QoS) (*pending, string) {
	p := s.pending[id]
	switch {
	case p == nil || p.retiring:
		return nil, ""
	case p.kind != message.PUBLISH:
		return nil, "the identifier is a " + p.kind.String() + "'s"
	case p.msg.QoS != qos:
		return nil, "the publish has QoS " + strconv.Itoa(int(p.msg.QoS))
	case qos == message.QoS2 && !p.released:
		return nil, "no PUBREC came before it"
	}
	return p, ""
}

// pubrec moves the QoS 2 flow id to its PUBREL phase and returns it
// (nil for an unknown id: PUBREL is sent anyway, so that the broker can
// end its side), with the record to store the first time, or a reason
// when id is a QoS 1 publish's or a subscription's.
func (s *session) pubrec(id uint16) (*pending, *Outbound, string) {
	p := s.pending[id]
	switch {
	case p == nil || p.retiring:
		return nil, nil, ""
	case p.kind != message.PUBLISH || p.msg.QoS != message.QoS2:
		return nil, nil, "the identifier is not a QoS 2 publish's"
	case p.released:
		return p, nil, ""
	}
	p.released = true
	return p, &Outbound{Seq: p.seq, Message: p.msg, Released: true, Queued: p.born}, ""
}

// nextID returns a packet identifier no outbound flow uses, or
// ErrNoPacketID.
func (s *session) nextID() (uint16, error) {
	if len(s.pending) >= 65535 {
		return 0, ErrNoPacketID
	}
	for {
		s.lastID++
		if s.lastID == 0 {
			s.lastID = 1
		}
		if _, used := s.pending[s.lastID]; !used {
			return s.lastID, nil
		}
	}
}

// inOrder returns the outbound flows sorted by send order.
func (s *session) inOrder() []*pending {
	flows := make([]*pending, 0, len(s.pending))
	for _, p := range s.pending {
		flows = append(flows, p)
	}
	sortPending(flows)
	return flows
}

// popHeld removes and returns the oldest held flow still pending, or
// nil.
func (s *session) popHeld() *pending {
	for len(s.held) > 0 {
		p := s.held[0]
		s.held[0] = nil
		s.held = s.held[1:]
		if s.pending[p.msg.PacketID] == p && !p.retiring && !p.windowed {
			return p
		}
	}
	return nil
}

// addSub records an active subscription, replacing one with the same
// filter.
func (s *session) addSub(sub message.Subscription) {
	for i := range s.subs {
		if s.subs[i].Filter == sub.Filter {
			s.subs[i] = sub
			return
		}
	}
	s.subs = append(s.subs, sub)
}

// dropSubs forgets the subscriptions with these filters.
func (s *session) dropSubs(filters []string) {
	for _, f := range filters {
		s.subs = slices.DeleteFunc(s.subs, func(sub message.Subscription) bool { return sub.Filter == f })
	}
}

// setQuota sets how many QoS 1 and 2 publishes may be in flight: the
// MaxInflight option, or a CONNACK's Receive Maximum (MQTT 5.0). Called
// before restoreSession, which sends the held flows the new quota
// allows; when it shrinks, flows in flight above it keep their slots
// until they end.
func (s *session) setQuota(n int) { s.quota.set(n) }

// resume is what a new connection does for the session.
type resume struct {
	// resend are the flows sent again first, in send order: PUBREL for
	// a released QoS 2 flow, else the PUBLISH (DUP set if it was
	// written), for the flows holding a quota slot.
	resend []*pending
	// done are released QoS 2 flows of a session the broker lost: the
	// broker took the message at PUBREC, so they are complete.
	done []*pending
	// renew are the subscriptions to renew, nil for none.
	renew []message.Subscription
	// deliver are the inbound messages to deliver now (see
	// inboundConnected).
	deliver []redelivery
}

// connected applies a CONNACK with the session-present flag present.
//
// When the broker kept the session, every unacknowledged PUBLISH (DUP
// set) and PUBREL is resent in original order [MQTT-4.4.0-1]
// [MQTT-4.6.0-1], ahead of anything new (the client queues resends in
// the send queue's control class, which leaves before every publish).
// When it did not, released QoS 2 flows are complete, other publishes
// are sent again as new ones, and the subscriptions are renewed; a
// renewal cut short is done again even if the broker now reports the
// session present, since it made a new session without them.
func (s *session) connected(present bool) resume {
	var r resume
	for _, p := range s.inOrder() {
		if p.kind != message.PUBLISH || p.retiring || p.storing {
			continue // a flow still storing is queued by its Publish
		}
		switch {
		case p.released && present:
			r.resend = append(r.resend, p)
		case p.released:
			r.done = append(r.done, p)
		default:
			if !present {
				// The broker forgot the flow: a new publish to it.
				p.written.Store(false)
			}
			if p.windowed {
				r.resend = append(r.resend, p) // held ones wait for a slot
			}
		}
	}
	if !present || s.renewSubs {
		s.renewSubs = len(s.subs) > 0
		r.renew = slices.Clone(s.subs)
	}
	r.deliver = s.inboundConnected(present)
	return r
}
