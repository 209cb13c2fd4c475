// Package examples holds onmqtt's runnable programs, one main package per
// directory, and the test that builds and runs them against the embedded
// broker and against Mosquitto:
//
//   - quickstart: two conditional handlers and a fallback, QoS 0, 1 and 2.
//   - rules: a rule-based IoT application; threshold rules at Critical,
//     per-site rules, a glob rule and a fallback, an observer, Explain.
//   - acks: acknowledgement handlers per packet identifier on the sending
//     side, and QoS 2 delivered on PUBREL on the receiving side.
//   - topics: overlapping topic filters and globs resolved by priority,
//     a one-shot handler, and the Routes table.
//
// Each program starts an embedded broker unless given -broker URL, finishes
// by itself, and prints the same output on every run:
//
//	go run ./examples/rules
//	go run ./examples/rules -broker tcp://localhost:1883
package examples
