// Package e2e measures MQTT clients end to end: S subscribers and P
// publishers on one topic through a Mosquitto broker started for the
// purpose, N messages of a given size at QoS 0, 1 or 2, with the same
// in-flight window for every client.
//
// Each client library is wrapped in an [Adapter]. The driver ([Run])
// connects the subscribers, then the publishers, and measures, over the
// interval from the first publish to the last delivery:
//
//   - delivered messages per second (each subscriber's copy counts);
//   - end-to-end latency p50 and p99, from the send time the publisher
//     writes into the first 8 bytes of the payload to the subscriber's
//     handler;
//   - client CPU per delivered message, from getrusage(RUSAGE_SELF): the
//     broker is another process, so the process's CPU is the clients'
//     (and the driver's, which is the same for every client);
//   - heap allocations per delivered message, from the runtime's Mallocs
//     counter (payloads are allocated before the measurement starts);
//   - whether every message reached every subscriber. QoS 1 and 2 must be
//     complete; QoS 0 reports its loss.
//
// The adapters are onmqtt's client package, paho.mqtt.golang,
// paho.golang (MQTT 5) and a minimal hand-written client, "ceiling",
// that writes pre-encoded packets through a bufio.Writer and acknowledges
// from its reader goroutine: the rate the broker allows on this machine.
//
// The command in ../cmd/e2e runs the whole matrix and prints a markdown
// table of medians.
package e2e
