package router_test

import (
	"context"
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

func publish(topic string) *router.Event {
	return &router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: topic, Payload: []byte("21.5")}}
}

// A conditional handler takes the messages it is about; the fallback takes
// the rest, as in Zerynth's on(PUBLISH, print_cool_stuff, is_cool).
func Example() {
	r := router.New()
	r.On(message.PUBLISH, func(e *router.Event) {
		fmt.Printf("cool: %s\n", e.Message.Payload)
	}, router.Topic("cool"), priority.Normal)
	r.On(message.PUBLISH, func(e *router.Event) {
		fmt.Printf("not cool: %s on %s\n", e.Message.Payload, e.Message.Topic)
	}, nil, priority.Normal)

	r.Dispatch(publish("cool"))
	r.Dispatch(publish("lukewarm"))
	// Output:
	// cool: 21.5
	// not cool: 21.5 on lukewarm
}

// The handler of highest priority whose condition holds runs, and only
// that one; equal priorities go in registration order.
func Example_priorities() {
	r := router.New()
	say := func(s string) router.Handler {
		return func(e *router.Event) { fmt.Printf("%s: %s\n", e.Message.Topic, s) }
	}
	r.On(message.PUBLISH, say("any device"), router.Topic("site/+/device/#"), priority.Normal)
	r.On(message.PUBLISH, say("temperature"), router.Topic("site/+/device/+/temp"), priority.High)
	r.On(message.PUBLISH, say("site 1, first"), router.Topic("site/1/#"), priority.Normal)
	r.On(message.PUBLISH, say("site 1, second"), router.Topic("site/1/#"), priority.Normal)

	r.Dispatch(publish("site/1/device/7/temp"))
	r.Dispatch(publish("site/1/device/7/humidity"))
	r.Dispatch(publish("site/2/device/7/humidity"))
	// Output:
	// site/1/device/7/temp: temperature
	// site/1/device/7/humidity: any device
	// site/2/device/7/humidity: any device
}

// OnID waits for the acknowledgement of one publish. It fires once: a
// later packet that reuses the identifier goes to the other handlers.
func ExampleRouter_OnID() {
	r := router.New()
	r.On(message.PUBACK, func(e *router.Event) {
		fmt.Println("PUBACK", e.ID, "for a message I no longer track")
	}, nil, priority.Normal)
	r.OnID(message.PUBACK, 42, func(e *router.Event) {
		fmt.Println("PUBACK", e.ID, "acknowledges", e.Sent.Topic)
	})

	sent := &message.Message{Topic: "alarms/fire", QoS: message.QoS1, PacketID: 42}
	r.Dispatch(&router.Event{Type: message.PUBACK, ID: 42, Sent: sent})
	r.Dispatch(&router.Event{Type: message.PUBACK, ID: 42})
	// Output:
	// PUBACK 42 acknowledges alarms/fire
	// PUBACK 42 for a message I no longer track
}

// Explain tells which handler would take an event, and which
// higher-priority candidates were passed over.
func ExampleRouter_Explain() {
	r := router.New()
	nop := func(*router.Event) {}
	r.On(message.PUBLISH, nop, router.And(router.Topic("site/#"), router.QoS(message.QoS2)), priority.Critical)
	r.On(message.PUBLISH, nop, router.Topic("alarms/#"), priority.High)
	r.On(message.PUBLISH, nop, router.Topic("site/+/device/+/temp"), priority.Normal)
	r.On(message.PUBLISH, nop, nil, priority.Normal)

	fmt.Print(r.Explain(publish("site/1/device/7/temp")))
	fmt.Print(r.Explain(publish("weather/today")))
	// Output:
	// PUBLISH topic "site/1/device/7/temp"
	//   passed over: Critical and(topic("site/#"), qos(2)) at example_test.go:80: operand 2 of and, qos(2): QoS 0, not 2
	//   ruled out by the index: High topic("alarms/#") at example_test.go:81 (topic does not match "alarms/#")
	//   runs: Normal topic("site/+/device/+/temp") at example_test.go:82
	// PUBLISH topic "weather/today"
	//   ruled out by the index: Critical and(topic("site/#"), qos(2)) at example_test.go:80 (topic does not match "site/#")
	//   ruled out by the index: High topic("alarms/#") at example_test.go:81 (topic does not match "alarms/#")
	//   ruled out by the index: Normal topic("site/+/device/+/temp") at example_test.go:82 (topic does not match "site/+/device/+/temp")
	//   runs: the fallback at example_test.go:83, no condition holds
}

// Rules registered in a loop from a table share one registration site;
// their names tell them apart in Routes and Explain.
func ExampleRegistration_SetName() {
	rules := []struct {
		name  string
		cond  router.Condition
		level priority.Level
	}{
		{"alarms", router.Topic("alarms/#"), priority.High},
		{"temperatures", router.Topic("site/+/device/+/temp"), priority.Normal},
		{"site 1", router.Topic("site/1/#"), priority.Low},
	}
	r := router.New()
	for _, rule := range rules {
		g, err := r.On(message.PUBLISH, func(*router.Event) {}, rule.cond, rule.level)
		if err != nil {
			fmt.Println(err)
			return
		}
		g.SetName(rule.name)
	}

	for _, rt := range r.Routes() {
		fmt.Printf("%-12s %-6v %s\n", rt.Name, rt.Priority, rt.Condition)
	}
	fmt.Print(r.Explain(publish("site/1/device/7/hum")))
	// Output:
	// alarms       High   topic("alarms/#")
	// temperatures Normal topic("site/+/device/+/temp")
	// site 1       Low    topic("site/1/#")
	// PUBLISH topic "site/1/device/7/hum"
	//   ruled out by the index: High topic("alarms/#") named "alarms" at example_test.go:113 (topic does not match "alarms/#")
	//   ruled out by the index: Normal topic("site/+/device/+/temp") named "temperatures" at example_test.go:113 (topic does not match "site/+/device/+/temp")
	//   runs: Low topic("site/1/#") named "site 1" at example_test.go:113
}

// Field conditions test the JSON payload, which one dispatch decodes
// once for all of them and for the handler; Explain says which operand
// failed and what it saw.
func ExampleField() {
	r := router.New()
	alarm := func(e *router.Event) {
		doc, err := router.Decode(e, router.JSON) // no second decode
		if err != nil {
			return
		}
		temp, _ := doc.Field("temp")
		fmt.Println("alarm:", temp)
	}
	r.On(message.PUBLISH, alarm, router.And(router.Topic("site/+/temp"), router.Field("temp", router.Gt(40))), priority.Critical)
	r.On(message.PUBLISH, alarm, router.And(router.Topic("site/7/temp"), router.Field("temp", router.Gt(35))), priority.High)
	r.On(message.PUBLISH, func(*router.Event) {}, router.Topic("+/broker/uptime"), priority.Normal)
	r.On(message.PUBLISH, func(*router.Event) {}, nil, 0)

	hot := &router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: "site/7/temp", Payload: []byte(`{"temp": 38.5}`)}}
	r.Dispatch(hot)
	mild := &router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: "site/3/temp", Payload: []byte(`{"temp": 38.5}`)}}
	fmt.Print(r.Explain(mild))
	fmt.Print(r.Explain(publish("$SYS/broker/uptime")))
	// Output:
	// alarm: 38.5
	// PUBLISH topic "site/3/temp"
	//   passed over: Critical and(topic("site/+/temp"), field("temp", gt(40))) at example_test.go:148: operand 2 of and, field("temp", gt(40)): temp = 38.5, not > 40
	//   ruled out by the index: High and(topic("site/7/temp"), field("temp", gt(35))) at example_test.go:149 (topic does not match "site/7/temp")
	//   ruled out by the index: Normal topic("+/broker/uptime") at example_test.go:150 (topic does not match "+/broker/uptime")
	//   runs: the fallback at example_test.go:151, no condition holds
	// PUBLISH topic "$SYS/broker/uptime"
	//   ruled out by the index: Critical and(topic("site/+/temp"), field("temp", gt(40))) at example_test.go:148 (topic does not match "site/+/temp")
	//   ruled out by the index: High and(topic("site/7/temp"), field("temp", gt(35))) at example_test.go:149 (topic does not match "site/7/temp")
	//   ruled out by the index: Normal topic("+/broker/uptime") at example_test.go:150 ("+/broker/uptime" does not match a topic starting with '$': no filter starting with a wildcard does [MQTT-4.7.2-1])
	//   runs: the fallback at example_test.go:151, no condition holds
}

// With the subscriptions known, Explain and Routes warn about a handler
// that no subscription can feed. A client sets itself as the source; here
// a fixed list stands for it, with a typing mistake.
func ExampleRouter_SetSubscriptionSource() {
	r := router.New()
	g, _ := r.On(message.PUBLISH, func(*router.Event) {}, router.Topic("billing/#"), priority.High)
	g.SetName("invoices")
	r.SetSubscriptionSource(router.Subscribed("bill/#"))

	fmt.Println(r.Routes()[0])
	fmt.Print(r.Explain(publish("billing/eu/42")))
	// Output:
	// PUBLISH conditional High topic("billing/#") named "invoices" at example_test.go:177 (warning: no subscription delivers a topic that "billing/#" matches (subscriptions: "bill/#"))
	// PUBLISH topic "billing/eu/42"
	//   runs: High topic("billing/#") named "invoices" at example_test.go:177
	//   warning: no subscription delivers topic "billing/eu/42" (subscriptions: "bill/#"): no such message can arrive
	//   warning: the handler that runs: no subscription delivers a topic that "billing/#" matches (subscriptions: "bill/#")
}

// A handler can belong to one subscription rather than to a topic
// pattern: the broker attaches to each message the identifiers of the
// subscriptions that matched it (MQTT 5.0).
func ExampleSubscriptionID() {
	r := router.New()
	r.On(message.PUBLISH, func(e *router.Event) {
		fmt.Println("dashboard:", e.Message.Topic)
	}, router.SubscriptionID(1), priority.Normal)
	r.On(message.PUBLISH, func(e *router.Event) {
		fmt.Println("archive:", e.Message.Topic)
	}, router.SubscriptionID(2), priority.Normal)

	deliver := func(topic string, ids ...uint32) {
		p := &message.Properties{SubscriptionIDs: ids}
		r.Dispatch(&router.Event{Type: message.PUBLISH, Properties: p, Message: &message.Message{Topic: topic, Properties: p}})
	}
	deliver("site/1/temp", 1)
	deliver("site/1/log", 2)
	fmt.Print(r.Explain(&router.Event{Type: message.PUBLISH, Message: &message.Message{Topic: "site/1/temp"}}))
	// Output:
	// dashboard: site/1/temp
	// archive: site/1/log
	// PUBLISH topic "site/1/temp"
	//   ruled out by the index: Normal subscriptionID(1) at example_test.go:196 (no subscription identifier)
	//   ruled out by the index: Normal subscriptionID(2) at example_test.go:199 (no subscription identifier)
	//   unhandled: no condition holds and there is no fallback
}

// Reason codes and properties of 5.0 acknowledgements and of the
// broker's DISCONNECT are conditions like the others.
func ExampleFailed() {
	r := router.New()
	r.On(message.DISCONNECT, func(e *router.Event) {
		fmt.Println("redirected to", e.Properties.ServerReference)
	}, router.Or(router.ReasonCode(message.UseAnotherServer), router.ReasonCode(message.ServerMoved)), priority.High)
	r.On(message.DISCONNECT, func(e *router.Event) {
		fmt.Printf("disconnected: %v: %s\n", e.ReasonCode.NameIn(e.Type), e.ReasonString())
	}, router.Failed(), priority.Normal)
	r.On(message.PUBACK, func(e *router.Event) {
		fmt.Printf("publish %d refused: %v\n", e.ID, e.ReasonCode)
	}, router.Failed(), priority.Normal)

	r.Dispatch(&router.Event{Type: message.PUBACK, ID: 7, ReasonCode: message.QuotaExceeded})
	r.Dispatch(&router.Event{Type: message.PUBACK, ID: 8}) // Success: not a failure, unhandled
	r.Dispatch(&router.Event{Type: message.DISCONNECT, ReasonCode: message.ServerMoved,
		Properties: &message.Properties{ServerReference: "broker-2:2883"}})
	r.Dispatch(&router.Event{Type: message.DISCONNECT, ReasonCode: message.SessionTakenOver,
		Properties: &message.Properties{ReasonString: "another client with your id"}})
	// Output:
	// publish 7 refused: Quota exceeded
	// redirected to broker-2:2883
	// disconnected: Session taken over: another client with your id
}

// Content Type and User Properties of 5.0 messages route them.
func ExampleContentType() {
	r := router.New()
	r.On(message.PUBLISH, func(e *router.Event) {
		fmt.Println("json for tenant a:", e.Message.Topic)
	}, router.And(router.ContentType("application/json*"), router.UserProperty("tenant", "a")), priority.Normal)
	r.On(message.PUBLISH, func(e *router.Event) { fmt.Println("other:", e.Message.Topic) }, nil, 0)

	m := &message.Message{Topic: "orders/1", Properties: &message.Properties{
		ContentType:    "application/json; charset=utf-8",
		UserProperties: []message.UserProperty{{Key: "tenant", Value: "a"}},
	}}
	r.Dispatch(&router.Event{Type: message.PUBLISH, Message: m, Properties: m.Properties})
	m2 := &message.Message{Topic: "orders/2", Properties: &message.Properties{ContentType: "text/csv"}}
	r.Dispatch(&router.Event{Type: message.PUBLISH, Message: m2, Properties: m2.Properties})
	x := r.Explain(&router.Event{Type: message.PUBLISH, Message: m2})
	fmt.Println(x.Rejected[0].Reason)
	// Output:
	// json for tenant a: orders/1
	// other: orders/2
	// operand 1 of and, contentType("application/json*"): content type "text/csv" does not match the pattern
}

// A request waits for the response that carries its Correlation Data:
// register before publishing the request, then wait, with a deadline.
func ExampleRouter_ExpectReply() {
	r := router.New()
	reply, err := r.ExpectReply([]byte("req-1"))
	if err != nil {
		panic(err)
	}
	// ... publish the request with Correlation Data "req-1" and a
	// Response Topic; the client dispatches the response:
	resp := &message.Message{Topic: "replies/me", Payload: []byte("pong"),
		Properties: &message.Properties{CorrelationData: []byte("req-1")}}
	r.Dispatch(&router.Event{Type: message.PUBLISH, Message: resp, Properties: resp.Properties})

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	m, err := reply.Wait(ctx)
	fmt.Printf("%s %v\n", m.Payload, err)
	// Output:
	// pong <nil>
}
