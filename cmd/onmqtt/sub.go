package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// subFlags are sub's own flags.
type subFlags struct {
	conn      connFlags
	topics    stringList
	qos       int
	count     int
	timeout   int
	noStale   bool
	routes    stringList
	explain   bool
	format    format
	jsonOut   bool
	hexOut    bool
	verbose   bool
	noNewline bool
}

func runSub(ctx context.Context, e *env) error {
	var f subFlags
	fs := flag.NewFlagSet("onmqtt sub", flag.ContinueOnError)
	f.conn.register(fs)
	fs.Var(&f.topics, "t", "topic `filter` to subscribe to (repeatable)")
	fs.IntVar(&f.qos, "q", 0, "`QoS` 0, 1 or 2 of the subscriptions")
	fs.IntVar(&f.count, "C", 0, "exit after `n` messages")
	fs.IntVar(&f.timeout, "W", 0, "exit with status 27 after `secs` seconds")
	fs.BoolVar(&f.noStale, "R", false, "skip retained messages sent on subscription")
	fs.BoolVar(&f.verbose, "v", false, "print the topic before the payload")
	fs.BoolVar(&f.noNewline, "N", false, "print no newline after the payload")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON object per message")
	fs.BoolVar(&f.hexOut, "hex", false, "print payloads in hexadecimal")
	fs.Var(&f.routes, "route", "route `NAME=CONDITION[@PRIORITY]` messages through (repeatable)")
	fs.BoolVar(&f.explain, "explain", false, "with --route, explain each routing decision")
	qos, err := parseFlags(fs, e, &f.qos)
	if err != nil {
		return err
	}
	switch {
	case f.count < 0:
		return usageError("-C %d: want a positive count", f.count)
	case f.timeout < 0:
		return usageError("-W %d: want a positive number of seconds", f.timeout)
	case f.jsonOut && f.hexOut:
		return usageError("--json and --hex exclude each other")
	case f.explain && len(f.routes) == 0:
		return usageError("--explain needs at least one --route")
	}
	f.format = format{verbose: f.verbose, newline: !f.noNewline, hex: f.hexOut, json: f.jsonOut, routes: len(f.routes) > 0, explain: f.explain}
	t, err := f.conn.target()
	if err != nil {
		return err
	}
	if t.topic != "" {
		f.topics = append(f.topics, t.topic)
	}
	if len(f.topics) == 0 && len(f.routes) > 0 {
		f.topics = stringList{"#"}
	}
	if len(f.topics) == 0 {
		return usageError("no topic filter: give -t")
	}
	subs := make([]message.Subscription, len(f.topics))
	for i, filter := range f.topics {
		if err := message.ValidFilter(filter); err != nil {
			return usageError("-t %q: %v", filter, err)
		}
		subs[i] = message.Subscription{Filter: filter, QoS: qos}
	}

	out := bufio.NewWriterSize(e.stdout, 64<<10)
	s := &subscriber{format: f.format, out: out, count: f.count, noStale: f.noStale, done: make(chan struct{})}
	r := router.New(router.WithUnhandled(func(ev *router.Event) { s.take(ev, "") }))
	s.router = r
	if len(f.routes) == 0 {
		if _, err := r.On(message.PUBLISH, func(ev *router.Event) { s.take(ev, "") }, nil, 0); err != nil {
			return err
		}
	} else if err := s.addRoutes(f.routes); err != nil {
		return err
	}

	lost := make(chan error, 1)
	c, err := f.conn.dial(ctx, t, "", client.WithRouter(r),
		client.WithOnConnectionLost(func(_ *client.Client, err error) {
			select {
			case lost <- err:
			default:
			}
		}))
	if err != nil {
		return err
	}
	defer disconnect(c)
	var deadline <-chan time.Time
	if f.timeout > 0 {
		tm := time.NewTimer(time.Duration(f.timeout) * time.Second)
		defer tm.Stop()
		deadline = tm.C
	}
	if _, err := c.Subscribe(ctx, subs...); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	select {
	case <-s.done:
		return s.err()
	case <-deadline:
		return errTimeout
	case err := <-lost:
		return fmt.Errorf("connection lost: %w", err)
	case <-ctx.Done():
		return s.err()
	}
}

// subscriber prints the messages sub receives. Its take method runs on
// the client's one dispatch goroutine, which owns out, seen and writeErr;
// writeErr is set before done is closed, and read only after.
type subscriber struct {
	format  format
	router  *router.Router
	count   int // 0: no limit
	noStale bool

	out      *bufio.Writer
	seen     int
	writeErr error
	done     chan struct{} // closed after count messages or a write error
}

// take prints the message of ev, taken by the route named route ("" when
// none took it, or without routes).
func (s *subscriber) take(ev *router.Event, route string) {
	m := ev.Message
	if m == nil || (s.noStale && m.Retain) {
		return
	}
	var x *router.Explanation
	if s.format.explain {
		exp := s.router.Explain(ev)
		x = &exp
	}
	if (s.count > 0 && s.seen >= s.count) || s.writeErr != nil {
		return
	}
	s.seen++
	err := s.format.write(s.out, m, route, x)
	if err == nil {
		err = s.out.Flush()
	}
	if err != nil {
		s.writeErr = fmt.Errorf("writing output: %w", err)
		close(s.done)
		return
	}
	if s.count > 0 && s.seen == s.count {
		close(s.done)
	}
}

// err returns the error that stopped the output, if it stopped.
func (s *subscriber) err() error {
	select {
	case <-s.done:
		return s.writeErr
	default:
		return nil
	}
}
