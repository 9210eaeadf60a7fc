package server

import (
	"context"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// Team message receipts (sendTeamMessageReceipts): proto/teamreceipts.go.
// There is no per-account limiter for ops: a treceipt counts against its
// connection's request rate like any op, and names at most
// proto.MaxTeamReceiptSeqs messages.
func init() {
	register(proto.OpTeamReceipt, opTeamReceipt)
}

// opTeamReceipt records the caller's receipts for messages of a team's
// conversation (store.TeamReceipt, one write transaction) and hands the
// new counts, appended to each sender's log, to the dispatcher: the
// senders' online devices get them as "change" pushes.
func opTeamReceipt(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamReceiptReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	// sessionId: the SDK's parameter (the team id).
	if err := checkTeamID("sessionId", req.TeamID); err != nil {
		return result{}, err
	}
	// messageIds is the SDK's parameter (the messages' seqs on the wire).
	if len(req.Seqs) == 0 {
		return result{}, errorf(proto.CodeBadParam, "messageIds must name at least one message")
	}
	if len(req.Seqs) > proto.MaxTeamReceiptSeqs {
		return result{}, errorf(proto.CodeBadParam, "messageIds must name at most %d messages, not %d", proto.MaxTeamReceiptSeqs, len(req.Seqs))
	}
	for _, seq := range req.Seqs {
		if seq <= 0 {
			return result{}, errorf(proto.CodeBadParam, "messageIds: seq %d is not a message of the team", seq)
		}
	}
	recorded, chs, err := c.s.store.TeamReceipt(ctx, c.account, req.TeamID, req.Seqs, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "team receipts in "+req.TeamID)
	}
	if recorded == nil {
		recorded = []int64{}
	}
	return result{reply: proto.TeamReceiptResp{Seqs: recorded}, changes: chs}, nil
}
