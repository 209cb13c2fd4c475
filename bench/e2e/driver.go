package e2e

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// HeaderSize is the smallest payload: 8 bytes of send time and 4 bytes
// of message index.
const HeaderSize = 12

// Config describes one run.
type Config struct {
	Adapter Adapter
	Addr    string // broker host:port
	QoS     byte
	Size    int // payload bytes, at least HeaderSize
	N       int // messages published in all, split among the publishers
	Pubs    int
	Subs    int
	Window  int
	// Timeout bounds the whole measured interval.
	Timeout time.Duration
	// Idle ends a run that is not complete once nothing has been delivered
	// for this long after the publishers finished. Default: 2 s at QoS 0,
	// 10 s at QoS 1 and 2, where a missing message is a failure and a
	// loaded machine can hold the broker back for seconds.
	Idle time.Duration
	// BrokerCPU, when set, returns the broker's CPU time, to report the
	// broker's work per delivered message.
	BrokerCPU func() time.Duration
	// Rate, when positive, paces each publisher at Rate messages per
	// second: message j of a publisher is published at j/Rate seconds
	// after the start, or at once when the publisher is behind. The
	// publishers share the schedule, so with P publishers P messages are
	// due at each slot. Zero publishes as fast as the client allows (a
	// flood).
	Rate float64
	// CPUProfile, when set, receives a CPU profile of the measured
	// interval only (from the first publish to the last delivery), not of
	// connecting and disconnecting. The profile costs CPU that the run's
	// CPU per message then includes.
	CPUProfile io.Writer
	// Run distinguishes client identifiers and topics of successive runs.
	Run string
}

// Result is the outcome of one run.
type Result struct {
	Client     string
	Published  int
	Expected   int   // Published × subscribers
	Delivered  int   // distinct messages received, summed over subscribers
	Duplicates int   // messages received again
	Malformed  int   // payloads too short or with an index out of range
	PerSub     []int // distinct messages per subscriber
	Elapsed    time.Duration
	MsgsPerSec float64 // Delivered / Elapsed
	P50, P99   time.Duration
	Max        time.Duration // the slowest delivery
	CPUPerMsg  time.Duration // user+system CPU of the process per delivered message
	AllocsPer  float64       // heap allocations per delivered message
	IOCalls    float64       // read and write system calls of the process per delivered message
	Switches   float64       // voluntary context switches of the process per delivered message
	BrokerCPU  time.Duration // broker CPU per delivered message, when known
	Complete   bool          // every subscriber received every message
}

// Loss is the fraction of expected deliveries that did not arrive.
func (r Result) Loss() float64 {
	if r.Expected == 0 {
		return 0
	}
	return 1 - float64(r.Delivered)/float64(r.Expected)
}

// recorder counts and times one subscriber's deliveries.
type recorder struct {
	base time.Time
	want int

	mu   sync.Mutex
	seen []uint64 // bitmap of message indexes
	lat  []int64  // nanoseconds, one per distinct delivery
	dups int
	bad  int

	count atomic.Int64
	last  atomic.Int64 // nanoseconds since base of the latest delivery
	done  func()       // called once when want distinct messages arrived
}

func newRecorder(base time.Time, n int, done func()) *recorder {
	return &recorder{
		base: base,
		want: n,
		seen: make([]uint64, (n+63)/64),
		lat:  make([]int64, 0, n),
		done: done,
	}
}

func (r *recorder) deliver(p []byte) {
	now := int64(time.Since(r.base))
	r.mu.Lock()
	if len(p) < HeaderSize {
		r.bad++
		r.mu.Unlock()
		return
	}
	sent := int64(binary.LittleEndian.Uint64(p))
	i := int(binary.LittleEndian.Uint32(p[8:]))
	if i >= r.want {
		r.bad++
		r.mu.Unlock()
		return
	}
	w, bit := i/64, uint64(1)<<(i%64)
	if r.seen[w]&bit != 0 {
		r.dups++
		r.mu.Unlock()
		return
	}
	r.seen[w] |= bit
	r.lat = append(r.lat, now-sent)
	n := len(r.lat)
	r.mu.Unlock()
	r.last.Store(now)
	r.count.Store(int64(n))
	if n == r.want {
		r.done()
	}
}

// Run performs one measured run and returns its result. An error means
// the run could not be carried out (connecting failed, a publish failed,
// the broker died); an incomplete delivery is reported in the result.
func Run(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Client: cfg.Adapter.Name()}
	if cfg.Size < HeaderSize {
		return res, fmt.Errorf("e2e: payload size %d below %d", cfg.Size, HeaderSize)
	}
	if cfg.Pubs < 1 || cfg.Subs < 1 || cfg.N < cfg.Pubs {
		return res, fmt.Errorf("e2e: need at least one publisher, one subscriber and one message per publisher")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 2 * time.Second
		if cfg.QoS > 0 {
			cfg.Idle = 10 * time.Second
		}
	}
	name := cfg.Adapter.Name()
	topic := "bench/e2e/" + cfg.Run
	base := time.Now()

	// Subscribers first, so that no message is published before every
	// subscription is in place.
	var remaining atomic.Int64
	remaining.Store(int64(cfg.Subs))
	allDone := make(chan struct{})
	recs := make([]*recorder, cfg.Subs)
	var subs []Subscriber
	var pubs []Publisher
	defer func() {
		for _, p := range pubs {
			p.Close()
		}
		for _, s := range subs {
			s.Close()
		}
	}()
	for i := range recs {
		recs[i] = newRecorder(base, cfg.N, func() {
			if remaining.Add(-1) == 0 {
				close(allDone)
			}
		})
		cc := ClientConfig{Addr: cfg.Addr, ID: fmt.Sprintf("%s-%s-sub%d", name, cfg.Run, i), Topic: topic, QoS: cfg.QoS, Window: cfg.Window}
		s, err := cfg.Adapter.Subscriber(ctx, cc, recs[i].deliver)
		if err != nil {
			return res, fmt.Errorf("e2e: %s subscriber %d: %w", name, i, err)
		}
		subs = append(subs, s)
	}
	for i := range cfg.Pubs {
		cc := ClientConfig{Addr: cfg.Addr, ID: fmt.Sprintf("%s-%s-pub%d", name, cfg.Run, i), Topic: topic, QoS: cfg.QoS, Window: cfg.Window, Paced: cfg.Rate > 0}
		p, err := cfg.Adapter.Publisher(ctx, cc)
		if err != nil {
			return res, fmt.Errorf("e2e: %s publisher %d: %w", name, i, err)
		}
		pubs = append(pubs, p)
	}

	// Payloads, made before the measurement: publisher k sends messages
	// k, k+P, k+2P, ...
	slabs := make([][]byte, cfg.Pubs)
	counts := make([]int, cfg.Pubs)
	for k := range slabs {
		counts[k] = (cfg.N - k + cfg.Pubs - 1) / cfg.Pubs
		slabs[k] = make([]byte, counts[k]*cfg.Size)
		for j := range counts[k] {
			binary.LittleEndian.PutUint32(slabs[k][j*cfg.Size+8:], uint32(k+j*cfg.Pubs))
		}
	}
	res.Published = cfg.N
	res.Expected = cfg.N * cfg.Subs

	runCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	if cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(cfg.CPUProfile); err != nil {
			return res, fmt.Errorf("e2e: %w", err)
		}
	}
	cpu0, io0, sw0 := processCPU(), processIOCalls(), processSwitches()
	var bcpu0 time.Duration
	if cfg.BrokerCPU != nil {
		bcpu0 = cfg.BrokerCPU()
	}
	start := time.Since(base)

	var pubWG sync.WaitGroup
	pubErr := make([]error, cfg.Pubs)
	var pubsEnd atomic.Int64
	for k, p := range pubs {
		pubWG.Go(func() {
			slab := slabs[k]
			pace := newPacer(cfg.Rate, start)
			for j := range counts[k] {
				b := slab[j*cfg.Size : (j+1)*cfg.Size : (j+1)*cfg.Size]
				pace.wait(base, j)
				binary.LittleEndian.PutUint64(b, uint64(time.Since(base)))
				if err := p.Publish(b); err != nil {
					pubErr[k] = fmt.Errorf("publish %d: %w", j, err)
					return
				}
				if j&255 == 255 && runCtx.Err() != nil {
					pubErr[k] = runCtx.Err()
					return
				}
			}
			pubErr[k] = p.Flush(runCtx)
			t := int64(time.Since(base))
			for {
				old := pubsEnd.Load()
				if t <= old || pubsEnd.CompareAndSwap(old, t) {
					break
				}
			}
		})
	}
	pubsDone := make(chan struct{})
	go func() { pubWG.Wait(); close(pubsDone) }()

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	pubsWait := pubsDone // nil once the publishers are done
	pubsFinished := false
	complete := false
wait:
	for {
		select {
		case <-allDone:
			complete = true
			select { // a publisher may still wait for its last acknowledgements
			case <-pubsDone:
			case <-runCtx.Done():
			}
			break wait
		case <-pubsWait:
			pubsWait = nil
			pubsFinished = true
		case <-runCtx.Done():
			break wait
		case <-tick.C:
			if !pubsFinished {
				continue
			}
			last := time.Duration(pubsEnd.Load())
			for _, r := range recs {
				last = max(last, time.Duration(r.last.Load()))
			}
			if time.Since(base)-last >= cfg.Idle {
				break wait
			}
		}
	}
	cpu1, io1, sw1 := processCPU(), processIOCalls(), processSwitches()
	if cfg.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	var bcpu1 time.Duration
	if cfg.BrokerCPU != nil {
		bcpu1 = cfg.BrokerCPU()
	}
	runtime.ReadMemStats(&m1)

	end := time.Duration(pubsEnd.Load())
	var all []int64
	for _, r := range recs {
		r.mu.Lock()
		n := len(r.lat)
		res.PerSub = append(res.PerSub, n)
		res.Delivered += n
		res.Duplicates += r.dups
		res.Malformed += r.bad
		all = append(all, r.lat...)
		r.mu.Unlock()
		end = max(end, time.Duration(r.last.Load()))
	}
	res.Complete = complete && res.Delivered == res.Expected
	res.Elapsed = end - start
	if res.Delivered > 0 && res.Elapsed > 0 {
		res.MsgsPerSec = float64(res.Delivered) / res.Elapsed.Seconds()
		res.CPUPerMsg = (cpu1 - cpu0) / time.Duration(res.Delivered)
		res.AllocsPer = float64(m1.Mallocs-m0.Mallocs) / float64(res.Delivered)
		res.IOCalls = float64(io1-io0) / float64(res.Delivered)
		res.Switches = float64(sw1-sw0) / float64(res.Delivered)
		res.BrokerCPU = (bcpu1 - bcpu0) / time.Duration(res.Delivered)
		slices.Sort(all)
		res.P50 = time.Duration(percentile(all, 0.50))
		res.P99 = time.Duration(percentile(all, 0.99))
		res.Max = time.Duration(all[len(all)-1])
	}
	var errs []error
	for k, err := range pubErr {
		if err != nil {
			errs = append(errs, fmt.Errorf("e2e: %s publisher %d: %w", name, k, err))
		}
	}
	if !complete && ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return res, errors.Join(errs...)
}

// pacer holds a publisher to its schedule in a paced run.
type pacer struct {
	start    time.Duration // since the run's base time
	interval float64       // nanoseconds between publishes; 0 for a flood
}

func newPacer(rate float64, start time.Duration) pacer {
	if rate <= 0 {
		return pacer{}
	}
	return pacer{start: start, interval: float64(time.Second) / rate}
}

// wait sleeps until message j is due. A publisher that is late does not
// wait, so it catches up at the client's own pace.
func (p pacer) wait(base time.Time, j int) {
	if p.interval == 0 {
		return
	}
	due := p.start + time.Duration(float64(j)*p.interval)
	if d := due - time.Since(base); d > 0 {
		time.Sleep(d)
	}
}

// percentile returns the q-quantile of sorted values (nearest rank).
func percentile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
