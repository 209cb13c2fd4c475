package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// State is where a [Client] is in its connection's life.
type State int32

// The states of a client. Only the client's supervisor goroutine moves
// between them (see [Client.State]); Connect, Disconnect and Close ask it
// to.
const (
	// Disconnected: no connection and none being made. The state of a
	// new client, after Disconnect, and after a lost connection that is
	// not re-established.
	Disconnected State = iota
	// Connecting: the first connection of a Connect call is being made.
	Connecting
	// Connected: a connection is established.
	Connected
	// Reconnecting: the connection was lost and the client is waiting to
	// try again or trying.
	Reconnecting
	// Closed: Close was called. The client cannot be used again.
	Closed
)

var stateNames = [...]string{"disconnected", "connecting", "connected", "reconnecting", "closed"}

// String returns the state's name.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// State returns the client's connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// supervisor is the goroutine that owns one Connect's connection life:
// it dials, runs the handshake, watches the connection, backs off and
// reconnects, until Disconnect, Close, or giving up. At most one exists
// per client (c.sup); it alone writes c.state and c.conn.
type supervisor struct {
	c *Client
	// urls are the brokers, in the order tried; next is where the next
	// pass over them starts: the first URL, then the one after the URL
	// of the last connection made. Only the supervisor uses them.
	urls []*url.URL
	next int
	// redirect are the brokers a DISCONNECT referred the client to,
	// tried first by the next pass (see WithFollowServerReference).
	redirect []*url.URL

	// ctx ends the dial, handshake or backoff in progress when stop is
	// requested; abort cancels it with ErrClosed or errStopped.
	ctx   context.Context
	abort context.CancelCauseFunc

	first chan connectResult // the outcome of the first connect
	done  chan struct{}      // closed when the supervisor has ended

	// stopping is closed by the first stop request; req is that request.
	// Both are guarded by c.mu.
	stopping chan struct{}
	req      *stopRequest
}

type connectResult struct {
	present bool
	err     error
}

// stopRequest asks the supervisor to end: Disconnect or Close.
type stopRequest struct {
	ctx context.Context     // bounds the wait for DISCONNECT to be written
	pkt *message.Disconnect // the DISCONNECT to send; nil for a plain one
	err error               // the outcome, set before done closes
}

// errStopped aborts a connect in progress when Disconnect is called.
var errStopped = errors.New("onmqtt: connect aborted by Disconnect")

// startSupervisor starts the supervisor for a Connect to urls. The
// caller holds c.mu and has checked that none runs.
func (c *Client) startSupervisor(connectCtx context.Context, urls []*url.URL) *supervisor {
	ctx, abort := context.WithCancelCause(c.ctx)
	s := &supervisor{
		c: c, urls: urls, ctx: ctx, abort: abort,
		first:    make(chan connectResult, 1),
		done:     make(chan struct{}),
		stopping: make(chan struct{}),
	}
	c.sup = s
	c.setState(Connecting)
	c.bgWG.Add(1)
	go s.run(connectCtx)
	return s
}

// stop asks the supervisor to end and waits until it has. A second
// request joins the first.
func (s *supervisor) stop(ctx context.Context, closing bool, pkt *message.Disconnect) error {
	c := s.c
	c.mu.Lock()
	req := s.req
	if req == nil {
		req = &stopRequest{ctx: ctx, pkt: pkt}
		s.req = req
		close(s.stopping)
	}
	c.mu.Unlock()
	cause := errStopped
	if closing {
		cause = ErrClosed
	}
	s.abort(cause)
	<-s.done
	return req.err
}

// stopRequested returns the stop request, or nil.
func (s *supervisor) stopRequested() *stopRequest {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.req
}

// backoff is the reconnect delay schedule: each wait is drawn between
// half the delay and the delay, never below min; the delay doubles up
// to max after each wait and returns to min only after a connection
// stayed up long enough (see [supervisor.run]).
type backoff struct {
	min, max, delay time.Duration
}

func (b *backoff) next() time.Duration {
	if b.delay < b.min {
		b.delay = b.min
	}
	d := max(b.delay/2+rand.N(b.delay/2+1), b.min)
	b.delay = min(b.delay*2, b.max)
	return d
}

func (b *backoff) reset() { b.delay = b.min }

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// run is the supervisor goroutine.
//
// Only a loss of an established connection starts reconnecting, and the
// supervisor handles one connection at a time, so two reconnect loops
// cannot exist. Every wait before an attempt, the first reconnect
// included, follows the backoff; the backoff returns to ReconnectMin only
// after a connection stayed up for max(ReconnectMax, KeepAlive), so a
// broker that accepts and at once drops the client (another client took
// its identifier) does not make it reconnect in a tight loop.
func (s *supervisor) run(connectCtx context.Context) {
	c := s.c
	defer c.bgWG.Done()
	defer s.abort(nil)
	b := backoff{min: c.opts.ReconnectMin, max: c.opts.ReconnectMax}
	stableAfter := max(c.opts.ReconnectMax, c.opts.KeepAlive)

	first := true         // no connection yet: the Connect call waits for one
	failed := 0           // failed attempts in a row
	disconnected := false // ended by a stop request while connected
	var lastErr error
	for {
		if failed > 0 || !first {
			// A retry of the first connect, or a reconnect: back off.
			ctx := s.ctx
			if first {
				var cancel context.CancelFunc
				ctx, cancel = mergeContexts(s.ctx, connectCtx)
				ok := sleep(ctx, b.next())
				cancel()
				if !ok {
					if err := connectCtx.Err(); err != nil && s.ctx.Err() == nil {
						lastErr = fmt.Errorf("onmqtt: connect: %w (last attempt: %w)", err, lastErr)
					} else {
						lastErr = nil // stopped: the cause below
					}
					break
				}
			} else if !sleep(ctx, b.next()) {
				break
			}
			if !first {
				attempt := failed + 1
				if h := c.opts.OnReconnecting; h != nil {
					c.queueHook(func() { h(c, attempt) })
				}
			}
		}
		ctx, cancel := s.ctx, context.CancelFunc(func() {})
		if first {
			ctx, cancel = mergeContexts(s.ctx, connectCtx)
		}
		cn, present, err := s.connectPass(ctx)
		cancel()
		if err != nil {
			lastErr = err
			if s.stopRequested() != nil || errors.Is(err, ErrClosed) {
				break
			}
			failed++
			if first {
				if c.opts.ConnectRetry && connectCtx.Err() == nil {
					c.log.Info("connect failed, retrying", "attempt", failed, "err", err)
					continue
				}
				break
			}
			c.log.Info("reconnect failed", "attempt", failed, "err", err)
			if n := c.opts.MaxReconnectAttempts; n > 0 && failed >= n {
				c.giveUp(err)
				break
			}
			continue
		}
		failed, lastErr = 0, nil
		if first {
			first = false
			s.first <- connectResult{present: present}
		}
		if h := c.opts.OnConnect; h != nil {
			c.queueHook(func() { h(c, present) })
		}
		up := time.Now()

		select {
		case <-cn.dead:
		case <-s.stopping:
		}
		if req := s.stopRequested(); req != nil {
			req.err = c.disconnectConn(req.ctx, cn, req.pkt)
			disconnected = true
			break
		}
		// Lost.
		// The connection's goroutines are stopping; the reader drops
		// what it still reads (see conn.readLoop), so the next
		// connection need not wait for them.
		err = cn.cause()
		c.connLost(cn, err)
		s.noteRedirect(cn.server, err)
		if !c.opts.AutoReconnect {
			break
		}
		c.mu.Lock()
		c.setState(Reconnecting)
		c.mu.Unlock()
		if time.Since(up) >= stableAfter {
			b.reset()
		}
	}

	if first {
		if lastErr == nil {
			lastErr = context.Cause(s.ctx)
			if lastErr == nil {
				lastErr = connectCtx.Err()
			}
		}
		if errors.Is(lastErr, errStopped) {
			lastErr = ErrNotConnected
		}
		s.first <- connectResult{err: lastErr}
	}
	c.mu.Lock()
	c.sup = nil
	if c.closed {
		c.setState(Closed)
	} else {
		c.setState(Disconnected)
	}
	if s.req != nil && !disconnected {
		s.req.err = ErrNotConnected // stopped while not connected
	}
	c.mu.Unlock()
	close(s.done)
}

// mergeContexts returns a context that ends when either a or b ends,
// with the cause of the first to end.
func mergeContexts(a, b context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(a)
	stop := context.AfterFunc(b, func() { cancel(context.Cause(b)) })
	return ctx, func() { stop(); cancel(nil) }
}

// setState records a new state and wakes its waiters. The caller holds
// c.mu and is the supervisor, or Connect or Close when none runs.
func (c *Client) setState(s State) {
	c.state = s
	c.notify()
}

// disconnectConn ends cn on the application's request: DISCONNECT after
// everything queued before it, written within ctx, then the connection
// closes. It runs on the supervisor.
func (c *Client) disconnectConn(ctx context.Context, cn *conn, pkt *message.Disconnect) error {
	cn.byUser.Store(true)
	t := cn.queueDisconnect(pkt)
	err := t.Wait(ctx)
	if err == nil && cn.v == message.V5 && pkt != nil && pkt.Properties != nil && pkt.Properties.SessionExpiry.Set {
		// Written: the broker keeps the session this long from now.
		cn.sessExpiry = pkt.Properties.SessionExpiry.Value
	}
	cn.fail(errDisconnected)
	cn.wait()
	c.connLost(cn, nil)
	return err
}

// giveUp ends reconnecting after MaxReconnectAttempts failures in a row:
// every pending flow fails with the last error.
func (c *Client) giveUp(err error) {
	c.mu.Lock()
	c.lastErr = err
	fail := lostError(err)
	for _, p := range c.sess.inOrder() {
		if !p.retiring {
			c.finish(p, fail)
		}
	}
	c.notify()
	c.mu.Unlock()
	c.forgetFlows()
}
