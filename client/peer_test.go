package client_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
	"github.com/onmqtt/onmqtt/router"
)

// silence is how long a peer listens to prove the client sent nothing.
const silence = 150 * time.Millisecond

func TestPeerInboundQoS2Duplicate(t *testing.T) {
	tests := []struct {
		name      string
		opts      []client.Option
		deliverOn message.Type // the event that carries the message
	}{
		{"deliver on PUBLISH", nil, message.PUBLISH},
		{"deliver on PUBREL", []client.Option{client.WithDeliverOnPubrel()}, message.PUBREL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rec := recordAll(t)
			c, pc := connectPeer(t, append(tt.opts, client.WithKeepAlive(0), client.WithRouter(r))...)

			pub := &message.Publish{Message: message.Message{Topic: "q2/dup", Payload: []byte("once"), QoS: message.QoS2, PacketID: 7}}
			pc.send(pub)
			pc.expectAck(message.PUBREC, 7)
			pub.Dup = true
			pc.send(pub)
			pc.expectAck(message.PUBREC, 7)
			pc.send(&message.Pubrel{PacketID: 7})
			pc.expectAck(message.PUBCOMP, 7)

			// PUBCOMP follows the PUBREL event, which follows both
			// PUBLISH events: all three have been dispatched.
			var got []record
			for len(got) < 4 { // CONNACK, PUBLISH, PUBLISH, PUBREL
				got = append(got, rec.next(t))
			}
			rec.empty(t)
			wantTypes := []message.Type{message.CONNACK, message.PUBLISH, message.PUBLISH, message.PUBREL}
			delivered := 0
			for i, e := range got {
				if e.Type != wantTypes[i] {
					t.Fatalf("event %d: got %v, want %v", i, e, wantTypes[i])
				}
				if e.Type != message.CONNACK && e.ID != 7 {
					t.Errorf("event %v: got id %d, want 7", e.Type, e.ID)
				}
				if e.Msg == nil {
					continue
				}
				delivered++
				if e.Type != tt.deliverOn {
					t.Errorf("message delivered on %v, want on %v", e.Type, tt.deliverOn)
				}
				if e.Msg.Topic != "q2/dup" || string(e.Msg.Payload) != "once" || e.Msg.QoS != message.QoS2 {
					t.Errorf("got message %v, want q2/dup \"once\" at QoS 2", e)
				}
			}
			if delivered != 1 {
				t.Errorf("got %d deliveries, want 1", delivered)
			}
			if got := c.Stats().Duplicates; got != 1 {
				t.Errorf("got Stats().Duplicates %d, want 1", got)
			}
		})
	}
}

func TestPeerPubrelUnknownID(t *testing.T) {
	rec := newRecorder()
	c, pc := connectPeer(t, client.WithKeepAlive(0))
	if _, err := c.On(message.PUBREL, rec.handler(), nil, 0); err != nil {
		t.Fatal(err)
	}
	pc.send(&message.Pubrel{PacketID: 321})
	pc.expectAck(message.PUBCOMP, 321)
	e := rec.next(t)
	if e.Type != message.PUBREL || e.ID != 321 || e.Msg != nil {
		t.Errorf("got %v, want PUBREL id=321 without a message", e)
	}
	if !c.IsConnected() {
		t.Error("got disconnected, want the connection kept")
	}
}

func TestPeerAcksOutOfOrder(t *testing.T) {
	rec := newRecorder()
	c, pc := connectPeer(t, client.WithKeepAlive(0))
	if _, err := c.On(message.PUBACK, rec.handler(), nil, 0); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	topics := []string{"order/one", "order/two"}
	var toks []*client.Token
	ids := map[string]uint16{}
	for _, topic := range topics {
		tok, err := c.Publish(ctx, topic, []byte(topic), message.QoS1)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
		p := pc.expectPublish()
		if p.PacketID != tok.ID() || p.Topic != topic {
			t.Fatalf("peer got PUBLISH %q id %d, want %q id %d", p.Topic, p.PacketID, topic, tok.ID())
		}
		ids[topic] = p.PacketID
	}
	if toks[0].ID() == 0 || toks[0].ID() == toks[1].ID() {
		t.Fatalf("got ids %d and %d, want two distinct non-zero ids", toks[0].ID(), toks[1].ID())
	}

	pc.send(&message.Puback{PacketID: ids["order/two"]})
	waitToken(t, toks[1])
	select {
	case <-toks[0].Done():
		t.Fatal("first publish completed by the second one's PUBACK")
	default:
	}
	pc.send(&message.Puback{PacketID: ids["order/one"]})
	waitToken(t, toks[0])

	for _, want := range []string{"order/two", "order/one"} {
		e := rec.next(t)
		if e.Sent == nil || e.Sent.Topic != want || e.ID != ids[want] {
			t.Errorf("got %v, want PUBACK id=%d sent=%s", e, ids[want], want)
		}
	}

	// A PUBACK for an id no flow uses is dispatched without Sent and
	// changes nothing.
	pc.send(&message.Puback{PacketID: 999})
	e := rec.next(t)
	if e.ID != 999 || e.Sent != nil {
		t.Errorf("got %v, want PUBACK id=999 without Sent", e)
	}
	tok, err := c.Publish(ctx, "order/three", nil, message.QoS1)
	if err != nil {
		t.Fatal(err)
	}
	p := pc.expectPublish()
	pc.send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, tok)
	if got := c.Stats().Inflight; got != 0 {
		t.Errorf("got %d publishes in flight, want 0", got)
	}
}

func TestPeerMalformed(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		rule error
	}{
		{"PUBACK with id 0", []byte{0x40, 2, 0, 0}, message.ErrZeroPacketID},
		{"5-byte remaining length", []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}, message.ErrRemainingLength},
		{"reserved type 0", []byte{0x00, 0}, message.ErrInvalidType},
		{"PUBREL with flags 0", []byte{0x60, 2, 0, 1}, message.ErrInvalidFlags},
		{"PUBLISH at QoS 3", []byte{0x36, 5, 0, 1, 'a', 0, 1}, message.ErrInvalidQoS},
		{"PUBACK too long", []byte{0x40, 3, 0, 1, 0}, message.ErrTrailingBytes},
		{"SUBACK code 3", []byte{0x90, 3, 0, 1, 3}, message.ErrReturnCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lost, errs := lostRecorder()
			c, pc := connectPeer(t, client.WithKeepAlive(0), lost)
			pc.sendRaw(tt.raw...)
			err := awaitErr(t, errs)
			if !errors.Is(err, message.ErrMalformed) || !errors.Is(err, tt.rule) {
				t.Errorf("OnConnectionLost got %v, want an error wrapping ErrMalformed and %v", err, tt.rule)
			}
			if got := c.Err(); !errors.Is(got, message.ErrMalformed) {
				t.Errorf("Err() got %v, want an error wrapping ErrMalformed", got)
			}
			if c.IsConnected() {
				t.Error("IsConnected() got true, want false")
			}
			pc.expectClosed()
		})
	}
}

func TestPeerPacketTooLarge(t *testing.T) {
	lost, errs := lostRecorder()
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithMaxPacketSize(64), lost)
	pc.send(&message.Publish{Message: message.Message{Topic: "big", Payload: make([]byte, 100)}})
	err := awaitErr(t, errs)
	if !errors.Is(err, message.ErrPacketTooLarge) {
		t.Errorf("OnConnectionLost got %v, want an error wrapping ErrPacketTooLarge", err)
	}
	if !errors.Is(c.Err(), message.ErrPacketTooLarge) {
		t.Errorf("Err() got %v, want an error wrapping ErrPacketTooLarge", c.Err())
	}
	pc.expectClosed()
}

func TestPeerKeepAlive(t *testing.T) {
	const keep = time.Second
	t.Run("answered", func(t *testing.T) {
		rec := newRecorder()
		c, pc := connectPeer(t, client.WithKeepAlive(keep))
		if _, err := c.On(message.PINGRESP, rec.handler(), nil, 0); err != nil {
			t.Fatal(err)
		}
		// The client must send something within each keepalive period
		// [MQTT-3.1.2-23]: here, nothing but PINGREQ. The shortest of
		// the gaps is checked, so that one scheduling delay on a loaded
		// machine does not count.
		pc.expect(message.PINGREQ)
		pc.send(&message.Pingresp{})
		last, shortest := time.Now(), time.Hour
		for range 3 {
			pc.expect(message.PINGREQ)
			shortest = min(shortest, time.Since(last))
			last = time.Now()
			pc.send(&message.Pingresp{})
			if e := rec.next(t); e.Type != message.PINGRESP {
				t.Fatalf("got %v, want PINGRESP", e)
			}
		}
		if shortest >= keep {
			t.Errorf("got at least %v between packets, want less than the keepalive %v", shortest, keep)
		}
		if !c.IsConnected() {
			t.Error("got disconnected, want connected")
		}
	})
	silence := []struct {
		name    string
		opts    []client.Option
		timeout time.Duration // the ping timeout in force
		limit   time.Duration
	}{
		// Default ping timeout, half the keepalive; lost within 1.5 ×
		// keepalive of the PINGREQ.
		{"silence", nil, keep / 2, keep * 3 / 2},
		{"silence with WithPingTimeout", []client.Option{client.WithPingTimeout(200 * time.Millisecond)}, 200 * time.Millisecond, 800 * time.Millisecond},
	}
	for _, tt := range silence {
		t.Run(tt.name, func(t *testing.T) {
			lost, errs := lostRecorder()
			_, pc := connectPeer(t, append(tt.opts, client.WithKeepAlive(keep), lost)...)
			pc.expect(message.PINGREQ)
			sent := time.Now()
			err := awaitErr(t, errs)
			elapsed := time.Since(sent)
			if !errors.Is(err, client.ErrKeepAliveTimeout) {
				t.Errorf("got %v, want ErrKeepAliveTimeout", err)
			}
			if elapsed > tt.limit {
				t.Errorf("connection declared lost %v after PINGREQ, want within %v", elapsed, tt.limit)
			}
			if early := tt.timeout / 2; elapsed < early {
				t.Errorf("connection declared lost %v after PINGREQ, want the ping timeout of %v waited for", elapsed, tt.timeout)
			}
			pc.expectClosed()
		})
	}
}

func TestPeerPubackAfterHandler(t *testing.T) {
	c, pc := connectPeer(t, client.WithKeepAlive(0))
	entered := make(chan record, 1)
	release := make(chan struct{})
	if _, err := c.On(message.PUBLISH, func(e *router.Event) {
		entered <- snapshot(e)
		<-release
	}, nil, 0); err != nil {
		t.Fatal(err)
	}
	pc.send(&message.Publish{Message: message.Message{Topic: "q1/in", Payload: []byte("x"), QoS: message.QoS1, PacketID: 9}})
	var e record
	select {
	case e = <-entered:
	case <-time.After(waitLimit):
		t.Fatal("handler not called")
	}
	if e.Msg == nil || e.Msg.Topic != "q1/in" || e.Msg.QoS != message.QoS1 || e.ID != 9 {
		t.Errorf("got %v, want PUBLISH id=9 q1/in at QoS 1", e)
	}
	pc.expectNone(silence) // no PUBACK while the handler runs
	close(release)
	pc.expectAck(message.PUBACK, 9)
}

func TestPeerConnackRefused(t *testing.T) {
	for code := message.RefusedProtocolVersion; code <= message.RefusedNotAuthorized; code++ {
		t.Run(code.String(), func(t *testing.T) {
			p := newPeer(t)
			c := newClient(t)
			errc := make(chan error, 1)
			go func() {
				_, err := c.Connect(testContext(t), p.url())
				errc <- err
			}()
			p.accept().handshake(code)
			err := <-errc
			var ce *client.ConnackError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConnackError", err)
			}
			if ce.Code != code {
				t.Errorf("got code %d, want %d", ce.Code, code)
			}
			if c.IsConnected() {
				t.Error("IsConnected() got true, want false")
			}
		})
	}
}

func TestPeerBadInput(t *testing.T) {
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithMaxPacketSize(1024))
	ctx := testContext(t)
	publishes := []struct {
		name  string
		topic string
		size  int
		qos   message.QoS
		want  error
	}{
		{"wildcard topic", "a/+", 0, message.QoS1, message.ErrInvalidTopic},
		{"hash topic", "a/#", 0, message.QoS0, message.ErrInvalidTopic},
		{"empty topic", "", 0, message.QoS1, message.ErrInvalidTopic},
		{"NUL in topic", "a/\u0000", 0, message.QoS2, message.ErrInvalidUTF8},
		{"bad UTF-8 in topic", "a/\xff", 0, message.QoS1, message.ErrInvalidUTF8},
		{"topic too long", strings.Repeat("t", 65536), 0, message.QoS0, message.ErrStringTooLong},
		{"QoS 3", "a/b", 0, 3, message.ErrInvalidQoS},
		{"oversize payload", "a/b", 1024, message.QoS1, client.ErrPayloadTooLarge},
		{"oversize payload QoS 0", "a/b", 2000, message.QoS0, client.ErrPayloadTooLarge},
	}
	for _, tt := range publishes {
		t.Run("Publish "+tt.name, func(t *testing.T) {
			tok, err := c.Publish(ctx, tt.topic, make([]byte, tt.size), tt.qos)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if tt.topic != "a/b" && !errors.Is(err, message.ErrInvalidTopic) {
				t.Errorf("got %v, want an error wrapping ErrInvalidTopic", err)
			}
			if tok != nil {
				t.Errorf("got token %d, want nil", tok.ID())
			}
		})
	}
	subscribes := []struct {
		name string
		subs []message.Subscription
		want error
	}{
		{"hash not last", []message.Subscription{{Filter: "a/#/b"}}, message.ErrInvalidFilter},
		{"plus inside a level", []message.Subscription{{Filter: "a/b+"}}, message.ErrInvalidFilter},
		{"empty filter", []message.Subscription{{Filter: ""}}, message.ErrInvalidFilter},
		{"NUL in filter", []message.Subscription{{Filter: "a/\u0000/#"}}, message.ErrInvalidUTF8},
		{"one bad of two", []message.Subscription{{Filter: "ok/#"}, {Filter: "a/#/b"}}, message.ErrInvalidFilter},
		{"QoS 3", []message.Subscription{{Filter: "a/b", QoS: 3}}, message.ErrInvalidQoS},
		{"no filter", nil, message.ErrNoFilters},
	}
	for _, tt := range subscribes {
		t.Run("Subscribe "+tt.name, func(t *testing.T) {
			_, err := c.Subscribe(ctx, tt.subs...)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if len(tt.subs) > 0 && tt.subs[len(tt.subs)-1].QoS == 0 && !errors.Is(err, message.ErrInvalidFilter) {
				t.Errorf("got %v, want an error wrapping ErrInvalidFilter", err)
			}
		})
	}
	t.Run("Unsubscribe bad filter", func(t *testing.T) {
		if err := c.Unsubscribe(ctx, "a/#/b"); !errors.Is(err, message.ErrInvalidFilter) {
			t.Errorf("got %v, want ErrInvalidFilter", err)
		}
	})
	if t.Failed() {
		return
	}
	// Nothing of the above reached the wire: the first packet the peer
	// sees is the next valid publish.
	tok, err := c.Publish(ctx, "valid/topic", []byte("first"), message.QoS0)
	if err != nil {
		t.Fatal(err)
	}
	waitToken(t, tok)
	p := pc.expectPublish()
	if p.Topic != "valid/topic" || string(p.Payload) != "first" {
		t.Errorf("peer got %q %q first, want the valid publish", p.Topic, p.Payload)
	}
	if got := c.Stats().Sent[message.SUBSCRIBE]; got != 0 {
		t.Errorf("got %d SUBSCRIBE sent, want 0", got)
	}
}

func TestNotConnected(t *testing.T) {
	c := newClient(t)
	ctx := testContext(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"Publish QoS 0", func() error {
			_, err := c.Publish(ctx, "a/b", nil, message.QoS0)
			return err
		}},
		{"Subscribe", func() error {
			_, err := c.Subscribe(ctx, message.Subscription{Filter: "a/#"})
			return err
		}},
		{"Unsubscribe", func() error { return c.Unsubscribe(ctx, "a/#") }},
		{"Disconnect", func() error { return c.Disconnect(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, client.ErrNotConnected) {
				t.Errorf("got %v, want ErrNotConnected", err)
			}
		})
	}
}

func TestPeerInflightWindow(t *testing.T) {
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithMaxInflight(2))
	ctx := testContext(t)
	var ids []uint16
	for i := range 2 {
		tok, err := c.Publish(ctx, "window/a", []byte{byte(i)}, message.QoS1)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, pc.expectPublish().PacketID)
		if ids[i] != tok.ID() {
			t.Fatalf("peer got id %d, want %d", ids[i], tok.ID())
		}
	}

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	tok, err := c.Publish(short, "window/a", []byte{2}, message.QoS1)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || tok != nil {
		t.Fatalf("third publish got (%v, %v), want (nil, context.DeadlineExceeded)", tok, err)
	}
	if got := c.Stats().Inflight; got != 2 {
		t.Errorf("got %d in flight, want 2", got)
	}

	type result struct {
		tok *client.Token
		err error
	}
	third := make(chan result, 1)
	go func() {
		tok, err := c.Publish(ctx, "window/a", []byte{3}, message.QoS1)
		third <- result{tok, err}
	}()
	pc.expectNone(silence)
	select {
	case r := <-third:
		t.Fatalf("third publish returned (%v, %v) with a full window", r.tok, r.err)
	default:
	}
	pc.send(&message.Puback{PacketID: ids[0]})
	p := pc.expectPublish()
	if p.Payload[0] != 3 {
		t.Errorf("peer got payload %v, want [3]", p.Payload)
	}
	r := <-third
	if r.err != nil || r.tok.ID() != p.PacketID {
		t.Errorf("third publish got (%v, %v), want a token with id %d", r.tok, r.err, p.PacketID)
	}
	pc.send(&message.Puback{PacketID: ids[1]})
	pc.send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, r.tok)
}

func TestPeerSendPriority(t *testing.T) {
	gate := newGate()
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithDialer(gate.dial))
	ctx := testContext(t)
	inbound := make(chan struct{}, 1)
	if _, err := c.On(message.PUBLISH, func(*router.Event) { inbound <- struct{}{} }, nil, 0); err != nil {
		t.Fatal(err)
	}

	gate.hold()
	first, err := c.Publish(ctx, "prio/first", nil, message.QoS0)
	if err != nil {
		t.Fatal(err)
	}
	gate.waitBlocked(t) // the writer is stuck writing prio/first

	var toks []*client.Token
	for _, p := range []struct {
		topic string
		qos   message.QoS
		level client.PublishOption
	}{
		{"prio/normal-1", message.QoS1, client.WithPriority(priority.Normal)},
		{"prio/high-1", message.QoS1, client.WithPriority(priority.High)},
		{"prio/normal-2", message.QoS2, client.WithPriority(priority.Normal)},
		{"prio/high-q0", message.QoS0, client.WithPriority(priority.High)},
		{"prio/critical", message.QoS1, client.WithPriority(priority.Critical)},
		{"prio/high-2", message.QoS1, client.WithPriority(priority.High)},
	} {
		tok, err := c.Publish(ctx, p.topic, nil, p.qos, p.level)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	// An inbound QoS 2 PUBLISH queues a PUBREC behind the publishes; its
	// event runs after the PUBREC was queued.
	pc.send(&message.Publish{Message: message.Message{Topic: "prio/in", QoS: message.QoS2, PacketID: 77}})
	select {
	case <-inbound:
	case <-time.After(waitLimit):
		t.Fatal("inbound PUBLISH not dispatched")
	}
	gate.release()
	waitToken(t, first)

	var got []string
	want := []string{"prio/first", "PUBREC", "prio/critical", "prio/high-1", "prio/high-q0", "prio/high-2", "prio/normal-1", "prio/normal-2", "PUBREL"}
	for len(got) < len(want) {
		p, err := pc.read(waitLimit)
		if err != nil {
			t.Fatalf("peer: %v after %v", err, got)
		}
		switch p := p.(type) {
		case *message.Publish:
			got = append(got, p.Topic)
			switch p.QoS {
			case message.QoS1:
				pc.send(&message.Puback{PacketID: p.PacketID})
			case message.QoS2:
				pc.send(&message.Pubrec{PacketID: p.PacketID})
			}
		case *message.Pubrel:
			got = append(got, "PUBREL")
			pc.send(&message.Pubcomp{PacketID: p.PacketID})
		default:
			got = append(got, p.Type().String())
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("peer got\n\t%v\nwant\n\t%v", got, want)
	}
	for _, tok := range toks {
		waitToken(t, tok)
	}
}

func TestPeerOutboundQoS2(t *testing.T) {
	r, rec := recordAll(t)
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithRouter(r))
	rec.nextOf(t, message.CONNACK)
	tok, err := c.Publish(testContext(t), "q2/out", []byte("x"), message.QoS2)
	if err != nil {
		t.Fatal(err)
	}
	p := pc.expectPublish()
	if p.PacketID != tok.ID() || p.QoS != message.QoS2 || p.Dup {
		t.Fatalf("peer got id %d QoS %d dup %t, want id %d QoS 2 without DUP", p.PacketID, p.QoS, p.Dup, tok.ID())
	}
	id := p.PacketID
	pc.send(&message.Pubrec{PacketID: id})
	pc.expectAck(message.PUBREL, id)
	// A PUBREC sent again is answered again [MQTT-4.3.3-1].
	pc.send(&message.Pubrec{PacketID: id})
	pc.expectAck(message.PUBREL, id)
	select {
	case <-tok.Done():
		t.Fatal("token completed before PUBCOMP")
	default:
	}
	pc.send(&message.Pubcomp{PacketID: id})
	waitToken(t, tok)

	for _, want := range []message.Type{message.PUBREC, message.PUBREC, message.PUBCOMP} {
		e := rec.next(t)
		if e.Type != want || e.ID != id || e.Sent == nil || e.Sent.Topic != "q2/out" {
			t.Errorf("got %v, want %v id=%d sent=q2/out", e, want, id)
		}
	}
	// A PUBCOMP for a finished flow, and a PUBACK for a QoS 2 flow's id,
	// are dispatched without Sent.
	pc.send(&message.Pubcomp{PacketID: id})
	if e := rec.next(t); e.Type != message.PUBCOMP || e.Sent != nil {
		t.Errorf("got %v, want PUBCOMP without Sent", e)
	}
	if !c.IsConnected() {
		t.Error("got disconnected, want connected")
	}
}

func TestPeerPanickingHandler(t *testing.T) {
	panics := make(chan any, 1)
	r := router.New(router.WithPanicHandler(func(_ *router.Event, v any) { panics <- v }))
	rec := newRecorder()
	if _, err := r.On(message.PUBLISH, func(e *router.Event) {
		if e.Message.Topic == "boom" {
			panic("handler failed")
		}
		rec <- snapshot(e)
	}, nil, 0); err != nil {
		t.Fatal(err)
	}
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithRouter(r))
	pc.send(&message.Publish{Message: message.Message{Topic: "boom", QoS: message.QoS1, PacketID: 1}})
	// The message was handled, if badly: it is acknowledged.
	pc.expectAck(message.PUBACK, 1)
	if v := <-panics; v != "handler failed" {
		t.Errorf("panic hook got %v, want \"handler failed\"", v)
	}
	pc.send(&message.Publish{Message: message.Message{Topic: "fine", QoS: message.QoS1, PacketID: 2}})
	pc.expectAck(message.PUBACK, 2)
	if e := rec.next(t); e.Msg == nil || e.Msg.Topic != "fine" {
		t.Errorf("got %v, want fine", e)
	}
	if !c.IsConnected() {
		t.Error("got disconnected after a handler panicked, want connected")
	}
}

func TestPeerMaxPending(t *testing.T) {
	r, rec := recordAll(t)
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithManualLoop(), client.WithMaxPending(2), client.WithRouter(r))
	ctx := testContext(t)
	if err := c.WaitMsg(ctx); err != nil { // CONNACK
		t.Fatal(err)
	}
	rec.nextOf(t, message.CONNACK)
	for i := range 5 {
		pc.send(&message.Publish{Message: message.Message{Topic: "pending/q0", Payload: []byte{byte(i)}}})
	}
	pc.send(&message.Publish{Message: message.Message{Topic: "pending/q1", QoS: message.QoS1, PacketID: 1}})
	pc.send(&message.Publish{Message: message.Message{Topic: "pending/q2", QoS: message.QoS2, PacketID: 2}})
	pc.expectAck(message.PUBREC, 2) // the reader has seen everything before it
	if got := c.Stats().Dropped; got != 3 {
		t.Errorf("got %d QoS 0 messages dropped, want 3", got)
	}
	var got []string
	for range 4 {
		if err := c.WaitMsg(ctx); err != nil {
			t.Fatal(err)
		}
		e := rec.next(t)
		got = append(got, fmt.Sprint(e.Msg.Topic, e.Msg.Payload))
	}
	want := []string{"pending/q0[0]", "pending/q0[1]", "pending/q1[]", "pending/q2[]"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v: the first two QoS 0 messages and every QoS 1 and 2 one", got, want)
	}
	pc.expectAck(message.PUBACK, 1)
}

func TestPeerSubscribe(t *testing.T) {
	t.Run("context ends before SUBACK", func(t *testing.T) {
		c, pc := connectPeer(t, client.WithKeepAlive(0))
		short, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
		defer cancel()
		_, err := c.Subscribe(short, message.Subscription{Filter: "late/#", QoS: 1})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
		sub := pc.expect(message.SUBSCRIBE).(*message.Subscribe)
		pc.send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{1}})
		// The late grant still counts: the broker has the subscription.
		deadline := time.Now().Add(waitLimit)
		for len(c.Subscriptions()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got := c.Subscriptions(); len(got) != 1 || got[0].Filter != "late/#" || got[0].QoS != 1 {
			t.Errorf("got subscriptions %v, want [late/# QoS1]", got)
		}
	})
	t.Run("SUBACK with the wrong number of codes", func(t *testing.T) {
		c, pc := connectPeer(t, client.WithKeepAlive(0))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "a"}, message.Subscription{Filter: "b"})
			errc <- err
		}()
		sub := pc.expect(message.SUBSCRIBE).(*message.Subscribe)
		if len(sub.Subscriptions) != 2 {
			t.Fatalf("peer got %d filters, want 2", len(sub.Subscriptions))
		}
		pc.send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{0}})
		if err := <-errc; !errors.Is(err, client.ErrProtocolViolation) {
			t.Errorf("got %v, want ErrProtocolViolation", err)
		}
	})
	t.Run("connection lost before SUBACK", func(t *testing.T) {
		c, pc := connectPeer(t, client.WithKeepAlive(0))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(testContext(t), message.Subscription{Filter: "a"})
			errc <- err
		}()
		pc.expect(message.SUBSCRIBE)
		pc.nc.Close()
		if err := <-errc; !errors.Is(err, client.ErrConnectionLost) {
			t.Errorf("got %v, want ErrConnectionLost", err)
		}
	})
}

func TestPeerProtocolViolation(t *testing.T) {
	tests := []struct {
		name string
		pkt  message.Packet
	}{
		{"second CONNACK", &message.Connack{}},
		{"PINGREQ", &message.Pingreq{}},
		{"SUBSCRIBE", &message.Subscribe{PacketID: 1, Subscriptions: []message.Subscription{{Filter: "a"}}}},
		{"UNSUBSCRIBE", &message.Unsubscribe{PacketID: 1, Filters: []string{"a"}}},
		{"CONNECT", &message.Connect{Version: message.V311, ClientID: "x", CleanSession: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lost, errs := lostRecorder()
			c, pc := connectPeer(t, client.WithKeepAlive(0), lost)
			pc.send(tt.pkt)
			err := awaitErr(t, errs)
			if !errors.Is(err, client.ErrProtocolViolation) && !errors.Is(err, message.ErrMalformed) {
				t.Errorf("got %v, want ErrProtocolViolation or ErrMalformed", err)
			}
			if c.IsConnected() {
				t.Error("IsConnected() got true, want false")
			}
			pc.expectClosed()
		})
	}
}

func TestPeerOfflinePublish(t *testing.T) {
	p := newPeer(t)
	c := newClient(t, client.WithKeepAlive(0))
	ctx := testContext(t)
	tok, err := c.Publish(ctx, "offline/q1", []byte("later"), message.QoS1)
	if err != nil {
		t.Fatalf("QoS 1 Publish while disconnected got %v, want it held", err)
	}
	if tok.ID() == 0 {
		t.Error("got id 0, want an id")
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(ctx, p.url())
		errc <- err
	}()
	pc := p.accept()
	pc.handshake(message.Accepted)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	pub := pc.expectPublish()
	if pub.Topic != "offline/q1" || string(pub.Payload) != "later" || pub.PacketID != tok.ID() {
		t.Errorf("peer got %q %q id %d, want offline/q1 \"later\" id %d", pub.Topic, pub.Payload, pub.PacketID, tok.ID())
	}
	pc.send(&message.Puback{PacketID: pub.PacketID})
	waitToken(t, tok)
}

func TestPeerUnhandled(t *testing.T) {
	unhandled := newRecorder()
	r := router.New(router.WithUnhandled(unhandled.handler()))
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithRouter(r))
	pc.send(&message.Publish{Message: message.Message{Topic: "nobody/listens", QoS: message.QoS1, PacketID: 3}})
	pc.expectAck(message.PUBACK, 3)
	var got []message.Type
	for len(got) < 2 {
		got = append(got, unhandled.next(t).Type)
	}
	if got[0] != message.CONNACK || got[1] != message.PUBLISH {
		t.Errorf("unhandled hook got %v, want [CONNACK PUBLISH]", got)
	}
	st := c.Stats()
	if st.Unhandled != 1 || st.UnhandledByType[message.CONNACK] != 1 || st.UnhandledByType[message.PUBLISH] != 1 {
		t.Errorf("got Stats().Unhandled %d, by type %v, want 1 message, 1 CONNACK and 1 PUBLISH", st.Unhandled, st.UnhandledByType)
	}
}

func TestConnectErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()
	silent := newPeer(t) // accepts, never answers

	tests := []struct {
		name  string
		url   string
		opts  []client.Option
		check func(error) bool
		want  string
	}{
		{"unknown scheme", "http://127.0.0.1:1", nil,
			func(err error) bool { return errors.Is(err, client.ErrUnsupportedScheme) }, "ErrUnsupportedScheme"},
		{"bad URL", "tcp://[::1", nil,
			func(err error) bool { return err != nil }, "an error"},
		{"nothing listening", "tcp://" + closedAddr, nil,
			func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }, "ECONNREFUSED"},
		{"no CONNACK within ConnectTimeout", silent.url(), []client.Option{client.WithConnectTimeout(100 * time.Millisecond)},
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, "context.DeadlineExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.opts...)
			_, err := c.Connect(testContext(t), tt.url)
			if !tt.check(err) {
				t.Errorf("got %v, want %s", err, tt.want)
			}
			if c.IsConnected() {
				t.Error("IsConnected() got true, want false")
			}
		})
	}
	t.Run("context ends before CONNACK", func(t *testing.T) {
		c := newClient(t)
		ctx, cancel := context.WithCancel(testContext(t))
		errc := make(chan error, 1)
		go func() {
			_, err := c.Connect(ctx, silent.url())
			errc <- err
		}()
		silent.accept().expect(message.CONNECT)
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	t.Run("already connected", func(t *testing.T) {
		c, _ := connectPeer(t, client.WithKeepAlive(0))
		if _, err := c.Connect(testContext(t), silent.url()); !errors.Is(err, client.ErrAlreadyConnected) {
			t.Errorf("got %v, want ErrAlreadyConnected", err)
		}
	})
}

func TestPeerConnectPacket(t *testing.T) {
	tests := []struct {
		name string
		opts []client.Option
		want message.Connect // ClientID "" with randomID: any "onmqtt-" id
		rnd  bool
	}{
		{"defaults", nil,
			message.Connect{Version: message.V311, CleanSession: true, KeepAlive: 60}, true},
		{"client id, persistent session", []client.Option{client.WithClientID("dev-1"), client.WithCleanSession(false)},
			message.Connect{Version: message.V311, ClientID: "dev-1", KeepAlive: 60}, false},
		{"empty client id", []client.Option{client.WithEmptyClientID()},
			message.Connect{Version: message.V311, CleanSession: true, KeepAlive: 60}, false},
		{"MQTT 3.1", []client.Option{client.WithVersion(message.V31), client.WithClientID("old")},
			message.Connect{Version: message.V31, ClientID: "old", CleanSession: true, KeepAlive: 60}, false},
		{"keepalive off", []client.Option{client.WithClientID("k"), client.WithKeepAlive(0)},
			message.Connect{Version: message.V311, ClientID: "k", CleanSession: true}, false},
		{"keepalive rounded up", []client.Option{client.WithClientID("k"), client.WithKeepAlive(1500 * time.Millisecond)},
			message.Connect{Version: message.V311, ClientID: "k", CleanSession: true, KeepAlive: 2}, false},
		{"sub-second keepalive", []client.Option{client.WithClientID("k"), client.WithKeepAlive(300 * time.Millisecond)},
			message.Connect{Version: message.V311, ClientID: "k", CleanSession: true, KeepAlive: 1}, false},
		{"will", []client.Option{client.WithClientID("w"), client.WithWill("wills/w", []byte("bye"), message.QoS2, true)},
			message.Connect{Version: message.V311, ClientID: "w", CleanSession: true, KeepAlive: 60,
				Will: &message.Will{Topic: "wills/w", Payload: []byte("bye"), QoS: message.QoS2, Retain: true}}, false},
		{"user and password", []client.Option{client.WithClientID("u"), client.WithCredentials("user", []byte("pw"))},
			message.Connect{Version: message.V311, ClientID: "u", CleanSession: true, KeepAlive: 60,
				UsernameFlag: true, Username: "user", PasswordFlag: true, Password: []byte("pw")}, false},
		{"user alone", []client.Option{client.WithClientID("u"), client.WithCredentials("user", nil)},
			message.Connect{Version: message.V311, ClientID: "u", CleanSession: true, KeepAlive: 60,
				UsernameFlag: true, Username: "user"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t)
			c := newClient(t, tt.opts...)
			errc := make(chan error, 1)
			go func() {
				_, err := c.Connect(testContext(t), p.url())
				errc <- err
			}()
			got := *p.accept().handshake(message.Accepted)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if tt.rnd {
				if !strings.HasPrefix(got.ClientID, "onmqtt-") || len(got.ClientID) <= len("onmqtt-") {
					t.Errorf("got client id %q, want a generated onmqtt-… id", got.ClientID)
				}
				if c.ClientID() != got.ClientID {
					t.Errorf("ClientID() got %q, want %q as sent", c.ClientID(), got.ClientID)
				}
				got.ClientID = ""
			}
			if !sameConnect(got, tt.want) {
				t.Errorf("got CONNECT\n\t%+v %+v\nwant\n\t%+v %+v", got, got.Will, tt.want, tt.want.Will)
			}
		})
	}
	t.Run("generated MQTT 3.1 id", func(t *testing.T) {
		id := newClient(t, client.WithVersion(message.V31)).ClientID()
		if !strings.HasPrefix(id, "onmqtt-") || len(id) != 23 {
			t.Errorf("got %q (%d characters), want an onmqtt-… id of 23, the most MQTT 3.1 allows", id, len(id))
		}
	})
	t.Run("generated ids differ", func(t *testing.T) {
		a, b := newClient(t), newClient(t)
		if a.ClientID() == b.ClientID() {
			t.Errorf("two clients got the same id %q", a.ClientID())
		}
	})
}

// sameConnect compares CONNECT packets field by field, nil and empty
// byte slices alike.
func sameConnect(a, b message.Connect) bool {
	if (a.Will == nil) != (b.Will == nil) {
		return false
	}
	if a.Will != nil && (a.Will.Topic != b.Will.Topic || !bytes.Equal(a.Will.Payload, b.Will.Payload) ||
		a.Will.QoS != b.Will.QoS || a.Will.Retain != b.Will.Retain) {
		return false
	}
	return a.Version == b.Version && a.ClientID == b.ClientID && a.CleanSession == b.CleanSession &&
		a.KeepAlive == b.KeepAlive && a.UsernameFlag == b.UsernameFlag && a.Username == b.Username &&
		a.PasswordFlag == b.PasswordFlag && bytes.Equal(a.Password, b.Password)
}

func TestPeerPacketSizeLimit(t *testing.T) {
	const limit = 200
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithMaxPacketSize(limit))
	ctx := testContext(t)
	tests := []struct {
		name    string
		qos     message.QoS
		payload int
		ok      bool
	}{
		// 1 type byte + 2 length bytes + 2 + len("t") topic (+ 2 id) + payload
		{"QoS 0 exactly at the limit", message.QoS0, limit - 6, true},
		{"QoS 0 one byte over", message.QoS0, limit - 5, false},
		{"QoS 1 exactly at the limit", message.QoS1, limit - 8, true},
		{"QoS 1 one byte over", message.QoS1, limit - 7, false},
		{"small packet, one length byte", message.QoS0, 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := c.Publish(ctx, "t", make([]byte, tt.payload), tt.qos)
			if !tt.ok {
				if !errors.Is(err, client.ErrPayloadTooLarge) {
					t.Errorf("got %v, want ErrPayloadTooLarge", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want the publish accepted", err)
			}
			p := pc.expectPublish()
			if len(p.Payload) != tt.payload {
				t.Errorf("peer got %d bytes of payload, want %d", len(p.Payload), tt.payload)
			}
			if tt.qos > 0 {
				pc.send(&message.Puback{PacketID: p.PacketID})
			}
			waitToken(t, tok)
		})
	}
	t.Run("SUBSCRIBE over the limit", func(t *testing.T) {
		// 1 + 2 length bytes + 2 id + 2 + filter + 1 QoS
		_, err := c.Subscribe(ctx, message.Subscription{Filter: strings.Repeat("f", limit-7)})
		if !errors.Is(err, message.ErrPacketTooLarge) {
			t.Errorf("got %v, want ErrPacketTooLarge", err)
		}
		err = c.Unsubscribe(ctx, strings.Repeat("f", limit-6))
		if !errors.Is(err, message.ErrPacketTooLarge) {
			t.Errorf("Unsubscribe got %v, want ErrPacketTooLarge", err)
		}
	})
	t.Run("SUBSCRIBE at the limit", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(ctx, message.Subscription{Filter: strings.Repeat("f", limit-8)})
			errc <- err
		}()
		sub := pc.expect(message.SUBSCRIBE).(*message.Subscribe)
		pc.send(&message.Suback{PacketID: sub.PacketID, ReturnCodes: []message.SubackCode{0}})
		if err := <-errc; err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
	// The same limit holds inbound: a packet of exactly limit bytes is
	// accepted.
	rec := newRecorder()
	if _, err := c.On(message.PUBLISH, rec.handler(), nil, 0); err != nil {
		t.Fatal(err)
	}
	pc.send(&message.Publish{Message: message.Message{Topic: "t", Payload: make([]byte, limit-6)}})
	if e := rec.nextMessage(t); len(e.Msg.Payload) != limit-6 {
		t.Errorf("got %d bytes, want %d", len(e.Msg.Payload), limit-6)
	}
}

func TestPeerInboundQoS2IDReused(t *testing.T) {
	rec := newRecorder()
	r := router.New()
	if _, err := r.On(message.PUBLISH, rec.handler(), nil, 0); err != nil {
		t.Fatal(err)
	}
	_, pc := connectPeer(t, client.WithKeepAlive(0), client.WithRouter(r))
	for _, payload := range []string{"first", "second"} {
		pc.send(&message.Publish{Message: message.Message{Topic: "reuse", Payload: []byte(payload), QoS: message.QoS2, PacketID: 9}})
		pc.expectAck(message.PUBREC, 9)
		pc.send(&message.Pubrel{PacketID: 9})
		pc.expectAck(message.PUBCOMP, 9)
		// Once PUBCOMP is out the id is free: a new PUBLISH with it is a
		// new message.
		if e := rec.nextMessage(t); string(e.Msg.Payload) != payload {
			t.Errorf("got %v, want %q delivered", e, payload)
		}
	}
}

func TestPeerRegistrations(t *testing.T) {
	c, pc := connectPeer(t, client.WithKeepAlive(0))
	observed, once, byID, fallback := newRecorder(), newRecorder(), newRecorder(), newRecorder()
	for _, reg := range []func() (*router.Registration, error){
		func() (*router.Registration, error) { return c.Observe(message.PUBLISH, observed.handler()) },
		func() (*router.Registration, error) {
			return c.Once(message.PUBLISH, once.handler(), router.Topic("reg/once"), 0)
		},
		func() (*router.Registration, error) { return c.OnID(message.PUBLISH, 5, byID.handler()) },
		func() (*router.Registration, error) { return c.On(message.PUBLISH, fallback.handler(), nil, 0) },
	} {
		if _, err := reg(); err != nil {
			t.Fatal(err)
		}
	}
	if c.Router() == nil {
		t.Fatal("Router() got nil")
	}
	for _, m := range []message.Message{
		{Topic: "reg/once"},
		{Topic: "reg/once"},
		{Topic: "reg/id", QoS: message.QoS1, PacketID: 5},
		{Topic: "reg/id", QoS: message.QoS1, PacketID: 5},
	} {
		pc.send(&message.Publish{Message: m})
	}
	pc.expectAck(message.PUBACK, 5)
	pc.expectAck(message.PUBACK, 5) // both dispatched by now
	for name, want := range map[string]struct {
		r    recorder
		msgs []string
	}{
		"observer": {observed, []string{"reg/once", "reg/once", "reg/id", "reg/id"}},
		"once":     {once, []string{"reg/once"}},
		"OnID":     {byID, []string{"reg/id"}},
		"fallback": {fallback, []string{"reg/once", "reg/id"}},
	} {
		var got []string
		for len(got) < len(want.msgs) {
			got = append(got, want.r.next(t).Msg.Topic)
		}
		want.r.empty(t)
		if strings.Join(got, " ") != strings.Join(want.msgs, " ") {
			t.Errorf("%s got %v, want %v", name, got, want.msgs)
		}
	}
}

// TestPipeTransport runs the client over net.Pipe through a DialFunc:
// any byte stream will do.
func TestPipeTransport(t *testing.T) {
	srv, cli := net.Pipe()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	dialed := 0
	c := newClient(t, client.WithKeepAlive(0), client.WithDialer(func(context.Context, *url.URL) (net.Conn, error) {
		dialed++
		return cli, nil
	}))
	pc := &peerConn{t: t, nc: srv, r: message.NewReader(bufio.NewReader(srv), message.V311, 0)}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(testContext(t), "serial:///dev/ttyS0")
		errc <- err
	}()
	pc.handshake(message.Accepted)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if dialed != 1 {
		t.Errorf("dialer called %d times, want 1", dialed)
	}
	tok, err := c.Publish(testContext(t), "pipe/x", []byte("through"), message.QoS1)
	if err != nil {
		t.Fatal(err)
	}
	p := pc.expectPublish()
	if p.Topic != "pipe/x" || string(p.Payload) != "through" {
		t.Errorf("peer got %q %q, want pipe/x \"through\"", p.Topic, p.Payload)
	}
	pc.send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, tok)
	// A pipe has no buffer: the write completes as the peer reads it.
	disc := make(chan error, 1)
	go func() { disc <- c.Disconnect(testContext(t)) }()
	pc.expect(message.DISCONNECT)
	if err := <-disc; err != nil {
		t.Errorf("Disconnect: %v", err)
	}
}

// TestPeerDisconnectLast checks that DISCONNECT leaves after everything
// queued before it: a graceful disconnect does not drop publishes.
func TestPeerDisconnectLast(t *testing.T) {
	gate := newGate()
	c, pc := connectPeer(t, client.WithKeepAlive(0), client.WithDialer(gate.dial))
	ctx := testContext(t)
	gate.hold()
	first, err := c.Publish(ctx, "bye/0", nil, message.QoS0)
	if err != nil {
		t.Fatal(err)
	}
	gate.waitBlocked(t)
	var toks []*client.Token
	for _, topic := range []string{"bye/1", "bye/2", "bye/3"} {
		tok, err := c.Publish(ctx, topic, nil, message.QoS0)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	disc := make(chan error, 1)
	go func() { disc <- c.Disconnect(ctx) }()
	// Nothing shows when Disconnect has queued DISCONNECT: give it a
	// moment. Were it too short, the test would pass without proving
	// anything, never fail wrongly.
	time.Sleep(50 * time.Millisecond)
	gate.release()
	var got []string
	for {
		p, err := pc.read(waitLimit)
		if err != nil {
			break
		}
		if pub, ok := p.(*message.Publish); ok {
			got = append(got, pub.Topic)
		} else {
			got = append(got, p.Type().String())
		}
	}
	if err := <-disc; err != nil {
		t.Errorf("Disconnect: %v", err)
	}
	want := []string{"bye/0", "bye/1", "bye/2", "bye/3", "DISCONNECT"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("peer got %v, want %v", got, want)
	}
	waitToken(t, first)
	for _, tok := range toks {
		waitToken(t, tok)
	}
}
