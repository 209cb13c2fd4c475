package router

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Field holds when the JSON payload of the event's message (see [Decode]
// and [JSON]) has a value at path (see [Document]) that passes test:
//
//	router.Field("temp", router.Gt(40))
//	router.Field("site", router.In("7", "12"))
//	router.Field("sensor.battery", router.Lt(20))
//
// The payload is decoded once per event, by the first condition that
// needs it, and the handler gets the same [Document] from
// Decode(e, router.JSON). An event without a message, a payload that is
// not JSON and a missing field make the condition false; [Router.Explain]
// says which, with the value the test saw.
func Field(path string, test Test) Condition { return FieldOf(JSON, path, test) }

// FieldOf is [Field] for the documents of another codec: CBOR, protobuf,
// or a struct of the application's that implements [Document].
func FieldOf(c *Codec[Document], path string, test Test) Condition {
	return &fieldCond{codec: c, path: path, test: test}
}

type fieldCond struct {
	codec *Codec[Document]
	path  string
	test  Test
}

func (c *fieldCond) String() string {
	var b strings.Builder
	b.WriteString("field(")
	if c.codec != JSON && c.codec != nil {
		b.WriteString(c.codec.Name())
		b.WriteString(", ")
	}
	b.WriteString(strconv.Quote(c.path))
	b.WriteString(", ")
	if c.test == nil {
		b.WriteString("<nil>")
	} else {
		b.WriteString(c.test.String())
	}
	b.WriteByte(')')
	return b.String()
}

func (c *fieldCond) check() error {
	switch {
	case c.codec == nil:
		return fmt.Errorf("%w: field(%q) has a nil codec", ErrInvalidCondition, c.path)
	case c.test == nil:
		return fmt.Errorf("%w: field(%q) has a nil test", ErrInvalidCondition, c.path)
	}
	return c.test.check()
}

func (c *fieldCond) match(e *Event) bool {
	v, ok := c.value(e)
	return ok && c.test.pass(v)
}

// value returns the field's value; ok is false when there is none, the
// payload not decoding or the field missing.
func (c *fieldCond) value(e *Event) (v any, ok bool) {
	doc, err := Decode(e, c.codec)
	if err != nil || doc == nil {
		return nil, false
	}
	return doc.Field(c.path)
}

func (c *fieldCond) why(e *Event) string {
	doc, err := Decode(e, c.codec)
	switch {
	case err != nil:
		return reason(err)
	case doc == nil:
		return c.codec.Name() + " decoded no document"
	}
	name := c.path
	if name == "" {
		name = "payload"
	}
	v, ok := doc.Field(c.path)
	if !ok {
		return name + " is missing"
	}
	return name + " = " + render(v) + ", " + c.test.fails(v)
}

// PayloadFunc holds when f returns true for the payload of the event's
// message decoded by c, and is rendered with name. It is the payload
// condition for a codec of the application's own type:
//
//	var readings = router.NewCodec("reading", parseReading) // *Reading
//	hot := router.PayloadFunc(readings, "hot", func(r *Reading) bool { return r.Temp > 40 })
//
// Like a Field condition, it shares one decode per event with the other
// conditions and with the handler (Decode(e, readings)), and does not
// hold when the event has no message or the payload does not decode.
func PayloadFunc[T any](c *Codec[T], name string, f func(v T) bool) Condition {
	pc := &payloadCond[T]{codec: c, name: name, f: f}
	return pc
}

type payloadCond[T any] struct {
	codec *Codec[T]
	name  string
	f     func(T) bool
}

func (c *payloadCond[T]) String() string {
	codec := "<nil>"
	if c.codec != nil {
		codec = c.codec.Name()
	}
	return "payload(" + codec + ", " + c.name + ")"
}

func (c *payloadCond[T]) check() error {
	if c.codec == nil || c.f == nil {
		return fmt.Errorf("%w: payload(%s) needs a codec and a function", ErrInvalidCondition, c.name)
	}
	return nil
}

func (c *payloadCond[T]) match(e *Event) bool {
	v, err := Decode(e, c.codec)
	return err == nil && c.f(v)
}

func (c *payloadCond[T]) why(e *Event) string {
	if _, err := Decode(e, c.codec); err != nil {
		return reason(err)
	}
	return c.name + " is false for the " + c.codec.Name()
}

// reason is err as a reason in Explain, without the package prefix.
func reason(err error) string { return strings.TrimPrefix(err.Error(), "onmqtt: ") }

// A Test is what a [Field] condition asks of the field's value. Tests are
// built with the functions below and rendered in the same notation.
type Test interface {
	String() string
	pass(v any) bool
	// fails says why v does not pass: "not > 40", "not a number".
	fails(v any) string
	check() error
}

// Gt passes numbers greater than x.
func Gt(x float64) Test { return &cmpTest{op: ">", name: "gt", x: x} }

// Lt passes numbers less than x.
func Lt(x float64) Test { return &cmpTest{op: "<", name: "lt", x: x} }

// Ge passes numbers greater than or equal to x.
func Ge(x float64) Test { return &cmpTest{op: ">=", name: "ge", x: x} }

// Le passes numbers less than or equal to x.
func Le(x float64) Test { return &cmpTest{op: "<=", name: "le", x: x} }

type cmpTest struct {
	op, name string
	x        float64
}

func (t *cmpTest) String() string { return t.name + "(" + formatNumber(t.x) + ")" }
func (t *cmpTest) check() error   { return nil }
func (t *cmpTest) pass(v any) bool {
	f, ok := number(v)
	if !ok {
		return false
	}
	switch t.op {
	case ">":
		return f > t.x
	case "<":
		return f < t.x
	case ">=":
		return f >= t.x
	default:
		return f <= t.x
	}
}
func (t *cmpTest) fails(v any) string {
	if _, ok := number(v); !ok {
		return "not a number"
	}
	return "not " + t.op + " " + formatNumber(t.x)
}

// Between passes numbers from lo to hi, both included.
func Between(lo, hi float64) Test { return &betweenTest{lo: lo, hi: hi} }

type betweenTest struct{ lo, hi float64 }

func (t *betweenTest) String() string {
	return "between(" + formatNumber(t.lo) + ", " + formatNumber(t.hi) + ")"
}
func (t *betweenTest) check() error {
	if !(t.lo <= t.hi) {
		return fmt.Errorf("%w: %v: the lower bound is above the upper one", ErrInvalidCondition, t)
	}
	return nil
}
func (t *betweenTest) pass(v any) bool {
	f, ok := number(v)
	return ok && t.lo <= f && f <= t.hi
}
func (t *betweenTest) fails(v any) string {
	if _, ok := number(v); !ok {
		return "not a number"
	}
	return "not between " + formatNumber(t.lo) + " and " + formatNumber(t.hi)
}

// Eq passes values equal to x: numbers of equal value whatever their Go
// type (Eq(7) passes the JSON number 7), equal strings, equal booleans,
// and nil for nil (JSON null).
func Eq(x any) Test { return &eqTest{xs: []any{x}} }

// In passes values equal, as [Eq] defines it, to one of xs.
func In(xs ...any) Test { return &eqTest{xs: xs, in: true} }

type eqTest struct {
	xs []any
	in bool
}

func (t *eqTest) String() string {
	if !t.in {
		return "eq(" + render(t.xs[0]) + ")"
	}
	return "in(" + renderAll(t.xs) + ")"
}
func (t *eqTest) check() error {
	if len(t.xs) == 0 {
		return fmt.Errorf("%w: in() without values", ErrInvalidCondition)
	}
	for _, x := range t.xs {
		if !scalar(x) {
			return fmt.Errorf("%w: %v: %T is not a number, string, bool or nil", ErrInvalidCondition, t, x)
		}
	}
	return nil
}
func (t *eqTest) pass(v any) bool {
	for _, x := range t.xs {
		if equal(v, x) {
			return true
		}
	}
	return false
}
func (t *eqTest) fails(any) string {
	if !t.in {
		return "not " + render(t.xs[0])
	}
	return "not one of " + renderAll(t.xs)
}

// Exists passes any value, null included: the field is present.
func Exists() Test { return existsTest{} }

type existsTest struct{}

func (existsTest) String() string   { return "exists" }
func (existsTest) check() error     { return nil }
func (existsTest) pass(any) bool    { return true }
func (existsTest) fails(any) string { return "present" } // never asked: Exists fails only when missing

// number returns v as a float64 when it is a Go number.
func number(v any) (float64, bool) {
	if f, ok := v.(float64); ok { // JSON's numbers
		return f, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}

// scalar reports whether x is a value Eq can compare: a number, a
// string, a bool or nil.
func scalar(x any) bool {
	switch x.(type) {
	case nil, string, bool:
		return true
	}
	_, ok := number(x)
	return ok
}

// equal reports whether v equals x as Eq defines it.
func equal(v, x any) bool {
	if fv, ok := number(v); ok {
		fx, ok := number(x)
		return ok && fv == fx
	}
	switch v := v.(type) {
	case nil:
		return x == nil
	case string:
		s, ok := x.(string)
		return ok && v == s
	case bool:
		b, ok := x.(bool)
		return ok && v == b
	}
	return false
}

// render writes a value the way JSON would: 38.5, "hot", true, null.
func render(v any) string {
	if f, ok := number(v); ok {
		return formatNumber(f)
	}
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%v", v)
}

func renderAll(xs []any) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = render(x)
	}
	return strings.Join(parts, ", ")
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
