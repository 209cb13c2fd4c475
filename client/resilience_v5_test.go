package client_test

import (
	"testing"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// v5 are the options that make a fault-injection run speak MQTT 5.0.
var v5 = []client.Option{client.WithVersion(message.V5)}

// TestResiliencePublisherV5 is TestResiliencePublisher at MQTT 5.0: QoS
// 1 never lost, QoS 2 never lost nor duplicated, publisher behind the
// fault proxy.
func TestResiliencePublisherV5(t *testing.T) {
	eachBroker(t, func(t *testing.T, b chaosBroker) {
		run := chaosRun{role: "publisher", b: b, n: chaosMessages, prefix: "chaos5/publisher", opts: v5}
		run.publisherBehindProxy(t)
	})
}

// TestResilienceSubscriberV5 is TestResilienceSubscriber at MQTT 5.0:
// the subscriber, with a session that never expires, behind the fault
// proxy, against mosquitto and, like the 3.1.1 run, against mochi with
// ONMQTT_CHAOS_SUBSCRIBER=1 or ONMQTT_LONG=1 (see subscriberBrokers).
// Against mochi the run passes only if every loss is one the witness
// pins on the broker.
func TestResilienceSubscriberV5(t *testing.T) {
	subscriberBrokers(t, func(t *testing.T, b chaosBroker) {
		run := chaosRun{role: "subscriber", b: b, n: chaosMessages, prefix: "chaos5/subscriber", opts: v5}
		run.subscriberBehindProxy(t)
	})
}
