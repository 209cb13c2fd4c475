package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// benchResult is what bench reports.
type benchResult struct {
	Broker      string  `json:"broker"`
	Publishers  int     `json:"publishers"`
	Subscribers int     `json:"subscribers"`
	QoS         int     `json:"qos"`
	Size        int     `json:"size"`
	Rate        float64 `json:"rate"` // per publisher; 0: as fast as possible
	// Sent counts the publishes the clients accepted, Completed those
	// that completed (QoS 0: written; QoS 1: PUBACK; QoS 2: PUBCOMP),
	// Failed those that did not.
	Sent      int64 `json:"sent"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	// Expected is Completed times the number of subscribers; Received
	// counts the deliveries, Lost what is missing (negative when the
	// broker delivered duplicates).
	Expected int64 `json:"expected"`
	Received int64 `json:"received"`
	Lost     int64 `json:"lost"`
	// PublishSeconds is how long publishing took, ReceiveSeconds the time
	// from the first publish to the last receipt.
	PublishSeconds float64 `json:"publish_seconds"`
	ReceiveSeconds float64 `json:"receive_seconds"`
	SentPerSecond  float64 `json:"sent_per_second"`
	RecvPerSecond  float64 `json:"received_per_second"`
	// RecvBytesPerSecond counts payload bytes delivered per second.
	RecvBytesPerSecond float64 `json:"received_bytes_per_second"`
	// Latency is from publish to receipt, in microseconds; the
	// percentiles are taken over at most maxSamples latencies per
	// subscriber, a uniform sample of all of them in longer runs.
	Latency latencyStats `json:"latency_us"`
}

// latencyStats are percentiles of the publish-to-receipt latency, in
// microseconds.
type latencyStats struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// result gathers the run's figures; publishing ran from start to pubEnd.
func (b *bench) result(start, pubEnd time.Duration) *benchResult {
	r := &benchResult{
		Broker: b.target.url, Publishers: b.f.publishers, Subscribers: b.f.subscribers,
		QoS: int(b.qos), Size: b.f.size, Rate: b.f.rate,
		Sent: b.sent.Load(), Completed: b.completed.Load(), Failed: b.failed.Load(),
		Received: b.received.Load(),
	}
	r.Expected = r.Completed * int64(b.f.subscribers)
	r.Lost = r.Expected - r.Received
	var (
		all    []time.Duration
		maxLat time.Duration
	)
	last := start
	for _, s := range b.subs {
		s.mu.Lock()
		all = append(all, s.latencies...)
		maxLat = max(maxLat, s.max)
		last = max(last, s.last)
		s.mu.Unlock()
	}
	r.PublishSeconds = (pubEnd - start).Seconds()
	r.ReceiveSeconds = (last - start).Seconds()
	if r.PublishSeconds > 0 {
		r.SentPerSecond = float64(r.Completed) / r.PublishSeconds
	}
	if r.ReceiveSeconds > 0 {
		r.RecvPerSecond = float64(r.Received) / r.ReceiveSeconds
		r.RecvBytesPerSecond = r.RecvPerSecond * float64(r.Size)
	}
	r.Latency = percentiles(all)
	r.Latency.Max = float64(maxLat) / float64(time.Microsecond)
	return r
}

// percentiles returns the nearest-rank percentiles of ds, sorting it.
func percentiles(ds []time.Duration) latencyStats {
	if len(ds) == 0 {
		return latencyStats{}
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.999999) - 1 // nearest rank
		i = min(max(i, 0), len(ds)-1)
		return float64(ds[i]) / float64(time.Microsecond)
	}
	return latencyStats{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: at(1)}
}

func (r *benchResult) writeJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func (r *benchResult) writeTable(w io.Writer) error {
	rate := "as fast as possible"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%g msgs/s per publisher", r.Rate)
	}
	fmt.Fprintf(w, "%s: %d publisher(s), %d subscriber(s), QoS %d, %d-byte payloads, %s\n\n",
		r.Broker, r.Publishers, r.Subscribers, r.QoS, r.Size, rate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tmessages\tseconds\tmsgs/s\tMB/s\t\n")
	fmt.Fprintf(tw, "sent\t%d\t%.2f\t%.0f\t%.2f\t\n", r.Completed, r.PublishSeconds, r.SentPerSecond, r.SentPerSecond*float64(r.Size)/1e6)
	fmt.Fprintf(tw, "received\t%d\t%.2f\t%.0f\t%.2f\t\n", r.Received, r.ReceiveSeconds, r.RecvPerSecond, r.RecvBytesPerSecond/1e6)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nexpected %d, lost %d, failed publishes %d\n\n", r.Expected, r.Lost, r.Failed)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "latency\tp50\tp90\tp99\tmax\t\n")
	fmt.Fprintf(tw, "\t%s\t%s\t%s\t%s\t\n", us(r.Latency.P50), us(r.Latency.P90), us(r.Latency.P99), us(r.Latency.Max))
	return tw.Flush()
}

// us renders microseconds with a unit that fits.
func us(v float64) string {
	d := time.Duration(v * float64(time.Microsecond))
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
}
