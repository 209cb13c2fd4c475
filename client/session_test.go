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
	require.NotNil(t, f)
	assert.Equal(t, []string{"put 07 full"}, opsOf(s.takeOps()), "the whole message is stored before PUBREC")
	assert.Nil(t, s.received(msg2(7, "m"), a, time.Time{}), "a re-sent PUBLISH before PUBREL is a duplicate")
	assert.Empty(t, s.takeOps())

	assert.Nil(t, s.delivered(f, nil, live.live), "no PUBCOMP before PUBREL")
	assert.Equal(t, []string{"put 07 id"}, opsOf(s.takeOps()), "after the handler only the id stays")
	assert.Nil(t, s.received(msg2(7, "m"), a, time.Time{}), "still a duplicate until PUBREL")

	m, g := s.pubrel(7)
	assert.Nil(t, m, "delivered on PUBLISH: the PUBREL event carries no message")
	assert.Same(t, f, g)
	assert.Same(t, a, s.pubrelDone(g, a, live.live), "PUBCOMP on the PUBREL's connection")
	assert.Equal(t, []string{"del 07"}, opsOf(s.takeOps()))
	b := new(conn)
	assert.Nil(t, s.received(msg2(7, "again"), b, time.Time{}),
		"on another connection, a PUBLISH with the id is a re-send until the PUBCOMP is written")
	assert.Nil(t, s.received(msg2(7, "early"), a, time.Time{}),
		"before the PUBCOMP's write began the broker cannot have it: not a new message")
	s.compWriting(7, a)
	assert.NotNil(t, s.received(msg2(7, "new"), a, time.Time{}),
		"on the PUBCOMP's connection the broker reuses the id only after it has the PUBCOMP: a new message")
	assert.Equal(t, []string{"put 07 full"}, opsOf(s.takeOps()))
	s.compWritten(7, a)
	assert.NotNil(t, s.in[7], "the old PUBCOMP written does not end the new flow")
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
	require.NotNil(t, f)
	s.delivered(f, nil, live.live)
	_, g := s.pubrel(9)
	require.Same(t, a, s.pubrelDone(g, a, live.live))
	// PUBCOMP being written on a, its write not yet noted as done.
	s.compWriting(9, a)
	second := s.received(msg2(9, "second"), a, time.Time{})
	require.NotNil(t, second, "a new message with the identifier was taken for a duplicate")
	assert.Equal(t, "second", string(second.msg.Payload))
}

func TestSessionInboundPubrelBeforeHandlerReturned(t *testing.T) {
	s := newSession(false, 20)
	a := new(conn)
	live := liveSet{a: true}
	f := s.received(msg2(3, "m"), a, time.Time{})
	s.takeOps()

	_, g := s.pubrel(3)
	assert.Nil(t, s.pubrelDone(g, a, live.live), "no PUBCOMP while the handler runs")
	assert.Empty(t, s.takeOps(), "the message stays stored while the handler runs")
	assert.Same(t, a, s.delivered(f, nil, live.live), "PUBCOMP once the handler returned")
	assert.Equal(t, []string{"del 03"}, opsOf(s.takeOps()))
}

func TestSessionInboundReleasedBeforeItsEventRan(t *testing.T) {
	s := newSession(false, 20)
	a := new(conn)
	live := liveSet{a: true}
	f := s.received(msg2(3, "m"), a, time.Time{})
	s.takeOps()
	_, g := s.pubrel(3) // read; its event runs after the PUBLISH's
	assert.Nil(t, s.delivered(f, nil, live.live))
	assert.Equal(t, []string{"del 03"}, opsOf(s.takeOps()), "released: the record goes at once")
	assert.Same(t, a, s.pubrelDone(g, a, live.live))
	assert.Empty(t, s.takeOps(), "deleted once")
}

func TestSessionInboundDeliverOnPubrel(t *testing.T) {
	s := newSession(true, 20)
	a, b := new(conn), new(conn)
	live := liveSet{a: true}

	f := s.received(msg2(9, "m"), a, time.Time{})
	require.NotNil(t, f)
	assert.False(t, f.queued, "held until PUBREL")
	assert.Equal(t, []string{"put 09 full"}, opsOf(s.takeOps()))

	m, g := s.pubrel(9)
	require.NotNil(t, m)
	assert.Equal(t, "m", string(m.Payload))
	assert.Same(t, f, g)
	assert.Empty(t, s.takeOps(), "the store keeps the message until the handler returned")

	// The connection drops; the broker sends PUBREL again on the next
	// one while the first PUBREL's handler still runs.
	live[a], live[b] = false, true
	m2, g2 := s.pubrel(9)
	assert.Nil(t, m2, "delivered once")
	assert.Nil(t, s.pubrelDone(g2, b, live.live), "PUBCOMP waits for the handler")
	assert.Same(t, b, s.delivered(g, a, live.live), "PUBCOMP on the connection that is up")
	assert.Equal(t, []string{"del 09"}, opsOf(s.takeOps()))
}

func TestSessionInboundConnectedAfterRestart(t *testing.T) {
	for _, onPubrel := range []bool{false, true} {
		s := newSession(onPubrel, 20)
		s.load([]Inbound{
			{ID: 2, Message: msg2(2, "later"), Received: time.Unix(20, 0)},
			{ID: 5},
			{ID: 8, Message: msg2(8, "earlier"), Received: time.Unix(10, 0)},
		})
		due := s.connected(true)
		if onPubrel {
			assert.Empty(t, due, "held messages wait for the broker's PUBREL")
			m, f := s.pubrel(8)
			require.NotNil(t, m)
			assert.Equal(t, "earlier", string(m.Payload))
			assert.True(t, f.queued)
		} else {
			require.Len(t, due, 2, "messages whose handler did not return are delivered again")
			assert.Equal(t, "earlier", string(due[0].msg.Payload), "in arrival order")
			assert.Equal(t, "later", string(due[1].msg.Payload))
			assert.Empty(t, s.connected(true), "queued once")
		}
		assert.Nil(t, s.received(msg2(5, "dup"), new(conn), time.Time{}), "a loaded id is known")
		assert.Empty(t, s.takeOps())
	}
}

func TestSessionInboundSessionLost(t *testing.T) {
	s := newSession(true, 20)
	a := new(conn)
	live := liveSet{a: true}
	s.load([]Inbound{{ID: 1, Message: msg2(1, "held")}, {ID: 4}})
	s.received(msg2(6, "m"), a, time.Time{})
	_, running := s.pubrel(6)
	s.takeOps()

	due := s.connected(false)
	require.Len(t, due, 1, "an acknowledged message is delivered even though no PUBREL will come")
	assert.Equal(t, "held", string(due[0].msg.Payload))
	assert.Equal(t, []string{"del 04"}, opsOf(s.takeOps()), "ids of the lost session go")
	assert.Nil(t, s.delivered(due[0], nil, live.live), "no PUBCOMP for a lost session")
	assert.Nil(t, s.delivered(running, a, live.live), "nor for a flow running when it was lost")
	assert.ElementsMatch(t, []string{"del 01", "del 06"}, opsOf(s.takeOps()))
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
	s.takeOps()

	// a drops before the PUBCOMP is written; the broker re-sends the
	// PUBLISH instead of the PUBREL (Mosquitto 2.0.11).
	live[a], live[b] = false, true
	assert.Empty(t, s.connected(true))
	s.compWritten(5, a) // a write that raced the loss counts for nothing now
	assert.Nil(t, s.received(msg2(5, "m"), b, time.Time{}), "the re-sent PUBLISH is a duplicate")
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
	assert.Nil(t, f)
	assert.Nil(t, s.pubrelDone(nil, a, live.live), "no PUBCOMP on a dead connection")
	live[a] = true
	assert.Same(t, a, s.pubrelDone(nil, a, live.live), "an unknown id is answered with PUBCOMP")
	assert.Empty(t, s.takeOps())
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
