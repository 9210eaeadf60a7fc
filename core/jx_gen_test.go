//go:build !js

package core

import (
	"reflect"
	"testing"

	"yunxin/internal/jx/jxgen"
)

// TestJXGen checks jx_gen.go, the jx tables of the types this package
// encodes and decodes (JXGEN=write go test -run TestJXGen ./core rewrites it).
// It runs natively: the browser has no files to compare.
func TestJXGen(t *testing.T) {
	jxgen.Check(t, "jx_gen.go",
		reflect.TypeFor[Config](),
		reflect.TypeFor[AccountEvent](),
		reflect.TypeFor[ClientView](),
		reflect.TypeFor[ReceiptView](),
		reflect.TypeFor[MessageEvent](),
		reflect.TypeFor[RevokeNotificationView](),
		reflect.TypeFor[SessionEvent](),
		reflect.TypeFor[UserView](),
		reflect.TypeFor[UserInfoView](),
		reflect.TypeFor[FriendEvent](),
		reflect.TypeFor[NotificationView](),
		reflect.TypeFor[CustomNotificationView](),
		reflect.TypeFor[NotificationEvent](),
		reflect.TypeFor[TeamView](),
		reflect.TypeFor[TeamMemberView](),
		reflect.TypeFor[TeamEvent](),
		reflect.TypeFor[CreateTeamResult](),
		reflect.TypeFor[Message](),
		reflect.TypeFor[Session](),
		reflect.TypeFor[Meta](),
		reflect.TypeFor[Record](),
		reflect.TypeFor[RecordKey](),
		reflect.TypeFor[Error](),
		reflect.TypeFor[customSeen](),
		reflect.TypeFor[outboxEntry](),
		reflect.TypeFor[revokeRec](),
		reflect.TypeFor[TeamReceiptInfo](),
		reflect.TypeFor[teamNoteView](),
		reflect.TypeFor[SessionRef](),
		reflect.TypeFor[urlBody](),
		reflect.TypeFor[textBody](),
		reflect.TypeFor[MessageView](),
		reflect.TypeFor[RecentSessionView](),
	)
}
