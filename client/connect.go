package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// Connect connects to a broker: it dials url, sends CONNECT and waits
// for CONNACK, and reports the broker's session-present flag. A refusal
// is a *[ConnackError].
//
// Several brokers (a cluster, or fallbacks) are given as more URLs. All
// are parsed and checked before anything is dialed: a bad one is an
// error wrapping [ErrInvalidURL] or [ErrUnsupportedScheme] that names
// it. Connect tries them in order, or in a random order drawn once per
// Connect with [WithShuffleBrokers], moving to the next when a dial or
// handshake fails (a ConnectTimeout bounds each); if every one fails,
// the error wraps each attempt's error, each naming its URL.
// [Client.Server] returns the URL in use.
//
// One pass over the list is one attempt for the backoff: with
// [WithConnectRetry] a failed first pass is retried, from the first URL,
// after the backoff delay, until ctx ends. With AutoReconnect, a lost
// connection starts a pass with the URL after the one in use, wrapping
// around so that one comes last; the backoff waits before each pass, not
// between the URLs of a pass, OnReconnecting runs once per pass, and
// MaxReconnectAttempts counts passes. With one URL this is the same as
// retrying that URL.
//
// Schemes: tcp:// and mqtt:// (default port 1883), tls://, ssl:// and
// mqtts:// (8883), ws:// (80) and wss:// (443) with subprotocol "mqtt",
// and unix:///path/to/socket. A [DialFunc] set with [WithDialer] replaces
// them all, and Connect then checks only that each URL parses. User
// information in a URL (user:password@) is sent as the CONNECT user name
// and password to that URL's broker only, unless [WithCredentials] set
// them for all.
func (c *Client) Connect(ctx context.Context, url string, more ...string) (sessionPresent bool, err error) {
	urls, err := c.parseBrokers(append([]string{url}, more...))
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return false, ErrClosed
	case c.sup != nil:
		c.mu.Unlock()
		return false, ErrAlreadyConnected
	}
	if c.opts.ShuffleBrokers {
		c.shuffleBrokers(urls)
	}
	s := c.startSupervisor(ctx, urls)
	c.mu.Unlock()

	r := <-s.first
	if r.err == nil && !c.opts.ManualLoop {
		c.Start()
	}
	return r.present, r.err
}

// connectOnce dials, performs the CONNECT/CONNACK exchange, restores the
// session and starts the connection's goroutines. It runs on the
// supervisor.
func (c *Client) connectOnce(ctx context.Context, u *url.URL) (*conn, bool, error) {
	if c.opts.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.ConnectTimeout)
		defer cancel()
	}
	cn, err := c.dialHandshake(ctx, u)
	if err != nil {
		return nil, false, err
	}
	ack := &cn.connack
	cn.server = u.Redacted()
	c.stats.in(message.CONNACK)

	c.mu.Lock()
	if c.closed || c.sup == nil || c.sup.req != nil {
		c.mu.Unlock()
		cn.nc.Close()
		return nil, false, ErrClosed
	}
	c.applyConnack(cn, cn.res)
	if cn.v == message.V5 {
		c.cleanStart = false
	}
	resub, due := c.restoreSession(cn, ack.SessionPresent)
	c.conn = cn
	c.lastErr = nil
	c.setState(Connected)
	c.mu.Unlock()

	// The CONNACK event goes first: nothing read on cn can precede it.
	e := c.events.get()
	e.connack = *ack
	e.ev = router.Event{Type: message.CONNACK, Packet: &e.connack, SessionPresent: ack.SessionPresent, ConnackCode: ack.ReturnCode,
		ReasonCode: ack.ReturnCode.Reason(), Properties: ack.Properties}
	c.events.pushControl(e)
	// Messages acknowledged earlier whose handler never returned, and
	// the identifiers of a session the broker lost: before anything is
	// read on cn.
	c.redeliver(due)
	c.flushStore()
	c.forgetFlows()
	c.sessionConnected(cn)

	cn.start()
	c.stats.connects.Add(1)
	c.log.Info("connected", "broker", u.Redacted(), "session_present", ack.SessionPresent, "version", cn.v)

	if len(resub) > 0 {
		c.bgWG.Add(1)
		go c.resubscribe(cn, resub)
	}
	return cn, ack.SessionPresent, nil
}

// login is the user name and password a CONNECT carries.
type login struct {
	username    string
	usernameSet bool
	password    []byte
	passwordSet bool
}

// credentials returns what CONNECT sends: the options' credentials when
// [WithCredentials] set them, else the URL's user information. The URL's
// user information is used for nothing else: the dialers strip it.
func credentials(o *Options, u *url.URL) login {
	if o.UsernameSet || o.PasswordSet || u.User == nil {
		return login{o.Username, o.UsernameSet, o.Password, o.PasswordSet}
	}
	l := login{username: u.User.Username(), usernameSet: true}
	if pw, ok := u.User.Password(); ok {
		l.password, l.passwordSet = []byte(pw), true
	}
	return l
}

// dialHandshake dials u and runs the handshake at the configured
// version; with VersionAuto, a broker that refuses 5.0 is dialled again
// at 3.1.1.
func (c *Client) dialHandshake(ctx context.Context, u *url.URL) (*conn, error) {
	v := c.opts.Version
	if v == VersionAuto {
		v = message.V5
	}
	for {
		nc, err := c.dial(ctx, u)
		if err != nil {
			return nil, err
		}
		cn, err := handshake(ctx, c, nc, credentials(&c.opts, u), v)
		if err == nil {
			return cn, nil
		}
		nc.Close()
		if c.opts.Version == VersionAuto && v == message.V5 && (refusedVersion(err) || closedBeforeConnack(err)) {
			c.log.Info("broker refused MQTT 5.0, falling back to 3.1.1", "broker", u.Redacted())
			v = message.V311
			continue
		}
		return nil, err
	}
}

// closedBeforeConnack reports a broker that closed the connection after
// CONNECT without answering: what some brokers that do not know 5.0 do
// instead of the CONNACK 0x01 the standard asks for.
func closedBeforeConnack(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// refusedVersion reports a CONNACK that refused the protocol version.
func refusedVersion(err error) bool {
	var ce *ConnackError
	return errors.As(err, &ce) && (ce.Code == message.RefusedProtocolVersion || ce.Code.Reason() == message.UnsupportedProtocolVersion)
}

// handshake sends CONNECT for version v on nc and reads CONNACK, within
// ctx, with the AUTH rounds of enhanced authentication between them.
func handshake(ctx context.Context, c *Client, nc net.Conn, l login, v message.Version) (*conn, error) {
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	o := &c.opts
	c.mu.Lock()
	id := c.clientID()
	// At 5.0 Clean Start only discards the broker's session; before
	// 5.0 the flag would also end the new session with the connection.
	clean := o.CleanSession || c.cleanStart && v == message.V5
	c.mu.Unlock()
	pkt := &message.Connect{
		Version:      v,
		ClientID:     id,
		CleanSession: clean,
		KeepAlive:    uint16(o.KeepAlive / time.Second),
		Will:         o.Will,
		UsernameFlag: l.usernameSet,
		Username:     l.username,
		PasswordFlag: l.passwordSet,
		Password:     l.password,
	}
	if v == message.V5 {
		pkt.Properties = o.connectProperties()
	}
	var auth *authRun
	if a := o.Authenticator; a != nil && v == message.V5 {
		auth = &authRun{a: a}
		data, err := a.Start(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrAuthFailed, err)
		}
		pkt.Properties.AuthData = data
	}
	if err := c.prepareConnect(ctx, pkt); err != nil {
		return nil, err
	}
	if v != message.V5 {
		// 5.0 only: not sent on an older connection (VersionAuto's
		// fallback, or a connect hook's will).
		pkt.Properties = nil
		if pkt.Will != nil && pkt.Will.Properties != nil {
			w := *pkt.Will
			w.Properties = nil
			pkt.Will = &w
		}
	}
	if err := message.Write(nc, pkt, v); err != nil {
		return nil, handshakeErr(ctx, "sending CONNECT", err)
	}
	c.stats.out(message.CONNECT)
	clock := &packetClock{nc: nc}
	r := message.NewReader(bufio.NewReaderSize(clock, 32<<10), v, o.MaxPacketSize)
	var ack *message.Connack
	for ack == nil {
		p, err := r.ReadPacket()
		if err != nil {
			return nil, handshakeErr(ctx, "waiting for CONNACK", err)
		}
		switch p := p.(type) {
		case *message.Connack:
			ack = p
		case *message.Auth:
			if auth == nil {
				// [MQTT-4.12.0-7]: no AUTH without an Authentication Method.
				return nil, &ProtocolError{Type: message.AUTH, Reason: "AUTH without enhanced authentication", Code: message.ProtocolError}
			}
			next, err := auth.round(ctx, p)
			if err != nil {
				return nil, err
			}
			// [MQTT-3.1.2-30]: nothing but AUTH until CONNACK.
			if err := message.Write(nc, next, v); err != nil {
				return nil, handshakeErr(ctx, "sending AUTH", err)
			}
			c.stats.out(message.AUTH)
		default:
			return nil, &ProtocolError{Type: p.Type(), Reason: "expected CONNACK"}
		}
	}
	if ack.ReturnCode != message.Accepted {
		return nil, &ConnackError{Code: ack.ReturnCode, Properties: ack.Properties}
	}
	if ack.SessionPresent && clean {
		// [MQTT-3.2.2-1] (3.1.1), [MQTT-3.2.2-2] (5.0): a clean start
		// never finds a session present.
		return nil, &ProtocolError{Type: message.CONNACK, Reason: "session present after a clean-session CONNECT"}
	}
	if auth != nil {
		if err := auth.done(ctx, ack.Properties); err != nil {
			return nil, err
		}
	}
	if !stop() {
		return nil, handshakeErr(ctx, "connecting", ctx.Err())
	}
	nc.SetDeadline(time.Time{})
	ctxConn, cancel := context.WithCancel(c.ctx)
	cn := &conn{c: c, nc: nc, r: r, clock: clock, sendq: priority.NewSendQueue[outItem](), ctx: ctxConn, cancel: cancel, dead: make(chan struct{})}
	clock.sendq = cn.sendq
	cn.connack = *ack
	cn.v = v
	cn.res = newConnectResult(v, pkt, ack, o.KeepAlive)
	cn.lastWrite.Store(time.Now().UnixNano())
	return cn, nil
}

func handshakeErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("onmqtt: %s: %w", what, context.Cause(ctx))
	}
	// The connection's deadline is the context's and may fire a moment
	// before the context's own timer: report the context's deadline.
	var ne net.Error
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("onmqtt: %s: %w", what, context.DeadlineExceeded)
	}
	return fmt.Errorf("onmqtt: %s: %w", what, err)
}

// restoreSession applies a CONNACK to the session, queues what the new
// connection must send first, and returns the subscriptions to renew and
// the inbound messages to deliver again (see [session.connected]). The
// caller holds c.mu.
//
// Resent PUBLISH packets beyond the broker's Receive Maximum (MQTT 5.0)
// give their slots back and wait, ahead of the held flows, for slots to
// free.
func (c *Client) restoreSession(cn *conn, present bool) ([]message.Subscription, []redelivery) {
	r := c.sess.connected(present)
	for _, p := range r.done {
		c.finish(p, nil)
	}
	var demoted []*pending // beyond the broker's Receive Maximum, sent as slots free
	sent := 0
	for _, p := range r.resend {
		if !p.released && c.overQuota(p, sent) {
			demoted = append(demoted, p)
			continue
		}
		sent++
		cn.queueResend(p)
	}
	if demoted != nil {
		// Older than every held flow: they go first, in order.
		c.sess.held = append(demoted, c.sess.held...)
	}
	c.sendHeld(cn)
	return r.renew, r.deliver
}

// connLost records the end of cn, whose goroutines have stopped: err is
// why, nil when the application ended it. It runs on the supervisor.
func (c *Client) connLost(cn *conn, err error) {
	c.mu.Lock()
	if c.conn == cn {
		c.conn = nil
	}
	c.lastErr = err
	for _, p := range c.sess.lost() {
		c.finish(p, lostError(cn.cause()))
	}
	c.notify()
	c.mu.Unlock()
	c.sessionEnded(cn)
	if err == nil {
		return
	}
	c.stats.lost.Add(1)
	c.log.Warn("connection lost", "err", err)
	if h := c.opts.OnConnectionLost; h != nil {
		c.queueHook(func() { h(c, err) })
	}
}

// live reports whether cn is the current connection and has not failed.
// The caller holds c.mu.
func (c *Client) live(cn *conn) bool {
	return c.conn == cn && cn.ctx.Err() == nil
}
