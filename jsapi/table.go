package jsapi

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"yunxin/core"
	"yunxin/proto"
)

// Engine is what the table calls: *core.Client. Tests use a fake.
type Engine interface {
	SetConfig(core.Config)
	Config() core.Config
	Login(ctx context.Context, account, token string) error
	AutoLogin(ctx context.Context, account, token string) error
	Logout(ctx context.Context) error
	IsLogined() bool
	CurrentAccount() string
	KickOtherClient(ctx context.Context, clientType int) error
	SendText(ctx context.Context, p core.SendTextParams) (*core.MessageView, error)
	SendMessageReceipt(ctx context.Context, sessionID string, chatType int, messageID string) error
	AllRecentSessions(ctx context.Context) ([]core.RecentSessionView, error)
	AllUnreadCount(ctx context.Context) (int, error)
	MarkAllMessagesReadInSession(ctx context.Context, sessionID string, chatType int) error
	CreateRecentSession(ctx context.Context, sessionID string, chatType int) error
	DeleteRecentSession(ctx context.Context, sessionID string, chatType int) error
	MessagesInSession(ctx context.Context, p core.MessagesParams) ([]core.MessageView, error)
	MessagesByIDs(ctx context.Context, ids []string) ([]core.MessageView, error)
}

var _ Engine = (*core.Client)(nil)

// handler runs one method: it validates p, calls e and returns the ret of a
// success. A nil handler means "not supported yet".
type handler func(ctx context.Context, e Engine, p params) (any, error)

// table maps every JS method name to its Go function: the 100 plugin
// methods and init. Unsupported methods map to nil.
var table = func() map[string]handler {
	t := map[string]handler{InitMethod: doInit}
	for _, name := range PluginMethods() {
		t[name] = nil
	}
	for name := range listenerMethods {
		t[name] = doListen
	}
	t["login"] = doLogin
	t["autoLogin"] = doAutoLogin
	t["logout"] = doLogout
	t["isLogined"] = doIsLogined
	t["currentAccount"] = doCurrentAccount
	t["kickOtherClient"] = doKick
	t["sendText"] = doSendText
	t["sendMessageReceipt"] = doReceipt
	t["allRecentSessions"] = doAllRecentSessions
	t["allUnreadCount"] = doAllUnreadCount
	t["markAllMessagesReadInSession"] = doMarkRead
	t["creatRecentSession"] = doCreateSession
	t["deleteRecentSession"] = doDeleteSession
	t["messagesInSession"] = doMessages
	t["messagesInSessionWithMessageIds"] = doMessagesByIDs
	return t
}()

// Methods returns every name of the table: the 100 plugin methods and init.
func Methods() []string {
	return append(PluginMethods(), InitMethod)
}

// Supported reports whether method is implemented (not a 414 "not supported yet").
func Supported(method string) bool { return table[method] != nil }

// Envelope is what the loader receives for one call: ret always, err on failure.
type Envelope struct {
	Ret any         `json:"ret"`
	Err *core.Error `json:"err,omitempty"`
}

type status struct {
	Status bool `json:"status"`
}

var (
	statusTrue  = status{true}
	statusFalse = status{false}
)

// Call runs method with the page's params (JSON; "" for none) and returns
// the envelope as JSON. It blocks while core works: call it from a goroutine.
// It does not recover panics; the bridge does.
func Call(ctx context.Context, e Engine, method, paramsJSON string) []byte {
	ret, err := call(ctx, e, method, paramsJSON)
	return Encode(ret, err)
}

func call(ctx context.Context, e Engine, method, paramsJSON string) (any, error) {
	h, known := table[method]
	if h == nil {
		if method == "" {
			return nil, core.BadParam("method", "must be a method name")
		}
		if !known {
			return nil, core.ErrNotSupported("method " + method)
		}
		return nil, core.ErrNotSupported(method)
	}
	p, err := decodeParams(paramsJSON)
	if err != nil {
		return nil, err
	}
	return h(ctx, e, p)
}

// Encode returns the envelope of a result: {"ret":ret} on success,
// {"ret":{"status":false},"err":{code,msg}} on failure.
func Encode(ret any, err error) []byte {
	env := Envelope{Ret: ret}
	if err != nil {
		env = Envelope{Ret: statusFalse, Err: core.AsError(err)}
	}
	b, mErr := json.Marshal(env)
	if mErr != nil {
		b, _ = json.Marshal(Envelope{Ret: statusFalse, Err: core.Errf(proto.CodeServer, "cannot encode the result: "+mErr.Error())})
	}
	return b
}

// Fail returns the envelope of a failure.
func Fail(code int, msg string) []byte { return Encode(nil, core.Errf(code, msg)) }

func doInit(_ context.Context, e Engine, p params) (any, error) {
	cfg := e.Config()
	for _, err := range []error{
		p.cfgString("appKey", &cfg.AppKey),
		p.cfgString("server", &cfg.Server),
		p.cfgString("os", &cfg.OS),
		p.cfgBool("shouldSyncUnreadCount", &cfg.ShouldSyncUnreadCount),
		p.cfgBool("shouldCountTeam", &cfg.ShouldCountTeam),
		p.cfgBool("teamReceiptEnabled", &cfg.TeamReceiptEnabled),
		p.cfgInt("maxAutoLoginRetryTimes", &cfg.MaxAutoLoginRetryTimes),
	} {
		if err != nil {
			return nil, err
		}
	}
	if cfg.Server != "" && !strings.HasPrefix(cfg.Server, "ws://") && !strings.HasPrefix(cfg.Server, "wss://") {
		return nil, core.BadParam("server", "must be a ws:// or wss:// URL")
	}
	e.SetConfig(cfg)
	return statusTrue, nil
}

// doListen answers the listener methods if they ever reach Go: the loader
// keeps the listener lists itself.
func doListen(context.Context, Engine, params) (any, error) { return statusTrue, nil }

func credentials(p params) (account, token string, err error) {
	if account, err = p.account("account"); err != nil {
		return
	}
	token, err = p.need("token", 256)
	return
}

func doLogin(ctx context.Context, e Engine, p params) (any, error) {
	account, token, err := credentials(p)
	if err != nil {
		return nil, err
	}
	if err := e.Login(ctx, account, token); err != nil {
		return nil, err
	}
	return statusTrue, nil
}

func doAutoLogin(ctx context.Context, e Engine, p params) (any, error) {
	account, token, err := credentials(p)
	if err != nil {
		return nil, err
	}
	if err := e.AutoLogin(ctx, account, token); err != nil {
		return nil, err
	}
	return statusTrue, nil
}

func doLogout(ctx context.Context, e Engine, _ params) (any, error) {
	if err := e.Logout(ctx); err != nil {
		return nil, err
	}
	return statusTrue, nil
}

func doIsLogined(_ context.Context, e Engine, _ params) (any, error) {
	return status{e.IsLogined()}, nil
}

func doCurrentAccount(_ context.Context, e Engine, _ params) (any, error) {
	return struct {
		UserID string `json:"userID"`
	}{e.CurrentAccount()}, nil
}

func doKick(ctx context.Context, e Engine, p params) (any, error) {
	if !p.has("client") {
		return nil, core.BadParam("client", "must be a number")
	}
	ct, err := p.integer("client", 0)
	if err != nil {
		return nil, err
	}
	switch ct {
	case 1, 2, 4, 8, 16, 32, 64:
	default:
		return nil, core.BadParam("client", "must be one of 1, 2, 4, 8, 16, 32, 64")
	}
	if err := e.KickOtherClient(ctx, ct); err != nil {
		return nil, err
	}
	return statusTrue, nil
}

func doSendText(ctx context.Context, e Engine, p params) (any, error) {
	sid, err := p.account("sessionId")
	if err != nil {
		return nil, err
	}
	ct, err := p.chatType("chatType")
	if err != nil {
		return nil, err
	}
	text, err := p.text("text")
	if err != nil {
		return nil, err
	}
	ext, err := p.object("ext", proto.MaxExtBytes)
	if err != nil {
		return nil, err
	}
	// from and reSend are accepted and ignored: the sender is the logged-in
	// account and a failed message is resent with resendMessage.
	if _, err := p.str("from"); err != nil {
		return nil, err
	}
	m, err := e.SendText(ctx, core.SendTextParams{SessionID: sid, ChatType: ct, Text: text, Ext: ext})
	if err != nil {
		return nil, err
	}
	return struct {
		Status  bool              `json:"status"`
		Message *core.MessageView `json:"message,omitempty"`
	}{true, m}, nil
}

// session returns the sessionId and chatType parameters of a P2P session.
func session(p params, chatTypeNames ...string) (string, int, error) {
	sid, err := p.account("sessionId")
	if err != nil {
		return "", 0, err
	}
	name := "chatType"
	for _, n := range chatTypeNames {
		if p.has(n) {
			name = n
			break
		}
	}
	ct, err := p.chatType(name)
	return sid, ct, err
}

func doReceipt(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	mid, err := p.need("messageId", 128)
	if err != nil {
		return nil, err
	}
	if err := e.SendMessageReceipt(ctx, sid, ct, mid); err != nil {
		return nil, err
	}
	return statusTrue, nil
}

func doAllRecentSessions(ctx context.Context, e Engine, _ params) (any, error) {
	s, err := e.AllRecentSessions(ctx)
	if err != nil {
		return nil, err
	}
	if s == nil {
		s = []core.RecentSessionView{}
	}
	return struct {
		RecentSessions []core.RecentSessionView `json:"recentSessions"`
	}{s}, nil
}

func doAllUnreadCount(ctx context.Context, e Engine, _ params) (any, error) {
	n, err := e.AllUnreadCount(ctx)
	if err != nil {
		return nil, err
	}
	return struct {
		UnreadCount int `json:"unreadCount"`
	}{n}, nil
}

func doMarkRead(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	if err := e.MarkAllMessagesReadInSession(ctx, sid, ct); err != nil {
		return nil, err
	}
	return statusTrue, nil
}

func doCreateSession(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	if err := e.CreateRecentSession(ctx, sid, ct); err != nil {
		return nil, err
	}
	return statusTrue, nil
}

func doDeleteSession(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p, "sessionType", "chatType")
	if err != nil {
		return nil, err
	}
	if _, err := p.boolean("notifyOb", false); err != nil {
		return nil, err
	}
	if err := e.DeleteRecentSession(ctx, sid, ct); err != nil {
		return nil, err
	}
	return statusTrue, nil
}

// messages is the ret of messagesInSession and messagesInSessionWithMessageIds.
type messages struct {
	Status   bool               `json:"status"`
	Messages []core.MessageView `json:"messages"`
}

func messagesRet(m []core.MessageView, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = []core.MessageView{}
	}
	return messages{true, m}, nil
}

// MaxLimit is the most messages one messagesInSession call returns.
const MaxLimit = 100

func doMessages(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	q := core.MessagesParams{SessionID: sid, ChatType: ct}
	if q.MessageID, err = p.str("messageId"); err != nil {
		return nil, err
	}
	if q.Limit, err = p.integer("limit", 10); err != nil {
		return nil, err
	}
	if q.Limit < 1 {
		return nil, core.BadParam("limit", "must be at least 1")
	}
	q.Limit = min(q.Limit, MaxLimit)
	dir, err := p.str("direction")
	if err != nil {
		return nil, err
	}
	switch dir {
	case "", "QUERY_OLD":
	case "QUERY_NEW":
		q.Newer = true
	default:
		return nil, core.BadParam("direction", "must be 'QUERY_OLD' or 'QUERY_NEW'")
	}
	asc, err := p.boolean("asc", true)
	if err != nil {
		return nil, err
	}
	q.Desc = !asc
	return messagesRet(e.MessagesInSession(ctx, q))
}

func doMessagesByIDs(ctx context.Context, e Engine, p params) (any, error) {
	if _, err := p.str("sessionId"); err != nil { // optional, iOS only
		return nil, err
	}
	if _, err := p.chatType("chatType"); err != nil {
		return nil, err
	}
	ids, err := p.strings("messageIds", 1000)
	if err != nil {
		return nil, err
	}
	return messagesRet(e.MessagesByIDs(ctx, ids))
}

// panicMessage turns a recovered panic value into an error message.
func panicMessage(method string, v any) string {
	var what string
	switch v := v.(type) {
	case error:
		what = v.Error()
	case string:
		what = v
	case int:
		what = strconv.Itoa(v)
	default:
		what = "unknown panic"
	}
	return "internal error in " + method + ": " + what
}

// Recovered returns the envelope of a call that panicked (code 500).
func Recovered(method string, v any) []byte {
	return Fail(proto.CodeServer, panicMessage(method, v))
}
