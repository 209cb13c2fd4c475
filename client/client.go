package client

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// Client is an MQTT 3.1, 3.1.1 and 5.0 client. Every packet the broker sends is
// dispatched through its [router.Router] as an event. A Client is safe for
// concurrent use.
type Client struct {
	opts   Options
	router *router.Router
	log    *slog.Logger
	store  Store
	events *eventQueue

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	netWG  sync.WaitGroup // reader, writer, pinger of every connection
	bgWG   sync.WaitGroup // dispatcher, reconnect loop, resubscribe

	// callbacks counts handlers and hooks running now; Close does not
	// wait for background goroutines while it is non-zero, so a handler
	// may call Close.
	callbacks atomic.Int32
	// loop is 1 while a dispatch loop owns the event queue.
	loop atomic.Int32

	// hookMu guards hooks, the connection hooks waiting for the
	// callback goroutine. It is never held with mu.
	hookMu sync.Mutex
	hooks  hookQueue

	// storeMu orders the session's store writes (see flushStore): it
	// is held across them and for nothing else, and never taken with mu
	// held. It guards spareOps.
	storeMu  sync.Mutex
	spareOps []storeOp

	mu sync.Mutex
	// The connection's life: written by the supervisor (sup) while one
	// runs; Connect starts it, Close marks closed.
	sup     *supervisor // nil when none runs
	state   State
	conn    *conn // nil when not connected
	closed  bool
	lastErr error
	changed chan struct{}     // closed and replaced on every state change
	sess    *session          // the MQTT session: flows, ids, subscriptions, quota
	rng     *rand.Rand        // shuffles the broker URLs
	tokens  slab[Token]       // QoS 0 publish tokens
	flows   slab[publishFlow] // QoS 1 and 2 publish flows with their tokens

	v5 v5State // guarded by mu
	// cleanStart: the stored session had expired when the client
	// started, so the next 5.0 CONNECT carries Clean Start. Guarded by
	// mu.
	cleanStart bool
	// sessLog records the 5.0 session's expiry state in the store.
	sessLog sessionLog

	stats stats
	drops dropLog
}

// pending is an outbound flow awaiting acknowledgement.
type pending struct {
	kind     message.Type // PUBLISH, SUBSCRIBE or UNSUBSCRIBE
	seq      uint64
	msg      message.Message // PUBLISH; msg.PacketID is the flow's id
	level    priority.Level
	released bool        // QoS 2: PUBREC received
	retiring bool        // acknowledged; the id is freed once the ack's event ran
	windowed bool        // holds a slot of the in-flight window
	storing  bool        // Publish is writing it to the store: not sendable yet
	checked  bool        // PUBLISH: topic checked by Publish, not loaded from the store
	written  atomic.Bool // sent at least once
	token    *Token
	subs     []message.Subscription // SUBSCRIBE
	filters  []string               // UNSUBSCRIBE
	regs     []*router.Registration // OnAck id handlers, removed when the flow ends
	born     time.Time              // PUBLISH: when Publish took it, for its Message Expiry Interval
	noAlias  bool                   // PUBLISH: never with a topic alias (WithoutTopicAlias)
	subProps *message.Properties    // SUBSCRIBE, UNSUBSCRIBE: the 5.0 properties
}

// New returns a Client configured by opts. It does not connect.
func New(opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := o.finish(); err != nil {
		return nil, err
	}
	if o.ClientID == "" && !o.EmptyClientID {
		o.ClientID = "onmqtt-" + uuid.NewString()
		if o.Version == message.V31 {
			// MQTT 3.1 allows at most 23 characters: keep 64 random bits.
			u := uuid.New()
			o.ClientID = fmt.Sprintf("onmqtt-%x", u[:8])
		}
	}
	var store Store = sessionOnly{}
	if o.Store != nil {
		store = propStore{o.Store} // keeps 5.0 properties in the records' bytes
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		opts:    o,
		router:  o.Router,
		log:     o.Logger,
		store:   store,
		events:  newEventQueue(o.MaxPending, o.DropPolicy),
		ctx:     ctx,
		cancel:  cancel,
		changed: make(chan struct{}),
		sess:    newSession(o.DeliverOnPubrel, o.MaxInflight),
		rng:     newRand(),
	}
	c.sessLog.st, _ = o.Store.(SessionStore)
	if err := c.loadStore(); err != nil {
		cancel()
		return nil, err
	}
	// Explain and Routes say whether a subscription can deliver a topic;
	// with a router shared by several clients, the last one created is
	// the one asked.
	c.router.SetSubscriptionSource(c)
	return c, nil
}

// newRand returns a random source of the client's own, seeded from the
// system's secure source.
func newRand() *rand.Rand {
	var seed [32]byte
	crand.Read(seed[:]) // never fails (see crypto/rand.Read)
	return rand.New(rand.NewChaCha8(seed))
}

// Router returns the router that receives every inbound packet.
func (c *Client) Router() *router.Router { return c.router }

// ClientID returns the client identifier sent in CONNECT: once an MQTT
// 5.0 broker assigned one (Assigned Client Identifier), that one, which
// later connections send to resume the session.
func (c *Client) ClientID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clientID()
}

// IsConnected reports whether a connection is established.
func (c *Client) IsConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil
}

// Err returns the error that ended the last connection, or nil: also
// when the application ended it with Disconnect or Close.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// notify wakes everything waiting for a state change. The caller holds
// c.mu.
func (c *Client) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// loadStore fills the pending flows and inbound QoS 2 ids from the store,
// so that a restarted process resumes its session.
func (c *Client) loadStore() error {
	snap, err := c.store.Load()
	if err != nil {
		return fmt.Errorf("onmqtt: loading session store: %w", err)
	}
	c.sess.seq = snap.LastSeq
	now := time.Now()
	outbound, err := c.loadSession(&snap, now)
	if err != nil {
		return fmt.Errorf("onmqtt: discarding the expired session: %w", err)
	}
	for _, e := range outbound {
		if e.Seq > c.sess.seq {
			c.sess.seq = e.Seq
		}
		if c.opts.speaks5() && expiredOutbound(&e, now) {
			// Ran out while the process was down: not sent again.
			c.stats.expired.Add(1)
			c.log.Warn("stored message expired before it was sent", "topic", e.Message.Topic, "id", e.Message.PacketID, "queued", e.Queued)
			if e.Message.QoS == message.QoS1 {
				if err := c.store.DeleteOutbound(e.Message.PacketID); err != nil {
					return fmt.Errorf("onmqtt: dropping an expired message: %w", err)
				}
				continue
			}
			// QoS 2: the broker may hold the identifier, from a PUBLISH
			// sent before the restart whose PUBREC never came, and would
			// take a later message with it for a duplicate. The flow
			// goes on as released: a resumed session gets a PUBREL for
			// it (PUBCOMP 0x92 if the broker never had it), a new one
			// ends it at once.
			e.Released = true
			if err := c.store.PutOutbound(e); err != nil {
				return fmt.Errorf("onmqtt: dropping an expired message: %w", err)
			}
		}
		p := &pending{kind: message.PUBLISH, seq: e.Seq, msg: e.Message, released: e.Released, token: newToken(e.Message.PacketID)}
		p.written.Store(true)
		// The reference of its Message Expiry Interval; zero (from now)
		// for a record that kept none.
		p.born = e.Queued
		if p.born.IsZero() && e.Message.Properties != nil && e.Message.Properties.MessageExpiry.Set {
			p.born = now
		}
		c.sess.pending[e.Message.PacketID] = p
		if c.sess.quota.tryTake() {
			p.windowed = true
		} else if !p.released {
			c.sess.held = append(c.sess.held, p)
		}
	}
	c.sess.load(snap.Inbound)
	if c.opts.DeliverOnPubrel {
		// Held for their PUBREL: they count against MaxPending.
		c.events.hold(c.sess.holding())
	}
	return nil
}

// LastSeq returns the sequence number of the last QoS 1 or 2 publish
// recorded in the session store. Publishes are numbered from 1 in the
// order Publish accepted them; with a durable store the count carries
// across restarts, so a restarted application can tell which of its
// messages were recorded before it stopped.
func (c *Client) LastSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess.seq
}

// finish completes a pending flow and releases its store entry and window
// slot. With retire, the packet identifier stays reserved until the
// acknowledgement's event has been dispatched (see [Client.retire]), so
// an id handler registered for a later flow that reuses the id cannot see
// this flow's acknowledgement, and the caller deletes the store entry
// once it has released c.mu; without, a PUBLISH flow's entry is deleted
// by [Client.forgetFlows], which the caller runs after releasing c.mu.
// The caller holds c.mu.
func (c *Client) finish(p *pending, err error) { c.complete(p, err, false) }

func (c *Client) complete(p *pending, err error, retire bool) {
	id := p.msg.PacketID
	if cur, ok := c.sess.pending[id]; !ok || cur != p || p.retiring {
		return
	}
	p.retiring = true
	if !retire {
		if p.kind == message.PUBLISH {
			// Rare paths (reconnect, giving up): the record goes after
			// c.mu is released (see forgetFlows), the id staying
			// reserved until it is gone, so no new flow's record can
			// be hit. No acknowledgement event follows: the flow's id
			// handlers go now, so that none fires for a later flow.
			c.sess.forget = append(c.sess.forget, p)
			p.removeHandlers()
		} else {
			delete(c.sess.pending, id)
		}
	}
	if p.windowed {
		p.windowed = false
		// Hand the slot to the oldest held flow, if one can be sent and
		// the quota was not lowered meanwhile.
		if q := c.nextHeld(c.conn); q != nil {
			q.windowed = true
			c.conn.queueResend(q)
		} else {
			c.sess.quota.give()
		}
	}
	p.token.complete(err)
}

// nextHeld removes and returns the oldest held flow still pending, when
// cn is live; nil otherwise. The caller holds c.mu.
func (c *Client) nextHeld(cn *conn) *pending {
	if cn == nil || !c.live(cn) || c.sess.quota.over() {
		return nil
	}
	return c.sess.popHeld()
}

// sendHeld queues on cn the held flows that free window slots allow, in
// order. The caller holds c.mu and has checked cn (restoreSession runs
// it before cn is published).
func (c *Client) sendHeld(cn *conn) {
	for len(c.sess.held) > 0 {
		if !c.sess.quota.tryTake() {
			return
		}
		p := c.sess.popHeld()
		if p == nil {
			c.sess.quota.give()
			return
		}
		p.windowed = true
		cn.queueResend(p)
	}
}

// forgetFlows deletes the store entries of the PUBLISH flows finished
// without an acknowledgement, then frees their ids. It runs with no lock
// held.
func (c *Client) forgetFlows() {
	c.mu.Lock()
	flows := c.sess.forget
	c.sess.forget = nil
	c.mu.Unlock()
	for _, p := range flows {
		c.storeErr(c.store.DeleteOutbound(p.msg.PacketID))
	}
	if len(flows) == 0 {
		return
	}
	c.mu.Lock()
	for _, p := range flows {
		if c.sess.pending[p.msg.PacketID] == p {
			delete(c.sess.pending, p.msg.PacketID)
		}
	}
	c.mu.Unlock()
}

// removeHandlers removes the flow's id handlers that have not fired.
func (p *pending) removeHandlers() {
	for _, r := range p.regs {
		r.Remove()
	}
	p.regs = nil
}

// retire frees the identifier of a flow completed with retire set, once
// the acknowledgement's event ran: its id handlers go too.
func (c *Client) retire(p *pending) {
	c.mu.Lock()
	if c.sess.pending[p.msg.PacketID] == p {
		delete(c.sess.pending, p.msg.PacketID)
	}
	p.removeHandlers()
	c.mu.Unlock()
}

// storeErr logs a store failure. The flow goes on in memory; a durable
// store that fails loses only the durability of that entry.
func (c *Client) storeErr(err error) {
	if err != nil {
		c.stats.storeErrors.Add(1)
		c.log.Error("session store", "err", err)
	}
}

// Disconnect sends DISCONNECT after every packet queued before it, waits
// until it is written or ctx ends, and closes the connection; the broker
// discards the will, unless [DisconnectWithWill] asks otherwise at MQTT
// 5.0. Nothing is sent after DISCONNECT. Pending QoS 1 and 2 publishes
// stay in the session for the next Connect. The options set the MQTT 5.0
// reason code and properties; an invalid one returns an error wrapping
// ErrInvalidOption and nothing is sent. Called while the client is
// reconnecting, it stops reconnecting and returns ErrNotConnected; after
// Close it returns ErrClosed.
func (c *Client) Disconnect(ctx context.Context, opts ...DisconnectOption) error {
	c.mu.Lock()
	s, closed := c.sup, c.closed
	pkt, err := c.disconnectPacket(opts)
	c.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case err != nil:
		return err
	case s == nil:
		return ErrNotConnected
	}
	return s.stop(ctx, false, pkt)
}

var errDisconnected = errors.New("onmqtt: disconnected by the application")

// Close disconnects (sending DISCONNECT when connected, waiting at most
// one second for it to be written), fails every wait still open with
// [ErrClosed], closes the store, and stops every goroutine the client
// started. Events not dispatched yet are dropped: no handler starts
// after Close. A handler or hook running when Close is called, from it
// or from another goroutine, is not waited for; the waits it may be in
// end with ErrClosed. Every later call returns ErrClosed. Calling Close
// again does nothing.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	// Closed from here on, so that the DISCONNECT below ends loops and
	// waits with ErrClosed rather than as a lost connection.
	c.closed = true
	s := c.sup
	if s == nil {
		c.setState(Closed)
	}
	c.mu.Unlock()
	if s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.stop(ctx, true, nil)
		cancel()
	}
	c.cancel()
	c.netWG.Wait()

	// Complete every wait before waiting for the dispatcher: a handler
	// may be waiting for one of these tokens. No new flow can start now
	// that closed is set.
	c.mu.Lock()
	for _, p := range c.sess.pending {
		// Leave QoS 1/2 flows in the store for the next process, but
		// complete their waits.
		delete(c.sess.pending, p.msg.PacketID)
		p.removeHandlers()
		p.token.complete(ErrClosed)
	}
	c.notify()
	c.mu.Unlock()

	if c.callbacks.Load() == 0 {
		c.bgWG.Wait()
	}
	c.stopSessionLog()
	return c.store.Close()
}

// isClosed reports whether Close was called.
func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
