package client_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
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

// readAcks reads n acknowledgements of type typ from p on a goroutine of
// its own and returns their ids, in the order they came.
func readAcks(p *peer.Peer, typ message.Type, n int) <-chan []uint16 {
	ch := make(chan []uint16, 1)
	go func() {
		var ids []uint16
		for len(ids) < n {
			pk, err := p.ReadPacket()
			if err != nil {
				break
			}
			if pk.Type() == typ {
				ids = append(ids, peer.PacketID(pk))
			}
		}
		ch <- ids
	}()
	return ch
}

// TestWorkersPerTopicOrder: with 8 workers, messages of one topic are
// handled one at a time in arrival order, and the PUBACKs of all topics
// leave in the order the PUBLISHes arrived, whatever order the workers
// finish in.
func TestWorkersPerTopicOrder(t *testing.T) {
	const topics, per = 24, 100
	const n = topics * per
	var mu sync.Mutex
	seen := map[string][]int{}
	running := map[string]*atomic.Int32{}
	for i := range topics {
		running[fmt.Sprint("w/", i)] = new(atomic.Int32)
	}
	var overlap atomic.Int32
	r := router.New()
	_, err := r.On(message.PUBLISH, func(e *router.Event) {
		topic := e.Message.Topic
		if running[topic].Add(1) != 1 {
			overlap.Add(1)
		}
		if e.Message.Payload[0]%7 == 0 {
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		}
		var seq int
		fmt.Sscan(string(e.Message.Payload[1:]), &seq)
		mu.Lock()
		seen[topic] = append(seen[topic], seq)
		mu.Unlock()
		running[topic].Add(-1)
	}, nil, 0)
	require.NoError(t, err)
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithRouter(r), client.WithWorkers(8), client.WithMaxPending(64))
	peerConnect(t, p, c, false)
	acks := readAcks(p, message.PUBACK, n)
	var want []uint16
	for i := range n {
		topic := i % topics
		id := uint16(i%60000 + 1)
		want = append(want, id)
		payload := append([]byte{byte(rand.IntN(256))}, fmt.Sprint(i/topics)...)
		peerSend(t, p, &message.Publish{Message: message.Message{Topic: fmt.Sprint("w/", topic), Payload: payload, QoS: message.QoS1, PacketID: id}})
	}
	var got []uint16
	select {
	case got = <-acks:
	case <-time.After(3 * waitLimit):
		require.Fail(t, "PUBACKs missing")
	}
	assert.Equal(t, want, got, "PUBACKs in arrival order")
	assert.Zero(t, overlap.Load(), "two handlers of one topic at once")
	mu.Lock()
	defer mu.Unlock()
	for topic, seqs := range seen {
		require.Len(t, seqs, per, topic)
		for i, s := range seqs {
			require.Equal(t, i, s, "topic %s out of order", topic)
		}
	}
}

// TestWorkersParallel: handlers of different keys run at the same time:
// the handler of "a" waits for the handler of "b" to start, which with a
// single dispatch goroutine would never happen.
func TestWorkersParallel(t *testing.T) {
	bStarted := make(chan struct{})
	sawB := make(chan bool, 1)
	r := router.New()
	_, err := r.On(message.PUBLISH, func(e *router.Event) {
		if e.Message.Topic == "a" {
			select {
			case <-bStarted:
				sawB <- true
			case <-time.After(waitLimit):
				sawB <- false
			}
		} else {
			close(bStarted)
		}
	}, nil, 0)
	require.NoError(t, err)
	var calls atomic.Int32
	key := func(e *router.Event) string { calls.Add(1); return e.Message.Topic }
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithRouter(r), client.WithWorkers(2), client.WithWorkerKey(key))
	peerConnect(t, p, c, false)
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "a", QoS: message.QoS1, PacketID: 1}})
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "b", QoS: message.QoS1, PacketID: 2}})
	assert.True(t, <-sawB, "b ran while a waited")
	assert.Equal(t, uint16(1), peer.PacketID(p.Expect(t, message.PUBACK)), "PUBACK 1 first, though b finished first")
	assert.Equal(t, uint16(2), peer.PacketID(p.Expect(t, message.PUBACK)))
	assert.GreaterOrEqual(t, calls.Load(), int32(2), "the key function ran")
}

// TestWorkersQoS2: a PUBREL event has no topic and may run on another
// worker than its PUBLISH: PUBCOMP still waits until the PUBLISH's
// handler returned.
func TestWorkersQoS2(t *testing.T) {
	gate := make(chan struct{})
	r := router.New()
	_, err := r.On(message.PUBLISH, func(e *router.Event) { <-gate }, nil, 0)
	require.NoError(t, err)
	pubrel := make(chan struct{}, 1)
	_, err = r.On(message.PUBREL, func(e *router.Event) { pubrel <- struct{}{} }, nil, 0)
	require.NoError(t, err)
	p := peer.Open(t)
	c := newClient(t, client.WithKeepAlive(0), client.WithRouter(r), client.WithWorkers(4),
		client.WithWorkerKey(func(e *router.Event) string { return e.Type.String() }))
	peerConnect(t, p, c, false)
	peerSend(t, p, &message.Publish{Message: message.Message{Topic: "q2", QoS: message.QoS2, PacketID: 9}})
	expectRaw(t, p, 0x50, 0x02, 0x00, 0x09)
	peerSend(t, p, &message.Pubrel{PacketID: 9})
	select {
	case <-pubrel: // on another worker, the PUBLISH handler blocked
	case <-time.After(waitLimit):
		require.Fail(t, "the PUBREL handler did not run")
	}
	p.ExpectSilence(t, 50*time.Millisecond) // the PUBLISH handler still runs
	close(gate)
	expectRaw(t, p, 0x70, 0x02, 0x00, 0x09)
}

// TestWorkersClose: Close stops the dispatcher and every worker, also
// with events still queued and a handler running.
func TestWorkersClose(t *testing.T) {
	check := leakCheck(t)
	gate := make(chan struct{})
	r := router.New()
	_, err := r.On(message.PUBLISH, func(e *router.Event) { <-gate }, nil, 0)
	require.NoError(t, err)
	p := peer.Open(t)
	c, err := client.New(client.WithKeepAlive(0), client.WithRouter(r), client.WithWorkers(8))
	require.NoError(t, err)
	peerConnect(t, p, c, false)
	for i := range 32 {
		peerSend(t, p, &message.Publish{Message: message.Message{Topic: fmt.Sprint("c/", i), QoS: message.QoS1, PacketID: uint16(i + 1)}})
	}
	require.Eventually(t, func() bool { return c.Stats().Received[message.PUBLISH] == 32 }, waitLimit, time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(waitLimit):
		require.Fail(t, "Close waits for blocked handlers")
	}
	close(gate)
	p.Close()
	check()
}

// TestWorkersOptions: Workers out of range, or with a manual loop, is
// refused.
func TestWorkersOptions(t *testing.T) {
	for name, opts := range map[string][]client.Option{
		"negative":         {client.WithWorkers(-1)},
		"with manual loop": {client.WithWorkers(2), client.WithManualLoop()},
	} {
		_, err := client.New(opts...)
		assert.ErrorIs(t, err, client.ErrInvalidOption, name)
	}
	c, err := client.New(client.WithWorkers(1), client.WithManualLoop())
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

// BenchmarkWorkers: a handler that sleeps 1 ms, 100 topics, QoS 1 from
// a scripted broker; messages/s with 1 and 8 workers.
func BenchmarkWorkers(b *testing.B) {
	for _, n := range []int{1, 8} {
		b.Run(fmt.Sprint("workers=", n), func(b *testing.B) {
			var handled atomic.Int64
			all := make(chan struct{})
			total := int64(b.N)
			r := router.New()
			_, err := r.On(message.PUBLISH, func(e *router.Event) {
				time.Sleep(time.Millisecond)
				if handled.Add(1) == total {
					close(all)
				}
			}, nil, 0)
			require.NoError(b, err)
			p, err := peer.Listen()
			require.NoError(b, err)
			defer p.Close()
			c, err := client.New(client.WithKeepAlive(0), client.WithRouter(r), client.WithWorkers(n))
			require.NoError(b, err)
			defer c.Close()
			go c.Connect(testContext(b), p.Addr())
			p.Expect(b, message.CONNECT)
			require.NoError(b, p.SendPacket(&message.Connack{}))
			acks := readAcks(p, message.PUBACK, b.N)
			var wire []byte
			for i := range b.N {
				pub := &message.Publish{Message: message.Message{Topic: fmt.Sprint("bench/", i%100), Payload: []byte("x"), QoS: message.QoS1, PacketID: uint16(i%65535 + 1)}}
				wire, err = pub.Append(wire, message.V311)
				require.NoError(b, err)
			}
			nc, err := p.Conn()
			require.NoError(b, err)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			go func() {
				nc.SetWriteDeadline(time.Now().Add(time.Minute))
				nc.Write(wire)
			}()
			<-all
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			<-acks
		})
	}
}
