package router

import (
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/gobwas/glob"
	"github.com/onmqtt/onmqtt/message"
)

// A Condition decides whether a conditional handler takes an event. It is
// a value the router can inspect: Topic and ID conditions, alone or as an
// operand of a top-level And, are indexed (see the package documentation);
// the others are evaluated one by one.
//
// Conditions are built with the functions of this file and are immutable.
// String renders a condition in the same notation as its constructors, for
// [Router.Routes] and [Router.Explain]. Errors in a condition (an invalid
// filter or glob pattern, a nil operand) are reported when it is
// registered, by [Router.On].
//
// Conditions must be free of side effects: the router may evaluate a
// condition more than once per event, in any order relative to the
// conditions of other handlers, and does not evaluate those that cannot
// win.
type Condition interface {
	String() string
	match(e *Event) bool
	check() error
	// why says why the condition does not hold for e, for Explain:
	// which operand failed and the value it saw. It is called only
	// when match is false.
	why(e *Event) string
}

// subject returns the message that QoS, Retained and Dup look at: the
// delivered Message, else the Sent message an acknowledgement refers to.
func subject(e *Event) *message.Message {
	if e.Message != nil {
		return e.Message
	}
	return e.Sent
}

// Topic holds when the event's topic (see [Event.Topic]) matches the MQTT
// topic filter, with the wildcards '+' (one level) and '#' (any number of
// trailing levels, the parent included) and the rule that a filter
// starting with a wildcard does not match a topic starting with '$', as
// [message.MatchFilter] defines them. An event without a topic never
// matches. On an acknowledgement the topic is that of the message sent,
// so Topic("alarms/#") on PUBACK selects the acknowledgements of alarm
// publishes.
//
// The filter of a shared subscription, "$share/<group>/<filter>", matches
// the topics that <filter> matches: the messages of a shared subscription
// carry the topics they were published to. Topic("$share/workers/jobs/#")
// is Topic("jobs/#"), rendered as given; Explain says so.
func Topic(filter string) Condition {
	c := &topicCond{filter: filter, matched: filter}
	if f, ok := unshare(filter); ok {
		c.matched, c.shared = f, true
	}
	return c
}

type topicCond struct {
	filter  string // as given
	matched string // the filter topics are matched against
	shared  bool   // a shared subscription's filter: matched is without its prefix
}

func (c *topicCond) String() string { return "topic(" + strconv.Quote(c.filter) + ")" }
func (c *topicCond) check() error {
	if strings.HasPrefix(c.filter, sharePrefix) && !c.shared {
		return fmt.Errorf("%w: %q: a shared subscription filter is $share/<group>/<filter>, the group without '/', '+' or '#'", ErrInvalidCondition, c.filter)
	}
	if err := message.ValidFilter(c.matched); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCondition, err)
	}
	return nil
}
func (c *topicCond) match(e *Event) bool {
	t, ok := e.Topic()
	return ok && message.MatchFilter(c.matched, t)
}

// sharePrefix starts the filter of a shared subscription.
const sharePrefix = "$share/"

// unshare returns the filter of a shared subscription filter,
// "$share/<group>/<filter>", without its prefix; ok is false when filter
// is not one, or its group is empty or holds a wildcard.
func unshare(filter string) (f string, ok bool) {
	rest, ok := strings.CutPrefix(filter, sharePrefix)
	if !ok {
		return filter, false
	}
	group, f, ok := strings.Cut(rest, "/")
	if !ok || group == "" || strings.ContainsAny(group, "+#") || f == "" {
		return filter, false
	}
	return f, true
}

// Glob holds when the event's topic matches the glob pattern, compiled by
// github.com/gobwas/glob with '/' as the separator: '*' and '?' stay
// within one level, '**' crosses levels, and '[…]' and '{a,b}' work as in
// that package. The '$' rule of Topic does not apply. An event without a
// topic never matches.
func Glob(pattern string) Condition {
	return &globCond{compile(pattern, '/')}
}

type globCond struct{ globPattern }

// globPattern is a compiled glob pattern of a condition, with the error
// of its compilation, which check reports at registration.
type globPattern struct {
	pattern string
	g       *glob.Pattern
	err     error
}

func compile(pattern string, separators ...rune) globPattern {
	g, err := glob.Compile(pattern, separators...)
	return globPattern{pattern: pattern, g: g, err: err}
}

func (c *globPattern) check() error {
	if c.err != nil {
		return fmt.Errorf("%w: %w: %q: %w", ErrInvalidCondition, ErrInvalidGlob, c.pattern, c.err)
	}
	return nil
}

func (c *globCond) String() string { return "glob(" + strconv.Quote(c.pattern) + ")" }
func (c *globCond) match(e *Event) bool {
	t, ok := e.Topic()
	return ok && c.g.Match(t)
}

// ID holds when the event's packet identifier is id. Identifiers are 1 to
// 65535; ID(0) is rejected at registration.
func ID(id uint16) Condition { return &idCond{id: id} }

type idCond struct{ id uint16 }

func (c *idCond) String() string { return "id(" + strconv.Itoa(int(c.id)) + ")" }
func (c *idCond) check() error {
	if c.id == 0 {
		return fmt.Errorf("%w: packet identifier 0", ErrInvalidCondition)
	}
	return nil
}
func (c *idCond) match(e *Event) bool { return e.ID == c.id }

// QoS holds when the event's message (the delivered Message, else the Sent
// one) has quality of service q.
func QoS(q message.QoS) Condition { return &qosCond{q: q} }

type qosCond struct{ q message.QoS }

func (c *qosCond) String() string { return "qos(" + strconv.Itoa(int(c.q)) + ")" }
func (c *qosCond) check() error {
	if !c.q.Valid() {
		return fmt.Errorf("%w: %v", ErrInvalidCondition, c.q)
	}
	return nil
}
func (c *qosCond) match(e *Event) bool {
	m := subject(e)
	return m != nil && m.QoS == c.q
}

// Retained holds when the event's message (the delivered Message, else the
// Sent one) has the retain flag set.
func Retained() Condition { return retainedCond{} }

type retainedCond struct{}

func (retainedCond) String() string { return "retained" }
func (retainedCond) check() error   { return nil }
func (retainedCond) match(e *Event) bool {
	m := subject(e)
	return m != nil && m.Retain
}

// Dup holds when the event's message (the delivered Message, else the
// Sent one) has the DUP flag set: a re-delivery attempt.
func Dup() Condition { return dupCond{} }

type dupCond struct{}

func (dupCond) String() string { return "dup" }
func (dupCond) check() error   { return nil }
func (dupCond) match(e *Event) bool {
	m := subject(e)
	return m != nil && m.Dup
}

// And holds when every operand holds; operands are evaluated in order
// and evaluation stops at the first that does not. Operands that are
// themselves And conditions are flattened into this one. And needs at
// least one operand.
func And(conds ...Condition) Condition {
	ops := make([]Condition, 0, len(conds))
	for _, c := range conds {
		if a, ok := c.(*andCond); ok {
			ops = append(ops, a.ops...)
			continue
		}
		ops = append(ops, c)
	}
	return &andCond{ops: ops}
}

type andCond struct{ ops []Condition }

func (c *andCond) String() string { return "and(" + join(c.ops) + ")" }
func (c *andCond) check() error   { return checkAll("and", c.ops) }
func (c *andCond) match(e *Event) bool {
	for _, op := range c.ops {
		if !op.match(e) {
			return false
		}
	}
	return true
}

// Or holds when at least one operand holds; operands are evaluated in
// order and evaluation stops at the first that does. Or needs at least one
// operand.
func Or(conds ...Condition) Condition { return &orCond{ops: conds} }

type orCond struct{ ops []Condition }

func (c *orCond) String() string { return "or(" + join(c.ops) + ")" }
func (c *orCond) check() error   { return checkAll("or", c.ops) }
func (c *orCond) match(e *Event) bool {
	for _, op := range c.ops {
		if op.match(e) {
			return true
		}
	}
	return false
}

// Not holds when c does not.
func Not(c Condition) Condition { return &notCond{c: c} }

type notCond struct{ c Condition }

func (c *notCond) String() string {
	if c.c == nil {
		return "not(<nil>)"
	}
	return "not(" + c.c.String() + ")"
}
func (c *notCond) check() error        { return checkAll("not", []Condition{c.c}) }
func (c *notCond) match(e *Event) bool { return !c.c.match(e) }

// Func holds when f returns true; it is rendered with the name of f's
// function. Func conditions are never indexed: each is called for every
// event that reaches it. f must not modify the event.
func Func(f func(e *Event) bool) Condition {
	name := "<nil>"
	if f != nil {
		name = funcName(f)
	}
	return &funcCond{name: name, f: f}
}

// NamedFunc is [Func] rendered with the given name.
func NamedFunc(name string, f func(e *Event) bool) Condition {
	return &funcCond{name: name, f: f}
}

type funcCond struct {
	name string
	f    func(*Event) bool
}

func (c *funcCond) String() string { return "func(" + c.name + ")" }
func (c *funcCond) check() error {
	if c.f == nil {
		return fmt.Errorf("%w: func(%s) has a nil function", ErrInvalidCondition, c.name)
	}
	return nil
}
func (c *funcCond) match(e *Event) bool { return c.f(e) }

// funcName returns the name of f's function without its import path:
// "main.isCool", "main.main.func1".
func funcName(f func(*Event) bool) string {
	fn := runtime.FuncForPC(reflect.ValueOf(f).Pointer())
	if fn == nil {
		return "?"
	}
	name := fn.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

func join(ops []Condition) string {
	var b strings.Builder
	for i, op := range ops {
		if i > 0 {
			b.WriteString(", ")
		}
		if op == nil {
			b.WriteString("<nil>")
			continue
		}
		b.WriteString(op.String())
	}
	return b.String()
}

func checkAll(name string, ops []Condition) error {
	if len(ops) == 0 {
		return fmt.Errorf("%w: %s() without operands", ErrInvalidCondition, name)
	}
	for _, op := range ops {
		if op == nil {
			return fmt.Errorf("%w: nil operand of %s", ErrInvalidCondition, name)
		}
		if err := op.check(); err != nil {
			return err
		}
	}
	return nil
}
