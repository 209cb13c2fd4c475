package message

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppendRejects lists what a sender must never send. Append returns
// the sentinel, appends nothing, and does not call it malformed: the
// mistake is the caller's, not a peer's.
func TestAppendRejects(t *testing.T) {
	long := strings.Repeat("x", 65536)
	tests := []struct {
		name    string
		packet  Packet
		version Version
		err     error
	}{
		{"PUBLISH QoS 3", &Publish{Message: Message{Topic: "t", QoS: 3, PacketID: 1}}, V311, ErrInvalidQoS},
		{"PUBLISH topic with +", &Publish{Message: Message{Topic: "a/+"}}, V311, ErrInvalidTopic},
		{"PUBLISH topic with #", &Publish{Message: Message{Topic: "#"}}, V31, ErrInvalidTopic},
		{"PUBLISH empty topic", &Publish{Message: Message{Topic: ""}}, V311, ErrInvalidTopic},
		{"PUBLISH topic not UTF-8", &Publish{Message: Message{Topic: "a\xff"}}, V311, ErrInvalidUTF8},
		{"PUBLISH topic with U+0000", &Publish{Message: Message{Topic: "a\x00"}}, V311, ErrInvalidUTF8},
		{"PUBLISH topic too long", &Publish{Message: Message{Topic: long}}, V311, ErrStringTooLong},
		{"PUBLISH QoS 1 packet identifier 0", &Publish{Message: Message{Topic: "t", QoS: QoS1}}, V311, ErrZeroPacketID},
		{"PUBLISH QoS 2 packet identifier 0", &Publish{Message: Message{Topic: "t", QoS: QoS2}}, V31, ErrZeroPacketID},
		{"PUBLISH DUP at QoS 0", &Publish{Message: Message{Topic: "t", Dup: true}}, V311, ErrInvalidFlags},
		{"PUBLISH for version 6", &Publish{Message: Message{Topic: "t"}}, 6, ErrVersion},
		{"PUBLISH for no version", &Publish{Message: Message{Topic: "t"}}, 0, ErrVersion},
		{"PUBACK packet identifier 0", &Puback{}, V311, ErrZeroPacketID},
		{"PUBREC packet identifier 0", &Pubrec{}, V31, ErrZeroPacketID},
		{"PUBREL packet identifier 0", &Pubrel{}, V311, ErrZeroPacketID},
		{"PUBCOMP packet identifier 0", &Pubcomp{}, V311, ErrZeroPacketID},
		{"UNSUBACK packet identifier 0", &Unsuback{}, V311, ErrZeroPacketID},
		{"PUBACK for version 6", &Puback{PacketID: 1}, 6, ErrVersion},
		{"SUBSCRIBE packet identifier 0", &Subscribe{Subscriptions: []Subscription{{Filter: "a", QoS: 0}}}, V311, ErrZeroPacketID},
		{"SUBSCRIBE without a filter", &Subscribe{PacketID: 1}, V311, ErrNoFilters},
		{"SUBSCRIBE filter a/#/b", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a/#/b", QoS: 0}}}, V311, ErrInvalidFilter},
		{"SUBSCRIBE filter a+/b", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a+/b", QoS: 0}}}, V31, ErrInvalidFilter},
		{"SUBSCRIBE empty filter", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "", QoS: 0}}}, V311, ErrInvalidFilter},
		{"SUBSCRIBE QoS 3", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: 3}}}, V311, ErrInvalidQoS},
		{"SUBSCRIBE filter too long", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: long, QoS: 0}}}, V311, ErrStringTooLong},
		{"SUBACK packet identifier 0", &Suback{ReturnCodes: []SubackCode{0}}, V311, ErrZeroPacketID},
		{"SUBACK without a return code", &Suback{PacketID: 1}, V311, ErrReturnCode},
		{"SUBACK return code 3", &Suback{PacketID: 1, ReturnCodes: []SubackCode{3}}, V311, ErrReturnCode},
		{"SUBACK failure in 3.1", &Suback{PacketID: 1, ReturnCodes: []SubackCode{SubackFailure}}, V31, ErrReturnCode},
		{"UNSUBSCRIBE packet identifier 0", &Unsubscribe{Filters: []string{"a"}}, V311, ErrZeroPacketID},
		{"UNSUBSCRIBE without a filter", &Unsubscribe{PacketID: 1}, V311, ErrNoFilters},
		{"UNSUBSCRIBE filter #x", &Unsubscribe{PacketID: 1, Filters: []string{"a", "#x"}}, V311, ErrInvalidFilter},
		{"CONNACK session present with a refusal", &Connack{SessionPresent: true, ReturnCode: RefusedServerUnavailable}, V311, ErrReturnCode},
		{"CONNACK for version 6", &Connack{}, 6, ErrVersion},
		{"CONNECT version 5 appended as 3.1.1", &Connect{Version: V5, ClientID: "c"}, V311, ErrVersionMismatch},
		{"CONNECT version 6", &Connect{Version: 6}, 6, ErrVersion},
		{"CONNECT no version, appended for no version", &Connect{}, 0, ErrVersion},
		{"CONNECT client identifier with U+0000", &Connect{Version: V311, ClientID: "a\x00"}, V311, ErrInvalidUTF8},
		{"CONNECT client identifier too long", &Connect{Version: V311, ClientID: long}, V311, ErrStringTooLong},
		{"CONNECT will topic with #", &Connect{Version: V311, ClientID: "c", Will: &Will{Topic: "a/#"}}, V311, ErrInvalidTopic},
		{"CONNECT empty will topic", &Connect{Version: V31, ClientID: "c", Will: &Will{}}, V31, ErrInvalidTopic},
		{"CONNECT will QoS 3", &Connect{Version: V311, ClientID: "c", Will: &Will{Topic: "w", QoS: 3}}, V311, ErrInvalidQoS},
		{"CONNECT will message too long", &Connect{Version: V311, ClientID: "c", Will: &Will{Topic: "w", Payload: []byte(long)}}, V311, ErrStringTooLong},
		{"CONNECT user name not UTF-8", &Connect{Version: V311, ClientID: "c", UsernameFlag: true, Username: "\xff"}, V311, ErrInvalidUTF8},
		{"CONNECT 3.1.1 password without user name", &Connect{Version: V311, ClientID: "c", PasswordFlag: true, Password: []byte("p")}, V311, ErrPasswordFlag},
		{"CONNECT password too long", &Connect{Version: V31, ClientID: "c", UsernameFlag: true, PasswordFlag: true, Password: []byte(long)}, V31, ErrStringTooLong},
		{"PINGREQ for version 6", &Pingreq{}, 6, ErrVersion},
		{"PINGRESP for version 6", &Pingresp{}, 6, ErrVersion},
		{"DISCONNECT for version 6", &Disconnect{}, 6, ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("pre")
			got, err := tt.packet.Append(dst, tt.version)
			require.ErrorIs(t, err, tt.err)
			assert.NotErrorIs(t, err, ErrMalformed, "want no ErrMalformed for an outbound packet")
			var e *Error
			assert.ErrorAs(t, err, &e, "want *Error")
			assert.Equal(t, "pre", string(got), "got % x appended, want dst unchanged", got)
			var w bytes.Buffer
			err = Write(&w, tt.packet, tt.version)
			assert.ErrorIs(t, err, tt.err, "Write")
			assert.Zero(t, w.Len(), "Write: bytes written")
		})
	}
}

func TestAppendAck(t *testing.T) {
	tests := []struct {
		t    Type
		id   uint16
		want []byte
		err  error
	}{
		{PUBACK, 1, []byte{0x40, 2, 0, 1}, nil},
		{PUBREC, 0x0102, []byte{0x50, 2, 1, 2}, nil},
		{PUBREL, 0xffff, []byte{0x62, 2, 0xff, 0xff}, nil},
		{PUBCOMP, 7, []byte{0x70, 2, 0, 7}, nil},
		{UNSUBACK, 8, []byte{0xb0, 2, 0, 8}, nil},
		{PUBACK, 0, nil, ErrZeroPacketID},
		{SUBACK, 1, nil, ErrInvalidType},
		{PUBLISH, 1, nil, ErrInvalidType},
		{0, 1, nil, ErrInvalidType},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v %d", tt.t, tt.id), func(t *testing.T) {
			got, err := AppendAck(nil, tt.t, tt.id)
			assert.True(t, bytes.Equal(got, tt.want), "got % x, want % x", got, tt.want)
			if tt.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.err)
			}
		})
	}
}

// errWriter fails every write.
type errWriter struct{}

var errWrite = errors.New("write failed")

func (errWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteError(t *testing.T) {
	assert.Same(t, errWrite, Write(errWriter{}, &Pingreq{}, V311))
}

// failingReader returns its error after its bytes.
type failingReader struct {
	b   []byte
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestReadPacketStreamErrors(t *testing.T) {
	errConn := errors.New("connection reset")
	tests := []struct {
		name string
		b    []byte
		err  error // error from the stream after b
		want error
	}{
		{"clean end between packets", nil, io.EOF, io.EOF},
		{"end inside the remaining length", []byte{0x30}, io.EOF, io.ErrUnexpectedEOF},
		{"end inside the body", []byte{0x40, 2, 0}, io.EOF, io.ErrUnexpectedEOF},
		{"end inside a large body", append([]byte{0x30, 0x80, 0x80, 0x08}, make([]byte, 100)...), io.EOF, io.ErrUnexpectedEOF},
		{"read error before a packet", nil, errConn, errConn},
		{"read error inside the header", []byte{0x30}, errConn, errConn},
		{"read error inside the body", []byte{0x40, 2, 0}, errConn, errConn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(&failingReader{b: tt.b, err: tt.err}, V311, 0)
			_, err := r.ReadPacket()
			assert.Same(t, tt.want, err)
		})
	}
}

// TestReaderReuse reads a stream of packets: each packet value is reused
// by the next call of its type, while what it holds stays the caller's.
func TestReaderReuse(t *testing.T) {
	var stream []byte
	for _, p := range []Packet{
		&Publish{Message: Message{Topic: "a", Payload: []byte("one"), QoS: QoS1, PacketID: 1}},
		&Puback{PacketID: 9},
		&Publish{Message: Message{Topic: "b", Payload: []byte("two")}},
		&Publish{Message: Message{Topic: "c"}},
	} {
		stream, _ = p.Append(stream, V311)
	}
	r := NewReader(bytes.NewReader(stream), V311, 0)
	p1, _ := r.ReadPacket()
	first := p1.(*Publish).Message
	ack, _ := r.ReadPacket()
	assert.Equal(t, uint16(9), ack.(*Puback).PacketID, "PUBACK id")
	p2, _ := r.ReadPacket()
	assert.Same(t, p1, p2, "got a new PUBLISH value, want the Reader's reused one")
	second := p2.(*Publish).Message
	p3, err := r.ReadPacket()
	require.NoError(t, err)
	assert.Equal(t, Message{Topic: "c"}, p3.(*Publish).Message, "third PUBLISH: want topic c and every other field cleared")
	assert.Equal(t, "a", first.Topic, "first message after later reads: %+v", first)
	assert.Equal(t, "one", string(first.Payload), "first message after later reads: %+v", first)
	assert.Equal(t, uint16(1), first.PacketID, "first message after later reads: %+v", first)
	assert.Equal(t, "b", second.Topic, "second message after later reads: %+v", second)
	assert.Equal(t, "two", string(second.Payload), "second message after later reads: %+v", second)
}

// TestDecodeOwnsNothing checks that a packet from Decode keeps no memory
// of its input.
func TestDecodeOwnsNothing(t *testing.T) {
	raw, _ := (&Publish{Message: Message{Topic: "t", Payload: []byte("payload")}}).Append(nil, V311)
	p, _, err := Decode(raw, V311, 0)
	require.NoError(t, err)
	for i := range raw {
		raw[i] = 0
	}
	m := p.(*Publish).Message
	assert.Equal(t, "t", m.Topic, "after clearing the input")
	assert.Equal(t, "payload", string(m.Payload), "after clearing the input")
	_, _, err = Decode(nil, V311, 0)
	assert.Same(t, io.EOF, err, "Decode(nil)")
}

func TestError(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		text string
		is   []error
	}{
		{"decoder error", malformed(PUBACK, ErrZeroPacketID, "packet identifier must be non-zero").(*Error),
			"onmqtt: malformed packet PUBACK: packet identifier 0: packet identifier must be non-zero",
			[]error{ErrMalformed, ErrZeroPacketID}},
		{"type unknown", malformed(0, ErrInvalidType, "type 0").(*Error),
			"onmqtt: malformed packet: invalid packet type: type 0",
			[]error{ErrMalformed, ErrInvalidType}},
		{"too large", checkLimit(PUBLISH, 11, 10).(*Error),
			"onmqtt: packet too large PUBLISH: packet of 11 bytes over the limit of 10",
			[]error{ErrPacketTooLarge}},
		{"encoding too large", checkSize(PUBLISH, MaxRemainingLength+1).(*Error),
			"onmqtt: packet too large PUBLISH: remaining length would exceed 268435455",
			[]error{ErrPacketTooLarge}},
		{"zero value", &Error{}, "onmqtt: malformed packet", []error{ErrMalformed}},
		{"built by hand with a foreign rule", &Error{Type: SUBACK, Rule: io.EOF},
			"onmqtt: malformed packet SUBACK: EOF", []error{ErrMalformed, io.EOF}},
		{"built by hand, too large", &Error{Rule: ErrPacketTooLarge},
			"onmqtt: packet too large", []error{ErrPacketTooLarge}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.text, tt.err.Error())
			for _, e := range tt.is {
				assert.ErrorIs(t, tt.err, e)
			}
			if tt.err.Rule != ErrPacketTooLarge {
				assert.NotErrorIs(t, tt.err, ErrPacketTooLarge, "want only its own family")
			}
		})
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{CONNECT, "CONNECT"},
		{PUBREL, "PUBREL"},
		{DISCONNECT, "DISCONNECT"},
		{AUTH, "AUTH"},
		{Type(0), "Type(0)"},
		{Type(16), "Type(16)"},
		{QoS0, "QoS0"},
		{QoS2, "QoS2"},
		{QoS(3), "QoS(3)"},
		{V31, "3.1"},
		{V311, "3.1.1"},
		{V5, "5.0"},
		{Version(0), "Version(0)"},
		{Accepted, "connection accepted"},
		{RefusedNotAuthorized, "not authorized"},
		{ConnackCode(6), "ConnackCode(6)"},
		{SubackCode(1), "granted QoS1"},
		{SubackFailure, "failure"},
		{SubackCode(3), "SubackCode(3)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.v.String())
		})
	}
}

func TestTypeProperties(t *testing.T) {
	for typ := Type(0); typ < 16; typ++ {
		wantValid := typ >= CONNECT && typ <= DISCONNECT
		assert.Equal(t, wantValid, typ.Valid(), "%v.Valid()", typ)
		// A type has a packet identifier exactly when its acknowledgement
		// or request form (everything from PUBACK to UNSUBACK) carries one.
		wantID := typ >= PUBACK && typ <= UNSUBACK
		assert.Equal(t, wantID, typ.HasPacketID(), "%v.HasPacketID()", typ)
	}
	assert.Equal(t, "MQIsdp", V31.ProtocolName(), "V31.ProtocolName()")
	assert.Equal(t, "MQTT", V311.ProtocolName(), "V311.ProtocolName()")
	code, ok := SubackFailure.Granted()
	assert.False(t, ok, "SubackFailure.Granted()")
	assert.Equal(t, QoS(0), code, "SubackFailure.Granted()")
	code, ok = SubackCode(2).Granted()
	assert.True(t, ok, "SubackCode(2).Granted()")
	assert.Equal(t, QoS2, code, "SubackCode(2).Granted()")
}

// loopStream repeats one packet without end.
type loopStream struct {
	packet []byte
	off    int
}

func (s *loopStream) Read(p []byte) (int, error) {
	n := copy(p, s.packet[s.off:])
	s.off = (s.off + n) % len(s.packet)
	return n, nil
}

// TestReadPacketAllocs pins the allocations of decoding: none for a packet
// without strings, one per string or payload the caller receives.
func TestReadPacketAllocs(t *testing.T) {
	tests := []struct {
		packet Packet
		max    float64
	}{
		{&Puback{PacketID: 1}, 0},
		{&Pubrel{PacketID: 1}, 0},
		{&Pingresp{}, 0},
		{&Connack{SessionPresent: true}, 0},
		{&Publish{Message: Message{Topic: "a/b", QoS: QoS1, PacketID: 1}}, 1},                              // topic
		{&Publish{Message: Message{Topic: "a/b", Payload: make([]byte, 4096), QoS: QoS1, PacketID: 1}}, 2}, // topic, payload
		{&Suback{PacketID: 1, ReturnCodes: []SubackCode{0, 1}}, 1},                                         // return codes
	}
	for _, tt := range tests {
		t.Run(tt.packet.Type().String(), func(t *testing.T) {
			raw, err := tt.packet.Append(nil, V311)
			require.NoError(t, err)
			r := NewReader(&loopStream{packet: raw}, V311, 0)
			allocs := testing.AllocsPerRun(100, func() {
				_, err := r.ReadPacket()
				require.NoError(t, err)
			})
			assert.LessOrEqual(t, allocs, tt.max, "allocations per packet")
		})
	}
}
