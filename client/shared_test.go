package client_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// Shared subscriptions: a group of consumers subscribed to
// "$share/g/jobs/#" share the messages published to jobs/...; each
// message goes to one member.
const (
	sharedFilter    = "$share/g/jobs/#"
	sharedConsumers = 4
	sharedMessages  = 10_000
	// sharedLimit bounds a whole run; a passing one takes seconds.
	sharedLimit = 2 * time.Minute
	// sharedSettle is how long a run keeps listening for late
	// duplicates once every message arrived.
	sharedSettle = 300 * time.Millisecond
)

// longRun reports whether the long versions of the scale tests run
// (ONMQTT_LONG=1).
func longRun() bool { return os.Getenv("ONMQTT_LONG") == "1" }

// groupTally counts, per consumer, the deliveries of numbered messages:
// the payload is the decimal sequence number.
type groupTally struct {
	mu       sync.Mutex
	n        int
	counts   [][]int // by consumer, by sequence number
	distinct int
	bad      []string
	full     chan struct{}
}

func newGroupTally(consumers, n int) *groupTally {
	g := &groupTally{n: n, counts: make([][]int, consumers), full: make(chan struct{})}
	for i := range g.counts {
		g.counts[i] = make([]int, n)
	}
	return g
}

// handler records the messages consumer i handles.
func (g *groupTally) handler(i int) router.Handler {
	return func(e *router.Event) {
		if e.Message != nil {
			g.record(i, e.Message)
		}
	}
}

func (g *groupTally) record(i int, m *message.Message) {
	g.mu.Lock()
	defer g.mu.Unlock()
	seq, err := strconv.Atoi(string(m.Payload))
	if err != nil || seq < 0 || seq >= g.n || m.QoS != message.QoS1 {
		if len(g.bad) < 10 {
			g.bad = append(g.bad, fmt.Sprintf("consumer %d: %s %q q%d", i, m.Topic, m.Payload, m.QoS))
		}
		return
	}
	total := 0
	for c := range g.counts {
		total += g.counts[c][seq]
	}
	g.counts[i][seq]++
	if total == 0 {
		if g.distinct++; g.distinct == g.n {
			close(g.full)
		}
	}
}

// received returns how many distinct messages arrived.
func (g *groupTally) received() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.distinct
}

// split returns how many deliveries each consumer handled.
func (g *groupTally) split() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := make([]int, len(g.counts))
	for c := range g.counts {
		for _, k := range g.counts[c] {
			s[c] += k
		}
	}
	return s
}

// groupOutcome is what a run delivered across the group.
type groupOutcome struct {
	lost, dup int
	lostSeqs  []int
	dupSeqs   []int
}

func (g *groupTally) outcome() groupOutcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	var o groupOutcome
	for seq := 0; seq < g.n; seq++ {
		k := 0
		for c := range g.counts {
			k += g.counts[c][seq]
		}
		switch {
		case k == 0:
			o.lost++
			o.lostSeqs = append(o.lostSeqs, seq)
		case k > 1:
			o.dup += k - 1
			o.dupSeqs = append(o.dupSeqs, seq)
		}
	}
	return o
}

// waitAll waits until every message arrived, or nothing new arrived for
// quiet, or ctx ends, and reports whether every message arrived.
func (g *groupTally) waitAll(ctx context.Context, quiet time.Duration) bool {
	last, since := -1, time.Now()
	for {
		select {
		case <-g.full:
			return true
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
		if n := g.received(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return false
		}
	}
}

// shareConsumer makes a group member whose handlers are registered with
// Topic(sharedFilter), so that a message reaches them only if the router
// matches the shared filter against the topic the message carries. A
// fallback counts what the Topic condition let through to nobody.
func shareConsumer(t *testing.T, g *groupTally, i int, unrouted *counter, opts ...client.Option) *client.Client {
	t.Helper()
	c := newClient(t, append([]client.Option{client.WithMaxInflight(100)}, opts...)...)
	_, err := c.On(message.PUBLISH, g.handler(i), router.Topic(sharedFilter), 0)
	require.NoError(t, err)
	_, err = c.On(message.PUBLISH, func(e *router.Event) { unrouted.add(1) }, nil, 0)
	require.NoError(t, err)
	return c
}

// counter is a mutex-guarded count.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add(d int) {
	c.mu.Lock()
	c.n += d
	c.mu.Unlock()
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// publishNumbered publishes QoS 1 messages from, ..., to-1 on jobs/<seq
// mod 10>, calling before(seq) ahead of each, and waits for every
// acknowledgement.
func publishNumbered(ctx context.Context, t *testing.T, pub *client.Client, from, to int, before func(seq int)) {
	t.Helper()
	sink := newTokenSink(ctx, 4)
	for seq := from; seq < to; seq++ {
		if before != nil {
			before(seq)
		}
		tok, err := pub.Publish(ctx, fmt.Sprintf("jobs/%d", seq%10), []byte(strconv.Itoa(seq)), message.QoS1)
		if err != nil {
			sink.close()
			t.Fatalf("publish %d: %v", seq, err)
		}
		sink.ch <- tok
	}
	done, failed, errs := sink.close()
	require.Equal(t, to-from, done)
	require.Zero(t, failed, "publish tokens failed: %v", errs)
}

// sharedMosquitto starts a mosquitto that queues far more messages per
// client than a run sends, so that no delivery is dropped for room.
func sharedMosquitto(t *testing.T) *broker.Mosquitto {
	return brokertest.Mosquitto(t, broker.MosquittoOptions{
		MaxInflightMessages: 100,
		MaxQueuedMessages:   1_000_000,
	})
}

// TestSharedSubscriptionGroup: four consumers in one group on mosquitto
// (MQTT 3.1.1) handle each of 10,000 QoS 1 messages exactly once between
// them, every one through a handler registered with the $share filter.
func TestSharedSubscriptionGroup(t *testing.T) {
	m := sharedMosquitto(t)
	ctx, cancel := context.WithTimeout(context.Background(), sharedLimit)
	defer cancel()

	g := newGroupTally(sharedConsumers, sharedMessages)
	var unrouted counter
	var members []*client.Client
	for i := range sharedConsumers {
		c := shareConsumer(t, g, i, &unrouted, client.WithClientID(chaosClientID(t, fmt.Sprintf("c%d", i))))
		connect(t, c, m.Addr())
		codes, err := c.Subscribe(ctx, message.Subscription{Filter: sharedFilter, QoS: message.QoS1})
		require.NoError(t, err)
		require.Equal(t, []message.SubackCode{message.SubackCode(message.QoS1)}, codes)
		members = append(members, c)
	}
	pub := publisher(t, m.Addr(), client.WithMaxInflight(100))

	start := time.Now()
	publishNumbered(ctx, t, pub, 0, sharedMessages, nil)
	all := g.waitAll(ctx, 5*time.Second)
	elapsed := time.Since(start)
	time.Sleep(sharedSettle)

	o := g.outcome()
	split := g.split()
	t.Logf("split of %d messages over %d consumers: %v in %v", sharedMessages, sharedConsumers, split, elapsed.Round(time.Millisecond))
	assert.True(t, all, "only %d of %d messages arrived", g.received(), sharedMessages)
	assert.Zero(t, o.lost, "lost messages, first: %v", first(o.lostSeqs))
	assert.Zero(t, o.dup, "duplicate deliveries, first: %v", first(o.dupSeqs))
	assert.Empty(t, g.bad)
	assert.Zero(t, unrouted.get(), "messages that the $share Topic condition did not match")
	sum := 0
	for i, n := range split {
		sum += n
		// Every member takes part: a group that sent everything to one
		// consumer would not be shared.
		assert.Positive(t, n, "consumer %d handled nothing", i)
	}
	assert.Equal(t, sharedMessages, sum)
	for i, c := range members {
		assert.Zero(t, c.Stats().Unhandled, "consumer %d", i)
	}
}
