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
	"encoding/json"
	"strings"
)

// Version is the protocol version the client announces in LoginReq.Version.
// The server refuses a client whose major version it does not speak (414).
const Version = 1

// MaxFrame is the largest frame either side accepts, in bytes.
const MaxFrame = 1 << 20

// Frame is one WebSocket message.
type Frame struct {
	ID   uint64          `json:"id,omitempty"`   // request id chosen by the client; echoed in the reply
	Op   string          `json:"op,omitempty"`   // request op or push kind; empty in replies
	Code int             `json:"code,omitempty"` // replies only: 200 ok, otherwise a NIM error code
	Msg  string          `json:"msg,omitempty"`  // replies with Code != 200: what went wrong
	Data json.RawMessage `json:"d,omitempty"`    // the op's payload
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
)

// Push kinds (server → client).
const (
	PushMsg     = "msg"     // Msg: a new message in one of the account's conversations
	PushConv    = "conv"    // Conv: a conversation's state changed (read mark from another device, receipt)
	PushReceipt = "receipt" // Receipt: the peer has read the account's messages up to Seq
	PushKick    = "kick"    // Kick: this connection is being closed by the server
	PushClients = "clients" // Clients: the account's other online clients changed
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
	MsgText = 0
)

// ClientWeb is the client type of this SDK (NIM's 16).
const ClientWeb = 16

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
	ServerID   string          `json:"sid,omitempty"` // assigned by the server
	ClientID   string          `json:"cid"`           // the sender's messageId; (From, ClientID) is unique
	Conv       string          `json:"conv,omitempty"`
	Seq        int64           `json:"seq,omitempty"` // per-conversation, 1, 2, 3…, assigned when stored
	From       string          `json:"from,omitempty"`
	To         string          `json:"to"` // receiver account (P2P) or team id
	ChatType   int             `json:"ct"`
	Type       int             `json:"type"`
	Body       json.RawMessage `json:"body"`          // the body without "type", e.g. {"text":"hi"}
	Ext        json.RawMessage `json:"ext,omitempty"` // remoteExt, a JSON object ≤ 1 KB
	Time       int64           `json:"time,omitempty"`
	FromClient int             `json:"fct,omitempty"` // sender's client type
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
	PeerReadSeq  int64  `json:"peerReadSeq,omitempty"`  // P2P: the peer has read this account's messages up to here
	PeerReadTime int64  `json:"peerReadTime,omitempty"` // when that receipt was sent
	Ver          int64  `json:"ver"`                    // the account's change counter when this row last changed
}

// SyncReq asks for the conversations that changed after the account's change counter Since.
type SyncReq struct {
	Since int64 `json:"since"`
}

// SyncResp lists the changed conversations and the counter to send next time.
type SyncResp struct {
	Convs []Conv `json:"convs"`
	Ver   int64  `json:"ver"`
}

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
// the limit cut the answer short: pull again from the new cursors.
type PullResp struct {
	Msgs []Msg `json:"msgs"`
	More bool  `json:"more"`
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

// Receipt is the PushReceipt payload and the reply to ReceiptReq.
type Receipt struct {
	Conv     string `json:"conv"`
	From     string `json:"from"` // who read
	Seq      int64  `json:"seq"`
	ClientID string `json:"cid,omitempty"`
	Time     int64  `json:"time"`
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

// Limits shared by both sides.
const (
	MaxTextRunes = 5000 // text message length, in characters
	MaxExtBytes  = 1024 // remoteExt, as JSON
)
