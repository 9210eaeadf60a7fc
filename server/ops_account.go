package server

import (
	"context"
	"fmt"
	"slices"

	"github.com/coder/websocket"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// The account domain: login, logout, ping, kick, users, and the clients
// pushes that tell an account's connections about each other.
func init() {
	register(proto.OpLogin, opLogin)
	register(proto.OpLogout, opLogout)
	register(proto.OpPing, opPing)
	register(proto.OpKick, opKick)
	register(proto.OpUsers, opUsers)
}

func opPing(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	return result{}, nil
}

func opLogout(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	return closeWith(websocket.StatusNormalClosure, "logout"), nil
}

func opLogin(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	if c.account != "" {
		return result{}, errorf(proto.CodeBadParam, "already logged in as %s", c.account)
	}
	fail := func(e *Error) (result, error) {
		c.s.log.Info("login refused", "ip", c.ip, "code", e.Code, "msg", e.Msg)
		return closeWith(websocket.StatusPolicyViolation, "login failed"), e
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
	if len(req.Token) > proto.MaxTokenBytes {
		return fail(errorf(proto.CodeBadParam, "token longer than %d bytes", proto.MaxTokenBytes))
	}
	account := ""
	if proto.ValidAccount(req.Account) {
		account = req.Account
	}
	now := c.s.now()
	if !c.s.throttle.begin(c.ip, account, now) {
		return fail(errorf(proto.CodeRateLimited, "too many failed logins: try again later"))
	}
	ok := false
	if account != "" {
		var err error
		if ok, err = c.s.checkLogin(ctx, account, req.Token); err != nil {
			c.s.throttle.end(c.ip, account, false, now)
			return result{}, fmt.Errorf("check login of %s: %w", account, err)
		}
	}
	c.s.throttle.end(c.ip, account, !ok, now)
	if !ok {
		return fail(errorf(proto.CodeBadAuth, "wrong account or token"))
	}
	info := proto.ClientInfo{
		ID:         randomHex(8),
		ClientType: req.ClientType,
		OS:         req.OS,
		LoginTime:  now.UnixMilli(),
		IP:         c.ip,
	}
	// Join the registry first (pushes wait until the reply is queued, see
	// conn.hold), then come online, then read the list: of two clients
	// logging in at once, the later to come online sees the earlier in its
	// list, and the earlier gets the later's clients push.
	c.account, c.info = account, info
	c.hold()
	if err := c.s.registry.join(c); err != nil {
		c.account, c.info = "", proto.ClientInfo{}
		return result{}, err
	}
	// A blocked account (user/block) is told so only with its right token.
	// Checked once joined: a block committed after this read is followed
	// by its kick (needkick), which then reaches this connection.
	if u, err := c.s.store.User(ctx, account); err != nil || u.Blocked {
		c.s.registry.leave(c)
		c.account = "" // c.info stays: a delivery may still be reading it
		if err != nil {
			return result{}, fmt.Errorf("look up user %s: %w", account, err)
		}
		return fail(errorf(proto.CodeDisabled, "account disabled"))
	}
	if err := c.s.presence.Online(ctx, account, info); err != nil {
		c.s.registry.leave(c)
		c.account = "" // c.info stays: a delivery may still be reading it
		return result{}, fmt.Errorf("mark %s online: %w", account, err)
	}
	all, err := c.s.presence.Clients(ctx, account)
	if err != nil {
		c.s.leave(c)
		c.account = ""
		return result{}, fmt.Errorf("online clients of %s: %w", account, err)
	}
	others := []proto.ClientInfo{}
	for _, o := range all {
		if o.ID != info.ID {
			others = append(others, o)
		}
	}
	c.s.log.Debug("logged in", "account", account, "client", info.ID, "ip", c.ip)
	return result{
		reply:  proto.LoginResp{ServerTime: c.s.now().UnixMilli(), ClientID: info.ID, Clients: others},
		pushes: c.s.clientsPushes(ctx, account, info.ID),
	}, nil
}

// leave takes an ended connection out of the registry and presence and
// tells the account's remaining connections.
func (s *Server) leave(c *conn) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	s.registry.leave(c)
	if err := s.presence.Offline(ctx, c.account, c.info.ID); err != nil {
		s.log.Warn("mark offline", "account", c.account, "client", c.info.ID, "err", err)
	}
	for _, p := range s.clientsPushes(ctx, c.account, "") {
		if err := s.bus.Publish(ctx, p); err != nil {
			s.log.Warn("publish clients push", "account", c.account, "err", err)
		}
	}
	s.log.Debug("logged out", "account", c.account, "client", c.info.ID)
}

// clientsPushes returns a clients push for each online client of account
// except the one with client id except (which just logged in and has the
// list in its LoginResp): the list of the account's other clients.
func (s *Server) clientsPushes(ctx context.Context, account, except string) []Push {
	all, err := s.presence.Clients(ctx, account)
	if err != nil {
		s.log.Warn("online clients", "account", account, "err", err)
		return nil
	}
	var out []Push
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
		frame, err := encodePush(proto.PushClients, proto.Clients{Clients: others})
		if err != nil {
			s.log.Error("encode clients push", "account", account, "err", err)
			continue
		}
		out = append(out, Push{Account: account, Only: me.ID, Frame: frame})
	}
	return out
}

// opKick is kickOtherClient: the account's other connections of
// req.ClientType (one of NIM's client types, 414 otherwise) are kicked.
func opKick(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.KickReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if !proto.ValidClientType(req.ClientType) {
		return result{}, errorf(proto.CodeBadParam, "clientType must be one of NIM's client types 1, 2, 4, 8, 16, 32, 64, not %d", req.ClientType)
	}
	clients, err := c.s.presence.Clients(ctx, c.account)
	if err != nil {
		return result{}, fmt.Errorf("online clients of %s: %w", c.account, err)
	}
	n := 0
	for _, cl := range clients {
		if cl.ID != c.info.ID && cl.ClientType == req.ClientType {
			n++
		}
	}
	frame, err := encodePush(proto.PushKick, proto.Kick{Reason: proto.KickByOtherClient, ClientType: c.info.ClientType})
	if err != nil {
		return result{}, err
	}
	kick := Push{Account: c.account, Except: c.info.ID, Frame: frame, Kick: true, KickType: req.ClientType}
	return result{reply: proto.KickResp{Kicked: n}, pushes: []Push{kick}}, nil
}

func opUsers(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.UsersReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if len(req.Accounts) > proto.MaxUsers {
		return result{}, errorf(proto.CodeBadParam, "accounts: %d accounts, at most %d", len(req.Accounts), proto.MaxUsers)
	}
	for i, a := range req.Accounts {
		if !proto.ValidAccount(a) {
			return result{}, errorf(proto.CodeBadParam, "accounts[%d] %q is not a valid account", i, a)
		}
	}
	users, err := c.s.store.Profiles(ctx, req.Accounts)
	if err != nil {
		return result{}, fmt.Errorf("profiles of %d accounts: %w", len(req.Accounts), err)
	}
	// Cut the reply at the byte budget: 150 profiles full of characters
	// JSON escapes (<, &, U+2028: 6 bytes each) pass a frame. The
	// client asks again from Next, the index of the first profile left out
	// (its first place in Accounts: Profiles keeps the order asked).
	resp := proto.UsersResp{Users: []proto.UserInfo{}}
	var page pageBudget
	for _, u := range users {
		if !page.fits(len(resp.Users), u) {
			resp.Next = slices.Index(req.Accounts, u.Account)
			break
		}
		resp.Users = append(resp.Users, u)
	}
	return result{reply: resp}, nil
}
