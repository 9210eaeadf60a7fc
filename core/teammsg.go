package core

import (
	"yunxin/internal/jx"
	"yunxin/proto"
)

// Team sessions and messages (issue 8). A team session's id is the team
// id and its chatType 1 (team) or 5 (super team), the type the server
// gives its conversation (proto.TeamChatType); its server conversation is
// proto.TeamConv(tid). Messages from other members count as unread; team
// notification messages (MsgNotification, posted by the server for every
// team change) count only with Config.ShouldCountTeam.

// isTeamChat reports whether chatType is a team's: 1 or 5.
func isTeamChat(chatType int) bool {
	return chatType == proto.ChatTeam || chatType == proto.ChatSuperTeam
}

// maxTeamSessionIDBytes bounds a team session id parameter (the server's
// bound for a team id).
const maxTeamSessionIDBytes = 64

// checkTeamSessionID checks a team id parameter called name: 1-64 of
// letters, digits and _ . @ - (the server's rule).
func checkTeamSessionID(name, tid string) error {
	if tid == "" {
		return BadParam(name, "must not be empty")
	}
	if len(tid) > maxTeamSessionIDBytes {
		return BadParam(name, "must be a team id (1-64 letters, digits, _ . @ -)")
	}
	for i := 0; i < len(tid); i++ {
		c := tid[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '@' || c == '-') {
			return BadParam(name, "must be a team id (1-64 letters, digits, _ . @ -)")
		}
	}
	return nil
}

// sessionConv returns the server conversation of session sessionID of
// chatType as account me sees it: the P2P one of the two accounts, or the
// team's; "" for other chat types.
func sessionConv(me string, chatType int, sessionID string) string {
	switch {
	case chatType == proto.ChatP2P:
		return proto.P2PConv(me, sessionID)
	case isTeamChat(chatType):
		return proto.TeamConv(sessionID)
	}
	return ""
}

// localConv is the conversation a session made here (a send, a
// creatRecentSession) takes before the server names it: a P2P session's;
// none for a team, whose conversation's chat type only the server knows (a
// session of the wrong one, 1 for a super team, must not take the team's
// conversation from the session of the server's type).
func localConv(me string, chatType int, sessionID string) string {
	if chatType == proto.ChatP2P {
		return proto.P2PConv(me, sessionID)
	}
	return ""
}

// convSessionID returns the session id of server conversation conv of
// chatType as account me sees it (the peer, or the team id), or "" when
// conv is not one of me's conversations of that type.
func convSessionID(conv string, chatType int, me string) string {
	switch {
	case chatType == proto.ChatP2P:
		return proto.P2PPeer(conv, me)
	case isTeamChat(chatType):
		return proto.TeamOfConv(conv)
	}
	return ""
}

// countsUnread reports whether the received message m counts as unread
// under cfg: a team notification message only with ShouldCountTeam.
func countsUnread(m *Message, cfg Config) bool {
	if m.Outgoing {
		return false
	}
	if m.Type == proto.MsgNotification && isTeamChat(m.ChatType) {
		return cfg.ShouldCountTeam
	}
	return true
}

// TeamReceiptInfo is the doc's teamReceiptInfo of a team message that
// asked for receipts: how many of the team's other members read it, and
// how many did not yet.
type TeamReceiptInfo struct {
	ReadCount   int `json:"readCount"`
	UnreadCount int `json:"unreadCount"`
}

// teamReceiptInfo returns m's teamReceiptInfo, nil when it did not ask
// for receipts.
func (m *Message) teamReceiptInfo() *TeamReceiptInfo {
	if !m.TeamReceipt || !isTeamChat(m.ChatType) {
		return nil
	}
	return &TeamReceiptInfo{ReadCount: m.ReceiptRead, UnreadCount: m.ReceiptUnread}
}

// superAndroidTypes are NIM's Android numbers of super team notifications
// by TeamNote.Op (401 invite … 411 invitation accepted).
var superAndroidTypes = [...]int{
	proto.TeamOpInvite: 401, proto.TeamOpKick: 402, proto.TeamOpLeave: 403, proto.TeamOpUpdate: 404,
	proto.TeamOpDismiss: 405, proto.TeamOpTransfer: 406, proto.TeamOpAddMgr: 407, proto.TeamOpDelMgr: 408,
	proto.TeamOpMute: 409, proto.TeamOpPass: 410, proto.TeamOpAccept: 411,
}

// teamNoteView is the view body of a team notification message (the
// doc's 消息体-通知): the iOS and Android types, and our fields saying
// what happened.
type teamNoteView struct {
	Type             int           `json:"type"`             // 5
	NotificationType int           `json:"notificationType"` // 1 team, 4 super team
	AndroidType      int           `json:"androidType"`      // team: the op (0–10); super team: 401–411
	Operation        int           `json:"operation"`        // proto.TeamOp*
	Targets          []string      `json:"targets"`          // the members concerned
	Update           jx.RawMessage `json:"update,omitempty"` // TeamOpUpdate: the changed fields, team-object names
	IsMute           bool          `json:"isMute"`           // TeamOpMute: muted (true) or unmuted
}

// teamNoteBody returns the view body of a team notification message of
// chatType with the stored body (a proto.TeamNote), or nil when the body
// is not one.
func teamNoteBody(chatType int, body jx.RawMessage) jx.RawMessage {
	var n proto.TeamNote
	if err := jx.Unmarshal(body, &n); err != nil {
		return nil
	}
	v := teamNoteView{Type: proto.MsgNotification, NotificationType: 1, AndroidType: n.Op, Operation: n.Op,
		Targets: n.Accounts, IsMute: n.Mute}
	if v.Targets == nil {
		v.Targets = []string{}
	}
	if chatType == proto.ChatSuperTeam {
		v.NotificationType = 4
		if n.Op >= 0 && n.Op < len(superAndroidTypes) {
			v.AndroidType = superAndroidTypes[n.Op]
		}
	}
	if u := n.Update; u != nil {
		f := map[string]any{}
		put := func(name string, p any) {
			switch x := p.(type) {
			case *string:
				if x != nil {
					f[name] = *x
				}
			case *int:
				if x != nil {
					f[name] = *x
				}
			}
		}
		put("teamName", u.Name)
		put("avatarUrl", u.Icon)
		put("intro", u.Intro)
		put("announcement", u.Announcement)
		put("clientCustomInfo", u.ClientCustom)
		put("serverCustomInfo", u.ServerCustom)
		put("joinMode", u.JoinMode)
		put("inviteMode", u.InviteMode)
		put("beInviteMode", u.BeInviteMode)
		put("updateInfoMode", u.UpdateInfoMode)
		put("updateClientCustomMode", u.UpdateCustomMode)
		if u.MuteMode != nil {
			f["muteMode"] = *u.MuteMode
			f["inAllMuteMode"] = *u.MuteMode != proto.MuteNone
		}
		v.Update, _ = jx.MarshalAny(f)
	}
	b, _ := jx.Marshal(&v)
	return b
}

// teamLeft queues a pull of what this account may still read of team
// tid's conversation (session chatType) now that its membership ended at
// seq leftSeq (it left, was removed, or the team was dismissed:
// TeamState.Me invalid, Me.LeftSeq): the messages after the session's
// cursor up to leftSeq (the server's pull window of a member that left ends
// there), so that what was sent before the leave while this device was
// offline is kept, read-only. The pull runs after the commit, like a gap
// pull (tx.gaps). The ChangeTeam applier calls it.
func (t *tx) teamLeft(tid string, chatType int, leftSeq int64) {
	if tid == "" || leftSeq <= 0 || !isTeamChat(chatType) {
		return
	}
	conv := proto.TeamConv(tid)
	key := t.keyOfConv(conv, SessionKey(chatType, tid))
	from := max(0, leftSeq-RoamLimit) // nothing cached yet: it roams
	if s, ok := t.session(key); ok && (s.SyncSeq > 0 || s.LastSeq > 0 || len(s.Ahead) > 0) {
		from = t.pullStart(s, leftSeq)
	}
	if from >= leftSeq {
		return // every message up to the leave is here
	}
	for _, g := range t.gaps {
		if g.Conv == conv {
			return
		}
	}
	t.gaps = append(t.gaps, proto.Cursor{Conv: conv, After: from})
}
