package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

func TestPeerAcksOutOfOrder(t *testing.T) {
	rec := newRecorder()
	c, pc := connectScripted(t, client.WithKeepAlive(0))
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
		p := pc.ExpectPublish()
		if p.PacketID != tok.ID() || p.Topic != topic {
			t.Fatalf("peer got PUBLISH %q id %d, want %q id %d", p.Topic, p.PacketID, topic, tok.ID())
		}
		ids[topic] = p.PacketID
	}
	if toks[0].ID() == 0 || toks[0].ID() == toks[1].ID() {
		t.Fatalf("got ids %d and %d, want two distinct non-zero ids", toks[0].ID(), toks[1].ID())
	}

	pc.Send(&message.Puback{PacketID: ids["order/two"]})
	waitToken(t, toks[1])
	select {
	case <-toks[0].Done():
		t.Fatal("first publish completed by the second one's PUBACK")
	default:
	}
	pc.Send(&message.Puback{PacketID: ids["order/one"]})
	waitToken(t, toks[0])

	for _, want := range []string{"order/two", "order/one"} {
		e := rec.next(t)
		if e.Sent == nil || e.Sent.Topic != want || e.ID != ids[want] {
			t.Errorf("got %v, want PUBACK id=%d sent=%s", e, ids[want], want)
		}
	}

	// A PUBACK for an id no flow uses is dispatched without Sent and
	// changes nothing.
	pc.Send(&message.Puback{PacketID: 999})
	e := rec.next(t)
	if e.ID != 999 || e.Sent != nil {
		t.Errorf("got %v, want PUBACK id=999 without Sent", e)
	}
	tok, err := c.Publish(ctx, "order/three", nil, message.QoS1)
	if err != nil {
		t.Fatal(err)
	}
	p := pc.ExpectPublish()
	pc.Send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, tok)
	if got := c.Stats().Inflight; got != 0 {
		t.Errorf("got %d publishes in flight, want 0", got)
	}
}

func TestPeerPubackAfterHandler(t *testing.T) {
	c, pc := connectScripted(t, client.WithKeepAlive(0))
	entered := make(chan record, 1)
	release := make(chan struct{})
	if _, err := c.On(message.PUBLISH, func(e *router.Event) {
		entered <- snapshot(e)
		<-release
	}, nil, 0); err != nil {
		t.Fatal(err)
	}
	pc.Send(&message.Publish{Message: message.Message{Topic: "q1/in", Payload: []byte("x"), QoS: message.QoS1, PacketID: 9}})
	var e record
	select {
	case e = <-entered:
	case <-time.After(waitLimit):
		t.Fatal("handler not called")
	}
	if e.Msg == nil || e.Msg.Topic != "q1/in" || e.Msg.QoS != message.QoS1 || e.ID != 9 {
		t.Errorf("got %v, want PUBLISH id=9 q1/in at QoS 1", e)
	}
	pc.ExpectSilence(silence) // no PUBACK while the handler runs
	close(release)
	pc.ExpectAck(message.PUBACK, 9)
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
	c, pc := connectScripted(t, client.WithKeepAlive(0), client.WithMaxInflight(2))
	ctx := testContext(t)
	var ids []uint16
	for i := range 2 {
		tok, err := c.Publish(ctx, "window/a", []byte{byte(i)}, message.QoS1)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, pc.ExpectPublish().PacketID)
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
	pc.ExpectSilence(silence)
	select {
	case r := <-third:
		t.Fatalf("third publish returned (%v, %v) with a full window", r.tok, r.err)
	default:
	}
	pc.Send(&message.Puback{PacketID: ids[0]})
	p := pc.ExpectPublish()
	if p.Payload[0] != 3 {
		t.Errorf("peer got payload %v, want [3]", p.Payload)
	}
	r := <-third
	if r.err != nil || r.tok.ID() != p.PacketID {
		t.Errorf("third publish got (%v, %v), want a token with id %d", r.tok, r.err, p.PacketID)
	}
	pc.Send(&message.Puback{PacketID: ids[1]})
	pc.Send(&message.Puback{PacketID: p.PacketID})
	waitToken(t, r.tok)
}

func TestPeerOfflinePublish(t *testing.T) {
	p := peer.Open(t)
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
		_, err := c.Connect(ctx, p.Addr())
		errc <- err
	}()
	pc := p.Next(t)
	pc.Handshake(message.Accepted)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	pub := pc.ExpectPublish()
	if pub.Topic != "offline/q1" || string(pub.Payload) != "later" || pub.PacketID != tok.ID() {
		t.Errorf("peer got %q %q id %d, want offline/q1 \"later\" id %d", pub.Topic, pub.Payload, pub.PacketID, tok.ID())
	}
	pc.Send(&message.Puback{PacketID: pub.PacketID})
	waitToken(t, tok)
}
