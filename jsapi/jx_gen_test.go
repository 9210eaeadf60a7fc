//go:build !js

package jsapi

import (
	"reflect"
	"testing"

	"yunxin/internal/jx/jxgen"
)

// TestJXGen checks jx_gen.go, the jx tables of the types this package
// encodes and decodes (JXGEN=write go test -run TestJXGen ./jsapi rewrites it).
// It runs natively: the browser has no files to compare.
func TestJXGen(t *testing.T) {
	jxgen.Check(t, "jx_gen.go",
		reflect.TypeFor[uploadProgress](),
		reflect.TypeFor[sent](),
		reflect.TypeFor[usersStatus](),
		reflect.TypeFor[userIDRet](),
		reflect.TypeFor[uploadedRet](),
		reflect.TypeFor[downloadedRet](),
		reflect.TypeFor[notificationsRet](),
		reflect.TypeFor[unreadCountRet](),
		reflect.TypeFor[userRet](),
		reflect.TypeFor[recentSessionsRet](),
		reflect.TypeFor[membersRet](),
		reflect.TypeFor[appliedRet](),
		reflect.TypeFor[createdTeamRet](),
		reflect.TypeFor[teamsRet](),
		reflect.TypeFor[memberRet](),
		reflect.TypeFor[notifyStateRet](),
		reflect.TypeFor[usersRet](),
		reflect.TypeFor[blackUsersRet](),
		reflect.TypeFor[muteUsersRet](),
		reflect.TypeFor[isFriendRet](),
		reflect.TypeFor[isBlackRet](),
		reflect.TypeFor[isMuteRet](),
		reflect.TypeFor[isMyTeamRet](),
		reflect.TypeFor[messages](),
		reflect.TypeFor[Envelope](),
		reflect.TypeFor[envelopeErr](),
		reflect.TypeFor[status](),
	)
}
