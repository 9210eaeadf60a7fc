package core

import (
	"context"
	"errors"

	"yunxin/internal/jx"
)

// ErrCacheClosed is what a Cache returns, wrapped, once its storage was
// closed under it — by another tab's upgrade or delete of the database, or by
// the browser — so that core stops the run instead of retrying: no later
// call on that Cache can succeed. Test for it with errors.Is.
var ErrCacheClosed = errors.New("local cache closed")

// ErrCacheFull is what a Cache returns, wrapped, when a write failed because
// the storage it writes to is full (in the browser: IndexedDB's
// QuotaExceededError, the site's share of the disk is used up). Nothing of
// the batch was written. Unlike ErrCacheClosed it is not final: the same
// write succeeds once space is freed (deleteAllMessages,
// deleteAllmessagesInSession, or the user clearing other data of the site),
// so core answers the call whose write failed with a 500 naming it, keeps
// its sync cursors where the stored data is, tells the page
// (localCacheFull) and retries. Test for it with errors.Is.
var ErrCacheFull = errors.New("local cache full")

// Delivery states of a message, the iOS deliveryState numbers.
const (
	DeliveryFailed  = 0
	DeliverySending = 1
	DeliverySent    = 2
)

// Message is one message as the SDK caches it. The JS shape pages see is
// MessageView; this is the record kept in the cache.
type Message struct {
	ID         string        `json:"id"`  // client message id (the doc's messageId), primary key
	SK         string        `json:"sk"`  // session key, SessionKey(ChatType, SessionID)
	SessionID  string        `json:"sid"` // the other account (P2P) or team id
	ChatType   int           `json:"ct"`
	ServerID   string        `json:"srv,omitempty"`
	Seq        int64         `json:"seq,omitempty"` // 0 until the server stored it
	From       string        `json:"from"`
	Type       int           `json:"type"`
	Body       jx.RawMessage `json:"body"`           // without "type"
	Ext        jx.RawMessage `json:"ext,omitempty"`  // remoteExt
	LocalExt   jx.RawMessage `json:"lext,omitempty"` // localExt
	Time       int64         `json:"t"`              // ms; server time once stored
	State      int           `json:"st"`             // Delivery*
	Outgoing   bool          `json:"out,omitempty"`
	FromClient int           `json:"fct,omitempty"`
	Deleted    bool          `json:"del,omitempty"`
	// Paths are the local fields of an attachment's body (the doc's path,
	// thumbPath, coverPath): paths the page can use (object URLs, or the
	// URL it passed), by field name. They never go to the server; the view
	// merges them into the body.
	Paths map[string]string `json:"paths,omitempty"`
	// DL is the attachment download state of a received message with an
	// attachment (the doc's attachmentDownloadState, Download*).
	DL     int  `json:"dl,omitempty"`
	Played bool `json:"played,omitempty"` // isPlayed
	// Nick is the sender's nickname when the message was stored (from the
	// server's proto.Msg.Nick; an own message sent here: the own cached
	// profile's), the doc's senderName and fromNick.
	Nick string `json:"nick,omitempty"`
	// Black marks an own message the server refused because the receiver
	// has this account on its blacklist (7101): isBlackListed.
	Black bool `json:"black,omitempty"`
	// TeamReceipt marks a team message that asks its readers for receipts
	// (sent with teamReceiptEnabled); ReceiptRead and ReceiptUnread are its
	// latest teamReceiptInfo counts (the server's, for the sender's
	// messages). ReceiptSent: this device sent a receipt for this received
	// message (isTeamReceiptSended).
	TeamReceipt   bool `json:"trc,omitempty"`
	ReceiptRead   int  `json:"trr,omitempty"`
	ReceiptUnread int  `json:"tru,omitempty"`
	ReceiptSent   bool `json:"trs,omitempty"`
}

// Attachment download states (attachmentDownloadState).
const (
	DownloadNeeded  = 0 // has an attachment, never downloaded
	DownloadFailed  = 1
	DownloadRunning = 2
	DownloadDone    = 3 // downloaded, or no attachment
)

// Session is one conversation as the SDK caches it: the recent-session entry
// and the sync cursor. Hidden sessions (deleted from the recent list) keep
// their record so the cursor survives.
type Session struct {
	Key          string        `json:"k"` // SessionKey(ChatType, ID)
	ID           string        `json:"id"`
	ChatType     int           `json:"ct"`
	Conv         string        `json:"conv"`              // server conversation id
	SyncSeq      int64         `json:"sync"`              // every message after the roaming start up to here is cached
	Ahead        []int64       `json:"ahead,omitempty"`   // seqs above SyncSeq already cached (arrived past a gap), ascending
	LastSeq      int64         `json:"last"`              // highest seq known to exist on the server
	ReadSeq      int64         `json:"read"`              // read mark
	SrvReadSeq   int64         `json:"sread,omitempty"`   // the server's read mark as last seen (a higher ReadSeq is sent at the next sync)
	Unread       int           `json:"unread"`            // unread count
	PeerReadSeq  int64         `json:"pread,omitempty"`   // P2P receipt: the peer read my messages up to here
	PeerReadTime int64         `json:"preadt,omitempty"`  // ms
	LastMsg      *Message      `json:"lastMsg,omitempty"` // newest message, for the list
	UpdateTime   int64         `json:"ut"`                // ms
	LocalExt     jx.RawMessage `json:"lext,omitempty"`
	// HideTime is when the session was last removed from the recent list
	// (deleteRecentSession), in ms; it is hidden while no later activity
	// (UpdateTime) shows it again. A time, not a flag, so that two tabs'
	// records merge (MergeSession) without one undoing the other.
	HideTime int64 `json:"hideAt,omitempty"`
	// CutAt is when (ms) a removal on this device last took messages out
	// of the session's cache (a revoke, deleteMessage,
	// deleteAllmessagesInSession, deleteAllMessages); CutT and CutID are
	// the highest (Time, ID) of the messages removed while they were, or
	// could have been, its last message. MergeSession uses them so that a
	// writer that did not see a removal (another tab's older copy) cannot
	// bring the removed last message back.
	CutAt int64  `json:"cutAt,omitempty"`
	CutT  int64  `json:"cutT,omitempty"`
	CutID string `json:"cutId,omitempty"`
	// ClearedTo is the time (ms) up to which the session's messages were
	// cleared (deleteAllmessagesInSession, deleteAllMessages):
	// pullMessageHistory's persist does not cache them again.
	ClearedTo int64 `json:"clearTo,omitempty"`
	// LocalExtAt is when (ms) LocalExt was last set (updateRecentLocalExt):
	// the later setting wins when tabs' records merge.
	LocalExtAt int64 `json:"lextAt,omitempty"`
	// LegacyHidden is the flag records of cache schema 1 carried instead of
	// HideTime. The caches' Load turn it into HideTime (ConvertLegacy), the
	// one place that knows of it: a session a Cache returns never has it set.
	LegacyHidden bool `json:"hidden,omitempty"`
}

// ConvertLegacy turns the hidden flag of a session record written by cache
// schema 1 (LegacyHidden) into HideTime: hidden until activity newer than
// its UpdateTime. Every Cache's Load calls it on the sessions it returns.
func ConvertLegacy(s *Session) {
	if s.LegacyHidden && s.HideTime == 0 {
		s.HideTime = max(s.UpdateTime, 1)
	}
	s.LegacyHidden = false
}

// Hidden reports whether the session is off the recent list.
func (s *Session) Hidden() bool { return s.HideTime > 0 && s.HideTime >= s.UpdateTime }

// Meta is the per-account state kept beside the sessions.
type Meta struct {
	Ver      int64  `json:"ver"`               // change-log cursor: proto.SyncResp.Ver of the last applied sync page
	ConvVer  int64  `json:"convVer,omitempty"` // conversation cursor: proto.SyncResp.ConvVer
	DeviceID string `json:"deviceId"`          // stable id of this cache ("device")
	Kinds    int    `json:"kinds,omitempty"`   // version of the change kinds Ver covers (core's changeKinds); see MergeMeta
}

// Record is one entry of a domain's synced state (friends, teams,
// notifications… as later issues add them), keyed by (Kind, Key): the
// client's copy of a change-log key. Data is the domain's JSON.
//
// Ver is a version the Cache compares, whose meaning is the kind's: the
// change-log ver the record came from (proto.Change.Ver) for "friend",
// "black", "mute" and "sysnote"; the profile's own version
// (proto.UserInfo.Ver) for "user"; the mark itself for "sysmark" (the
// server's mark: the change ver; the local marks: the ReadTo or DeletedTo
// they hold) and "custom" (the highest id seen). A Cache keeps the stored
// record when its Ver is higher than a put's, so a tab that applies an
// older change after another tab stored a newer one cannot undo it. A deletion is stored as a
// tombstone, a Record with Deleted set and its Ver (Data empty), so that an
// older put cannot bring the record back either. Load leaves tombstones out.
type Record struct {
	Kind    string        `json:"kind"`
	Key     string        `json:"key"`
	Ver     int64         `json:"ver,omitempty"`
	Deleted bool          `json:"del,omitempty"`
	Data    jx.RawMessage `json:"data,omitempty"`
}

// RecordKey names a Record.
type RecordKey struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
}

// Snapshot is what Load reads at start-up.
type Snapshot struct {
	Meta     Meta
	Sessions []Session // ordered by Key; schema-1 records converted (ConvertLegacy)
	Records  []Record  // live records only (no tombstones), ordered by (Kind, Key)
}

// Batch is one atomic write to the cache. Messages replace the message with
// the same Message.ID (the SDK's own writes: sends, deletes, downloads).
// AddMessages are messages from the server, inserted only where nothing
// says they must not be (see AddMessages). Records replace the record of their (Kind, Key)
// unless the stored one has a higher Ver (a tombstone included: a Record
// with Deleted is a deletion). Sessions and Meta are merged into the stored
// record field by field (MergeSession, MergeMeta), because another tab of
// the same account may have written it since this one read it.
//
// When Apply succeeds it fills the batch with what it stored: every entry of
// Sessions becomes the merged record of its key, Meta points at the merged
// meta, and every entry of Records becomes the record stored for its key
// (the put, or the newer stored record or tombstone that was kept). The
// caller installs those in memory, not the copies it staged.
type Batch struct {
	Messages       []Message
	DeleteMessages []string // message ids
	Sessions       []Session
	DeleteSessions []string // session keys
	Records        []Record
	Meta           *Meta // merged in when not nil
	// ClearSessions deletes every cached message of these session keys
	// (deleteAllmessagesInSession), before Messages are written; ClearAll
	// deletes every cached message (deleteAllMessages). Sessions and their
	// cursors stay: what was deleted is not synced again. (A message
	// already marked Deleted may stay, deleted: the IndexedDB cache keeps
	// such records out of its session index.)
	ClearSessions []string
	ClearAll      bool
	// AddMessages are messages from the server (pulls, pushes, history).
	// Inside the transaction, each is inserted only when no message with
	// its ID is stored (a deleted one included, and one of this batch's
	// Messages too), when its ID is not in DeleteMessages, and, unless
	// AddCleared, when its Time is above the ClearedTo of its session (the
	// stored session, merged with this batch's, if any): so a tab whose
	// memory lags cannot bring back what another tab deleted or cleared.
	// On success Apply leaves in AddMessages only the messages it
	// inserted, in their order.
	AddMessages []Message
	// AddCleared lets AddMessages at or below their session's ClearedTo in
	// (pullMessageHistory's persistClear).
	AddCleared bool
}

// Empty reports whether the batch writes nothing.
func (b *Batch) Empty() bool {
	return len(b.Messages) == 0 && len(b.AddMessages) == 0 && len(b.DeleteMessages) == 0 && len(b.Sessions) == 0 &&
		len(b.DeleteSessions) == 0 && len(b.Records) == 0 && b.Meta == nil && len(b.ClearSessions) == 0 && !b.ClearAll
}

// Query selects a page of one session's messages in time order.
type Query struct {
	SK     string
	Anchor *Message // nil: start from the newest (or, with Newer, the oldest) end
	Limit  int
	Newer  bool // false: the Limit messages just before Anchor; true: just after it
}

// Cache is the SDK's local store for one account. The browser implements it
// over IndexedDB (package idbstore); MemCache is the in-memory one used by
// native tests. Every method may be called from any goroutine, one at a time
// per method call; none of them waits on the network, so an implementation may
// keep one IndexedDB transaction open for the whole call.
type Cache interface {
	// Load reads the meta record, every session (converting schema-1
	// records, ConvertLegacy) and every live record (tombstones left out).
	Load(ctx context.Context) (*Snapshot, error)
	// Apply writes the whole batch in one transaction: all of it or nothing.
	// A session or meta put is merged into the stored one (MergeSession,
	// MergeMeta) and a record put is kept only when no stored record of its
	// key has a higher Ver, inside that transaction; so is the decision to
	// insert each of AddMessages (see Batch), never made on what the caller
	// read before. On success it fills b with what it stored (see Batch):
	// the caller installs that in memory. On failure b is left as given.
	Apply(ctx context.Context, b *Batch) error
	// Messages returns one page of q.SK's messages ordered by (Time, ID)
	// ascending, excluding deleted ones: the q.Limit messages just before
	// q.Anchor (or the newest ones when Anchor is nil), or with q.Newer the
	// q.Limit messages just after it (or the oldest ones).
	Messages(ctx context.Context, q Query) ([]Message, error)
	// MessagesByID returns the messages with these ids that exist, in the
	// order asked, deleted ones included.
	MessagesByID(ctx context.Context, ids []string) ([]Message, error)
	// Close releases the cache. Every later call returns an error wrapping
	// ErrCacheClosed.
	Close() error
}

// OpenCacheFunc opens the cache of one account of one app. In the browser it
// opens the IndexedDB database "yunxinIM-<appKey>-<account>".
type OpenCacheFunc func(ctx context.Context, appKey, account string) (Cache, error)

// SessionKey is the cache key of a session: "<chatType>|<sessionId>".
func SessionKey(chatType int, id string) string {
	return itoa(chatType) + "|" + id
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
