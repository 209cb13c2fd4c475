package e2e

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// ClientConfig is what an adapter needs to connect one client.
type ClientConfig struct {
	Addr   string // broker host:port on loopback
	ID     string // client identifier, unique per run
	Topic  string // the one topic of the run
	QoS    byte   // publish QoS, or the QoS of the subscription
	Window int    // QoS 1 and 2 publishes unacknowledged at once, at most
	// Paced is set when the publishes of the run are spaced out in time
	// rather than a flood: a client that holds writes back to batch them
	// should then send each publish at once. Only the hand-written
	// ceiling client batches on its own judgement; the libraries decide
	// for themselves.
	Paced bool
}

// Adapter connects publishers and subscribers of one client library.
type Adapter interface {
	// Name is the name used in flags and tables.
	Name() string
	// Subscriber connects a client subscribed to cfg.Topic at cfg.QoS,
	// acknowledging inbound QoS 1 and 2 with a window of cfg.Window where
	// the library has one. It returns once the subscription is granted.
	// deliver is called with each message's payload, which it does not
	// keep; calls for one subscriber never overlap.
	Subscriber(ctx context.Context, cfg ClientConfig, deliver func(payload []byte)) (Subscriber, error)
	// Publisher connects a client that publishes to cfg.Topic at cfg.QoS.
	Publisher(ctx context.Context, cfg ClientConfig) (Publisher, error)
}

// Publisher publishes on one connection, from one goroutine.
type Publisher interface {
	// Publish sends payload. At QoS 1 and 2 it waits while Window
	// publishes are unacknowledged. The client may keep payload until the
	// message is acknowledged; the caller does not reuse it.
	Publish(payload []byte) error
	// Flush waits until every publish has completed: acknowledged at QoS 1
	// and 2, written at QoS 0.
	Flush(ctx context.Context) error
	// Close disconnects.
	Close() error
}

// Subscriber is a connected, subscribed client.
type Subscriber interface {
	Close() error
}

// Adapters returns every adapter, in the default order.
func Adapters() []Adapter {
	return []Adapter{Onmqtt{}, Onmqtt{Version: message.V5}, PahoMQTT{}, PahoGolang{}, Ceiling{}}
}

// Lookup returns the adapters named in a comma-separated list; "all" or
// "" is every adapter.
func Lookup(names string) ([]Adapter, error) {
	all := Adapters()
	if names == "" || names == "all" {
		return all, nil
	}
	var out []Adapter
	for n := range strings.SplitSeq(names, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, a := range all {
			if a.Name() == n {
				out = append(out, a)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("e2e: unknown client %q (have onmqtt, onmqtt-5.0, paho.mqtt.golang, paho.golang, ceiling)", n)
		}
	}
	return out, nil
}

// noDeadline clears a connection deadline.
var noDeadline time.Time
