package server

import (
	"context"
	"fmt"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The sync op: one page of what changed for the account after two cursors.
func init() {
	register(proto.OpSync, opSync)
}

// opSync returns one page: first the account's changes after since (in ver
// order), then, if the page is not full, its conversations stamped after
// convSince (in stamp order). The page is cut at proto.MaxSync items or
// proto.MaxPage bytes of encoded items, holds at least one item when there
// is one, and its ver/convVer are the last included item's ver/stamp (the
// request's cursor when none).
func opSync(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.SyncReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	since, convSince := max(req.Since, 0), max(req.ConvSince, 0)
	resp := proto.SyncResp{Changes: []proto.Change{}, Convs: []proto.Conv{}, Ver: since, ConvVer: convSince}
	var page pageBudget
	n := 0
	add := func(item any) bool {
		if n == proto.MaxSync || !page.fits(n, item) {
			resp.More = true
			return false
		}
		n++
		return true
	}

	changes, err := c.s.store.ChangesSince(ctx, c.account, since, proto.MaxSync+1)
	if err != nil {
		return result{}, fmt.Errorf("changes of %s since %d: %w", c.account, since, err)
	}
	for _, ch := range changes {
		if !add(ch) {
			return result{reply: resp}, nil
		}
		resp.Changes = append(resp.Changes, ch)
		resp.Ver = ch.Ver
	}

	convs, err := c.s.store.ConvsSince(ctx, c.account, convSince, proto.MaxSync-n+1)
	if err != nil {
		return result{}, fmt.Errorf("conversations of %s since %d: %w", c.account, convSince, err)
	}
	for _, cv := range convs {
		if !add(cv) {
			break
		}
		resp.Convs = append(resp.Convs, cv)
		resp.ConvVer = cv.Ver
	}
	return result{reply: resp}, nil
}
