package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"yunxin/proto"
	"yunxin/server/store"
)

// The revoke op: a sender takes back its own message within the revoke
// window (Config.RevokeWindow). The store erases the body and appends a
// revoke change to every member's log; the dispatcher pushes them.
func init() {
	register(proto.OpRevoke, opRevoke)
}

func opRevoke(ctx context.Context, c *conn, d json.RawMessage) (result, error) {
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
	if err := c.member(ctx, req.Conv); err != nil {
		return result{}, err
	}
	m, err := c.s.store.MessageByClientID(ctx, req.Conv, c.account, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return result{}, c.notOwnMessage(ctx, req)
	}
	if err != nil {
		return result{}, fmt.Errorf("look up %s/%s in %q: %w", c.account, req.ClientID, req.Conv, err)
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
		return result{}, fmt.Errorf("revoke %s/%s in %q: %w", c.account, req.ClientID, req.Conv, err)
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
