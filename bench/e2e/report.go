package e2e

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Scenario is one cell of the matrix: QoS, payload size, topology,
// in-flight window and publishing rate.
type Scenario struct {
	QoS    byte
	Size   int
	Pubs   int
	Subs   int
	N      int     // messages published per run
	Window int     // in-flight window of every client and of the broker
	Rate   float64 // messages per second per publisher; 0 for a flood
}

func (s Scenario) String() string {
	mode := "flood"
	if s.Rate > 0 {
		mode = fmt.Sprintf("paced %.0f/s", s.Rate)
	}
	return fmt.Sprintf("QoS %d, %s, %d pub/%d sub, window %d, %s, %d msgs", s.QoS, sizeName(s.Size), s.Pubs, s.Subs, s.Window, mode, s.N)
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// Sample is the result of one client in one repetition of a scenario.
type Sample struct {
	Scenario Scenario
	Rep      int
	Result   Result
	Err      error
}

// Reference client names for the ratio columns.
const (
	CeilingName = "ceiling"
	PahoName    = "paho.mqtt.golang"
)

// Metric is one measure of a run.
type Metric int

// The measures a [Row] summarizes.
const (
	MsgsPerSec   Metric = iota // delivered messages per second; higher is better
	CPUPerMsg                  // client CPU per delivered message
	AllocsPerMsg               // heap allocations per delivered message
	LatencyP50                 // median publish-to-handler latency
	LatencyP99
	LatencyMax
	IOCallsPerMsg  // read and write system calls per delivered message
	SwitchesPerMsg // voluntary context switches per delivered message
	NumMetrics     // the number of metrics
)

// Of returns the measure m of r, in messages per second, nanoseconds or
// allocations.
func (m Metric) Of(r Result) float64 {
	switch m {
	case MsgsPerSec:
		return r.MsgsPerSec
	case CPUPerMsg:
		return float64(r.CPUPerMsg)
	case AllocsPerMsg:
		return r.AllocsPer
	case LatencyP50:
		return float64(r.P50)
	case LatencyP99:
		return float64(r.P99)
	case LatencyMax:
		return float64(r.Max)
	case IOCallsPerMsg:
		return r.IOCalls
	case SwitchesPerMsg:
		return r.Switches
	}
	return math.NaN()
}

// HigherIsBetter reports whether a larger value of m is the better one:
// true for throughput, false for costs and latencies.
func (m Metric) HigherIsBetter() bool { return m == MsgsPerSec }

// Ratios compares client's measure m with the other clients' in the
// results of one repetition (keyed by client name). It returns client's
// value divided by the ceiling's, by the best other library client's
// (the highest throughput, or the lowest cost or latency, among the
// clients other than client, the ceiling and client's own library at
// another protocol version: "onmqtt-5.0" is no other library for
// "onmqtt"), and by paho.mqtt.golang's.
// A ratio whose reference is missing or not positive is NaN, as is every
// ratio when client has no result.
func Ratios(same map[string]Result, client string, m Metric) (vsCeiling, vsBest, vsPaho float64) {
	vsCeiling, vsBest, vsPaho = math.NaN(), math.NaN(), math.NaN()
	own, ok := same[client]
	if !ok {
		return
	}
	v := m.Of(own)
	div := func(ref float64) float64 {
		if ref > 0 && !math.IsNaN(ref) {
			return v / ref
		}
		return math.NaN()
	}
	if ref, ok := same[CeilingName]; ok {
		vsCeiling = div(m.Of(ref))
	}
	if ref, ok := same[PahoName]; ok {
		vsPaho = div(m.Of(ref))
	}
	best := math.NaN()
	for name, r := range same {
		if name == client || name == CeilingName || library(name) == library(client) {
			continue
		}
		x := m.Of(r)
		if x <= 0 || math.IsNaN(x) {
			continue // a measure that failed is no reference
		}
		if math.IsNaN(best) || (m.HigherIsBetter() && x > best) || (!m.HigherIsBetter() && x < best) {
			best = x
		}
	}
	vsBest = div(best)
	return
}

// Stat is one measure of one client in one scenario.
type Stat struct {
	Median    float64 // median over the repetitions that ran
	VsCeiling float64 // median over repetitions of the ratio to the ceiling's; NaN when unknown
	VsBest    float64 // same, to the best other library client (see [Ratios])
	VsPaho    float64 // same, to paho.mqtt.golang
}

// Row is the summary of one client in one scenario over its repetitions.
type Row struct {
	Scenario   Scenario
	Client     string
	Reps       int
	Failed     int     // repetitions that ended in an error
	Incomplete int     // repetitions where a message did not arrive
	Loss       float64 // median fraction lost
	Stats      [NumMetrics]Stat
}

// Get returns the summary of measure m.
func (r Row) Get(m Metric) Stat { return r.Stats[m] }

// Summarize groups samples by scenario and client, in the order of
// scenarios and clients. Each ratio is taken within one repetition, where
// the clients ran one after another under the same conditions, and the
// median of those per-repetition ratios is reported. Runs that ended in
// an error count in Failed and nowhere else.
func Summarize(samples []Sample, scenarios []Scenario, clients []string) []Row {
	type key struct {
		s   Scenario
		rep int
	}
	byRep := map[key]map[string]Result{}
	for _, sm := range samples {
		if sm.Err != nil {
			continue
		}
		k := key{sm.Scenario, sm.Rep}
		if byRep[k] == nil {
			byRep[k] = map[string]Result{}
		}
		byRep[k][sm.Result.Client] = sm.Result
	}
	var rows []Row
	for _, sc := range scenarios {
		for _, c := range clients {
			r := Row{Scenario: sc, Client: c}
			var loss []float64
			var vals, vc, vb, vp [NumMetrics][]float64
			for _, sm := range samples {
				if sm.Scenario != sc || sm.Result.Client != c {
					continue
				}
				r.Reps++
				if sm.Err != nil {
					r.Failed++
					continue
				}
				res := sm.Result
				if !res.Complete {
					r.Incomplete++
				}
				loss = append(loss, res.Loss())
				same := byRep[key{sc, sm.Rep}]
				for m := range NumMetrics {
					vals[m] = append(vals[m], m.Of(res))
					rc, rb, rp := Ratios(same, c, m)
					vc[m], vb[m], vp[m] = appendKnown(vc[m], rc), appendKnown(vb[m], rb), appendKnown(vp[m], rp)
				}
			}
			if r.Reps == 0 {
				continue
			}
			r.Loss = median(loss)
			for m := range NumMetrics {
				r.Stats[m] = Stat{Median: median(vals[m]), VsCeiling: median(vc[m]), VsBest: median(vb[m]), VsPaho: median(vp[m])}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func appendKnown(v []float64, x float64) []float64 {
	if math.IsNaN(x) {
		return v
	}
	return append(v, x)
}

// median returns the median of v, or NaN for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Rotate returns clients rotated left by k: the order of repetition k.
func Rotate[T any](clients []T, k int) []T {
	n := len(clients)
	if n == 0 {
		return nil
	}
	k %= n
	return append(slices.Clone(clients[k:]), clients[:k]...)
}

// durationOf converts a metric value in nanoseconds to a duration.
func durationOf(v float64) time.Duration {
	if math.IsNaN(v) {
		return 0
	}
	return time.Duration(v)
}

// library returns the library a client row measures: its name without a
// protocol version suffix ("onmqtt-5.0" is "onmqtt").
func library(name string) string {
	lib, _, _ := strings.Cut(name, "-")
	return lib
}
