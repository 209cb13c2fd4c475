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

// maxReferrals is how many Server References in a row a connection
// attempt follows: a broker that refers the client on to another one
// is followed, up to this depth, and never back to a broker the
// attempt already tried.
const maxReferrals = 3

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

// referenceURLs returns the URLs to dial, in the broker's order, for
// ref, a Server Reference the broker at u sent. The standard leaves its
// form to the broker: ref lists one or more references separated by
// spaces, each a URL ("tls://host:8883") or a host with an optional
// port. A host keeps u's scheme, and u's port when it names none. An
// entry that does not parse is an error only when no entry does.
func referenceURLs(u *url.URL, ref string) ([]*url.URL, error) {
	var (
		us   []*url.URL
		errs []error
	)
	for _, f := range strings.Fields(ref) {
		r, err := referenceURL(u, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		us = append(us, r)
	}
	if len(us) == 0 {
		if len(errs) == 0 {
			return nil, fmt.Errorf("%w: empty server reference", ErrInvalidURL)
		}
		return nil, errors.Join(errs...)
	}
	return us, nil
}

// referenceURL is the URL of one entry of a Server Reference list.
func referenceURL(u *url.URL, ref string) (*url.URL, error) {
	if strings.Contains(ref, "://") {
		r, err := url.Parse(ref)
		if err != nil {
			return nil, fmt.Errorf("%w: server reference %q: %w", ErrInvalidURL, ref, err)
		}
		return r, nil
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

// usableReferences returns the entries of the Server Reference in err
// that the client may dial: parsed, of a scheme it supports, and not in
// seen. It reports the reason when none is left.
func (c *Client) usableReferences(from *url.URL, ref string, seen map[string]bool) ([]*url.URL, error) {
	us, err := referenceURLs(from, ref)
	if err != nil {
		return nil, err
	}
	var (
		ok   []*url.URL
		errs []error
	)
	for _, u := range us {
		if seen[u.String()] {
			errs = append(errs, fmt.Errorf("%s: already tried", u.Redacted()))
		} else if err := c.checkBroker(u, fmt.Sprintf("server reference %q", ref)); err != nil {
			errs = append(errs, err)
		} else {
			ok = append(ok, u)
		}
	}
	if len(ok) == 0 {
		return nil, errors.Join(errs...)
	}
	return ok, nil
}

// follow connects to a broker err refers the client to, when the
// application opted in with [WithFollowServerReference] and err carries
// a Server Reference; it reports false when there is none to follow.
// The entries of the reference are tried in order until one connects;
// one that refuses with a reference of its own is followed in turn, up
// to maxReferrals deep, never back to a broker already tried. It runs
// on the supervisor.
func (s *supervisor) follow(ctx context.Context, from *url.URL, err error) (*conn, bool, bool, error) {
	c := s.c
	if !c.opts.FollowServerReference || serverReference(err) == "" {
		return nil, false, false, nil
	}
	seen := map[string]bool{from.String(): true}
	cn, present, ferr := s.followFrom(ctx, from, err, seen, maxReferrals)
	if ferr != nil {
		return nil, false, true, fmt.Errorf("%w (following its server reference: %w)", err, ferr)
	}
	return cn, present, true, nil
}

// followFrom tries the references err carries, from the broker at
// from, with depth referrals left.
func (s *supervisor) followFrom(ctx context.Context, from *url.URL, err error, seen map[string]bool, depth int) (*conn, bool, error) {
	c := s.c
	ref := serverReference(err)
	us, uerr := c.usableReferences(from, ref, seen)
	if uerr != nil {
		return nil, false, uerr
	}
	var errs []error
	for _, u := range us {
		seen[u.String()] = true
		c.log.Info("following the broker's server reference", "from", from.Redacted(), "to", u.Redacted())
		cn, present, cerr := c.connectOnce(ctx, u)
		if cerr == nil {
			return cn, present, nil
		}
		if serverReference(cerr) != "" {
			switch {
			case depth <= 1:
				cerr = fmt.Errorf("%w (not followed: %d server references in a row)", cerr, maxReferrals)
			case ctx.Err() == nil && s.stopRequested() == nil:
				cn, present, ferr := s.followFrom(ctx, u, cerr, seen, depth-1)
				if ferr == nil {
					return cn, present, nil
				}
				cerr = fmt.Errorf("%w (following it: %w)", cerr, ferr)
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", u.Redacted(), cerr))
		if s.stopRequested() != nil || errors.Is(cerr, ErrClosed) || ctx.Err() != nil {
			break
		}
	}
	return nil, false, errors.Join(errs...)
}

// noteRedirect remembers, after a connection ended with err, the
// brokers a DISCONNECT referred the client to, so that the next pass
// tries them first. It runs on the supervisor.
func (s *supervisor) noteRedirect(from string, err error) {
	ref := serverReference(err)
	if !s.c.opts.FollowServerReference || ref == "" {
		return
	}
	u, perr := url.Parse(from)
	if perr != nil {
		return
	}
	if rs, perr := s.c.usableReferences(u, ref, map[string]bool{}); perr == nil {
		s.redirect = rs
	} else {
		s.c.log.Info("server reference not usable", "from", u.Redacted(), "reference", ref, "err", perr)
	}
}
