package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
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
	nc, err := c.dial(ctx, u)
	if err != nil {
		return nil, false, err
	}
	cn, ack, err := handshake(ctx, c, nc, credentials(&c.opts, u))
	if err != nil {
		nc.Close()
		return nil, false, err
	}
	cn.server = u.Redacted()
	c.stats.in(message.CONNACK)

	c.mu.Lock()
	if c.closed || c.sup == nil || c.sup.req != nil {
		c.mu.Unlock()
		nc.Close()
		return nil, false, ErrClosed
	}
	resub, due := c.restoreSession(cn, ack.SessionPresent)
	c.conn = cn
	c.lastErr = nil
	c.setState(Connected)
	c.mu.Unlock()

	// The CONNACK event goes first: nothing read on cn can precede it.
	e := c.events.get()
	e.connack = *ack
	e.ev = router.Event{Type: message.CONNACK, Packet: &e.connack, SessionPresent: ack.SessionPresent, ConnackCode: ack.ReturnCode}
	c.events.push(e)
	// Messages acknowledged earlier whose handler never returned, and
	// the identifiers of a session the broker lost: before anything is
	// read on cn.
	c.redeliver(due)
	c.flushStore()
	c.forgetFlows()

	cn.start()
	c.stats.connects.Add(1)
	c.log.Info("connected", "broker", u.Redacted(), "session_present", ack.SessionPresent)

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

// handshake sends CONNECT on nc and reads CONNACK, within ctx.
func handshake(ctx context.Context, c *Client, nc net.Conn, l login) (*conn, *message.Connack, error) {
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	o := &c.opts
	pkt := &message.Connect{
		Version:      o.Version,
		ClientID:     o.ClientID,
		CleanSession: o.CleanSession,
		KeepAlive:    uint16(o.KeepAlive / time.Second),
		Will:         o.Will,
		UsernameFlag: l.usernameSet,
		Username:     l.username,
		PasswordFlag: l.passwordSet,
		Password:     l.password,
	}
	if err := c.prepareConnect(ctx, pkt); err != nil {
		return nil, nil, err
	}
	if err := message.Write(nc, pkt, o.Version); err != nil {
		return nil, nil, handshakeErr(ctx, "sending CONNECT", err)
	}
	c.stats.out(message.CONNECT)
	r := message.NewReader(bufio.NewReaderSize(nc, 32<<10), o.Version, o.MaxPacketSize)
	p, err := r.ReadPacket()
	if err != nil {
		return nil, nil, handshakeErr(ctx, "waiting for CONNACK", err)
	}
	ack, ok := p.(*message.Connack)
	if !ok {
		return nil, nil, &ProtocolError{Type: p.Type(), Reason: "expected CONNACK"}
	}
	if ack.ReturnCode != message.Accepted {
		return nil, nil, &ConnackError{Code: ack.ReturnCode}
	}
	if ack.SessionPresent && o.CleanSession {
		// [MQTT-3.2.2-1]: a clean session is never present.
		return nil, nil, &ProtocolError{Type: message.CONNACK, Reason: "session present after a clean-session CONNECT"}
	}
	if !stop() {
		return nil, nil, handshakeErr(ctx, "connecting", ctx.Err())
	}
	nc.SetDeadline(time.Time{})
	cp := *ack
	ctxConn, cancel := context.WithCancel(c.ctx)
	cn := &conn{c: c, nc: nc, r: r, sendq: priority.NewSendQueue[outItem](), ctx: ctxConn, cancel: cancel, dead: make(chan struct{})}
	cn.lastWrite.Store(time.Now().UnixNano())
	return cn, &cp, nil
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
func (c *Client) restoreSession(cn *conn, present bool) ([]message.Subscription, []redelivery) {
	r := c.sess.connected(present)
	for _, p := range r.done {
		c.finish(p, nil)
	}
	for _, p := range r.resend {
		cn.queueResend(p)
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
