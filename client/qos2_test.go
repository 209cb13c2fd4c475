package client_test

import (
	"testing"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

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
