package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// originAllowed reports whether the request's Origin may open /ws, and the
// origin as sent. Allowed are: no Origin header (not a browser), the
// server's own origin (scheme from TLS or X-Forwarded-Proto, host from the
// Host header) and the configured origins, compared as scheme://host:port,
// so http://x does not allow https://x.
func (s *Server) originAllowed(r *http.Request) (bool, string) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true, ""
	}
	o, ok := normalizeOrigin(origin)
	if !ok {
		return false, origin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ","); strings.EqualFold(strings.TrimSpace(p), "https") {
		scheme = "https"
	}
	if self, ok := normalizeOrigin(scheme + "://" + r.Host); ok && self == o {
		return true, origin
	}
	_, allowed := s.origins[o]
	return allowed, origin
}

// normalizeOrigin turns an origin (scheme://host[:port], an optional
// trailing slash) into lowercase scheme://host:port with the scheme's
// default port made explicit. ok is false for anything else ("null", a
// path, another scheme).
func normalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(o), "/"))
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	switch {
	case scheme != "http" && scheme != "https":
		return "", false
	case port == "" && scheme == "http":
		port = "80"
	case port == "":
		port = "443"
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port), true
}

// originSet parses the configured allowed origins; invalid ones are
// returned apart so the caller can report them.
func originSet(origins []string) (set map[string]struct{}, invalid []string) {
	set = map[string]struct{}{}
	for _, o := range origins {
		if strings.TrimSpace(o) == "" {
			continue
		}
		n, ok := normalizeOrigin(o)
		if !ok {
			invalid = append(invalid, o)
			continue
		}
		set[n] = struct{}{}
	}
	return set, invalid
}

// maxCloseReason is the longest reason a WebSocket close frame carries.
const maxCloseReason = 123

// originRefusal is the close reason sent to a page whose origin is not
// allowed; it names the origin and what to change, within maxCloseReason.
func originRefusal(origin string) string {
	const tail = " is not allowed: add it to YUNXIN_ALLOWED_ORIGINS on the server"
	if room := maxCloseReason - len("origin ") - len(tail); len(origin) > room {
		origin = strings.ToValidUTF8(origin[:room-3], "") + "..."
	}
	return "origin " + origin + tail
}
