package main

import "strings"

// urlName is the last path segment of an http(s) URL, unescaped ("" for
// blob: and data: URLs, which name nothing, and for what net/url would not
// parse). It follows net/url.Parse's reading of the path (fragment, scheme,
// query, opaque URLs, authority, %-escapes, control bytes) by hand so that
// the browser build does not link net/url; one difference: the authority
// (host, port, user info) is skipped without being checked, which only
// matters for URLs the browser could not fetch anyway (Probe reads the file
// before it names it).
func urlName(path string) string {
	raw, frag, _ := strings.Cut(path, "#")
	if _, ok := unescapePath(frag); !ok {
		return ""
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < ' ' || raw[i] == 0x7f {
			return ""
		}
	}
	scheme, rest, ok := splitScheme(raw)
	if !ok {
		return ""
	}
	scheme = strings.ToLower(scheme)
	if scheme == "blob" || scheme == "data" {
		return ""
	}
	if strings.HasSuffix(rest, "?") && strings.Count(rest, "?") == 1 {
		rest = rest[:len(rest)-1]
	} else {
		rest, _, _ = strings.Cut(rest, "?")
	}
	if !strings.HasPrefix(rest, "/") {
		if scheme != "" {
			return "" // opaque (mailto:x): no path
		}
		if seg, _, _ := strings.Cut(rest, "/"); strings.IndexByte(seg, ':') >= 0 {
			return "" // "first path segment in URL cannot contain colon"
		}
	}
	if (scheme != "" || !strings.HasPrefix(rest, "///")) && strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[i:]
		} else {
			rest = ""
		}
	}
	p, ok := unescapePath(rest)
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// splitScheme is net/url's getScheme: the scheme before the first ':' when
// what precedes it is one ("" and the whole input when not); ok is false for
// a leading ':' ("missing protocol scheme").
func splitScheme(raw string) (scheme, rest string, ok bool) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return "", raw, true
			}
		case c == ':':
			if i == 0 {
				return "", "", false
			}
			return raw[:i], raw[i+1:], true
		default:
			return "", raw, true
		}
	}
	return "", raw, true
}

// unescapePath decodes %XX escapes ('+' stays '+'); ok is false for a '%'
// not followed by two hex digits.
func unescapePath(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
