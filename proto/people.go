package proto

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// People: profiles, friends, the blacklist and mute list, system
// notifications (the friend-request inbox) and custom notifications.
// Every write appends changes to the change logs of the accounts it
// concerns (the kinds below); the reply to the writing op carries the
// caller's own changes (ChangesResp), which its client applies at once
// through the same code as a sync's.

// People ops (client → server).
const (
	OpUpdateUser   = "uinfo"     // UpdateUserReq → ChangesResp (the caller's ChangeUser)
	OpFriend       = "friend"    // FriendReq → ChangesResp
	OpDeleteFriend = "delfriend" // DeleteFriendReq → ChangesResp
	OpRelation     = "relation"  // RelationReq → ChangesResp (blacklist, mute list)
	OpSearchUsers  = "search"    // SearchReq → SearchResp
	OpNotesMark    = "sysmark"   // NotesMarkReq → ChangesResp (mark all read, delete all)
)

// PushCustom is the push of a custom notification that is not stored
// (save 1 of msg/sendAttachMsg): CustomNote. A stored one arrives as a
// ChangeCustom instead.
const PushCustom = "custom"

// People change kinds.
const (
	// ChangeUser: Key is an account, Data its UserInfo. Appended to the
	// account's own log and to the logs of its friends and P2P partners
	// when its profile changes; to a new friend's log when a friendship
	// starts (so the friend list has the profile).
	ChangeUser = "user"
	// ChangeFriend: Key is an account, Data a Friend: the owner of the log
	// and that account are friends. Deleted when they no longer are.
	ChangeFriend = "friend"
	// ChangeBlack and ChangeMute: Key is an account, Data a Relation: the
	// owner of the log has it on its blacklist (mute list). Deleted when
	// taken off. Only the owner's log gets them: being blacklisted is not
	// announced.
	ChangeBlack = "black"
	ChangeMute  = "mute"
	// ChangeNote: Key is a notification id (decimal), Data a SysNote: a
	// system notification of the owner's inbox, new or with a new
	// handleStatus.
	ChangeNote = "sysnote"
	// ChangeNotesMark: Key is "", Data a NotesMark: the owner marked its
	// inbox read, or deleted it, up to an id. Notifications at or below
	// DeletedTo are gone (their ChangeNote entries may be dropped from the
	// log).
	ChangeNotesMark = "sysmark"
	// ChangeCustom: Key is a custom notification id (decimal), Data a
	// CustomNote sent with save 2 (kept for offline delivery): each
	// client hears it once.
	ChangeCustom = "custom"
)

// CodeBlacklisted: the receiver has the sender on its blacklist (NIM's
// 7101); the message or friend request is refused.
const CodeBlacklisted = 7101

// ChangesResp is the reply of a people write: the changes it appended to
// the caller's own log, in Ver order.
type ChangesResp struct {
	Changes []Change `json:"changes"`
}

// UserInfo is an account's profile, the doc's userInfo fields. Ver counts
// the profile's versions (1 at creation, +1 per update): a client keeps
// the profile with the highest Ver.
type UserInfo struct {
	Account string `json:"account"`
	Name    string `json:"name,omitempty"` // nickName
	Icon    string `json:"icon,omitempty"` // avatar URL
	Sign    string `json:"sign,omitempty"`
	Gender  int    `json:"gender,omitempty"` // 0 unknown, 1 male, 2 female
	Email   string `json:"email,omitempty"`
	Birth   string `json:"birth,omitempty"` // yyyy-MM-dd
	Mobile  string `json:"mobile,omitempty"`
	Ext     string `json:"ext,omitempty"` // the profile's custom field
	Ver     int64  `json:"ver,omitempty"`
	Time    int64  `json:"time,omitempty"` // last update, ms
}

// UpdateUserReq changes the caller's profile: only the fields given (not
// nil) change. UserProblem checks it.
type UpdateUserReq struct {
	Name   *string `json:"name,omitempty"`
	Icon   *string `json:"icon,omitempty"`
	Sign   *string `json:"sign,omitempty"`
	Gender *int    `json:"gender,omitempty"`
	Email  *string `json:"email,omitempty"`
	Birth  *string `json:"birth,omitempty"`
	Mobile *string `json:"mobile,omitempty"`
	Ext    *string `json:"ext,omitempty"`
}

// Profile limits (NIM's where it has one).
const (
	MaxNickRunes   = 64
	MaxIconBytes   = 1024
	MaxSignRunes   = 256
	MaxEmailBytes  = 64
	MaxMobileBytes = 32
	MaxUserExt     = 1024 // bytes
)

// UserProblem checks an update: it returns the doc's name of the first bad
// field and what is wrong with it, or "", "" when the update is acceptable.
// The SDK and the server both use it, so they agree.
func UserProblem(u UpdateUserReq) (field, problem string) {
	runes := func(p *string, n int) bool { return p != nil && utf8.RuneCountInString(*p) > n }
	bytes := func(p *string, n int) bool { return p != nil && len(*p) > n }
	switch {
	case runes(u.Name, MaxNickRunes):
		return "nickName", "must be at most 64 characters"
	case u.Name != nil && badText(*u.Name):
		return "nickName", "must not contain control characters"
	case bytes(u.Icon, MaxIconBytes):
		return "avatar", "must be at most 1024 bytes"
	case runes(u.Sign, MaxSignRunes):
		return "sign", "must be at most 256 characters"
	case u.Gender != nil && (*u.Gender < 0 || *u.Gender > 2):
		return "gender", "must be 0 (unknown), 1 (male) or 2 (female)"
	case bytes(u.Email, MaxEmailBytes):
		return "email", "must be at most 64 bytes"
	case u.Email != nil && *u.Email != "" && !validEmail(*u.Email):
		return "email", "must be an email address (name@domain)"
	case u.Birth != nil && *u.Birth != "" && !validBirth(*u.Birth):
		return "birth", "must be a date yyyy-MM-dd"
	case bytes(u.Mobile, MaxMobileBytes):
		return "mobile", "must be at most 32 bytes"
	case u.Mobile != nil && *u.Mobile != "" && !validMobile(*u.Mobile):
		return "mobile", "must be a phone number (digits, optionally a leading + and - or spaces)"
	case bytes(u.Ext, MaxUserExt):
		return "ext", "must be at most 1024 bytes"
	}
	return "", ""
}

// badText reports control characters (newlines included) in a one-line
// name.
func badText(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return true
		}
	}
	return false
}

func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.IndexByte(s[at+1:], '.') > 0 && !strings.ContainsAny(s, " \t\r\n<>") &&
		!strings.HasSuffix(s, ".")
}

// validBirth reports whether s is a date YYYY-MM-DD of the proleptic
// Gregorian calendar (year 0000-9999), read by hand: time.Parse and
// Format would bring the time package's layout code into the wasm.
func validBirth(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(t string) int {
		n := 0
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return -1
			}
			n = n*10 + int(t[i]-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

func validMobile(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == '-', r == ' ':
		default:
			return false
		}
	}
	return digits >= 3
}

// Friend operations (FriendReq.Op, the doc's requestFriend operation and
// friend/add's type).
const (
	FriendAdd     = 1 // become friends at once, no verification
	FriendRequest = 2 // ask; the target's inbox gets a SysNote to answer
	FriendAccept  = 3 // accept the target's pending request
	FriendReject  = 4 // reject it
)

// MaxFriendMsgRunes bounds a friend request's message (postscript).
const MaxFriendMsgRunes = 256

// FriendReq is requestFriend: the caller does Op with Account. Accept and
// reject need a pending request from Account (404 otherwise). Add and
// request to an account that has the caller on its blacklist get
// CodeBlacklisted.
type FriendReq struct {
	Account string `json:"account"`
	Op      int    `json:"op"`
	Msg     string `json:"msg,omitempty"`
}

// DeleteFriendReq ends the friendship with Account, for both of them.
// Unless RemoveAlias, the caller's alias of Account is kept for a later
// friendship.
type DeleteFriendReq struct {
	Account     string `json:"account"`
	RemoveAlias bool   `json:"removeAlias,omitempty"`
}

// Friend is the Data of a ChangeFriend: the log owner's side of a
// friendship.
type Friend struct {
	Account   string `json:"account"`
	Alias     string `json:"alias,omitempty"`     // the owner's note name for the friend (≤ 128 characters)
	Ext       string `json:"ext,omitempty"`       // the owner's client ext of the friend
	ServerExt string `json:"serverExt,omitempty"` // set by the app's server only (friend/update ex)
	Time      int64  `json:"time"`                // since when they are friends, ms
	Update    int64  `json:"ut"`                  // last change, ms
}

// MaxAliasRunes bounds a friend alias (NIM's 128).
const MaxAliasRunes = 128

// Relation lists (RelationReq.List).
const (
	ListBlack = "black"
	ListMute  = "mute"
)

// RelationReq puts Account on (On) or takes it off the caller's List.
type RelationReq struct {
	List    string `json:"list"`
	Account string `json:"account"`
	On      bool   `json:"on"`
}

// Relation is the Data of ChangeBlack and ChangeMute.
type Relation struct {
	Account string `json:"account"`
	Time    int64  `json:"time"` // since when, ms
}

// Search fields (SearchReq.Fields), the doc's searchContentOption. Alias
// (1) matches the caller's friends' aliases, which the client has: the
// server matches ids and nicknames only.
const (
	SearchID    = 0
	SearchAlias = 1
	SearchNick  = 2
	SearchAll   = 3
)

// MaxSearch is the most users one search page returns; MaxSearchRunes
// bounds the search text.
const (
	MaxSearch      = 100
	MaxSearchRunes = 64
)

// SearchReq finds accounts whose id and/or nickname contain Text
// (Fields: SearchID, SearchNick or SearchAll), case-insensitively when
// IgnoreCase, ordered by account, after the account After (the previous
// page's last one; "" for the first page), at most Limit (≤ MaxSearch; 0 =
// MaxSearch).
type SearchReq struct {
	Text       string `json:"text"`
	Fields     int    `json:"fields"`
	IgnoreCase bool   `json:"ignoreCase,omitempty"`
	After      string `json:"after,omitempty"`
	Limit      int    `json:"limit,omitempty"`
}

// SearchResp is one page of a search; More says that another page
// follows (ask with After = the last account).
type SearchResp struct {
	Users []UserInfo `json:"users"`
	More  bool       `json:"more,omitempty"`
}

// System notification types (SysNote.Type), the doc's. The team types come
// with teams.
const (
	NoteTeamApply       = 0
	NoteTeamApplyReject = 1
	NoteTeamInvite      = 2
	NoteTeamInviteRejct = 3
	NoteFriend          = 5
)

// Handle states of a system notification (SysNote.Status, the doc's
// handleStatus).
const (
	NoteUntreated = 0
	NotePassed    = 1
	NoteDeclined  = 2
	NoteIgnored   = 3
	NoteExpired   = 4
)

// SysNote is a system notification, the Data of a ChangeNote. IDs are
// assigned by the server, increasing.
type SysNote struct {
	ID     int64  `json:"id"`
	Type   int    `json:"type"` // Note*
	From   string `json:"from"` // sourceID: who did it
	To     string `json:"to"`   // targetID: the account (friend types) or the team
	Time   int64  `json:"time"`
	Ps     string `json:"ps,omitempty"`     // postscript
	Op     int    `json:"op,omitempty"`     // NoteFriend: the Friend* operation it reports
	Status int    `json:"status,omitempty"` // handleStatus (Note*)
	Ext    string `json:"ext,omitempty"`    // notifyExt
}

// NoteKey is the change-log key of a notification id.
func NoteKey(id int64) string { return strconv.FormatInt(id, 10) }

// NotesMarkReq marks the caller's inbox read up to ReadTo and/or deletes
// it up to DeleteTo (notification ids; 0 leaves that mark). The server
// clamps both to the newest notification it has for the caller and never
// moves a mark down.
type NotesMarkReq struct {
	ReadTo   int64 `json:"readTo,omitempty"`
	DeleteTo int64 `json:"deleteTo,omitempty"`
}

// NotesMark is the Data of a ChangeNotesMark: notifications at or below
// ReadTo are read, those at or below DeletedTo deleted.
type NotesMark struct {
	ReadTo    int64 `json:"readTo"`
	DeletedTo int64 `json:"deletedTo"`
}

// Custom notification receiver types (CustomNote.ToType), the doc's
// receiverType.
const (
	CustomToAccount = 0
	CustomToTeam    = 1
)

// MaxCustomBytes bounds a custom notification's content (attach).
const MaxCustomBytes = 4096

// CustomNote is a custom system notification sent by the app's server
// (msg/sendAttachMsg): pushed as PushCustom when not stored, a ChangeCustom
// of each receiver's log when stored for offline delivery (save 2).
type CustomNote struct {
	ID      int64  `json:"id"`
	From    string `json:"from"`
	To      string `json:"to"`
	ToType  int    `json:"toType"`
	Content string `json:"content"`
	Time    int64  `json:"time"`
}
