package client

import (
	"cmp"
	"slices"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// inflow is one inbound QoS 2 flow, held by value in session.in.
type inflow struct {
	// gen tells this flow from a later one with the same identifier: the
	// arrival order, from 1.
	gen uint64
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
	// message (see inboundConnected).
	compOn *conn
	// compWriting is set when the writer starts writing that PUBCOMP:
	// from then on the broker may have it and reuse the identifier.
	compWriting bool
}

// flowRef names an inbound flow in an event; the zero value names none.
type flowRef struct {
	id  uint16
	gen uint64
}

// redelivery is a message to deliver again, and its flow.
type redelivery struct {
	flow flowRef
	msg  *message.Message
}

// storeOp is one store write decided by the session.
type storeOp struct {
	del bool    // DeleteInbound(in.ID); else PutInbound(in)
	in  Inbound // the record to put, or the identifier to delete
}

// flow returns the flow ref names, if it still exists.
func (s *session) flow(ref flowRef) (inflow, bool) {
	f, ok := s.in[ref.id]
	return f, ok && ref.gen != 0 && f.gen == ref.gen
}

// load fills the inbound flows from a store snapshot at start-up.
func (s *session) load(in []Inbound) {
	sorted := slices.Clone(in)
	// Deliveries after a restart follow the order of arrival where the
	// store knows it, then the identifiers'.
	slices.SortStableFunc(sorted, func(a, b Inbound) int { return a.Received.Compare(b.Received) })
	for _, e := range sorted {
		s.arrivals++
		s.in[e.ID] = inflow{gen: s.arrivals, msg: e.Message}
	}
}

// received records an inbound QoS 2 PUBLISH that came on cn and returns
// the flow that delivers it, or the zero flowRef for a re-send of a flow
// still known [MQTT-4.3.3-2]. The whole message is put in the store:
// flushed before the PUBREC is written.
func (s *session) received(m *message.Message, cn *conn, at time.Time) flowRef {
	if s.resend(m.PacketID, cn) {
		return flowRef{}
	}
	// A flow whose PUBCOMP is being written on cn gives way too: a broker
	// reuses the identifier only once it has that PUBCOMP, and never
	// sends the PUBLISH again after its PUBREL on the same connection, so
	// this is a new message (the writer may not have noted the PUBCOMP as
	// written yet). Before the write began the broker cannot have had
	// it: a PUBLISH then is a re-send, or a broker reusing an identifier
	// too early, and is not delivered.
	// A flow of a session the broker lost gives way to the new message
	// with its identifier: the new session may reuse it.
	s.arrivals++
	s.in[m.PacketID] = inflow{gen: s.arrivals, msg: m, queued: !s.onPubrel}
	s.put(Inbound{ID: m.PacketID, Message: m, State: InboundReceived, Received: at})
	return flowRef{m.PacketID, s.arrivals}
}

// resend reports whether a QoS 2 PUBLISH with identifier id that came on
// cn is a re-send of a flow still known (see received).
func (s *session) resend(id uint16, cn *conn) bool {
	f, ok := s.in[id]
	return ok && !f.orphan && (f.compOn != cn || !f.compWriting)
}

// pubrel records the broker's PUBREL for id and returns the message the
// PUBREL event delivers (with WithDeliverOnPubrel, once), or nil, and
// the flow, zero for an identifier the session does not know.
func (s *session) pubrel(id uint16) (*message.Message, flowRef) {
	f, ok := s.in[id]
	if !ok {
		return nil, flowRef{}
	}
	ref := flowRef{id, f.gen}
	f.released = true
	var m *message.Message
	if s.onPubrel && f.msg != nil && !f.queued {
		f.queued = true
		m = f.msg
	}
	s.in[id] = f
	return m, ref
}

// delivered records that the handler of flow ref's message returned (on
// the PUBLISH event, or with WithDeliverOnPubrel on the PUBREL event
// that came on cn) and returns the connection that should get PUBCOMP
// once the store writes are flushed, or nil. live says whether a
// connection can still send.
func (s *session) delivered(ref flowRef, cn *conn, live func(*conn) bool) *conn {
	f, ok := s.flow(ref)
	if !ok {
		return nil // replaced by a flow of a new session
	}
	f.msg, f.queued = nil, false
	if f.comp != nil {
		cn = f.comp
	}
	switch {
	case f.orphan:
		s.end(ref.id, f)
		return nil
	case !f.released:
		// Awaiting PUBREL: the identifier alone stays, so that a
		// re-sent PUBLISH is known as a duplicate.
		s.put(Inbound{ID: ref.id})
		cn = nil
	case cn != nil && live(cn):
		s.completing(ref.id, &f, cn)
	default:
		// Released, its PUBCOMP not due yet or its connection gone:
		// the record goes (after a restart, the broker's PUBREL for an
		// unknown identifier is answered with PUBCOMP), the identifier
		// stays known until a PUBCOMP is written.
		s.unstore(ref.id, &f)
		cn = nil
	}
	s.in[ref.id] = f
	return cn
}

// pubrelDone records that the PUBREL event of flow ref (zero when the
// id was unknown), which delivered nothing, came on cn and ran. It
// returns the connection that should get PUBCOMP once the store writes
// are flushed, or nil: while the flow's message is still being
// delivered, or when cn is gone (the broker sends PUBREL again on the
// next one).
func (s *session) pubrelDone(ref flowRef, cn *conn, live func(*conn) bool) *conn {
	if !live(cn) {
		return nil
	}
	f, ok := s.flow(ref)
	switch {
	case !ok:
		return cn
	case f.queued:
		// PUBCOMP only after the handler returned.
		f.comp = cn
		cn = nil
	case f.msg != nil:
		// Loaded from the store and not delivered yet: only a PUBREL
		// event (WithDeliverOnPubrel) or connected delivers it.
		return nil
	default:
		s.completing(ref.id, &f, cn)
	}
	s.in[ref.id] = f
	return cn
}

// completing deletes flow f's record and notes that its PUBCOMP is
// queued on cn.
func (s *session) completing(id uint16, f *inflow, cn *conn) {
	s.unstore(id, f)
	f.compOn = cn
}

// compWriting records that the writer is about to write the PUBCOMP for
// id on cn.
func (s *session) compWriting(id uint16, cn *conn) {
	if f, ok := s.in[id]; ok && f.compOn == cn {
		f.compWriting = true
		s.in[id] = f
	}
}

// compWritten records that the PUBCOMP for id was written on cn: the
// flow ends, and the broker may reuse the identifier.
func (s *session) compWritten(id uint16, cn *conn) {
	if f, ok := s.in[id]; ok && f.compOn == cn {
		delete(s.in, id)
	}
}

// end forgets flow f and its record.
func (s *session) end(id uint16, f inflow) {
	delete(s.in, id)
	s.unstore(id, &f)
}

// unstore deletes flow f's record, if it has one.
func (s *session) unstore(id uint16, f *inflow) {
	if !f.unstored {
		f.unstored = true
		s.ops = append(s.ops, storeOp{del: true, in: Inbound{ID: id}})
	}
}

func (s *session) put(e Inbound) { s.ops = append(s.ops, storeOp{in: e}) }

// inboundConnected applies a CONNACK to the inbound flows and returns
// those whose messages must be delivered now, in arrival order: messages
// that were acknowledged but whose handler never returned in an earlier
// process (delivered on the PUBLISH event; with WithDeliverOnPubrel they
// wait for the broker's PUBREL), and every undelivered message when the
// broker kept no session. Identifiers of that lost session are
// forgotten.
func (s *session) inboundConnected(present bool) []redelivery {
	var due []redelivery
	for id, f := range s.in {
		// A PUBCOMP that was never written: the broker re-sends the
		// PUBREL, or (Mosquitto 2.0.11 after two reconnects in a row)
		// the PUBLISH, which must be known as a duplicate.
		f.compOn, f.compWriting = nil, false
		switch {
		case f.queued:
			f.orphan = f.orphan || !present
		case f.msg != nil:
			if present && s.onPubrel {
				break
			}
			f.orphan = !present
			f.queued = true
			due = append(due, redelivery{flowRef{id, f.gen}, f.msg})
		case !present:
			s.end(id, f)
			continue
		}
		s.in[id] = f
	}
	slices.SortFunc(due, func(a, b redelivery) int { return cmp.Compare(a.flow.gen, b.flow.gen) })
	return due
}

// takeOps returns the store writes decided so far and goes on with
// spare, emptied, for the next ones.
func (s *session) takeOps(spare []storeOp) []storeOp {
	ops := s.ops
	s.ops = spare[:0]
	return ops
}
