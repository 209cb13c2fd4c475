package client

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// SCRAMMethod is the Authentication Method of [SCRAM].
const SCRAMMethod = "SCRAM-SHA-256"

// minSCRAMIterations and maxSCRAMIterations bound the PBKDF2 iteration
// count the client accepts from a server: RFC 7677 asks for at least
// 4096, and a count beyond the maximum would let a server make the
// client spend seconds of CPU.
const (
	minSCRAMIterations = 4096
	maxSCRAMIterations = 1 << 20
)

// SCRAM is an [Authenticator] for SCRAM-SHA-256 (RFC 5802, RFC 7677) in
// the enhanced authentication of MQTT 5.0: CONNECT carries the
// client-first message, the broker's AUTH 0x18 the server-first, our
// AUTH 0x18 the client-final with the proof, and the broker's CONNACK
// (or AUTH 0x00 on re-authentication) the server-final, whose signature
// the client checks, so the broker proves it knows the password too.
// Channel binding is not used ("n,,"). Make one with [NewSCRAM]; it runs
// one exchange at a time.
type SCRAM struct {
	user, password string
	nonce          func() (string, error) // the client nonce; crypto/rand unless a test sets it

	// The exchange in progress.
	clientFirstBare string
	authMessage     string
	serverSignature []byte
}

// NewSCRAM returns a SCRAM-SHA-256 authenticator for user and password.
// The user name is sent with ',' and '=' escaped as RFC 5802 says;
// neither is normalised with SASLprep, so use names and passwords that
// need none (ASCII).
func NewSCRAM(user, password string) *SCRAM {
	return &SCRAM{user: user, password: password, nonce: randomNonce}
}

// randomNonce returns 18 random bytes in base64: 24 printable characters
// without ','.
func randomNonce() (string, error) {
	var b [18]byte
	rand.Read(b[:]) // never fails (see crypto/rand.Read)
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

// Method implements [Authenticator].
func (s *SCRAM) Method() string { return SCRAMMethod }

// Start implements [Authenticator]: the client-first message.
func (s *SCRAM) Start(context.Context) ([]byte, error) {
	nonce, err := s.nonce()
	if err != nil {
		return nil, err
	}
	name := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s.user)
	s.clientFirstBare = "n=" + name + ",r=" + nonce
	s.authMessage, s.serverSignature = "", nil
	return []byte("n,," + s.clientFirstBare), nil
}

// Continue implements [Authenticator]: it answers the server-first
// message with the client-final one.
func (s *SCRAM) Continue(_ context.Context, data []byte) ([]byte, error) {
	if s.clientFirstBare == "" || s.serverSignature != nil {
		return nil, fmt.Errorf("%w: server-first message out of turn", ErrSCRAMMessage)
	}
	serverFirst := string(data)
	attrs, err := scramAttrs(serverFirst)
	if err != nil {
		return nil, err
	}
	clientNonce := s.clientFirstBare[strings.Index(s.clientFirstBare, ",r=")+3:]
	nonce, salt64, iter64 := attrs['r'], attrs['s'], attrs['i']
	if !strings.HasPrefix(nonce, clientNonce) || len(nonce) == len(clientNonce) {
		return nil, fmt.Errorf("%w: server nonce does not extend ours", ErrSCRAMMessage)
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil || len(salt) == 0 {
		return nil, fmt.Errorf("%w: salt %q", ErrSCRAMMessage, salt64)
	}
	iter, err := strconv.Atoi(iter64)
	if err != nil || iter < minSCRAMIterations || iter > maxSCRAMIterations {
		return nil, fmt.Errorf("%w: iteration count %q (at least %d)", ErrSCRAMMessage, iter64, minSCRAMIterations)
	}
	salted, err := pbkdf2.Key(sha256.New, s.password, salt, iter, sha256.Size)
	if err != nil {
		return nil, err
	}
	clientKey := scramHMAC(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	withoutProof := "c=biws,r=" + nonce // biws is base64("n,,")
	s.authMessage = s.clientFirstBare + "," + serverFirst + "," + withoutProof
	proof := scramHMAC(storedKey[:], s.authMessage)
	subtle.XORBytes(proof, proof, clientKey)
	s.serverSignature = scramHMAC(scramHMAC(salted, "Server Key"), s.authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// Finish implements [Authenticator]: it checks the server signature of
// the server-final message.
func (s *SCRAM) Finish(_ context.Context, data []byte) error {
	want := s.serverSignature
	s.clientFirstBare, s.authMessage, s.serverSignature = "", "", nil
	if want == nil {
		return fmt.Errorf("%w: exchange ended before the proof", ErrSCRAMMessage)
	}
	attrs, err := scramAttrs(string(data))
	if err != nil {
		return err
	}
	if e, ok := attrs['e']; ok {
		return fmt.Errorf("%w: server error %q", ErrSCRAMMessage, e)
	}
	got, err := base64.StdEncoding.DecodeString(attrs['v'])
	if err != nil || !hmac.Equal(got, want) {
		return ErrSCRAMServer
	}
	return nil
}

// scramHMAC returns HMAC-SHA-256(key, msg).
func scramHMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// scramAttrs splits a SCRAM message into its attributes, "k=value" by
// ','; an extension attribute is kept like the others.
func scramAttrs(msg string) (map[byte]string, error) {
	attrs := make(map[byte]string)
	for part := range strings.SplitSeq(msg, ",") {
		if len(part) < 2 || part[1] != '=' {
			return nil, fmt.Errorf("%w: attribute %q", ErrSCRAMMessage, part)
		}
		attrs[part[0]] = part[2:]
	}
	return attrs, nil
}
