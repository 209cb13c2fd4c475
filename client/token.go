package client

import (
	"context"
	"sync"

	"github.com/onmqtt/onmqtt/message"
)

// Token is the completion handle of a publish, subscribe or unsubscribe.
// It completes once: a QoS 0 publish when it has been written to the
// connection, a QoS 1 publish on PUBACK, a QoS 2 publish on PUBCOMP, a
// subscription on SUBACK and an unsubscription on UNSUBACK. A QoS 1 or 2
// publish survives reconnects and fails only when the client gives up or
// is closed.
type Token struct {
	id uint16
	// q, when set, is told of waits, which need the reader to go on
	// (see [eventQueue.waitStart]).
	q *eventQueue

	mu        sync.Mutex
	completed bool
	// done is made by the first Done or Wait that finds the token open:
	// a token that completes before anyone waits for it never needs one.
	done chan struct{}
	err  error

	codes   []message.SubackCode // SUBACK results, set under mu
	reasons []message.ReasonCode // UNSUBACK results (5.0), set under mu
}

func newToken(id uint16) *Token { return &Token{id: id} }

// closedChan is returned by Done for tokens that completed before it was
// called. It is closed once, when the package is initialised, and never
// changes after that.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// ID returns the packet identifier, 0 for a QoS 0 publish.
func (t *Token) ID() uint16 { return t.id }

// Done returns a channel closed when the token completes.
func (t *Token) Done() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		if t.completed {
			return closedChan
		}
		t.done = make(chan struct{})
	}
	return t.done
}

// Err returns the outcome once Done is closed, nil before.
func (t *Token) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Wait blocks until the token completes or ctx ends, and returns the
// outcome or ctx's error. Waiting does not cancel the operation.
func (t *Token) Wait(ctx context.Context) error {
	t.mu.Lock()
	if t.completed {
		err := t.err
		t.mu.Unlock()
		return err
	}
	if t.done == nil {
		t.done = make(chan struct{})
	}
	done := t.done
	t.mu.Unlock()
	if t.q != nil {
		t.q.waitStart()
		defer t.q.waitEnd()
	}
	select {
	case <-done:
		return t.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// setCodes records a SUBACK's return codes, before the token completes.
func (t *Token) setCodes(codes []message.SubackCode) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.codes = codes
}

// subackCodes returns the codes setCodes recorded.
func (t *Token) subackCodes() []message.SubackCode {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.codes
}

// complete records the outcome; only the first call counts.
func (t *Token) complete(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.completed {
		return
	}
	t.completed, t.err = true, err
	if t.done != nil {
		close(t.done)
	}
}

// setReasons records the UNSUBACK reason codes.
func (t *Token) setReasons(codes []message.ReasonCode) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reasons = codes
}

// unsubackCodes returns what setReasons recorded.
func (t *Token) unsubackCodes() []message.ReasonCode {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reasons
}
