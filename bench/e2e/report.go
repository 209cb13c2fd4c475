package e2e

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Scenario is one cell of the matrix: QoS, payload size and topology.
type Scenario struct {
	QoS  byte
	Size int
	Pubs int
	Subs int
	N    int // messages published per run
}

func (s Scenario) String() string {
	return fmt.Sprintf("QoS %d, %s, %d pub/%d sub, %d msgs", s.QoS, sizeName(s.Size), s.Pubs, s.Subs, s.N)
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

// Row is the summary of one client in one scenario over its repetitions:
// medians of each measure.
type Row struct {
	Scenario     Scenario
	Client       string
	Reps         int
	Failed       int // repetitions that ended in an error
	Incomplete   int // repetitions where a message did not arrive
	MsgsPerSec   float64
	P50, P99     time.Duration
	CPUPerMsg    time.Duration
	AllocsPer    float64
	Loss         float64 // median fraction lost
	VsCeiling    float64 // median of msgs/s ÷ ceiling's in the same repetition; 0 when unknown
	VsPaho       float64 // same against paho.mqtt.golang
	CPUVsPaho    float64 // median of CPU/msg ÷ paho.mqtt.golang's in the same repetition
	AllocsVsPaho float64
}

// Summarize groups samples by scenario and client, in the order they
// first appear in scenarios and clients.
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
			var rate, p50, p99, cpu, allocs, loss, vc, vp, cvp, avp []float64
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
				rate = append(rate, res.MsgsPerSec)
				p50 = append(p50, float64(res.P50))
				p99 = append(p99, float64(res.P99))
				cpu = append(cpu, float64(res.CPUPerMsg))
				allocs = append(allocs, res.AllocsPer)
				loss = append(loss, res.Loss())
				same := byRep[key{sc, sm.Rep}]
				if ref, ok := same[CeilingName]; ok && ref.MsgsPerSec > 0 {
					vc = append(vc, res.MsgsPerSec/ref.MsgsPerSec)
				}
				if ref, ok := same[PahoName]; ok && ref.MsgsPerSec > 0 {
					vp = append(vp, res.MsgsPerSec/ref.MsgsPerSec)
					if ref.CPUPerMsg > 0 {
						cvp = append(cvp, float64(res.CPUPerMsg)/float64(ref.CPUPerMsg))
					}
					if ref.AllocsPer > 0 {
						avp = append(avp, res.AllocsPer/ref.AllocsPer)
					}
				}
			}
			if r.Reps == 0 {
				continue
			}
			r.MsgsPerSec = median(rate)
			r.P50 = time.Duration(median(p50))
			r.P99 = time.Duration(median(p99))
			r.CPUPerMsg = time.Duration(median(cpu))
			r.AllocsPer = median(allocs)
			r.Loss = median(loss)
			r.VsCeiling = median(vc)
			r.VsPaho = median(vp)
			r.CPUVsPaho = median(cvp)
			r.AllocsVsPaho = median(avp)
			rows = append(rows, r)
		}
	}
	return rows
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// WriteTable writes rows as a markdown table.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| QoS | size | pub/sub | client | msgs/s | p50 | p99 | CPU µs/msg | allocs/msg | complete | × ceiling | × paho.mqtt msgs/s | CPU ÷ paho.mqtt |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
	for _, r := range rows {
		sc := r.Scenario
		fmt.Fprintf(w, "| %d | %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			sc.QoS, sizeName(sc.Size), sc.Pubs, sc.Subs, r.Client,
			num(r.MsgsPerSec), dur(r.P50), dur(r.P99),
			fmt.Sprintf("%.2f", float64(r.CPUPerMsg)/float64(time.Microsecond)),
			fmt.Sprintf("%.2f", r.AllocsPer),
			completeness(r), ratio(r.VsCeiling), ratio(r.VsPaho), ratio(r.CPUVsPaho))
	}
}

func completeness(r Row) string {
	var b strings.Builder
	switch {
	case r.Failed == r.Reps:
		return "FAILED"
	case r.Incomplete == 0 && r.Failed == 0:
		b.WriteString("yes")
	case r.Scenario.QoS == 0:
		fmt.Fprintf(&b, "loss %.2f%%", 100*r.Loss)
	default:
		fmt.Fprintf(&b, "NO (%d of %d runs)", r.Incomplete, r.Reps-r.Failed)
	}
	if r.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", r.Failed)
	}
	return b.String()
}

func num(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0fµs", float64(d)/1e3)
}

func ratio(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
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
