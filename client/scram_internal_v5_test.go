package client

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
