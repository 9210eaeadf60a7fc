package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// The messages domain: send and pull.
func init() {
	register(proto.OpSend, opSend)
	register(proto.OpPull, opPull)
}

// maxCursors is the most cursors one pull may carry.
const maxCursors = 10000

// pullBatch is the most messages pull reads from the store at once: it
// stops reading once the page is full, so a pull holds at most a page and
// one batch of messages, not MaxPull.
const pullBatch = 64

// teamNoteIDPrefix starts the client ids of team notification messages
// (sqlitestore), which clients may not use.
const teamNoteIDPrefix = "tn-"

// opSend stores and fans out one message: P2P (to an account), or to a
// team (sendTeam).
func opSend(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.SendReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	m := req.Msg
	if m.ClientID == "" || len(m.ClientID) > proto.MaxIDBytes {
		return result{}, errorf(proto.CodeBadParam, "msg.cid must be 1-%d bytes", proto.MaxIDBytes)
	}
	if strings.HasPrefix(m.ClientID, teamNoteIDPrefix) {
		// Reserved: the store's team notification messages are
		// "tn-<tid>-<seq>" from the acting member.
		return result{}, errorf(proto.CodeBadParam, "messageId must not start with %s", teamNoteIDPrefix)
	}
	switch m.ChatType {
	case proto.ChatP2P:
	case proto.ChatTeam, proto.ChatSuperTeam:
		return sendTeam(ctx, c, m)
	default:
		return result{}, errorf(proto.CodeBadParam, "chatType must be 0 (P2P), 1 (team) or 5 (super team), not %d", m.ChatType)
	}
	if !proto.ValidAccount(m.To) {
		return result{}, errorf(proto.CodeBadParam, "msg.to %q is not a valid account", m.To)
	}
	body, err := checkBody(ctx, c, m.Type, m.Body)
	if err != nil {
		return result{}, err
	}
	ext, err := checkExt(m.Ext)
	if err != nil {
		return result{}, err
	}
	if m.To != c.account {
		if !c.s.known.has(m.To) {
			if _, err := c.s.store.User(ctx, m.To); errors.Is(err, store.ErrNotFound) {
				return result{}, errorf(proto.CodeNotFound, "user not found: %s", m.To)
			} else if err != nil {
				return result{}, fmt.Errorf("look up receiver %s: %w", m.To, err)
			}
			c.s.known.add(m.To)
		}
		// The receiver's blacklist refuses the message: nothing is
		// stored or pushed, and the sender is not told why in so many
		// words (being blacklisted is not announced).
		black, err := c.s.store.InRelation(ctx, m.To, proto.ListBlack, c.account)
		if err != nil {
			return result{}, fmt.Errorf("blacklist of %s: %w", m.To, err)
		}
		if black {
			// A retry of a message stored before the blacklisting was
			// delivered: answer it as the duplicate it is.
			return c.storedRetry(ctx, proto.P2PConv(c.account, m.To), m.ClientID,
				errorf(proto.CodeBlacklisted, "message refused by the receiver's settings"))
		}
	}
	msg := proto.Msg{
		ClientID:   m.ClientID,
		Conv:       proto.P2PConv(c.account, m.To),
		From:       c.account,
		To:         m.To,
		ChatType:   proto.ChatP2P,
		Type:       m.Type,
		Body:       body,
		Ext:        ext,
		FromClient: c.info.ClientType,
	}
	return c.storeSent(ctx, msg)
}

// sendTeam sends m to the team m.To (chatType 1 or 5, which must match
// the team's type: 805). The caller must be a valid member allowed to
// speak (803, 804, 812), checked in the transaction that stores the
// message (store.SendTeam). The message is stored once in the team's
// conversation; the dispatcher pushes it to every valid member.
func sendTeam(ctx context.Context, c *conn, m proto.Msg) (result, error) {
	tid := m.To
	if err := checkTeamID("msg.to", tid); err != nil {
		return result{}, err
	}
	conv := proto.TeamConv(tid)
	if m.Conv != "" && m.Conv != conv {
		return result{}, errorf(proto.CodeBadParam, "msg.conv %q is not the conversation of team %s (%q)", m.Conv, tid, conv)
	}
	body, err := checkBody(ctx, c, m.Type, m.Body)
	if err != nil {
		return result{}, err
	}
	ext, err := checkExt(m.Ext)
	if err != nil {
		return result{}, err
	}
	msg := proto.Msg{
		ClientID:   m.ClientID,
		Conv:       conv,
		From:       c.account,
		To:         tid,
		ChatType:   m.ChatType,
		Type:       m.Type,
		Body:       body,
		Ext:        ext,
		FromClient: c.info.ClientType,
		// Asks the readers for receipts: the store counts the other
		// valid members now (ReceiptUnread of the reply and the push).
		TeamReceipt: m.TeamReceipt,
	}
	if err := checkItemSize(msg); err != nil {
		return result{}, err
	}
	// One write transaction: a retry of a stored message is its duplicate;
	// otherwise the rights are checked on the rows as they are when the
	// message is stored (a mute or kick commits wholly before or after).
	stored, dup, err := c.s.store.SendTeam(ctx, msg, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "send to team "+tid)
	}
	res := result{reply: sendResp(stored, dup)}
	if !dup {
		res.msgs = []proto.Msg{stored}
	}
	return res, nil
}

// storeSent stores a checked message of the caller and returns the
// send's result: the reply and, unless the message had been stored
// before (a retry), the message for the dispatcher to push.
func (c *conn) storeSent(ctx context.Context, msg proto.Msg) (result, error) {
	if err := checkItemSize(msg); err != nil {
		return result{}, err
	}
	stored, dup, err := c.s.store.Send(ctx, msg, c.s.now().UnixMilli())
	if err != nil {
		return result{}, fmt.Errorf("store message %s/%s in %s: %w", c.account, msg.ClientID, msg.Conv, err)
	}
	res := result{reply: sendResp(stored, dup)}
	if !dup {
		res.msgs = []proto.Msg{stored}
	}
	return res, nil
}

// storedRetry answers a send that is refused now (refusal): if the caller
// had stored this client id in conv before, the send is a retry of a
// delivered message and gets that message's reply as a duplicate;
// otherwise the refusal.
func (c *conn) storedRetry(ctx context.Context, conv, cid string, refusal error) (result, error) {
	old, err := c.s.store.MessageByClientID(ctx, conv, c.account, cid)
	if err == nil {
		return result{reply: sendResp(old, true)}, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return result{}, fmt.Errorf("look up message %s/%s: %w", c.account, cid, err)
	}
	return result{}, refusal
}

// sendResp is the SendResp of a stored message. A team message asking
// for receipts carries its unread count: the other valid members when it
// was stored, less the receipts counted since (a retry of it).
func sendResp(m proto.Msg, dup bool) proto.SendResp {
	return proto.SendResp{ServerID: m.ServerID, Conv: m.Conv, Seq: m.Seq, Time: m.Time, Dup: dup, ReceiptUnread: m.ReceiptUnread}
}

// checkTextBody validates a text or tip body, {"text": "..."}, with
// proto.TextProblem and returns the body to store: exactly {"text": text},
// whatever other fields the client sent (they would only take room).
func checkTextBody(raw jx.RawMessage) (jx.RawMessage, error) {
	if text, ok := plainTextBody(raw); ok {
		// Already exactly what decodeTextBody would store.
		if p := proto.TextProblem(text); p != "" {
			return nil, errorf(proto.CodeBadParam, "msg.body.text %s", p)
		}
		return raw, nil
	}
	return decodeTextBody(raw)
}

// decodeTextBody is checkTextBody for any body: decoded, checked, encoded.
func decodeTextBody(raw jx.RawMessage) (jx.RawMessage, error) {
	if !isObject(raw) {
		return nil, errorf(proto.CodeBadParam, `msg.body must be a JSON object like {"text":"hi"}`)
	}
	var b struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &b); err != nil || b.Text == nil {
		return nil, errorf(proto.CodeBadParam, "msg.body.text must be a string")
	}
	if p := proto.TextProblem(*b.Text); p != "" {
		return nil, errorf(proto.CodeBadParam, "msg.body.text %s", p)
	}
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{*b.Text})
	if err != nil {
		return nil, errorf(proto.CodeBadParam, "msg.body: %v", err)
	}
	return body, nil
}

// plainTextBody returns the text of raw when raw is {"text":"..."} exactly
// as json.Marshal writes it, with nothing in the string that encoding/json
// escapes or replaces (a quote, a backslash, a control character, <, >
// and &, invalid UTF-8, U+2028 and U+2029): then raw is the body
// checkTextBody stores, found without decoding and encoding it (three JSON
// passes were a twentieth of a P2P send's CPU).
func plainTextBody(raw []byte) (string, bool) {
	const pre, post = `{"text":"`, `"}`
	if len(raw) < len(pre)+len(post) || string(raw[:len(pre)]) != pre || string(raw[len(raw)-len(post):]) != post {
		return "", false
	}
	in := raw[len(pre) : len(raw)-len(post)]
	for i := 0; i < len(in); {
		b := in[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == '"' || b == '\\' || b == '<' || b == '>' || b == '&' {
				return "", false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			return "", false
		}
		i += n
	}
	return string(in), true
}

// checkItemSize refuses (414) a message whose JSON, as the server will send
// it once stored (with the longest server id, seq and time), would pass
// proto.MaxItemBytes: paged replies rely on that bound.
func checkItemSize(m proto.Msg) error {
	if itemSizeBound(&m) <= proto.MaxItemBytes {
		return nil // it cannot pass the bound: not encoded to be measured
	}
	m.ServerID = "9223372036854775807"
	m.Seq, m.Time = math.MaxInt64, math.MaxInt64
	b, err := json.Marshal(m)
	if err != nil {
		return errorf(proto.CodeBadParam, "msg: %v", err)
	}
	if len(b) > proto.MaxItemBytes {
		return errorf(proto.CodeBadParam, "msg too big: %d bytes as stored, at most %d", len(b), proto.MaxItemBytes)
	}
	return nil
}

// itemSizeBound is more than the length of m's JSON as checkItemSize
// measures it: encoding/json writes each byte of a string or of a
// RawMessage as at most 6 (\u00XX; a 3-byte U+2028 as 6, an invalid byte
// as \ufffd), and the rest (field names, punctuation, the numbers and
// booleans at their longest) is under 512 bytes.
func itemSizeBound(m *proto.Msg) int {
	n := len(m.ClientID) + len(m.Conv) + len(m.From) + len(m.To) + len(m.Body) + len(m.Ext) + len(m.Nick)
	return 6*n + 512
}

// checkExt validates remoteExt: absent/null, or a JSON object of at most
// MaxExtBytes (compacted).
func checkExt(raw jx.RawMessage) (jx.RawMessage, error) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	if !isObject(raw) {
		return nil, errorf(proto.CodeBadParam, "msg.ext must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, errorf(proto.CodeBadParam, "msg.ext: %v", err)
	}
	if buf.Len() > proto.MaxExtBytes {
		return nil, errorf(proto.CodeBadParam, "msg.ext too big: %d bytes, at most %d", buf.Len(), proto.MaxExtBytes)
	}
	return buf.Bytes(), nil
}

func isObject(raw jx.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	var v map[string]jx.RawMessage
	return json.Unmarshal(t, &v) == nil
}

func opPull(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.PullReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if len(req.Cursors) > maxCursors {
		return result{}, errorf(proto.CodeBadParam, "too many cursors: %d, at most %d", len(req.Cursors), maxCursors)
	}
	windows := make(map[string]pullWindow, len(req.Cursors))
	for _, cur := range req.Cursors {
		if _, checked := windows[cur.Conv]; checked {
			continue
		}
		w, err := c.pullWindow(ctx, cur.Conv)
		if err != nil {
			return result{}, err
		}
		windows[cur.Conv] = w
	}
	limit := req.Limit
	if limit <= 0 || limit > proto.MaxPull {
		limit = proto.MaxPull
	}
	resp := proto.PullResp{Msgs: []proto.Msg{}}
	for _, cur := range req.Cursors {
		// The window starts above the cursor: tell the caller where, so
		// that it does not take the seqs it will never get for a gap.
		if w := windows[cur.Conv]; cur.After < w.from {
			if resp.Floors == nil {
				resp.Floors = map[string]int64{}
			}
			resp.Floors[cur.Conv] = w.from
		}
	}
	var page pageBudget
	for _, cur := range req.Cursors {
		w := windows[cur.Conv]
		after := max(cur.After, w.from) // nothing from before the caller (re)joined the team
	conv:
		for {
			// One more than the count needs, so that More is exact; at
			// most pullBatch rows in memory beyond the page.
			n := min(limit-len(resp.Msgs)+1, pullBatch)
			msgs, err := c.s.store.Messages(ctx, cur.Conv, after, n)
			if err != nil {
				return result{}, fmt.Errorf("messages of %q after %d: %w", cur.Conv, after, err)
			}
			for _, m := range msgs {
				if w.upTo > 0 && m.Seq > w.upTo {
					break conv // after the caller left the team
				}
				if len(resp.Msgs) == limit || !page.fits(len(resp.Msgs), m) {
					resp.More = true
					return result{reply: resp}, nil
				}
				resp.Msgs = append(resp.Msgs, m)
				after = m.Seq
			}
			if len(msgs) < n {
				break // this conversation has no more
			}
		}
	}
	return result{reply: resp}, nil
}

// pullWindow is the part of a conversation the caller may pull: the
// messages after the seq from (0: all) up to the seq upTo (0: all).
type pullWindow struct{ from, upTo int64 }

// pullWindow checks that the caller may pull conv and returns what of it.
// A P2P conversation needs a membership (403), whole. A team conversation
// needs a member row of the team (403 otherwise): a valid member pulls
// what was stored after it last joined (TeamMember.JoinSeq: one who
// rejoins sees only what was sent after, NetEase's behaviour), one that
// left, was kicked or whose team was dismissed pulls that part up to its
// leave (TeamMember.LeftSeq). The history op reads the same window.
func (c *conn) pullWindow(ctx context.Context, conv string) (pullWindow, error) {
	tid := proto.TeamOfConv(conv)
	if tid == "" {
		return pullWindow{}, c.member(ctx, conv)
	}
	me, err := c.s.store.TeamMember(ctx, tid, c.account)
	var te *store.TeamError
	if errors.Is(err, store.ErrNotFound) || errors.As(err, &te) && (te.Code == proto.CodeTeamNotMember || te.Code == proto.CodeTeamNotFound) {
		return pullWindow{}, errorf(proto.CodeForbidden, "not a member of conversation %q", conv)
	}
	if err != nil {
		return pullWindow{}, fmt.Errorf("member %s of team %s: %w", c.account, tid, err)
	}
	if me.Valid {
		return pullWindow{from: me.JoinSeq}, nil
	}
	if me.LeftSeq <= 0 {
		return pullWindow{}, errorf(proto.CodeForbidden, "not a member of conversation %q", conv)
	}
	return pullWindow{from: me.JoinSeq, upTo: me.LeftSeq}, nil
}

// pageBudget counts the encoded bytes of the items of one paged reply
// against proto.MaxPage.
type pageBudget struct{ used int }

// fits reports whether item, encoded, still fits the page after n items
// and, if so, counts it. The first item of a page always fits (one item is
// never larger than proto.MaxItemBytes).
func (p *pageBudget) fits(n int, item any) bool {
	b, err := json.Marshal(item)
	size := len(b) + 1 // and its comma
	if err != nil {
		size = proto.MaxItemBytes
	}
	if n > 0 && p.used+size > proto.MaxPage {
		return false
	}
	p.used += size
	return true
}
