package client

import (
	"context"
	"fmt"

	"github.com/onmqtt/onmqtt/priority"

	"github.com/onmqtt/onmqtt/message"
)

// Authenticator drives the enhanced authentication of MQTT 5.0 (section
// 4.12 of the standard): a challenge and response exchange of AUTH
// packets between CONNECT and CONNACK, and again on a live connection
// with [Client.Reauthenticate]. The client calls it from one goroutine at
// a time: the supervisor during the handshake, the caller of
// Reauthenticate and the connection's reader afterwards.
type Authenticator interface {
	// Method is the Authentication Method, the same on every packet of
	// an exchange [MQTT-4.12.0-5].
	Method() string
	// Start begins an exchange and returns the Authentication Data of
	// CONNECT, or of the AUTH 0x19 (Re-authenticate) that opens a
	// re-authentication; nil sends none.
	Start(ctx context.Context) ([]byte, error)
	// Continue answers the Authentication Data of the broker's AUTH 0x18
	// (Continue authentication) with the data of ours [MQTT-4.12.0-3].
	Continue(ctx context.Context, data []byte) ([]byte, error)
	// Finish checks the Authentication Data of the broker's closing
	// CONNACK or AUTH 0x00 (Success), nil when it carried none. An error
	// ends the connection: the broker did not prove itself.
	Finish(ctx context.Context, data []byte) error
}

// authRun is one exchange in progress.
type authRun struct {
	a Authenticator
}

// round answers a broker AUTH during an exchange.
func (r *authRun) round(ctx context.Context, p *message.Auth) (*message.Auth, error) {
	method, data := "", []byte(nil)
	if p.Properties != nil {
		method, data = p.Properties.AuthMethod, p.Properties.AuthData
	}
	if p.ReasonCode != message.ContinueAuthentication {
		return nil, &ProtocolError{Type: message.AUTH, Code: message.ProtocolError,
			Reason: fmt.Sprintf("AUTH %v during an exchange", p.ReasonCode)}
	}
	if method != r.a.Method() {
		return nil, &ProtocolError{Type: message.AUTH, Code: message.ProtocolError,
			Reason: fmt.Sprintf("Authentication Method %q, want %q [MQTT-4.12.0-5]", method, r.a.Method())}
	}
	next, err := r.a.Continue(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuthFailed, err)
	}
	return &message.Auth{ReasonCode: message.ContinueAuthentication,
		Properties: &message.Properties{AuthMethod: r.a.Method(), AuthData: next}}, nil
}

// done checks the properties of the packet that ends an exchange.
func (r *authRun) done(ctx context.Context, p *message.Properties) error {
	method, data := "", []byte(nil)
	if p != nil {
		method, data = p.AuthMethod, p.AuthData
	}
	if method != "" && method != r.a.Method() {
		return &ProtocolError{Type: message.CONNACK, Code: message.ProtocolError,
			Reason: fmt.Sprintf("Authentication Method %q, want %q [MQTT-4.12.0-5]", method, r.a.Method())}
	}
	if err := r.a.Finish(ctx, data); err != nil {
		return fmt.Errorf("%w: %w", ErrAuthFailed, err)
	}
	return nil
}

// reauthRun is a re-authentication in progress on a connection.
type reauthRun struct {
	authRun
	result chan error // receives the outcome once
}

// Reauthenticate runs a new enhanced authentication exchange on the live
// connection (AUTH 0x19 with the same method [MQTT-4.12.1-1]) and waits
// for the broker's AUTH 0x00 (Success), or ctx. The AUTH packets of the
// exchange are events like every other. If the broker refuses, it sends
// DISCONNECT and the connection ends with that error [MQTT-4.12.1-2].
// It needs an [Authenticator] and a 5.0 connection.
func (c *Client) Reauthenticate(ctx context.Context) error {
	a := c.opts.Authenticator
	if a == nil {
		return fmt.Errorf("%w: no Authenticator", ErrAuthFailed)
	}
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	switch {
	case cn == nil:
		return ErrNotConnected
	case cn.v != message.V5:
		return fmt.Errorf("onmqtt: reauthenticate: %w", ErrNeedsV5)
	}
	run := &reauthRun{authRun: authRun{a: a}, result: make(chan error, 1)}
	if !cn.reauth.CompareAndSwap(nil, run) {
		return fmt.Errorf("%w: a re-authentication is already running", ErrAuthFailed)
	}
	defer cn.reauth.CompareAndSwap(run, nil)
	data, err := a.Start(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAuthFailed, err)
	}
	pkt := &message.Auth{ReasonCode: message.ReAuthenticate, Properties: &message.Properties{AuthMethod: a.Method(), AuthData: data}}
	if err := cn.authFits(pkt); err != nil {
		return fmt.Errorf("%w: %w", ErrAuthFailed, err)
	}
	if err := cn.sendq.Push(priority.Control, 0, outItem{t: message.AUTH, pkt: pkt}); err != nil {
		return lostError(cn.cause())
	}
	select {
	case err := <-run.result:
		return err
	case <-cn.dead:
		return lostError(cn.cause())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// handleAuth handles an AUTH from the broker on a live connection: an
// event, then the next step of the re-authentication in progress. An
// AUTH when no exchange runs, or when CONNECT had no Authentication
// Method [MQTT-4.12.0-7], is a protocol error. It runs on the reader.
func (c *Client) handleAuth(cn *conn, p *message.Auth) error {
	e := c.newEvent(message.AUTH, 0)
	cp := *p
	e.ev.Packet = &cp
	e.ev.ReasonCode, e.ev.Properties = p.ReasonCode, p.Properties
	c.events.push(e)
	run := cn.reauth.Load()
	if c.opts.Authenticator == nil || run == nil {
		return &ProtocolError{Type: message.AUTH, Code: message.ProtocolError, Reason: "AUTH without an exchange in progress"}
	}
	switch p.ReasonCode {
	case message.ContinueAuthentication:
		next, err := run.round(cn.ctx, p)
		if err == nil {
			err = cn.authFits(next)
		}
		if err != nil {
			run.result <- err
			return err
		}
		if err := cn.sendq.Push(priority.Control, 0, outItem{t: message.AUTH, pkt: next}); err != nil {
			return lostError(cn.cause())
		}
		return nil
	case message.Success:
		err := run.done(cn.ctx, p.Properties)
		cn.reauth.CompareAndSwap(run, nil)
		run.result <- err
		return err
	}
	return &ProtocolError{Type: message.AUTH, Code: message.ProtocolError, Reason: "AUTH " + p.ReasonCode.String() + " from the broker"}
}
