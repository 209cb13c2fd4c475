package message

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"slices"
	"testing"
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
		if _, err := r.ReadPacket(); err != io.EOF {
			t.Errorf("ReadPacket after the packet: got %v, want io.EOF", err)
		}
	}
	dp, n, derr := Decode(v.raw, v.version, v.max)
	switch {
	case (err == nil) != (derr == nil):
		t.Errorf("Decode error %v, ReadPacket error %v", derr, err)
	case err != nil && derr.Error() != err.Error():
		t.Errorf("Decode error %q, ReadPacket error %q", derr, err)
	case err == nil && !reflect.DeepEqual(dp, got):
		t.Errorf("Decode got %#v, ReadPacket got %#v", dp, got)
	case err == nil && n != len(v.raw):
		t.Errorf("Decode took %d bytes, want %d", n, len(v.raw))
	}
	return got, err
}

func TestVectorsDecode(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.desc, func(t *testing.T) {
			got, err := decodeVector(t, v)
			if v.err == nil {
				if err != nil {
					t.Fatalf("got error %v, want %#v", err, v.packet)
				}
				if !reflect.DeepEqual(got, v.packet) {
					t.Errorf("got %#v, want %#v", got, v.packet)
				}
				return
			}
			if !errors.Is(err, v.err) {
				t.Fatalf("got %v (packet %#v), want error %v", err, got, v.err)
			}
			if got != nil {
				t.Errorf("got packet %#v with the error, want nil", got)
			}
			if v.err == io.ErrUnexpectedEOF || v.err == ErrVersion {
				return
			}
			// Every refusal of a received packet is an *Error of the
			// ErrMalformed or ErrPacketTooLarge family naming the type.
			family := ErrMalformed
			if v.err == ErrPacketTooLarge {
				family = ErrPacketTooLarge
			}
			if !errors.Is(err, family) {
				t.Errorf("got %v, want it to match %v", err, family)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T, want *Error", err)
			}
			if want := Type(v.raw[0] >> 4); e.Type != want {
				t.Errorf("got Error.Type %v, want %v", e.Type, want)
			}
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
			if err != nil {
				t.Fatalf("Append: got error %v, want % x", err, v.raw)
			}
			if !bytes.Equal(got, v.raw) {
				t.Errorf("Append: got % x, want % x", got, v.raw)
			}

			// Appending keeps what dst holds and, with room, does not allocate.
			dst := make([]byte, 3, 3+len(v.raw))
			dst[0], dst[1], dst[2] = 'p', 'r', 'e'
			got, err = v.packet.Append(dst, version)
			if err != nil || !bytes.Equal(got[:3], []byte("pre")) || !bytes.Equal(got[3:], v.raw) {
				t.Errorf("Append after a prefix: got % x, %v, want \"pre\" then % x", got, err, v.raw)
			}
			if allocs := testing.AllocsPerRun(10, func() { _, _ = v.packet.Append(dst[:0], version) }); allocs != 0 {
				t.Errorf("Append into a buffer with room: got %v allocations, want 0", allocs)
			}

			var w bytes.Buffer
			if err := Write(&w, v.packet, version); err != nil || !bytes.Equal(w.Bytes(), v.raw) {
				t.Errorf("Write: got % x, %v, want % x", w.Bytes(), err, v.raw)
			}
		})
	}
}
