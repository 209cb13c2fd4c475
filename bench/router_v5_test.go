package bench

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// BenchmarkRouterSubscriptionID dispatches 5.0 PUBLISH events, each
// carrying one Subscription Identifier, through n SubscriptionID
// handlers, one per identifier, and a fallback; one event in eight
// carries an identifier no handler has.
func BenchmarkRouterSubscriptionID(b *testing.B) {
	for _, n := range []int{10, 1_000, 10_000} {
		b.Run(fmt.Sprintf("handlers=%d", n), func(b *testing.B) {
			r := router.New()
			for id := 1; id <= n; id++ {
				if _, err := r.On(message.PUBLISH, nop, router.SubscriptionID(uint32(id)), priority.Normal); err != nil {
					b.Fatal(err)
				}
			}
			r.On(message.PUBLISH, nop, nil, 0)
			var events [1024]*router.Event
			for i := range events {
				id := uint32(1 + i*7919%(n+n/8+1))
				p := &message.Properties{SubscriptionIDs: []uint32{id}}
				events[i] = &router.Event{Type: message.PUBLISH, Properties: p,
					Message: &message.Message{Topic: "site/1/device/1/temp", Properties: p}}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r.Dispatch(events[i&1023])
			}
		})
	}
}

// pendingRouter returns a router with n correlation one-shots pending.
func pendingRouter(n int) *router.Router {
	r := router.New()
	for i := range n {
		r.OnCorrelation([]byte("pending-"+strconv.Itoa(i)), nop)
	}
	return r
}

// responseEvent is a 5.0 PUBLISH event carrying the Correlation Data data.
func responseEvent(data []byte) *router.Event {
	return &router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: "replies/c1",
		Properties: &message.Properties{CorrelationData: data}}}
}

// BenchmarkRouterCorrelationFlow is one request/response with n others
// pending: register a correlation one-shot, then dispatch the response
// that fires and removes it.
func BenchmarkRouterCorrelationFlow(b *testing.B) {
	for _, n := range []int{10, 1_000, 10_000} {
		b.Run(fmt.Sprintf("pending=%d", n), func(b *testing.B) {
			r := pendingRouter(n)
			data := []byte("request-0123456789")
			e := responseEvent(data)
			b.ReportAllocs()
			for b.Loop() {
				r.OnCorrelation(data, nop)
				r.Dispatch(e)
			}
		})
	}
}

// BenchmarkRouterExpectReply is BenchmarkRouterCorrelationFlow through
// ExpectReply, as a requester uses it: register (for PUBLISH and
// PUBREL), dispatch the response, take it with Wait.
func BenchmarkRouterExpectReply(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("pending=%d", n), func(b *testing.B) {
			r := pendingRouter(n)
			data := []byte("request-0123456789")
			e := responseEvent(data)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				w, err := r.ExpectReply(data)
				if err != nil {
					b.Fatal(err)
				}
				r.Dispatch(e)
				if _, err := w.Wait(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRouterCorrelationMiss dispatches 5.0 PUBLISH events whose
// Correlation Data no one-shot waits for, with n pending: the cost the
// index adds to every other message.
func BenchmarkRouterCorrelationMiss(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("pending=%d", n), func(b *testing.B) {
			r := pendingRouter(n)
			r.On(message.PUBLISH, nop, nil, 0)
			e := responseEvent([]byte("someone-else"))
			b.ReportAllocs()
			for b.Loop() {
				r.Dispatch(e)
			}
		})
	}
}
