package client_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/client"
	"github.com/onmqtt/onmqtt/internal/peer"
	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/router"
)

// floodPending and floodPacket are the bound the flood tests run with.
const (
	floodPending = 100
	floodPacket  = 8 << 10
	// eventCost is a generous upper bound on what one queued event
	// costs besides its packet's bytes (the event, the message copy).
	eventCost = 2 << 10
	// fixedCost covers the connection's buffers and goroutines and the
	// test's own measuring noise.
	fixedCost = 4 << 20
)

// inboundBound is the documented bound on inbound memory for max pending
// messages of at most packet bytes: twice max messages (the bound
// doubles while a handler waits for an acknowledgement), plus max small
// events, plus fixed state.
func inboundBound(max, packet int) uint64 {
	return uint64(2*(max+1)*(packet+eventCost) + (max+1)*eventCost + fixedCost)
}

// heapNow returns the live heap after a collection.
func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// flood is one hostile or buggy broker behaviour: the bytes it sends,
// which events a slow handler blocks on, and what must have happened
// once the handler is released.
type flood struct {
	name    string
	opts    []client.Option
	n       int                         // packets in the flood
	packet  func(i int) message.Packet  // the i-th packet
	block   message.Type                // event type whose first handler call blocks
	acks    message.Type                // what the client answers each packet with, 0 for nothing
	stalled func(st client.Stats) bool  // the reader has stopped at the bound
	after   func(t *testing.T, ran int) // checks once released; ran counts block events
	noDrain bool                        // the flood cannot drain (nothing releases it)
}

func floods() []flood {
	kib := bytes.Repeat([]byte{'x'}, 1<<10)
	kib4 := bytes.Repeat([]byte{'y'}, 4<<10)
	queueFull := func(st client.Stats) bool { return st.Pending >= floodPending-1 }
	return []flood{
		{
			name:    "PINGRESP",
			n:       200_000,
			packet:  func(int) message.Packet { return &message.Pingresp{} },
			block:   message.PINGRESP,
			stalled: queueFull,
			after: func(t *testing.T, ran int) {
				assert.Equal(t, 200_000, ran, "every PINGRESP event ran its handler")
			},
		},
		{
			name:    "stray PUBACK",
			n:       50_000,
			packet:  func(i int) message.Packet { return &message.Puback{PacketID: uint16(i%65535 + 1)} },
			block:   message.PUBACK,
			stalled: queueFull,
			after: func(t *testing.T, ran int) {
				assert.Equal(t, 50_000, ran, "every stray PUBACK event ran its handler")
			},
		},
		{
			name: "QoS 1 x 1 KiB",
			n:    50_000,
			packet: func(i int) message.Packet {
				return &message.Publish{Message: message.Message{Topic: "flood/q1", Payload: kib, QoS: message.QoS1, PacketID: uint16(i%65535 + 1)}}
			},
			block:   message.PUBLISH,
			acks:    message.PUBACK,
			stalled: queueFull,
			after: func(t *testing.T, ran int) {
				assert.Equal(t, 50_000, ran, "every QoS 1 message delivered")
			},
		},
		{
			name: "duplicate QoS 2",
			n:    50_000,
			packet: func(i int) message.Packet {
				return &message.Publish{Message: message.Message{Topic: "flood/q2", Payload: kib, QoS: message.QoS2, PacketID: 7, Dup: i > 0}}
			},
			block:   message.PUBLISH,
			acks:    message.PUBREC,
			stalled: queueFull,
			after: func(t *testing.T, ran int) {
				assert.Equal(t, 50_000, ran, "every PUBLISH event ran")
			},
		},
		{
			name: "held QoS 2 never released",
			opts: []client.Option{client.WithDeliverOnPubrel()},
			n:    30_000,
			packet: func(i int) message.Packet {
				return &message.Publish{Message: message.Message{Topic: "flood/held", Payload: kib4, QoS: message.QoS2, PacketID: uint16(i + 1)}}
			},
			acks:    message.PUBREC,
			stalled: func(st client.Stats) bool { return st.Inbound >= floodPending },
			noDrain: true,
		},
	}
}

// TestDefect12Flood sends each flood with a handler that blocks: the
// reader stops at the bound (TCP backpressure) instead of queueing the
// flood, the heap grows less than the documented bound, and once the
// handler is released everything is delivered and acknowledged.
func TestDefect12Flood(t *testing.T) {
	for _, f := range floods() {
		t.Run(f.name, func(t *testing.T) {
			var wire bytes.Buffer
			for i := range f.n {
				b, err := f.packet(i).Append(nil, message.V311)
				require.NoError(t, err)
				wire.Write(b)
			}
			raw := wire.Bytes()

			r := router.New()
			gate := make(chan struct{})
			var ran, delivered atomic.Int64
			if f.block != 0 {
				_, err := r.On(f.block, func(e *router.Event) {
					if ran.Add(1) == 1 {
						<-gate
					}
					if e.Message != nil {
						delivered.Add(1)
					}
				}, nil, 0)
				require.NoError(t, err)
			}
			p := peer.Open(t)
			p.SetTimeout(3 * waitLimit)
			opts := append([]client.Option{client.WithKeepAlive(0), client.WithRouter(r),
				client.WithMaxPending(floodPending), client.WithMaxPacketSize(floodPacket)}, f.opts...)
			c := newClient(t, opts...)
			peerConnect(t, p, c, false)

			acked := make(chan int, 1)
			if f.acks != 0 {
				go func() {
					n := 0
					for n < f.n {
						pk, err := p.ReadPacket()
						if err != nil {
							break
						}
						if pk.Type() == f.acks {
							n++
						}
					}
					acked <- n
				}()
			}
			nc, err := p.Conn()
			require.NoError(t, err)
			before := heapNow()
			wrote := make(chan error, 1)
			go func() {
				nc.SetWriteDeadline(time.Now().Add(3 * waitLimit))
				_, err := nc.Write(raw)
				wrote <- err
			}()

			require.Eventually(t, func() bool { return f.stalled(c.Stats()) }, waitLimit, time.Millisecond, "the queue fills")
			time.Sleep(100 * time.Millisecond) // let a reader that does not stop run on
			st := c.Stats()
			after := heapNow()
			bound := inboundBound(floodPending, floodPacket)
			growth := int64(after) - int64(before)
			t.Logf("%s: %d packets (%d bytes): heap %d -> %d (%+d bytes), bound %d; pending %d, inbound %d, received %d",
				f.name, f.n, len(raw), before, after, growth, bound, st.Pending, st.Inbound, totalReceived(st))
			assert.Less(t, growth, int64(bound), "heap growth under the bound")
			assert.LessOrEqual(t, st.Pending, floodPending+1, "events queued")
			assert.LessOrEqual(t, st.Inbound, floodPending+1, "messages held")
			assert.Less(t, totalReceived(st), uint64(f.n), "the reader stopped before the end of the flood")

			if f.noDrain {
				return
			}
			close(gate)
			require.NoError(t, <-wrote)
			require.Eventually(t, func() bool { return ran.Load() == int64(f.n) }, 3*waitLimit, time.Millisecond)
			f.after(t, int(ran.Load()))
			if f.acks != 0 {
				assert.Equal(t, f.n, <-acked, "every packet acknowledged")
			}
			if f.name == "duplicate QoS 2" {
				assert.Equal(t, int64(1), delivered.Load(), "the message delivered once")
				assert.Equal(t, uint64(f.n-1), c.Stats().Duplicates)
			}
		})
	}
}

func totalReceived(st client.Stats) uint64 {
	var n uint64
	for _, v := range st.Received {
		n += v
	}
	return n
}

// TestDefect12SlowDrip: with keepalive off, a PUBLISH that declares a
// large body and trickles it one byte at a time ends the connection with
// ErrPacketTimeout once PacketTimeout has passed since its first byte.
func TestDefect12SlowDrip(t *testing.T) {
	p := peer.Open(t)
	lost, errs := lostRecorder()
	c := newClient(t, client.WithKeepAlive(0), client.WithPacketTimeout(500*time.Millisecond), lost)
	peerConnect(t, p, c, false)
	// PUBLISH QoS 0, remaining length 268,435,455 (the largest), then
	// one byte every 100 ms.
	require.NoError(t, p.Send([]byte{0x30, 0xff, 0xff, 0xff, 0x7f}))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if p.Send([]byte{0}) != nil {
					return
				}
			}
		}
	}()
	err := awaitErr(t, errs)
	assert.ErrorIs(t, err, client.ErrPacketTimeout)
	assert.False(t, c.IsConnected())
}

// TestPacketTimeoutIdle: the packet timeout never fires between packets:
// a connection idle for several timeouts stays up and delivers the next
// packet, also one that arrives in pieces within the timeout.
func TestPacketTimeoutIdle(t *testing.T) {
	p := peer.Open(t)
	lost, errs := lostRecorder()
	rec := newRecorder()
	r := router.New()
	_, err := r.On(message.PUBLISH, rec.handler(), nil, 0)
	require.NoError(t, err)
	c := newClient(t, client.WithKeepAlive(0), client.WithPacketTimeout(400*time.Millisecond), client.WithRouter(r), lost)
	peerConnect(t, p, c, false)
	time.Sleep(1300 * time.Millisecond) // idle for more than three timeouts
	b, err := (&message.Publish{Message: message.Message{Topic: "idle", Payload: []byte("ok")}}).Append(nil, message.V311)
	require.NoError(t, err)
	require.NoError(t, p.Send(b[:3]))
	time.Sleep(10 * time.Millisecond) // the rest well within the timeout
	require.NoError(t, p.Send(b[3:]))
	e := rec.next(t)
	assert.Equal(t, "idle", e.Msg.Topic)
	select {
	case err := <-errs:
		require.Failf(t, "connection lost", "%v", err)
	default:
	}
	assert.True(t, c.IsConnected())
}

// TestQoS0Policy checks the three drop policies with a handler blocked
// on the first message and MaxPending 3: DropNewest keeps the first
// messages, DropOldest the last, DropNever keeps all and stops reading.
func TestQoS0Policy(t *testing.T) {
	for _, tc := range []struct {
		policy  client.DropPolicy
		want    []string
		dropped uint64
	}{
		{client.DropNewest, []string{"0", "1", "2", "3"}, 6},
		{client.DropOldest, []string{"0", "7", "8", "9"}, 6},
		{client.DropNever, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, 0},
	} {
		t.Run(tc.policy.String(), func(t *testing.T) {
			r := router.New()
			gate, entered := make(chan struct{}), make(chan struct{})
			got := make(chan string, 16)
			_, err := r.On(message.PUBLISH, func(e *router.Event) {
				if string(e.Message.Payload) == "0" {
					close(entered)
					<-gate
				}
				got <- string(e.Message.Payload)
			}, nil, 0)
			require.NoError(t, err)
			p := peer.Open(t)
			c := newClient(t, client.WithKeepAlive(0), client.WithRouter(r), client.WithMaxPending(4), client.WithQoS0Policy(tc.policy))
			peerConnect(t, p, c, false)
			for i := range 10 {
				require.NoError(t, p.SendPacket(&message.Publish{Message: message.Message{Topic: "q0", Payload: []byte(fmt.Sprint(i))}}))
				if i == 0 {
					<-entered // the first message is in its handler, not queued
				}
			}
			// The reader has seen every message, or has stopped.
			require.Eventually(t, func() bool {
				st := c.Stats()
				return st.Received[message.PUBLISH] == 10 || tc.policy == client.DropNever && st.Inbound == 5
			}, waitLimit, time.Millisecond)
			if tc.policy == client.DropNever {
				time.Sleep(50 * time.Millisecond)
				assert.Less(t, c.Stats().Received[message.PUBLISH], uint64(10), "the reader waits for room")
			}
			close(gate)
			var seen []string
			for range tc.want {
				select {
				case s := <-got:
					seen = append(seen, s)
				case <-time.After(waitLimit):
					require.Failf(t, "not all delivered", "got %v, want %v", seen, tc.want)
				}
			}
			assert.Equal(t, tc.want, seen)
			assert.Equal(t, tc.dropped, c.Stats().Dropped)
		})
	}
}

// TestFloodHandlerWaits: a handler that publishes at QoS 1 and waits for
// the PUBACK while the queue is full is not deadlocked by the bound: the
// reader goes on while it waits.
func TestFloodHandlerWaits(t *testing.T) {
	r := router.New()
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithRouter(r), client.WithMaxPending(4))
	waited := make(chan error, 1)
	first := true
	_, err := r.On(message.PUBLISH, func(e *router.Event) {
		if !first {
			return
		}
		first = false
		ctx := testContext(t)
		tok, err := c.Publish(ctx, "reply", []byte("x"), message.QoS1)
		if err == nil {
			err = tok.Wait(ctx)
		}
		waited <- err
	}, nil, 0)
	require.NoError(t, err)
	peerConnect(t, p, c, false)
	for i := range 8 {
		require.NoError(t, p.SendPacket(&message.Publish{Message: message.Message{Topic: "in", QoS: message.QoS1, PacketID: uint16(i + 1)}}))
	}
	pub := p.Expect(t, message.PUBLISH).(*message.Publish)
	require.NoError(t, p.SendPacket(&message.Puback{PacketID: pub.PacketID}))
	select {
	case err := <-waited:
		require.NoError(t, err)
	case <-time.After(waitLimit):
		require.Fail(t, "the handler's wait for PUBACK never ended")
	}
	for i := range 8 {
		pk := p.Expect(t, message.PUBACK).(*message.Puback)
		assert.Equal(t, uint16(i+1), pk.PacketID)
	}
}

// TestStallKeepsKeepalive: while the reader waits for a slow handler it
// reads no PINGRESP; the keepalive must not take that for a dead broker.
// The connection outlives several ping timeouts of stall and delivers
// everything afterwards.
func TestStallKeepsKeepalive(t *testing.T) {
	gate := make(chan struct{})
	r := router.New()
	var ran atomic.Int32
	_, err := r.On(message.PUBLISH, func(e *router.Event) {
		if ran.Add(1) == 1 {
			<-gate
		}
	}, nil, 0)
	require.NoError(t, err)
	p := peer.Open(t)
	lost, errs := lostRecorder()
	c := newClient(t, client.WithKeepAlive(time.Second), client.WithPingTimeout(500*time.Millisecond),
		client.WithRouter(r), client.WithMaxPending(1), lost)
	peerConnect(t, p, c, false)
	for i := range 4 {
		peerSend(t, p, &message.Publish{Message: message.Message{Topic: "s", QoS: message.QoS1, PacketID: uint16(i + 1)}})
	}
	// Answer every PINGREQ; the answers wait unread in the socket.
	pingreqs := 0
	deadline := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(deadline) {
		p.SetTimeout(time.Until(deadline) + time.Millisecond)
		pk, err := p.ReadPacket()
		if err != nil {
			break
		}
		if pk.Type() == message.PINGREQ {
			pingreqs++
			peerSend(t, p, &message.Pingresp{})
		}
	}
	p.SetTimeout(peer.DefaultTimeout)
	select {
	case err := <-errs:
		require.Failf(t, "connection lost while the reader waited", "%v", err)
	default:
	}
	assert.GreaterOrEqual(t, pingreqs, 2, "PINGREQs kept going out")
	close(gate)
	var acked []uint16
	for len(acked) < 4 {
		pk, err := p.ReadPacket()
		require.NoError(t, err)
		switch pk.Type() {
		case message.PUBACK:
			acked = append(acked, peer.PacketID(pk))
		case message.PINGREQ:
			peerSend(t, p, &message.Pingresp{})
		}
	}
	assert.Equal(t, []uint16{1, 2, 3, 4}, acked)
	assert.True(t, c.IsConnected())
}

// TestHeldAcrossRestart: QoS 2 messages held for their PUBREL by a
// client that stopped count against MaxPending in the next one, and
// their slots come back once they are delivered, whether the broker
// kept the session (PUBREL delivers them) or not (delivered at connect).
func TestHeldAcrossRestart(t *testing.T) {
	for _, present := range []bool{true, false} {
		t.Run(fmt.Sprint("session present ", present), func(t *testing.T) {
			store := client.NewMemoryStore()
			opts := []client.Option{client.WithKeepAlive(0), client.WithDeliverOnPubrel(), client.WithStore(store),
				client.WithClientID("held"), client.WithCleanSession(false)}
			p := peer.Open(t)
			first := newClient(t, opts...)
			peerConnect(t, p, first, false)
			for i := range 3 {
				peerSend(t, p, &message.Publish{Message: message.Message{Topic: "h", Payload: []byte{byte(i)}, QoS: message.QoS2, PacketID: uint16(i + 1)}})
				p.Expect(t, message.PUBREC)
			}
			// Three held; their PUBLISH events count too until they ran.
			assert.Eventually(t, func() bool { return first.Stats().Inbound == 3 }, waitLimit, time.Millisecond)
			require.NoError(t, first.Close())

			rec := newRecorder()
			r := router.New()
			_, err := r.On(message.PUBREL, rec.handler(), nil, 0)
			require.NoError(t, err)
			second := newClient(t, append(opts, client.WithRouter(r))...)
			assert.Equal(t, 3, second.Stats().Inbound, "held messages loaded from the store count")
			done := make(chan error, 1)
			go func() { _, err := second.Connect(testContext(t), p.Addr()); done <- err }()
			require.NoError(t, p.Accept())
			peerHandshake(t, p, present)
			require.NoError(t, <-done)
			if present {
				for i := range 3 {
					peerSend(t, p, &message.Pubrel{PacketID: uint16(i + 1)})
				}
			}
			for range 3 {
				assert.NotNil(t, rec.nextMessage(t).Msg)
			}
			assert.Eventually(t, func() bool { return second.Stats().Inbound == 0 }, waitLimit, time.Millisecond, "every slot back")
		})
	}
}
