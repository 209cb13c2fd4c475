package client

import (
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// propStore keeps the MQTT 5.0 properties of the messages it stores in
// the records' Properties bytes, in their wire encoding, and restores
// them on Load: a store that keeps only bytes, such as the FileStore,
// then gives a restarted process back its messages with their
// properties (expiry, content type, correlation data, ...). The client
// wraps every store in it.
type propStore struct{ Store }

// PutOutbound implements [Store].
func (s propStore) PutOutbound(e Outbound) error {
	if e.Properties == nil && e.Message.Properties != nil {
		e.Properties = encodePublishProps(e.Message.Properties)
	}
	return s.Store.PutOutbound(e)
}

// PutInbound implements [Store].
func (s propStore) PutInbound(e Inbound) error {
	if e.Properties == nil && e.Message != nil && e.Message.Properties != nil {
		e.Properties = encodePublishProps(e.Message.Properties)
	}
	return s.Store.PutInbound(e)
}

// Load implements [Store].
func (s propStore) Load() (Snapshot, error) {
	snap, err := s.Store.Load()
	for i := range snap.Outbound {
		e := &snap.Outbound[i]
		if e.Message.Properties == nil && e.Properties != nil {
			e.Message.Properties = decodePublishProps(e.Properties)
		}
	}
	for i := range snap.Inbound {
		e := &snap.Inbound[i]
		if e.Message != nil && e.Message.Properties == nil && e.Properties != nil {
			m := *e.Message
			m.Properties = decodePublishProps(e.Properties)
			e.Message = &m
		}
	}
	return snap, err
}

// encodePublishProps returns the wire encoding of a PUBLISH's
// properties, their length first; nil when they cannot be encoded.
func encodePublishProps(p *message.Properties) []byte {
	b, err := message.AppendProperties(nil, p, message.PUBLISH)
	if err != nil {
		return nil
	}
	return b
}

// decodePublishProps returns the properties encodePublishProps encoded,
// nil when b does not decode.
func decodePublishProps(b []byte) *message.Properties {
	p, n, err := message.ReadProperties(b, message.PUBLISH)
	if err != nil || n != len(b) {
		return nil
	}
	return p
}

// SessionStore is a [Store] that also keeps the MQTT 5.0 session's
// expiry state, so that a restarted process can tell whether the broker
// still keeps its session. [MemoryStore] and [FileStore] implement it;
// with a Store that does not, the client records nothing and resumes
// whatever the store holds, as before 5.0.
//
// At MQTT 5.0 the client puts a [Session] when a connection is
// established (before it sends anything on it), when it ends (lost,
// [Client.Disconnect], [Client.Close]; with the interval a DISCONNECT
// set), and, while connected with a finite non-zero Session Expiry
// Interval, every half Session.Period, from a goroutine of its own. It
// holds none of its locks but the one that orders its store writes
// during the call. [Snapshot].Session returns the last one put.
type SessionStore interface {
	Store
	// PutSession replaces the recorded session state with e; the zero
	// Session records that there is none.
	PutSession(e Session) error
}

// SessionNever is the Session Expiry Interval of a session that does not
// expire (0xFFFFFFFF seconds).
const SessionNever uint32 = 0xFFFFFFFF

// Session is the MQTT 5.0 session's expiry state, as a [SessionStore]
// keeps it.
//
// When a client with a non-empty store starts at MQTT 5.0, the stored
// session has expired, and is discarded, when
//
//   - Interval is 0 and a connection was recorded (At set): whatever
//     ended the process ended the connection, and with it the session;
//   - Ended is set and At + Interval has passed;
//   - Ended is not set (the process stopped without recording the end of
//     its connection) and At + Period + Interval has passed.
//
// A session that never expires (Interval [SessionNever]), or one whose
// end is unknown (Ended not set, Period 0), is resumed.
//
// Discarding means: the outbound flows are deleted from the store
// unsent ([Stats].SessionDiscarded counts them), the inbound identifiers
// awaiting PUBREL are forgotten, and inbound QoS 2 messages held for
// delivery are still delivered; the next CONNECT carries Clean Start.
// The store then holds the zero Session until the next connection, so a
// restart before it keeps the publishes made meanwhile.
type Session struct {
	// Interval is the Session Expiry Interval in force, in seconds, as
	// on the wire: CONNECT's, replaced by CONNACK's when the broker sent
	// one, or by the one a DISCONNECT carried. SessionNever: the session
	// does not expire.
	Interval uint32
	// At is when the state was recorded: when the connection was
	// established or last known to be up, or, with Ended, when it ended.
	// Zero: no connection recorded. A FileStore keeps it to the
	// nanosecond, without a monotonic reading or zone.
	At time.Time
	// Ended reports that the connection ended at At.
	Ended bool
	// Period bounds, when Ended is not set, how long after At the
	// connection may have lasted: while connected, the client records
	// the session again at least every Period/2. Zero when no such
	// records are written (Interval 0 or SessionNever).
	Period time.Duration
}

// IsZero reports whether e records no session.
func (e Session) IsZero() bool { return e == Session{} }

// expired reports whether the session e records has expired by now
// (see [Session]).
func (e Session) expired(now time.Time) bool {
	switch {
	case e.At.IsZero() || e.Interval == SessionNever:
		return false
	case e.Interval == 0:
		return true
	}
	end := e.At
	if !e.Ended {
		if e.Period <= 0 {
			return false
		}
		end = end.Add(e.Period)
	}
	return now.After(end.Add(time.Duration(e.Interval) * time.Second))
}

// livenessPeriod returns the Session.Period recorded for a connection
// with Session Expiry Interval interval (seconds): the client records
// the session again every half of it, at most every max(interval/2,
// 1 min); 0 when none is needed (0 or never).
func livenessPeriod(interval uint32) time.Duration {
	if interval == 0 || interval == SessionNever {
		return 0
	}
	every := max(time.Duration(interval)*time.Second/2, time.Minute)
	return 2 * every
}
