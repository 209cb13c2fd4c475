package client

import (
	"slices"
	"sync"

	"github.com/onmqtt/onmqtt/message"
)

// Store keeps the session state that QoS 1 and 2 depend on, so that it
// survives a lost connection and, with a durable store, a process restart:
//
//   - outbound PUBLISH packets awaiting PUBACK or PUBREC, and outbound
//     QoS 2 flows awaiting PUBCOMP after PUBREL (Released set);
//   - inbound QoS 2 packet identifiers awaiting PUBREL, with the message
//     when the client delivers on PUBREL.
//
// The client calls a Store from several goroutines, but never two writes
// for the same packet identifier at once. A Store must return an error
// rather than lose an entry silently.
type Store interface {
	// Load returns every entry, outbound ones sorted by Seq, and the
	// highest Seq ever recorded.
	Load() (Snapshot, error)
	// PutOutbound records or replaces the outbound flow with e.Message's
	// packet identifier.
	PutOutbound(e Outbound) error
	// DeleteOutbound forgets the outbound flow for id.
	DeleteOutbound(id uint16) error
	// PutInbound records an inbound QoS 2 identifier awaiting PUBREL.
	PutInbound(e Inbound) error
	// DeleteInbound forgets the inbound identifier.
	DeleteInbound(id uint16) error
	// Reset drops every entry (the broker kept no session).
	Reset() error
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
}

// Outbound is an outbound QoS 1 or 2 flow awaiting acknowledgement.
type Outbound struct {
	Seq      uint64          // original send order
	Message  message.Message // PacketID is the flow's identifier
	Released bool            // QoS 2: PUBREC received, PUBREL sent
}

// Inbound is an inbound QoS 2 flow awaiting PUBREL.
type Inbound struct {
	ID      uint16
	Message *message.Message // held for delivery on PUBREL, else nil
}

// MemoryStore is a [Store] in memory: it survives reconnects, not
// restarts. The zero value is not ready; use [NewMemoryStore].
type MemoryStore struct {
	mu      sync.Mutex
	out     map[uint16]Outbound
	in      map[uint16]Inbound
	lastSeq uint64
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{out: make(map[uint16]Outbound), in: make(map[uint16]Inbound)}
}

// Load implements [Store].
func (s *MemoryStore) Load() (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapshot(s.out, s.in, s.lastSeq), nil
}

// snapshot sorts the entries of a store's maps into a Snapshot.
func snapshot(outm map[uint16]Outbound, inm map[uint16]Inbound, last uint64) Snapshot {
	out := make([]Outbound, 0, len(outm))
	for _, e := range outm {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Outbound) int { return cmpUint64(a.Seq, b.Seq) })
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

// DeleteInbound implements [Store].
func (s *MemoryStore) DeleteInbound(id uint16) error {
	s.mu.Lock()
	delete(s.in, id)
	s.mu.Unlock()
	return nil
}

// Reset implements [Store].
func (s *MemoryStore) Reset() error {
	s.mu.Lock()
	clear(s.out)
	clear(s.in)
	s.mu.Unlock()
	return nil
}

// Close implements [Store]; the store stays usable.
func (s *MemoryStore) Close() error { return nil }

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
