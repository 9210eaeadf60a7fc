package store

import (
	"context"
	"strconv"
)

// TeamReceipts stores the read receipts of team messages that asked for
// them (proto.Msg.TeamReceipt, proto/teamreceipts.go). Send stores such a
// message with the number of the team's other valid members at that
// moment (its receipt total); the messages' reads (Messages, History,
// Message) carry ReceiptRead and ReceiptUnread = max(total-read, 0).
type TeamReceipts interface {
	// TeamReceipt records that account has read the messages of team
	// tid's conversation with seqs, at nowMs, in one transaction. account
	// must be a valid member (TeamError 804; 803 when the team does not
	// exist or is dismissed). A seq is skipped unless its message is in
	// account's history (above its JoinSeq), asked for receipts, was not
	// sent by account and is not revoked. For each other one the receipt
	// (conv, seq, account) is recorded once: the first time, the
	// message's read count moves up by one and a proto.ChangeTeamReceipt
	// (Key TeamReceiptKey, Data a proto.TeamReceiptInfo of the new
	// counts) is appended to the sender's log. It returns the seqs whose
	// receipt is recorded, now or before, in the order of seqs (each
	// once), and the appended changes.
	TeamReceipt(ctx context.Context, account, tid string, seqs []int64, nowMs int64) (recorded []int64, changes []Change, err error)
}

// TeamReceiptKey is the change-log key of the team message of conv with
// seq (proto.ChangeTeamReceipt): "<conv>|<seq>".
func TeamReceiptKey(conv string, seq int64) string {
	return conv + "|" + strconv.FormatInt(seq, 10)
}
