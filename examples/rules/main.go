// Command rules is a small rule-based IoT application. A simulated device
// fleet publishes sensor readings on site/<site>/device/<device>/<kind>,
// and the application, a second client, decides what each reading means
// with conditional handlers ranked by priority, Zerynth style:
//
//	Critical  overheat     and(topic("site/+/device/+/temperature"), func(main.overheated))
//	Critical  flood        and(topic("site/+/device/+/humidity"), func(main.flooded))
//	High      paris        topic("site/paris/#")
//	High      berlin-net   and(topic("site/berlin/#"), not(topic("site/berlin/device/#")))
//	Normal    climate      glob("site/*/device/*/{temperature,humidity}")
//	Low       battery-low  and(topic("site/+/device/+/battery"), func(main.batteryLow))
//	fallback  log          everything else
//
// Exactly one rule takes each reading: the first, in that order, whose
// condition holds. So a Paris temperature of 92 °C raises the overheat
// alarm rather than reaching the Paris dashboard, and a Paris battery
// reading reaches the dashboard, not the battery rule. An observer counts
// every event the application receives, whichever rule takes it.
//
// At the end the program prints the router's explanation of two
// dispatches (which rule ran, which higher-priority rules were tried and
// did not hold, how many the topic index ruled out) and a per-rule
// summary.
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
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
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

// rules are listed in precedence order, so that the summary reads like
// the routing table.
var rules = []rule{
	{"overheat", router.And(router.Topic("site/+/device/+/temperature"), router.Func(overheated)), priority.Critical, "page the on-call engineer"},
	{"flood", router.And(router.Topic("site/+/device/+/humidity"), router.Func(flooded)), priority.Critical, "close the water valve"},
	{"paris", router.Topic("site/paris/#"), priority.High, "show on the Paris dashboard"},
	{"berlin-net", router.And(router.Topic("site/berlin/#"), router.Not(router.Topic("site/berlin/device/#"))), priority.High, "notify the Berlin network team"},
	{"climate", router.Glob("site/*/device/*/{temperature,humidity}"), priority.Normal, "store in the time series"},
	{"battery-low", router.And(router.Topic("site/+/device/+/battery"), router.Func(batteryLow)), priority.Low, "schedule a battery swap"},
	{"log", nil, 0, "log and move on"},
}

// overheated holds for a temperature above 80 °C.
func overheated(e *router.Event) bool { return above(e, 80) }

// flooded holds for a relative humidity above 90 %.
func flooded(e *router.Event) bool { return above(e, 90) }

// batteryLow holds for a battery charge below 20 %.
func batteryLow(e *router.Event) bool { v, ok := reading(e); return ok && v < 20 }

func above(e *router.Event, limit float64) bool { v, ok := reading(e); return ok && v > limit }

// reading parses the payload as a number; a payload that is not one
// (a sensor reporting "n/a") makes every threshold rule decline.
func reading(e *router.Event) (float64, bool) {
	if e.Message == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(e.Message.Payload), 64)
	return v, err == nil
}

// readings is what the fleet publishes, in this order.
var readings = []struct{ topic, value string }{
	{"site/lyon/device/t1/temperature", "21.5"},
	{"site/lyon/device/t1/humidity", "48"},
	{"site/lyon/device/t2/temperature", "85.2"},
	{"site/paris/device/p7/temperature", "19.0"},
	{"site/paris/device/p7/temperature", "92.4"},
	{"site/paris/device/p7/battery", "11"},
	{"site/berlin/device/b2/humidity", "95"},
	{"site/berlin/device/b2/battery", "14"},
	{"site/berlin/device/b2/battery", "76"},
	{"site/berlin/device/b2/temperature", "n/a"},
	{"site/berlin/gateway/uplink", "down"},
	{"site/lyon/gateway/uplink", "ok"},
}

// explained are the indexes in readings of the readings whose dispatch
// the program explains: one a rule takes, one that falls through.
var explained = []int{3, 8}

// A hit is one reading taken by one rule, reported by the rule's handler.
type hit struct {
	rule int
	msg  message.Message
}

// brokerTypes are the packet types a broker sends to a client.
var brokerTypes = []message.Type{
	message.CONNACK, message.PUBLISH, message.PUBACK, message.PUBREC, message.PUBREL,
	message.PUBCOMP, message.SUBACK, message.UNSUBACK, message.PINGRESP,
}

func run(ctx context.Context, addr string) error {
	app, err := client.New()
	if err != nil {
		return err
	}
	defer app.Close()

	// The observers count every event, of every type the broker sends,
	// before the rule that takes it runs.
	var seen [16]atomic.Int64
	for _, t := range brokerTypes {
		if _, err := app.Router().Observe(t, func(e *router.Event) { seen[e.Type].Add(1) }); err != nil {
			return err
		}
	}

	// Handlers run on the application's dispatch goroutine; they hand
	// what they did to main, which prints it, so the output keeps the
	// order of the readings. names maps a registration's sequence number,
	// as Routes and Explain report it, to its rule.
	hits := make(chan hit, len(readings))
	names := make(map[uint64]string)
	for i, r := range rules {
		g, err := app.On(message.PUBLISH, func(e *router.Event) {
			hits <- hit{rule: i, msg: *e.Message}
		}, r.cond, r.level)
		if err != nil {
			return fmt.Errorf("rule %s: %w", r.name, err)
		}
		names[g.Route().Seq] = r.name
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
	var explain []message.Message
	for i, rd := range readings {
		tok, err := fleet.Publish(ctx, rd.topic, []byte(rd.value), message.QoS1)
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
		fmt.Printf("  %-34s %-5s -> %-11s %s\n", h.msg.Topic, h.msg.Payload, r.name, r.does)
		if slices.Contains(explained, i) {
			explain = append(explain, h.msg)
		}
	}

	// Explain replays the routing decision for a reading as the
	// application received it, without running any handler.
	for _, m := range explain {
		x := app.Router().Explain(&router.Event{Type: message.PUBLISH, ID: m.PacketID, Message: &m})
		fmt.Println()
		fmt.Printf("why that rule? Explain for %v id %d on %s = %s:\n", x.Type, x.ID, x.Topic, m.Payload)
		fmt.Printf("  seen first by %d observer\n", len(x.Observers))
		for _, r := range x.Rejected {
			fmt.Printf("  passed over %-11s %-8v %s: condition does not hold\n", names[r.Seq], r.Priority, r.Condition)
		}
		if x.Skipped > 0 {
			fmt.Printf("  ruled out   %d more rule(s) ahead by the topic index, without evaluating them\n", x.Skipped)
		}
		switch h := x.Handler; {
		case h == nil:
			fmt.Println("  unhandled")
		case h.Kind == router.Fallback:
			fmt.Printf("  runs        %-11s %-8s no condition holds\n", names[h.Seq], "fallback")
		default:
			fmt.Printf("  runs        %-11s %-8v %s\n", names[h.Seq], h.Priority, h.Condition)
		}
	}

	// Routes lists the handlers in precedence order: the same order as
	// the rules table, and the order in which a dispatch considers them.
	fmt.Println()
	fmt.Println("summary, from Routes in precedence order (index: how a dispatch finds the rule):")
	fmt.Printf("  %-8s %-11s %5s  %-6s %s\n", "priority", "rule", "taken", "index", "condition")
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
		fmt.Printf("  %-8s %-11s %5d  %-6s %s\n", level, names[r.Seq], taken[names[r.Seq]], index, cond)
	}
	var counts []string
	for _, t := range brokerTypes {
		if n := seen[t].Load(); n > 0 {
			counts = append(counts, fmt.Sprintf("%v %d", t, n))
		}
	}
	fmt.Println("observers counted:", strings.Join(counts, ", "))

	if err := fleet.Disconnect(ctx); err != nil {
		return err
	}
	return app.Disconnect(ctx)
}
