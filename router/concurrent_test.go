package router

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// TestConcurrentRegistration has 8 goroutines register and remove
// handlers of every kind while other goroutines run 100 000 dispatches.
// Permanent handlers, registered at a priority the churn never reaches,
// must catch each of their events exactly once; every acknowledgement is
// taken exactly once, by a one-shot or the fallback; no one-shot fires
// twice.
func TestConcurrentRegistration(t *testing.T) {
	const (
		churners    = 8
		dispatchers = 4
		perDispatch = 25_000
		sites       = 4
	)
	r := New()
	topics := make([]string, 0, sites*sites)
	for n := range sites {
		for m := range sites {
			topics = append(topics, fmt.Sprintf("site/%d/device/%d/temp", n, m))
		}
	}
	// Permanent handlers: one per topic, and the fallback of PUBACK.
	caught := make([]atomic.Int64, len(topics))
	for i, topic := range topics {
		_, err := r.On(message.PUBLISH, func(e *Event) {
			if e.Message.Topic != topic { // checked only on failure: the test is about concurrency
				assert.Failf(t, "wrong event", "handler of %s got %s", topic, e.Message.Topic)
			}
			caught[i].Add(1)
		}, Topic(topic), priority.Critical)
		require.NoError(t, err)
	}
	var ackFallback atomic.Int64
	r.On(message.PUBACK, func(*Event) { ackFallback.Add(1) }, nil, 0)

	var oneShotFires atomic.Int64
	var twice atomic.Int64
	stop := make(chan struct{})
	var churn sync.WaitGroup
	for c := range churners {
		churn.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(c), 7))
			h := func(*Event) {}
			var mine []*Registration
			for i := 0; ; i++ {
				select {
				case <-stop:
					for _, g := range mine {
						g.Remove()
					}
					return
				default:
				}
				var g *Registration
				var err error
				switch i % 6 {
				case 0: // loses to the permanent handler: lower priority
					g, err = r.On(message.PUBLISH, h, Topic(topics[rnd.IntN(len(topics))]), priority.High)
				case 1: // higher priority, but never holds
					g, err = r.On(message.PUBLISH, h, And(Topic("site/+/device/+/temp"), Func(func(*Event) bool { return false })), priority.Max)
				case 2:
					g, err = r.On(message.PUBLISH, h, Or(Dup(), Topic("ghost/#")), priority.Max)
				case 3:
					g, err = r.Observe(message.PUBLISH, h)
				default: // a one-shot for an acknowledgement
					var fired atomic.Int32
					g, err = r.OnID(message.PUBACK, uint16(1+rnd.IntN(64)), func(*Event) {
						oneShotFires.Add(1)
						if fired.Add(1) > 1 {
							twice.Add(1)
						}
					})
				}
				if !assert.NoError(t, err) {
					return
				}
				mine = append(mine, g)
				if len(mine) > 32 {
					k := rnd.IntN(len(mine))
					mine[k].Remove()
					mine[k] = mine[len(mine)-1]
					mine = mine[:len(mine)-1]
				}
			}
		})
	}

	var want = make([]int64, len(topics))
	var acks atomic.Int64
	var dispatch sync.WaitGroup
	wantPer := make([][]int64, dispatchers)
	for d := range dispatchers {
		wantPer[d] = make([]int64, len(topics))
		dispatch.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(d), 99))
			for range perDispatch {
				if rnd.IntN(3) == 0 {
					acks.Add(1)
					r.Dispatch(&Event{Type: message.PUBACK, ID: uint16(1 + rnd.IntN(64))})
					continue
				}
				i := rnd.IntN(len(topics))
				wantPer[d][i]++
				if !r.Dispatch(&Event{Type: message.PUBLISH, Message: &message.Message{Topic: topics[i]}}) {
					assert.Failf(t, "unhandled", "%s unhandled", topics[i])
				}
			}
		})
	}
	dispatch.Wait()
	close(stop)
	churn.Wait()

	for d := range dispatchers {
		for i := range topics {
			want[i] += wantPer[d][i]
		}
	}
	for i, topic := range topics {
		assert.Equal(t, want[i], caught[i].Load(), "%s: events caught", topic)
	}
	assert.Equal(t, acks.Load(), oneShotFires.Load()+ackFallback.Load(), "acknowledgements taken (%d one-shot, %d fallback)", oneShotFires.Load(), ackFallback.Load())
	assert.Zero(t, twice.Load(), "one-shots fired twice")
	assert.Zero(t, r.Stats().Panics, "panics")
	// Only the permanent handlers are left.
	assert.Len(t, r.Routes(), len(topics)+1, "routes left")
	t.Logf("one-shots fired %d times, fallback %d", oneShotFires.Load(), ackFallback.Load())
}

// TestOneShotRace dispatches the same event from several goroutines at
// once: the one-shot fires exactly once, and every other dispatch falls
// through to the fallback.
func TestOneShotRace(t *testing.T) {
	const rounds, racers = 500, 8
	for round := range rounds {
		r := New()
		var once, fallback atomic.Int32
		r.OnID(message.PUBACK, 1, func(*Event) { once.Add(1) })
		r.Once(message.PUBACK, func(*Event) { once.Add(1) }, Topic("x"), priority.Normal)
		r.On(message.PUBACK, func(*Event) { fallback.Add(1) }, nil, 0)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range racers {
			wg.Go(func() {
				<-start
				r.Dispatch(&Event{Type: message.PUBACK, ID: 1, Sent: &message.Message{Topic: "x"}})
			})
		}
		close(start)
		wg.Wait()
		require.True(t, once.Load() == 2 && fallback.Load() == racers-2,
			"round %d: one-shots ran %d times, fallback %d; want 2 and %d", round, once.Load(), fallback.Load(), racers-2)
	}
}
