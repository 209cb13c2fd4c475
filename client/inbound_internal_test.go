package client

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
	"github.com/onmqtt/onmqtt/priority"
)

// TestInboundPubcompAfterLateHandler runs a QoS 2 flow's PUBREL event
// before its PUBLISH event's handler returned (as a dispatcher running
// handlers in parallel may): PUBCOMP, for the flow's id, leaves only
// once the handler returned and the record is out of the store.
func TestInboundPubcompAfterLateHandler(t *testing.T) {
	store := NewMemoryStore()
	c, err := New(WithStore(store))
	require.NoError(t, err)
	defer c.Close()
	cn := &conn{c: c, ctx: context.Background(), sendq: priority.NewSendQueue[outItem]()}
	c.conn = cn

	m := &message.Message{Topic: "t", Payload: []byte("m"), QoS: message.QoS2, PacketID: 42}
	c.mu.Lock()
	f := c.sess.received(m, cn, time.Now())
	_, g := c.sess.pubrel(42)
	c.mu.Unlock()
	require.True(t, c.flushStore())
	require.Equal(t, f, g)

	pubrel := &inbound{ack: message.PUBCOMP, id: 42, conn: cn, flow: g}
	c.inboundDone(pubrel, nil)
	assert.Empty(t, cn.sendq.TryPopBatch(nil, 0), "no PUBCOMP while the handler runs")
	snap, err := store.Load()
	require.NoError(t, err)
	require.Len(t, snap.Inbound, 1)
	assert.NotNil(t, snap.Inbound[0].Message, "the message stays stored while its handler runs")

	publish := &inbound{flow: f, deliver: true}
	c.inboundDone(publish, nil)
	items := cn.sendq.TryPopBatch(nil, 0)
	require.Len(t, items, 1)
	assert.Equal(t, message.PUBCOMP, items[0].t)
	assert.Equal(t, uint16(42), items[0].id)
	snap, err = store.Load()
	require.NoError(t, err)
	assert.Empty(t, snap.Inbound)
}

// TestQuotaLoweredWhileFull lowers the send quota while every slot is
// taken: the first flows to end give their slots back, and a held flow
// is sent only once the flows in flight fit the new quota.
func TestQuotaLoweredWhileFull(t *testing.T) {
	c, err := New(WithMaxInflight(2))
	require.NoError(t, err)
	defer c.Close()
	cn := &conn{c: c, ctx: context.Background(), sendq: priority.NewSendQueue[outItem]()}
	c.conn = cn

	flow := func(id uint16) *pending {
		p := c.newPublishFlow(id)
		p.kind, p.msg = message.PUBLISH, message.Message{Topic: "t", QoS: message.QoS1, PacketID: id}
		c.sess.addPublish(p)
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, b, held := flow(1), flow(2), flow(3)
	for _, p := range []*pending{a, b} {
		require.True(t, c.sess.quota.tryTake())
		p.windowed = true
	}
	c.sess.held = append(c.sess.held, held)

	c.sess.setQuota(1)
	c.finish(a, nil)
	assert.Empty(t, cn.sendq.TryPopBatch(nil, 0), "two in flight for a quota of one: the slot goes back")
	assert.Equal(t, 1, c.sess.quota.inUse())
	c.finish(b, nil)
	items := cn.sendq.TryPopBatch(nil, 0)
	require.Len(t, items, 1, "within the quota again: the slot goes to the held flow")
	assert.Same(t, held, items[0].p)
	assert.True(t, held.windowed)
	assert.Equal(t, 1, c.sess.quota.inUse())
}
