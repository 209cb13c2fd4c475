package message

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// presentProps returns the identifiers of the properties set in p.
func presentProps(p *Properties) []PropertyID {
	if p == nil {
		return nil
	}
	var ids []PropertyID
	add := func(set bool, id PropertyID) {
		if set {
			ids = append(ids, id)
		}
	}
	add(p.PayloadFormat.Set, PropPayloadFormat)
	add(p.MessageExpiry.Set, PropMessageExpiry)
	add(p.ContentType != "", PropContentType)
	add(p.ResponseTopic != "", PropResponseTopic)
	add(p.CorrelationData != nil, PropCorrelationData)
	add(len(p.SubscriptionIDs) > 0, PropSubscriptionID)
	add(p.SessionExpiry.Set, PropSessionExpiry)
	add(p.AssignedClientID != "", PropAssignedClientID)
	add(p.ServerKeepAlive.Set, PropServerKeepAlive)
	add(p.AuthMethod != "", PropAuthMethod)
	add(p.AuthData != nil, PropAuthData)
	add(p.RequestProblemInfo.Set, PropRequestProblemInfo)
	add(p.WillDelay.Set, PropWillDelay)
	add(p.RequestResponseInfo.Set, PropRequestResponseInfo)
	add(p.ResponseInfo != "", PropResponseInfo)
	add(p.ServerReference != "", PropServerReference)
	add(p.ReasonString != "", PropReasonString)
	add(p.ReceiveMaximum.Set, PropReceiveMaximum)
	add(p.TopicAliasMaximum.Set, PropTopicAliasMaximum)
	add(p.TopicAlias.Set, PropTopicAlias)
	add(p.MaximumQoS.Set, PropMaximumQoS)
	add(p.RetainAvailable.Set, PropRetainAvailable)
	add(len(p.UserProperties) > 0, PropUserProperty)
	add(p.MaximumPacketSize.Set, PropMaximumPacketSize)
	add(p.WildcardSubAvail.Set, PropWildcardSubAvail)
	add(p.SubIDAvail.Set, PropSubIDAvail)
	add(p.SharedSubAvail.Set, PropSharedSubAvail)
	return ids
}

// packetProps returns the properties of a packet by where they sit: the
// packet's type, and willProps for the will properties of CONNECT.
func packetProps(p Packet) map[Type]*Properties {
	switch p := p.(type) {
	case *Connect:
		m := map[Type]*Properties{CONNECT: p.Properties}
		if p.Will != nil {
			m[willProps] = p.Will.Properties
		}
		return m
	case *Connack:
		return map[Type]*Properties{CONNACK: p.Properties}
	case *Publish:
		return map[Type]*Properties{PUBLISH: p.Properties}
	case *Puback:
		return map[Type]*Properties{PUBACK: p.Properties}
	case *Pubrec:
		return map[Type]*Properties{PUBREC: p.Properties}
	case *Pubrel:
		return map[Type]*Properties{PUBREL: p.Properties}
	case *Pubcomp:
		return map[Type]*Properties{PUBCOMP: p.Properties}
	case *Subscribe:
		return map[Type]*Properties{SUBSCRIBE: p.Properties}
	case *Suback:
		return map[Type]*Properties{SUBACK: p.Properties}
	case *Unsubscribe:
		return map[Type]*Properties{UNSUBSCRIBE: p.Properties}
	case *Unsuback:
		return map[Type]*Properties{UNSUBACK: p.Properties}
	case *Disconnect:
		return map[Type]*Properties{DISCONNECT: p.Properties}
	case *Auth:
		return map[Type]*Properties{AUTH: p.Properties}
	}
	return nil
}

// TestVectorsCoverage keeps the table honest: every packet type has a valid
// row for each protocol level it exists in, every sentinel a refusal, and
// at 5.0 every property appears, encoded both ways, on every packet that
// may carry it.
func TestVectorsCoverage(t *testing.T) {
	valid := map[Type]map[Version]bool{}
	refused := map[error]bool{}
	props := map[Type]map[PropertyID]bool{}
	for _, v := range vectors {
		if v.err != nil {
			refused[v.err] = true
			continue
		}
		typ := v.packet.Type()
		if valid[typ] == nil {
			valid[typ] = map[Version]bool{}
		}
		valid[typ][v.version] = true
		if v.version != V5 || v.decodeOnly {
			continue
		}
		for h, p := range packetProps(v.packet) {
			if props[h] == nil {
				props[h] = map[PropertyID]bool{}
			}
			for _, id := range presentProps(p) {
				props[h][id] = true
			}
		}
	}
	for typ := CONNECT; typ <= AUTH; typ++ {
		for _, ver := range []Version{V31, V311, V5} {
			if typ.ValidIn(ver) {
				assert.True(t, valid[typ][ver], "no valid %v row for %v", typ, ver)
			}
		}
	}
	for id := range PropertyID(len(propTable)) {
		if propTable[id].kind == 0 {
			continue
		}
		for h := willProps; h <= AUTH; h++ {
			if id.AllowedIn(h) {
				assert.True(t, props[h][id], "no 5.0 row with %v in %s", id, where(h))
			}
		}
	}
	for _, e := range []error{ErrPacketTooLarge, ErrRemainingLength, ErrInvalidType, ErrInvalidFlags,
		ErrInvalidQoS, ErrTruncated, ErrTrailingBytes, ErrZeroPacketID, ErrNoFilters, ErrInvalidUTF8,
		ErrInvalidTopic, ErrInvalidFilter, ErrProtocolName, ErrProtocolLevel, ErrReservedFlag, ErrWillFlags,
		ErrPasswordFlag, ErrReturnCode, ErrVersion, ErrVarInt, ErrReasonCode, ErrUnknownProperty,
		ErrPropertyNotAllowed, ErrDuplicateProperty, ErrPropertyValue, ErrRetainHandling, ErrSharedNoLocal,
		ErrTopicAlias, io.ErrUnexpectedEOF} {
		assert.True(t, refused[e], "no row refused with %v", e)
	}
}

// TestVectorsV5Errors checks every 5.0 refusal: an *Error naming the
// packet type, of the family its rule belongs to, whose ReasonCode is
// what a receiver sends back.
func TestVectorsV5Errors(t *testing.T) {
	for _, v := range vectors {
		if v.version != V5 || v.err == nil || v.err == io.ErrUnexpectedEOF {
			continue
		}
		t.Run(v.desc, func(t *testing.T) {
			_, _, err := Decode(v.raw, v.version, v.max)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.ErrorIs(t, err, v.err)
			assert.Equal(t, Type(v.raw[0]>>4), e.Type)
			want := MalformedPacket
			switch v.err {
			case ErrPacketTooLarge:
				want = PacketTooLarge
			case ErrDuplicateProperty, ErrPropertyValue, ErrRetainHandling, ErrSharedNoLocal, ErrTopicAlias, ErrReasonCode:
				want = ProtocolError
			case ErrProtocolLevel:
				want = UnsupportedProtocolVersion
			case ErrInvalidTopic:
				want = TopicNameInvalid
			}
			assert.Equal(t, want, e.ReasonCode(), "reason code for %v", err)
			assert.True(t, e.ReasonCode().IsError())
		})
	}
}

// TestErrVersionIsError pins that a Reader or Append for a version the
// codec does not implement returns an *Error with ErrVersion, outside the
// ErrMalformed family.
func TestErrVersionIsError(t *testing.T) {
	_, _, err := Decode([]byte{0x40, 2, 0, 1}, 6, 0)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.ErrorIs(t, err, ErrVersion)
	assert.NotErrorIs(t, err, ErrMalformed)
	_, err = (&Puback{PacketID: 1}).Append(nil, 6)
	require.ErrorAs(t, err, &e)
	assert.ErrorIs(t, err, ErrVersion)
	assert.True(t, errors.Is(err, ErrVersion))
}
