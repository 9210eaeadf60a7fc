// Package server is the yunxinIM server: the WebSocket endpoint the browser
// SDK talks to (/ws, protocol in package proto and docs/protocol.md), the NIM
// style REST API (/nimserver/...), the SDK files (/sdk/...) and the demo app (/).
//
// Start with Open and serve Handler. Storage sits behind store.Store
// (server/sqlitestore by default); fan-out sits behind Bus and who is online
// behind Presence (in-process by default), so several nodes can share them
// later without touching the ops.
//
// The request path: each op (registered per domain in ops_*.go) validates,
// writes through the store and returns its reply and what it committed
// (changes, messages); the connection queues the reply, then the dispatcher
// (ops.go) publishes the pushes on the Bus, and the registry of this node
// queues them on its connections.
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
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"yunxin/proto"
	"yunxin/server/blobstore"
	"yunxin/server/sqlitestore"
	"yunxin/server/store"
	"yunxin/web"
)

// DefaultAppSecret is the app secret of ConfigFromEnv when
// YUNXIN_APP_SECRET is unset. It is public, so the server refuses it on an
// address other than loopback (Config.Check).
const DefaultAppSecret = "demo-secret"

// Config configures a Server.
type Config struct {
	Addr           string        // listen address, e.g. 127.0.0.1:8080 (used by cmd/yunxin-server)
	DataDir        string        // directory of the database and (under files/) of uploaded files
	AppKey         string        // the app key clients and REST callers must present
	AppSecret      string        // the REST API checksum secret
	AllowedOrigins []string      // extra origins allowed to open /ws, e.g. http://localhost:3000
	MaxUploadBytes int64         // the largest file an upload may carry; 0: proto.MaxUploadBytes (100 MB)
	RevokeWindow   time.Duration // how long after sending a message its sender may revoke it; 0: 2 minutes
	// TeamMaxMembers is the member limit of normal and advanced teams
	// (a createTeam maxMember above it is 414); 0: proto.DefaultTeamMembers (200).
	TeamMaxMembers int
	// SuperTeamMaxMembers is the member limit of super teams; 0:
	// proto.DefaultSuperMembers (2000).
	SuperTeamMaxMembers int

	envErrs []error // values of ConfigFromEnv that did not parse (Check reports them)
}

// Defaults of the Config fields left zero.
const (
	DefaultRevokeWindow = 2 * time.Minute
)

// maxUpload is the upload size limit in force.
func (cfg Config) maxUpload() int64 {
	if cfg.MaxUploadBytes > 0 {
		return cfg.MaxUploadBytes
	}
	return proto.MaxUploadBytes
}

// revokeWindow is the revoke window in force.
func (cfg Config) revokeWindow() time.Duration {
	if cfg.RevokeWindow > 0 {
		return cfg.RevokeWindow
	}
	return DefaultRevokeWindow
}

// teamMaxMembers is the member limit of normal and advanced teams in force.
func (cfg Config) teamMaxMembers() int {
	if cfg.TeamMaxMembers > 0 {
		return cfg.TeamMaxMembers
	}
	return proto.DefaultTeamMembers
}

// superTeamMaxMembers is the member limit of super teams in force.
func (cfg Config) superTeamMaxMembers() int {
	if cfg.SuperTeamMaxMembers > 0 {
		return cfg.SuperTeamMaxMembers
	}
	return proto.DefaultSuperMembers
}

// MaxTeamMembersConfig bounds TeamMaxMembers and SuperTeamMaxMembers: a
// team change writes to every member's log, so a limit far above this
// would make one change a huge transaction.
const MaxTeamMembersConfig = 100000

// ConfigFromEnv reads the Config from YUNXIN_ADDR (default 127.0.0.1:8080),
// YUNXIN_DATA (./data), YUNXIN_APP_KEY (demo), YUNXIN_APP_SECRET
// (demo-secret), YUNXIN_ALLOWED_ORIGINS (comma-separated origins),
// YUNXIN_MAX_UPLOAD (bytes, or with a K/M/G suffix: 100M) and
// YUNXIN_REVOKE_WINDOW (a Go duration: 2m, 90s), YUNXIN_TEAM_MAX_MEMBERS
// (200) and YUNXIN_SUPER_TEAM_MAX_MEMBERS (2000). A value that does not parse
// keeps the default and is reported by Check.
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
		AppSecret: env("YUNXIN_APP_SECRET", DefaultAppSecret),
	}
	if v := env("YUNXIN_MAX_UPLOAD", ""); v != "" {
		n, err := parseBytes(v)
		if err != nil {
			cfg.envErrs = append(cfg.envErrs, fmt.Errorf("YUNXIN_MAX_UPLOAD=%q: %w", v, err))
		}
		cfg.MaxUploadBytes = n
	}
	if v := env("YUNXIN_REVOKE_WINDOW", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			cfg.envErrs = append(cfg.envErrs, fmt.Errorf("YUNXIN_REVOKE_WINDOW=%q: want a positive duration like 2m or 90s", v))
			d = 0
		}
		cfg.RevokeWindow = d
	}
	teamLimit := func(k string) int {
		v := env(k, "")
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > MaxTeamMembersConfig {
			cfg.envErrs = append(cfg.envErrs, fmt.Errorf("%s=%q: want a member count from 1 to %d", k, v, MaxTeamMembersConfig))
			return 0
		}
		return n
	}
	cfg.TeamMaxMembers = teamLimit("YUNXIN_TEAM_MAX_MEMBERS")
	cfg.SuperTeamMaxMembers = teamLimit("YUNXIN_SUPER_TEAM_MAX_MEMBERS")
	for o := range strings.SplitSeq(os.Getenv("YUNXIN_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
		}
	}
	return cfg
}

// Check reports a configuration the server must not run with: the default
// (or an empty) app secret while listening on an address other than
// loopback, where anyone could sign REST calls with it, or an allowed
// origin that is not scheme://host[:port], or a team member limit out of
// range (negative or above MaxTeamMembersConfig).
func (cfg Config) Check() error {
	if len(cfg.envErrs) > 0 {
		return errors.Join(cfg.envErrs...)
	}
	if n := cfg.TeamMaxMembers; n < 0 || n > MaxTeamMembersConfig {
		return fmt.Errorf("TeamMaxMembers %d: want 0 (the default, %d) to %d", n, proto.DefaultTeamMembers, MaxTeamMembersConfig)
	}
	if n := cfg.SuperTeamMaxMembers; n < 0 || n > MaxTeamMembersConfig {
		return fmt.Errorf("SuperTeamMaxMembers %d: want 0 (the default, %d) to %d", n, proto.DefaultSuperMembers, MaxTeamMembersConfig)
	}
	if (cfg.AppSecret == "" || cfg.AppSecret == DefaultAppSecret) && !loopbackAddr(cfg.Addr) {
		return fmt.Errorf("refusing to listen on %s with the default app secret: set YUNXIN_APP_SECRET to a secret of your own (or listen on 127.0.0.1)", cfg.Addr)
	}
	if _, bad := originSet(cfg.AllowedOrigins); len(bad) > 0 {
		return fmt.Errorf("YUNXIN_ALLOWED_ORIGINS: %q is not an origin like http://localhost:3000 or https://app.example.com", bad[0])
	}
	return nil
}

// loopbackAddr reports whether the listen address addr (host:port) only
// accepts connections from this machine. An empty address (no listener)
// counts as loopback; an empty host (all interfaces) does not.
func loopbackAddr(addr string) bool {
	if addr == "" {
		return true
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
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
	cfg      Config
	log      *slog.Logger
	store    store.Store
	bus      Bus
	presence Presence
	registry *registry
	throttle *loginThrottle
	known    knownAccounts // accounts a send found (ops_messages.go)
	// profileLimit and friendLimit bound profile updates (uinfo) and
	// friend requests (friend op 2) per account.
	profileLimit, friendLimit *accountLimiter
	now                       func() time.Time
	blobs                     blobstore.Store // uploaded files
	grants                    grantLedger     // upload grants used on this node
	uploads                   uploadSlots     // uploads in progress on this node
	blobTemp                  string          // a temp directory of blobs to remove at Close ("" if none)

	sdk, demo http.Handler
	origins   map[string]struct{} // normalized allowed origins

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup
	ready  atomic.Bool

	// Timeouts and limits, variables so tests can change them.
	loginTimeout time.Duration
	opTimeout    time.Duration // opTimeout: the time one request may take
	idleTimeout  time.Duration
	writeTimeout time.Duration
	queueBytes   int           // maxQueueBytes
	reqRate      rate.Limit    // rateLimit
	reqBurst     int           // rateBurst
	uploadIdle   time.Duration // uploadIdleTimeout
}

// Cluster is how a Server reaches the other nodes: the Bus its pushes go
// through, the Presence of online clients and the store of uploaded files.
// A nil Bus or Presence is the in-process implementation (one node); a nil
// Blobs is a blobstore.FS on <cfg.DataDir>/files, or, when cfg.DataDir is
// "", on a new temp directory removed at Close (files then live as long as
// the Server).
type Cluster struct {
	Bus      Bus
	Presence Presence
	Blobs    blobstore.Store
}

// Open checks cfg (Config.Check), opens (creating if needed) the SQLite
// database in cfg.DataDir and returns a single-node Server ready to serve
// Handler.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "."
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	st, err := sqlitestore.Open(ctx, cfg.DataDir, log)
	if err != nil {
		return nil, err // names the directory already
	}
	return New(cfg, st, Cluster{}, log)
}

// New returns a Server on an already opened store and cluster. Close closes
// the store (also when New fails).
func New(cfg Config, st store.Store, cl Cluster, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cl.Bus == nil {
		cl.Bus = NewLocalBus()
	}
	if cl.Presence == nil {
		cl.Presence = NewLocalPresence()
	}
	origins, bad := originSet(cfg.AllowedOrigins)
	if len(bad) > 0 {
		st.Close()
		return nil, cfg.Check()
	}
	blobTemp := ""
	if cl.Blobs == nil {
		dir := filepath.Join(cfg.DataDir, "files")
		if cfg.DataDir == "" {
			tmp, err := os.MkdirTemp("", "yunxin-files-")
			if err != nil {
				st.Close()
				return nil, fmt.Errorf("files: %w", err)
			}
			blobTemp, dir = tmp, tmp
			log.Warn("no data directory: uploaded files are kept in a temp directory until the server closes", "dir", tmp)
		}
		fsStore, err := blobstore.OpenFS(dir)
		if err != nil {
			st.Close()
			if blobTemp != "" {
				os.RemoveAll(blobTemp)
			}
			return nil, fmt.Errorf("files: %w", err)
		}
		cl.Blobs = fsStore
	}
	s := &Server{
		cfg:          cfg,
		log:          log,
		store:        st,
		bus:          cl.Bus,
		presence:     cl.Presence,
		registry:     newRegistry(cl.Bus),
		throttle:     newLoginThrottle(loginThrottleMaxKeys),
		profileLimit: newAccountLimiter(profileUpdateEvery, profileUpdateBurst, loginThrottleMaxKeys),
		friendLimit:  newAccountLimiter(friendRequestEvery, friendRequestBurst, loginThrottleMaxKeys),
		now:          time.Now,
		blobs:        cl.Blobs,
		blobTemp:     blobTemp,
		origins:      origins,
		conns:        map[*conn]struct{}{},
		loginTimeout: 10 * time.Second,
		opTimeout:    opTimeout,
		idleTimeout:  90 * time.Second,
		writeTimeout: 10 * time.Second,
		queueBytes:   maxQueueBytes,
		reqRate:      rateLimit,
		reqBurst:     rateBurst,
		uploadIdle:   uploadIdleTimeout,
	}
	var err error
	if s.sdk, err = newStatic(web.SDK(), true); err != nil {
		s.closeStorage()
		return nil, fmt.Errorf("sdk files: %w", err)
	}
	if s.demo, err = newStatic(web.Demo(), false); err != nil {
		s.closeStorage()
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
// /files (uploads) and /files/<id>/<name> (downloads), /healthz and the
// server API: /nimserver/user/{create,refreshToken,updateUinfo,getUinfos,
// block,unblock}.action, /nimserver/friend/{add,delete,get,update}.action,
// /nimserver/msg/sendAttachMsg.action and /nimserver/team/{create,add,kick,
// remove,update,query,leave,changeOwner,addManager,removeManager,muteTlist,
// muteTlistAll}.action, and our extension GET /admin/connections?accid=X
// (the account's connections on this node, with the server API's auth).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/sdk/", http.StripPrefix("/sdk", s.sdk))
	mux.Handle("/", s.demo)
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/files", s.serveUpload)
	mux.HandleFunc("/files/", s.serveFile)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "closed", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/admin/connections", s.restMethod(http.MethodGet, s.restConnections))
	mux.HandleFunc("/nimserver/user/create.action", s.rest(s.restCreateUser))
	mux.HandleFunc("/nimserver/user/refreshToken.action", s.rest(s.restRefreshToken))
	mux.HandleFunc("/nimserver/user/updateUinfo.action", s.rest(s.restUpdateUinfo))
	mux.HandleFunc("/nimserver/user/getUinfos.action", s.rest(s.restGetUinfos))
	mux.HandleFunc("/nimserver/user/block.action", s.rest(s.restBlock))
	mux.HandleFunc("/nimserver/user/unblock.action", s.rest(s.restUnblock))
	mux.HandleFunc("/nimserver/friend/add.action", s.rest(s.restFriendAdd))
	mux.HandleFunc("/nimserver/friend/delete.action", s.rest(s.restFriendDelete))
	mux.HandleFunc("/nimserver/friend/get.action", s.rest(s.restFriendGet))
	mux.HandleFunc("/nimserver/friend/update.action", s.rest(s.restFriendUpdate))
	mux.HandleFunc("/nimserver/msg/sendAttachMsg.action", s.rest(s.restSendAttachMsg))
	for name, action := range map[string]func(*http.Request) (any, error){
		"create": s.restTeamCreate, "add": s.restTeamAdd, "kick": s.restTeamKick, "remove": s.restTeamRemove,
		"update": s.restTeamUpdate, "query": s.restTeamQuery, "leave": s.restTeamLeave,
		"changeOwner": s.restTeamChangeOwner, "addManager": s.restTeamManagers(true),
		"removeManager": s.restTeamManagers(false), "muteTlist": s.restTeamMuteTlist,
		"muteTlistAll": s.restTeamMuteTlistAll,
	} {
		mux.HandleFunc("/nimserver/team/"+name+".action", s.rest(action))
	}
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
		c.closeAfter(closeGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.log.Warn("connections still running at close")
	}
	return s.closeStorage()
}

// closeStorage closes the store and removes the temp directory of blobs
// New made, if any.
func (s *Server) closeStorage() error {
	err := s.store.Close()
	if s.blobTemp != "" {
		err = errors.Join(err, os.RemoveAll(s.blobTemp))
	}
	return err
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
	if len(token) > proto.MaxTokenBytes {
		return "", errorf(proto.CodeBadParam, "token longer than %d bytes", proto.MaxTokenBytes)
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
		return false, fmt.Errorf("look up user %s: %w", accid, err)
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

// parseBytes reads a byte count: digits with an optional K, M or G suffix
// (powers of 1024, an optional trailing B).
func parseBytes(v string) (int64, error) {
	s := strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(v)), "B")
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, errors.New("want a positive size like 104857600, 100M or 1G")
	}
	return n * mult, nil
}
