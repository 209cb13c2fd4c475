package message

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerStream yields a fixed header and then fails: a Reader that reads
// past the header reports errBodyRead.
type headerStream struct {
	pending  []byte
	bodyRead bool
}

var errBodyRead = errors.New("body read")

func (s *headerStream) Read(p []byte) (int, error) {
	if len(s.pending) == 0 {
		s.bodyRead = true
		return 0, errBodyRead
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// allocatedBytes returns the bytes allocated per call of f, on average.
func allocatedBytes(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func TestRemainingLength(t *testing.T) {
	tests := []struct {
		n      int
		header []byte // first byte 0x30 (PUBLISH QoS 0), then the remaining length
	}{
		{0, []byte{0x30, 0x00}},
		{127, []byte{0x30, 0x7f}},
		{128, []byte{0x30, 0x80, 0x01}},
		{16383, []byte{0x30, 0xff, 0x7f}},
		{16384, []byte{0x30, 0x80, 0x80, 0x01}},
		{2097151, []byte{0x30, 0xff, 0xff, 0x7f}},
		{2097152, []byte{0x30, 0x80, 0x80, 0x80, 0x01}},
		{268435455, []byte{0x30, 0xff, 0xff, 0xff, 0x7f}},
	}
	for _, tt := range tests {
		t.Run(itoa(tt.n), func(t *testing.T) {
			assert.Equal(t, tt.header, appendHeader(nil, 0x30, tt.n), "appendHeader")
			assert.NoError(t, checkSize(PUBLISH, tt.n), "checkSize")
			assert.Equal(t, len(tt.header)-1, lengthSize(tt.n), "lengthSize")

			r := NewReader(bytes.NewReader(tt.header[1:]), V311, 0)
			n, size, err := r.readLength(PUBLISH, V311)
			assert.NoError(t, err, "readLength")
			assert.Equal(t, tt.n, n, "readLength: length")
			assert.Equal(t, len(tt.header)-1, size, "readLength: bytes read")

			// The declared size is exactly what the limit sees: one byte
			// less is refused before the body is read, the size itself is not.
			total := len(tt.header) + tt.n
			src := &headerStream{pending: tt.header}
			_, err = NewReader(src, V311, total-1).ReadPacket()
			assert.ErrorIs(t, err, ErrPacketTooLarge, "limit %d: want ErrPacketTooLarge before the body", total-1)
			assert.False(t, src.bodyRead, "limit %d: body read, want ErrPacketTooLarge before the body", total-1)
			_, _, err = Decode(tt.header, V311, total-1)
			assert.ErrorIs(t, err, ErrPacketTooLarge, "Decode with limit %d", total-1)
			if _, _, err := Decode(tt.header, V311, total); tt.n > 0 {
				assert.Same(t, io.ErrUnexpectedEOF, err, "Decode with limit %d of the header alone", total)
			}

			if tt.n < 3 || tt.n > 2097152 {
				return
			}
			// A whole PUBLISH of that remaining length goes through.
			p := &Publish{Message{Topic: "t", Payload: make([]byte, tt.n-3)}}
			b, err := p.Append(nil, V311)
			require.NoError(t, err, "Append")
			require.True(t, bytes.HasPrefix(b, tt.header) && len(b) == total,
				"Append: got %d bytes starting % x, want %d starting % x", len(b), b[:min(len(b), 5)], total, tt.header)
			got, err := NewReader(bytes.NewReader(b), V311, total).ReadPacket()
			if assert.NoError(t, err, "ReadPacket") {
				assert.Len(t, got.(*Publish).Payload, tt.n-3, "ReadPacket: payload")
			}
		})
	}
}

func TestRemainingLengthTooLong(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
	}{
		{"five bytes ending in 1", []byte{0x30, 0x80, 0x80, 0x80, 0x80, 0x01}},
		{"five bytes, largest values", []byte{0xc0, 0xff, 0xff, 0xff, 0xff, 0x7f}},
		{"five bytes ending in 0", []byte{0x40, 0x80, 0x80, 0x80, 0x80, 0x00}},
		{"continuation in the 4th byte, stream ends", []byte{0xe0, 0x80, 0x80, 0x80, 0x80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &headerStream{pending: tt.raw}
			_, err := NewReader(src, V311, 0).ReadPacket()
			assert.ErrorIs(t, err, ErrRemainingLength, "ReadPacket")
			assert.ErrorIs(t, err, ErrMalformed, "ReadPacket")
			assert.False(t, src.bodyRead, "ReadPacket read past the 4th length byte")
			_, _, err = Decode(tt.raw, V311, 0)
			assert.ErrorIs(t, err, ErrRemainingLength, "Decode")
		})
	}
}

// TestLimitBeforeBody checks that a packet over the limit is refused from
// its fixed header: the body is never read and no buffer of its size is
// allocated.
func TestLimitBeforeBody(t *testing.T) {
	const limit = 1024
	header := []byte{0x30, 0x80, 0x80, 0x40} // PUBLISH, remaining length 1 MiB
	src := &headerStream{}
	r := NewReader(bufio.NewReaderSize(src, 16), V311, limit)
	read := func() {
		src.pending = header
		_, err := r.ReadPacket()
		require.ErrorIs(t, err, ErrPacketTooLarge, "want ErrPacketTooLarge before the body")
		require.False(t, src.bodyRead, "body read, want ErrPacketTooLarge before the body")
	}
	// The error itself costs a few small allocations, nothing else.
	assert.LessOrEqual(t, testing.AllocsPerRun(100, read), 4.0, "allocations per refused packet")
	assert.Less(t, allocatedBytes(100, read), uint64(limit), "bytes allocated per refused packet, want less than the limit")
}

// TestLargeDeclaredLength checks that a packet under the limit but never
// sent in full costs memory in proportion to what arrived, not to what
// its header declared.
func TestLargeDeclaredLength(t *testing.T) {
	header := []byte{0x30, 0xff, 0xff, 0xff, 0x7f} // PUBLISH, remaining length 268435455
	stream := append(header, 0, 1, 't', 'x', 'y', 'z')
	read := func() {
		_, err := NewReader(bytes.NewReader(stream), V311, 0).ReadPacket()
		require.Same(t, io.ErrUnexpectedEOF, err)
	}
	assert.LessOrEqual(t, allocatedBytes(4, read), uint64(1<<20), "bytes allocated for 11 bytes sent, want at most 1 MiB")
}

// TestLargeBody reads packets longer than the Reader's first buffer, whose
// body buffer grows as the bytes arrive.
func TestLargeBody(t *testing.T) {
	for _, n := range []int{readChunk - 5, readChunk - 4, readChunk + 1, 3*readChunk + 7, 1 << 20} {
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
		first, err := (&Publish{Message{Topic: "big", Payload: payload}}).Append(nil, V311)
		require.NoError(t, err)
		second, _ := (&Publish{Message{Topic: "small", Payload: []byte("s")}}).Append(nil, V311)
		r := NewReader(bytes.NewReader(append(first, second...)), V311, 0)
		got, err := r.ReadPacket()
		require.NoError(t, err, "payload of %d bytes", n)
		require.True(t, bytes.Equal(got.(*Publish).Payload, payload), "payload of %d bytes: want the payload back", n)
		got, err = r.ReadPacket()
		require.NoError(t, err, "packet after %d bytes", n)
		require.Equal(t, "small", got.(*Publish).Topic, "packet after %d bytes", n)
	}
}
