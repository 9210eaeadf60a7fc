package server

import (
	"context"
	"fmt"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The history op: a page of a conversation's messages next to a seq, in
// either direction, for pullMessageHistory.
func init() {
	register(proto.OpHistory, opHistory)
}

// opHistory returns up to Limit (0: proto.MaxHistory) messages of the
// conversation next to Seq, revoked ones left out, ascending. Like pull the
// page is byte-bounded (proto.MaxPage): when the messages do not all fit,
// those nearest Seq are kept (the newest for an older page, the oldest for
// a newer one) and More is set, so the client pages on from the farthest
// message it got.
func opHistory(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.HistoryReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if req.Limit < 0 || req.Limit > proto.MaxHistory {
		return result{}, errorf(proto.CodeBadParam, "limit must be 1-%d (0: %d), got %d", proto.MaxHistory, proto.MaxHistory, req.Limit)
	}
	if req.Seq < 0 {
		return result{}, errorf(proto.CodeBadParam, "seq must not be negative")
	}
	limit := req.Limit
	if limit == 0 {
		limit = proto.MaxHistory
	}
	w, err := c.pullWindow(ctx, req.Conv)
	if err != nil {
		return result{}, err
	}
	// The window (w.from, w.upTo] of a team conversation: one that left
	// reads up to its leave, one that (re)joined from its join.
	seq := req.Seq
	if w.upTo > 0 && !req.Newer && (seq == 0 || seq > w.upTo+1) {
		seq = w.upTo + 1
	}
	if req.Newer && seq < w.from {
		seq = w.from
	}
	msgs, more, err := c.s.store.History(ctx, req.Conv, seq, req.Newer, limit)
	if err != nil {
		return result{}, fmt.Errorf("history of %q next to %d: %w", req.Conv, req.Seq, err)
	}
	if req.Newer {
		for i, m := range msgs {
			if w.upTo > 0 && m.Seq > w.upTo {
				msgs, more = msgs[:i], false
				break
			}
		}
	} else {
		i := 0
		for i < len(msgs) && msgs[i].Seq <= w.from {
			i++
		}
		if i > 0 {
			msgs, more = msgs[i:], false
		}
	}
	var page pageBudget
	if req.Newer {
		for i, m := range msgs {
			if !page.fits(i, m) {
				msgs, more = msgs[:i], true
				break
			}
		}
	} else {
		for n := range len(msgs) {
			i := len(msgs) - 1 - n // from the one nearest Seq
			if !page.fits(n, msgs[i]) {
				msgs, more = msgs[i+1:], true
				break
			}
		}
	}
	return result{reply: proto.HistoryResp{Msgs: msgs, More: more}}, nil
}
