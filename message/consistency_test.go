package message

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file pin the fixes to the 3.1 and 3.1.1 codec found
// by checking it against another implementation's vectors.

// TestConnectV31ClientIDLength: MQTT 3.1 allows client identifiers of 1
// to 23 characters; Append refused neither an empty one nor a longer one.
func TestConnectV31ClientIDLength(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"", false},
		{"a", true},
		{strings.Repeat("x", 23), true},
		{strings.Repeat("x", 24), false},
		{strings.Repeat("é", 23), true}, // 46 bytes, 23 characters
		{strings.Repeat("é", 24), false},
	} {
		_, err := (&Connect{Version: V31, ClientID: tt.id, CleanSession: true}).Append(nil, V31)
		if tt.ok {
			assert.NoError(t, err, "client identifier %q", tt.id)
		} else {
			assert.ErrorIs(t, err, ErrClientID, "client identifier %q", tt.id)
		}
	}
	// Decoding stays lenient: a 3.1 server may accept what it likes.
	p, _, err := Decode([]byte{0x10, 14, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0x02, 0, 0, 0, 0}, V31, 0)
	require.NoError(t, err)
	assert.Equal(t, &Connect{Version: V31, CleanSession: true}, p)
}

// TestConnectV311EmptyClientIDNeedsCleanSession: a 3.1.1 client must not
// send an empty client identifier with CleanSession 0 [MQTT-3.1.3-7]; a
// server decodes it and answers CONNACK 0x02.
func TestConnectV311EmptyClientIDNeedsCleanSession(t *testing.T) {
	_, err := (&Connect{Version: V311}).Append(nil, V311)
	require.ErrorIs(t, err, ErrClientID)
	b, err := (&Connect{Version: V311, CleanSession: true}).Append(nil, V311)
	require.NoError(t, err)

	b[9] = 0 // connect flags: clean session 0
	p, _, err := Decode(b, V311, 0)
	require.NoError(t, err)
	assert.Equal(t, &Connect{Version: V311}, p)
	// 5.0 lets the server assign an identifier whatever Clean Start says.
	_, err = (&Connect{Version: V5}).Append(nil, V5)
	assert.NoError(t, err)
}

// TestConnectV31PasswordWithoutUsername: MQTT 3.1 sends a password only
// after a user name; Append encoded one alone. Decoding accepts it.
func TestConnectV31PasswordWithoutUsername(t *testing.T) {
	_, err := (&Connect{Version: V31, ClientID: "c", PasswordFlag: true, Password: []byte("p")}).Append(nil, V31)
	require.ErrorIs(t, err, ErrPasswordFlag)
	raw := []byte{0x10, 18, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0x40, 0, 0, 0, 1, 'c', 0, 1, 'p'}
	p, _, err := Decode(raw, V31, 0)
	require.NoError(t, err)
	assert.Equal(t, []byte("p"), p.(*Connect).Password)
	// 5.0 allows it.
	_, err = (&Connect{Version: V5, ClientID: "c", Password: []byte("p")}).Append(nil, V5)
	assert.NoError(t, err)
}

// TestConnectAppendVersion: Append ignored its version argument, so a 3.1
// CONNECT appended as 3.1.1 silently went out as 3.1. Now a zero Version
// takes the argument and any other must match it.
func TestConnectAppendVersion(t *testing.T) {
	_, err := (&Connect{Version: V31, ClientID: "c"}).Append(nil, V311)
	require.ErrorIs(t, err, ErrVersionMismatch)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CONNECT, e.Type)

	for _, v := range []Version{V31, V311, V5} {
		b, err := (&Connect{ClientID: "c", CleanSession: true}).Append(nil, v)
		require.NoError(t, err)
		p, _, err := Decode(b, 0, 0)
		require.NoError(t, err)
		assert.Equal(t, v, p.(*Connect).Version)
	}
}

// TestConnectCredentialsWithoutFlags: a Username or Password set without
// its flag was silently dropped. Presence now sets the flag: a non-empty
// Username, a non-nil Password (even empty).
func TestConnectCredentialsWithoutFlags(t *testing.T) {
	b, err := (&Connect{Version: V311, ClientID: "c", Username: "u", Password: []byte{}}).Append(nil, V311)
	require.NoError(t, err)
	p, _, err := Decode(b, V311, 0)
	require.NoError(t, err)
	c := p.(*Connect)
	assert.True(t, c.UsernameFlag)
	assert.Equal(t, "u", c.Username)
	assert.True(t, c.PasswordFlag, "an empty non-nil password is present")

	b, err = (&Connect{Version: V311, ClientID: "c"}).Append(nil, V311)
	require.NoError(t, err)
	assert.Equal(t, byte(0), b[9]&(flagUsername|flagPassword), "no credentials, no flags")
}

// TestErrorsAreErrors: encode errors were plain wrapped errors, a Reader at
// level 5 returned an ErrVersion that was no *Error, and AUTH at level 5
// was "reserved in 5.0". Every error the codec returns is now an *Error.
func TestErrorsAreErrors(t *testing.T) {
	errs := []error{}
	add := func(_ any, err error) { errs = append(errs, err) }
	add((&Publish{Message: Message{Topic: "a/+"}}).Append(nil, V311))
	add((&Puback{}).Append(nil, V311))
	add((&Subscribe{PacketID: 1}).Append(nil, V5))
	add((&Connect{Version: V311, ClientID: "\x00"}).Append(nil, V311))
	add(AppendAck(nil, PUBLISH, 1))
	add(nil, ValidTopic(""))
	add(nil, ValidFilter("a#"))
	add(nil, ValidString("\xff"))
	_, _, err := Decode([]byte{0x40, 2, 0, 1}, 7, 0)
	add(nil, err)
	for _, err := range errs {
		var e *Error
		require.ErrorAs(t, err, &e, "%v", err)
		assert.NotNil(t, e.Rule)
		assert.NotErrorIs(t, err, ErrMalformed, "an outbound error is not ErrMalformed: %v", err)
	}

	// AUTH is a packet of 5.0: decoded there, reserved in 3.1.1.
	p, _, err := Decode([]byte{0xf0, 0}, V5, 0)
	require.NoError(t, err)
	assert.Equal(t, &Auth{}, p)
	_, _, err = Decode([]byte{0xf0, 0}, V311, 0)
	require.ErrorIs(t, err, ErrInvalidType)
	assert.Contains(t, err.Error(), "packet type 15 is reserved in 3.1.1")
	_, err = (&Auth{}).Append(nil, V311)
	assert.ErrorIs(t, err, ErrInvalidType)
}

// TestProtocolNameAndLevel: ErrProtocol covered both a wrong protocol name
// and an unsupported level, which a server answers differently. They are
// now ErrProtocolName and ErrProtocolLevel, both still matching ErrProtocol.
func TestProtocolNameAndLevel(t *testing.T) {
	name := []byte{0x10, 12, 0, 4, 'M', 'Q', 'T', 't', 4, 0x02, 0, 0, 0, 0}
	level := []byte{0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 9, 0x02, 0, 0, 0, 0}
	_, _, err := Decode(name, V311, 0)
	require.ErrorIs(t, err, ErrProtocolName)
	assert.ErrorIs(t, err, ErrProtocol)
	assert.NotErrorIs(t, err, ErrProtocolLevel)

	_, _, err = Decode(level, V311, 0)
	require.ErrorIs(t, err, ErrProtocolLevel)
	assert.ErrorIs(t, err, ErrProtocol)
	assert.NotErrorIs(t, err, ErrProtocolName)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, UnsupportedProtocolVersion, e.ReasonCode())
}
