package proto

import (
	"unicode/utf8"

	"yunxin/internal/jx"
)

// A pull reply is the largest thing the SDK reads (a page of up to
// MaxPull messages), and encoding/json's reflection and scanner made its
// decoding a large part of an offline sync's time in the browser.
// PullResp.Decode reads the shape the server writes with a plain loop.

// Decode reads a pull reply b into p as json.Unmarshal into a new PullResp
// would: the same values, and an error for the same inputs. The shape the
// server writes (the keys of PullResp and Msg, strings without escapes,
// integers, objects for body and ext) is read by a plain loop; anything
// else goes to jx (yunxin/internal/jx).
func (p *PullResp) Decode(b []byte) error {
	if r, ok := decodePull(b); ok {
		*p = r
		return nil
	}
	*p = PullResp{}
	return jx.Unmarshal(b, p)
}

// decodePull is Decode's fast path; ok false asks for jx.
func decodePull(b []byte) (r PullResp, ok bool) {
	end, ok := eachKey(b, skipSpace(b, 0), func(key []byte, i int) (int, bool) {
		switch string(key) {
		case "msgs":
			if i == len(b) || b[i] != '[' {
				return 0, false
			}
			r.Msgs = make([]Msg, 0, 64)
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == ']' {
				return i + 1, true
			}
			for {
				var m Msg
				end, ok := eachKey(b, i, func(key []byte, i int) (int, bool) { return msgField(b, key, i, &m) })
				if !ok {
					return 0, false
				}
				r.Msgs = append(r.Msgs, m)
				i = skipSpace(b, end)
				if i == len(b) {
					return 0, false
				}
				if b[i] == ']' {
					return i + 1, true
				}
				if b[i] != ',' {
					return 0, false
				}
				i = skipSpace(b, i+1)
			}
		case "more":
			return scanBool(b, i, &r.More)
		case "floors":
			if i == len(b) || b[i] != '{' {
				return 0, false
			}
			if r.Floors == nil { // a second "floors" adds to it, as in encoding/json
				r.Floors = map[string]int64{}
			}
			return eachKey(b, i, func(key []byte, i int) (int, bool) {
				n, end, ok := scanInt(b, i)
				if !ok || !utf8.Valid(key) {
					return 0, false
				}
				r.Floors[string(key)] = n
				return end, true
			})
		}
		return 0, false // another key, or one encoding/json would match case-insensitively
	})
	if !ok || skipSpace(b, end) != len(b) {
		return PullResp{}, false
	}
	return r, true
}

// msgField reads the value of Msg's key at b[i] into m.
func msgField(b, key []byte, i int, m *Msg) (int, bool) {
	var s *string
	var n *int
	var n64 *int64
	var raw *jx.RawMessage
	switch string(key) {
	case "sid":
		s = &m.ServerID
	case "cid":
		s = &m.ClientID
	case "conv":
		s = &m.Conv
	case "from":
		s = &m.From
	case "to":
		s = &m.To
	case "nick":
		s = &m.Nick
	case "seq":
		n64 = &m.Seq
	case "time":
		n64 = &m.Time
	case "ct":
		n = &m.ChatType
	case "type":
		n = &m.Type
	case "fct":
		n = &m.FromClient
	case "trr":
		n = &m.ReceiptRead
	case "tru":
		n = &m.ReceiptUnread
	case "body":
		raw = &m.Body
	case "ext":
		raw = &m.Ext
	case "revoked":
		return scanBool(b, i, &m.Revoked)
	case "trc":
		return scanBool(b, i, &m.TeamReceipt)
	default:
		return 0, false
	}
	switch {
	case s != nil:
		if i == len(b) || b[i] != '"' {
			return 0, false
		}
		st, e, plain := scanString(b, i)
		if !plain || !utf8.Valid(b[st:e]) {
			return 0, false
		}
		*s = string(b[st:e])
		return e + 1, true
	case n != nil || n64 != nil:
		v, end, ok := scanInt(b, i)
		if !ok {
			return 0, false
		}
		if n != nil {
			*n = int(v)
		} else {
			*n64 = v
		}
		return end, true
	default:
		// An object or array (null, and the other values encoding/json
		// also takes, go to it).
		if i == len(b) || b[i] != '{' && b[i] != '[' {
			return 0, false
		}
		end, err := jx.SkipValue(b, i)
		if err != nil {
			return 0, false
		}
		// A copy, as encoding/json makes: a slice would keep the whole
		// page alive for as long as one message of it is kept.
		*raw = append(jx.RawMessage(nil), b[i:end]...)
		return end, true
	}
}

// eachKey reads the object at b[i], calling f with each key (a string
// without escapes) and the index of its value; f returns where the value
// ends. It returns where the object ends; ok is false for anything else.
func eachKey(b []byte, i int, f func(key []byte, i int) (int, bool)) (int, bool) {
	if i == len(b) || b[i] != '{' {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i == len(b) || b[i] != '"' {
			return 0, false
		}
		ks, ke, plain := scanString(b, i)
		if !plain {
			return 0, false
		}
		i = skipSpace(b, ke+1)
		if i == len(b) || b[i] != ':' {
			return 0, false
		}
		end, ok := f(b[ks:ke], skipSpace(b, i+1))
		if !ok {
			return 0, false
		}
		i = skipSpace(b, end)
		if i == len(b) {
			return 0, false
		}
		if b[i] == '}' {
			return i + 1, true
		}
		if b[i] != ',' {
			return 0, false
		}
		i = skipSpace(b, i+1)
	}
}

// scanBool reads true or false at b[i] into v.
func scanBool(b []byte, i int, v *bool) (int, bool) {
	if end, err := skipLiteral(b, i, "true"); err == nil {
		*v = true
		return end, true
	}
	if end, err := skipLiteral(b, i, "false"); err == nil {
		*v = false
		return end, true
	}
	return 0, false
}
