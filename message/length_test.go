package message

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
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
			if got := appendHeader(nil, 0x30, tt.n); !bytes.Equal(got, tt.header) {
				t.Errorf("appendHeader: got % x, want % x", got, tt.header)
			}
			if err := checkSize(PUBLISH, tt.n); err != nil {
				t.Errorf("checkSize: got %v, want nil", err)
			}
			if got, want := lengthSize(tt.n), len(tt.header)-1; got != want {
				t.Errorf("lengthSize: got %d, want %d", got, want)
			}

			r := NewReader(bytes.NewReader(tt.header[1:]), V311, 0)
			n, size, err := r.readLength(PUBLISH, V311)
			if err != nil || n != tt.n || size != len(tt.header)-1 {
				t.Errorf("readLength: got %d, %d, %v, want %d, %d, nil", n, size, err, tt.n, len(tt.header)-1)
			}

			// The declared size is exactly what the limit sees: one byte
			// less is refused before the body is read, the size itself is not.
			total := len(tt.header) + tt.n
			src := &headerStream{pending: tt.header}
			_, err = NewReader(src, V311, total-1).ReadPacket()
			if !errors.Is(err, ErrPacketTooLarge) || src.bodyRead {
				t.Errorf("limit %d: got %v, body read %v, want ErrPacketTooLarge before the body", total-1, err, src.bodyRead)
			}
			if _, _, err := Decode(tt.header, V311, total-1); !errors.Is(err, ErrPacketTooLarge) {
				t.Errorf("Decode with limit %d: got %v, want ErrPacketTooLarge", total-1, err)
			}
			if _, _, err := Decode(tt.header, V311, total); err != io.ErrUnexpectedEOF && tt.n > 0 {
				t.Errorf("Decode with limit %d of the header alone: got %v, want io.ErrUnexpectedEOF", total, err)
			}

			if tt.n < 3 || tt.n > 2097152 {
				return
			}
			// A whole PUBLISH of that remaining length goes through.
			p := &Publish{Message{Topic: "t", Payload: make([]byte, tt.n-3)}}
			b, err := p.Append(nil, V311)
			if err != nil || !bytes.HasPrefix(b, tt.header) || len(b) != total {
				t.Fatalf("Append: got %d bytes starting % x, %v, want %d starting % x", len(b), b[:min(len(b), 5)], err, total, tt.header)
			}
			got, err := NewReader(bytes.NewReader(b), V311, total).ReadPacket()
			if err != nil || len(got.(*Publish).Payload) != tt.n-3 {
				t.Errorf("ReadPacket: got %v, want a payload of %d bytes", err, tt.n-3)
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
			if !errors.Is(err, ErrRemainingLength) || !errors.Is(err, ErrMalformed) {
				t.Errorf("ReadPacket: got %v, want ErrRemainingLength", err)
			}
			if src.bodyRead {
				t.Errorf("ReadPacket read past the 4th length byte")
			}
			if _, _, err := Decode(tt.raw, V311, 0); !errors.Is(err, ErrRemainingLength) {
				t.Errorf("Decode: got %v, want ErrRemainingLength", err)
			}
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
		if _, err := r.ReadPacket(); !errors.Is(err, ErrPacketTooLarge) || src.bodyRead {
			t.Fatalf("got %v, body read %v, want ErrPacketTooLarge before the body", err, src.bodyRead)
		}
	}
	// The error itself costs a few small allocations, nothing else.
	if allocs := testing.AllocsPerRun(100, read); allocs > 4 {
		t.Errorf("got %v allocations per refused packet, want at most 4", allocs)
	}
	if got := allocatedBytes(100, read); got >= limit {
		t.Errorf("got %d bytes allocated per refused packet, want less than the limit %d", got, limit)
	}
}

// TestLargeDeclaredLength checks that a packet under the limit but never
// sent in full costs memory in proportion to what arrived, not to what
// its header declared.
func TestLargeDeclaredLength(t *testing.T) {
	header := []byte{0x30, 0xff, 0xff, 0xff, 0x7f} // PUBLISH, remaining length 268435455
	stream := append(header, 0, 1, 't', 'x', 'y', 'z')
	read := func() {
		_, err := NewReader(bytes.NewReader(stream), V311, 0).ReadPacket()
		if err != io.ErrUnexpectedEOF {
			t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
		}
	}
	if got := allocatedBytes(4, read); got > 1<<20 {
		t.Errorf("got %d bytes allocated for 11 bytes sent, want at most 1 MiB", got)
	}
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
		if err != nil {
			t.Fatal(err)
		}
		second, _ := (&Publish{Message{Topic: "small", Payload: []byte("s")}}).Append(nil, V311)
		r := NewReader(bytes.NewReader(append(first, second...)), V311, 0)
		got, err := r.ReadPacket()
		if err != nil || !bytes.Equal(got.(*Publish).Payload, payload) {
			t.Fatalf("payload of %d bytes: got %v, want the payload back", n, err)
		}
		got, err = r.ReadPacket()
		if err != nil || got.(*Publish).Topic != "small" {
			t.Fatalf("packet after %d bytes: got %v, %v, want topic small", n, got, err)
		}
	}
}
