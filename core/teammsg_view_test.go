package core

import (
	"encoding/json"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The view of a team notification message: the doc's types for both
// platforms, the operation, the targets and an update's changed fields
// with the team object's names.
func TestTeamNoteView(t *testing.T) {
	name, mute := "new name", proto.MuteAll
	note := func(n proto.TeamNote) jx.RawMessage { b, _ := json.Marshal(n); return b }
	type view struct {
		Type, NotificationType, AndroidType, Operation int
		Targets                                        []string
		Update                                         map[string]any
		IsMute                                         bool
	}
	get := func(ct int, body jx.RawMessage) view {
		m := Message{ID: "tn-1", ChatType: ct, Type: proto.MsgNotification, Body: body}
		var v view
		if err := json.Unmarshal(m.View(0).Body, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := get(proto.ChatTeam, note(proto.TeamNote{Op: proto.TeamOpUpdate, Update: &proto.TeamUpdate{Name: &name, MuteMode: &mute}}))
	if v.Type != 5 || v.NotificationType != 1 || v.AndroidType != 3 || v.Operation != 3 || len(v.Targets) != 0 ||
		v.Update["teamName"] != name || v.Update["muteMode"] != float64(mute) || v.Update["inAllMuteMode"] != true || len(v.Update) != 3 {
		t.Errorf("team update: %+v", v)
	}
	want := map[int]int{proto.TeamOpInvite: 401, proto.TeamOpKick: 402, proto.TeamOpLeave: 403, proto.TeamOpUpdate: 404,
		proto.TeamOpDismiss: 405, proto.TeamOpTransfer: 406, proto.TeamOpAddMgr: 407, proto.TeamOpDelMgr: 408,
		proto.TeamOpMute: 409, proto.TeamOpPass: 410, proto.TeamOpAccept: 411}
	for op, at := range want {
		v := get(proto.ChatSuperTeam, note(proto.TeamNote{Op: op, Accounts: []string{"bob"}, Mute: op == proto.TeamOpMute}))
		if v.NotificationType != 4 || v.AndroidType != at || v.Operation != op || len(v.Targets) != 1 || v.IsMute != (op == proto.TeamOpMute) {
			t.Errorf("super team op %d: %+v", op, v)
		}
	}
	// A P2P notification body (none exist today) is shown as stored.
	m := Message{ID: "x", Type: proto.MsgNotification, Body: jx.RawMessage(`{"a":1}`)}
	if b := string(m.View(0).Body); b != `{"type":5,"a":1}` {
		t.Errorf("P2P notification body %s", b)
	}
	// Receipt fields: only a team message that asked has teamReceiptInfo.
	tm := Message{ID: "r", ChatType: proto.ChatTeam, TeamReceipt: true, ReceiptRead: 2, ReceiptUnread: 3, ReceiptSent: true}
	if v := tm.View(0); v.TeamReceiptInfo == nil || *v.TeamReceiptInfo != (TeamReceiptInfo{2, 3}) || !v.IsTeamReceiptSended {
		t.Errorf("receipt view %+v", v)
	}
	if v := (&Message{ID: "p", ChatType: proto.ChatTeam}).View(0); v.TeamReceiptInfo != nil {
		t.Errorf("teamReceiptInfo on a message that did not ask: %+v", v.TeamReceiptInfo)
	}
}
