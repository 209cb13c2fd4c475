package router

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/onmqtt/onmqtt/message"
)

// A Codec decodes payloads into values of type T for [Decode], and
// through it for the payload conditions ([Field], [FieldOf],
// [PayloadFunc]). A Codec is identified by its pointer: an event keeps
// the value each codec decoded, so that the conditions of one dispatch
// and the handler that runs share one decode. Create codecs once, with
// [NewCodec], and keep them in package variables or in the application's
// configuration.
type Codec[T any] struct {
	key    codecKey
	decode func(payload []byte) (T, error)
}

// codecKey is what events remember a codec by; its address is the
// codec's identity.
type codecKey struct{ name string }

// NewCodec returns a codec named name (which [Router.Routes] and
// [Router.Explain] show) that decodes with decode. decode must not keep
// or modify the payload, and should return a pointer type, or a map or
// slice, rather than a large struct, which the event would store as a
// copy. decode runs on the dispatching goroutine; a panic in it is an
// error of the decode.
func NewCodec[T any](name string, decode func(payload []byte) (T, error)) *Codec[T] {
	return &Codec[T]{key: codecKey{name: name}, decode: decode}
}

// Name returns the codec's name.
func (c *Codec[T]) Name() string { return c.key.name }

// A Document is a decoded payload whose fields [Field] and [FieldOf]
// conditions test.
type Document interface {
	// Field returns the value at path and whether there is one. A path
	// is a list of object keys and array indexes separated by dots
	// ("sensor.temp", "readings.0"); the empty path is the whole
	// payload. Values are those of JSON: nil, bool, float64 (or any
	// other Go number), string, []any and map[string]any.
	Field(path string) (any, bool)
}

// JSON decodes JSON payloads, with encoding/json, into a [Document] in
// which numbers are float64, and is the codec of [Field].
var JSON = NewCodec("json", decodeJSON)

func decodeJSON(payload []byte) (Document, error) {
	d := &jsonDoc{}
	if err := json.Unmarshal(payload, &d.v); err != nil {
		return nil, err
	}
	return d, nil
}

// jsonDoc is a decoded JSON payload.
type jsonDoc struct{ v any }

func (d *jsonDoc) Field(path string) (any, bool) { return lookup(d.v, path) }

// lookup returns the value at path below v, a value of JSON types.
func lookup(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for {
		key, rest, more := strings.Cut(path, ".")
		switch c := v.(type) {
		case map[string]any:
			x, ok := c[key]
			if !ok {
				return nil, false
			}
			v = x
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
		if !more {
			return v, true
		}
		path = rest
	}
}

// decoded is the value a codec decoded from an event's payload.
type decoded struct {
	codec *codecKey
	// The payload decoded, to tell when the event's message changed.
	msg     *message.Message
	payload *byte
	size    int
	value   any
	err     error
}

// Decode returns the payload of e's message (the delivered Message, else
// the Sent one an acknowledgement refers to) decoded by c. The first call
// for an event and a codec decodes; later calls, from the conditions that
// follow and from the handler, return the same value and error without
// decoding again. The event remembers the last two codecs used on it.
//
// An event without a message gives [ErrNoPayload]; a payload c cannot
// decode gives an error that wraps [ErrDecode] and the codec's error.
// Decode is meant for the goroutine that dispatches e (conditions and
// handlers); it is not safe for concurrent use on one event.
func Decode[T any](e *Event, c *Codec[T]) (T, error) {
	m := subject(e)
	var zero T
	if m == nil {
		return zero, ErrNoPayload
	}
	data, size := unsafe.SliceData(m.Payload), len(m.Payload)
	for i := range e.decoded {
		d := &e.decoded[i]
		if d.codec == &c.key && d.msg == m && d.payload == data && d.size == size {
			if d.err != nil {
				return zero, d.err
			}
			v, _ := d.value.(T)
			return v, nil
		}
	}
	v, err := c.run(m.Payload)
	// The newest value goes first, moving the older one to the second
	// slot.
	e.decoded[1] = e.decoded[0]
	e.decoded[0] = decoded{codec: &c.key, msg: m, payload: data, size: size, value: v, err: err}
	return v, err
}

// run decodes payload, turning a panic of the decoder into an error.
func (c *Codec[T]) run(payload []byte) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("%w as %s: decoder panicked: %v", ErrDecode, c.key.name, p)
		}
	}()
	v, err = c.decode(payload)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%w as %s: %w", ErrDecode, c.key.name, err)
	}
	return v, nil
}
