package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"yunxin/proto"
	"yunxin/server/blobstore"
)

// Files over HTTP. POST /files uploads one file with the bearer token of an
// upload grant (ops_files.go); GET and HEAD /files/<id>/<name> download it.
// The id is 128 random bits, so a download URL is unguessable and needs no
// other authorization; the name segment is only for people and browsers
// (the stored name is what Content-Disposition gives).

// filesCacheControl lets the browser keep a download for good (a blob never
// changes under its URL) but not shared caches: a file is private to the
// people its message reached.
const filesCacheControl = "private, max-age=31536000, immutable"

// filesCSP keeps a downloaded file opened as a page (an HTML or SVG file
// opened from its URL) from running scripts in the server's origin.
const filesCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// filesCORS sets the CORS headers of a files response for an allowed origin
// (the server's own and cfg.AllowedOrigins) and reports whether the
// request's origin is allowed (true without an Origin header). A refused
// origin gets no CORS headers: the browser keeps the response from the page.
func (s *Server) filesCORS(w http.ResponseWriter, r *http.Request) (bool, string) {
	w.Header().Add("Vary", "Origin")
	ok, origin := s.originAllowed(r)
	if ok && origin != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, ETag, Content-Disposition")
	}
	return ok, origin
}

// preflight answers a CORS preflight (OPTIONS) of a files endpoint:
// methods and headers for an allowed origin, 403 without CORS headers for a
// refused one.
func (s *Server) preflight(w http.ResponseWriter, allowed bool, origin, methods, headers string) {
	if !allowed {
		writeFileError(w, errorf(proto.CodeForbidden, "%s", originRefusal(origin)))
		return
	}
	h := w.Header()
	h.Set("Allow", methods+", OPTIONS")
	if origin != "" {
		h.Set("Access-Control-Allow-Methods", methods)
		h.Set("Access-Control-Allow-Headers", headers)
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

// statusError is an *Error answered under a given HTTP status rather than
// the one its code maps to.
type statusError struct {
	status int
	err    *Error
}

func (e statusError) Error() string { return e.err.Error() }
func (e statusError) Unwrap() error { return e.err }

// writeFileError answers a files request with err as JSON {code, msg}
// (proto.Code*; anything but an *Error is a 500) under the HTTP status of
// its code, or of a statusError.
func writeFileError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(proto.CodeServer, "internal server error")
	}
	status := http.StatusInternalServerError
	switch e.Code {
	case proto.CodeBadParam, proto.CodeNetwork:
		status = http.StatusBadRequest
	case proto.CodeForbidden:
		status = http.StatusForbidden
	case proto.CodeNotFound:
		status = http.StatusNotFound
	}
	var se statusError
	if errors.As(err, &se) {
		status = se.status
	}
	h := w.Header()
	h.Del("Content-Disposition")
	h.Del("ETag")
	h.Del("Cache-Control")
	h.Del("Last-Modified")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": e.Code, "msg": e.Msg})
}

// selfOrigin is the origin the request reached the server at: scheme from
// TLS or X-Forwarded-Proto (as originAllowed), host from the Host header.
func selfOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ","); strings.EqualFold(strings.TrimSpace(p), "https") {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(r.Host)
}

// fileURL is the download URL of blob m as its upload answers it: the
// upload's origin (the uploader's own Host) and filePath.
func fileURL(m blobstore.Meta) string {
	return m.Origin + filePath(m)
}

// filePath is the path of blob m's download URL, /files/<id>/<name>, the
// name as one escaped path segment ("." and ".." would be dot segments,
// which URL parsers remove): what a message body stores (clients resolve
// it against their server).
func filePath(m blobstore.Meta) string {
	seg := url.PathEscape(m.Name)
	if m.Name == "." || m.Name == ".." || m.Name == "" {
		seg = "file"
	}
	return "/files/" + m.ID + "/" + seg
}

// serveUpload handles /files: POST stores one file under an upload grant.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	allowed, origin := s.filesCORS(w, r)
	if r.Method == http.MethodOptions {
		s.preflight(w, allowed, origin, "POST", "Authorization, Content-Type")
		return
	}
	if !allowed {
		writeFileError(w, errorf(proto.CodeForbidden, "%s", originRefusal(origin)))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		writeFileError(w, statusError{http.StatusMethodNotAllowed, errorf(proto.CodeBadParam, "use POST to upload")})
		return
	}
	resp, err := s.upload(w, r)
	if err != nil {
		if e := (*Error)(nil); !errors.As(err, &e) {
			s.log.Error("upload failed", "err", err)
		}
		writeFileError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(resp)
}

// upload checks the grant, content type and length of an upload and
// streams its body into the blob store.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) (proto.UploadResp, error) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return proto.UploadResp{}, errorf(proto.CodeForbidden, "missing upload grant: send Authorization: Bearer <token of the upgrant op>")
	}
	g, err := s.verifyGrant(strings.TrimSpace(token))
	if err != nil {
		return proto.UploadResp{}, err
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != g.Mime {
		return proto.UploadResp{}, errorf(proto.CodeBadParam, "Content-Type %q differs from the grant's %s", r.Header.Get("Content-Type"), g.Mime)
	}
	if r.ContentLength > g.Size {
		return proto.UploadResp{}, statusError{http.StatusRequestEntityTooLarge, errorf(proto.CodeBadParam, "body longer than the granted size: Content-Length %d, granted %d bytes", r.ContentLength, g.Size)}
	}
	if r.ContentLength >= 0 && r.ContentLength != g.Size {
		return proto.UploadResp{}, errorf(proto.CodeBadParam, "body shorter than the granted size: Content-Length %d, granted %d bytes", r.ContentLength, g.Size)
	}
	if !s.uploads.acquire(g.Account) {
		return proto.UploadResp{}, statusError{http.StatusTooManyRequests, errorf(proto.CodeRateLimited,
			"too many uploads at once: at most %d per account and %d per server; wait for one to finish", maxUploadsPerAccount, maxUploads)}
	}
	defer s.uploads.release(g.Account)
	if !s.grants.claim(g.Nonce, g.Expires, s.now().UnixMilli()) {
		return proto.UploadResp{}, errorf(proto.CodeForbidden, "upload grant already used: ask for a new one with the upgrant op")
	}
	body := &bodyReader{r: r.Body, rc: http.NewResponseController(w), idle: s.uploadIdle}
	m, err := s.blobs.Put(r.Context(), body, g.Size, blobstore.Meta{
		Size: g.Size, MD5: g.MD5, Mime: g.Mime, Name: g.Name, Owner: g.Account, Origin: selfOrigin(r),
	})
	if err != nil {
		s.grants.release(g.Nonce)
		switch {
		case errors.Is(err, blobstore.ErrTooLarge):
			return proto.UploadResp{}, statusError{http.StatusRequestEntityTooLarge, errorf(proto.CodeBadParam, "body longer than the granted size of %d bytes", g.Size)}
		case errors.Is(err, blobstore.ErrSize):
			return proto.UploadResp{}, errorf(proto.CodeBadParam, "body shorter than the granted size of %d bytes", g.Size)
		case errors.Is(err, blobstore.ErrMD5Mismatch):
			return proto.UploadResp{}, errorf(proto.CodeBadParam, "md5 of the body differs from the granted md5 %s", g.MD5)
		case body.err != nil || r.Context().Err() != nil:
			return proto.UploadResp{}, errorf(proto.CodeNetwork, "upload interrupted: %v", err)
		}
		return proto.UploadResp{}, fmt.Errorf("store upload of %s: %w", g.Account, err)
	}
	s.log.Info("file uploaded", "account", g.Account, "id", m.ID, "bytes", m.Size, "mime", m.Mime)
	return proto.UploadResp{URL: fileURL(m), Name: m.Name, Size: m.Size, MD5: m.MD5, Mime: m.Mime}, nil
}

// Limits on uploads in progress, so that stalled uploads cannot hold the
// server's memory, file descriptors and temp files without end.
const (
	// uploadIdleTimeout is how long an upload may send nothing: a slow
	// link that keeps sending is never cut, a stalled one is (415).
	uploadIdleTimeout    = 60 * time.Second
	maxUploadsPerAccount = 4  // uploads in progress of one account on a node (416 past it)
	maxUploads           = 64 // uploads in progress on a node (416 past it)
)

// uploadSlots counts the uploads in progress, in all and by account.
type uploadSlots struct {
	mu        sync.Mutex
	total     int
	byAccount map[string]int
}

// acquire takes a slot for account's upload, or reports false when the
// account or the node is at its limit.
func (u *uploadSlots) acquire(account string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.total >= maxUploads || u.byAccount[account] >= maxUploadsPerAccount {
		return false
	}
	if u.byAccount == nil {
		u.byAccount = map[string]int{}
	}
	u.total++
	u.byAccount[account]++
	return true
}

// release gives back a slot acquire took.
func (u *uploadSlots) release(account string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.total--
	if u.byAccount[account]--; u.byAccount[account] <= 0 {
		delete(u.byAccount, account)
	}
}

// bodyReader reads an upload's body, pushing the connection's read
// deadline idle ahead before each read (so a stalled upload ends while a
// slow one goes on), and remembers the error of reading it (the client went
// away, stalled or sent a broken body), to tell it from a store failure.
type bodyReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	err  error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.rc != nil && b.idle > 0 {
		b.rc.SetReadDeadline(time.Now().Add(b.idle)) // unsupported writers (tests' recorders) keep no deadline
	}
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// serveFile handles /files/<id>/<name>: GET and HEAD download a file.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	allowed, origin := s.filesCORS(w, r)
	if r.Method == http.MethodOptions {
		s.preflight(w, allowed, origin, "GET, HEAD", "Range, If-None-Match, If-Modified-Since, If-Range")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		writeFileError(w, statusError{http.StatusMethodNotAllowed, errorf(proto.CodeBadParam, "use GET or HEAD to download")})
		return
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/files/"), "/")
	b, err := s.blobs.Open(r.Context(), id)
	if errors.Is(err, blobstore.ErrNotFound) {
		writeFileError(w, errorf(proto.CodeNotFound, "file not found"))
		return
	}
	if err != nil {
		s.log.Error("open file", "id", id, "err", err)
		writeFileError(w, err)
		return
	}
	defer b.Close()
	m := b.Meta()
	h := w.Header()
	h.Set("Content-Type", m.Mime)
	h.Set("ETag", `"`+m.MD5+`"`)
	h.Set("Cache-Control", filesCacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", filesCSP)
	kind := "attachment"
	if inlineMime(m.Mime) && r.URL.Query().Get("download") != "1" {
		kind = "inline"
	}
	h.Set("Content-Disposition", contentDisposition(kind, m.Name))
	http.ServeContent(w, r, "", m.Created, b)
}

// inlineMime reports whether a browser may show a file of content type m
// in place: images, audio and video, but not SVG (a document that can
// carry scripts).
func inlineMime(m string) bool {
	typ, _, _ := strings.Cut(m, "/")
	return (typ == "image" || typ == "audio" || typ == "video") && m != "image/svg+xml"
}

// contentDisposition is a Content-Disposition of kind (inline or
// attachment) for a file named name: an ASCII filename for old clients and
// the exact name as filename*=UTF-8”… (RFC 6266, RFC 8187).
func contentDisposition(kind, name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '/' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			ext.WriteByte(c)
		} else {
			fmt.Fprintf(&ext, "%%%02X", c)
		}
	}
	return kind + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}
