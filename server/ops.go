package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/coder/websocket"

	"yunxin/proto"
	"yunxin/server/store"
)

// opFunc handles one request. It returns the reply payload (nil for none) or
// an error (an *Error becomes its code, anything else 500), and optionally a
// func to run after the reply is queued; after returning false closes the
// connection's reader.
type opFunc func(c *conn, ctx context.Context, d json.RawMessage) (resp any, after func() bool, err error)

// ops is every request op the server understands.
var ops = map[string]opFunc{
	proto.OpLogin:   opLogin,
	proto.OpPing:    opPing,
	proto.OpLogout:  opLogout,
	proto.OpSend:    opSend,
	proto.OpSync:    opSync,
	proto.OpPull:    opPull,
	proto.OpRead:    opRead,
	proto.OpReceipt: opReceipt,
	proto.OpKick:    opKick,
}

// maxCursors is the most cursors one pull may carry.
const maxCursors = 10000

// decode unmarshals a request payload; a missing payload leaves v zero.
func decode(d json.RawMessage, v any) error {
	if len(d) == 0 || bytes.Equal(d, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(d, v); err != nil {
		return errorf(proto.CodeBadParam, "malformed payload: %v", err)
	}
	return nil
}

func opPing(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	return nil, nil, nil
}

func opLogout(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	return nil, func() bool {
		c.closeNow(websocket.StatusNormalClosure, "logout")
		return true // the reader ends when the close handshake completes
	}, nil
}

func opLogin(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	if c.account != "" {
		return nil, nil, errorf(proto.CodeBadParam, "already logged in as %s", c.account)
	}
	fail := func(e *Error) (any, func() bool, error) {
		c.s.log.Info("login refused", "ip", c.ip, "code", e.Code, "msg", e.Msg)
		return nil, func() bool {
			c.closeNow(websocket.StatusPolicyViolation, "login failed")
			return true
		}, e
	}
	var req proto.LoginReq
	if err := decode(d, &req); err != nil {
		return fail(err.(*Error))
	}
	if req.AppKey != c.s.cfg.AppKey {
		return fail(errorf(proto.CodeForbidden, "appKey mismatch"))
	}
	if req.Version != proto.Version {
		return fail(errorf(proto.CodeBadParam, "protocol version %d not supported; this server speaks version %d", req.Version, proto.Version))
	}
	if len(req.OS) > 256 {
		return fail(errorf(proto.CodeBadParam, "os longer than 256 bytes"))
	}
	ok := false
	if proto.ValidAccount(req.Account) {
		var err error
		if ok, err = c.s.checkLogin(ctx, req.Account, req.Token); err != nil {
			return nil, nil, err
		}
	}
	if !ok {
		return fail(errorf(proto.CodeBadAuth, "wrong account or token"))
	}
	c.account = req.Account
	c.info = proto.ClientInfo{
		ID:         randomHex(8),
		ClientType: req.ClientType,
		OS:         req.OS,
		LoginTime:  c.s.now().UnixMilli(),
		IP:         c.ip,
	}
	others := c.s.hub.Clients(c.account)
	if others == nil {
		others = []proto.ClientInfo{}
	}
	c.s.hub.Join(c)
	c.s.log.Debug("logged in", "account", c.account, "client", c.info.ID, "ip", c.ip)
	resp := proto.LoginResp{ServerTime: c.s.now().UnixMilli(), ClientID: c.info.ID, Clients: others}
	return resp, func() bool { c.s.pushClients(c.account, c.info.ID); return true }, nil
}

// pushClients sends each online connection of account, except the one with
// client id except (which just logged in and has the list in LoginResp), the
// list of the account's other clients.
func (s *Server) pushClients(account, except string) {
	all := s.hub.Clients(account)
	for _, me := range all {
		if me.ID == except {
			continue
		}
		others := []proto.ClientInfo{}
		for _, o := range all {
			if o.ID != me.ID {
				others = append(others, o)
			}
		}
		s.hub.PushTo(account, me.ID, encodePush(proto.PushClients, proto.Clients{Clients: others}))
	}
}

func opSend(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	var req proto.SendReq
	if err := decode(d, &req); err != nil {
		return nil, nil, err
	}
	m := req.Msg
	if m.ClientID == "" || len(m.ClientID) > 64 {
		return nil, nil, errorf(proto.CodeBadParam, "msg.cid must be 1-64 characters")
	}
	if m.ChatType != proto.ChatP2P {
		return nil, nil, errorf(proto.CodeBadParam, "chatType %d not supported yet", m.ChatType)
	}
	if !proto.ValidAccount(m.To) {
		return nil, nil, errorf(proto.CodeBadParam, "msg.to %q is not a valid account", m.To)
	}
	if m.Type != proto.MsgText {
		return nil, nil, errorf(proto.CodeBadParam, "msg.type %d not supported yet (only 0, text)", m.Type)
	}
	body, err := checkTextBody(m.Body)
	if err != nil {
		return nil, nil, err
	}
	ext, err := checkExt(m.Ext)
	if err != nil {
		return nil, nil, err
	}
	if m.To != c.account {
		if _, err := c.s.store.User(ctx, m.To); errors.Is(err, store.ErrNotFound) {
			return nil, nil, errorf(proto.CodeNotFound, "user not found: %s", m.To)
		} else if err != nil {
			return nil, nil, err
		}
	}
	msg := proto.Msg{
		ClientID:   m.ClientID,
		Conv:       proto.P2PConv(c.account, m.To),
		From:       c.account,
		To:         m.To,
		ChatType:   proto.ChatP2P,
		Type:       m.Type,
		Body:       body,
		Ext:        ext,
		FromClient: c.info.ClientType,
	}
	stored, dup, err := c.s.store.Send(ctx, msg, c.s.now().UnixMilli())
	if err != nil {
		return nil, nil, err
	}
	resp := proto.SendResp{ServerID: stored.ServerID, Conv: stored.Conv, Seq: stored.Seq, Time: stored.Time, Dup: dup}
	if dup {
		return resp, nil, nil
	}
	return resp, func() bool {
		frame := encodePush(proto.PushMsg, stored)
		if stored.To != stored.From {
			c.s.hub.Push(stored.To, "", frame)
		}
		c.s.hub.Push(stored.From, c.info.ID, frame)
		return true
	}, nil
}

// checkTextBody validates a text body, {"text": "..."}, and returns it compacted.
func checkTextBody(raw json.RawMessage) (json.RawMessage, error) {
	if !isObject(raw) {
		return nil, errorf(proto.CodeBadParam, `msg.body must be a JSON object like {"text":"hi"}`)
	}
	var b struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &b); err != nil || b.Text == nil {
		return nil, errorf(proto.CodeBadParam, "msg.body.text must be a string")
	}
	if *b.Text == "" {
		return nil, errorf(proto.CodeBadParam, "msg.body.text is empty")
	}
	if n := utf8.RuneCountInString(*b.Text); n > proto.MaxTextRunes {
		return nil, errorf(proto.CodeBadParam, "msg.body.text too long: %d characters, at most %d", n, proto.MaxTextRunes)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, errorf(proto.CodeBadParam, "msg.body: %v", err)
	}
	return buf.Bytes(), nil
}

// checkExt validates remoteExt: absent/null, or a JSON object of at most
// MaxExtBytes (compacted).
func checkExt(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	if !isObject(raw) {
		return nil, errorf(proto.CodeBadParam, "msg.ext must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, errorf(proto.CodeBadParam, "msg.ext: %v", err)
	}
	if buf.Len() > proto.MaxExtBytes {
		return nil, errorf(proto.CodeBadParam, "msg.ext too big: %d bytes, at most %d", buf.Len(), proto.MaxExtBytes)
	}
	return buf.Bytes(), nil
}

func isObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	var v map[string]json.RawMessage
	return json.Unmarshal(t, &v) == nil
}

func opSync(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	var req proto.SyncReq
	if err := decode(d, &req); err != nil {
		return nil, nil, err
	}
	convs, ver, err := c.s.store.ConvsSince(ctx, c.account, max(req.Since, 0))
	if err != nil {
		return nil, nil, err
	}
	if convs == nil {
		convs = []proto.Conv{}
	}
	return proto.SyncResp{Convs: convs, Ver: ver}, nil, nil
}

func opPull(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	var req proto.PullReq
	if err := decode(d, &req); err != nil {
		return nil, nil, err
	}
	if len(req.Cursors) > maxCursors {
		return nil, nil, errorf(proto.CodeBadParam, "too many cursors: %d, at most %d", len(req.Cursors), maxCursors)
	}
	for _, cur := range req.Cursors {
		if proto.P2PPeer(cur.Conv, c.account) == "" {
			return nil, nil, errorf(proto.CodeForbidden, "not a member of conversation %q", cur.Conv)
		}
	}
	limit := req.Limit
	if limit <= 0 || limit > proto.MaxPull {
		limit = proto.MaxPull
	}
	resp := proto.PullResp{Msgs: []proto.Msg{}}
	for _, cur := range req.Cursors {
		left := limit - len(resp.Msgs)
		msgs, err := c.s.store.Messages(ctx, cur.Conv, max(cur.After, 0), left+1)
		if err != nil {
			return nil, nil, err
		}
		if len(msgs) > left {
			resp.Msgs = append(resp.Msgs, msgs[:left]...)
			resp.More = true
			break
		}
		resp.Msgs = append(resp.Msgs, msgs...)
	}
	return resp, nil, nil
}

func opRead(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	var req proto.ReadReq
	if err := decode(d, &req); err != nil {
		return nil, nil, err
	}
	if proto.P2PPeer(req.Conv, c.account) == "" {
		return nil, nil, errorf(proto.CodeForbidden, "not a member of conversation %q", req.Conv)
	}
	if req.Seq < 0 {
		return nil, nil, errorf(proto.CodeBadParam, "seq must not be negative")
	}
	conv, err := c.s.store.MarkRead(ctx, c.account, req.Conv, req.Seq)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errorf(proto.CodeNotFound, "conversation not found: %s", req.Conv)
	}
	if err != nil {
		return nil, nil, err
	}
	return conv, func() bool {
		c.s.hub.Push(c.account, c.info.ID, encodePush(proto.PushConv, conv))
		return true
	}, nil
}

func opReceipt(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	var req proto.ReceiptReq
	if err := decode(d, &req); err != nil {
		return nil, nil, err
	}
	peer := proto.P2PPeer(req.Conv, c.account)
	if peer == "" {
		return nil, nil, errorf(proto.CodeForbidden, "not a member of P2P conversation %q (receipts are P2P only)", req.Conv)
	}
	if req.Seq < 0 {
		return nil, nil, errorf(proto.CodeBadParam, "seq must not be negative")
	}
	if len(req.ClientID) > 64 {
		return nil, nil, errorf(proto.CodeBadParam, "cid longer than 64 characters")
	}
	now := c.s.now().UnixMilli()
	conv, err := c.s.store.PeerRead(ctx, peer, req.Conv, req.Seq, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errorf(proto.CodeNotFound, "conversation not found: %s", req.Conv)
	}
	if err != nil {
		return nil, nil, err
	}
	r := proto.Receipt{Conv: req.Conv, From: c.account, Seq: min(req.Seq, conv.LastSeq), ClientID: req.ClientID, Time: now}
	return r, func() bool {
		c.s.hub.Push(peer, "", encodePush(proto.PushReceipt, r))
		return true
	}, nil
}

func opKick(c *conn, ctx context.Context, d json.RawMessage) (any, func() bool, error) {
	var req proto.KickReq
	if err := decode(d, &req); err != nil {
		return nil, nil, err
	}
	frame := encodePush(proto.PushKick, proto.Kick{Reason: proto.KickByOtherClient, ClientType: c.info.ClientType})
	n := c.s.hub.Kick(c.account, c.info.ID, req.ClientType, frame)
	return proto.KickResp{Kicked: n}, nil, nil
}
