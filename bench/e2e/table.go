package e2e

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// WriteTable writes rows as markdown: one table for the floods and one
// for the paced runs, each only when it has rows. Every ratio is this
// client's median value divided by the reference's, taken within each
// repetition and then the median over repetitions: above 1 is faster for
// msgs/s, and costlier or slower for CPU, allocations and latency.
func WriteTable(w io.Writer, rows []Row) {
	var flood, paced []Row
	for _, r := range rows {
		if r.Scenario.Rate > 0 {
			paced = append(paced, r)
		} else {
			flood = append(flood, r)
		}
	}
	if len(flood) > 0 {
		fmt.Fprintln(w, "Flood: every publisher publishes as fast as its client allows.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| window | QoS | size | pub/sub | client | msgs/s | ÷ ceiling | ÷ best other | CPU µs/msg | ÷ ceiling | ÷ best other | allocs/msg | ÷ best other | complete |")
		fmt.Fprintln(w, "| ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
		for _, r := range flood {
			rate, cpu, al := r.Get(MsgsPerSec), r.Get(CPUPerMsg), r.Get(AllocsPerMsg)
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				cellHead(r), num(rate.Median), ratio(rate.VsCeiling), ratio(rate.VsBest),
				micros(cpu.Median), ratio(cpu.VsCeiling), ratio(cpu.VsBest),
				fixed(al.Median), ratio(al.VsBest), completeness(r))
		}
		fmt.Fprintln(w)
	}
	if len(paced) > 0 {
		fmt.Fprintln(w, "Paced: every publisher publishes at the given rate; latency is from the publish call to the subscriber's handler.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| window | QoS | size | pub/sub | client | rate/pub | msgs/s | p50 | p99 | max | p50 ÷ best other | p99 ÷ best other | p50 ÷ paho.mqtt | p99 ÷ paho.mqtt | CPU µs/msg | ÷ ceiling | ÷ best other | allocs/msg | complete |")
		fmt.Fprintln(w, "| ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
		for _, r := range paced {
			p50, p99, mx := r.Get(LatencyP50), r.Get(LatencyP99), r.Get(LatencyMax)
			cpu := r.Get(CPUPerMsg)
			fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				cellHead(r), r.Scenario.Rate, num(r.Get(MsgsPerSec).Median),
				dur(durationOf(p50.Median)), dur(durationOf(p99.Median)), dur(durationOf(mx.Median)),
				ratio(p50.VsBest), ratio(p99.VsBest), ratio(p50.VsPaho), ratio(p99.VsPaho),
				micros(cpu.Median), ratio(cpu.VsCeiling), ratio(cpu.VsBest),
				fixed(r.Get(AllocsPerMsg).Median), completeness(r))
		}
		fmt.Fprintln(w)
	}
}

// cellHead is the first five columns: window, QoS, size, topology and
// client.
func cellHead(r Row) string {
	sc := r.Scenario
	return fmt.Sprintf("%d | %d | %s | %d/%d | %s", sc.Window, sc.QoS, sizeName(sc.Size), sc.Pubs, sc.Subs, r.Client)
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
	case math.IsNaN(v):
		return "–"
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func micros(ns float64) string {
	if math.IsNaN(ns) {
		return "–"
	}
	return fmt.Sprintf("%.2f", ns/float64(time.Microsecond))
}

func fixed(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
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
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}
