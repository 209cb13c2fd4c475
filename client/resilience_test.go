package client_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/faultproxy"
	"github.com/onmqtt/onmqtt/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault-injection runs: a client behind a fault proxy that resets
// its connection at random moments, at least minChaosCuts times per run,
// while chaosMessages messages of each of QoS 1 and QoS 2 go through.
const (
	chaosMessages = 10_000
	// chaosCuts is the number of cuts the pacing spreads over a run;
	// minChaosCuts is what each run must at least see.
	chaosCuts    = 25
	minChaosCuts = 20
	chaosMin     = 5 * time.Millisecond
	chaosMax     = 60 * time.Millisecond
	// chaosWindow is the publishers' in-flight window, below both
	// brokers' in-flight limits.
	chaosWindow = 20
	// chaosAhead is the batch in which a publisher may run ahead of a
	// subscriber behind the proxy (see aheadGate), so that cuts fall
	// while messages are on their way to it rather than after the broker
	// queued them all.
	chaosAhead = 1000
	// chaosLimit bounds a whole run; a passing run takes seconds.
	chaosLimit = 3 * time.Minute
	// chaosQuiet ends the wait for messages that do not come: nothing
	// arrived for that long.
	chaosQuiet = 2 * time.Second
	// chaosSettle is how long a finished run keeps listening for late
	// duplicates.
	chaosSettle = 300 * time.Millisecond
)

// chaosRun describes one fault-injection run.
type chaosRun struct {
	role   string // "publisher" or "subscriber": who is behind the proxy
	b      chaosBroker
	n      int // messages per QoS
	prefix string
	// onPubrel makes the subscriber deliver QoS 2 messages on PUBREL.
	onPubrel bool
	// stream watches the subscriber's connections (subscriber runs).
	stream *streamWitness
	// opts are added to both clients' options (the protocol version).
	opts []client.Option
}

// publishAll publishes run.n messages of QoS 1 and of QoS 2 from four
// goroutines, calling before(step) ahead of each, and hands every token
// to sink. It returns the first Publish error.
func publishAll(ctx context.Context, c *client.Client, prefix string, n int, sink *tokenSink, before func(step int) error) error {
	var (
		sc       seqCounter
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for g := range 4 {
		q := message.QoS1 + message.QoS(g%2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seq, step, ok := sc.take(q, n)
				if !ok {
					return
				}
				if err := before(step); err != nil {
					fail(err)
					return
				}
				tok, err := c.Publish(ctx, tallyTopic(prefix, q), []byte(strconv.Itoa(seq)), q)
				if err != nil {
					fail(err)
					return
				}
				sink.ch <- tok
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// tokenCounts is what became of a run's publish tokens.
type tokenCounts struct {
	done, failed int
	errs         []error
}

// report logs the run's summary line and checks the delivery guarantees:
// every token completed without error, every QoS 1 message arrived at
// least once, every QoS 2 message exactly once. Against mochi, losses and
// duplicates its witness proves to be the broker's own are reported but
// allowed; everything else counts against the client.
func (run chaosRun) report(t *testing.T, tl *tally, p *faultproxy.Proxy, behind *client.Client, tok tokenCounts, took time.Duration) {
	t.Helper()
	st := behind.Stats()
	var held map[string]bool
	if run.b.inFlight != nil {
		held = run.b.inFlight(chaosClientID(t, "sub"))
	}
	role := run.role
	if run.onPubrel {
		role += " (QoS 2 delivered on PUBREL)"
	}
	summary := fmt.Sprintf("%s, %s behind the proxy: %d messages (%d QoS 1, %d QoS 2), %d cuts, %d connects, %v",
		run.b.name, role, 2*run.n, run.n, run.n, p.Cuts(), st.Connects, took.Round(time.Millisecond))
	for q := message.QoS1; q <= message.QoS2; q++ {
		r := tl.outcome(q)
		var ours, theirs []int // lost by the client, by the broker
		for _, seq := range r.lostSeqs {
			key := witnessKey(tallyTopic(run.prefix, q), []byte(strconv.Itoa(seq)))
			if run.b.witness != nil && run.b.witness.brokerLost(run.role, key) && !held[key] {
				theirs = append(theirs, seq)
			} else {
				ours = append(ours, seq)
			}
		}
		var dupOurs, dupTheirs, dupResent []int // QoS 2 duplicates
		if q == message.QoS2 {
			for _, seq := range r.dupSeqs {
				key := witnessKey(tallyTopic(run.prefix, q), []byte(strconv.Itoa(seq)))
				switch {
				case run.b.witness != nil && run.b.witness.brokerDuplicated(run.role, key):
					dupTheirs = append(dupTheirs, seq)
				case run.stream != nil && run.stream.brokerResent(key):
					dupResent = append(dupResent, seq)
				default:
					dupOurs = append(dupOurs, seq)
				}
			}
		}
		summary += fmt.Sprintf("; QoS %d lost %d duplicated %d", q, r.lost, r.dup)
		if run.b.witness != nil {
			summary += fmt.Sprintf(" (broker's own: %d lost, %d duplicated)", len(theirs), len(dupTheirs))
		}
		if len(dupResent) > 0 {
			// Allowed: README, "Sessions and faults".
			summary += fmt.Sprintf(" (%d sent again by the broker as a PUBLISH after the client's PUBCOMP)", len(dupResent))
		}
		assert.Zero(t, len(ours), "QoS %d: messages of %d lost by the client (first %v), want none", q, run.n, first(ours))
		assert.Zero(t, len(dupOurs), "QoS %d: messages delivered more than once (first %v, up to %d times), want exactly once",
			q, first(dupOurs), r.maxDeliveries)
	}
	summary += fmt.Sprintf("; QoS 2 re-sends absorbed by the client %d; tokens %d done, %d failed", st.Duplicates, tok.done, tok.failed)
	if w := run.b.witness; w != nil {
		reused, resent := w.anomalies()
		summary += fmt.Sprintf("; mochi gave %d messages the packet id of an open flow and sent %d again after completion", reused, resent)
	}
	t.Log(summary)

	assert.GreaterOrEqual(t, p.Cuts(), minChaosCuts, "cuts")
	assert.Equal(t, 2*run.n, tok.done, "tokens completed; first errors %v", tok.errs)
	assert.Zero(t, tok.failed, "tokens failed; first errors %v", tok.errs)
	assert.Empty(t, tl.badDeliveries(), "deliveries that match no published message")
}

// TestResiliencePublisher puts the publisher behind the fault proxy: its
// connection is reset at random moments while it publishes; a subscriber
// connected directly must get every QoS 1 message at least once and
// every QoS 2 message exactly once, and every token must complete
// without error.
func TestResiliencePublisher(t *testing.T) {
	eachBroker(t, func(t *testing.T, b chaosBroker) {
		run := chaosRun{role: "publisher", b: b, n: chaosMessages, prefix: "chaos/publisher"}
		run.publisherBehindProxy(t)
	})
}

func (run chaosRun) publisherBehindProxy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), chaosLimit)
	defer cancel()
	if run.b.witness != nil {
		run.b.witness.watch(chaosClientID(t, "pub"), chaosClientID(t, "sub"))
	}

	tl := newTally(run.n)
	sub := newClient(t, append([]client.Option{client.WithClientID(chaosClientID(t, "sub")), client.WithKeepAlive(30 * time.Second)}, run.opts...)...)
	sub.On(message.PUBLISH, tl.handler(), nil, 0)
	connect(t, sub, run.b.url)
	_, err := sub.Subscribe(testContext(t), message.Subscription{Filter: run.prefix + "/#", QoS: message.QoS2})
	require.NoError(t, err, "subscribe")

	p := newChaosProxy(t, run.b.url)
	pub := newClient(t, append([]client.Option{
		client.WithClientID(chaosClientID(t, "pub")),
		client.WithCleanSession(false),
		client.WithAutoReconnect(10*time.Millisecond, 100*time.Millisecond),
		client.WithMaxInflight(chaosWindow),
		client.WithKeepAlive(30 * time.Second),
	}, run.opts...)...)
	connect(t, pub, p.URL())

	start := time.Now()
	require.NoError(t, p.StartChaos(chaosMin, chaosMax, chaosSeed(t)))
	pace := cutPacer{p: p, want: chaosCuts, n: 2 * run.n}
	sink := newTokenSink(ctx, 8)
	perr := publishAll(ctx, pub, run.prefix, run.n, sink, func(step int) error { return pace.wait(ctx, step) })
	var tok tokenCounts
	tok.done, tok.failed, tok.errs = sink.close()
	p.StopChaos()
	assert.NoError(t, perr, "publish")
	tl.waitQuiet(ctx, chaosQuiet)
	took := time.Since(start)
	time.Sleep(chaosSettle)
	run.report(t, tl, p, pub, tok, took)
}

// TestResilienceSubscriber puts a subscriber with a persistent session
// behind the fault proxy while a client connected directly publishes:
// the subscriber must get every QoS 1 message at least once and every
// QoS 2 message exactly once, its inbound QoS 2 state absorbing what the
// broker sends again after each reconnect.
func TestResilienceSubscriber(t *testing.T) {
	subscriberBrokers(t, func(t *testing.T, b chaosBroker) {
		run := chaosRun{role: "subscriber", b: b, n: chaosMessages, prefix: "chaos/subscriber"}
		run.subscriberBehindProxy(t)
	})
}

// TestResilienceSubscriberOnPubrel is TestResilienceSubscriber with QoS 2
// messages delivered on PUBREL, the Zerynth way: the client then holds
// each message from PUBLISH to PUBREL, across reconnects.
func TestResilienceSubscriberOnPubrel(t *testing.T) {
	subscriberBrokers(t, func(t *testing.T, b chaosBroker) {
		run := chaosRun{role: "subscriber", b: b, n: chaosMessages, prefix: "chaos/pubrel", onPubrel: true}
		run.subscriberBehindProxy(t)
	})
}

// subscriberBrokers runs a subscriber-side fault run as a subtest
// against mosquitto and, with ONMQTT_CHAOS_SUBSCRIBER=1 or ONMQTT_LONG=1,
// against mochi. Mochi stays out of the default run: on a loaded machine
// it gives thousands of messages the packet identifier of a flow still
// open (6,785 in one run) and its witness, which maps identifiers to
// messages, then counts some of mochi's losses as the client's (2 QoS 1
// messages in one of about 30 runs; with the subscriber's stream
// captured in such runs, the messages counted as lost by the client had
// never reached it, or never got their PUBREL).
func subscriberBrokers(t *testing.T, f func(t *testing.T, b chaosBroker)) {
	t.Run("mosquitto", func(t *testing.T) { withMosquitto(t, f) })
	if os.Getenv("ONMQTT_CHAOS_SUBSCRIBER") == "1" || longRun() {
		t.Run("mochi", func(t *testing.T) { withMochi(t, f) })
	}
}

func (run chaosRun) subscriberBehindProxy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), chaosLimit)
	defer cancel()
	if run.b.witness != nil {
		run.b.witness.watch(chaosClientID(t, "pub"), chaosClientID(t, "sub"))
	}

	tl := newTally(run.n)
	p := newChaosProxy(t, run.b.url)
	opts := []client.Option{
		client.WithClientID(chaosClientID(t, "sub")),
		client.WithCleanSession(false),
		// Reconnect 1 ms after each cut. With longer offline windows
		// some QoS 2 messages arrive twice from mosquitto 2.0.11; the
		// reconnect loop before the supervisor did the same when given
		// a 10 ms wait before its first attempt. Not explained yet.
		client.WithAutoReconnect(time.Millisecond, time.Millisecond),
		client.WithKeepAlive(30 * time.Second),
	}
	if run.onPubrel {
		opts = append(opts, client.WithDeliverOnPubrel())
	}
	run.stream = newStreamWitness(runVersion(run.opts))
	opts = append(opts, client.WithDialer(run.stream.dial))
	sub := newClient(t, append(opts, run.opts...)...)
	sub.On(message.PUBLISH, tl.handler(), nil, 0)
	sub.On(message.PUBREL, tl.handler(), nil, 0)
	connect(t, sub, p.URL())
	_, err := sub.Subscribe(testContext(t), message.Subscription{Filter: run.prefix + "/#", QoS: message.QoS2})
	require.NoError(t, err, "subscribe")

	pub := newClient(t, append([]client.Option{
		client.WithClientID(chaosClientID(t, "pub")),
		client.WithMaxInflight(chaosWindow),
		client.WithKeepAlive(30 * time.Second),
	}, run.opts...)...)
	connect(t, pub, run.b.url)

	start := time.Now()
	require.NoError(t, p.StartChaos(chaosMin, chaosMax, chaosSeed(t)))
	pace := cutPacer{p: p, want: chaosCuts, n: 2 * run.n}
	ahead := &aheadGate{tl: tl, max: chaosAhead, open: chaosAhead}
	before := func(step int) error {
		if err := pace.wait(ctx, step); err != nil {
			return err
		}
		return ahead.wait(ctx, step)
	}
	sink := newTokenSink(ctx, 8)
	perr := publishAll(ctx, pub, run.prefix, run.n, sink, before)
	var tok tokenCounts
	tok.done, tok.failed, tok.errs = sink.close()
	assert.NoError(t, perr, "publish")
	// Cuts go on while the last messages drain, then stop; one more cut
	// makes the broker send again whatever it still holds in flight.
	if !tl.waitQuiet(ctx, chaosQuiet) {
		p.StopChaos()
		p.Cut()
		waitConnected(ctx, t, sub)
		tl.waitQuiet(ctx, chaosQuiet)
	}
	p.StopChaos()
	took := time.Since(start)
	time.Sleep(chaosSettle)
	run.report(t, tl, p, sub, tok, took)
}

// waitConnected waits until c is connected again.
func waitConnected(ctx context.Context, t *testing.T, c *client.Client) {
	t.Helper()
	for !c.IsConnected() {
		select {
		case <-ctx.Done():
			require.Failf(t, "not reconnected", "%v", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// aheadGate lets a publisher through in batches of max messages: a
// batch starts once the subscriber received every message before it, or
// nothing arrived for a moment (a broker lost some: they never come).
// This keeps the broker's backlog for the subscriber small, so cuts fall
// while messages flow rather than while a backlog is re-sent.
type aheadGate struct {
	tl   *tally
	max  int
	mu   sync.Mutex
	open int // steps up to open may go
}

func (g *aheadGate) wait(ctx context.Context, step int) error {
	const stall = 200 * time.Millisecond
	g.mu.Lock()
	defer g.mu.Unlock()
	for step > g.open {
		last, since := g.tl.received(), time.Now()
		for last < g.open && time.Since(since) < stall {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
			if n := g.tl.received(); n != last {
				last, since = n, time.Now()
			}
		}
		g.open += g.max
	}
	return nil
}
