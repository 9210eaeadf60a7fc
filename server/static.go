package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// static serves the files of an fs.FS read once at startup: precompressed
// name.br / name.gz variants by Accept-Encoding, a strong ETag per
// representation and Cache-Control: no-cache (always revalidate).
type static struct {
	files map[string]*staticFile
	cors  bool
}

type staticFile struct {
	data  []byte
	etag  string
	ctype string
}

func newStatic(fsys fs.FS, cors bool) (*static, error) {
	s := &static{files: map[string]*staticFile{}, cors: cors}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		s.files[name] = &staticFile{data: data, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, ctype: contentType(name)}
		return nil
	})
	return s, err
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".md", ".txt":
		return "text/plain; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".ico":
		return "image/x-icon"
	case ".png":
		return "image/png"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (s *static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if s.cors {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if r.Method == http.MethodOptions && s.cors {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD")
			h.Set("Access-Control-Allow-Headers", "*")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	raw := s.files[name]
	if raw == nil {
		http.NotFound(w, r)
		return
	}
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	f, enc := raw, ""
	ae := r.Header.Get("Accept-Encoding")
	if v := s.files[name+".br"]; v != nil && acceptsEncoding(ae, "br") {
		f, enc = v, "br"
	} else if v := s.files[name+".gz"]; v != nil && acceptsEncoding(ae, "gzip") {
		f, enc = v, "gzip"
	}
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	h.Set("Content-Type", raw.ctype)
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}

// acceptsEncoding reports whether an Accept-Encoding header allows coding
// (named, or by *, with a q-value above 0).
func acceptsEncoding(header, coding string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		tok, params, _ := strings.Cut(part, ";")
		tok = strings.ToLower(strings.TrimSpace(tok))
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch tok {
		case coding:
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}
