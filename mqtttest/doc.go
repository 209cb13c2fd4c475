// Package mqtttest runs an MQTT broker inside a test, the way
// net/http/httptest runs an HTTP server: on a free loopback port, with
// nothing to install, stopped when the test ends.
//
//	func TestTelemetry(t *testing.T) {
//		srv := mqtttest.NewServer(t, mqtttest.WithWebSocket())
//		c, err := client.New()
//		require.NoError(t, err)
//		defer c.Close()
//		_, err = c.Connect(t.Context(), srv.URL()) // or srv.WebSocketURL()
//		require.NoError(t, err)
//		...
//	}
//
// The broker is github.com/mochi-mqtt/server/v2, running in the test's
// process and speaking MQTT 3.1 and 3.1.1 (and 5.0). It always listens on
// TCP; [WithWebSocket], [WithTLS] and [WithUnixSocket] add listeners, TLS
// with a certificate authority generated for the server, whose client
// configuration [Server.ClientTLSConfig] returns. [WithUser], [WithDeny]
// and [WithACL] restrict who may connect and which topics each client may
// use.
//
// # Faults
//
// To test an application's reconnect handling, [Server.DropAll] and
// [Server.Drop] close client connections abruptly, as a network failure
// would, and [Server.Restart] replaces the broker with a fresh one on the
// same ports, losing every session and retained message.
// [Server.WaitConnected] waits for a client to be back, and
// [Server.WaitSubscribed] for its subscriptions, before the test publishes
// with [Server.Publish].
//
// # Scope
//
// The package is meant for tests and example programs: the client library
// itself never imports it, so programs that only use the client do not
// link the broker. [Start] gives a server outside a test, for example
// programs; its caller closes it.
//
// # Concurrency
//
// The methods of a [Server] may be called from any goroutine, also while
// clients are connected.
package mqtttest
