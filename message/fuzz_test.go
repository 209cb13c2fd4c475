package message

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzLimit is the packet size limit of FuzzReadPacket: small, so that
// every declared length above it must be refused from the fixed header.
const fuzzLimit = 1024

// FuzzReadPacket decodes arbitrary bytes as a stream of packets with every
// protocol level, 5.0 included. Decoding must never panic, Decode and Reader must agree,
// a declared size over the limit must give ErrPacketTooLarge, and every
// packet decoded must encode, decode back to an equal packet, and encode
// again to the same bytes.
func FuzzReadPacket(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.raw)
	}
	for _, ver := range []Version{V311, V5} {
		var stream []byte
		for _, v := range vectors {
			if v.err == nil && !v.decodeOnly && v.version == ver {
				stream = append(stream, v.raw...)
			}
		}
		f.Add(stream)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []Version{V31, V311, V5} {
			r := NewReader(bytes.NewReader(data), v, fuzzLimit)
			for off := 0; ; {
				p, err := r.ReadPacket()
				checkFixedHeaderRule(t, data[off:], v, err)
				dp, n, derr := Decode(data[off:], v, fuzzLimit)
				if err == nil {
					require.NoError(t, derr, "%v at %d: ReadPacket error %v, Decode error %v", v, off, err, derr)
				} else {
					require.EqualError(t, derr, err.Error(), "%v at %d: ReadPacket error %v, Decode error %v", v, off, err, derr)
				}
				if err != nil {
					require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrPacketTooLarge) || err == io.EOF || err == io.ErrUnexpectedEOF,
						"%v at %d: got %v, want ErrMalformed, ErrPacketTooLarge or an io error", v, off, err)
					break
				}
				require.True(t, reflect.DeepEqual(p, dp), "%v at %d: ReadPacket got %#v, Decode got %#v", v, off, p, dp)
				require.LessOrEqual(t, n, fuzzLimit, "%v at %d: decoded a packet of %d bytes over the limit %d", v, off, n, fuzzLimit)
				checkRoundTrip(t, p, v, n)
				off += n
			}
		}
	})
}

// checkFixedHeaderRule reads the fixed header of b as the specification
// defines it and checks that a packet declaring more than fuzzLimit bytes
// was refused with ErrPacketTooLarge.
func checkFixedHeaderRule(t *testing.T, b []byte, v Version, err error) {
	t.Helper()
	if len(b) == 0 {
		return
	}
	if _, _, ferr := checkFirstByte(b[0], v); ferr != nil {
		return
	}
	n, mult := 0, 1
	for i := 1; i <= 4; i++ {
		if i >= len(b) {
			return
		}
		n += int(b[i]&0x7f) * mult
		mult *= 128
		if b[i]&0x80 == 0 {
			// 5.0 may refuse a length not in its shortest form first.
			shortest := !(v == V5 && errors.Is(err, ErrVarInt))
			if 1+i+n > fuzzLimit && shortest {
				require.ErrorIs(t, err, ErrPacketTooLarge, "%v: header % x declares %d bytes over the limit", v, b[:1+i], 1+i+n)
			}
			return
		}
	}
}

// checkRoundTrip encodes p, decodes it back and encodes again.
func checkRoundTrip(t *testing.T, p Packet, v Version, size int) {
	t.Helper()
	if c, ok := p.(*Connect); ok {
		v = c.Version // CONNECT carries its own level
	}
	b1, err := p.Append(nil, v)
	if senderOnly(p, err) {
		return
	}
	require.NoError(t, err, "%v: decoded %#v, but Append refuses it", v, p)
	require.LessOrEqual(t, len(b1), size, "%v: %#v took %d bytes to decode, %d to encode", v, p, size, len(b1))
	p2, n, err := Decode(b1, v, 0)
	require.NoError(t, err, "%v: Decode(% x) of %#v: want the whole packet", v, b1, p)
	require.Equal(t, len(b1), n, "%v: Decode(% x) of %#v: got %d bytes, want the whole packet", v, b1, p, n)
	require.True(t, reflect.DeepEqual(p, p2), "%v: decode, encode, decode: got %#v, want %#v", v, p2, p)
	b2, err := p2.Append(nil, v)
	require.NoError(t, err, "%v: encoding is not stable", v)
	require.True(t, bytes.Equal(b1, b2), "%v: encoding is not stable: got % x, want % x", v, b2, b1)
}

// FuzzTopic checks the topic functions on arbitrary strings: they never
// panic, MatchFilter agrees with the level-by-level reference, a match
// has the structure the wildcards allow, and what validates can be sent.
func FuzzTopic(f *testing.F) {
	for _, tt := range matchTests {
		f.Add(tt.filter, tt.topic)
	}
	f.Add("a/#/b", "a/x/b")
	f.Add("a+/b", "a+/b")
	f.Add("#x", "#x")
	f.Add("", "")

	f.Fuzz(func(t *testing.T, filter, topic string) {
		ferr := ValidFilter(filter)
		terr := ValidTopic(topic)
		match := MatchFilter(filter, topic)
		for _, s := range []string{filter, topic} {
			require.Equal(t, s, strings.Join(SplitLevels(nil, s), "/"), "SplitLevels(%q) joined", s)
		}
		if terr == nil {
			require.NoError(t, ValidFilter(topic), "topic %q is valid but not as a filter", topic)
			require.True(t, MatchFilter(topic, topic), "topic %q does not match itself", topic)
			checkSendable(t, &Publish{Message{Topic: topic}})
		}
		if ferr == nil {
			require.NoError(t, ValidString(filter), "filter %q is valid but not as a string", filter)
			checkSendable(t, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: filter, QoS: QoS1}}})
		}
		if ferr != nil || terr != nil {
			return
		}
		require.Equal(t, matchReference(filter, topic), match, "MatchFilter(%q, %q)", filter, topic)
		if !match {
			return
		}
		if !strings.ContainsAny(filter, "+#") {
			require.Equal(t, topic, filter, "MatchFilter(%q, %q): a filter without wildcards matched another topic", filter, topic)
		}
		require.False(t, topic[0] == '$' && (filter[0] == '+' || filter[0] == '#'), "MatchFilter(%q, %q): a leading wildcard matched a $ topic", filter, topic)
		fl, tl := SplitLevels(nil, filter), SplitLevels(nil, topic)
		if last := fl[len(fl)-1]; last == "#" {
			require.GreaterOrEqual(t, len(tl), len(fl)-1, "MatchFilter(%q, %q): too few topic levels for the filter", filter, topic)
		} else {
			require.Len(t, tl, len(fl), "MatchFilter(%q, %q): level counts %d and %d differ without '#'", filter, topic, len(fl), len(tl))
		}
		for i, l := range fl {
			if l != "+" && l != "#" {
				require.Equal(t, l, tl[i], "MatchFilter(%q, %q): level %d is %q in the filter, %q in the topic", filter, topic, i, l, tl[i])
			}
		}
	})
}

// checkSendable encodes p and decodes it back unchanged.
func checkSendable(t *testing.T, p Packet) {
	t.Helper()
	b, err := p.Append(nil, V311)
	require.NoError(t, err, "Append(%#v)", p)
	got, _, err := Decode(b, V311, 0)
	require.NoError(t, err, "Decode(Append(%#v))", p)
	require.True(t, reflect.DeepEqual(got, p), "Decode(Append(%#v)): got %#v", p, got)
}

// senderOnly reports whether Append refused the decoded p for a rule that
// binds only the sender, so the decoder accepts what the encoder refuses:
// a client identifier 3.1 does not allow or an empty one with clean
// session 0 in 3.1.1 (a server answers it with a CONNACK refusal), a
// password without a user name in 3.1, and the 3.1.1 form of a CONNACK
// refusal read at 5.0.
func senderOnly(p Packet, err error) bool {
	switch p.(type) {
	case *Connect:
		return errors.Is(err, ErrClientID) || errors.Is(err, ErrPasswordFlag)
	case *Connack:
		return errors.Is(err, ErrReasonCode)
	}
	return false
}
