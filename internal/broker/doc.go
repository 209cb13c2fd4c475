// Package broker starts real MQTT brokers for tests and example programs,
// always on free loopback ports.
//
// Two brokers are offered:
//
//   - [StartEmbedded] runs github.com/mochi-mqtt/server/v2 in-process: a
//     TCP listener always, and WebSocket, unix-socket and TLS listeners on
//     request, with optional user names, passwords and denied filters.
//   - [StartMosquitto] runs the Eclipse Mosquitto binary with a generated
//     configuration in its own temporary directory. It returns an error
//     wrapping [ErrNoMosquitto] when no mosquitto binary can be found.
//
// Both give URLs ("tcp://127.0.0.1:port", "ws://127.0.0.1:port/", ...) that
// the client dials as they are, and both can be restarted on the same
// ports to simulate a broker that went away.
//
// Tests should prefer the helpers of package brokertest, which register
// the shutdown with t.Cleanup and skip a mosquitto test when the binary is
// missing (failing instead when ONMQTT_REQUIRE_MOSQUITTO=1).
//
// # Concurrency
//
// The methods of [Embedded] and [Mosquitto] may be called from any
// goroutine; Restart, Close and Stop are serialised.
package broker
