package core

import (
	"bytes"
	"encoding/json"
	"strings"

	"yunxin/proto"
)

// The SDK's one validation layer: every limit of a method's parameters is
// checked here, before anything is sent or cached (the server checks again
// for its own safety). jsapi only converts JS values to Go ones. The errors
// are 414s naming the parameter as the page knows it.

const accountRule = "must be an account id (1-32 letters, digits, _ . @ -)"

// checkAccount checks an account id parameter (NIM's accid rules).
func checkAccount(name, s string) error {
	if s == "" {
		return BadParam(name, "must not be empty")
	}
	if !proto.ValidAccount(s) {
		return BadParam(name, accountRule)
	}
	return nil
}

// checkCredentials checks login's and autoLogin's account and token.
func checkCredentials(account, token string) error {
	if err := checkAccount("account", account); err != nil {
		return err
	}
	if token == "" {
		return BadParam("token", "must not be empty")
	}
	if len(token) > proto.MaxTokenBytes {
		return BadParam("token", "is longer than "+itoa(proto.MaxTokenBytes)+" bytes")
	}
	return nil
}

// CheckChatType checks a chatType parameter: 0 (P2P) is supported; the
// plugin's other types (1 team, 2 chat room, 3 ysf, 5 super team) answer
// "not supported yet"; anything else is out of range.
func CheckChatType(chatType int) error {
	switch chatType {
	case proto.ChatP2P:
		return nil
	case proto.ChatTeam, proto.ChatRoom, proto.ChatYsf, proto.ChatSuperTeam:
		return ErrNotSupported("chatType " + itoa(chatType))
	}
	return BadParam("chatType", "must be 0, 1, 2, 3 or 5")
}

// checkSession checks a sessionId/chatType pair.
func checkSession(sessionID string, chatType int) error {
	if err := checkAccount("sessionId", sessionID); err != nil {
		return err
	}
	return CheckChatType(chatType)
}

// checkText checks a text message's text (proto.TextProblem: not empty, not
// blank, at most 5000 characters).
func checkText(text string) error {
	if p := proto.TextProblem(text); p != "" {
		return BadParam("text", p)
	}
	return nil
}

// CheckExt validates a remoteExt value: absent, null, or a JSON object of
// at most proto.MaxExtBytes once compacted.
func CheckExt(ext json.RawMessage) error {
	_, err := normalizeExt(ext)
	return err
}

// normalizeExt returns ext compacted (nil for absent or null) or the 414
// saying what is wrong with it.
func normalizeExt(ext json.RawMessage) (json.RawMessage, error) {
	t := bytes.TrimSpace(ext)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] != '{' {
		return nil, BadParam("ext", "must be an object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return nil, BadParam("ext", "must be an object")
	}
	if buf.Len() > proto.MaxExtBytes {
		return nil, BadParam("ext", "is longer than "+itoa(proto.MaxExtBytes)+" bytes as JSON")
	}
	return json.RawMessage(buf.Bytes()), nil
}

// checkMessageID checks one message id parameter (a client message id).
func checkMessageID(name, id string) error {
	if id == "" {
		return BadParam(name, "must not be empty")
	}
	if len(id) > proto.MaxIDBytes {
		return BadParam(name, "is longer than "+itoa(proto.MaxIDBytes)+" bytes")
	}
	return nil
}

// checkMessageIDs checks messagesInSessionWithMessageIds' messageIds.
func checkMessageIDs(ids []string) error {
	if len(ids) > proto.MaxMessageIDs {
		return BadParam("messageIds", "has more than "+itoa(proto.MaxMessageIDs)+" entries")
	}
	for _, id := range ids {
		if id == "" {
			return BadParam("messageIds", "must not contain an empty id")
		}
		if len(id) > proto.MaxIDBytes {
			return BadParam("messageIds", "has an id longer than "+itoa(proto.MaxIDBytes)+" bytes")
		}
	}
	return nil
}

// MaxLimit is the most messages one messagesInSession call returns; a
// larger limit is lowered to it.
const MaxLimit = 100

// checkLimit checks messagesInSession's limit and returns it capped at MaxLimit.
func checkLimit(limit int) (int, error) {
	if limit < 1 {
		return 0, BadParam("limit", "must be at least 1")
	}
	return min(limit, MaxLimit), nil
}

// checkClientType checks kickOtherClient's client: one of NIM's client types.
func checkClientType(ct int) error {
	switch ct {
	case 1, 2, 4, 8, 16, 32, 64:
		return nil
	}
	return BadParam("client", "must be one of 1, 2, 4, 8, 16, 32, 64")
}

// Check validates a configuration (yunxinIM.init): server, when set, is a
// ws:// or wss:// URL and maxAutoLoginRetryTimes is not negative.
func (cfg Config) Check() error {
	if cfg.Server != "" && !strings.HasPrefix(cfg.Server, "ws://") && !strings.HasPrefix(cfg.Server, "wss://") {
		return BadParam("server", "must be a ws:// or wss:// URL")
	}
	if cfg.MaxAutoLoginRetryTimes < 0 {
		return BadParam("maxAutoLoginRetryTimes", "must not be negative")
	}
	return nil
}

// checkPostscript checks revokeMessage's postscript: at most
// proto.MaxPostscriptBytes.
func checkPostscript(ps string) error {
	if len(ps) > proto.MaxPostscriptBytes {
		return BadParam("postscript", "is longer than "+itoa(proto.MaxPostscriptBytes)+" bytes")
	}
	return nil
}

// checkHistoryLimit checks pullMessageHistory's limit: 1…proto.MaxHistory
// (the doc's maximum, 100; unlike messagesInSession's it is not lowered).
func checkHistoryLimit(limit int) error {
	if limit < 1 || limit > proto.MaxHistory {
		return BadParam("limit", "must be from 1 to "+itoa(proto.MaxHistory))
	}
	return nil
}

// MaxLocalExtBytes bounds a recent session's localExt (updateRecentLocalExt)
// as compacted JSON.
const MaxLocalExtBytes = 4096

// normalizeLocalExt returns updateRecentLocalExt's localExt compacted (nil
// for absent or null, which clears it) or the 414 saying what is wrong: it
// must be a JSON object of at most MaxLocalExtBytes.
func normalizeLocalExt(ext json.RawMessage) (json.RawMessage, error) {
	t := bytes.TrimSpace(ext)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	var buf bytes.Buffer
	if t[0] != '{' || json.Compact(&buf, t) != nil {
		return nil, BadParam("localExt", "must be an object")
	}
	if buf.Len() > MaxLocalExtBytes {
		return nil, BadParam("localExt", "is longer than "+itoa(MaxLocalExtBytes)+" bytes as JSON")
	}
	return json.RawMessage(buf.Bytes()), nil
}

// checkSessionRefs checks deleteRemoteSessions' sessions: 1…
// proto.MaxDeleteConvs valid sessionId/chatType pairs.
func checkSessionRefs(refs []SessionRef) error {
	if len(refs) == 0 {
		return BadParam("sessions", "must not be empty")
	}
	if len(refs) > proto.MaxDeleteConvs {
		return BadParam("sessions", "has more than "+itoa(proto.MaxDeleteConvs)+" entries")
	}
	for _, r := range refs {
		if err := checkSession(r.SessionID, r.ChatType); err != nil {
			return err
		}
	}
	return nil
}
