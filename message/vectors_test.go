package message

import (
	"bytes"
	"io"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vector is one packet on the wire. A row with a nil err is a valid packet:
// raw decodes to packet and, unless decodeOnly, packet encodes to exactly
// raw. A row with an err is refused with that sentinel.
type vector struct {
	desc       string
	version    Version
	max        int // size limit given to the decoder; 0 means none
	raw        []byte
	packet     Packet
	err        error
	decodeOnly bool // accepted, but not how the codec encodes the packet
}

// vectors holds every packet type in every protocol level and every way a
// packet can be refused: the 3.1 and 3.1.1 rows of the vectors_v3_*_test.go
// files and the 5.0 rows of the vectors_v5_*_test.go files.
var vectors = slices.Concat(v3ConnectVectors, v3PublishVectors, v3SubscribeVectors,
	v5ConnectVectors, v5ConnackVectors, v5PublishVectors, v5SubscribeVectors)

// vectors3 are the rows of MQTT 3.1 and 3.1.1.

// decodeVector decodes v.raw twice, with a Reader and with Decode, checks
// that both agree, and returns the Reader's result. A valid packet must be
// the whole input.
func decodeVector(t *testing.T, v vector) (Packet, error) {
	t.Helper()
	r := NewReader(bytes.NewReader(v.raw), v.version, v.max)
	got, err := r.ReadPacket()
	if err == nil {
		_, err := r.ReadPacket()
		assert.Same(t, io.EOF, err, "ReadPacket after the packet")
	}
	dp, n, derr := Decode(v.raw, v.version, v.max)
	if err != nil {
		assert.EqualError(t, derr, err.Error(), "Decode error %v, ReadPacket error %v", derr, err)
	} else if assert.NoError(t, derr, "Decode error %v, ReadPacket error %v", derr, err) &&
		assert.True(t, reflect.DeepEqual(dp, got), "Decode got %#v, ReadPacket got %#v", dp, got) {
		assert.Equal(t, len(v.raw), n, "Decode took %d bytes, want %d", n, len(v.raw))
	}
	return got, err
}

func TestVectorsDecode(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.desc, func(t *testing.T) {
			got, err := decodeVector(t, v)
			if v.err == nil {
				require.NoError(t, err, "want %#v", v.packet)
				assert.True(t, reflect.DeepEqual(got, v.packet), "got %#v, want %#v", got, v.packet)
				return
			}
			require.ErrorIs(t, err, v.err, "packet %#v", got)
			assert.Nil(t, got, "got packet %#v with the error, want nil", got)
			if v.err == io.ErrUnexpectedEOF || v.err == ErrVersion {
				return
			}
			// Every refusal of a received packet is an *Error of the
			// ErrMalformed or ErrPacketTooLarge family naming the type.
			family := ErrMalformed
			if v.err == ErrPacketTooLarge {
				family = ErrPacketTooLarge
			}
			assert.ErrorIs(t, err, family)
			var e *Error
			require.ErrorAs(t, err, &e, "got %T, want *Error", err)
			assert.Equal(t, Type(v.raw[0]>>4), e.Type, "Error.Type")
		})
	}
}

func TestVectorsEncode(t *testing.T) {
	for _, v := range vectors {
		if v.err != nil || v.decodeOnly {
			continue
		}
		t.Run(v.desc, func(t *testing.T) {
			version := v.version
			if c, ok := v.packet.(*Connect); ok {
				version = c.Version // CONNECT carries its own level
			}
			got, err := v.packet.Append(nil, version)
			require.NoError(t, err, "Append: want % x", v.raw)
			assert.Equal(t, v.raw, got, "Append")

			// Appending keeps what dst holds and, with room, does not allocate.
			dst := make([]byte, 3, 3+len(v.raw))
			dst[0], dst[1], dst[2] = 'p', 'r', 'e'
			got, err = v.packet.Append(dst, version)
			if assert.NoError(t, err, "Append after a prefix") {
				assert.Equal(t, append([]byte("pre"), v.raw...), got, "Append after a prefix: want \"pre\" then % x", v.raw)
			}
			assert.Zero(t, testing.AllocsPerRun(10, func() { _, _ = v.packet.Append(dst[:0], version) }), "Append into a buffer with room: allocations")

			var w bytes.Buffer
			assert.NoError(t, Write(&w, v.packet, version), "Write")
			assert.Equal(t, v.raw, w.Bytes(), "Write")
		})
	}
}
