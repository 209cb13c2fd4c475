package client

import (
	"fmt"

	"github.com/onmqtt/onmqtt/message"
)

// SubscribeOption sets an MQTT 5.0 property of a SUBSCRIBE (see
// [Client.SubscribeWith]).
type SubscribeOption func(*subscribeOptions)

type subscribeOptions struct {
	id    uint32
	props []message.UserProperty
	err   error
}

// maxSubscriptionID is the largest Subscription Identifier.
const maxSubscriptionID = 268_435_455

// WithSubscriptionID sets the Subscription Identifier, 1 to 268435455.
func WithSubscriptionID(id uint32) SubscribeOption {
	return func(o *subscribeOptions) {
		if id == 0 || id > maxSubscriptionID {
			o.err = fmt.Errorf("%w: subscription identifier %d out of range 1..%d", ErrInvalidOption, id, maxSubscriptionID)
			return
		}
		o.id = id
	}
}

// WithSubscribeUserProperty adds a User Property to the SUBSCRIBE.
func WithSubscribeUserProperty(key, value string) SubscribeOption {
	return func(o *subscribeOptions) {
		o.props = append(o.props, message.UserProperty{Key: key, Value: value})
	}
}

// properties returns the SUBSCRIBE's properties, nil when none.
func (o *subscribeOptions) properties() *message.Properties {
	if o.id == 0 && o.props == nil {
		return nil
	}
	p := &message.Properties{UserProperties: o.props}
	if o.id != 0 {
		p.SubscriptionIDs = []uint32{o.id}
	}
	return p
}

// noteSubscriptionID records the Subscription Identifier a granted
// filter was subscribed with, so that renewals send it again. The caller
// holds c.mu.
func (c *Client) noteSubscriptionID(filter string, props *message.Properties) {
	if props == nil || len(props.SubscriptionIDs) == 0 {
		delete(c.v5.subIDs, filter)
		return
	}
	if c.v5.subIDs == nil {
		c.v5.subIDs = make(map[string]uint32)
	}
	c.v5.subIDs[filter] = props.SubscriptionIDs[0]
}

// subscriptionIDs returns the Subscription Identifier of each of subs,
// 0 for none, and sorts subs so that equal identifiers are together,
// first come first.
func (c *Client) subscriptionIDs(subs []message.Subscription) []uint32 {
	c.mu.Lock()
	ids := make([]uint32, len(subs))
	for i, s := range subs {
		ids[i] = c.v5.subIDs[s.Filter]
	}
	c.mu.Unlock()
	// A stable grouping: the order of first appearance of each id.
	order := make(map[uint32]int)
	for _, id := range ids {
		if _, ok := order[id]; !ok {
			order[id] = len(order)
		}
	}
	type pair struct {
		s  message.Subscription
		id uint32
	}
	buckets := make([][]pair, len(order))
	for i, s := range subs {
		k := order[ids[i]]
		buckets[k] = append(buckets[k], pair{s, ids[i]})
	}
	i := 0
	for _, b := range buckets {
		for _, p := range b {
			subs[i], ids[i] = p.s, p.id
			i++
		}
	}
	return ids
}
