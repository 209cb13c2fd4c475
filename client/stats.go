package client

import (
	"cmp"
	"slices"
	"sync/atomic"

	"github.com/onmqtt/onmqtt/message"
)

// Stats is a snapshot of the client's counters.
type Stats struct {
	// Received and Sent count packets by type, indexed by message.Type.
	Received [16]uint64
	Sent     [16]uint64
	// Unhandled counts application messages (events with a Message)
	// that this client dispatched and no handler took: messages lost to
	// the application. UnhandledByType counts every event no handler
	// took, by message.Type: acknowledgements of the client's own
	// publishes land there when nothing listens for them, which is
	// normal. Neither counts events dispatched by other clients sharing
	// the router (see router.Router.Unhandled for the router's total).
	Unhandled       uint64
	UnhandledByType [16]uint64
	// Inflight is the number of QoS 1 and 2 publishes awaiting
	// acknowledgement, Pending the events waiting for dispatch.
	Inflight int
	Pending  int
	// Inbound is the messages counted against MaxPending: waiting for or
	// in their handler, held for PUBREL, or not yet acknowledged, and
	// queued PUBLISH events that deliver nothing (duplicates).
	Inbound int
	// Dropped counts QoS 0 messages dropped by the DropPolicy because
	// MaxPending messages were held; Duplicates counts QoS 2 re-sends
	// acknowledged but not delivered again.
	Dropped    uint64
	Duplicates uint64
	// Connects, ConnectionsLost and Resubscribes count connection events;
	// StoreErrors counts failed store writes.
	Connects        uint64
	ConnectionsLost uint64
	Resubscribes    uint64
	StoreErrors     uint64
	// Expired counts QoS 1 and 2 publishes dropped unsent because their
	// Message Expiry Interval ran out (MQTT 5.0).
	Expired uint64
	// SessionDiscarded counts the QoS 1 and 2 publishes a restarted
	// client deleted unsent from its store because the stored MQTT 5.0
	// session had expired while the process was down (see [Session]).
	SessionDiscarded uint64
}

type stats struct {
	received, sent, unhandled [16]atomic.Uint64
	unhandledMessages         atomic.Uint64

	dropped, duplicates, connects, lost, resubscribes, storeErrors atomic.Uint64
	expired, sessionDiscarded                                      atomic.Uint64
}

func (s *stats) in(t message.Type)  { s.received[t&15].Add(1) }
func (s *stats) out(t message.Type) { s.sent[t&15].Add(1) }

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	var st Stats
	for i := range st.Received {
		st.Received[i] = c.stats.received[i].Load()
		st.Sent[i] = c.stats.sent[i].Load()
		st.UnhandledByType[i] = c.stats.unhandled[i].Load()
	}
	st.Unhandled = c.stats.unhandledMessages.Load()
	st.Dropped = c.stats.dropped.Load()
	st.Duplicates = c.stats.duplicates.Load()
	st.Connects = c.stats.connects.Load()
	st.ConnectionsLost = c.stats.lost.Load()
	st.Resubscribes = c.stats.resubscribes.Load()
	st.StoreErrors = c.stats.storeErrors.Load()
	st.Expired = c.stats.expired.Load()
	st.SessionDiscarded = c.stats.sessionDiscarded.Load()
	st.Pending = c.events.len()
	st.Inbound = c.events.messages()
	c.mu.Lock()
	for _, p := range c.sess.pending {
		if p.kind == message.PUBLISH && !p.retiring {
			st.Inflight++
		}
	}
	c.mu.Unlock()
	return st
}

// sortPending sorts flows by their original send order.
func sortPending(flows []*pending) {
	slices.SortFunc(flows, func(a, b *pending) int { return cmp.Compare(a.seq, b.seq) })
}
