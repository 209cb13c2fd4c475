package router

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/onmqtt/onmqtt/message"
)

// The why methods of the conditions say why a condition does not hold,
// for Explain. Each is called only after match returned false.

func (c *topicCond) why(e *Event) string {
	t, ok := e.Topic()
	if !ok {
		return "no topic"
	}
	return topicMismatch(t, c.matched, c.shared)
}

// topicMismatch says why topic does not match filter, naming the '$'
// rule when it is the reason. shared tells that filter is that of a
// shared subscription, given with its $share prefix.
func topicMismatch(topic, filter string, shared bool) string {
	var b strings.Builder
	if dollarRule(filter, topic) {
		b.WriteString(strconv.Quote(filter))
		b.WriteString(" does not match a topic starting with '$': no filter starting with a wildcard does [MQTT-4.7.2-1]")
	} else {
		b.WriteString("topic does not match ")
		b.WriteString(strconv.Quote(filter))
	}
	if shared {
		b.WriteString(" (the shared subscription's filter without $share/<group>/)")
	}
	return b.String()
}

// dollarRule reports whether the '$' rule is why filter does not match
// topic: the topic starts with '$', the filter with a wildcard, and
// without the rule they would match.
func dollarRule(filter, topic string) bool {
	if topic == "" || topic[0] != '$' || filter == "" || (filter[0] != '+' && filter[0] != '#') {
		return false
	}
	// The filter with its first level made exact matches the topic.
	first, _, _ := strings.Cut(topic, "/")
	if filter[0] == '#' {
		return true
	}
	return message.MatchFilter(first+filter[1:], topic)
}

func (c *globCond) why(e *Event) string {
	if _, ok := e.Topic(); !ok {
		return "no topic"
	}
	return "topic does not match the pattern"
}

func (c *idCond) why(e *Event) string {
	if e.ID == 0 {
		return "no packet id"
	}
	return "packet id " + strconv.Itoa(int(e.ID)) + ", not " + strconv.Itoa(int(c.id))
}

func (c *qosCond) why(e *Event) string {
	m := subject(e)
	if m == nil {
		return "no message"
	}
	return "QoS " + strconv.Itoa(int(m.QoS)) + ", not " + strconv.Itoa(int(c.q))
}

func (retainedCond) why(e *Event) string {
	if subject(e) == nil {
		return "no message"
	}
	return "not retained"
}

func (dupCond) why(e *Event) string {
	if subject(e) == nil {
		return "no message"
	}
	return "DUP not set"
}

func (c *andCond) why(e *Event) string {
	for i, op := range c.ops {
		if !op.match(e) {
			return fmt.Sprintf("operand %d of and, %s: %s", i+1, op, op.why(e))
		}
	}
	return "holds" // not reached: match was false
}

func (c *orCond) why(e *Event) string {
	var b strings.Builder
	b.WriteString("no operand of or holds")
	for i, op := range c.ops {
		fmt.Fprintf(&b, "; %d, %s: %s", i+1, op, op.why(e))
	}
	return b.String()
}

func (c *notCond) why(*Event) string { return c.c.String() + " holds" }

func (c *funcCond) why(*Event) string { return c.name + " returned false" }

// evaluate reports whether c holds for e and, when it does not, why. A
// panic of the condition (or of its why) makes it false, the reason
// saying so.
func evaluate(c Condition, e *Event) (ok bool, why string) {
	defer func() {
		if v := recover(); v != nil {
			ok, why = false, fmt.Sprintf("the condition panicked: %v", v)
		}
	}()
	if c.match(e) {
		return true, ""
	}
	return false, c.why(e)
}
