// Package bench holds onmqtt's benchmarks: the codec, the router, and the
// end-to-end comparison with other Go MQTT clients. It is a module of its
// own so that benchmark-only dependencies never reach the library's users.
package bench
