package client

import (
	"fmt"
	"time"

	"github.com/onmqtt/onmqtt/message"
)

// maxBatchBytes is the size past which the writer flushes a batch early:
// the most the write buffer holds, unless one packet is larger, and the
// most it keeps between batches.
const maxBatchBytes = 256 << 10

// writeLoop writes everything ready in the send queue with one write
// call per batch.
func (cn *conn) writeLoop() {
	defer cn.done()
	var batch []outItem
	buf := make([]byte, 0, 16<<10)
	v := cn.v
	disconnected := false // DISCONNECT written: nothing may follow [MQTT-3.14.4-2]
	for {
		var err error
		batch, err = cn.sendq.PopBatch(cn.ctx, batch[:0], 0)
		if err != nil {
			cn.drain()
			return
		}
		if disconnected {
			cn.failItems(batch)
			clear(batch)
			continue
		}
		start, end := 0, len(batch)
		for i := range batch {
			if i == end {
				break
			}
			it := &batch[i]
			n := encodedSize(it)
			if len(buf) > 0 && len(buf)+n > maxBatchBytes {
				if !cn.flush(buf, batch[start:i]) {
					cn.failItems(batch[i:])
					cn.drain()
					return
				}
				buf, start = buf[:0], i
			}
			buf = room(buf, n)
			before := len(buf)
			buf, err = cn.encode(buf, it, v)
			if err == errExpired {
				buf = buf[:before]
				cn.c.expire(it.p)
				it.t = 0
			} else if err != nil {
				buf = buf[:before]
				cn.c.log.Error("dropping unencodable packet", "type", it.t, "err", err)
				if it.tok != nil {
					it.tok.complete(err)
				}
				if it.p != nil {
					cn.c.dropFlow(it.p, err)
				}
				it.t = 0
			} else if it.p != nil && it.t == message.PUBLISH {
				// Any later attempt is a re-delivery, DUP set, even if
				// this write fails: mark the flow before the write, so a
				// reconnect that races the end of it cannot miss it.
				it.p.written.Store(true)
			}
			if it.t == message.DISCONNECT {
				disconnected, end = true, i+1
			}
		}
		if len(buf) > 0 && !cn.flush(buf, batch[start:end]) {
			cn.drain()
			return
		}
		cn.failItems(batch[end:])
		if cap(buf) > maxBatchBytes {
			buf = make([]byte, 0, 16<<10)
		}
		buf = buf[:0]
		clear(batch)
	}
}

// encodedSize returns at most how many bytes encoding it takes, or 0
// when that is not known ahead (SUBSCRIBE, UNSUBSCRIBE).
func encodedSize(it *outItem) int {
	switch it.t {
	case message.PUBLISH:
		m := &it.msg
		if it.p != nil {
			m = &it.p.msg
		}
		// First byte, up to 4 bytes of remaining length, topic length,
		// packet identifier, properties.
		n := 1 + 4 + 2 + len(m.Topic) + 2 + len(m.Payload)
		if m.Properties != nil {
			n += publishPropsSize(m.Properties) + 8 // room for an alias and an expiry
		}
		return n
	case message.SUBSCRIBE, message.UNSUBSCRIBE:
		return 0
	}
	return 4
}

// room returns buf with room for n more bytes. It grows buf by doubling,
// up to maxBatchBytes unless n alone needs more, so that a batch of many
// packets is copied O(log n) times, not once per packet.
func room(buf []byte, n int) []byte {
	if cap(buf)-len(buf) >= n {
		return buf
	}
	c := max(2*cap(buf), len(buf)+n)
	if c > maxBatchBytes {
		c = max(maxBatchBytes, len(buf)+n)
	}
	nb := make([]byte, len(buf), c)
	copy(nb, buf)
	return nb
}

// encode appends one queued packet to buf.
func (cn *conn) encode(buf []byte, it *outItem, v message.Version) ([]byte, error) {
	switch it.t {
	case message.PUBACK, message.PUBREC, message.PUBREL, message.PUBCOMP:
		if (it.t == message.PUBACK || it.t == message.PUBCOMP) && v == message.V5 {
			cn.inflightIn.Add(-1) // the broker's publish is acknowledged
		}
		return message.AppendAck(buf, it.t, it.id)
	case message.PINGREQ:
		return (&message.Pingreq{}).Append(buf, v)
	case message.DISCONNECT, message.AUTH:
		if it.pkt != nil && v == message.V5 {
			return cn.appendControl5(buf, it.pkt)
		}
		return (&message.Disconnect{}).Append(buf, v)
	case message.PUBLISH:
		var pub message.Publish
		var born time.Time
		noAlias := it.noAlias
		if it.p != nil {
			pub.Message = it.p.msg
			pub.Dup = it.dup
			born, noAlias = it.p.born, it.p.noAlias
		} else {
			pub.Message = it.msg
		}
		if pub.Properties != nil || cn.v == message.V5 {
			if err := cn.preparePublish(&pub, born, pub.Dup || noAlias); err != nil {
				return buf, err
			}
		}
		if it.p != nil && !it.p.checked {
			// Loaded from the store: not checked by Publish.
			return pub.Append(buf, v)
		}
		// checkPublish validated the topic before the packet was queued.
		return pub.AppendTrusted(buf, v)
	case message.SUBSCRIBE:
		sub := &message.Subscribe{PacketID: it.p.msg.PacketID, Subscriptions: it.p.subs}
		if v == message.V5 {
			sub.Properties = it.p.subProps
		}
		return sub.Append(buf, v)
	case message.UNSUBSCRIBE:
		uns := &message.Unsubscribe{PacketID: it.p.msg.PacketID, Filters: it.p.filters}
		if v == message.V5 {
			uns.Properties = it.p.subProps
		}
		return uns.Append(buf, v)
	}
	return buf, fmt.Errorf("onmqtt: nothing to encode for %v", it.t)
}

// flush writes buf and completes what was written. It reports false after
// failing the connection.
func (cn *conn) flush(buf []byte, items []outItem) bool {
	comps := false
	for i := range items {
		comps = comps || items[i].t == message.PUBCOMP
	}
	if comps {
		cn.c.pubcompsWriting(cn, items)
	}
	if n, err := cn.nc.Write(buf); err != nil {
		err = fmt.Errorf("onmqtt: writing to broker: %w", err)
		if cn.ctx.Err() != nil {
			err = ErrConnectionLost
		}
		cn.fail(err)
		cn.failItems(items)
		if n > 0 && comps {
			// Part of buf may have left: its PUBCOMPs count as
			// written, so that no identifier the broker may reuse
			// stays known.
			cn.c.pubcompsWritten(cn, items)
		}
		return false
	}
	cn.lastWrite.Store(time.Now().UnixNano())
	for i := range items {
		it := &items[i]
		if it.t == 0 {
			continue
		}
		cn.c.stats.out(it.t) // a PUBLISH was marked written before the write
		if it.tok != nil {
			it.tok.complete(nil)
		}
	}
	if comps {
		cn.c.pubcompsWritten(cn, items)
	}
	return true
}

// failItems completes the tokens of packets that will never be written.
func (cn *conn) failItems(items []outItem) {
	for i := range items {
		if t := items[i].tok; t != nil {
			t.complete(lostError(cn.cause()))
		}
	}
}

// drain fails what is left in the closed send queue.
func (cn *conn) drain() {
	cn.failItems(cn.sendq.TryPopBatch(nil, 0))
}
