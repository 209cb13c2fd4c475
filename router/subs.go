package router

import (
	"strconv"
	"strings"

	"github.com/onmqtt/onmqtt/message"
)

// A SubscriptionSource reports the subscriptions in effect, so that
// [Router.Explain] and [Router.Routes] can tell whether a message can
// arrive at all: a handler is of no use if no subscription delivers the
// topics its filter matches. A client is one: it knows what the broker
// granted.
type SubscriptionSource interface {
	// Subscriptions returns the subscriptions in effect. It is called by
	// Explain and Routes, never by Dispatch, and must be safe to call
	// from a handler.
	Subscriptions() []message.Subscription
}

// SetSubscriptionSource tells the router where to learn the
// subscriptions in effect; nil, the default, means they are unknown, and
// Explain and Routes then say nothing about them. A client that owns the
// router sets itself as the source; a program that dispatches events of
// its own can pass [Subscribed].
func (r *Router) SetSubscriptionSource(s SubscriptionSource) {
	r.setHooks(func(t *table) { t.subs = s })
}

// Subscribed returns a fixed [SubscriptionSource] of subscriptions to
// filters, at QoS 0.
func Subscribed(filters ...string) SubscriptionSource {
	subs := make(fixedSubs, len(filters))
	for i, f := range filters {
		subs[i] = message.Subscription{Filter: f}
	}
	return subs
}

type fixedSubs []message.Subscription

func (s fixedSubs) Subscriptions() []message.Subscription { return s }

// subscriptionFilters returns the filters of the subscriptions in effect,
// and false when they are unknown.
func (tb *table) subscriptionFilters() ([]string, bool) {
	if tb.subs == nil {
		return nil, false
	}
	subs := tb.subs.Subscriptions()
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.Filter
	}
	return out, true
}

// delivering returns the subscription filters that match topic: those
// through which the broker sends a message published to it.
func delivering(subs []string, topic string) []string {
	var out []string
	for _, s := range subs {
		f, _ := unshare(s)
		if message.MatchFilter(f, topic) {
			out = append(out, s)
		}
	}
	return out
}

// uncovered returns the warning for a handler whose topic filter no
// subscription can deliver a message for, "" when one can.
func uncovered(subs []string, filter string) string {
	for _, s := range subs {
		f, _ := unshare(s)
		if overlap(f, filter) {
			return ""
		}
	}
	return "no subscription delivers a topic that " + strconv.Quote(filter) + " matches (subscriptions: " + quoteAll(subs) + ")"
}

// overlap reports whether some topic matches both filters a and b.
func overlap(a, b string) bool {
	// A topic starting with '$' is matched only by filters whose first
	// level is exact [MQTT-4.7.2-1].
	if wildFirst(a) && dollarFirst(b) || wildFirst(b) && dollarFirst(a) {
		return false
	}
	for {
		la, ra, ma := strings.Cut(a, "/")
		lb, rb, mb := strings.Cut(b, "/")
		if la == "#" || lb == "#" {
			return true
		}
		if la != "+" && lb != "+" && la != lb {
			return false
		}
		switch {
		case !ma && !mb:
			return true
		case !ma:
			return rb == "#" // "x/#" matches "x"
		case !mb:
			return ra == "#"
		}
		a, b = ra, rb
	}
}

func wildFirst(f string) bool   { return f != "" && (f[0] == '+' || f[0] == '#') }
func dollarFirst(f string) bool { return f != "" && f[0] == '$' }

func quoteAll(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
