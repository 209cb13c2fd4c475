// Command rules is a small rule-based IoT application. A simulated
// sensor fleet publishes JSON readings such as
//
//	{"temp": 38.5, "hum": 48, "battery": 76}
//
// on site/<site>/sensor/<sensor>, and the application, a second client,
// decides what each reading means with conditional handlers ranked by
// priority, Zerynth style, whose conditions test the payload's fields:
//
//	Critical  overheat     and(topic("site/+/sensor/+"), field("temp", gt(40)))
//	Critical  flood        and(topic("site/+/sensor/+"), field("hum", gt(90)))
//	High      site-7       and(topic("site/7/sensor/+"), field("temp", gt(30)))
//	High      uplink       topic("gateway/+/uplink")
//	Normal    battery-low  and(topic("site/+/sensor/+"), field("battery", lt(20)))
//	Normal    maintenance  field("status", in("maintenance", "calibrating"))
//	fallback  store        everything else
//
// Exactly one rule takes each reading: the first, in that order, whose
// condition holds. The critical thresholds come first, so a reading of
// 45 °C from site 7 pages the on-call engineer, while site 7, a server
// room, has its own lower threshold for the rest; every reading no rule
// takes is stored. An observer writes every reading to the audit log,
// whichever rule takes it.
//
// The payload is decoded once per reading: the first field condition
// that needs it decodes it, the other conditions and the handler, which
// calls router.Decode, reuse it. A payload that is not JSON makes every
// field rule decline.
//
// The router knows the application's subscriptions (site/#), so it
// warns that the uplink rule can never run: nothing subscribes to
// gateway topics.
//
// At the end the program prints the router's explanation of one reading
// of each kind (which rule runs, why each rule ahead of it does not hold,
// with the value it saw), of a message no subscription delivers, and a
// per-rule summary from Routes.
//
// Without -broker it starts an embedded broker on a free loopback port
// and prints its address on stderr:
//
//	go run ./examples/rules
//	go run ./examples/rules -broker tcp://localhost:1883
package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/examples/internal/demo"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

func main() { demo.Main("rules", 10*time.Second, run) }

// A rule is one conditional handler of the application, or its fallback
// when cond is nil.
type rule struct {
	name  string
	cond  router.Condition
	level priority.Level
	does  string // what the application does with a reading the rule takes
}

// sensors are the topics of the fleet's readings.
const sensors = "site/+/sensor/+"

// rules are listed in precedence order, so that the summary reads like
// the routing table.
var rules = []rule{
	{"overheat", router.And(router.Topic(sensors), router.Field("temp", router.Gt(40))), priority.Critical, "page the on-call engineer"},
	{"flood", router.And(router.Topic(sensors), router.Field("hum", router.Gt(90))), priority.Critical, "close the water valve"},
	{"site-7", router.And(router.Topic("site/7/sensor/+"), router.Field("temp", router.Gt(30))), priority.High, "cool the server room"},
	{"uplink", router.Topic("gateway/+/uplink"), priority.High, "notify the network team"},
	{"battery-low", router.And(router.Topic(sensors), router.Field("battery", router.Lt(20))), priority.Normal, "schedule a battery swap"},
	{"maintenance", router.Field("status", router.In("maintenance", "calibrating")), priority.Normal, "ignore until it is back"},
	{"store", nil, 0, "store in the time series"},
}

// readings is what the fleet publishes, in this order, and the kind of
// reading each is, for those the program explains.
var readings = []struct{ topic, payload, explain string }{
	{"site/lyon/sensor/t1", `{"temp": 21.5, "hum": 48, "battery": 80}`, "an ordinary reading"},
	{"site/lyon/sensor/t2", `{"temp": 85.2, "hum": 30, "battery": 90}`, "a critical threshold"},
	{"site/7/sensor/s1", `{"temp": 35, "hum": 40, "battery": 70}`, "the site override"},
	{"site/7/sensor/s1", `{"temp": 45.1, "hum": 40, "battery": 70}`, ""},
	{"site/7/sensor/s2", `{"temp": 22, "hum": 41, "battery": 65}`, ""},
	{"site/berlin/sensor/b2", `{"temp": 19, "hum": 95, "battery": 60}`, ""},
	{"site/berlin/sensor/b2", `{"temp": 19, "hum": 50, "battery": 14}`, "a low battery"},
	{"site/berlin/sensor/b3", `{"temp": 20, "hum": 50, "battery": 70, "status": "calibrating"}`, "a sensor in maintenance"},
	{"site/paris/sensor/p7", `n/a`, "a payload that is not JSON"},
}

// A hit is one reading taken by one rule, reported by the rule's handler.
type hit struct {
	rule    int
	msg     message.Message
	summary string
}

func run(ctx context.Context, addr string) error {
	app, err := client.New()
	if err != nil {
		return err
	}
	defer app.Close()

	// The audit observer sees every reading before the rule that takes
	// it runs. Like the handlers, it runs on the application's dispatch
	// goroutine; main reads the log only once every reading is taken.
	var audit []string
	if _, err := app.Observe(message.PUBLISH, func(e *router.Event) {
		audit = append(audit, e.Message.Topic)
	}); err != nil {
		return err
	}

	// Handlers hand what they did to main, which prints it, so the output
	// keeps the order of the readings. They read the payload with
	// router.Decode: the document the conditions decoded, not a second
	// decode.
	hits := make(chan hit, len(readings))
	for i, r := range rules {
		g, err := app.On(message.PUBLISH, func(e *router.Event) {
			hits <- hit{rule: i, msg: *e.Message, summary: summarize(e)}
		}, r.cond, r.level)
		if err != nil {
			return fmt.Errorf("rule %s: %w", r.name, err)
		}
		g.SetName(r.name)
	}

	if _, err := app.Connect(ctx, addr); err != nil {
		return err
	}
	if _, err := app.Subscribe(ctx, message.Subscription{Filter: "site/#", QoS: message.QoS1}); err != nil {
		return err
	}

	fleet, err := client.New()
	if err != nil {
		return err
	}
	defer fleet.Close()
	if _, err := fleet.Connect(ctx, addr); err != nil {
		return err
	}

	// The fleet publishes one reading at a time and waits until a rule
	// has taken it, so the output follows the order of the readings.
	fmt.Println("readings, each taken by exactly one rule:")
	taken := make(map[string]int) // readings per rule
	type explained struct {
		hit
		kind string
	}
	var explain []explained
	for _, rd := range readings {
		tok, err := fleet.Publish(ctx, rd.topic, []byte(rd.payload), message.QoS1)
		if err != nil {
			return err
		}
		if err := tok.Wait(ctx); err != nil {
			return fmt.Errorf("publish %s: %w", rd.topic, err)
		}
		var h hit
		select {
		case h = <-hits:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", rd.topic, ctx.Err())
		}
		r := rules[h.rule]
		taken[r.name]++
		fmt.Printf("  %-22s %-44s -> %-11s %s\n", h.msg.Topic, h.summary, r.name, r.does)
		if rd.explain != "" {
			explain = append(explain, explained{h, rd.explain})
		}
	}

	// Explain replays the routing decision for a reading as the
	// application received it, without running any handler.
	for _, x := range explain {
		fmt.Println()
		fmt.Printf("why %s? %s %s (%s)\n", rules[x.rule].name, x.msg.Topic, x.msg.Payload, x.kind)
		printExplanation(app.Router().Explain(&router.Event{Type: message.PUBLISH, Message: &x.msg}))
	}
	// And for a message the broker will never send the application.
	uplink := message.Message{Topic: "gateway/lyon/uplink", Payload: []byte(`{"up": false}`)}
	fmt.Println()
	fmt.Printf("what if %s arrived?\n", uplink.Topic)
	printExplanation(app.Router().Explain(&router.Event{Type: message.PUBLISH, Message: &uplink}))

	// Routes lists the handlers in precedence order: the same order as
	// the rules table, and the order in which a dispatch considers them.
	fmt.Println()
	fmt.Println("summary, from Routes in precedence order (index: how a dispatch finds the rule):")
	fmt.Printf("  %-8s %-11s %5s  %-6s %s\n", "priority", "rule", "taken", "index", "condition")
	var warnings []string
	for _, r := range app.Router().Routes() {
		if r.Type != message.PUBLISH || r.Kind == router.Observer {
			continue
		}
		level, index, cond := r.Priority.String(), r.Index, r.Condition
		switch {
		case r.Kind == router.Fallback:
			level, index, cond = "fallback", "-", "-"
		case index == "":
			index = "scan"
		}
		fmt.Printf("  %-8s %-11s %5d  %-6s %s\n", level, r.Name, taken[r.Name], index, cond)
		if r.Warning != "" {
			warnings = append(warnings, r.Name+": "+r.Warning)
		}
	}
	for _, w := range warnings {
		fmt.Println("  warning:", w)
	}
	fmt.Printf("audit log: %d readings, from %s to %s\n", len(audit), audit[0], audit[len(audit)-1])

	if err := fleet.Disconnect(ctx); err != nil {
		return err
	}
	return app.Disconnect(ctx)
}

// summarize describes the reading of e from its decoded payload.
func summarize(e *router.Event) string {
	doc, err := router.Decode(e, router.JSON)
	if err != nil {
		return "(not JSON)"
	}
	var parts []string
	for _, f := range []string{"temp", "hum", "battery", "status"} {
		if v, ok := doc.Field(f); ok {
			parts = append(parts, fmt.Sprintf("%s %v", f, v))
		}
	}
	return strings.Join(parts, " ")
}

// printExplanation prints x with the rules' names instead of their
// registration sites, which are all the same line of this file.
func printExplanation(x router.Explanation) {
	if len(x.DeliveredBy) > 0 {
		fmt.Printf("  delivered by the subscription to %s\n", strings.Join(x.DeliveredBy, ", "))
	}
	fmt.Printf("  seen first by %d observer (the audit log)\n", len(x.Observers))
	// Rejected and RuledOut are each in precedence order; together, the
	// rules ahead of the one that runs.
	for _, r := range x.Rejected {
		fmt.Printf("  passed over %-11s %s\n", r.Name, r.Reason)
	}
	if len(x.RuledOut) > 0 {
		var names []string
		for _, r := range x.RuledOut {
			names = append(names, r.Name)
		}
		fmt.Printf("  ruled out   %s by the topic index, without evaluating them\n", strings.Join(names, ", "))
	}
	switch h := x.Handler; {
	case h == nil:
		fmt.Println("  unhandled")
	case h.Kind == router.Fallback:
		fmt.Printf("  runs        %-11s no condition holds\n", h.Name)
	default:
		fmt.Printf("  runs        %-11s %v %s\n", h.Name, h.Priority, h.Condition)
	}
	for _, w := range x.Warnings {
		fmt.Println("  warning:", w)
	}
}
