package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/onmqtt/onmqtt/message"
)

// serverReference returns the Server Reference of a CONNACK refusal or
// a DISCONNECT with 0x9C (Use another server) or 0x9D (Server moved),
// "" for any other error.
func serverReference(err error) string {
	var ce *ConnackError
	if errors.As(err, &ce) && redirects(ce.Code.Reason()) {
		return ce.ServerReference()
	}
	var de *DisconnectError
	if errors.As(err, &de) && redirects(de.Code) {
		return de.ServerReference()
	}
	return ""
}

func redirects(code message.ReasonCode) bool {
	return code == message.UseAnotherServer || code == message.ServerMoved
}

// referenceURL returns the URL to dial for ref, a Server Reference the
// broker at u sent. The standard leaves its form to the broker: ref is a
// URL ("tls://host:8883") or a host with an optional port, and when it
// lists several, separated by spaces, the first is taken. A host keeps
// u's scheme, and u's port when it names none.
func referenceURL(u *url.URL, ref string) (*url.URL, error) {
	ref, _, _ = strings.Cut(strings.TrimSpace(ref), " ")
	if strings.Contains(ref, "://") {
		r, err := url.Parse(ref)
		if err != nil {
			return nil, fmt.Errorf("%w: server reference %q: %w", ErrInvalidURL, ref, err)
		}
		return r, nil
	}
	if ref == "" {
		return nil, fmt.Errorf("%w: empty server reference", ErrInvalidURL)
	}
	host := ref
	if _, _, err := net.SplitHostPort(ref); err != nil {
		if p := u.Port(); p != "" {
			host = net.JoinHostPort(strings.Trim(ref, "[]"), p)
		}
	}
	r := *u
	r.Host, r.User = host, nil
	return &r, nil
}

// follow connects to the broker err refers the client to, when the
// application opted in with [WithFollowServerReference] and err carries
// a Server Reference; it reports false when there is none to follow. A
// reference from the referred broker is not followed again. It runs on
// the supervisor.
func (s *supervisor) follow(ctx context.Context, from *url.URL, err error) (*conn, bool, bool, error) {
	c := s.c
	ref := serverReference(err)
	if !c.opts.FollowServerReference || ref == "" {
		return nil, false, false, nil
	}
	u, perr := referenceURL(from, ref)
	if perr == nil {
		perr = c.checkBroker(u, fmt.Sprintf("server reference %q", ref))
	}
	if perr != nil {
		return nil, false, true, fmt.Errorf("%w (following it: %w)", err, perr)
	}
	c.log.Info("following the broker's server reference", "from", from.Redacted(), "to", u.Redacted())
	cn, present, cerr := c.connectOnce(ctx, u)
	if cerr != nil {
		return nil, false, true, fmt.Errorf("%w (following it to %s: %w)", err, u.Redacted(), cerr)
	}
	return cn, present, true, nil
}

// noteRedirect remembers, after a connection ended with err, the broker
// a DISCONNECT referred the client to, so that the next pass tries it
// first. It runs on the supervisor.
func (s *supervisor) noteRedirect(from string, err error) {
	ref := serverReference(err)
	if !s.c.opts.FollowServerReference || ref == "" {
		return
	}
	u, perr := url.Parse(from)
	if perr != nil {
		return
	}
	if r, perr := referenceURL(u, ref); perr == nil && s.c.checkBroker(r, "server reference") == nil {
		s.redirect = r
	}
}
