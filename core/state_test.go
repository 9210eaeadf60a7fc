package core

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// These tests drive the state (appliers, tx, pushes) with no network: a
// Client with a run installed by hand over a MemCache.

// failingCache is a MemCache whose Apply fails while fail is set.
type failingCache struct {
	*MemCache
	mu   sync.Mutex
	fail bool
}

func (f *failingCache) Apply(ctx context.Context, b *Batch) error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return errors.New("disk full")
	}
	return f.MemCache.Apply(ctx, b)
}

func (f *failingCache) setFail(v bool) { f.mu.Lock(); f.fail = v; f.mu.Unlock() }

// recorder collects events and log lines.
type recorder struct {
	mu     sync.Mutex
	events []Event
	logs   []string
}

func (rec *recorder) emit(e Event) {
	rec.mu.Lock()
	rec.events = append(rec.events, e)
	rec.mu.Unlock()
}
func (rec *recorder) log(msg string) {
	rec.mu.Lock()
	rec.logs = append(rec.logs, msg)
	rec.mu.Unlock()
}
func (rec *recorder) reset() { rec.mu.Lock(); rec.events, rec.logs = nil, nil; rec.mu.Unlock() }
func (rec *recorder) eventTypes() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, e := range rec.events {
		switch d := e.Data.(type) {
		case MessageEvent:
			out = append(out, d.EventType)
		case SessionEvent:
			out = append(out, d.EventType)
		case AccountEvent:
			out = append(out, d.EventType)
		}
	}
	return out
}

func (rec *recorder) logText() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return strings.Join(rec.logs, "\n")
}

// offline returns a client logged in as alice over cache, without a link.
func offline(t *testing.T, cache Cache, syncUnread bool) (*Client, *run, *recorder) {
	t.Helper()
	rec := &recorder{}
	c := NewClient(Config{ShouldSyncUnreadCount: syncUnread}, nil, nil, rec.emit)
	c.SetLog(rec.log)
	snap, err := cache.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := &run{account: "alice", cache: cache, st: newState(snap)}
	r.ctx, r.cancel = context.WithCancelCause(context.Background())
	t.Cleanup(func() { r.cancel(nil) })
	c.active = r
	return c, r, rec
}

func change(ver int64, kind, key string, data any) jx.RawMessage {
	d, _ := json.Marshal(data)
	b, _ := json.Marshal(proto.Change{Ver: ver, Kind: kind, Key: key, Data: d})
	return b
}

func msg(seq int64, from string, t int64) jx.RawMessage {
	to := "alice"
	if from == "alice" {
		to = "bob"
	}
	b, _ := json.Marshal(proto.Msg{ServerID: itoa64(100 + seq), ClientID: "c" + itoa64(seq), Conv: "p:alice|bob", Seq: seq,
		From: from, To: to, Body: jx.RawMessage(`{"text":"hi"}`), Time: t})
	return b
}

func (c *Client) sessionNow(key string) *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.active.st.sessions.byKey[key]; s != nil {
		cp := *s
		return &cp
	}
	return nil
}

func TestPushedChangesAndCursor(t *testing.T) {
	cache := NewMemCache()
	cache.Apply(context.Background(), &Batch{Meta: &Meta{Ver: 5, DeviceID: "d"}})
	c, r, rec := offline(t, cache, true)
	c.onPush(r, nil, proto.PushMsg, msg(1, "bob", 1000))
	c.onPush(r, nil, proto.PushMsg, msg(2, "bob", 1001))
	if s := c.sessionNow("0|bob"); s == nil || s.Unread != 2 || s.SyncSeq != 2 || s.LastSeq != 2 {
		t.Fatalf("after two messages: %+v", s)
	}

	// Ver 6 follows Meta.Ver 5: applied and the cursor moves.
	conv := proto.Conv{ID: "p:alice|bob", Peer: "bob", LastSeq: 2, LastTime: 1001, ReadSeq: 2, Unread: 0}
	c.onPush(r, nil, proto.PushChange, change(6, proto.ChangeConv, conv.ID, conv))
	if s := c.sessionNow("0|bob"); s.Unread != 0 || s.ReadSeq != 2 || s.SrvReadSeq != 2 {
		t.Fatalf("read mark from another device not applied: %+v", s)
	}
	snap, _ := cache.Load(context.Background())
	if snap.Meta.Ver != 6 || snap.Meta.DeviceID != "d" {
		t.Fatalf("meta after change 6 = %+v, want ver 6", snap.Meta)
	}

	// Ver 9 skips 7 and 8: applied, but the cursor waits for the next sync.
	rc := proto.Receipt{Conv: "p:alice|bob", From: "bob", Seq: 2, ClientID: "c2", Time: 2000}
	rec.reset()
	c.onPush(r, nil, proto.PushChange, change(9, proto.ChangeReceipt, rc.Conv, rc))
	if s := c.sessionNow("0|bob"); s.PeerReadSeq != 2 || s.PeerReadTime != 2000 {
		t.Fatalf("receipt not applied: %+v", s)
	}
	snap, _ = cache.Load(context.Background())
	if snap.Meta.Ver != 6 {
		t.Fatalf("meta ver = %d after change 9, want 6 (7 and 8 are missing)", snap.Meta.Ver)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "onRecvMessageReceipts didUpdateRecentSession" {
		t.Fatalf("events for a receipt: %s", got)
	}
	// The same receipt again (the sync pages over it): nothing new.
	rec.reset()
	c.onPush(r, nil, proto.PushChange, change(9, proto.ChangeReceipt, rc.Conv, rc))
	if got := rec.eventTypes(); len(got) != 0 {
		t.Fatalf("a repeated receipt emitted %v", got)
	}

	// An unknown kind and a malformed change are logged and skipped, and a
	// skipped change still moves the cursor when it is the next one.
	c.onPush(r, nil, proto.PushChange, change(7, "nosuchkind", "carol", map[string]string{"alias": "c"}))
	c.onPush(r, nil, proto.PushChange, []byte(`{"ver":8,"kind":"conv","key":"p:alice|bob","data":"nope"}`))
	if log := rec.logText(); !strings.Contains(log, "unknown kind nosuchkind") || !strings.Contains(log, "change 8 (conv") {
		t.Fatalf("log = %q, want the unknown kind and the malformed change", log)
	}
	snap, _ = cache.Load(context.Background())
	if snap.Meta.Ver != 8 {
		t.Fatalf("meta ver = %d, want 8", snap.Meta.Ver)
	}
	// A push that is not JSON is logged too; nothing panics.
	c.onPush(r, nil, proto.PushChange, []byte(`{`))
	c.onPush(r, nil, proto.PushMsg, []byte(`[]`))
	if log := rec.logText(); !strings.Contains(log, "bad change push") || !strings.Contains(log, "bad msg push") {
		t.Fatalf("log = %q", log)
	}
}

func TestCacheFirstThenMemory(t *testing.T) {
	cache := &failingCache{MemCache: NewMemCache()}
	c, r, rec := offline(t, cache, true)
	c.onPush(r, nil, proto.PushMsg, msg(1, "bob", 1000))
	before := c.sessionNow("0|bob")
	rec.reset()

	cache.setFail(true)
	c.onPush(r, nil, proto.PushMsg, msg(2, "bob", 1001))
	conv := proto.Conv{ID: "p:alice|bob", Peer: "bob", LastSeq: 2, ReadSeq: 2}
	c.onPush(r, nil, proto.PushChange, change(1, proto.ChangeConv, conv.ID, conv))
	if after := c.sessionNow("0|bob"); after.SyncSeq != before.SyncSeq || after.Unread != before.Unread || after.LastSeq != 1 {
		t.Fatalf("memory changed although the cache write failed: %+v, was %+v", after, before)
	}
	c.mu.Lock()
	ver := r.st.meta.Ver
	c.mu.Unlock()
	if ver != 0 {
		t.Fatalf("meta ver moved to %d in memory without its write", ver)
	}
	if got := rec.eventTypes(); len(got) != 0 {
		t.Fatalf("events for changes that were not stored: %v", got)
	}
	if log := rec.logText(); !strings.Contains(log, "cannot apply a pushed message") || !strings.Contains(log, "disk full") ||
		!strings.Contains(log, "cannot apply pushed change 1") {
		t.Fatalf("failed push applies were not logged: %q", log)
	}
	if err := c.DeleteRecentSession(context.Background(), "bob", 0); err == nil || AsError(err).Code != proto.CodeServer {
		t.Fatalf("DeleteRecentSession with a failing cache = %v, want a 500", err)
	}
	if s := c.sessionNow("0|bob"); s.Hidden() {
		t.Fatal("the session is hidden in memory although its write failed")
	}

	// Once the cache works again the same push applies (it was not marked seen).
	cache.setFail(false)
	c.onPush(r, nil, proto.PushMsg, msg(2, "bob", 1001))
	if s := c.sessionNow("0|bob"); s.SyncSeq != 2 || s.Unread != 2 {
		t.Fatalf("after the cache recovered: %+v", s)
	}
}

func TestHideAndShow(t *testing.T) {
	c, r, rec := offline(t, NewMemCache(), false)
	ctx := context.Background()
	c.onPush(r, nil, proto.PushMsg, msg(1, "bob", 1000))
	c.onPush(r, nil, proto.PushMsg, msg(3, "bob", 3000)) // 2 is missing: a gap (no link: nothing pulled)
	rec.reset()
	if err := c.DeleteRecentSession(ctx, "bob", 0); err != nil {
		t.Fatal(err)
	}
	s := c.sessionNow("0|bob")
	if !s.Hidden() || s.HideTime < 3000 {
		t.Fatalf("not hidden: %+v", s)
	}
	if list, _ := c.AllRecentSessions(ctx); len(list) != 0 {
		t.Fatalf("hidden session listed: %+v", list)
	}
	// The missing older message arrives: still hidden, no event for it.
	c.onPush(r, nil, proto.PushMsg, msg(2, "bob", 2000))
	if s := c.sessionNow("0|bob"); !s.Hidden() || s.SyncSeq != 3 {
		t.Fatalf("an older message showed the session: %+v", s)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "didRemoveRecentSession onRecvMessages" {
		t.Fatalf("events = %s", got)
	}
	// A later message shows it again, as added.
	rec.reset()
	c.onPush(r, nil, proto.PushMsg, msg(4, "bob", s.HideTime+10))
	if s := c.sessionNow("0|bob"); s.Hidden() {
		t.Fatalf("a later message did not show the session: %+v", s)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "onRecvMessages didAddRecentSession" {
		t.Fatalf("events = %s", got)
	}
	// creatRecentSession shows a hidden session again (offline: no server check).
	if err := c.DeleteRecentSession(ctx, "bob", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateRecentSession(ctx, "bob", 0); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.AllRecentSessions(ctx); len(list) != 1 || list[0].SessionID != "bob" {
		t.Fatalf("creatRecentSession did not show the session: %+v", list)
	}
	// Offline, a new session is created locally.
	if err := c.CreateRecentSession(ctx, "carol", 0); err != nil {
		t.Fatal(err)
	}
	if s := c.sessionNow("0|carol"); s == nil || s.Conv != "p:alice|carol" || s.Hidden() {
		t.Fatalf("carol's session = %+v", s)
	}
}

func TestSyncUnreadApplyOrder(t *testing.T) {
	// A sync page's read marks and last seq wait for its messages: applied
	// before the pull, the server's count would be counted again by the
	// pulled ones (and a last seq without its messages counted would win
	// another tab's count in MergeSession).
	c, r, _ := offline(t, NewMemCache(), true)
	tx, err := c.openTx(r)
	if err != nil {
		t.Fatal(err)
	}
	tx.syncing = true
	conv := proto.Conv{ID: "p:alice|bob", Peer: "bob", LastSeq: 3, LastTime: 3000, ReadSeq: 1, Unread: 2}
	tx.applyChange(proto.Change{Ver: 1, Kind: proto.ChangeConv, Key: conv.ID, Data: mustJSON(conv)})
	if err := tx.commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := c.sessionNow("0|bob")
	if s == nil || s.LastSeq != 0 || s.SyncSeq != 0 || s.ReadSeq != 1 || s.SrvReadSeq != 1 || s.Unread != 0 {
		t.Fatalf("before the pull: %+v", s)
	}
	for i := int64(1); i <= 3; i++ {
		c.onPush(r, nil, proto.PushMsg, msg(i, "bob", 1000*i))
	}
	if s := c.sessionNow("0|bob"); s.Unread != 2 || s.SyncSeq != 3 {
		t.Fatalf("after the messages: %+v", s)
	}
	tx, _ = c.openTx(r)
	tx.applyConv(conv, true)
	tx.commit(context.Background())
	if s := c.sessionNow("0|bob"); s.Unread != 2 || s.ReadSeq != 1 || s.SrvReadSeq != 1 {
		t.Fatalf("after settling: %+v", s)
	}
}

func mustJSON(v any) jx.RawMessage { b, _ := json.Marshal(v); return b }

func TestMergeSessionLastMsg(t *testing.T) {
	// (Schema-1 records are converted by the caches' Load: cachetest's Legacy.)
	// The stored copy the server acknowledged wins over a pending one.
	sent := &Message{ID: "m", Seq: 4, Time: 10, State: DeliverySent}
	pending := &Message{ID: "m", Time: 9, State: DeliverySending}
	if m := MergeSession(Session{LastMsg: sent}, Session{LastMsg: pending}).LastMsg; m != sent {
		t.Fatalf("last message = %+v, want the sent copy", m)
	}
}

func TestValidation(t *testing.T) {
	c := NewClient(Config{}, nil, nil, nil)
	ctx := context.Background()
	long := strings.Repeat("x", 65)
	ids := make([]string, proto.MaxMessageIDs+1)
	for i := range ids {
		ids[i] = "m" + itoa(i)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"empty account", c.Login(ctx, "", "t"), "parameter account must not be empty"},
		{"bad account", c.Login(ctx, "a b", "t"), "parameter account must be an account id"},
		{"empty token", c.Login(ctx, "alice", ""), "parameter token must not be empty"},
		{"long token", c.AutoLogin(ctx, "alice", strings.Repeat("t", proto.MaxTokenBytes+1)), "parameter token is longer than 128 bytes"},
		{"empty text", sendErr(c, SendTextParams{SessionID: "bob"}), "parameter text must not be empty"},
		{"blank text", sendErr(c, SendTextParams{SessionID: "bob", Text: " \n\t"}), "parameter text must not be blank"},
		{"long text", sendErr(c, SendTextParams{SessionID: "bob", Text: strings.Repeat("字", 5001)}), "parameter text must be at most 5000 characters"},
		{"bad session", sendErr(c, SendTextParams{SessionID: "", Text: "x"}), "parameter sessionId must not be empty"},
		{"chat room", sendErr(c, SendTextParams{SessionID: "t1", ChatType: 2, Text: "x"}), "chatType 2 not supported yet"},
		{"team id", sendErr(c, SendTextParams{SessionID: "t 1", ChatType: 1, Text: "x"}), "parameter sessionId must be a team id"},
		{"super team receipt", c.SendMessageReceipt(ctx, "t1", 5, "m1"), "parameter chatType must be 0"},
		{"team receipts p2p", c.SendTeamMessageReceipts(ctx, "bob", 0, []string{"m1"}), "parameter chatType must be 1 (team) or 5"},
		{"team receipts none", c.SendTeamMessageReceipts(ctx, "t1", 1, nil), "parameter messageIds must not be empty"},
		{"team receipts many", c.SendTeamMessageReceipts(ctx, "t1", 1, ids), "parameter messageIds has more than 100 entries"},
		{"chat type", sendErr(c, SendTextParams{SessionID: "bob", ChatType: 4, Text: "x"}), "parameter chatType must be 0, 1, 2, 3 or 5"},
		{"ext array", sendErr(c, SendTextParams{SessionID: "bob", Text: "x", Ext: jx.RawMessage(`[1]`)}), "parameter ext must be an object"},
		{"ext big", sendErr(c, SendTextParams{SessionID: "bob", Text: "x", Ext: jx.RawMessage(`{"a":"` + strings.Repeat("x", 1100) + `"}`)}), "parameter ext is longer than 1024 bytes"},
		{"limit 0", msgsErr(c, MessagesParams{SessionID: "bob"}), "parameter limit must be at least 1"},
		{"anchor long", msgsErr(c, MessagesParams{SessionID: "bob", Limit: 5, MessageID: long}), "parameter messageId is longer than 64 bytes"},
		{"too many ids", idsErr(c, ids), "parameter messageIds has more than 100 entries"},
		{"empty id", idsErr(c, []string{"a", ""}), "parameter messageIds must not contain an empty id"},
		{"receipt id", c.SendMessageReceipt(ctx, "bob", 0, ""), "parameter messageId must not be empty"},
		{"kick", c.KickOtherClient(ctx, 3), "parameter client must be one of"},
		{"mark read", c.MarkAllMessagesReadInSession(ctx, "b b", 0), "parameter sessionId must be an account id"},
		{"create", c.CreateRecentSession(ctx, "bob", 2), "chatType 2 not supported yet"},
		{"delete", c.DeleteRecentSession(ctx, "bob", -1), "parameter chatType"},
		{"config server", Config{Server: "http://x"}.Check(), "parameter server must be a ws:// or wss:// URL"},
		{"config retries", Config{MaxAutoLoginRetryTimes: -1}.Check(), "parameter maxAutoLoginRetryTimes must not be negative"},
	} {
		e := AsError(tc.err)
		if e == nil || e.Code != proto.CodeBadParam || !strings.Contains(e.Msg, tc.want) {
			t.Errorf("%s: %v, want 414 %q", tc.name, tc.err, tc.want)
		}
	}
	// Valid parameters pass the checks and meet "not logged in".
	if e := AsError(sendErr(c, SendTextParams{SessionID: "bob", Text: "x", Ext: jx.RawMessage(` { "a" : 1 } `)})); e == nil || e.Code != proto.CodeNetwork {
		t.Errorf("valid send while logged out: %v, want 415", e)
	}
	if ext, err := normalizeExt(jx.RawMessage(" { \"a\" : [1, 2] } ")); err != nil || string(ext) != `{"a":[1,2]}` {
		t.Errorf("normalizeExt = %s, %v; want it compacted", ext, err)
	}
	if n, err := checkLimit(500); err != nil || n != MaxLimit {
		t.Errorf("checkLimit(500) = %d, %v; want %d", n, err, MaxLimit)
	}
	if err := (Config{Server: "wss://im.example.com/ws"}).Check(); err != nil {
		t.Errorf("a wss URL: %v", err)
	}
}

func sendErr(c *Client, p SendTextParams) error {
	_, err := c.SendText(context.Background(), p)
	return err
}

func msgsErr(c *Client, p MessagesParams) error {
	_, err := c.MessagesInSession(context.Background(), p)
	return err
}

func idsErr(c *Client, ids []string) error {
	_, err := c.MessagesByIDs(context.Background(), ids)
	return err
}

func TestAsError(t *testing.T) {
	inner := Errf(proto.CodeForbidden, "origin not allowed")
	if e := AsError(inner); e != inner {
		t.Fatalf("AsError(*Error) = %v, want itself", e)
	}
	e := AsError(wrap("login", inner))
	if e.Code != proto.CodeForbidden || e.Msg != "login: 403: origin not allowed" {
		t.Fatalf("AsError(wrapped) = %+v", e)
	}
	if e := AsError(wrap("cannot open the local cache", errors.New("quota"))); e.Code != proto.CodeServer || !strings.Contains(e.Msg, "quota") {
		t.Fatalf("AsError(plain) = %+v", e)
	}
	if !errors.Is(wrap("x", inner), inner) {
		t.Fatal("wrap does not unwrap")
	}
}

func TestPanickingApplierReleasesTheState(t *testing.T) {
	registerChange("test-panic", func(t *tx, ch proto.Change) error { panic("applier bug") })
	defer delete(changeAppliers, "test-panic")
	c, r, rec := offline(t, NewMemCache(), false)
	c.onPush(r, nil, proto.PushChange, change(1, "test-panic", "k", nil))
	if log := rec.logText(); !strings.Contains(log, "applier bug") {
		t.Fatalf("the panic was not logged: %q", log)
	}
	// The next change still gets the write lock.
	c.onPush(r, nil, proto.PushMsg, msg(1, "bob", 1000))
	if s := c.sessionNow("0|bob"); s == nil || s.SyncSeq != 1 {
		t.Fatalf("after a panicking applier: %+v", s)
	}
}

func TestRecordsThroughTx(t *testing.T) {
	// Domains that keep plain records (friends, teams… in later issues)
	// stage them like sessions: the cache first, then memory.
	cache := &failingCache{MemCache: NewMemCache()}
	c, r, _ := offline(t, cache, false)
	k := RecordKey{Kind: "friend", Key: "bob"}
	put := func(t *tx) { t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: jx.RawMessage(`{"alias":"b"}`)}) }
	cache.setFail(true)
	if err := c.change(r, put); err == nil {
		t.Fatal("a failed write returned nil")
	}
	if _, ok := r.st.records[k]; ok {
		t.Fatal("record installed although its write failed")
	}
	cache.setFail(false)
	if err := c.change(r, put); err != nil {
		t.Fatal(err)
	}
	snap, _ := cache.Load(context.Background())
	if len(snap.Records) != 1 || string(r.st.records[k].Data) != `{"alias":"b"}` {
		t.Fatalf("cache %v, memory %v", snap.Records, r.st.records)
	}
	c.change(r, func(t *tx) {
		if _, ok := t.record(k); !ok {
			panic("staged record missing")
		}
		t.deleteRecord(k)
		if _, ok := t.record(k); ok {
			panic("deleted record still seen")
		}
	})
	snap, _ = cache.Load(context.Background())
	if len(snap.Records) != 0 || len(r.st.records) != 0 {
		t.Fatalf("after delete: cache %v, memory %v", snap.Records, r.st.records)
	}
}

func TestPushesWaitForTheSync(t *testing.T) {
	c, r, rec := offline(t, NewMemCache(), false)
	l := &link{}
	c.mu.Lock()
	r.link, r.syncing = l, l
	c.mu.Unlock()
	c.onPush(r, l, proto.PushMsg, msg(2, "bob", 2000))
	c.onPush(r, l, proto.PushChange, change(1, proto.ChangeReceipt, "p:alice|bob", proto.Receipt{Conv: "p:alice|bob", From: "bob", Seq: 1, Time: 5}))
	if s := c.sessionNow("0|bob"); s != nil {
		t.Fatalf("a push was applied during the sync: %+v", s)
	}
	// The sync pulls message 1; then the held pushes apply in order.
	if err := c.change(r, func(t *tx) {
		var m proto.Msg
		json.Unmarshal(msg(1, "bob", 1000), &m)
		t.ingest([]proto.Msg{m}, false)
	}); err != nil {
		t.Fatal(err)
	}
	c.releaseHeld(r, l)
	s := c.sessionNow("0|bob")
	if s == nil || s.SyncSeq != 2 || s.PeerReadSeq != 1 {
		t.Fatalf("after the release: %+v", s)
	}
	var texts []string
	for _, e := range rec.events {
		if m, ok := e.Data.(MessageEvent); ok && m.EventType == "onRecvMessages" {
			for _, v := range m.Messages {
				texts = append(texts, itoa64(v.Seq))
			}
		}
	}
	if strings.Join(texts, " ") != "1 2" {
		t.Fatalf("messages reported in the order %v, want 1 2", texts)
	}
	// Released: pushes apply at once again.
	c.onPush(r, l, proto.PushMsg, msg(3, "bob", 3000))
	if s := c.sessionNow("0|bob"); s.SyncSeq != 3 {
		t.Fatalf("a push after the sync was held: %+v", s)
	}
}
