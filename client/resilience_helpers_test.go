package client_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/broker"
	"github.com/onmqtt/onmqtt/internal/broker/brokertest"
	"github.com/onmqtt/onmqtt/internal/faultproxy"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
	"github.com/stretchr/testify/require"
)

// chaosBroker is a broker started for one resilience test.
type chaosBroker struct {
	name    string // "mochi" or "mosquitto"
	url     string
	restart func() error // drops every session: neither broker persists
	// witness, for mochi only, tells losses of the broker from losses of
	// the client; nil means every loss counts against the client.
	witness *mochiWitness
	// inFlight returns the messages the broker still holds in flight for
	// a client (mochi only).
	inFlight func(clientID string) map[string]bool
}

// roomyMochi lets mochi hold as many QoS 1 and 2 messages per client as
// the tests queue: its default of 8192 silently drops deliveries to a
// subscriber that is away beyond it.
func roomyMochi(o *mqtt.Options) {
	o.Capabilities = mqtt.NewDefaultServerCapabilities()
	o.Capabilities.MaximumInflight = 65535
	o.Capabilities.MaximumClientWritesPending = 65535
}

// mosquittoOptions is the configuration of every resilience run:
// persistence off, an in-flight limit far above the client's window
// (mosquitto 2.0.11 silently drops QoS 2 deliveries from a 3.1.1
// publisher beyond max_inflight_messages) and a queue that never fills.
var mosquittoOptions = broker.MosquittoOptions{
	MaxInflightMessages: 1000,
	MaxQueuedMessages:   1_000_000,
}

// withMochi runs f against a new embedded broker.
func withMochi(t *testing.T, f func(t *testing.T, b chaosBroker)) {
	t.Helper()
	w := newMochiWitness()
	e := brokertest.Embedded(t, broker.EmbeddedOptions{Configure: func(o *mqtt.Options) {
		roomyMochi(o)
		o.Hooks = append(o.Hooks, mqtt.HookLoadConfig{Hook: w})
	}})
	inFlight := func(id string) map[string]bool {
		held := make(map[string]bool)
		if cl, ok := e.Server().Clients.Get(id); ok {
			for _, pk := range cl.State.Inflight.GetAll(false) {
				if pk.FixedHeader.Type == packets.Publish {
					held[witnessKey(pk.TopicName, pk.Payload)] = true
				}
			}
		}
		return held
	}
	f(t, chaosBroker{name: "mochi", url: e.Addr(), restart: e.Restart, witness: w, inFlight: inFlight})
}

// withMosquitto runs f against a new mosquitto; see brokertest.Mosquitto
// for when it skips.
func withMosquitto(t *testing.T, f func(t *testing.T, b chaosBroker)) {
	t.Helper()
	m := brokertest.Mosquitto(t, mosquittoOptions)
	f(t, chaosBroker{name: "mosquitto", url: m.Addr(), restart: m.Restart})
}

// eachBroker runs f as a subtest against each broker.
func eachBroker(t *testing.T, f func(t *testing.T, b chaosBroker)) {
	t.Run("mochi", func(t *testing.T) { withMochi(t, f) })
	t.Run("mosquitto", func(t *testing.T) { withMosquitto(t, f) })
}

// chaosSeed returns the seed for a run's random cuts: ONMQTT_CHAOS_SEED
// when set, to replay a failing run, else the clock. It is logged.
func chaosSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ONMQTT_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "ONMQTT_CHAOS_SEED")
		seed = v
	}
	t.Logf("chaos seed %d (set ONMQTT_CHAOS_SEED to replay)", seed)
	return seed
}

// newProxy starts a fault proxy to url, closed when the test ends.
func newChaosProxy(t *testing.T, url string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(url)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// clientID returns an identifier unique to the test and role, so that
// brokers shared by subtests never mix sessions.
func chaosClientID(t *testing.T, role string) string {
	r := strings.NewReplacer("/", "-", " ", "_")
	return "onmqtt-" + r.Replace(t.Name()) + "-" + role
}

// tally counts the deliveries of numbered messages: the payload is the
// decimal sequence number, the last topic level says the QoS ("q1",
// "q2").
type tally struct {
	mu       sync.Mutex
	n        int
	counts   [3][]int // by QoS, by sequence number
	distinct [3]int
	bad      []string // deliveries that fit no message
	full     chan struct{}
	once     sync.Once
}

func newTally(n int) *tally {
	tl := &tally{n: n, full: make(chan struct{})}
	for q := 1; q <= 2; q++ {
		tl.counts[q] = make([]int, n)
	}
	return tl
}

// topic returns the topic messages of QoS q are published to.
func tallyTopic(prefix string, q message.QoS) string { return fmt.Sprintf("%s/q%d", prefix, q) }

// handler records every delivered message.
func (tl *tally) handler() router.Handler {
	return func(e *router.Event) {
		if e.Message == nil {
			return
		}
		tl.record(e.Message)
	}
}

func (tl *tally) record(m *message.Message) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	q := message.QoS(0)
	switch {
	case strings.HasSuffix(m.Topic, "/q1"):
		q = message.QoS1
	case strings.HasSuffix(m.Topic, "/q2"):
		q = message.QoS2
	}
	seq, err := strconv.Atoi(string(m.Payload))
	if q == 0 || m.QoS != q || err != nil || seq < 0 || seq >= tl.n {
		if len(tl.bad) < 10 {
			tl.bad = append(tl.bad, fmt.Sprintf("%s %q q%d", m.Topic, m.Payload, m.QoS))
		}
		return
	}
	if tl.counts[q][seq]++; tl.counts[q][seq] == 1 {
		tl.distinct[q]++
		if tl.distinct[1] == tl.n && tl.distinct[2] == tl.n {
			tl.once.Do(func() { close(tl.full) })
		}
	}
}

// received returns how many distinct messages have arrived, all QoS.
func (tl *tally) received() int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.distinct[1] + tl.distinct[2]
}

// chaosResult is the outcome of a run for one QoS.
type chaosResult struct {
	lost, dup     int   // messages never delivered; extra deliveries
	lostSeqs      []int // the lost messages
	dupSeqs       []int // the messages delivered more than once
	maxDeliveries int
}

func (tl *tally) outcome(q message.QoS) chaosResult {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var r chaosResult
	for seq, n := range tl.counts[q] {
		switch {
		case n == 0:
			r.lost++
			r.lostSeqs = append(r.lostSeqs, seq)
		case n > 1:
			r.dup += n - 1
			r.dupSeqs = append(r.dupSeqs, seq)
		}
		r.maxDeliveries = max(r.maxDeliveries, n)
	}
	return r
}

// first returns at most the first ten of seqs, for messages.
func first(seqs []int) []int { return seqs[:min(len(seqs), 10)] }

// waitQuiet blocks until every message has arrived, or no new one
// arrived for quiet, or ctx ends; it reports whether all arrived.
func (tl *tally) waitQuiet(ctx context.Context, quiet time.Duration) bool {
	last, since := -1, time.Now()
	for {
		select {
		case <-tl.full:
			return true
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
		if n := tl.received(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return false
		}
	}
}

func (tl *tally) badDeliveries() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]string(nil), tl.bad...)
}

// tokenSink waits for publish tokens on a few goroutines and keeps the
// first errors.
type tokenSink struct {
	ch     chan *client.Token
	wg     sync.WaitGroup
	mu     sync.Mutex
	failed int
	errs   []error
	done   int
}

func newTokenSink(ctx context.Context, workers int) *tokenSink {
	s := &tokenSink{ch: make(chan *client.Token, 1024)}
	s.wg.Add(workers)
	for range workers {
		go func() {
			defer s.wg.Done()
			for tok := range s.ch {
				err := tok.Wait(ctx)
				s.mu.Lock()
				s.done++
				if err != nil {
					s.failed++
					if len(s.errs) < 5 {
						s.errs = append(s.errs, fmt.Errorf("token %d: %w", tok.ID(), err))
					}
				}
				s.mu.Unlock()
			}
		}()
	}
	return s
}

// close waits for every token handed in and returns how many completed
// and how many failed, with the first errors.
func (s *tokenSink) close() (done, failed int, errs []error) {
	close(s.ch)
	s.wg.Wait()
	return s.done, s.failed, s.errs
}

// cutPacer spreads at least want cuts over n steps: step i waits until
// the proxy has made i*want/n cuts, so a fast run cannot finish before
// the network has failed often enough, while the moment of each cut
// stays random.
type cutPacer struct {
	p    *faultproxy.Proxy
	want int
	n    int
}

func (cp cutPacer) wait(ctx context.Context, i int) error {
	need := i * cp.want / cp.n
	for cp.p.Cuts() < need {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for cut %d before message %d: %w", need, i, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// seqCounter hands out message numbers to publishing goroutines.
type seqCounter struct {
	mu   sync.Mutex
	next [3]int
	step int // messages handed out, all QoS
}

// take returns the next sequence number of q, its overall step, and
// false once n numbers of q were handed out.
func (sc *seqCounter) take(q message.QoS, n int) (seq, step int, ok bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.next[q] >= n {
		return 0, 0, false
	}
	seq = sc.next[q]
	sc.next[q]++
	sc.step++
	return seq, sc.step, true
}
