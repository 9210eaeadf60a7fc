// Package proto holds the wire types shared by the browser SDK (core) and the
// server: one JSON object per WebSocket text message. docs/protocol.md is the
// prose version of this file; keep them in step.
//
// A frame is a request (client → server, has ID and Op), a reply (server →
// client, has ID and Code, no Op) or a push (server → client, has Op, no ID).
// The package is plain Go with no build tags and small on purpose: it is
// compiled into the wasm.
package proto

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"yunxin/internal/jx"
)

// Version is the protocol version the client announces in LoginReq.Version.
// The server refuses a client whose major version it does not speak (414).
const Version = 1

// MaxFrame is the largest frame either side accepts, in bytes.
const MaxFrame = 1 << 20

// MaxPage is the byte budget of the payload of one paged reply (pull, sync):
// the server stops adding items once the next one would pass it, so a reply
// always fits MaxFrame. A page holds at least one item, and one item is
// never larger than MaxItemBytes, which the per-field limits guarantee.
const MaxPage = MaxFrame / 2

// MaxItemBytes bounds the JSON of one message, conversation or change as
// the server sends it (text ≤ 5000 characters, ext ≤ 1 KB, ids ≤ 64 bytes).
const MaxItemBytes = 64 << 10

// Frame is one WebSocket message.
type Frame struct {
	ID   uint64        `json:"id,omitempty"`   // request id chosen by the client; echoed in the reply
	Op   string        `json:"op,omitempty"`   // request op or push kind; empty in replies
	Code int           `json:"code,omitempty"` // replies only: 200 ok, otherwise a NIM error code
	Msg  string        `json:"msg,omitempty"`  // replies with Code != 200: what went wrong
	Data jx.RawMessage `json:"d,omitempty"`    // the op's payload
}

// Request ops (client → server).
const (
	OpLogin   = "login"   // LoginReq → LoginResp; must be the first request on a connection
	OpSync    = "sync"    // SyncReq → SyncResp
	OpPull    = "pull"    // PullReq → PullResp
	OpSend    = "send"    // SendReq → SendResp
	OpRead    = "read"    // ReadReq → Conv (the caller's updated view)
	OpReceipt = "receipt" // ReceiptReq → Receipt
	OpKick    = "kick"    // KickReq → KickResp
	OpLogout  = "logout"  // no payload → no payload; the server then closes the connection
	OpPing    = "ping"    // no payload → no payload; application-level heartbeat
	OpUsers   = "users"   // UsersReq → UsersResp

	OpUploadGrant = "upgrant"  // UploadGrantReq → UploadGrant
	OpRevoke      = "revoke"   // RevokeReq → Revoke
	OpHistory     = "history"  // HistoryReq → HistoryResp
	OpDeleteConvs = "delconvs" // DeleteConvsReq → no payload
)

// WebSocket close statuses the server uses besides the standard ones. A
// client must not reconnect after CloseOriginNotAllowed: the reason says
// which origin to allow and how.
const (
	CloseOriginNotAllowed = 4403 // the page's origin is not allowed to open /ws
)

// Push kinds (server → client).
const (
	PushMsg     = "msg"     // Msg: a new message in one of the account's conversations
	PushChange  = "change"  // Change: an entry appended to the account's change log
	PushKick    = "kick"    // Kick: this connection is being closed by the server
	PushClients = "clients" // Clients: the account's other online clients changed
)

// Change kinds: what a change-log entry's Key and Data are. A later change
// of the same (Kind, Key) supersedes an earlier one: the log keeps only the
// newest per key, so its size is bounded by the number of keys.
const (
	// ChangeConv: Key is a conversation id, Data the account's Conv after
	// its read mark moved (on another device or this one).
	ChangeConv = "conv"
	// ChangeReceipt: Key is a conversation id, Data a Receipt: the peer
	// has read the account's messages up to Seq.
	ChangeReceipt = "receipt"
	// ChangeRevoke: Key is RevokeKey(conv, seq), Data a Revoke: a message
	// of one of the account's conversations was revoked. Every member's log
	// (the sender's too, for its other devices) gets one.
	ChangeRevoke = "revoke"
	// ChangeConvDeleted: Key is a conversation id, Data a ConvDeleted: the
	// account deleted the conversation from its server-side session list
	// (deleteRemoteSessions). It is listed again once a newer message
	// arrives.
	ChangeConvDeleted = "convdel"
)

// Error codes, NetEase's numbers (../shared/notes/nim-reference.md).
const (
	CodeOK          = 200
	CodeBadAuth     = 302 // wrong account or token
	CodeForbidden   = 403
	CodeNotFound    = 404
	CodeTimeout     = 408
	CodeBadParam    = 414
	CodeNetwork     = 415 // not connected / network problem
	CodeRateLimited = 416
	CodeExists      = 417
	CodeDisabled    = 422
	CodeServer      = 500
	CodeExpired     = 508 // e.g. a revoke after the revoke window
)

// Chat (session) types.
const (
	ChatP2P       = 0
	ChatTeam      = 1
	ChatRoom      = 2
	ChatYsf       = 3
	ChatSuperTeam = 5
)

// Message body types.
const (
	MsgText         = 0
	MsgImage        = 1
	MsgAudio        = 2
	MsgVideo        = 3
	MsgLocation     = 4
	MsgNotification = 5
	MsgFile         = 6
	MsgTip          = 10
)

// ClientWeb is the client type of this SDK (NIM's 16).
const ClientWeb = 16

// ValidClientType reports whether t is one of NIM's client types: 1
// Android, 2 iOS, 4 PC (Windows), 8 Windows Phone, 16 Web, 32 REST (the
// app's server), 64 macOS.
func ValidClientType(t int) bool {
	switch t {
	case 1, 2, 4, 8, 16, 32, 64:
		return true
	}
	return false
}

// Kick reasons, as in the plugin doc's reasonCode.
const (
	KickByOtherLogin  = 1 // a mutually exclusive client logged in
	KickByServer      = 2
	KickByOtherClient = 3 // another client of the account chose to kick this one
)

// LoginReq authenticates the connection.
type LoginReq struct {
	AppKey     string `json:"appKey"`
	Account    string `json:"account"`
	Token      string `json:"token"`
	ClientType int    `json:"clientType"` // 16 for this SDK
	OS         string `json:"os,omitempty"`
	DeviceID   string `json:"deviceId,omitempty"` // stable per browser profile
	Version    int    `json:"version"`            // protocol Version
}

// LoginResp is the reply to a successful login.
type LoginResp struct {
	ServerTime int64        `json:"serverTime"` // ms since the epoch
	ClientID   string       `json:"clientId"`   // this connection's id, as others see it in Clients
	Clients    []ClientInfo `json:"clients"`    // the account's other online clients
}

// ClientInfo describes one online client (connection) of an account.
type ClientInfo struct {
	ID         string `json:"id"`
	ClientType int    `json:"clientType"`
	OS         string `json:"os"`
	LoginTime  int64  `json:"loginTime"` // ms
	IP         string `json:"clientIp"`
}

// Clients is the PushClients payload: the full list of the account's other clients.
type Clients struct {
	Clients []ClientInfo `json:"clients"`
}

// Kick is the PushKick payload.
type Kick struct {
	Reason     int    `json:"reason"`     // KickBy*
	ClientType int    `json:"clientType"` // the client type that caused it (0 when the server did)
	Desc       string `json:"desc,omitempty"`
}

// KickReq asks the server to disconnect the account's other clients of ClientType.
type KickReq struct {
	ClientType int `json:"clientType"`
}

// KickResp says how many connections were kicked.
type KickResp struct {
	Kicked int `json:"kicked"`
}

// Msg is a message as stored and delivered.
type Msg struct {
	ServerID   string        `json:"sid,omitempty"` // assigned by the server
	ClientID   string        `json:"cid"`           // the sender's messageId; (From, ClientID) is unique
	Conv       string        `json:"conv,omitempty"`
	Seq        int64         `json:"seq,omitempty"` // per-conversation, 1, 2, 3…, assigned when stored
	From       string        `json:"from,omitempty"`
	To         string        `json:"to"` // receiver account (P2P) or team id
	ChatType   int           `json:"ct"`
	Type       int           `json:"type"`
	Body       jx.RawMessage `json:"body"`          // the body without "type", e.g. {"text":"hi"}
	Ext        jx.RawMessage `json:"ext,omitempty"` // remoteExt, a JSON object ≤ 1 KB
	Time       int64         `json:"time,omitempty"`
	FromClient int           `json:"fct,omitempty"` // sender's client type
	// Nick is the sender's nickname when the message was stored (the
	// doc's senderName and fromNick); the server sets it.
	Nick string `json:"nick,omitempty"`
	// Revoked marks a revoked message in a pull: its Body and Ext are
	// gone from the server; it keeps its Seq so that the sequence has no
	// hole. History leaves revoked messages out.
	Revoked bool `json:"revoked,omitempty"`
	// TeamReceipt: a team message that asks its readers for receipts
	// (teamReceiptEnabled; teamreceipts.go). The server fills
	// ReceiptRead and ReceiptUnread on such messages in pulls and history,
	// and ReceiptUnread (every other valid member) in the SendResp.
	TeamReceipt   bool `json:"trc,omitempty"`
	ReceiptRead   int  `json:"trr,omitempty"`
	ReceiptUnread int  `json:"tru,omitempty"`
}

// SendReq sends one message. Sending is idempotent: resending the same
// (sender, ClientID) returns the stored message's SendResp and delivers nothing new.
type SendReq struct {
	Msg Msg `json:"msg"`
}

// SendResp acknowledges a durably stored message.
type SendResp struct {
	ServerID string `json:"sid"`
	Conv     string `json:"conv"`
	Seq      int64  `json:"seq"`
	Time     int64  `json:"time"`
	Dup      bool   `json:"dup,omitempty"` // true when this ClientID had been stored before
	// ReceiptUnread: for a team message with TeamReceipt, the other valid
	// members when it was stored (its teamReceiptInfo.unreadCount).
	ReceiptUnread int `json:"tru,omitempty"`
}

// Change is one entry of an account's change log: every write another device
// of the account must learn about (a read mark, a receipt, and later friend,
// team and notification changes) appends one, numbered by the account's
// counter Ver (1, 2, 3…). Data is the new state of (Kind, Key), absent when
// Deleted.
type Change struct {
	Ver     int64         `json:"ver"`
	Kind    string        `json:"kind"` // Change*
	Key     string        `json:"key"`
	Deleted bool          `json:"deleted,omitempty"`
	Data    jx.RawMessage `json:"data,omitempty"`
}

// Conv is one conversation as seen by one account.
type Conv struct {
	ID           string `json:"id"`
	ChatType     int    `json:"ct"`
	Peer         string `json:"peer"`                   // the session id from this account's side: the other account (P2P) or the team id
	LastSeq      int64  `json:"lastSeq"`                // highest seq stored in the conversation
	LastTime     int64  `json:"lastTime"`               // time of that message
	ReadSeq      int64  `json:"readSeq"`                // this account's read mark
	Unread       int    `json:"unread"`                 // messages from others with seq > ReadSeq
	NoteUnread   int    `json:"noteUnread,omitempty"`   // how many of Unread are notification messages (MsgNotification)
	Floor        int64  `json:"floor,omitempty"`        // team: the account's pull window starts after this seq (its TeamMember.JoinSeq); seqs up to it are never served to it
	PeerReadSeq  int64  `json:"peerReadSeq,omitempty"`  // P2P: the peer has read this account's messages up to here
	PeerReadTime int64  `json:"peerReadTime,omitempty"` // when that receipt was sent
	Ver          int64  `json:"ver"`                    // the conversation's stamp (SyncResp.ConvVer) when its last message was stored
}

// SyncReq asks for what changed after two cursors: the account's change
// log after Since, then the account's conversations with a new message
// after ConvSince. Both are 0 the first time.
type SyncReq struct {
	Since     int64 `json:"since"`
	ConvSince int64 `json:"convSince"`
}

// SyncResp is one page of a sync: Changes in Ver order first, then Convs in
// Ver (stamp) order, cut by count (MaxSync) and bytes (MaxPage). Ver and
// ConvVer are the cursors to send next; More is true when the page was cut:
// sync again from them at once.
type SyncResp struct {
	Changes []Change `json:"changes"`
	Convs   []Conv   `json:"convs"`
	Ver     int64    `json:"ver"`
	ConvVer int64    `json:"convVer"`
	More    bool     `json:"more,omitempty"`
}

// MaxSync is the most changes plus conversations one sync page returns.
const MaxSync = 1000

// Cursor says "I have conversation Conv up to seq After".
type Cursor struct {
	Conv  string `json:"conv"`
	After int64  `json:"after"`
}

// PullReq fetches messages with seq > After for each cursor, oldest first,
// at most Limit in total (the server caps it at MaxPull).
type PullReq struct {
	Cursors []Cursor `json:"cursors"`
	Limit   int      `json:"limit"`
}

// MaxPull is the most messages one pull returns.
const MaxPull = 1000

// PullResp carries messages ordered by (conversation, seq). More is true when
// the limit or the byte budget (MaxPage) cut the answer short: pull again
// from the new cursors. Floors names, for each cursor whose After was below
// the start of the caller's window of a team conversation (its JoinSeq),
// that start: the caller counts every seq up to it as known (none of them
// will ever be served to it).
type PullResp struct {
	Msgs   []Msg            `json:"msgs"`
	More   bool             `json:"more"`
	Floors map[string]int64 `json:"floors,omitempty"`
}

// ReadReq moves the caller's read mark in Conv up to Seq (never down).
type ReadReq struct {
	Conv string `json:"conv"`
	Seq  int64  `json:"seq"`
}

// ReceiptReq tells the peer of a P2P conversation that the caller has read
// up to Seq (the message ClientID, kept for the peer's event).
type ReceiptReq struct {
	Conv     string `json:"conv"`
	Seq      int64  `json:"seq"`
	ClientID string `json:"cid,omitempty"`
}

// Receipt is the reply to ReceiptReq and the Data of a ChangeReceipt.
type Receipt struct {
	Conv     string `json:"conv"`
	From     string `json:"from"` // who read
	Seq      int64  `json:"seq"`
	ClientID string `json:"cid,omitempty"`
	Time     int64  `json:"time"`
}

// UsersReq asks for the public profiles of up to MaxUsers accounts.
type UsersReq struct {
	Accounts []string `json:"accounts"`
}

// MaxUsers is the most accounts one UsersReq may name (NIM's 150).
const MaxUsers = 150

// UsersResp lists the profiles (UserInfo, people.go) of the accounts of a
// UsersReq that exist, in the order asked; unknown accounts are left out.
// The reply is cut at the byte budget (MaxPage) like pull's: Next > 0 is
// the index in the request's Accounts where the next request should start
// (ask again with Accounts[Next:]); 0 means every account was answered.
type UsersResp struct {
	Users []UserInfo `json:"users"`
	Next  int        `json:"next,omitempty"`
}

// P2PConv is the conversation id of two accounts, the same from both sides.
func P2PConv(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "p:" + a + "|" + b
}

// P2PPeer returns the other account of a P2P conversation id, or "" if conv
// is not a P2P id containing me.
func P2PPeer(conv, me string) string {
	rest, ok := strings.CutPrefix(conv, "p:")
	if !ok {
		return ""
	}
	a, b, ok := strings.Cut(rest, "|")
	if !ok {
		return ""
	}
	switch me {
	case a:
		return b
	case b:
		return a
	}
	return ""
}

// ValidAccount reports whether s is an acceptable account id: 1–32 of
// letters, digits and _ . @ -  (NIM's accid rules).
func ValidAccount(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

// Limits shared by both sides: the SDK (core) checks them before sending and
// the server checks them again.
const (
	MaxTextRunes  = 5000 // text message length, in characters; text must not be blank (whitespace only)
	MaxExtBytes   = 1024 // remoteExt, as JSON
	MaxTokenBytes = 128  // login token (NIM's limit)
	MaxIDBytes    = 64   // a client message id (cid)
	MaxMessageIDs = 100  // message ids in one query (messagesInSessionWithMessageIds)
)

// TextProblem says what is wrong with a text message's text ("" when it is
// acceptable): empty, blank (whitespace only) or longer than MaxTextRunes.
// The SDK and the server both use it, so they agree.
func TextProblem(text string) string {
	if text == "" {
		return "must not be empty"
	}
	if strings.TrimSpace(text) == "" {
		return "must not be blank (whitespace only)"
	}
	if utf8.RuneCountInString(text) > MaxTextRunes {
		return "must be at most 5000 characters"
	}
	return ""
}

// Message bodies (Msg.Body, without "type") of the types beyond text, in
// the plugin doc's field names. An attachment's url is the download URL the
// server's upload returned (UploadResp.URL); the local fields of the doc
// (path, thumbPath, coverPath) never go to the server.

// Size is an image's or a video cover's width and height in pixels.
type Size struct {
	W int `json:"w"`
	H int `json:"h"`
}

// AttachBody is the body of an image, voice (audio), video or file
// message. Which optional fields are set depends on the type: image Size and
// ThumbURL, voice Duration, video Duration, Width, Height, CoverURL and
// CoverSize.
type AttachBody struct {
	URL         string `json:"url"`
	DisplayName string `json:"displayName,omitempty"`
	FileLength  int64  `json:"fileLength"`
	MD5         string `json:"md5"`           // hex
	Ext         string `json:"ext,omitempty"` // extension without the dot, e.g. "png"
	ThumbURL    string `json:"thumbUrl,omitempty"`
	Size        *Size  `json:"size,omitempty"`
	Duration    int64  `json:"duration,omitempty"` // ms
	Width       int    `json:"width,omitempty"`    // video (Android's names)
	Height      int    `json:"height,omitempty"`
	CoverURL    string `json:"coverUrl,omitempty"`
	CoverSize   *Size  `json:"coverSize,omitempty"`
}

// LocationBody is the body of a location message.
type LocationBody struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Title     string  `json:"title"`
}

// TipBody is the body of a tip message (and, like text, of a text message).
type TipBody struct {
	Text string `json:"text"`
}

// Files. An upload goes over HTTP, not the WebSocket: the client asks for a
// short-lived grant (OpUploadGrant) for one file of a given size, type and
// md5, then POSTs the bytes to UploadGrant.URL with
// "Authorization: Bearer <Token>" and "Content-Type: <mime>". The server
// stores them if the length and md5 match the grant and answers UploadResp
// (JSON; an error answers {"code":…,"msg":…} with an HTTP error status).

// MaxUploadBytes is the server's default limit on one uploaded file
// (YUNXIN_MAX_UPLOAD overrides it).
const MaxUploadBytes = 100 << 20

// UploadGrantReq asks for permission to upload one file.
type UploadGrantReq struct {
	Name string `json:"name"` // display name, e.g. "photo.png"
	Size int64  `json:"size"` // bytes
	Mime string `json:"mime"` // content type, e.g. "image/png"
	MD5  string `json:"md5"`  // hex md5 of the bytes
}

// UploadGrant permits one upload of the file described in the request
// until Expires.
type UploadGrant struct {
	URL      string `json:"url"`      // the upload endpoint: a path on the server ("/files") or an absolute URL
	Token    string `json:"token"`    // the bearer token of the POST
	Expires  int64  `json:"expires"`  // ms since the epoch
	MaxBytes int64  `json:"maxBytes"` // the server's size limit
}

// UploadResp describes a stored file.
type UploadResp struct {
	URL  string `json:"url"` // absolute download URL, unguessable
	Name string `json:"name"`
	Size int64  `json:"size"`
	MD5  string `json:"md5"`
	Mime string `json:"mime"`
}

// Revoking. The sender revokes its own message within the server's revoke
// window (CodeExpired after it; CodeForbidden for another's message, but
// for a team's owner and managers, see RevokeReq.From). The
// message's body leaves the server; every member's change log gets a
// ChangeRevoke, pushed to online devices and synced by the others.

// RevokeReq revokes the message ClientID in Conv sent by the caller, or by
// From: in an advanced or super team the owner may revoke any member's
// message and a manager a normal member's (CodeForbidden otherwise).
type RevokeReq struct {
	Conv       string `json:"conv"`
	ClientID   string `json:"cid"`
	Postscript string `json:"ps,omitempty"`   // ≤ MaxPostscriptBytes
	From       string `json:"from,omitempty"` // the message's sender when not the caller
}

// MaxPostscriptBytes bounds a revoke's postscript.
const MaxPostscriptBytes = 1024

// Revoke is the reply to RevokeReq and the Data of a ChangeRevoke.
type Revoke struct {
	Conv       string `json:"conv"`
	ChatType   int    `json:"ct"`
	Seq        int64  `json:"seq"`
	ClientID   string `json:"cid"`
	ServerID   string `json:"sid"`
	MsgFrom    string `json:"msgFrom"` // who sent the message
	MsgTime    int64  `json:"msgTime"` // when it was stored, ms
	By         string `json:"by"`      // who revoked it
	Time       int64  `json:"time"`    // when it was revoked, ms
	Postscript string `json:"ps,omitempty"`
}

// RevokeKey is the change-log key of a revoke: the conversation and the seq.
func RevokeKey(conv string, seq int64) string {
	return conv + "#" + strconv.FormatInt(seq, 10)
}

// History. A page reads older (or newer) messages of a conversation from
// the server, past what the client roamed.

// MaxHistory is the most messages one HistoryReq returns (NIM's 100).
const MaxHistory = 100

// HistoryReq asks for up to Limit messages of Conv next to the message
// with seq Seq (not included): older ones by default, newer ones with
// Newer. Seq 0 means from the newest end (or, with Newer, the oldest).
type HistoryReq struct {
	Conv  string `json:"conv"`
	Seq   int64  `json:"seq"`
	Newer bool   `json:"newer,omitempty"`
	Limit int    `json:"limit"` // 1…MaxHistory; 0 = 100
}

// HistoryResp carries messages in seq order (ascending), revoked ones left
// out. More is true when there are further messages in that direction.
type HistoryResp struct {
	Msgs []Msg `json:"msgs"`
	More bool  `json:"more"`
}

// DeleteConvsReq deletes conversations from the caller's server-side
// session list (deleteRemoteSessions): at most MaxDeleteConvs. Each gets a
// ChangeConvDeleted in the caller's log; a conversation the caller is not a
// member of is skipped.
type DeleteConvsReq struct {
	Convs []string `json:"convs"`
}

// MaxDeleteConvs bounds DeleteConvsReq.Convs.
const MaxDeleteConvs = 100

// ConvDeleted is the Data of a ChangeConvDeleted: the account deleted Conv
// when its last message was Seq, at Time (ms).
type ConvDeleted struct {
	Conv string `json:"conv"`
	Seq  int64  `json:"seq"`
	Time int64  `json:"time"`
}
