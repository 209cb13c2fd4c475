package client

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

func qos0Event(q *eventQueue, b byte) *inbound {
	e := q.get()
	e.ev.Message = &message.Message{Payload: []byte{b}}
	e.qos0 = true
	return e
}

func qos1Event(q *eventQueue, b byte) *inbound {
	e := q.get()
	e.ev.Message = &message.Message{Payload: []byte{b}, QoS: message.QoS1}
	return e
}

// drain pops every event, finishing each, and returns their payloads.
func drain(q *eventQueue) []byte {
	var got []byte
	for e := q.pop(); e != nil; e = q.pop() {
		got = append(got, e.ev.Message.Payload[0])
		q.done(e)
		q.put(e)
	}
	return got
}

// TestEventQueueBound checks the counts behind the inbound bound: which
// messages each drop policy keeps, when the reader may read on, and that
// every slot comes back.
func TestEventQueueBound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  DropPolicy
		push    string // 0: QoS 0 message, 1: QoS 1 message
		want    []byte // payloads popped, in order
		dropped int
		room    bool // room for the next packet after the pushes
	}{
		{"newest", DropNewest, "000000", []byte{0, 1, 2}, 3, true},
		{"oldest", DropOldest, "000000", []byte{3, 4, 5}, 3, true},
		{"never", DropNever, "000000", []byte{0, 1, 2, 3, 4, 5}, 0, false},
		{"QoS 1 past the bound", DropNewest, "1111", []byte{0, 1, 2, 3}, 0, false},
		{"oldest spares QoS 1", DropOldest, "10100", []byte{0, 2, 4}, 2, true},
		{"QoS 0 after QoS 1 past the bound", DropOldest, "00010", []byte{1, 2, 3, 4}, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newEventQueue(3, tc.policy)
			dropped := 0
			for i, k := range tc.push {
				e := qos0Event(q, byte(i))
				if k == '1' {
					q.put(e)
					e = qos1Event(q, byte(i))
				}
				if !q.push(e) {
					dropped++
				}
			}
			ok, _ := q.room(false)
			assert.Equal(t, tc.room, ok, "room")
			assert.Equal(t, tc.dropped, dropped, "dropped")
			assert.Equal(t, tc.want, drain(q))
			assert.Zero(t, q.messages(), "slots left")
			ok, _ = q.room(false)
			assert.True(t, ok)
		})
	}
}

// TestEventQueueWake: the reader waiting for room is woken when a slot
// frees, and when a handler starts waiting for an acknowledgement (the
// bound doubles).
func TestEventQueueWake(t *testing.T) {
	q := newEventQueue(1, DropNewest)
	require.True(t, q.push(qos1Event(q, 0)))
	require.True(t, q.push(qos1Event(q, 1)))
	ok, wake := q.room(true)
	require.False(t, ok)
	q.waitStart()
	select {
	case <-wake:
	default:
		require.Fail(t, "not woken by a waiting handler")
	}
	ok, _ = q.room(true)
	assert.True(t, ok, "bound doubled while a handler waits")
	ok, _ = q.room(false)
	assert.False(t, ok, "no handler runs: the bound stays")
	q.waitEnd()
	ok, wake = q.room(true)
	require.False(t, ok)
	e := q.pop()
	q.done(e)
	select {
	case <-wake:
	default:
		require.Fail(t, "not woken by a freed slot")
	}
	ok, _ = q.room(true)
	assert.True(t, ok)
	q.hold(2)
	ok, _ = q.room(false)
	assert.False(t, ok, "held messages count")
	q.release(2)
	ok, _ = q.room(false)
	assert.True(t, ok)
}
