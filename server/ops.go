package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/coder/websocket"
	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// opFunc handles one request. It returns the reply and what it committed
// (result) or an error (an *Error becomes its code, anything else 500). It
// pushes nothing itself: the dispatcher publishes result's changes,
// messages and pushes after the reply is queued.
type opFunc func(ctx context.Context, c *conn, d jx.RawMessage) (result, error)

// result is what an op hands back besides its error.
type result struct {
	reply   any            // the reply payload (nil for none)
	changes []store.Change // committed change-log entries: pushed as "change" to their account
	msgs    []proto.Msg    // stored messages: pushed as "msg" to every member
	pushes  []Push         // other pushes (clients, kick)
	close   *closeFrame    // close the requesting connection after the reply
}

// ops is every request op the server understands; each domain file
// registers its own in init.
var ops = map[string]opFunc{}

// register adds op to ops; a duplicate name is a programming error.
func register(name string, op opFunc) {
	if _, dup := ops[name]; dup {
		panic("server: op registered twice: " + name)
	}
	ops[name] = op
}

// decode unmarshals a request payload; a missing payload leaves v zero.
func decode(d jx.RawMessage, v any) error {
	if len(d) == 0 || bytes.Equal(d, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(d, v); err != nil {
		return errorf(proto.CodeBadParam, "malformed payload: %v", err)
	}
	return nil
}

// member fails with 403 unless the caller is a member of conv.
func (c *conn) member(ctx context.Context, conv string) error {
	ok, err := c.s.store.IsMember(ctx, c.account, conv)
	if err != nil {
		return fmt.Errorf("membership of %s in %q: %w", c.account, conv, err)
	}
	if !ok {
		return errorf(proto.CodeForbidden, "not a member of conversation %q", conv)
	}
	return nil
}

// dispatch publishes what a request committed, after its reply is queued:
// each change as "change" to the connections of its account, each message
// as "msg" to the connections of its members, never to the requesting
// connection.
func (s *Server) dispatch(ctx context.Context, from *conn, r result) {
	for _, ch := range r.changes {
		s.publish(ctx, proto.PushChange, ch.Change, from.info.ID, ch.Account)
	}
	s.publishMsgs(ctx, r.msgs, from.info.ID)
	for _, p := range r.pushes {
		if err := s.bus.Publish(ctx, p); err != nil {
			s.log.Warn("publish push", "account", p.Account, "err", err)
		}
	}
}

// publishMsgs pushes each stored message as "msg" to the connections of
// its members (msgMembers) except the client except ("" for none).
func (s *Server) publishMsgs(ctx context.Context, msgs []proto.Msg, except string) {
	teams := map[string][]string{} // the members of each team, looked up once
	for _, m := range msgs {
		s.publish(ctx, proto.PushMsg, m, except, s.msgMembers(ctx, m, teams)...)
	}
}

// msgMembers lists the accounts a stored message is pushed to: for P2P its
// sender and receiver (once for a note to self); for a team message the
// team's valid members now (store.TeamAccounts, cached in teams by team
// id: a message is one stored row and one publish per member account).
func (s *Server) msgMembers(ctx context.Context, m proto.Msg, teams map[string][]string) []string {
	if tid := proto.TeamOfConv(m.Conv); tid != "" {
		if accs, ok := teams[tid]; ok {
			return accs
		}
		accs, err := s.store.TeamAccounts(ctx, tid)
		if err != nil {
			// The members get the message at their next pull.
			s.log.Warn("members of team for a push", "team", tid, "err", err)
		}
		teams[tid] = accs
		return accs
	}
	if m.To == m.From {
		return []string{m.From}
	}
	return []string{m.From, m.To}
}

// publish encodes payload once as a push frame of kind op and publishes it
// to the connections of each account except the client except. A frame
// that would not fit proto.MaxFrame is logged and dropped (the clients get
// the data from their next sync).
func (s *Server) publish(ctx context.Context, op string, payload any, except string, accounts ...string) {
	frame, err := encodePush(op, payload)
	if err != nil {
		s.log.Error("encode push", "op", op, "accounts", accounts, "err", err)
		return
	}
	for _, acc := range accounts {
		if err := s.bus.Publish(ctx, Push{Account: acc, Except: except, Frame: frame}); err != nil {
			s.log.Warn("publish push", "op", op, "account", acc, "err", err)
		}
	}
}

// encodePush encodes a push frame; it fails when the frame would not fit
// proto.MaxFrame.
func encodePush(op string, payload any) ([]byte, error) {
	d, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s push: %w", op, err)
	}
	b := proto.AppendFrame(nil, proto.Frame{Op: op, Data: d})
	if len(b) > proto.MaxFrame {
		return nil, fmt.Errorf("%s push of %d bytes is over MaxFrame", op, len(b))
	}
	return b, nil
}

// closeWith is the result of an op that closes its connection after the
// reply.
func closeWith(code websocket.StatusCode, reason string) result {
	return result{close: &closeFrame{code: code, reason: reason}}
}
