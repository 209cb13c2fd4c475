// Package e2e measures MQTT clients end to end: S subscribers and P
// publishers on one topic through a Mosquitto broker started for the
// purpose, N messages of a given size at QoS 0, 1 or 2, with the same
// in-flight window for every client and for the broker.
//
// Each client library is wrapped in an [Adapter]. The driver ([Run])
// connects the subscribers, then the publishers, and measures, over the
// interval from the first publish to the last delivery (connecting,
// subscribing and disconnecting are outside it):
//
//   - delivered messages per second (each subscriber's copy counts);
//   - end-to-end latency p50, p99 and max, from the publish call to the
//     subscriber's handler: the publisher writes the send time into the
//     first 8 bytes of the payload just before calling Publish, and the
//     handler subtracts it from its own clock reading (one process, one
//     monotonic clock);
//   - client CPU per delivered message: the user and system time of the
//     whole process from getrusage(RUSAGE_SELF), over the measured
//     interval, divided by the deliveries. The publishers and the
//     subscribers of the run are all in this process, on every thread,
//     so both sides are counted, with the Go runtime's work for them
//     (scheduler, garbage collector). Mosquitto is a separate process and
//     is not counted (its CPU, from /proc, is printed with -v as
//     "broker"); RUSAGE_SELF does not include child processes. The
//     driver's own work (stamping payloads, recording deliveries, and in
//     a paced run sleeping between publishes) is included and is the same
//     for every client;
//   - heap allocations per delivered message, from the runtime's Mallocs
//     counter over the same interval, again for the whole process
//     (payloads and the recorder's buffers are allocated before it);
//   - whether every message reached every subscriber. QoS 1 and 2 must be
//     complete; QoS 0 reports its loss.
//
// A run is a flood (Config.Rate 0: each publisher publishes as fast as
// its client lets it, and latency is mostly time spent queued) or paced
// (Config.Rate messages per second per publisher, each message in its
// own time slot, and latency is the client's and broker's delay on an
// idle path). In a paced run the CPU per message includes the waking up
// for each slot, so it is higher than in a flood for every client;
// compare clients with each other within one mode.
//
// The adapters are onmqtt's client package, paho.mqtt.golang,
// paho.golang (MQTT 5) and a minimal hand-written client, "ceiling",
// that writes pre-encoded packets through a bufio.Writer and acknowledges
// from its reader goroutine: the rate the broker allows on this machine.
// In a paced run it writes each publish at once (ClientConfig.Paced), as
// holding it back for a batch that never comes would only add delay.
//
// [Summarize] reduces repetitions to medians and computes, within each
// repetition, the ratio of every measure to the ceiling's, to the best
// other library client's and to paho.mqtt.golang's ([Ratios]); the median
// of those ratios is reported. The command in ../cmd/e2e runs the matrix,
// rotating the client order from one repetition to the next, and prints
// markdown tables ([WriteTable]).
package e2e
