package client

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// Store keeps the session state that QoS 1 and 2 depend on, so that it
// survives a lost connection and, with a durable store, a process restart:
//
//   - outbound PUBLISH packets awaiting PUBACK or PUBREC, and outbound
//     QoS 2 flows awaiting PUBCOMP after PUBREL (Released set);
//   - inbound QoS 2 flows awaiting PUBREL: the packet identifier alone,
//     or the whole message held for delivery, with its state (see
//     [Inbound]);
//   - with a [SessionStore], the MQTT 5.0 session's expiry: the Session
//     Expiry Interval in force and when the last connection was known to
//     be up or ended (see [Session]), so that a restarted process
//     discards a session the broker no longer keeps.
//
// The client calls a Store from several goroutines, but never two writes
// for the same packet identifier at once. A Store must return an error
// rather than lose an entry silently.
type Store interface {
	// Load returns every entry, outbound ones sorted by Seq, inbound
	// ones by ID, and the highest Seq ever recorded.
	Load() (Snapshot, error)
	// PutOutbound records or replaces the outbound flow with e.Message's
	// packet identifier.
	PutOutbound(e Outbound) error
	// DeleteOutbound forgets the outbound flow for id.
	DeleteOutbound(id uint16) error
	// PutInbound records or replaces the inbound QoS 2 flow e.ID: with
	// e.Message nil, an identifier awaiting PUBREL whose message needs
	// no delivery any more; with e.Message set, a message held until its
	// handler returned, in state e.State.
	PutInbound(e Inbound) error
	// ReleaseInbound moves the held message of inbound flow id to
	// [InboundReleased]: the broker's PUBREL arrived. It does nothing
	// for an identifier without a held message.
	ReleaseInbound(id uint16) error
	// DeleteInbound forgets the inbound flow id, with its message.
	DeleteInbound(id uint16) error
	// Close releases the store's resources.
	Close() error
}

// Snapshot is the content of a [Store].
type Snapshot struct {
	Outbound []Outbound // sorted by Seq
	Inbound  []Inbound  // sorted by ID
	// LastSeq is the highest Seq ever put, even if that flow has since
	// been deleted: the number of QoS 1 and 2 publishes the session has
	// recorded. A durable store keeps it across restarts.
	LastSeq uint64
	// Session is the last [Session] put with [SessionStore.PutSession],
	// the zero Session when none was, or the store is no SessionStore.
	Session Session
}

// Outbound is an outbound QoS 1 or 2 flow awaiting acknowledgement.
type Outbound struct {
	Seq      uint64          // original send order
	Message  message.Message // PacketID is the flow's identifier
	Released bool            // QoS 2: PUBREC received, PUBREL sent
	// Properties are the PUBLISH properties of an MQTT 5.0 message,
	// encoded as on the wire, kept as given; nil for MQTT 3.1.1.
	Properties []byte
	// Queued is when Publish accepted a message with an MQTT 5.0
	// Message Expiry Interval: the interval's reference time, so that a
	// restarted process sends what remains of it, or drops the message
	// once it ran out. Zero for a message without one, or when unknown.
	// A FileStore keeps it to the nanosecond, without a monotonic
	// reading or zone.
	Queued time.Time
}

// InboundState is the progress of an inbound QoS 2 message held in a
// [Store].
type InboundState uint8

// Inbound states.
const (
	// InboundReceived: the PUBLISH arrived and PUBREC is (about to be)
	// sent; the broker has not released the message yet.
	InboundReceived InboundState = iota
	// InboundReleased: the broker's PUBREL arrived; the message's
	// handler has not returned yet.
	InboundReleased
)

// String returns the state's name.
func (s InboundState) String() string {
	switch s {
	case InboundReceived:
		return "received"
	case InboundReleased:
		return "released"
	}
	return "InboundState(" + strconv.Itoa(int(s)) + ")"
}

// Inbound is an inbound QoS 2 flow.
//
// With Message nil it is only the packet identifier, awaiting PUBREL so
// that a re-sent PUBLISH is recognised as a duplicate. With Message set,
// the store holds the whole message, as received (topic, payload, QoS,
// retain, dup, packet identifier, MQTT 5.0 properties), so that a message
// acknowledged with PUBREC can be delivered after a restart: it is meant
// to be put before the PUBREC is written, released ([Store.ReleaseInbound])
// when PUBREL arrives, and deleted, or replaced by the identifier alone,
// once its handler returned.
type Inbound struct {
	ID      uint16
	Message *message.Message // the held message, or nil
	// State says whether the broker released the held message
	// (meaningful only with Message set).
	State InboundState
	// Properties are the PUBLISH properties of an MQTT 5.0 message,
	// encoded as on the wire, kept as given; nil for MQTT 3.1.1.
	Properties []byte
	// Received is when the PUBLISH arrived: the reference time of an
	// MQTT 5.0 message expiry interval. Zero when unknown. A FileStore
	// keeps it to the nanosecond, without a monotonic reading or zone.
	Received time.Time
}

// MemoryStore is a [Store] in memory: it survives reconnects, not
// restarts, unless a later [Client] of the same process is given it. It
// keeps the held inbound messages as given (the client never writes to
// them again) and Load returns copies of them, so a message delivered
// again by a later client is the one received. The zero value is not
// ready; use [NewMemoryStore].
type MemoryStore struct {
	mu      sync.Mutex
	out     map[uint16]Outbound
	in      map[uint16]Inbound
	lastSeq uint64
	session Session
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{out: make(map[uint16]Outbound), in: make(map[uint16]Inbound)}
}

// Load implements [Store].
func (s *MemoryStore) Load() (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := snapshot(s.out, s.in, s.lastSeq)
	snap.Session = s.session
	for i := range snap.Inbound {
		snap.Inbound[i].Message = cloneMessage(snap.Inbound[i].Message)
	}
	return snap, nil
}

// cloneMessage returns a copy of m that shares no bytes with it; nil for
// nil. Properties are shared: a Reader allocates them for each message
// and nothing changes them afterwards.
func cloneMessage(m *message.Message) *message.Message {
	if m == nil {
		return nil
	}
	k := *m
	k.Payload = bytes.Clone(m.Payload)
	return &k
}

// snapshot sorts the entries of a store's maps into a Snapshot.
func snapshot(outm map[uint16]Outbound, inm map[uint16]Inbound, last uint64) Snapshot {
	out := make([]Outbound, 0, len(outm))
	for _, e := range outm {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Outbound) int { return cmp.Compare(a.Seq, b.Seq) })
	in := make([]Inbound, 0, len(inm))
	for _, e := range inm {
		in = append(in, e)
	}
	slices.SortFunc(in, func(a, b Inbound) int { return int(a.ID) - int(b.ID) })
	return Snapshot{Outbound: out, Inbound: in, LastSeq: last}
}

// PutOutbound implements [Store].
func (s *MemoryStore) PutOutbound(e Outbound) error {
	s.mu.Lock()
	s.out[e.Message.PacketID] = e
	s.lastSeq = max(s.lastSeq, e.Seq)
	s.mu.Unlock()
	return nil
}

// DeleteOutbound implements [Store].
func (s *MemoryStore) DeleteOutbound(id uint16) error {
	s.mu.Lock()
	delete(s.out, id)
	s.mu.Unlock()
	return nil
}

// PutInbound implements [Store].
func (s *MemoryStore) PutInbound(e Inbound) error {
	s.mu.Lock()
	s.in[e.ID] = e
	s.mu.Unlock()
	return nil
}

// ReleaseInbound implements [Store].
func (s *MemoryStore) ReleaseInbound(id uint16) error {
	s.mu.Lock()
	releaseInbound(s.in, id)
	s.mu.Unlock()
	return nil
}

// releaseInbound marks the held message of id released, reporting
// whether there was one.
func releaseInbound(in map[uint16]Inbound, id uint16) bool {
	e, ok := in[id]
	if !ok || e.Message == nil {
		return false
	}
	e.State = InboundReleased
	in[id] = e
	return true
}

// DeleteInbound implements [Store].
func (s *MemoryStore) DeleteInbound(id uint16) error {
	s.mu.Lock()
	delete(s.in, id)
	s.mu.Unlock()
	return nil
}

// PutSession implements [SessionStore].
func (s *MemoryStore) PutSession(e Session) error {
	s.mu.Lock()
	s.session = e
	s.mu.Unlock()
	return nil
}

// Close implements [Store]; the store stays usable.
func (s *MemoryStore) Close() error { return nil }
