package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// opsOf describes store writes as "put 7 full", "put 7 id", "del 7".
func opsOf(ops []storeOp) []string {
	var out []string
	for _, op := range ops {
		switch {
		case op.del:
			out = append(out, fmt.Sprintf("del %02d", op.in.ID))
		case op.in.Message != nil:
			out = append(out, fmt.Sprintf("put %02d full", op.in.ID))
		default:
			out = append(out, fmt.Sprintf("put %02d id", op.in.ID))
		}
	}
	return out
}

func msg2(id uint16, payload string) *message.Message {
	return &message.Message{Topic: "t", Payload: []byte(payload), QoS: message.QoS2, PacketID: id}
}

// liveSet is a live function over a set of connections.
type liveSet map[*conn]bool

func (l liveSet) live(cn *conn) bool { return l[cn] }

func TestSessionInboundDeliverOnPublish(t *testing.T) {
	s := newSession(false, 20)
	a := new(conn)
	live := liveSet{a: true}

	f := s.received(msg2(7, "m"), a, time.Unix(1, 0))
	require.NotZero(t, f.gen)
	assert.Equal(t, []string{"put 07 full"}, opsOf(s.takeOps(nil)), "the whole message is stored before PUBREC")
	assert.Zero(t, s.received(msg2(7, "m"), a, time.Time{}), "a re-sent PUBLISH before PUBREL is a duplicate")
	assert.Empty(t, s.takeOps(nil))

	assert.Nil(t, s.delivered(f, nil, live.live), "no PUBCOMP before PUBREL")
	assert.Equal(t, []string{"put 07 id"}, opsOf(s.takeOps(nil)), "after the handler only the id stays")
	assert.Zero(t, s.received(msg2(7, "m"), a, time.Time{}), "still a duplicate until PUBREL")

	m, g := s.pubrel(7)
	assert.Nil(t, m, "delivered on PUBLISH: the PUBREL event carries no message")
	assert.Equal(t, f, g)
	assert.Same(t, a, s.pubrelDone(g, a, live.live), "PUBCOMP on the PUBREL's connection")
	assert.Equal(t, []string{"del 07"}, opsOf(s.takeOps(nil)))
	b := new(conn)
	assert.Zero(t, s.received(msg2(7, "again"), b, time.Time{}),
		"on another connection, a PUBLISH with the id is a re-send until the PUBCOMP is written")
	assert.Zero(t, s.received(msg2(7, "early"), a, time.Time{}),
		"before the PUBCOMP's write began the broker cannot have it: not a new message")
	s.compWriting(7, a)
	assert.NotZero(t, s.received(msg2(7, "new"), a, time.Time{}),
		"on the PUBCOMP's connection the broker reuses the id only after it has the PUBCOMP: a new message")
	assert.Equal(t, []string{"put 07 full"}, opsOf(s.takeOps(nil)))
	s.compWritten(7, a)
	assert.Contains(t, s.in, uint16(7), "the old PUBCOMP written does not end the new flow")
}

// TestDefectIDReusedBeforePubcompNoted pins a loss: the broker gets our
// PUBCOMP and at once sends a new message with the same identifier,
// which the reader may read before the writer has noted the PUBCOMP as
// written; that message was taken for a re-send and never delivered.
func TestDefectIDReusedBeforePubcompNoted(t *testing.T) {
	s := newSession(false, 20)
	a := new(conn)
	live := liveSet{a: true}
	f := s.received(msg2(9, "first"), a, time.Time{})
	require.NotZero(t, f.gen)
	s.delivered(f, nil, live.live)
	_, g := s.pubrel(9)
	require.Same(t, a, s.pubrelDone(g, a, live.live))
	// PUBCOMP being written on a, its write not yet noted as done.
	s.compWriting(9, a)
	second := s.received(msg2(9, "second"), a, time.Time{})
	require.NotZero(t, second.gen, "a new message with the identifier was taken for a duplicate")
	assert.Equal(t, "second", string(s.in[9].msg.Payload))
}

func TestSessionInboundPubrelBeforeHandlerReturned(t *testing.T) {
	s := newSession(false, 20)
	a := new(conn)
	live := liveSet{a: true}
	f := s.received(msg2(3, "m"), a, time.Time{})
	s.takeOps(nil)

	_, g := s.pubrel(3)
	assert.Nil(t, s.pubrelDone(g, a, live.live), "no PUBCOMP while the handler runs")
	assert.Empty(t, s.takeOps(nil), "the message stays stored while the handler runs")
	assert.Same(t, a, s.delivered(f, nil, live.live), "PUBCOMP once the handler returned")
	assert.Equal(t, []string{"del 03"}, opsOf(s.takeOps(nil)))
}

func TestSessionInboundReleasedBeforeItsEventRan(t *testing.T) {
	s := newSession(false, 20)
	a := new(conn)
	live := liveSet{a: true}
	f := s.received(msg2(3, "m"), a, time.Time{})
	s.takeOps(nil)
	_, g := s.pubrel(3) // read; its event runs after the PUBLISH's
	assert.Nil(t, s.delivered(f, nil, live.live))
	assert.Equal(t, []string{"del 03"}, opsOf(s.takeOps(nil)), "released: the record goes at once")
	assert.Same(t, a, s.pubrelDone(g, a, live.live))
	assert.Empty(t, s.takeOps(nil), "deleted once")
}

func TestSessionInboundDeliverOnPubrel(t *testing.T) {
	s := newSession(true, 20)
	a, b := new(conn), new(conn)
	live := liveSet{a: true}

	f := s.received(msg2(9, "m"), a, time.Time{})
	require.NotZero(t, f.gen)
	assert.False(t, s.in[9].queued, "held until PUBREL")
	assert.Equal(t, []string{"put 09 full"}, opsOf(s.takeOps(nil)))

	m, g := s.pubrel(9)
	require.NotNil(t, m)
	assert.Equal(t, "m", string(m.Payload))
	assert.Equal(t, f, g)
	assert.Empty(t, s.takeOps(nil), "the store keeps the message until the handler returned")

	// The connection drops; the broker sends PUBREL again on the next
	// one while the first PUBREL's handler still runs.
	live[a], live[b] = false, true
	m2, g2 := s.pubrel(9)
	assert.Nil(t, m2, "delivered once")
	assert.Nil(t, s.pubrelDone(g2, b, live.live), "PUBCOMP waits for the handler")
	assert.Same(t, b, s.delivered(g, a, live.live), "PUBCOMP on the connection that is up")
	assert.Equal(t, []string{"del 09"}, opsOf(s.takeOps(nil)))
}

func TestSessionInboundConnectedAfterRestart(t *testing.T) {
	for _, onPubrel := range []bool{false, true} {
		s := newSession(onPubrel, 20)
		s.load([]Inbound{
			{ID: 2, Message: msg2(2, "later"), Received: time.Unix(20, 0)},
			{ID: 5},
			{ID: 8, Message: msg2(8, "earlier"), Received: time.Unix(10, 0)},
		})
		due := s.inboundConnected(true)
		if onPubrel {
			assert.Empty(t, due, "held messages wait for the broker's PUBREL")
			m, f := s.pubrel(8)
			require.NotNil(t, m)
			assert.Equal(t, "earlier", string(m.Payload))
			assert.True(t, s.in[f.id].queued)
		} else {
			require.Len(t, due, 2, "messages whose handler did not return are delivered again")
			assert.Equal(t, "earlier", string(due[0].msg.Payload), "in arrival order")
			assert.Equal(t, "later", string(due[1].msg.Payload))
			assert.Empty(t, s.inboundConnected(true), "queued once")
		}
		assert.Zero(t, s.received(msg2(5, "dup"), new(conn), time.Time{}), "a loaded id is known")
		assert.Empty(t, s.takeOps(nil))
	}
}

func TestSessionInboundSessionLost(t *testing.T) {
	s := newSession(true, 20)
	a := new(conn)
	live := liveSet{a: true}
	s.load([]Inbound{{ID: 1, Message: msg2(1, "held")}, {ID: 4}})
	s.received(msg2(6, "m"), a, time.Time{})
	_, running := s.pubrel(6)
	s.takeOps(nil)

	due := s.inboundConnected(false)
	require.Len(t, due, 1, "an acknowledged message is delivered even though no PUBREL will come")
	assert.Equal(t, "held", string(due[0].msg.Payload))
	assert.Equal(t, []string{"del 04"}, opsOf(s.takeOps(nil)), "ids of the lost session go")
	assert.Nil(t, s.delivered(due[0].flow, nil, live.live), "no PUBCOMP for a lost session")
	assert.Nil(t, s.delivered(running, a, live.live), "nor for a flow running when it was lost")
	assert.ElementsMatch(t, []string{"del 01", "del 06"}, opsOf(s.takeOps(nil)))
	assert.Empty(t, s.in)
}

func TestSessionInboundPubcompNeverWritten(t *testing.T) {
	s := newSession(false, 20)
	a, b := new(conn), new(conn)
	live := liveSet{a: true}
	f := s.received(msg2(5, "m"), a, time.Time{})
	s.delivered(f, nil, live.live)
	_, g := s.pubrel(5)
	require.Same(t, a, s.pubrelDone(g, a, live.live))
	s.takeOps(nil)

	// a drops before the PUBCOMP is written; the broker re-sends the
	// PUBLISH instead of the PUBREL (Mosquitto 2.0.11).
	live[a], live[b] = false, true
	assert.Empty(t, s.inboundConnected(true))
	s.compWritten(5, a) // a write that raced the loss counts for nothing now
	assert.Zero(t, s.received(msg2(5, "m"), b, time.Time{}), "the re-sent PUBLISH is a duplicate")
	_, g = s.pubrel(5)
	assert.Same(t, b, s.pubrelDone(g, b, live.live))
	s.compWritten(5, b)
	assert.Empty(t, s.in)
}

func TestSessionInboundPubrelUnknown(t *testing.T) {
	s := newSession(false, 20)
	a := new(conn)
	live := liveSet{}
	m, f := s.pubrel(11)
	assert.Nil(t, m)
	assert.Zero(t, f)
	assert.Nil(t, s.pubrelDone(flowRef{}, a, live.live), "no PUBCOMP on a dead connection")
	live[a] = true
	assert.Same(t, a, s.pubrelDone(flowRef{}, a, live.live), "an unknown id is answered with PUBCOMP")
	assert.Empty(t, s.takeOps(nil))
}

func TestQuota(t *testing.T) {
	q := newQuota(2)
	require.True(t, q.tryTake())
	require.True(t, q.tryTake())
	assert.False(t, q.tryTake(), "full at the limit")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, q.take(ctx, nil), context.Canceled, "a full quota waits until ctx ends")
	done := make(chan struct{})
	close(done)
	assert.ErrorIs(t, q.take(context.Background(), done), ErrClosed)

	// A waiter gets the slot a finished flow gives back.
	got := make(chan error, 2)
	go func() { got <- q.take(context.Background(), nil) }()
	q.give()
	require.NoError(t, <-got)
	assert.Equal(t, 2, q.inUse())

	// Two waiters, and the limit grows by two: both go.
	go func() { got <- q.take(context.Background(), nil) }()
	go func() { got <- q.take(context.Background(), nil) }()
	assert.True(t, q.set(4))
	require.NoError(t, <-got)
	require.NoError(t, <-got)
	assert.Equal(t, 4, q.inUse())

	// Lowered below what is in use: the slots come back as flows end.
	assert.False(t, q.set(1))
	assert.True(t, q.over())
	q.give()
	q.give()
	assert.True(t, q.over())
	q.give()
	assert.False(t, q.over())
	assert.False(t, q.tryTake(), "at the lowered limit")
	q.set(0)
	assert.Equal(t, 1, q.max, "the limit is at least 1")
}

func TestSessionNextID(t *testing.T) {
	s := newSession(false, 20)
	s.lastID = 65534
	id, err := s.nextID()
	require.NoError(t, err)
	assert.Equal(t, uint16(65535), id)
	s.pending[1] = &pending{}
	id, err = s.nextID()
	require.NoError(t, err)
	assert.Equal(t, uint16(2), id, "0 is never an id, and used ids are skipped")
	for i := 1; i <= 65535; i++ {
		s.pending[uint16(i)] = &pending{}
	}
	_, err = s.nextID()
	assert.ErrorIs(t, err, ErrNoPacketID)
}

func TestSessionHeldAndOrder(t *testing.T) {
	s := newSession(false, 20)
	flow := func(id uint16, seq uint64) *pending {
		p := &pending{kind: message.PUBLISH, seq: seq, msg: message.Message{PacketID: id}}
		s.pending[id] = p
		return p
	}
	a, b, c := flow(3, 30), flow(1, 10), flow(2, 20)
	assert.Equal(t, []*pending{b, c, a}, s.inOrder(), "send order, not id order")

	s.held = []*pending{b, c, a}
	c.retiring = true // acknowledged meanwhile
	delete(s.pending, 1)
	assert.Same(t, a, s.popHeld(), "flows that ended are skipped")
	assert.Nil(t, s.popHeld())
}

func TestSessionSubscriptions(t *testing.T) {
	s := newSession(false, 20)
	s.addSub(message.Subscription{Filter: "a/#", QoS: message.QoS1})
	s.addSub(message.Subscription{Filter: "b", QoS: message.QoS0})
	s.addSub(message.Subscription{Filter: "a/#", QoS: message.QoS2})
	assert.Equal(t, []message.Subscription{{Filter: "a/#", QoS: message.QoS2}, {Filter: "b", QoS: message.QoS0}}, s.subs, "a filter subscribed again keeps its place")
	s.dropSubs([]string{"a/#", "c"})
	assert.Equal(t, []message.Subscription{{Filter: "b", QoS: message.QoS0}}, s.subs)
}

func TestSessionConnected(t *testing.T) {
	setup := func() (*session, map[string]*pending) {
		s := newSession(false, 20)
		s.addSub(message.Subscription{Filter: "a/#", QoS: message.QoS1})
		f := map[string]*pending{}
		add := func(name string, id uint16, seq uint64, edit func(p *pending)) {
			p := &pending{kind: message.PUBLISH, seq: seq, msg: message.Message{PacketID: id, QoS: message.QoS2}, windowed: true}
			p.written.Store(true)
			edit(p)
			s.pending[id] = p
			f[name] = p
		}
		add("released", 4, 1, func(p *pending) { p.released = true })
		add("sent", 2, 2, func(p *pending) {})
		add("held", 3, 3, func(p *pending) { p.windowed = false })
		add("storing", 1, 4, func(p *pending) { p.storing = true })
		s.pending[9] = &pending{kind: message.SUBSCRIBE, seq: 5}
		return s, f
	}

	s, f := setup()
	r := s.connected(true)
	assert.Equal(t, []*pending{f["released"], f["sent"]}, r.resend, "PUBREL and PUBLISH again, in send order; held and storing flows are sent by others")
	assert.Empty(t, r.done)
	assert.Nil(t, r.renew, "the broker kept the subscriptions")
	assert.True(t, f["sent"].written.Load(), "re-sent with DUP")

	s, f = setup()
	r = s.connected(false)
	assert.Equal(t, []*pending{f["sent"]}, r.resend)
	assert.Equal(t, []*pending{f["released"]}, r.done, "the broker took the message at PUBREC")
	assert.False(t, f["sent"].written.Load(), "a new publish to a broker that forgot it")
	assert.Equal(t, []message.Subscription{{Filter: "a/#", QoS: message.QoS1}}, r.renew)
	assert.True(t, s.renewSubs)

	// The renewal was cut short: done again even with a session present.
	r = s.connected(true)
	assert.Equal(t, []message.Subscription{{Filter: "a/#", QoS: message.QoS1}}, r.renew)
}

func TestSessionAcks(t *testing.T) {
	s := newSession(false, 20)
	s.pending[1] = &pending{kind: message.PUBLISH, msg: message.Message{PacketID: 1, QoS: message.QoS1}}
	s.pending[2] = &pending{kind: message.PUBLISH, msg: message.Message{PacketID: 2, QoS: message.QoS2}}
	s.pending[3] = &pending{kind: message.SUBSCRIBE}
	s.pending[4] = &pending{kind: message.PUBLISH, msg: message.Message{PacketID: 4, QoS: message.QoS1}, retiring: true}
	tests := []struct {
		name string
		id   uint16
		qos  message.QoS // 1: PUBACK, 2: PUBCOMP
		ok   bool
		bad  string
	}{
		{"PUBACK for QoS 1", 1, message.QoS1, true, ""},
		{"PUBCOMP for QoS 1", 1, message.QoS2, false, "the publish has QoS 1"},
		{"PUBACK for QoS 2", 2, message.QoS1, false, "the publish has QoS 2"},
		{"PUBCOMP before PUBREC", 2, message.QoS2, false, "no PUBREC came before it"},
		{"PUBACK for a subscription", 3, message.QoS1, false, "the identifier is a SUBSCRIBE's"},
		{"no flow", 9, message.QoS1, false, ""},
		{"a flow already acknowledged", 4, message.QoS1, false, ""},
	}
	for _, tt := range tests {
		p, bad := s.acked(tt.id, tt.qos)
		assert.Equal(t, tt.ok, p != nil, tt.name)
		assert.Equal(t, tt.bad, bad, tt.name)
	}

	p, rec, bad := s.pubrec(2)
	require.Empty(t, bad)
	assert.Same(t, s.pending[2], p)
	require.NotNil(t, rec, "the released state is stored once")
	assert.True(t, rec.Released)
	_, rec, _ = s.pubrec(2)
	assert.Nil(t, rec, "a PUBREC again stores nothing")
	p, _ = s.acked(2, message.QoS2)
	assert.NotNil(t, p, "PUBCOMP after PUBREC completes the flow")
	_, _, bad = s.pubrec(1)
	assert.Equal(t, "the identifier is not a QoS 2 publish's", bad)
	p, rec, bad = s.pubrec(9)
	assert.True(t, p == nil && rec == nil && bad == "", "an unknown id gets PUBREL and nothing else")
}

func TestSessionLost(t *testing.T) {
	s := newSession(false, 20)
	sub := &pending{kind: message.SUBSCRIBE}
	s.pending[1] = sub
	s.pending[2] = &pending{kind: message.UNSUBSCRIBE, retiring: true}
	s.pending[3] = &pending{kind: message.PUBLISH}
	assert.Equal(t, []*pending{sub}, s.lost(), "subscriptions in flight end; publishes wait for the resend")
}

// BenchmarkSessionInboundQoS2 is the session's share of one inbound
// QoS 2 message delivered on PUBLISH: PUBLISH, handler returned, PUBREL,
// PUBCOMP written, with the store writes on a MemoryStore.
func BenchmarkSessionInboundQoS2(b *testing.B) {
	s := newSession(false, 20)
	store := NewMemoryStore()
	cn := new(conn)
	live := func(*conn) bool { return true }
	var spare []storeOp
	flush := func() {
		ops := s.takeOps(spare)
		for _, op := range ops {
			if op.del {
				store.DeleteInbound(op.in.ID)
			} else {
				store.PutInbound(op.in)
			}
		}
		clear(ops)
		spare = ops[:0]
	}
	m := msg2(0, "payload")
	b.ReportAllocs()
	for i := range b.N {
		m.PacketID = uint16(i%65535) + 1
		f := s.received(m, cn, time.Time{})
		flush()
		s.delivered(f, nil, live)
		flush()
		_, g := s.pubrel(m.PacketID)
		s.pubrelDone(g, cn, live)
		flush()
		s.compWritten(m.PacketID, cn)
	}
}

func TestSessionAddPublish(t *testing.T) {
	s := newSession(false, 20)
	s.seq = 7 // loaded from the store
	a := &pending{kind: message.PUBLISH, msg: message.Message{PacketID: 5}}
	b := &pending{kind: message.PUBLISH, msg: message.Message{PacketID: 2}}
	s.addPublish(a)
	s.addPublish(b)
	assert.Equal(t, uint64(8), a.seq)
	assert.Equal(t, uint64(9), b.seq, "numbered in the order added, after the stored ones")
	assert.Same(t, a, s.pending[5])
	assert.Equal(t, []*pending{a, b}, s.inOrder())
}
