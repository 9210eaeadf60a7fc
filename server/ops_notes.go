package server

import (
	"context"
	"fmt"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// The notifications domain: the caller's system-notification inbox marks
// (markAllNotificationsAsRead, deleteAllNotifications) and custom
// notifications, which only the app's server sends (msg/sendAttachMsg,
// rest_people.go). The inbox's notifications themselves are written by the
// friend operations (ops_people.go).
func init() {
	register(proto.OpNotesMark, opNotesMark)
}

// opNotesMark moves the caller's inbox read and/or delete mark up (the
// store clamps them to the newest notification and never moves one down);
// the caller's other devices get the ChangeNotesMark.
func opNotesMark(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.NotesMarkReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if req.ReadTo < 0 {
		return result{}, errorf(proto.CodeBadParam, "readTo must not be negative")
	}
	if req.DeleteTo < 0 {
		return result{}, errorf(proto.CodeBadParam, "deleteTo must not be negative")
	}
	if req.ReadTo == 0 && req.DeleteTo == 0 {
		return c.written(nil), nil // nothing to move
	}
	changes, err := c.s.store.MarkNotes(ctx, c.account, req.ReadTo, req.DeleteTo, c.s.now().UnixMilli())
	if err != nil {
		return result{}, fmt.Errorf("mark notes of %s: %w", c.account, err)
	}
	return c.written(changes), nil
}

// sendCustom delivers a custom notification n (From, To, ToType, Content
// set) to the accounts to. Unless save, it is only pushed (PushCustom, ID
// 0) to their connections online now; with save it is stored for each of
// them (a ChangeCustom in each log, pushed now and synced later by the
// devices that are offline).
func (s *Server) sendCustom(ctx context.Context, n proto.CustomNote, to []string, save bool) error {
	n.Time = s.now().UnixMilli()
	if !save {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dispatchTimeout)
		defer cancel()
		s.publish(pctx, proto.PushCustom, n, "", to...)
		return nil
	}
	_, changes, err := s.store.AddCustom(ctx, n, to)
	if err != nil {
		return fmt.Errorf("store custom notification from %s to %s: %w", n.From, n.To, err)
	}
	s.publishChanges(ctx, changes, "")
	return nil
}

// publishChanges pushes each change to the connections of its account
// except the client except ("" for none: a REST write pushes to all). What
// was committed is pushed even when ctx is done (the REST caller went
// away).
func (s *Server) publishChanges(ctx context.Context, changes []store.Change, except string) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dispatchTimeout)
	defer cancel()
	for _, ch := range changes {
		s.publish(pctx, proto.PushChange, ch.Change, except, ch.Account)
	}
}
