package client

import (
	"slices"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// session is the client's MQTT session state that is not about the
// connection: inbound QoS 2 flows, and the store writes their changes
// call for, in the order they were decided.
//
// Its methods are events and do no I/O: each changes the state and, when
// the store must follow, appends a write to ops. The caller holds c.mu,
// then, after unlocking, calls [Client.flushStore], which performs the
// writes in order before the caller sends what depends on them.
type session struct {
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
	// compWriting is set when the writer starts writing that PUBCOMP:
	// from then on the broker may have it and reuse the identifier.
	compWriting bool
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
	return &session{onPubrel: onPubrel, in: make(map[uint16]*inflow), quota: newQuota(inflight)}
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

// received records an inbound QoS 2 PUBLISH that came on cn and reports
// the flow that delivers it, or nil for a duplicate of a flow that awaits
// PUBREL [MQTT-4.3.3-2]. The whole message is put in the store: flushed
// before the PUBREC is written.
func (s *session) received(m *message.Message, cn *conn, at time.Time) *inflow {
	if f := s.in[m.PacketID]; f != nil && !f.orphan {
		if f.compOn != cn || !f.compWriting {
			return nil
		}
		// The flow's PUBCOMP is being written on cn. A broker reuses the
		// identifier only once it has that PUBCOMP, and re-sends only on
		// a new connection: this is a new message (the writer may not
		// have noted the PUBCOMP as written yet). Before the write began
		// the broker cannot have had it: a PUBLISH then is a re-send, or
		// a broker reusing an identifier too early, and is not delivered.
		delete(s.in, f.id)
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

// compWriting records that the writer is about to write the PUBCOMP for
// id on cn.
func (s *session) compWriting(id uint16, cn *conn) {
	if f := s.in[id]; f != nil && f.compOn == cn {
		f.compWriting = true
	}
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

// connected applies a CONNACK to the inbound flows and returns those
// whose messages must be delivered now, in arrival order: messages that
// were acknowledged but whose handler never returned in an earlier
// process (delivered on the PUBLISH event; with WithDeliverOnPubrel they
// wait for the broker's PUBREL), and every undelivered message when the
// broker kept no session. Identifiers of that lost session are
// forgotten.
func (s *session) connected(present bool) []*inflow {
	var due []*inflow
	for _, f := range s.in {
		// A PUBCOMP that was never written: the broker re-sends the
		// PUBREL, or (Mosquitto 2.0.11 after two reconnects in a row)
		// the PUBLISH, which must be known as a duplicate.
		f.compOn, f.compWriting = nil, false
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
	slices.SortFunc(due, func(a, b *inflow) int { return cmpUint64(a.order, b.order) })
	return due
}

// takeOps returns the store writes decided so far and clears them.
func (s *session) takeOps() []storeOp {
	ops := s.ops
	s.ops = nil
	return ops
}
