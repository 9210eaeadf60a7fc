package core

import (
	"bytes"
	"math"
	"strings"

	"yunxin/internal/jx"
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

// CheckChatType checks a chatType parameter: 0 (P2P), 1 (team) and 5
// (super team) are supported; the plugin's other types (2 chat room, 3
// ysf) answer "not supported yet"; anything else is out of range.
func CheckChatType(chatType int) error { return checkChatTypeParam("chatType", chatType) }

// checkChatTypeParam checks a chat type parameter called name (chatType,
// toChatType), as CheckChatType.
func checkChatTypeParam(name string, chatType int) error {
	switch chatType {
	case proto.ChatP2P, proto.ChatTeam, proto.ChatSuperTeam:
		return nil
	case proto.ChatRoom, proto.ChatYsf:
		return ErrNotSupported(name + " " + itoa(chatType))
	}
	return BadParam(name, "must be 0, 1, 2, 3 or 5")
}

// checkSession checks a sessionId/chatType pair: an account id for P2P, a
// team id for a team or super team.
func checkSession(sessionID string, chatType int) error {
	return checkSessionParams("sessionId", "chatType", sessionID, chatType)
}

// checkSessionParams checks a session id parameter called idName with its
// chat type parameter called ctName (sessionId/chatType,
// toSessionId/toChatType).
func checkSessionParams(idName, ctName, sessionID string, chatType int) error {
	if err := checkChatTypeParam(ctName, chatType); err != nil {
		return err
	}
	if isTeamChat(chatType) {
		return checkTeamSessionID(idName, sessionID)
	}
	return checkAccount(idName, sessionID)
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
func CheckExt(ext jx.RawMessage) error {
	_, err := normalizeExt(ext)
	return err
}

// normalizeExt returns ext compacted (nil for absent or null) or the 414
// saying what is wrong with it.
func normalizeExt(ext jx.RawMessage) (jx.RawMessage, error) {
	t := bytes.TrimSpace(ext)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] != '{' {
		return nil, BadParam("ext", "must be an object")
	}
	buf, err := jx.Compact(nil, t)
	if err != nil {
		return nil, BadParam("ext", "must be an object")
	}
	if len(buf) > proto.MaxExtBytes {
		return nil, BadParam("ext", "is longer than "+itoa(proto.MaxExtBytes)+" bytes as JSON")
	}
	return jx.RawMessage(buf), nil
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
func normalizeLocalExt(ext jx.RawMessage) (jx.RawMessage, error) {
	t := bytes.TrimSpace(ext)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	buf, err := jx.Compact(nil, t)
	if t[0] != '{' || err != nil {
		return nil, BadParam("localExt", "must be an object")
	}
	if len(buf) > MaxLocalExtBytes {
		return nil, BadParam("localExt", "is longer than "+itoa(MaxLocalExtBytes)+" bytes as JSON")
	}
	return jx.RawMessage(buf), nil
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

// Limits of the attachment and location fields (the server checks the same).
const (
	maxDisplayNameBytes = 255
	maxExtensionBytes   = 16
	maxTitleBytes       = 1024
	maxDurationMs       = 24 * 60 * 60 * 1000 // 24 h
	maxPixels           = 65535               // width or height
)

// errAppPath is the answer to an APICloud app path (fs://, widget://).
func errAppPath(name string) error {
	return Errf(proto.CodeBadParam, "parameter "+name+": fs:// and widget:// are APICloud app paths; in a browser pass "+
		"a File or Blob, a blob: or data: URL, or an http(s) URL")
}

// checkPath checks a file parameter (path, filepath): a blob: or data: URL
// (a File or Blob passed by the page arrives as a blob: URL) or an http(s)
// URL. fs:// and widget:// paths get a 414 saying what to pass instead.
func checkPath(name, path string) error {
	switch {
	case path == "":
		return BadParam(name, "must not be empty (pass a File or Blob, a blob: or data: URL, or an http(s) URL)")
	case strings.HasPrefix(path, "fs://"), strings.HasPrefix(path, "widget://"):
		return errAppPath(name)
	case strings.HasPrefix(path, "blob:"), strings.HasPrefix(path, "data:"),
		strings.HasPrefix(path, "http://"), strings.HasPrefix(path, "https://"):
		return nil
	}
	return BadParam(name, "must be a File or Blob, a blob: or data: URL, or an http(s) URL")
}

// checkURL checks download's urlString: an http(s) URL.
func checkURL(name, url string) error {
	if url == "" {
		return BadParam(name, "must not be empty")
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return BadParam(name, "must be an http(s) URL")
	}
	return nil
}

// checkName checks a short display string: at most max bytes, no control
// characters.
func checkName(name, s string, max int) error {
	if len(s) > max {
		return BadParam(name, "is longer than "+itoa(max)+" bytes")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return BadParam(name, "must not contain control characters")
		}
	}
	return nil
}

// checkSendParams checks the params of sendImage, sendVoice, sendVideo,
// sendFile, sendLocation and sendTip (SendParams) and returns ext
// normalized.
func checkSendParams(p SendParams) (jx.RawMessage, error) {
	if err := checkSession(p.SessionID, p.ChatType); err != nil {
		return nil, err
	}
	switch p.Type {
	case proto.MsgImage, proto.MsgAudio, proto.MsgVideo, proto.MsgFile:
		if err := checkPath("path", p.Path); err != nil {
			return nil, err
		}
		if err := checkName("displayName", p.DisplayName, maxDisplayNameBytes); err != nil {
			return nil, err
		}
		if err := checkName("extension", p.Extension, maxExtensionBytes); err != nil {
			return nil, err
		}
		if strings.Contains(p.Extension, ".") || strings.Contains(p.Extension, "/") {
			return nil, BadParam("extension", "must be an extension without the dot, e.g. \"pdf\"")
		}
		if p.Duration < 0 || p.Duration > maxDurationMs {
			return nil, BadParam("duration", "must be 0 to "+itoa(maxDurationMs)+" ms")
		}
		if p.Width < 0 || p.Width > maxPixels {
			return nil, BadParam("width", "must be 0 to "+itoa(maxPixels))
		}
		if p.Height < 0 || p.Height > maxPixels {
			return nil, BadParam("height", "must be 0 to "+itoa(maxPixels))
		}
	case proto.MsgLocation:
		if math.IsNaN(p.Latitude) || p.Latitude < -90 || p.Latitude > 90 {
			return nil, BadParam("latitude", "must be a number from -90 to 90")
		}
		if math.IsNaN(p.Longitude) || p.Longitude < -180 || p.Longitude > 180 {
			return nil, BadParam("longitude", "must be a number from -180 to 180")
		}
		if err := checkName("address", p.Title, maxTitleBytes); err != nil {
			return nil, err
		}
	case proto.MsgTip:
		if err := checkText(p.Text); err != nil {
			return nil, err
		}
	default:
		return nil, BadParam("type", "must be 1 (image), 2 (voice), 3 (video), 4 (location), 6 (file) or 10 (tip)")
	}
	return normalizeExt(p.Ext)
}
