package client_test

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// mochiWitness records, through mochi's hooks, what the embedded broker
// did with each message of a resilience run, so that a message the run
// lost can be told apart: lost by the broker, or by the client.
//
// mochi 2.7 loses messages in two ways that the tests in
// resilience_mochi_test.go reproduce: a QoS 2 message whose PUBREC could
// not be written is never forwarded, although the flow then completes;
// and a message queued for a subscriber while its reconnection takes
// over the session is discarded. Discarding flows that way, it then also
// gives a new message the packet identifier of a flow the subscriber has
// not seen completed, which MQTT forbids [MQTT-2.3.1-2]: the subscriber
// must take that PUBLISH for a re-send of the flow it knows, and drop it
// [MQTT-4.3.3-2]. And a flow the subscriber completed can come back from
// a stale copy of the session as a re-send that is, to the subscriber, a
// new message. Mosquitto does none of this, and the runs against it
// allow no loss and no QoS 2 duplicate at all.
type mochiWitness struct {
	mqtt.HookBase

	mu        sync.Mutex
	pub, sub  string            // client identifiers watched
	received  map[string]bool   // the publisher's messages that reached mochi
	published map[string]int    // how often mochi forwarded each of them
	flows     map[uint16]string // the subscriber's open flows by packet id
	completed map[string]bool   // the subscriber acknowledged the flow
	// open2 holds the packet identifiers of QoS 2 messages sent to the
	// subscriber until PUBCOMP: the identifiers the subscriber keeps
	// awaiting PUBREL, whatever mochi does with the flow meanwhile.
	open2 map[uint16]string
	// reused holds messages given a packet identifier whose flow was
	// still open, and the messages of those flows; resent holds messages
	// sent again after their flow completed.
	reused map[string]bool
	resent map[string]bool
	// released holds the subscriber's QoS 2 messages whose PUBREC mochi
	// read: from then on the flow goes on with PUBREL, and a PUBLISH of
	// the message again is, to the subscriber, a new message
	// [MQTT-4.3.3-5].
	released map[string]bool
}

func newMochiWitness() *mochiWitness {
	return &mochiWitness{
		received:  make(map[string]bool),
		published: make(map[string]int),
		flows:     make(map[uint16]string),
		completed: make(map[string]bool),
		open2:     make(map[uint16]string),
		reused:    make(map[string]bool),
		resent:    make(map[string]bool),
		released:  make(map[string]bool),
	}
}

// watch names the publishing and the subscribing client of a run.
func (w *mochiWitness) watch(pub, sub string) {
	w.mu.Lock()
	w.pub, w.sub = pub, sub
	w.mu.Unlock()
}

func witnessKey(topic string, payload []byte) string { return topic + "=" + string(payload) }

// ID names the hook.
func (w *mochiWitness) ID() string { return "onmqtt-witness" }

// Provides lists the hook's methods.
func (w *mochiWitness) Provides(b byte) bool {
	switch b {
	case mqtt.OnPublish, mqtt.OnPublished, mqtt.OnQosPublish, mqtt.OnQosComplete, mqtt.OnPacketRead:
		return true
	}
	return false
}

// OnPublish sees a PUBLISH from a client that mochi is about to process
// (a re-sent one it recognises as a duplicate never gets here).
func (w *mochiWitness) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	w.mu.Lock()
	if cl.ID == w.pub && pk.FixedHeader.Qos > 0 {
		w.received[witnessKey(pk.TopicName, pk.Payload)] = true
	}
	w.mu.Unlock()
	return pk, nil
}

// OnPublished sees a message mochi has handed to its subscribers.
func (w *mochiWitness) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	w.mu.Lock()
	if cl.ID == w.pub {
		w.published[witnessKey(pk.TopicName, pk.Payload)]++
	}
	w.mu.Unlock()
}

// OnQosPublish sees a QoS 1 or 2 message queued or re-sent to a client.
func (w *mochiWitness) OnQosPublish(cl *mqtt.Client, pk packets.Packet, _ int64, _ int) {
	w.mu.Lock()
	if cl.ID == w.sub && pk.FixedHeader.Type == packets.Publish {
		key := witnessKey(pk.TopicName, pk.Payload)
		for _, open := range []map[uint16]string{w.flows, w.open2} {
			if k, ok := open[pk.PacketID]; ok && k != key {
				w.reused[k], w.reused[key] = true, true
			}
		}
		if w.completed[key] || w.released[key] {
			w.resent[key] = true
		}
		w.flows[pk.PacketID] = key
		if _, ok := w.open2[pk.PacketID]; !ok && pk.FixedHeader.Qos == 2 {
			w.open2[pk.PacketID] = key
		}
	}
	w.mu.Unlock()
}

// OnPacketRead sees every packet mochi reads; it notes the subscriber's
// PUBRECs.
func (w *mochiWitness) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type != packets.Pubrec {
		return pk, nil
	}
	w.mu.Lock()
	if cl.ID == w.sub {
		if k, ok := w.open2[pk.PacketID]; ok {
			w.released[k] = true
		}
	}
	w.mu.Unlock()
	return pk, nil
}

// OnQosComplete sees the client's PUBACK or PUBCOMP end a flow.
func (w *mochiWitness) OnQosComplete(cl *mqtt.Client, pk packets.Packet) {
	w.mu.Lock()
	if cl.ID == w.sub {
		if k, ok := w.flows[pk.PacketID]; ok {
			w.completed[k] = true
			delete(w.flows, pk.PacketID)
		}
		if pk.FixedHeader.Type == packets.Pubcomp {
			delete(w.open2, pk.PacketID)
		}
	}
	w.mu.Unlock()
}

// brokerLost reports whether the loss of the message is mochi's doing:
// on the publishing side, mochi received it and never forwarded it; on
// the subscribing side, mochi stopped sending it although the subscriber
// never acknowledged it.
func (w *mochiWitness) brokerLost(role, key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if role == "publisher" {
		return w.received[key] && w.published[key] == 0
	}
	return !w.completed[key] || w.reused[key]
}

// anomalies returns how many messages the broker gave a packet
// identifier still in use, or sent again after their flow completed.
func (w *mochiWitness) anomalies() (reused, resent int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.reused), len(w.resent)
}

// brokerDuplicated reports whether a duplicate is mochi's doing: on the
// publishing side, it forwarded the message more than once, failing to
// recognise a re-sent PUBLISH; on the subscribing side, it sent the
// message again after its flow completed, or under a reused identifier.
func (w *mochiWitness) brokerDuplicated(role, key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if role == "publisher" {
		return w.published[key] > 1
	}
	return w.resent[key] || w.reused[key]
}
