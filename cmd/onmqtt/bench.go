package main

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// benchFlags are bench's own flags.
type benchFlags struct {
	conn        connFlags
	publishers  int
	subscribers int
	qos         int
	size        int
	rate        float64
	duration    time.Duration
	count       int
	topic       string
	wait        time.Duration
	inflight    int
	json        bool
}

// stampSize is the header every bench payload starts with: the publish
// time in nanoseconds since the run began, the publisher and the
// sequence number.
const stampSize = 8 + 4 + 8

func runBench(ctx context.Context, e *env) error {
	var f benchFlags
	fs := flag.NewFlagSet("onmqtt bench", flag.ContinueOnError)
	f.conn.register(fs)
	fs.IntVar(&f.publishers, "publishers", 1, "number of publishing `clients`")
	fs.IntVar(&f.subscribers, "subscribers", 1, "number of subscribing `clients`")
	fs.IntVar(&f.qos, "q", 0, "`QoS` 0, 1 or 2 of publications and subscriptions")
	fs.IntVar(&f.size, "size", 64, fmt.Sprintf("payload size in `bytes` (at least %d)", stampSize))
	fs.Float64Var(&f.rate, "rate", 0, "messages per second per publisher (0: as fast as possible)")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "how long to publish, unless --count is given")
	fs.IntVar(&f.count, "count", 0, "messages per publisher (0: publish for --duration)")
	fs.StringVar(&f.topic, "t", "", "topic `prefix` (default onmqtt-bench/<random>)")
	fs.DurationVar(&f.wait, "wait", 5*time.Second, "how long to wait for the last messages after publishing")
	fs.IntVar(&f.inflight, "inflight", 64, "QoS 1 and 2 publishes awaiting acknowledgement per publisher")
	fs.BoolVar(&f.json, "json", false, "print the result as one JSON object")
	qos, err := parseFlags(fs, e, &f.qos)
	if err != nil {
		return err
	}
	switch {
	case f.publishers < 1 || f.subscribers < 0:
		return usageError("want at least one publisher and no negative number of subscribers")
	case f.size < stampSize:
		return usageError("--size %d: want at least %d bytes", f.size, stampSize)
	case f.rate < 0 || f.count < 0 || f.duration <= 0 || f.inflight < 1:
		return usageError("--rate and --count must not be negative, --duration and --inflight must be positive")
	}
	if f.topic == "" {
		var b [4]byte
		crand.Read(b[:])
		f.topic = "onmqtt-bench/" + hex.EncodeToString(b[:])
	}
	if err := message.ValidTopic(f.topic + "/0"); err != nil {
		return usageError("-t %q: %v", f.topic, err)
	}
	t, err := f.conn.target()
	if err != nil {
		return err
	}
	b := &bench{f: f, qos: qos, target: t, epoch: time.Now()}
	res, err := b.run(ctx, e)
	if err != nil {
		return err
	}
	if f.json {
		return res.writeJSON(e.stdout)
	}
	return res.writeTable(e.stdout)
}

// bench is one run of the load generator.
type bench struct {
	f      benchFlags
	qos    message.QoS
	target target
	epoch  time.Time // payload times count from it (monotonic clock)

	sent      atomic.Int64 // publishes accepted by the client
	completed atomic.Int64 // publishes completed (written, PUBACK, PUBCOMP)
	failed    atomic.Int64
	received  atomic.Int64
	subs      []*benchSub
}

// maxSamples bounds the latencies kept per subscriber: beyond it they are
// a uniform random sample of all (reservoir sampling), so that a long run
// takes bounded memory. The maximum is always exact.
const maxSamples = 1 << 20

// benchSub is one subscribing client's record. Its handler runs on the
// client's dispatch goroutine; mu guards what it records.
type benchSub struct {
	mu        sync.Mutex
	latencies []time.Duration // a sample of at most maxSamples
	seen      int             // latencies offered to the sample
	max       time.Duration
	last      time.Duration // receipt time of the latest message, since epoch
}

// record adds one latency to the sample. s.mu is held.
func (s *benchSub) record(d time.Duration) {
	s.seen++
	s.max = max(s.max, d)
	if len(s.latencies) < maxSamples {
		s.latencies = append(s.latencies, d)
		return
	}
	if i := rand.IntN(s.seen); i < maxSamples {
		s.latencies[i] = d
	}
}

func (b *bench) now() time.Duration { return time.Since(b.epoch) }

func (b *bench) run(ctx context.Context, e *env) (*benchResult, error) {
	var clients []*client.Client
	defer func() {
		for _, c := range clients {
			disconnect(c)
		}
	}()
	// With -i, each client gets the identifier followed by its role and
	// number: clients sharing one identifier would take each other over.
	prefix := b.f.conn.id
	b.f.conn.id = ""
	id := func(role string, i int) string {
		if prefix == "" {
			return ""
		}
		return fmt.Sprintf("%s-%s-%d", prefix, role, i)
	}
	filter := b.f.topic + "/#"
	for i := range b.f.subscribers {
		s := &benchSub{}
		b.subs = append(b.subs, s)
		c, err := b.f.conn.dial(ctx, b.target, id("sub", i), client.WithMaxPending(1<<20))
		if err != nil {
			return nil, fmt.Errorf("subscriber %d: %w", i, err)
		}
		clients = append(clients, c)
		if _, err := c.On(message.PUBLISH, func(ev *router.Event) { b.receive(s, ev.Message) }, nil, 0); err != nil {
			return nil, err
		}
		if _, err := c.Subscribe(ctx, message.Subscription{Filter: filter, QoS: b.qos}); err != nil {
			return nil, fmt.Errorf("subscriber %d: %w", i, err)
		}
	}
	pubs := make([]*client.Client, b.f.publishers)
	for i := range pubs {
		c, err := b.f.conn.dial(ctx, b.target, id("pub", i), client.WithMaxInflight(b.f.inflight))
		if err != nil {
			return nil, fmt.Errorf("publisher %d: %w", i, err)
		}
		clients = append(clients, c)
		pubs[i] = c
	}

	stopProgress := b.progress(e)
	start := b.now()
	pubCtx, cancel := context.WithCancel(ctx)
	if b.f.count == 0 {
		pubCtx, cancel = context.WithTimeout(ctx, b.f.duration)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(pubs))
	for i, c := range pubs {
		wg.Go(func() { errs[i] = b.publish(pubCtx, c, i) })
	}
	wg.Wait()
	cancel()
	pubEnd := b.now()
	if err := errors.Join(errs...); err != nil {
		stopProgress()
		return nil, err
	}
	b.drain(ctx)
	stopProgress()
	return b.result(start, pubEnd), nil
}

// publish sends publisher i's messages until its count is reached or ctx
// ends, paced at the rate, then waits for the last ones to complete.
func (b *bench) publish(ctx context.Context, c *client.Client, i int) error {
	topic := fmt.Sprintf("%s/%d", b.f.topic, i)
	var interval time.Duration
	if b.f.rate > 0 {
		interval = time.Duration(float64(time.Second) / b.f.rate)
	}
	begin := time.Now()
	// Completion handles are waited for by another goroutine, in order,
	// so that the publisher keeps the in-flight window full.
	tokens := make(chan *client.Token, max(b.f.inflight, 1024))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for tok := range tokens {
			b.settle(tok.Wait(context.WithoutCancel(ctx)))
		}
	}()
	defer func() {
		close(tokens)
		<-done
	}()
	for seq := 0; b.f.count == 0 || seq < b.f.count; seq++ {
		if interval > 0 {
			if d := time.Until(begin.Add(time.Duration(seq) * interval)); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return nil
				}
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		payload := make([]byte, b.f.size)
		binary.BigEndian.PutUint64(payload[0:], uint64(b.now()))
		binary.BigEndian.PutUint32(payload[8:], uint32(i))
		binary.BigEndian.PutUint64(payload[12:], uint64(seq))
		tok, err := c.Publish(ctx, topic, payload, b.qos)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("publisher %d: %w", i, err)
		}
		b.sent.Add(1)
		tokens <- tok
	}
	return nil
}

// settle counts one completed publish.
func (b *bench) settle(err error) {
	if err != nil {
		b.failed.Add(1)
		return
	}
	b.completed.Add(1)
}

// receive records one delivered message's latency.
func (b *bench) receive(s *benchSub, m *message.Message) {
	if m == nil || len(m.Payload) < stampSize {
		return
	}
	now := b.now()
	sentAt := time.Duration(binary.BigEndian.Uint64(m.Payload))
	s.mu.Lock()
	s.record(now - sentAt)
	s.last = now
	s.mu.Unlock()
	b.received.Add(1)
}

// drain waits until every subscriber has every completed message, or no
// message arrived for the --wait period.
func (b *bench) drain(ctx context.Context) {
	want := b.completed.Load() * int64(b.f.subscribers)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastCount, lastChange := b.received.Load(), time.Now()
	for b.received.Load() < want {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n := b.received.Load(); n != lastCount {
			lastCount, lastChange = n, time.Now()
		} else if time.Since(lastChange) > b.f.wait {
			return
		}
	}
}

// progress draws a progress line on stderr once a second while the run
// goes on, when stderr is a terminal, and returns the function that
// stops it and clears the line.
func (b *bench) progress(e *env) func() {
	if !e.stderrTerminal {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var prevSent, prevRecv int64
		for {
			select {
			case <-stop:
				fmt.Fprint(e.stderr, "\r\033[K")
				return
			case <-tick.C:
			}
			sent, recv := b.sent.Load(), b.received.Load()
			fmt.Fprintf(e.stderr, "\r\033[K%6.1fs  sent %d (%d/s)  received %d (%d/s)",
				b.now().Seconds(), sent, sent-prevSent, recv, recv-prevRecv)
			prevSent, prevRecv = sent, recv
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}
