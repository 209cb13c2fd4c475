package message

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
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
				require.ErrorAs(t, d.err, &e, "%s: want an *Error of ErrMalformed", where(h))
				require.ErrorIs(t, d.err, ErrMalformed, "%s: want an *Error of ErrMalformed", where(h))
				continue
			}
			used := len(data) - len(d.b)
			n, err := p.size(h)
			require.NoError(t, err, "%s: decoded %#v, but the encoder refuses it", where(h), p)
			b := appendProps(nil, p, n)
			require.LessOrEqual(t, len(b), used, "%s: %d bytes decoded, %d encoded", where(h), used, len(b))
			d2 := body{t: d.t, b: b}
			p2 := d2.props(h)
			require.NoError(t, d2.err, "%s: decode, encode, decode", where(h))
			require.Empty(t, d2.b, "%s: decode, encode, decode: bytes left", where(h))
			require.True(t, reflect.DeepEqual(p, p2), "%s: decode, encode, decode: got %#v, want %#v", where(h), p2, p)
		}
	})
}
