package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
)

// pubFlags are pub's own flags.
type pubFlags struct {
	conn    connFlags
	topic   string
	msg     string
	msgSet  bool
	file    string
	stdin   bool
	lines   bool
	null    bool
	qos     int
	retain  bool
	verbose bool
	props   props5
}

// props5 are pub's MQTT 5.0 publish properties; each needs -V 5.
type props5 struct {
	user        []message.UserProperty
	contentType string
	expiry      time.Duration
	response    string
	correlation string
	utf8        bool
}

// register adds the 5.0 property flags to fs.
func (p *props5) register(fs *flag.FlagSet) {
	fs.Func("user-property", "MQTT 5.0 user property `key=value` (repeatable)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, got %q", s)
		}
		p.user = append(p.user, message.UserProperty{Key: k, Value: v})
		return nil
	})
	fs.StringVar(&p.contentType, "content-type", "", "MQTT 5.0 content `type` of the message, e.g. application/json")
	fs.DurationVar(&p.expiry, "expiry", 0, "MQTT 5.0 message expiry `interval` (whole seconds, e.g. 30s)")
	fs.StringVar(&p.response, "response-topic", "", "MQTT 5.0 response `topic`")
	fs.StringVar(&p.correlation, "correlation-data", "", "MQTT 5.0 correlation `data`")
	fs.BoolVar(&p.utf8, "utf8", false, "MQTT 5.0: mark the payload as UTF-8 text (checked before sending)")
}

// check refuses values the standard does not allow.
func (p *props5) check() error {
	switch {
	case p.expiry < 0:
		return usageError("--expiry %v: negative", p.expiry)
	case p.expiry != 0 && p.expiry%time.Second != 0:
		return usageError("--expiry %v: the interval is in whole seconds", p.expiry)
	case p.expiry > time.Duration(1<<32-1)*time.Second:
		return usageError("--expiry %v: at most 4294967295s", p.expiry)
	}
	if p.response != "" {
		if err := message.ValidTopic(p.response); err != nil {
			return usageError("--response-topic %q: %v", p.response, err)
		}
	}
	return nil
}

// options returns the publish options for the properties.
func (p *props5) options() []client.PublishOption {
	var opts []client.PublishOption
	for _, u := range p.user {
		opts = append(opts, client.WithUserProperty(u.Key, u.Value))
	}
	if p.contentType != "" {
		opts = append(opts, client.WithContentType(p.contentType))
	}
	if p.expiry != 0 {
		opts = append(opts, client.WithMessageExpiry(p.expiry))
	}
	if p.response != "" {
		opts = append(opts, client.WithResponseTopic(p.response))
	}
	if p.correlation != "" {
		opts = append(opts, client.WithCorrelationData([]byte(p.correlation)))
	}
	if p.utf8 {
		opts = append(opts, client.WithPayloadUTF8())
	}
	return opts
}

// source is where pub's messages come from.
type source int

const (
	fromFlag source = iota
	fromFile
	fromStdin
	fromLines
	fromNull
)

// source checks that exactly one of -m, -f, -s, -l and -n was given.
func (f *pubFlags) source() (source, error) {
	var got []source
	if f.msgSet {
		got = append(got, fromFlag)
	}
	if f.file != "" {
		got = append(got, fromFile)
	}
	if f.stdin {
		got = append(got, fromStdin)
	}
	if f.lines {
		got = append(got, fromLines)
	}
	if f.null {
		got = append(got, fromNull)
	}
	if len(got) != 1 {
		return 0, usageError("give exactly one of -m, -f, -s, -l and -n")
	}
	return got[0], nil
}

func runPub(ctx context.Context, e *env) error {
	var f pubFlags
	fs := flag.NewFlagSet("onmqtt pub", flag.ContinueOnError)
	f.conn.register(fs)
	fs.StringVar(&f.topic, "t", "", "`topic` to publish to")
	fs.Func("m", "the `message`", func(s string) error { f.msg, f.msgSet = s, true; return nil })
	fs.StringVar(&f.file, "f", "", "send the contents of `file` as the message")
	fs.BoolVar(&f.stdin, "s", false, "send the whole of standard input as the message")
	fs.BoolVar(&f.lines, "l", false, "send each line of standard input as a message")
	fs.BoolVar(&f.null, "n", false, "send a zero-length message")
	fs.IntVar(&f.qos, "q", 0, "`QoS` 0, 1 or 2")
	fs.BoolVar(&f.retain, "r", false, "set the retain flag")
	fs.BoolVar(&f.verbose, "d", false, "report each publish on standard error")
	f.props.register(fs)
	qos, err := parseFlags(fs, e, &f.qos)
	if err != nil {
		return err
	}
	if len(f.props.options()) > 0 { // a 5.0 property flag was given
		if v, err := f.conn.protocol(); err == nil && v != message.V5 {
			return usageError("--user-property, --content-type, --expiry, --response-topic, --correlation-data and --utf8 need -V 5")
		}
		if err := f.props.check(); err != nil {
			return err
		}
	}
	src, err := f.source()
	if err != nil {
		return err
	}
	t, err := f.conn.target()
	if err != nil {
		return err
	}
	if f.topic == "" {
		f.topic = t.topic
	}
	if f.topic == "" {
		return usageError("no topic: give -t")
	}
	if err := message.ValidTopic(f.topic); err != nil {
		return usageError("-t %q: %v", f.topic, err)
	}
	// Read a single message before connecting, so that a missing file
	// fails without touching the broker.
	var payload []byte
	switch src {
	case fromFlag:
		payload = []byte(f.msg)
	case fromFile:
		if payload, err = os.ReadFile(f.file); err != nil {
			return err
		}
	case fromStdin:
		if payload, err = io.ReadAll(e.stdin); err != nil {
			return fmt.Errorf("reading standard input: %w", err)
		}
	}

	c, err := f.conn.dial(ctx, t, "")
	if err != nil {
		return err
	}
	defer disconnect(c)
	opts := f.props.options()
	if f.retain {
		opts = append(opts, client.Retain())
	}
	p := &publisher{ctx: ctx, c: c, topic: f.topic, qos: qos, opts: opts}
	if f.verbose {
		p.log = e.stderr
	}
	if src == fromLines {
		err = p.lines(e.stdin)
	} else {
		err = p.publish(payload)
	}
	if err != nil {
		return err
	}
	return p.wait()
}

// publisher sends pub's messages and keeps their completion handles.
type publisher struct {
	ctx    context.Context
	c      *client.Client
	topic  string
	qos    message.QoS
	opts   []client.PublishOption // retain and the 5.0 properties
	log    io.Writer              // nil: quiet
	tokens []*client.Token
	n      int
}

func (p *publisher) publish(payload []byte) error {
	tok, err := p.c.Publish(p.ctx, p.topic, payload, p.qos, p.opts...)
	if err != nil {
		return fmt.Errorf("publish to %s: %w", p.topic, err)
	}
	p.n++
	if p.log != nil {
		fmt.Fprintf(p.log, "publish %d: %d bytes to %s at QoS%d (packet id %d)\n", p.n, len(payload), p.topic, p.qos, tok.ID())
	}
	p.tokens = append(p.tokens, tok)
	// Completed handles are dropped as we go, so that a long -l stream
	// keeps only the outstanding ones.
	if len(p.tokens) >= 1024 {
		if err := p.wait(); err != nil {
			return err
		}
	}
	return nil
}

// lines publishes every line of r as a message, its line ending removed.
func (p *publisher) lines(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if line[len(line)-1] == '\n' {
				line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
			}
			if perr := p.publish(line); perr != nil {
				return perr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading standard input: %w", err)
		}
	}
}

// wait waits for every outstanding publish to complete.
func (p *publisher) wait() error {
	for _, tok := range p.tokens {
		if err := tok.Wait(p.ctx); err != nil {
			return fmt.Errorf("publish packet id %d: %w", tok.ID(), err)
		}
	}
	p.tokens = p.tokens[:0]
	return nil
}
