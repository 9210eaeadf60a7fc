package jsapi

import (
	"context"
	"strconv"

	"yunxin/core"
	"yunxin/internal/jx"
)

// NotesEngine is the system notification group's part of Engine: the
// inbox of system notifications (friend requests and their answers).
type NotesEngine interface {
	SystemNotifications(ctx context.Context, limit, offset int) ([]core.NotificationView, error)
	NotificationsUnreadCount(ctx context.Context) (int, error)
	MarkAllNotificationsRead(ctx context.Context) error
	DeleteAllNotifications(ctx context.Context) error
}

// maxNotificationsPage is the largest limit of fetchSystemNotifications.
const maxNotificationsPage = 1000

// doFetchNotifications reads limit (default 3, the doc's; 1 to
// maxNotificationsPage) and offset (default 0; the doc's Android-only
// parameter, taken on every platform here): a page of the inbox, newest
// first.
func doFetchNotifications(ctx context.Context, e Engine, p params) (jx.Value, error) {
	limit, err := p.integer("limit", 3)
	if err != nil {
		return nil, err
	}
	if limit < 1 || limit > maxNotificationsPage {
		return nil, core.BadParam("limit", "must be 1 to "+strconv.Itoa(maxNotificationsPage))
	}
	offset, err := p.integer("offset", 0)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, core.BadParam("offset", "must not be negative")
	}
	n, err := e.SystemNotifications(ctx, limit, offset)
	if err != nil {
		return nil, err
	}
	if n == nil {
		n = []core.NotificationView{}
	}
	return &notificationsRet{n}, nil
}

func doNotificationsUnreadCount(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	n, err := e.NotificationsUnreadCount(ctx)
	if err != nil {
		return nil, err
	}
	return &unreadCountRet{n}, nil
}

// doMarkNotificationsRead: the doc calls it without params or callback;
// a callback, if given, gets {status:true}.
func doMarkNotificationsRead(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	return done(e.MarkAllNotificationsRead(ctx))
}

// doDeleteNotifications: as doMarkNotificationsRead.
func doDeleteNotifications(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	return done(e.DeleteAllNotifications(ctx))
}
