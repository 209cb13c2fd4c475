package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// parseBrokers parses and checks every broker URL given to Connect, in
// order. A URL that does not parse, has a scheme no dialer handles (when
// no [DialFunc] replaces them) or names no host or socket is refused,
// the error naming it.
func (c *Client) parseBrokers(raw []string) ([]*url.URL, error) {
	us := make([]*url.URL, 0, len(raw))
	for i, r := range raw {
		u, err := url.Parse(r)
		if err != nil {
			// url.Error names the URL with any password in it: name it
			// without.
			return nil, fmt.Errorf("%w: URL %d, %q: %w", ErrInvalidURL, i+1, maskUserinfo(r), errors.Unwrap(err))
		}
		if err := c.checkBroker(u, fmt.Sprintf("URL %d, %q,", i+1, u.Redacted())); err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, nil
}

// maskUserinfo returns raw, a URL that does not parse, with whatever
// could be user information replaced by "xxxxx".
func maskUserinfo(raw string) string {
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw
	}
	start := strings.Index(raw, "://") + len("://")
	if start < len("://") || start > at {
		start = 0
	}
	return raw[:start] + "xxxxx" + raw[at:]
}

// checkBroker reports whether u, called name in errors, names a broker
// the client can dial.
func (c *Client) checkBroker(u *url.URL, name string) error {
	if c.opts.Dialer != nil {
		return nil // the dialer decides what a URL means
	}
	switch u.Scheme {
	case "tcp", "mqtt", "tls", "ssl", "mqtts", "ws", "wss":
		if u.Hostname() == "" {
			return fmt.Errorf("%w: %s has no host", ErrInvalidURL, name)
		}
	case "unix":
		if u.Host == "" && u.Path == "" {
			return fmt.Errorf("%w: %s has no socket path", ErrInvalidURL, name)
		}
	default:
		return fmt.Errorf("%w: %q in %s", ErrUnsupportedScheme, u.Scheme, name)
	}
	return nil
}

// shuffleBrokers puts us in a random order drawn from the client's own
// source. The caller holds c.mu, which guards the source.
func (c *Client) shuffleBrokers(us []*url.URL) {
	c.rng.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
}

// Server returns the URL of the broker the client is connected to, with
// any password masked (see [url.URL.Redacted]), or "" when it is not
// connected. An OnConnect hook can call it to learn where the client
// connected; it reads "" if that connection was lost meanwhile.
func (c *Client) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return ""
	}
	return c.conn.server
}

// connectPass makes one attempt on each broker URL in turn, starting
// with s.urls[s.next], until one connects. It records the URL connected
// to, so that the next pass starts with the one after it. With one URL
// the error is that attempt's; with several it wraps every attempt's
// error, each naming its URL. A stop request, Close or the end of ctx
// ends the pass at once. It runs on the supervisor.
func (s *supervisor) connectPass(ctx context.Context) (*conn, bool, error) {
	c := s.c
	n := len(s.urls)
	var errs []error
	if rs := s.redirect; len(rs) > 0 {
		// A DISCONNECT referred the client to rs: each tried first,
		// once, in the broker's order; a referral from one of them is
		// followed like any other.
		s.redirect = nil
		for _, r := range rs {
			cn, present, err := c.connectOnce(ctx, r)
			if cn2, present2, followed, ferr := s.follow(ctx, r, err); followed {
				cn, present, err = cn2, present2, ferr
			}
			if err == nil {
				return cn, present, nil
			}
			c.log.Info("referenced broker failed", "broker", r.Redacted(), "err", err)
			if s.stopRequested() != nil || errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return nil, false, err
			}
		}
	}
	for k := range n {
		i := (s.next + k) % n
		u := s.urls[i]
		cn, present, err := c.connectOnce(ctx, u)
		if cn2, present2, followed, ferr := s.follow(ctx, u, err); followed {
			cn, present, err = cn2, present2, ferr
		}
		if err == nil {
			s.next = (i + 1) % n
			return cn, present, nil
		}
		if n == 1 {
			return nil, false, err
		}
		errs = append(errs, fmt.Errorf("%s: %w", u.Redacted(), err))
		if s.stopRequested() != nil || errors.Is(err, ErrClosed) || ctx.Err() != nil {
			return nil, false, err
		}
		c.log.Info("broker failed", "broker", u.Redacted(), "err", err)
	}
	return nil, false, fmt.Errorf("onmqtt: all %d brokers failed: %w", n, errors.Join(errs...))
}
