package client

import (
	"context"
	"encoding/base64"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// TestV5SCRAMVector checks the SCRAM-SHA-256 exchange against the
// example of RFC 7677, section 3.
func TestV5SCRAMVector(t *testing.T) {
	s := NewSCRAM("user", "pencil")
	s.nonce = func() (string, error) { return "rOprNGfwEbeRWgbNEkqO", nil }
	ctx := context.Background()
	first, err := s.Start(ctx)
	require.NoError(t, err)
	assert.Equal(t, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", string(first))
	final, err := s.Continue(ctx, []byte("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
	require.NoError(t, err)
	assert.Equal(t, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", string(final))
	require.NoError(t, s.Finish(ctx, []byte("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")))
}

// TestV5SCRAMRefuses checks what the client refuses from a server.
func TestV5SCRAMRefuses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		serverFirst string
		final       string
		want        error
	}{
		{"nonce not ours", "r=other123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", ErrSCRAMMessage},
		{"nonce not extended", "r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", ErrSCRAMMessage},
		{"few iterations", "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000", "", ErrSCRAMMessage},
		{"bad salt", "r=abcdef,s=!!,i=4096", "", ErrSCRAMMessage},
		{"garbage", "hello", "", ErrSCRAMMessage},
		{"wrong server signature", "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "v=AAAA", ErrSCRAMServer},
		{"server error", "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "e=invalid-proof", ErrSCRAMMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSCRAM("user", "pencil")
			s.nonce = func() (string, error) { return "abc", nil }
			_, err := s.Start(ctx)
			require.NoError(t, err)
			_, err = s.Continue(ctx, []byte(tc.serverFirst))
			if tc.final == "" {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			require.ErrorIs(t, s.Finish(ctx, []byte(tc.final)), tc.want)
		})
	}
}

// FuzzSCRAMServerMessages feeds the client arbitrary server-first and
// server-final messages: it never panics, and accepts a server-final
// only with the signature it computed.
func FuzzSCRAMServerMessages(f *testing.F) {
	f.Add([]byte("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
		[]byte("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
	f.Add([]byte("r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096"), []byte("e=other-error"))
	f.Add([]byte(",,,=="), []byte("v="))
	f.Fuzz(func(t *testing.T, first, final []byte) {
		if attrs, err := scramAttrs(string(first)); err == nil {
			if n, err := strconv.Atoi(attrs['i']); err == nil && n > 2*minSCRAMIterations {
				return // valid but slow: the iteration count is bounded elsewhere
			}
		}
		s := NewSCRAM("user", "pencil")
		s.nonce = func() (string, error) { return "rOprNGfwEbeRWgbNEkqO", nil }
		ctx := context.Background()
		_, err := s.Start(ctx)
		require.NoError(t, err)
		if _, err := s.Continue(ctx, first); err != nil {
			return
		}
		want := s.serverSignature
		if err := s.Finish(ctx, final); err == nil {
			attrs, _ := scramAttrs(string(final))
			got, _ := base64.StdEncoding.DecodeString(attrs['v'])
			require.Equal(t, string(want), string(got), "accepted server-final %q", final)
		}
	})
}

// FuzzStoredProperties checks the store's property encoding: whatever
// bytes a damaged record holds, decoding never panics, and what decodes
// encodes back to the same properties.
func FuzzStoredProperties(f *testing.F) {
	f.Add(encodePublishProps(&message.Properties{ContentType: "text/plain", MessageExpiry: message.Some[uint32](60),
		UserProperties: []message.UserProperty{{Key: "k", Value: "v"}}, CorrelationData: []byte{1}}))
	f.Add([]byte{0})
	f.Add([]byte{5, 0x02, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := decodePublishProps(b)
		if p == nil {
			return
		}
		again := decodePublishProps(encodePublishProps(p))
		require.Equal(t, p, again)
	})
}
