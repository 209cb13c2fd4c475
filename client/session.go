package client

import (
	"cmp"
	"slices"
	"strconv"
	"time"

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
	// PUBLISH until the PUBCOMP is queued.
	in map[uint16]*inflow
	// arrivals numbers inbound flows in arrival order.
	arrivals uint64
	// ops are the store writes decided and not yet performed.
	ops []storeOp
	// quota bounds the QoS 1 and 2 publishes in flight.
	quota *quota
}

// inflow is one inbound QoS 2 flow.
type inflow struct {
	id uint16
	// msg is the message while its handler has not returned: in the
	// store as a whole until then. Nil once it has (the store keeps the
	// identifier alone until PUBREL), and for an identifier loaded from
	// the store without a message.
	msg *message.Message
	// queued: an event delivering msg is queued or running.
	queued bool
	// released: the broker's PUBREL arrived on this process.
	released bool
	// orphan: the broker's session is gone, so no PUBREL will come; the
	// flow ends once its message was delivered.
	orphan bool
	// unstored: the flow's record was deleted.
	unstored bool
	// comp is the connection a PUBREL came on while msg was still being
	// delivered: PUBCOMP goes there once the handler returned.
	comp *conn
	// compOn is the connection PUBCOMP is queued on. The flow stays
	// known until that PUBCOMP is written: until then the broker cannot
	// reuse the identifier, so a PUBLISH with it is a re-send of this
	// message (see connected).
	compOn *conn
	// order is the arrival order, for deliveries after a restart.
	order uint64
	at    time.Time // when the PUBLISH arrived; zero when unknown
}

// storeOp is one store write decided by the session.
type storeOp struct {
	del bool    // DeleteInbound(in.ID); else PutInbound(in)
	in  Inbound // the record to put, or the identifier to delete
}

func newSession(onPubrel bool, inflight int) *session {
	return &session{
		pending:  make(map[uint16]*pending),
		onPubrel: onPubrel,
		in:       make(map[uint16]*inflow),
		quota:    newQuota(inflight),
	}
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
	return p, &Outbound{Seq: p.seq, Message: p.msg, Released: true}, ""
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

// load fills the inbound flows from a store snapshot at start-up.
func (s *session) load(in []Inbound) {
	sorted := slices.Clone(in)
	// Deliveries after a restart follow the order of arrival where the
	// store knows it, then the identifiers'.
	slices.SortStableFunc(sorted, func(a, b Inbound) int { return a.Received.Compare(b.Received) })
	for _, e := range sorted {
		s.arrivals++
		s.in[e.ID] = &inflow{id: e.ID, msg: e.Message, order: s.arrivals, at: e.Received}
	}
}

// received records an inbound QoS 2 PUBLISH and reports the flow that
// delivers it, or nil for a duplicate of a flow that awaits PUBREL
// [MQTT-4.3.3-2]. The whole message is put in the store: flushed before
// the PUBREC is written.
func (s *session) received(m *message.Message, at time.Time) *inflow {
	if f := s.in[m.PacketID]; f != nil && !f.orphan {
		return nil
	}
	// A flow of a session the broker lost gives way to the new message
	// with its identifier: the new session may reuse it.
	s.arrivals++
	f := &inflow{id: m.PacketID, msg: m, queued: !s.onPubrel, order: s.arrivals, at: at}
	s.in[f.id] = f
	s.put(Inbound{ID: f.id, Message: m, State: InboundReceived, Received: at})
	return f
}

// pubrel records the broker's PUBREL for id and returns the message the
// PUBREL event delivers (with WithDeliverOnPubrel, once), or nil, and
// the flow, nil for an identifier the session does not know.
func (s *session) pubrel(id uint16) (*message.Message, *inflow) {
	f := s.in[id]
	if f == nil {
		return nil, nil
	}
	f.released = true
	if s.onPubrel && f.msg != nil && !f.queued {
		f.queued = true
		return f.msg, f
	}
	return nil, f
}

// delivered records that the handler of flow f's message returned (on
// the PUBLISH event, or with WithDeliverOnPubrel on the PUBREL event
// that came on cn) and returns the connection that should get PUBCOMP
// once the store writes are flushed, or nil. live says whether a
// connection can still send.
func (s *session) delivered(f *inflow, cn *conn, live func(*conn) bool) *conn {
	f.msg, f.queued = nil, false
	if s.in[f.id] != f {
		return nil // replaced by a flow of a new session
	}
	if f.comp != nil {
		cn = f.comp
	}
	switch {
	case f.orphan:
		s.end(f)
		return nil
	case !f.released:
		// Awaiting PUBREL: the identifier alone stays, so that a
		// re-sent PUBLISH is known as a duplicate.
		s.put(Inbound{ID: f.id})
		return nil
	case cn != nil && live(cn):
		s.completing(f, cn)
		return cn
	}
	// Released, its PUBCOMP not due yet or its connection gone: the
	// record goes (after a restart, the broker's PUBREL for an unknown
	// identifier is answered with PUBCOMP), the identifier stays known
	// until a PUBCOMP can be queued.
	s.unstore(f)
	return nil
}

// pubrelDone records that the PUBREL event of flow f (nil when the id
// was unknown), which delivered nothing, came on cn and ran. It returns
// the connection that should get PUBCOMP once the store writes are
// flushed, or nil: while the flow's message is still being delivered,
// or when cn is gone (the broker sends PUBREL again on the next one).
func (s *session) pubrelDone(f *inflow, cn *conn, live func(*conn) bool) *conn {
	switch {
	case !live(cn):
		return nil
	case f == nil || s.in[f.id] != f:
		return cn
	case f.queued:
		// PUBCOMP only after the handler returned.
		f.comp = cn
		return nil
	case f.msg != nil:
		// Loaded from the store and not delivered yet: only a PUBREL
		// event (WithDeliverOnPubrel) or connected delivers it.
		return nil
	}
	s.completing(f, cn)
	return cn
}

// completing deletes flow f's record and notes that its PUBCOMP is
// queued on cn.
func (s *session) completing(f *inflow, cn *conn) {
	s.unstore(f)
	f.compOn = cn
}

// compWritten records that the PUBCOMP for id was written on cn: the
// flow ends, and the broker may reuse the identifier.
func (s *session) compWritten(id uint16, cn *conn) {
	if f := s.in[id]; f != nil && f.compOn == cn {
		delete(s.in, id)
	}
}

// end forgets flow f and its record.
func (s *session) end(f *inflow) {
	delete(s.in, f.id)
	s.unstore(f)
}

// unstore deletes flow f's record, if it has one.
func (s *session) unstore(f *inflow) {
	if !f.unstored {
		f.unstored = true
		s.ops = append(s.ops, storeOp{del: true, in: Inbound{ID: f.id}})
	}
}

func (s *session) put(e Inbound) { s.ops = append(s.ops, storeOp{in: e}) }

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
	deliver []*inflow
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

// inboundConnected applies a CONNACK to the inbound flows and returns
// those whose messages must be delivered now, in arrival order: messages
// that were acknowledged but whose handler never returned in an earlier
// process (delivered on the PUBLISH event; with WithDeliverOnPubrel they
// wait for the broker's PUBREL), and every undelivered message when the
// broker kept no session. Identifiers of that lost session are
// forgotten.
func (s *session) inboundConnected(present bool) []*inflow {
	var due []*inflow
	for _, f := range s.in {
		// A PUBCOMP that was never written: the broker re-sends the
		// PUBREL, or (Mosquitto 2.0.11 after two reconnects in a row)
		// the PUBLISH, which must be known as a duplicate.
		f.compOn = nil
		switch {
		case f.queued:
			if !present {
				f.orphan = true
			}
		case f.msg != nil:
			if present && s.onPubrel {
				continue
			}
			f.orphan = !present
			f.queued = true
			due = append(due, f)
		case !present:
			s.end(f)
		}
	}
	slices.SortFunc(due, func(a, b *inflow) int { return cmp.Compare(a.order, b.order) })
	return due
}

// takeOps returns the store writes decided so far and clears them.
func (s *session) takeOps() []storeOp {
	ops := s.ops
	s.ops = nil
	return ops
}
