package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The files domain over the WebSocket: the upload grant. The upload itself
// and the downloads are HTTP (files.go).
func init() {
	register(proto.OpUploadGrant, opUploadGrant)
}

// grantTTL is how long an upload grant may be used to start its upload.
const grantTTL = 10 * time.Minute

// maxFileName bounds a file's display name, in bytes.
const maxFileName = 255

// grant is what an upload grant token carries, signed.
type grant struct {
	Account string `json:"a"`
	Size    int64  `json:"s"`
	MD5     string `json:"m"` // lowercase hex
	Mime    string `json:"t"` // lowercase type/subtype
	Name    string `json:"n"`
	Expires int64  `json:"e"` // ms since the epoch
	Nonce   string `json:"r"` // random: makes each grant single-use
}

func opUploadGrant(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.UploadGrantReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	g, err := c.s.checkGrantReq(req)
	if err != nil {
		return result{}, err
	}
	g.Account = c.account
	g.Expires = c.s.now().Add(grantTTL).UnixMilli()
	g.Nonce = randomHex(16)
	return result{reply: proto.UploadGrant{
		URL:      "/files",
		Token:    c.s.signGrant(g),
		Expires:  g.Expires,
		MaxBytes: c.s.cfg.maxUpload(),
	}}, nil
}

// checkGrantReq validates an upload grant request (414 naming the field)
// and returns the grant with its fields normalized.
func (s *Server) checkGrantReq(req proto.UploadGrantReq) (grant, error) {
	if p := nameProblem(req.Name, maxFileName); p != "" {
		return grant{}, errorf(proto.CodeBadParam, "name %s", p)
	}
	if req.Name == "" {
		return grant{}, errorf(proto.CodeBadParam, "name must not be empty")
	}
	if req.Size < 1 {
		return grant{}, errorf(proto.CodeBadParam, "size must be at least 1 byte, got %d", req.Size)
	}
	if limit := s.cfg.maxUpload(); req.Size > limit {
		return grant{}, errorf(proto.CodeBadParam, "size %d bytes is over the server's upload limit of %d bytes (YUNXIN_MAX_UPLOAD)", req.Size, limit)
	}
	mime, ok := normalMime(req.Mime)
	if !ok {
		return grant{}, errorf(proto.CodeBadParam, "mime %q is not a content type like image/png (use application/octet-stream when unknown)", clip(req.Mime))
	}
	if !isMD5(req.MD5) {
		return grant{}, errorf(proto.CodeBadParam, "md5 must be 32 hex digits, got %q", clip(req.MD5))
	}
	return grant{Size: req.Size, MD5: strings.ToLower(req.MD5), Mime: mime, Name: req.Name}, nil
}

// nameProblem says what is wrong with a display name or similar text
// field: longer than max bytes or with control characters ("" when fine;
// empty is fine). JSON decoding already made it valid UTF-8.
func nameProblem(s string, max int) string {
	if len(s) > max {
		return "longer than " + strconv.Itoa(max) + " bytes"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "must not contain control characters"
		}
		if bidiControl(r) {
			return "must not contain text direction controls (U+200E/F, U+202A–E, U+2066–9)"
		}
	}
	return ""
}

// bidiControl reports whether r changes the direction of the text around
// it: "invoice\u202Efdp.exe" would show as "invoiceexe.pdf".
func bidiControl(r rune) bool {
	return r == '\u200e' || r == '\u200f' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// clip shortens a client's value for an error message (at most 64 bytes
// and an ellipsis), so that the message stays small whatever was sent.
func clip(v string) string {
	if len(v) <= 64 {
		return v
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…"
}

// normalMime returns a content type "type/subtype" in lowercase if m is
// one (no parameters, RFC 6838 characters, at most 127 bytes each side).
func normalMime(m string) (string, bool) {
	typ, sub, ok := strings.Cut(strings.ToLower(m), "/")
	if !ok || !mimeToken(typ) || !mimeToken(sub) {
		return "", false
	}
	return typ + "/" + sub, true
}

func mimeToken(s string) bool {
	if s == "" || len(s) > 127 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && strings.IndexByte("!#$&^_.+-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isMD5(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// grantKey is the HMAC key of upload grants, derived from the app secret
// so that every node of a cluster signs and verifies alike.
func (s *Server) grantKey() []byte {
	m := hmac.New(sha256.New, []byte(s.cfg.AppSecret))
	m.Write([]byte("yunxin upload grant v1"))
	return m.Sum(nil)
}

// signGrant returns the token of g: base64url(JSON) "." base64url(HMAC).
func (s *Server) signGrant(g grant) string {
	b, _ := json.Marshal(g) // plain strings and numbers: cannot fail
	p := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, s.grantKey())
	m.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verifyGrant checks a token made by signGrant and not expired (403
// otherwise) and returns its grant.
func (s *Server) verifyGrant(token string) (grant, error) {
	p, sig, ok := strings.Cut(token, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || len(token) > 4096 {
		return grant{}, errorf(proto.CodeForbidden, "invalid upload grant: ask for a new one with the upgrant op")
	}
	m := hmac.New(sha256.New, s.grantKey())
	m.Write([]byte(p))
	if !hmac.Equal(mac, m.Sum(nil)) {
		return grant{}, errorf(proto.CodeForbidden, "invalid upload grant: ask for a new one with the upgrant op")
	}
	var g grant
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err == nil {
		err = json.Unmarshal(b, &g)
	}
	if err != nil || g.Nonce == "" {
		return grant{}, errorf(proto.CodeForbidden, "invalid upload grant: ask for a new one with the upgrant op")
	}
	if s.now().UnixMilli() > g.Expires {
		return grant{}, errorf(proto.CodeForbidden, "upload grant expired: ask for a new one with the upgrant op")
	}
	return g, nil
}

// grantLedger makes upload grants single-use on this node: a grant is
// claimed while its upload runs, released if the upload fails (so that the
// client may retry with it) and spent once a blob was stored with it,
// until it expires.
type grantLedger struct {
	mu    sync.Mutex
	used  map[string]int64 // nonce → expiry, ms
	prune int              // prune expired entries when used reaches this size
}

// claim marks nonce as in use; false if it is in use or spent.
func (l *grantLedger) claim(nonce string, expires, nowMs int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used == nil {
		l.used = map[string]int64{}
	}
	if len(l.used) >= max(l.prune, 1024) {
		for n, exp := range l.used {
			if exp < nowMs {
				delete(l.used, n)
			}
		}
		l.prune = 2 * len(l.used) // amortized: a full map is not scanned at every claim
	}
	if _, ok := l.used[nonce]; ok {
		return false
	}
	l.used[nonce] = expires
	return true
}

// release undoes a claim whose upload failed.
func (l *grantLedger) release(nonce string) {
	l.mu.Lock()
	delete(l.used, nonce)
	l.mu.Unlock()
}
