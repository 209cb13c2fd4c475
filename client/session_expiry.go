package client

import (
	"sync"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// sessionLog records the MQTT 5.0 session's expiry state in a
// [SessionStore] (see [Session]). The supervisor, which alone starts and
// ends connections, sets the state to record (note); a goroutine of the
// client's (run) writes the latest one with no lock held, and rewrites
// it while a connection with a finite non-zero interval lasts, so that a
// process that stops without recording the end leaves a record at most
// Period/2 old. Records need no order with the flows' records: they
// describe the connection, not a flow, and the store orders its own
// writes.
type sessionLog struct {
	st SessionStore // nil: nothing is recorded

	mu       sync.Mutex
	want     Session // the state to record
	dirty    bool    // want is not written yet
	recorded bool    // the store may hold a session other than the zero one
	started  bool    // run is running (or has run)
	stopped  bool    // stop was called
	wake     chan struct{}
	done     chan struct{} // closed when run returns
}

// noteSession sets the state to record and wakes the writer, starting it the
// first time. It runs on the supervisor.
func (c *Client) noteSession(e Session) {
	l := &c.sessLog
	if l.st == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	l.want, l.dirty = e, true
	l.recorded = !e.IsZero()
	if !l.started {
		l.started = true
		l.wake = make(chan struct{}, 1)
		l.done = make(chan struct{})
		go c.runSessionLog()
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// runSessionLog is the goroutine that writes the session records. Close
// owns it: stopSessionLog ends it after writing what is left.
func (c *Client) runSessionLog() {
	l := &c.sessLog
	defer close(l.done)
	for {
		l.mu.Lock()
		e, dirty, stopped := l.want, l.dirty, l.stopped
		l.dirty = false
		l.mu.Unlock()
		if dirty {
			c.storeErr(l.st.PutSession(e))
		}
		if stopped {
			return
		}
		var tick <-chan time.Time
		var timer *time.Timer
		if !e.Ended && e.Period > 0 {
			timer = time.NewTimer(max(time.Until(e.At.Add(e.Period/2)), 0))
			tick = timer.C
		}
		select {
		case <-l.wake:
		case <-tick:
			l.mu.Lock()
			// Still the same connection, up a moment ago.
			if !l.dirty && !l.stopped && l.want == e {
				l.want.At = time.Now().Round(0)
				l.dirty = true
			}
			l.mu.Unlock()
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// stopSessionLog writes the last state noted and ends the writer. Close
// calls it after the supervisor has ended, before closing the store.
func (c *Client) stopSessionLog() {
	l := &c.sessLog
	if l.st == nil {
		return
	}
	l.mu.Lock()
	l.stopped = true
	started := l.started
	if started {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	l.mu.Unlock()
	if started {
		<-l.done
	}
}

// sessionConnected notes a new 5.0 connection, cn, whose CONNACK was
// accepted: the interval in force, from now. It runs on the supervisor.
func (c *Client) sessionConnected(cn *conn) {
	if cn.v != message.V5 {
		// VersionAuto fell back: a 3.1.1 session has no expiry to
		// record, and the 5.0 one recorded before is replaced.
		l := &c.sessLog
		l.mu.Lock()
		recorded := l.recorded
		l.mu.Unlock()
		if recorded {
			c.noteSession(Session{})
		}
		return
	}
	cn.sessExpiry = durationSeconds(cn.res.SessionExpiry)
	c.noteSession(Session{Interval: cn.sessExpiry, At: time.Now().Round(0), Period: livenessPeriod(cn.sessExpiry)})
}

// sessionEnded notes the end of the 5.0 connection cn, with the
// interval in force at its end. It runs on the supervisor.
func (c *Client) sessionEnded(cn *conn) {
	if cn.v != message.V5 {
		return
	}
	c.noteSession(Session{Interval: cn.sessExpiry, At: time.Now().Round(0), Ended: true})
}

// loadSession decides, when a client starts, whether the stored session
// has expired (see [Session]). If so it deletes the outbound flows from
// the store, counts them and says that the next 5.0 CONNECT carries
// Clean Start; the inbound flows are kept for the session the broker
// no longer has, which delivers the held messages and forgets the rest.
// It returns the outbound flows to restore. It runs in New.
func (c *Client) loadSession(snap *Snapshot, now time.Time) ([]Outbound, error) {
	c.sessLog.recorded = !snap.Session.IsZero()
	if c.sessLog.st == nil || !c.opts.speaks5() || !snap.Session.expired(now) {
		return snap.Outbound, nil
	}
	c.cleanStart = true
	for _, e := range snap.Outbound {
		if err := c.store.DeleteOutbound(e.Message.PacketID); err != nil {
			return nil, err
		}
	}
	// A restart before the next connection must not discard the
	// publishes made meanwhile: no session is recorded until then.
	if err := c.sessLog.st.PutSession(Session{}); err != nil {
		return nil, err
	}
	c.sessLog.recorded = false
	n := len(snap.Outbound)
	c.stats.sessionDiscarded.Add(uint64(n))
	c.log.Warn("stored session expired: discarding it", "outbound", n, "inbound", len(snap.Inbound),
		"session_expiry", snap.Session.Interval, "at", snap.Session.At, "ended", snap.Session.Ended)
	return nil, nil
}

// expiredOutbound reports whether a restored outbound flow's Message
// Expiry Interval ran out, counted from when it was queued, before it
// could be sent. A released QoS 2 flow goes on: the broker has the
// message.
func expiredOutbound(e *Outbound, now time.Time) bool {
	p := e.Message.Properties
	if e.Released || e.Queued.IsZero() || p == nil || !p.MessageExpiry.Set {
		return false
	}
	exp := time.Duration(p.MessageExpiry.Value) * time.Second
	return !now.Before(e.Queued.Add(exp))
}

// speaks5 reports whether the client offers MQTT 5.0.
func (o *Options) speaks5() bool {
	return o.Version == message.V5 || o.Version == VersionAuto
}
