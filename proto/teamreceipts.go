package proto

// Team message receipts (teamReceiptEnabled, sendTeamMessageReceipts). A
// team message sent with Msg.TeamReceipt asks its readers for receipts:
// the server stores, with the message, how many other valid members the
// team had when it was stored (ReceiptTotal), and counts the members who
// sent a receipt for it (ReceiptRead; each member once). Every new
// receipt appends a ChangeTeamReceipt to the sender's log, so the
// sender's devices see teamReceiptInfo {readCount, unreadCount} move live
// and at their next sync. Pulls and history carry both counts on every
// message that asked for receipts.

// OpTeamReceipt sends read receipts for team messages: TeamReceiptReq →
// TeamReceiptResp.
const OpTeamReceipt = "treceipt"

// ChangeTeamReceipt: Key is "<conv>|<seq>" of one of the log owner's team
// messages, Data a TeamReceiptInfo with its latest counts. The log keeps
// the newest entry per message.
const ChangeTeamReceipt = "treceipt"

// MaxTeamReceiptSeqs is the most messages one TeamReceiptReq names.
const MaxTeamReceiptSeqs = 100

// TeamReceiptReq marks the caller's reading of messages of a team's
// conversation (by seq). The caller must be a valid member whose history
// holds them; messages it sent itself, messages that did not ask for
// receipts, and seqs it already acknowledged are skipped (not errors).
type TeamReceiptReq struct {
	TeamID string  `json:"tid"`
	Seqs   []int64 `json:"seqs"`
}

// TeamReceiptResp lists the seqs the receipt was recorded for now or
// before (the messages that asked for receipts, from others, in the
// caller's history).
type TeamReceiptResp struct {
	Seqs []int64 `json:"seqs"`
}

// TeamReceiptInfo is the Data of a ChangeTeamReceipt.
type TeamReceiptInfo struct {
	Conv     string `json:"conv"`
	Seq      int64  `json:"seq"`
	ClientID string `json:"cid"`
	Read     int    `json:"read"`
	Unread   int    `json:"unread"`
	Time     int64  `json:"time"` // when the latest receipt was recorded (ms)
}
