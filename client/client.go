package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// Client is an MQTT 3.1 / 3.1.1 client. Every packet the broker sends is
// dispatched through its [router.Router] as an event. A Client is safe for
// concurrent use.
type Client struct {
	opts   Options
	router *router.Router
	log    *slog.Logger
	store  Store
	events *eventQueue
	window chan struct{} // one token per QoS 1/2 publish in flight

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

	mu           sync.Mutex
	conn         *conn // nil when not connected
	url          *url.URL
	connecting   bool
	reconnecting bool
	closed       bool
	lastErr      error
	changed      chan struct{} // closed and replaced on every state change
	lastID       uint16
	seq          uint64
	pending      map[uint16]*pending
	incoming     map[uint16]*message.Message // inbound QoS 2 awaiting PUBREL
	subs         []message.Subscription      // active, in subscribe order
	renewSubs    bool                        // the broker lost them; not renewed yet
	loaded       bool                        // store loaded into pending
	tokens       tokenSlab                   // QoS 0 publish tokens

	stats stats
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
	checked  bool        // PUBLISH: topic checked by Publish, not loaded from the store
	written  atomic.Bool // sent at least once
	token    *Token
	subs     []message.Subscription // SUBSCRIBE
	filters  []string               // UNSUBSCRIBE
	regs     []*router.Registration // id handlers to remove if the flow fails
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
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		opts:     o,
		router:   o.Router,
		log:      o.Logger,
		store:    o.Store,
		events:   newEventQueue(o.MaxPending),
		window:   make(chan struct{}, o.MaxInflight),
		ctx:      ctx,
		cancel:   cancel,
		changed:  make(chan struct{}),
		pending:  make(map[uint16]*pending),
		incoming: make(map[uint16]*message.Message),
	}
	if err := c.loadStore(); err != nil {
		cancel()
		return nil, err
	}
	return c, nil
}

// Router returns the router that receives every inbound packet.
func (c *Client) Router() *router.Router { return c.router }

// ClientID returns the client identifier sent in CONNECT.
func (c *Client) ClientID() string { return c.opts.ClientID }

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
	c.seq = snap.LastSeq
	for _, e := range snap.Outbound {
		p := &pending{kind: message.PUBLISH, seq: e.Seq, msg: e.Message, released: e.Released, token: newToken(e.Message.PacketID)}
		p.written.Store(true)
		c.pending[e.Message.PacketID] = p
		if e.Seq > c.seq {
			c.seq = e.Seq
		}
		select {
		case c.window <- struct{}{}:
			p.windowed = true
		default:
		}
	}
	for _, e := range snap.Inbound {
		c.incoming[e.ID] = e.Message
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
	return c.seq
}

// Connect dials rawURL, sends CONNECT and waits for CONNACK. It reports
// the broker's session-present flag. A refusal is a *[ConnackError]. With
// AutoReconnect the client reconnects to the same URL after a loss.
//
// Schemes: tcp:// and mqtt:// (default port 1883), tls://, ssl:// and
// mqtts:// (8883), ws:// (80) and wss:// (443) with subprotocol "mqtt",
// and unix:///path/to/socket. A [DialFunc] set with [WithDialer] replaces
// them all.
func (c *Client) Connect(ctx context.Context, rawURL string) (sessionPresent bool, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false, fmt.Errorf("onmqtt: broker URL: %w", err)
	}
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return false, ErrClosed
	case c.conn != nil || c.connecting || c.reconnecting:
		c.mu.Unlock()
		return false, ErrAlreadyConnected
	}
	c.connecting = true
	c.url = u
	c.mu.Unlock()

	sp, err := c.connectOnce(ctx, u)

	c.mu.Lock()
	c.connecting = false
	c.notify()
	c.mu.Unlock()
	if err == nil && !c.opts.ManualLoop {
		c.Start()
	}
	return sp, err
}

// connectOnce dials, performs the CONNECT/CONNACK exchange, restores the
// session and starts the connection's goroutines.
func (c *Client) connectOnce(ctx context.Context, u *url.URL) (bool, error) {
	// Close aborts a dial or handshake in progress with ErrClosed.
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	defer context.AfterFunc(c.ctx, func() { abort(ErrClosed) })()
	if c.opts.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.ConnectTimeout)
		defer cancel()
	}
	nc, err := c.dial(ctx, u)
	if err != nil {
		return false, err
	}
	cn, ack, err := handshake(ctx, c, nc)
	if err != nil {
		nc.Close()
		return false, err
	}
	c.stats.in(message.CONNACK)

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		nc.Close()
		return false, ErrClosed
	}
	resub := c.restoreSession(cn, ack.SessionPresent)
	c.conn = cn
	c.lastErr = nil
	c.notify()
	c.mu.Unlock()

	// The CONNACK event goes first: nothing read on cn can precede it.
	e := c.events.get()
	e.connack = *ack
	e.ev = router.Event{Type: message.CONNACK, Packet: &e.connack, SessionPresent: ack.SessionPresent, ConnackCode: ack.ReturnCode}
	c.events.push(e)

	cn.start()
	c.stats.connects.Add(1)
	c.log.Info("connected", "broker", u.Redacted(), "session_present", ack.SessionPresent)

	if len(resub) > 0 {
		c.bgWG.Add(1)
		go c.resubscribe(cn, resub)
	}
	if h := c.opts.OnConnect; h != nil {
		c.hook(func() { h(c, ack.SessionPresent) })
	}
	return ack.SessionPresent, nil
}

// restoreSession queues what the new connection must send first and
// returns the subscriptions to renew. The caller holds c.mu.
//
// When the broker kept the session, every unacknowledged PUBLISH (DUP
// set) and PUBREL is resent in original order [MQTT-4.4.0-1]
// [MQTT-4.6.0-1], ahead of anything new: resends travel in the send
// queue's control class, which leaves before every publish. When it
// did not, released QoS 2 flows are complete (the broker took the
// message at PUBREC), other publishes are sent again as new ones, inbound
// QoS 2 state is dropped, and the subscriptions are renewed.
func (c *Client) restoreSession(cn *conn, present bool) []message.Subscription {
	flows := c.pendingInOrder()
	if !present {
		for id := range c.incoming {
			delete(c.incoming, id)
			c.storeErr(c.store.DeleteInbound(id))
		}
	}
	for _, p := range flows {
		if p.kind != message.PUBLISH || p.retiring {
			continue
		}
		if p.released {
			if present {
				cn.queueResend(p)
				continue
			}
			c.finish(p, nil)
			continue
		}
		if !present {
			// The broker forgot the flow: this is a new publish to it.
			p.written.Store(false)
		}
		cn.queueResend(p)
	}
	// A renewal cut short is done again even if the broker now reports
	// the session present: it made a new session, without them.
	if present && !c.renewSubs {
		return nil
	}
	c.renewSubs = len(c.subs) > 0
	return append([]message.Subscription(nil), c.subs...)
}

// pendingInOrder returns the pending flows sorted by send order. The
// caller holds c.mu.
func (c *Client) pendingInOrder() []*pending {
	flows := make([]*pending, 0, len(c.pending))
	for _, p := range c.pending {
		flows = append(flows, p)
	}
	sortPending(flows)
	return flows
}

// connLost handles the end of cn. It runs once per connection, on
// whichever goroutine saw the connection fail; hooks and the reconnect
// loop run on a goroutine of their own.
func (c *Client) connLost(cn *conn, err error) {
	c.mu.Lock()
	if c.conn != cn {
		c.mu.Unlock()
		return
	}
	c.conn = nil
	byUser := cn.byUser.Load() || c.closed
	// Disconnect and Close end a connection on purpose: nothing was lost,
	// so Err reports nil and the loops return ErrNotConnected or ErrClosed.
	c.lastErr = nil
	if !byUser {
		c.lastErr = err
	}
	// Subscriptions in flight cannot be resumed: the broker does not keep
	// them across connections. Publishes stay pending for the resend.
	for _, p := range c.pending {
		if p.kind != message.PUBLISH && !p.retiring {
			c.finish(p, lostError(err))
		}
	}
	reconnect := !byUser && c.opts.AutoReconnect
	if reconnect {
		c.reconnecting = true
	}
	if !byUser && !c.closed {
		c.bgWG.Add(1)
		go c.afterLost(err, reconnect)
	}
	c.notify()
	c.mu.Unlock()
	if !byUser {
		c.stats.lost.Add(1)
	}
}

// afterLost runs the connection-lost hook and then, with AutoReconnect,
// the reconnect loop.
func (c *Client) afterLost(err error, reconnect bool) {
	defer c.bgWG.Done()
	c.log.Warn("connection lost", "err", err)
	if h := c.opts.OnConnectionLost; h != nil {
		c.hook(func() { h(c, err) })
	}
	if reconnect {
		c.reconnectLoop()
	}
}

// finish completes a pending flow and releases its store entry and window
// slot. With retire, the packet identifier stays reserved until the
// acknowledgement's event has been dispatched (see [Client.retire]), so
// an id handler registered for a later flow that reuses the id cannot see
// this flow's acknowledgement. The caller holds c.mu.
func (c *Client) finish(p *pending, err error) { c.complete(p, err, false) }

func (c *Client) complete(p *pending, err error, retire bool) {
	id := p.msg.PacketID
	if cur, ok := c.pending[id]; !ok || cur != p || p.retiring {
		return
	}
	if retire {
		p.retiring = true
	} else {
		delete(c.pending, id)
	}
	if p.kind == message.PUBLISH {
		c.storeErr(c.store.DeleteOutbound(id))
		if err != nil {
			for _, r := range p.regs {
				r.Remove()
			}
		}
	}
	if p.windowed {
		p.windowed = false
		<-c.window
	}
	p.token.complete(err)
}

// retire frees the identifier of a flow completed with retire set.
func (c *Client) retire(p *pending) {
	c.mu.Lock()
	if c.pending[p.msg.PacketID] == p {
		delete(c.pending, p.msg.PacketID)
	}
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

// hook runs a user callback, counted so Close can tell it is inside one.
func (c *Client) hook(f func()) {
	c.callbacks.Add(1)
	defer c.callbacks.Add(-1)
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("hook panicked", "panic", v)
		}
	}()
	f()
}

// Disconnect sends DISCONNECT after every packet queued before it, waits
// until it is written or ctx ends, and closes the connection; the broker
// discards the will. Nothing is sent after DISCONNECT. Pending QoS 1 and 2
// publishes stay in the session for the next Connect.
func (c *Client) Disconnect(ctx context.Context) error {
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	if cn == nil {
		return ErrNotConnected
	}
	cn.byUser.Store(true)
	t := cn.queueDisconnect()
	err := t.Wait(ctx)
	cn.fail(errDisconnected)
	cn.wait()
	return err
}

var errDisconnected = errors.New("onmqtt: disconnected by the application")

// Close disconnects (sending DISCONNECT when connected, waiting at most
// one second for it to be written), fails every wait still open with
// [ErrClosed], closes the store, and stops every goroutine the client
// started. Events not dispatched yet are dropped: no handler starts
// after Close. A handler running when Close is called, from it or from
// another goroutine, is not waited for; the waits it may be in end with
// ErrClosed. Calling Close again does nothing.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	// Closed from here on, so that the DISCONNECT below ends loops and
	// waits with ErrClosed rather than as a lost connection.
	c.closed = true
	cn := c.conn
	c.mu.Unlock()
	if cn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = c.Disconnect(ctx)
		cancel()
	}

	c.mu.Lock()
	c.closed = true
	cn = c.conn
	c.mu.Unlock()
	c.cancel()
	if cn != nil {
		cn.byUser.Store(true)
		cn.fail(ErrClosed)
	}
	c.netWG.Wait()

	// Complete every wait before waiting for the dispatcher: a handler
	// may be waiting for one of these tokens. No new flow can start now
	// that closed is set.
	c.mu.Lock()
	for _, p := range c.pending {
		// Leave QoS 1/2 flows in the store for the next process, but
		// complete their waits.
		delete(c.pending, p.msg.PacketID)
		for _, r := range p.regs {
			r.Remove()
		}
		p.token.complete(ErrClosed)
	}
	c.notify()
	c.mu.Unlock()

	if c.callbacks.Load() == 0 {
		c.bgWG.Wait()
	}
	return c.store.Close()
}
