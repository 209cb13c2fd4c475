package client

import (
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/router"
)

// InboundOptions holds the options of the inbound flow: the drop policy
// and packet timeout of the bound on inbound memory (see the package
// documentation, "Inbound memory"), manual acknowledgement and parallel
// dispatch. [Options] embeds it; set them with the Option functions.
type InboundOptions struct {
	// DropPolicy says which QoS 0 message is dropped when MaxPending
	// messages wait for their handlers, or DropNever to stop reading
	// instead. Default DropNewest.
	DropPolicy DropPolicy
	// PacketTimeout bounds the time from the first byte of an inbound
	// packet to its last; a packet slower than that ends the connection
	// with [ErrPacketTimeout]. It never fires while the connection is
	// idle between packets. 0 means the default; negative turns it off.
	// Default 30 s: raise it to receive large packets over slow links.
	PacketTimeout time.Duration
	// ManualAck leaves the acknowledgement of QoS 1 and 2 messages to
	// the application, which calls the event's Ack (see
	// [router.Event.Ack]) when it is done with the message, from any
	// goroutine, after the handler returned if it likes. A QoS 1
	// message's PUBACK then leaves in the order the messages arrived,
	// after the PUBACKs of the messages before it; an Ack after its
	// connection ended sends nothing (the broker sends the message
	// again). A QoS 2 message's PUBCOMP (PUBREC still goes out on
	// receipt) leaves once it is acknowledged and the broker's PUBREL
	// came. A message not yet acknowledged counts against MaxPending.
	// Default false: a message is acknowledged when its handler
	// returned.
	ManualAck bool
	// Workers is how many goroutines run handlers. Events with the same
	// WorkerKey run one at a time, in arrival order; events with
	// different keys may run in parallel. PUBACKs still leave in
	// arrival order. More than 1 cannot be combined with ManualLoop.
	// 0 means the default. Default 1: every handler on one goroutine.
	Workers int
	// WorkerKey maps an event to its ordering key when Workers > 1.
	// Default [TopicKey]. It runs on the dispatch goroutine and must be
	// quick; a key function that panics puts the event under "".
	WorkerKey func(*router.Event) string
}

// defaultPacketTimeout is the default of [InboundOptions.PacketTimeout].
const defaultPacketTimeout = 30 * time.Second

// finishInbound validates the inbound-flow options.
func (o *Options) finishInbound() error {
	if o.DropPolicy < DropNewest || o.DropPolicy > DropNever {
		return fmt.Errorf("%w: %v", ErrInvalidOption, o.DropPolicy)
	}
	switch {
	case o.Workers < 0 || o.Workers > 1<<16:
		return fmt.Errorf("%w: Workers %d out of range 0..65536", ErrInvalidOption, o.Workers)
	case o.Workers == 0:
		o.Workers = 1
	}
	if o.Workers > 1 && o.ManualLoop {
		return fmt.Errorf("%w: Workers %d with ManualLoop: the application's loop dispatches on its own goroutine", ErrInvalidOption, o.Workers)
	}
	if o.WorkerKey == nil {
		o.WorkerKey = TopicKey
	}
	switch {
	case o.PacketTimeout == 0:
		o.PacketTimeout = defaultPacketTimeout
	case o.PacketTimeout < 0:
		o.PacketTimeout = 0
	}
	return nil
}

// WithQoS0Policy sets which QoS 0 message is dropped when MaxPending
// messages wait for handlers (see [InboundOptions.DropPolicy]).
func WithQoS0Policy(p DropPolicy) Option {
	return func(o *Options) error { o.DropPolicy = p; return nil }
}

// WithPacketTimeout bounds the time an inbound packet may take to arrive
// once it has begun; a negative d turns the limit off (see
// [InboundOptions.PacketTimeout]).
func WithPacketTimeout(d time.Duration) Option {
	return func(o *Options) error { o.PacketTimeout = d; return nil }
}

// WithManualAck leaves acknowledgement to the application, through each
// delivering event's Ack (see [InboundOptions.ManualAck]).
func WithManualAck() Option {
	return func(o *Options) error { o.ManualAck = true; return nil }
}

// WithWorkers runs handlers on n goroutines, keeping events with the
// same key (see [WithWorkerKey]) in arrival order (see [InboundOptions.Workers]).
func WithWorkers(n int) Option {
	return func(o *Options) error { o.Workers = n; return nil }
}

// WithWorkerKey sets the ordering key of [WithWorkers]: events with the
// same key run one at a time, in arrival order. Default [TopicKey].
func WithWorkerKey(key func(*router.Event) string) Option {
	return func(o *Options) error { o.WorkerKey = key; return nil }
}
