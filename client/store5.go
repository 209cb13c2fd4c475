package client

import (
	"github.com/onmqtt/onmqtt/message"
)

// propStore keeps the MQTT 5.0 properties of the messages it stores in
// the records' Properties bytes, in their wire encoding, and restores
// them on Load: a store that keeps only bytes, such as the FileStore,
// then gives a restarted process back its messages with their
// properties (expiry, content type, correlation data, ...). The client
// wraps every store in it.
type propStore struct{ Store }

// PutOutbound implements [Store].
func (s propStore) PutOutbound(e Outbound) error {
	if e.Properties == nil && e.Message.Properties != nil {
		e.Properties = encodePublishProps(e.Message.Properties)
	}
	return s.Store.PutOutbound(e)
}

// PutInbound implements [Store].
func (s propStore) PutInbound(e Inbound) error {
	if e.Properties == nil && e.Message != nil && e.Message.Properties != nil {
		e.Properties = encodePublishProps(e.Message.Properties)
	}
	return s.Store.PutInbound(e)
}

// Load implements [Store].
func (s propStore) Load() (Snapshot, error) {
	snap, err := s.Store.Load()
	for i := range snap.Outbound {
		e := &snap.Outbound[i]
		if e.Message.Properties == nil && e.Properties != nil {
			e.Message.Properties = decodePublishProps(e.Properties)
		}
	}
	for i := range snap.Inbound {
		e := &snap.Inbound[i]
		if e.Message != nil && e.Message.Properties == nil && e.Properties != nil {
			m := *e.Message
			m.Properties = decodePublishProps(e.Properties)
			e.Message = &m
		}
	}
	return snap, err
}

// encodePublishProps returns the wire encoding of a PUBLISH's
// properties, their length first; nil when they cannot be encoded.
func encodePublishProps(p *message.Properties) []byte {
	b, err := message.AppendProperties(nil, p, message.PUBLISH)
	if err != nil {
		return nil
	}
	return b
}

// decodePublishProps returns the properties encodePublishProps encoded,
// nil when b does not decode.
func decodePublishProps(b []byte) *message.Properties {
	p, n, err := message.ReadProperties(b, message.PUBLISH)
	if err != nil || n != len(b) {
		return nil
	}
	return p
}
