package server

import (
	"context"
	"errors"
	"fmt"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// The conversations domain: read marks, read receipts and deleting
// conversations from the session list. Each appends to a change log; the
// dispatcher pushes the changes.
func init() {
	register(proto.OpRead, opRead)
	register(proto.OpReceipt, opReceipt)
	register(proto.OpDeleteConvs, opDeleteConvs)
}

func opRead(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.ReadReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if req.Seq < 0 {
		return result{}, errorf(proto.CodeBadParam, "seq must not be negative")
	}
	team := proto.TeamOfConv(req.Conv) != ""
	if !team {
		if err := c.member(ctx, req.Conv); err != nil {
			return result{}, err
		}
	}
	// A team conversation's read is the store's to check: a member that
	// left (quit, kicked, dismissed) still moves its mark up to its leave,
	// so that its other devices take it; one that never was a member, 403.
	conv, ch, err := c.s.store.MarkRead(ctx, c.account, req.Conv, req.Seq)
	if errors.Is(err, store.ErrNotFound) {
		if team {
			return result{}, errorf(proto.CodeForbidden, "not a member of conversation %q", req.Conv)
		}
		return result{}, errorf(proto.CodeNotFound, "conversation not found: %s", req.Conv)
	}
	if err != nil {
		return result{}, fmt.Errorf("mark %q read by %s: %w", req.Conv, c.account, err)
	}
	return result{reply: conv, changes: committed(ch)}, nil
}

func opReceipt(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.ReceiptReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if req.Seq < 0 {
		return result{}, errorf(proto.CodeBadParam, "seq must not be negative")
	}
	if len(req.ClientID) > proto.MaxIDBytes {
		return result{}, errorf(proto.CodeBadParam, "cid longer than %d bytes", proto.MaxIDBytes)
	}
	if err := c.member(ctx, req.Conv); err != nil {
		return result{}, err
	}
	peer := proto.P2PPeer(req.Conv, c.account)
	if peer == "" {
		return result{}, errorf(proto.CodeBadParam, "conversation %q is not P2P: receipts are P2P only", req.Conv)
	}
	r, ch, err := c.s.store.Receipt(ctx, c.account, peer, req.Conv, req.Seq, c.s.now().UnixMilli(), req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return result{}, errorf(proto.CodeNotFound, "conversation not found: %s", req.Conv)
	}
	if err != nil {
		return result{}, fmt.Errorf("receipt of %s in %q: %w", c.account, req.Conv, err)
	}
	return result{reply: r, changes: committed(ch)}, nil
}

// opDeleteConvs deletes conversations from the caller's server-side
// session list (deleteRemoteSessions) for all of its devices: each gets a
// ChangeConvDeleted in the caller's log, pushed to its other connections.
// A conversation the caller is not a member of, or already deleted at its
// last message, is skipped. No reply payload.
func opDeleteConvs(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.DeleteConvsReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if len(req.Convs) > proto.MaxDeleteConvs {
		return result{}, errorf(proto.CodeBadParam, "convs: %d conversations, at most %d", len(req.Convs), proto.MaxDeleteConvs)
	}
	if len(req.Convs) == 0 {
		return result{}, nil
	}
	changes, err := c.s.store.DeleteConvs(ctx, c.account, req.Convs, c.s.now().UnixMilli())
	if err != nil {
		return result{}, fmt.Errorf("delete conversations of %s: %w", c.account, err)
	}
	return result{changes: changes}, nil
}

// committed lists ch for pushing, or nothing when it is the zero Change of
// a write that moved nothing.
func committed(ch store.Change) []store.Change {
	if ch.Ver == 0 {
		return nil
	}
	return []store.Change{ch}
}
