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
	id   uint16
	once sync.Once
	done chan struct{}
	err  error

	codes []message.SubackCode // SUBACK results
}

func newToken(id uint16) *Token { return &Token{id: id, done: make(chan struct{})} }

// ID returns the packet identifier, 0 for a QoS 0 publish.
func (t *Token) ID() uint16 { return t.id }

// Done returns a channel closed when the token completes.
func (t *Token) Done() <-chan struct{} { return t.done }

// Err returns the outcome once Done is closed, nil before.
func (t *Token) Err() error {
	select {
	case <-t.done:
		return t.err
	default:
		return nil
	}
}

// Wait blocks until the token completes or ctx ends, and returns the
// outcome or ctx's error. Waiting does not cancel the operation.
func (t *Token) Wait(ctx context.Context) error {
	select {
	case <-t.done:
		return t.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// complete records the outcome; only the first call counts.
func (t *Token) complete(err error) {
	t.once.Do(func() {
		t.err = err
		close(t.done)
	})
}
