// Package server is the yunxinIM server: the WebSocket endpoint the browser
// SDK talks to (/ws, protocol in package proto and docs/protocol.md), the NIM
// style REST API (/nimserver/...), the SDK files (/sdk/...) and the demo app (/).
//
// Start with Open and serve Handler. Storage sits behind store.Store
// (server/sqlitestore by default) and fan-out between connections behind Hub
// (in-process by default), so both can be swapped without touching the ops.
package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"yunxin/proto"
	"yunxin/server/sqlitestore"
	"yunxin/server/store"
	"yunxin/web"
)

// Config configures a Server.
type Config struct {
	Addr           string   // listen address, e.g. 127.0.0.1:8080 (used by cmd/yunxin-server)
	DataDir        string   // directory of the database
	AppKey         string   // the app key clients and REST callers must present
	AppSecret      string   // the REST API checksum secret
	AllowedOrigins []string // extra origins allowed to open /ws, e.g. http://localhost:3000
}

// ConfigFromEnv reads the Config from YUNXIN_ADDR (default 127.0.0.1:8080),
// YUNXIN_DATA (./data), YUNXIN_APP_KEY (demo), YUNXIN_APP_SECRET
// (demo-secret) and YUNXIN_ALLOWED_ORIGINS (comma-separated origins).
func ConfigFromEnv() Config {
	env := func(k, def string) string {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		Addr:      env("YUNXIN_ADDR", "127.0.0.1:8080"),
		DataDir:   env("YUNXIN_DATA", "./data"),
		AppKey:    env("YUNXIN_APP_KEY", "demo"),
		AppSecret: env("YUNXIN_APP_SECRET", "demo-secret"),
	}
	for o := range strings.SplitSeq(os.Getenv("YUNXIN_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
		}
	}
	return cfg
}

// Error is an error with a NIM error code (proto.Code*), as returned by
// CreateUser and RefreshToken and sent to clients.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Msg) }

func errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Server holds the database, the online connections and the HTTP routes.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store store.Store
	hub   Hub
	now   func() time.Time

	sdk, demo http.Handler
	origins   []string

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup
	ready  atomic.Bool

	// Timeouts, variables so tests can shorten them.
	loginTimeout time.Duration
	idleTimeout  time.Duration
	writeTimeout time.Duration
}

// Open opens (creating if needed) the SQLite database in cfg.DataDir and
// returns a Server ready to serve Handler.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "."
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	st, err := sqlitestore.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return New(cfg, st, nil, log)
}

// New returns a Server on an already opened store and hub (nil hub: the
// in-process one). Close closes the store.
func New(cfg Config, st store.Store, hub Hub, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if hub == nil {
		hub = NewLocalHub()
	}
	s := &Server{
		cfg:          cfg,
		log:          log,
		store:        st,
		hub:          hub,
		now:          time.Now,
		conns:        map[*conn]struct{}{},
		loginTimeout: 10 * time.Second,
		idleTimeout:  90 * time.Second,
		writeTimeout: 10 * time.Second,
	}
	s.origins = originPatterns(cfg.AllowedOrigins)
	var err error
	if s.sdk, err = newStatic(web.SDK(), true); err != nil {
		st.Close()
		return nil, fmt.Errorf("sdk files: %w", err)
	}
	if s.demo, err = newStatic(web.Demo(), false); err != nil {
		st.Close()
		return nil, fmt.Errorf("demo files: %w", err)
	}
	s.ready.Store(true)
	return s, nil
}

// SetStaticFS replaces the files served under /sdk/ and / (for tests and
// deployments that serve other builds). Call it before serving.
func (s *Server) SetStaticFS(sdk, demo fs.FS) error {
	var err error
	if sdk != nil {
		if s.sdk, err = newStatic(sdk, true); err != nil {
			return err
		}
	}
	if demo != nil {
		if s.demo, err = newStatic(demo, false); err != nil {
			return err
		}
	}
	return nil
}

// Handler returns all routes: / (demo), /sdk/ (SDK files), /ws (WebSocket),
// /healthz and /nimserver/user/{create,refreshToken}.action.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/sdk/", http.StripPrefix("/sdk", s.sdk))
	mux.Handle("/", s.demo)
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "closed", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/nimserver/user/create.action", s.rest(s.restCreateUser))
	mux.HandleFunc("/nimserver/user/refreshToken.action", s.rest(s.restRefreshToken))
	return mux
}

// Close closes every WebSocket connection, waits (up to 5 s) for their
// goroutines and closes the store.
func (s *Server) Close() error {
	s.ready.Store(false)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.closeNow(closeGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.log.Warn("connections still running at close")
	}
	return s.store.Close()
}

// CreateUser creates an account. An empty token makes the server generate
// one; the token is returned. An existing accid is an *Error with code 414
// "already register"; an invalid accid, name or token is 414 too.
func (s *Server) CreateUser(ctx context.Context, accid, name, token string) (string, error) {
	return s.createUser(ctx, accid, name, "", token)
}

func (s *Server) createUser(ctx context.Context, accid, name, icon, token string) (string, error) {
	if !proto.ValidAccount(accid) {
		return "", errorf(proto.CodeBadParam, "invalid accid %q: 1-32 of letters, digits and _ . @ -", accid)
	}
	if len([]rune(name)) > 64 {
		return "", errorf(proto.CodeBadParam, "name longer than 64 characters")
	}
	if len(icon) > 1024 {
		return "", errorf(proto.CodeBadParam, "icon longer than 1024 bytes")
	}
	token, err := checkToken(token)
	if err != nil {
		return "", err
	}
	salt, hash := hashToken(token)
	err = s.store.CreateUser(ctx, store.User{Accid: accid, Name: name, Icon: icon, Salt: salt, TokenHash: hash, CreatedMs: s.now().UnixMilli()})
	if errors.Is(err, store.ErrExists) {
		return "", errorf(proto.CodeBadParam, "already register")
	}
	if err != nil {
		return "", fmt.Errorf("create user %s: %w", accid, err)
	}
	return token, nil
}

// RefreshToken gives an account a new token (generated when token is "") and
// returns it; an unknown accid is an *Error with code 404. Connections already
// logged in stay logged in.
func (s *Server) RefreshToken(ctx context.Context, accid, token string) (string, error) {
	token, err := checkToken(token)
	if err != nil {
		return "", err
	}
	salt, hash := hashToken(token)
	err = s.store.SetToken(ctx, accid, salt, hash)
	if errors.Is(err, store.ErrNotFound) {
		return "", errorf(proto.CodeNotFound, "user not found: %q", accid)
	}
	if err != nil {
		return "", fmt.Errorf("refresh token of %s: %w", accid, err)
	}
	return token, nil
}

func checkToken(token string) (string, error) {
	if token == "" {
		return randomHex(16), nil
	}
	if len(token) > 128 {
		return "", errorf(proto.CodeBadParam, "token longer than 128 bytes")
	}
	return token, nil
}

// checkLogin reports whether token is accid's token. ok is false for an
// unknown account too.
func (s *Server) checkLogin(ctx context.Context, accid, token string) (bool, error) {
	u, err := s.store.User(ctx, accid)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	h := sha256.Sum256(append(append([]byte{}, u.Salt...), token...))
	return subtle.ConstantTimeCompare(h[:], u.TokenHash) == 1, nil
}

func hashToken(token string) (salt, hash []byte) {
	salt = make([]byte, 16)
	rand.Read(salt)
	h := sha256.Sum256(append(append([]byte{}, salt...), token...))
	return salt, h[:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// originPatterns turns origins like http://localhost:3000 into the
// host[:port] patterns coder/websocket matches.
func originPatterns(origins []string) []string {
	var out []string
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if i := strings.Index(o, "://"); i >= 0 {
			o = o[i+3:]
		}
		o = strings.TrimRight(o, "/")
		if o != "" {
			out = append(out, o)
		}
	}
	return out
}
