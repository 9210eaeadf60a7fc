package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// The revoke op: a sender takes back its own message within the revoke
// window (Config.RevokeWindow); in an advanced or super team the owner may
// take back any member's message and a manager a normal member's
// (RevokeReq.From, mayRevokeOf). The store erases the body and appends a
// revoke change, which names the revoker (By), to every member's log; the
// dispatcher pushes them.
func init() {
	register(proto.OpRevoke, opRevoke)
}

func opRevoke(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.RevokeReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if req.ClientID == "" || len(req.ClientID) > proto.MaxIDBytes {
		return result{}, errorf(proto.CodeBadParam, "cid must be 1-%d bytes", proto.MaxIDBytes)
	}
	if len(req.Postscript) > proto.MaxPostscriptBytes {
		return result{}, errorf(proto.CodeBadParam, "ps (postscript) too long: %d bytes, at most %d", len(req.Postscript), proto.MaxPostscriptBytes)
	}
	if len(req.From) > proto.MaxIDBytes {
		return result{}, errorf(proto.CodeBadParam, "from must be at most %d bytes", proto.MaxIDBytes)
	}
	if err := c.member(ctx, req.Conv); err != nil {
		return result{}, err
	}
	from := c.account
	if req.From != "" && req.From != c.account {
		if err := c.mayRevokeOf(ctx, req.Conv, req.From); err != nil {
			return result{}, err
		}
		from = req.From
	}
	m, err := c.s.store.MessageByClientID(ctx, req.Conv, from, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		if from != c.account {
			return result{}, errorf(proto.CodeNotFound, "message not found: %s of %s in %s", req.ClientID, from, req.Conv)
		}
		return result{}, c.notOwnMessage(ctx, req)
	}
	if err != nil {
		return result{}, fmt.Errorf("look up %s/%s in %q: %w", from, req.ClientID, req.Conv, err)
	}
	now := c.s.now()
	// A message revoked before answers its stored revoke, whenever asked
	// (the store writes nothing); otherwise the window applies.
	if !m.Revoked {
		window := c.s.cfg.revokeWindow()
		if now.Sub(time.UnixMilli(m.Time)) > window {
			return result{}, errorf(proto.CodeExpired,
				"revoke window (%v) passed: a message can be revoked within %v of sending (server setting YUNXIN_REVOKE_WINDOW)", window, window)
		}
	}
	r, changes, err := c.s.store.Revoke(ctx, req.Conv, m.Seq, c.account, req.Postscript, now.UnixMilli())
	if errors.Is(err, store.ErrNotFound) {
		return result{}, errorf(proto.CodeNotFound, "message not found: %s in %s", req.ClientID, req.Conv)
	}
	if err != nil {
		return result{}, fmt.Errorf("revoke %s/%s in %q: %w", from, req.ClientID, req.Conv, err)
	}
	return result{reply: r, changes: changes}, nil
}

// notOwnMessage is the error of a revoke whose cid the caller did not send
// in the conversation: 403 when the P2P peer sent a message with that cid,
// 404 when nobody did.
func (c *conn) notOwnMessage(ctx context.Context, req proto.RevokeReq) error {
	if peer := proto.P2PPeer(req.Conv, c.account); peer != "" && peer != c.account {
		_, err := c.s.store.MessageByClientID(ctx, req.Conv, peer, req.ClientID)
		if err == nil {
			return errorf(proto.CodeForbidden, "message %s in %s was sent by %s: only its sender may revoke it", req.ClientID, req.Conv, peer)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("look up %s/%s in %q: %w", peer, req.ClientID, req.Conv, err)
		}
	}
	return errorf(proto.CodeNotFound, "message not found: %s in %s", req.ClientID, req.Conv)
}

// mayRevokeOf is nil when the caller, a member of conv, may revoke the
// messages of from (≠ the caller) there, NetEase's rights: conv is an
// advanced or super team's, the caller its owner, or a manager and from
// neither the owner nor a manager now (one who left counts as a normal
// member). Otherwise 403.
func (c *conn) mayRevokeOf(ctx context.Context, conv, from string) error {
	tid := proto.TeamOfConv(conv)
	if tid == "" {
		return errorf(proto.CodeForbidden, "a message of %s in %s: only its sender may revoke a P2P message", from, conv)
	}
	t, err := c.s.store.Team(ctx, tid)
	if err != nil {
		if absent(err) {
			return errorf(proto.CodeForbidden, "not a member of conversation %q", conv)
		}
		return teamErr(err, "team "+tid)
	}
	if t.Type != proto.TeamAdvanced && t.Type != proto.TeamSuper {
		return errorf(proto.CodeForbidden, "a message of %s in normal team %s: only its sender may revoke it", from, tid)
	}
	me, err := c.s.store.TeamMember(ctx, tid, c.account)
	if err != nil {
		if absent(err) {
			return errorf(proto.CodeForbidden, "not a member of team %s", tid)
		}
		return teamErr(err, "member "+c.account+" of team "+tid)
	}
	if !me.Valid || me.Type != proto.MemberOwner && me.Type != proto.MemberManager {
		return errorf(proto.CodeForbidden, "a message of %s in team %s: only its sender, the owner or a manager may revoke it", from, tid)
	}
	if me.Type == proto.MemberOwner {
		return nil
	}
	sender, err := c.s.store.TeamMember(ctx, tid, from)
	if absent(err) {
		return nil // never a member: no message of it either (404 next)
	}
	if err != nil {
		return teamErr(err, "member "+from+" of team "+tid)
	}
	if sender.Valid && (sender.Type == proto.MemberOwner || sender.Type == proto.MemberManager) {
		return errorf(proto.CodeForbidden, "a message of %s in team %s: a manager may revoke a normal member's message, not the owner's or another manager's", from, tid)
	}
	return nil
}

// absent reports whether err of a team read says the team or the member
// row does not exist.
func absent(err error) bool {
	var te *store.TeamError
	return errors.Is(err, store.ErrNotFound) ||
		errors.As(err, &te) && (te.Code == proto.CodeTeamNotMember || te.Code == proto.CodeTeamNotFound)
}
