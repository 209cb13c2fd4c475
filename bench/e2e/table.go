package e2e

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// WriteTable writes rows as markdown: one table for the floods and one
// for the paced runs, each only when it has rows. Every ratio is this
// client's value divided by the reference's, taken within each
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
	writeSection(w, "Flood: every publisher publishes as fast as its client allows.", floodColumns, flood)
	writeSection(w, "Paced: every publisher publishes at the given rate; latency is from the publish call to the subscriber's handler.", pacedColumns, paced)
}

// column is one column of a table: its heading, whether it is numeric
// (right-aligned) and how a row fills it.
type column struct {
	name    string
	numeric bool
	cell    func(Row) string
}

func stat(m Metric, f func(Stat) string) func(Row) string {
	return func(r Row) string { return f(r.Get(m)) }
}

func medianOf(format func(float64) string) func(Stat) string {
	return func(s Stat) string { return format(s.Median) }
}

func latency(v float64) string { return dur(durationOf(v)) }

var (
	vsCeiling = func(s Stat) string { return ratio(s.VsCeiling) }
	vsBest    = func(s Stat) string { return ratio(s.VsBest) }
	vsPaho    = func(s Stat) string { return ratio(s.VsPaho) }

	headColumns = []column{
		{"window", true, func(r Row) string { return fmt.Sprint(r.Scenario.Window) }},
		{"QoS", true, func(r Row) string { return fmt.Sprint(r.Scenario.QoS) }},
		{"size", false, func(r Row) string { return sizeName(r.Scenario.Size) }},
		{"pub/sub", false, func(r Row) string { return fmt.Sprintf("%d/%d", r.Scenario.Pubs, r.Scenario.Subs) }},
		{"client", false, func(r Row) string { return r.Client }},
	}
	cpuColumns = []column{
		{"CPU µs/msg", true, stat(CPUPerMsg, medianOf(micros))},
		{"÷ ceiling", true, stat(CPUPerMsg, vsCeiling)},
		{"÷ best other", true, stat(CPUPerMsg, vsBest)},
		{"allocs/msg", true, stat(AllocsPerMsg, medianOf(fixed))},
	}
	// callColumns say how often the clients entered the kernel.
	callColumns = []column{
		{"I/O calls/msg", true, stat(IOCallsPerMsg, medianOf(fixed))},
		{"switches/msg", true, stat(SwitchesPerMsg, medianOf(fixed))},
	}
	floodColumns = slices.Concat(headColumns, []column{
		{"msgs/s", true, stat(MsgsPerSec, medianOf(num))},
		{"÷ ceiling", true, stat(MsgsPerSec, vsCeiling)},
		{"÷ best other", true, stat(MsgsPerSec, vsBest)},
	}, cpuColumns, []column{
		{"÷ best other", true, stat(AllocsPerMsg, vsBest)},
	}, callColumns, []column{
		{"complete", false, completeness},
	})
	pacedColumns = slices.Concat(headColumns, []column{
		{"rate/pub", true, func(r Row) string { return fmt.Sprintf("%.0f", r.Scenario.Rate) }},
		{"msgs/s", true, stat(MsgsPerSec, medianOf(num))},
		{"p50", true, stat(LatencyP50, medianOf(latency))},
		{"p99", true, stat(LatencyP99, medianOf(latency))},
		{"max", true, stat(LatencyMax, medianOf(latency))},
		{"p50 ÷ best other", true, stat(LatencyP50, vsBest)},
		{"p99 ÷ best other", true, stat(LatencyP99, vsBest)},
		{"p50 ÷ paho.mqtt", true, stat(LatencyP50, vsPaho)},
		{"p99 ÷ paho.mqtt", true, stat(LatencyP99, vsPaho)},
	}, cpuColumns, callColumns, []column{
		{"complete", false, completeness},
	})
)

// writeSection writes an introduction and a markdown table of rows, or
// nothing when there are no rows.
func writeSection(w io.Writer, intro string, cols []column, rows []Row) {
	if len(rows) == 0 {
		return
	}
	line := func(cell func(column) string) {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cell(c)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintf(w, "%s\n\n", intro)
	line(func(c column) string { return c.name })
	line(func(c column) string {
		if c.numeric {
			return "---:"
		}
		return "---"
	})
	for _, r := range rows {
		line(func(c column) string { return c.cell(r) })
	}
	fmt.Fprintln(w)
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

// ratio formats a ratio with two decimals, or two significant digits
// below 0.1, so that a ratio of 0.004 does not read as 0.
func ratio(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "–"
	case v > 0 && v < 0.1:
		return fmt.Sprintf("%.2g", v)
	}
	return fmt.Sprintf("%.2f", v)
}
