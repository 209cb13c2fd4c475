package message

import (
	"errors"
	"reflect"
	"testing"
)

// propertyHolders are the places properties appear: the will, and every
// packet type with a property block.
var propertyHolders = []Type{willProps, CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP,
	SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH}

// FuzzProperties decodes arbitrary bytes as the property block of every
// packet type, and of the will. Decoding must never panic, refuse only
// with an *Error of the ErrMalformed family, and what it accepts must
// encode (the encoder accepts every property the decoder does), decode
// back equal, and take no more bytes than it came in.
func FuzzProperties(f *testing.F) {
	for _, v := range vectors {
		if v.version != V5 {
			continue
		}
		f.Add(v.raw)
		if v.err != nil {
			continue
		}
		for h, p := range packetProps(v.packet) {
			if n, err := p.size(h); err == nil && p != nil {
				f.Add(appendProps(nil, p, n))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, h := range propertyHolders {
			d := body{t: max(h, CONNECT), b: data}
			p := d.props(h)
			if d.err != nil {
				var e *Error
				if !errors.As(d.err, &e) || !errors.Is(d.err, ErrMalformed) {
					t.Fatalf("%s: got %v, want an *Error of ErrMalformed", where(h), d.err)
				}
				continue
			}
			used := len(data) - len(d.b)
			n, err := p.size(h)
			if err != nil {
				t.Fatalf("%s: decoded %#v, but the encoder refuses it: %v", where(h), p, err)
			}
			b := appendProps(nil, p, n)
			if len(b) > used {
				t.Fatalf("%s: %d bytes decoded, %d encoded", where(h), used, len(b))
			}
			d2 := body{t: d.t, b: b}
			p2 := d2.props(h)
			if d2.err != nil || len(d2.b) != 0 || !reflect.DeepEqual(p, p2) {
				t.Fatalf("%s: decode, encode, decode: got %#v, %v, want %#v", where(h), p2, d2.err, p)
			}
		}
	})
}
