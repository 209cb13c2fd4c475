// Command topics routes messages by topic: handlers with MQTT filters
// (Topic, with '+' and '#') and glob patterns (Glob) whose topics
// overlap, and a fallback for the rest.
//
// When several conditions hold for one message, the handler of highest
// priority runs, and among equal priorities the one registered first.
// Here home/kitchen/light matches both topic("home/+/light") at High and
// topic("home/#") at Normal, and the High one takes it; the glob
// "home/*/temp*" and the filter "home/#" are both Normal, and the glob,
// registered first, takes the temperatures. A one-shot handler (Once)
// takes the first door event only. The program prints the routing table
// from Routes, then which handler took each message.
//
// A single client subscribes and publishes, so it receives its own
// messages.
//
// Without -broker it starts an embedded broker on a free loopback port
// and prints its address on stderr:
//
//	go run ./examples/topics
//	go run ./examples/topics -broker tcp://localhost:1883
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

func main() { demo.Main("topics", 10*time.Second, run) }

// A handler is one registration of the program. The handlers are listed
// in registration order.
type handler struct {
	name  string
	cond  router.Condition // nil for the fallback
	level priority.Level
	once  bool
}

var handlers = []handler{
	{name: "lights", cond: router.Topic("home/+/light"), level: priority.High},
	{name: "first-door", cond: router.Topic("home/+/door"), level: priority.High, once: true},
	{name: "temps", cond: router.Glob("home/*/temp*"), level: priority.Normal},
	{name: "home", cond: router.Topic("home/#"), level: priority.Normal},
	{name: "status", cond: router.Glob("**/status"), level: priority.Low},
	{name: "other", level: priority.Normal},
}

// messages are published in this order; why says which rule of
// precedence decides.
var messages = []struct{ topic, payload, why string }{
	{"home/kitchen/light", "on", "High beats home/# at Normal"},
	{"home/kitchen/temperature", "21.5", "registered before home/#, same priority"},
	{"home/cellar/temp_probe", "12.0", "temp* matches within one level"},
	{"home/temperature", "19.0", "the glob wants three levels"},
	{"home/hall/door", "open", "High, and the first door event"},
	{"home/hall/door", "closed", "the one-shot is gone"},
	{"home/livingroom/light/brightness", "80", "+ matches exactly one level"},
	{"home/garage/status", "closed", "Normal beats **/status at Low"},
	{"garden/pump/status", "running", "** crosses levels"},
	{"garden/sprinkler", "off", "no condition holds"},
}

func run(ctx context.Context, addr string) error {
	c, err := client.New()
	if err != nil {
		return err
	}
	defer c.Close()

	// Handlers run on the client's dispatch goroutine and hand the name
	// of the one that ran to main, which prints it.
	took := make(chan string, 1)
	names := make(map[uint64]string) // by registration sequence number
	for _, h := range handlers {
		on := c.Router().On
		if h.once {
			on = c.Router().Once
		}
		g, err := on(message.PUBLISH, func(*router.Event) { took <- h.name }, h.cond, h.level)
		if err != nil {
			return fmt.Errorf("handler %s: %w", h.name, err)
		}
		names[g.Route().Seq] = h.name
	}

	// Routes lists the handlers in the order a dispatch considers them:
	// by priority, then registration order, the fallback last.
	fmt.Println("routes, in precedence order:")
	fmt.Printf("  %-7s %-11s %-8s %-10s %-6s %s\n", "type", "kind", "priority", "handler", "index", "condition")
	for _, r := range c.Router().Routes() {
		level, cond, index := r.Priority.String(), r.Condition, r.Index
		switch {
		case r.Kind == router.Fallback:
			level, cond, index = "-", "-", "-"
		case index == "":
			index = "scan"
		}
		if r.Once {
			cond += " (once)"
		}
		fmt.Printf("  %-7v %-11v %-8s %-10s %-6s %s\n", r.Type, r.Kind, level, names[r.Seq], index, cond)
	}

	if _, err := c.Connect(ctx, addr); err != nil {
		return err
	}
	if _, err := c.Subscribe(ctx,
		message.Subscription{Filter: "home/#", QoS: message.QoS1},
		message.Subscription{Filter: "garden/#", QoS: message.QoS1},
	); err != nil {
		return err
	}

	fmt.Println()
	fmt.Println("messages, each taken by exactly one handler:")
	for _, m := range messages {
		tok, err := c.Publish(ctx, m.topic, []byte(m.payload), message.QoS1)
		if err != nil {
			return err
		}
		if err := tok.Wait(ctx); err != nil {
			return fmt.Errorf("publish %s: %w", m.topic, err)
		}
		select {
		case name := <-took:
			fmt.Printf("  %-33s %-8s -> %-10s %s\n", m.topic, m.payload, name, m.why)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", m.topic, ctx.Err())
		}
	}

	// The one-shot removed itself when it ran.
	var left []string
	for _, r := range c.Router().Routes() {
		left = append(left, names[r.Seq])
	}
	fmt.Println()
	fmt.Println("routes left:", strings.Join(left, ", "))
	return c.Disconnect(ctx)
}
