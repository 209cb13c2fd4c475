package client

import (
	"sync"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// sessionLog records the MQTT 5.0 session's expiry state in a
// [SessionStore] (see [Session]). The supervisor, which alone starts and
// ends connections, records the state when a connection starts, before
// anything is written on it, and when it ends, with no lock held but
// c.storeMu, which orders the store's writes; a goroutine of the
// client's (runLiveness) records it again while a connection with a
// finite non-zero interval lasts, every Period/2, so that a process that
// stops without recording the end leaves a record at most that old.
// Every write takes the latest state under c.storeMu, so a late writer
// never puts an older state over a newer one.
type sessionLog struct {
	st SessionStore // nil: nothing is recorded

	mu       sync.Mutex // guards the rest; never held across a write
	want     Session    // the state to record
	dirty    bool       // want is not written yet
	recorded bool       // the store may hold a session other than the zero one
	started  bool       // runLiveness is running (or has run)
	stopped  bool       // stopSessionLog was called
	wake     chan struct{}
	done     chan struct{} // closed when runLiveness returns
}

// recordSession writes e as the session's state, starting the liveness
// goroutine for the first connection that needs it. It runs on the
// supervisor with no lock held.
func (c *Client) recordSession(e Session) {
	l := &c.sessLog
	if l.st == nil {
		return
	}
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.want, l.dirty = e, true
	l.recorded = !e.IsZero()
	if !l.started && !e.Ended && e.Period > 0 {
		l.started = true
		l.wake = make(chan struct{}, 1)
		l.done = make(chan struct{})
		go c.runLiveness()
	}
	if l.started {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	l.mu.Unlock()
	c.flushSession()
}

// flushSession writes the latest state, unless it is written already.
// The caller holds no lock.
func (c *Client) flushSession() {
	l := &c.sessLog
	c.storeMu.Lock()
	defer c.storeMu.Unlock()
	l.mu.Lock()
	e, dirty := l.want, l.dirty
	l.dirty = false
	l.mu.Unlock()
	if dirty {
		c.storeErr(l.st.PutSession(e))
	}
}

// runLiveness is the goroutine that records a connection again while it
// lasts. Close owns it: stopSessionLog ends it.
func (c *Client) runLiveness() {
	l := &c.sessLog
	defer close(l.done)
	for {
		l.mu.Lock()
		e, stopped := l.want, l.stopped
		l.mu.Unlock()
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
			fire := !l.stopped && l.want == e
			if fire {
				l.want.At, l.dirty = time.Now().Round(0), true
			}
			l.mu.Unlock()
			if fire {
				c.flushSession()
			}
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// stopSessionLog ends the liveness goroutine. Close calls it after the
// supervisor, which recorded the end of the last connection, has ended,
// and before closing the store.
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

// sessionConnected records a new 5.0 connection, cn, whose CONNACK was
// accepted: the interval in force, from now. It runs on the supervisor
// before cn's goroutines start, so that nothing is sent in a session
// the store does not know of.
func (c *Client) sessionConnected(cn *conn) {
	if cn.v != message.V5 {
		// VersionAuto fell back: a 3.1.1 session has no expiry to
		// record, and the 5.0 one recorded before is replaced.
		l := &c.sessLog
		l.mu.Lock()
		recorded := l.recorded
		l.mu.Unlock()
		if recorded {
			c.recordSession(Session{})
		}
		return
	}
	cn.sessExpiry = durationSeconds(cn.res.SessionExpiry)
	c.recordSession(Session{Interval: cn.sessExpiry, At: time.Now().Round(0), Period: livenessPeriod(cn.sessExpiry)})
}

// sessionEnded records the end of the 5.0 connection cn, with the
// interval in force at its end. It runs on the supervisor.
func (c *Client) sessionEnded(cn *conn) {
	if cn.v != message.V5 {
		return
	}
	c.recordSession(Session{Interval: cn.sessExpiry, At: time.Now().Round(0), Ended: true})
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
// Expiry Interval ran out, counted from when it was queued. A released
// QoS 2 flow goes on: the broker has the message.
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
