package proto

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"yunxin/internal/jx"
)

// Both sides read and write every frame, and a frame's payload is most of
// its bytes (a page of a pull is up to MaxPage). encoding/json reads it
// twice over with its byte-at-a-time scanner (a validation pass, then the
// decode) and copies Data; in the browser that was the largest CPU cost
// of an offline sync. DecodeFrame reads the envelope with a plain loop and
// validates Data once; AppendFrame writes Data as it is.

// errFrame is DecodeFrame's answer to bytes that are not a JSON object.
var errFrame = errors.New("proto: not a frame")

// DecodeFrame parses one frame, as json.Unmarshal into a Frame would:
// the same fields, and an error for the same inputs. Data is a slice of b
// (no copy): the caller must not reuse b. The common shape (the keys
// "id", "op", "code", "msg", "d", strings without escapes) is read by a
// plain loop; anything else goes to jx (yunxin/internal/jx).
func DecodeFrame(b []byte) (Frame, error) {
	f, ok, err := decodeFrame(b)
	if ok {
		return f, err
	}
	f = Frame{}
	err = jx.Unmarshal(b, &f)
	return f, err
}

// decodeFrame is DecodeFrame's fast path; ok false asks for jx.
func decodeFrame(b []byte) (f Frame, ok bool, err error) {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return f, false, nil
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i == len(b) || b[i] != '"' {
				return f, false, nil
			}
			ks, ke, plain := scanString(b, i)
			if !plain {
				return f, false, nil
			}
			key := b[ks:ke]
			i = skipSpace(b, ke+1)
			if i == len(b) || b[i] != ':' {
				return f, false, nil
			}
			i = skipSpace(b, i+1)
			switch string(key) {
			case "id", "code":
				n, end, ok := scanInt(b, i)
				if !ok {
					return f, false, nil
				}
				if key[0] == 'i' {
					if n < 0 {
						return f, false, nil
					}
					f.ID = uint64(n)
				} else {
					f.Code = int(n)
				}
				i = end
			case "op", "msg":
				if i == len(b) || b[i] != '"' {
					return f, false, nil
				}
				s, e, plain := scanString(b, i)
				if !plain || !utf8.Valid(b[s:e]) {
					return f, false, nil
				}
				if key[0] == 'o' {
					f.Op = string(b[s:e])
				} else {
					f.Msg = string(b[s:e])
				}
				i = e + 1
			case "d":
				end, err := jx.SkipValue(b, i)
				if err != nil {
					return f, false, nil // jx words the error
				}
				f.Data = jx.RawMessage(b[i:end:end])
				i = end
			default: // another key, or one encoding/json would match case-insensitively
				return f, false, nil
			}
			i = skipSpace(b, i)
			if i == len(b) {
				return f, false, nil
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return f, false, nil
			}
			i = skipSpace(b, i+1)
		}
	}
	if skipSpace(b, i) != len(b) {
		return f, false, nil
	}
	return f, true, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString reads the string starting at b[i] (a quote): its contents
// are b[s:e] and b[e] is the closing quote. plain is false when the string
// has an escape, a control character or no end.
func scanString(b []byte, i int) (s, e int, plain bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return i + 1, j, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// scanInt reads an integer without fraction or exponent (a JSON number
// that fits an int64) at b[i]; ok is false for anything else.
func scanInt(b []byte, i int) (n int64, end int, ok bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	d := j
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == d || j-d > 18 || (b[d] == '0' && j-d > 1) {
		return 0, 0, false
	}
	if j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
		return 0, 0, false
	}
	n, err := strconv.ParseInt(string(b[i:j]), 10, 64)
	return n, j, err == nil
}

// MarshalsAsIs reports whether json.Marshal writes b, a jx.RawMessage,
// as it is: one valid JSON value (jx.SkipValue) without insignificant
// whitespace and without what json.Marshal escapes in it (<, >, & and
// U+2028, U+2029). Hand-written encoders that must write what json.Marshal
// writes copy such a value and leave any other to jx.
func MarshalsAsIs(b []byte) bool {
	if end, err := jx.SkipValue(b, 0); err != nil || end != len(b) {
		return false
	}
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			i++ // an escape jx.SkipValue checked; its next byte is not a quote
		case c == '<' || c == '>' || c == '&':
			return false
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if !inString {
				return false
			}
		case c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9):
			return false
		}
	}
	return true
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, errFrame
	}
	return i + len(lit), nil
}

// AppendFrame appends the JSON of f to buf, as json.Marshal would write
// it, except that f.Data is written as it is (json.Marshal would compact
// it and escape <, > and & in it): it must be valid JSON, such as the
// output of json.Marshal or a value DecodeFrame read.
func AppendFrame(buf []byte, f Frame) []byte {
	buf = append(buf, '{')
	n := len(buf)
	sep := func() { // a comma before every field but the first
		if len(buf) > n {
			buf = append(buf, ',')
		}
	}
	if f.ID != 0 {
		buf = append(buf, `"id":`...)
		buf = strconv.AppendUint(buf, f.ID, 10)
	}
	if f.Op != "" {
		sep()
		buf = append(buf, `"op":`...)
		buf = AppendString(buf, f.Op)
	}
	if f.Code != 0 {
		sep()
		buf = append(buf, `"code":`...)
		buf = strconv.AppendInt(buf, int64(f.Code), 10)
	}
	if f.Msg != "" {
		sep()
		buf = append(buf, `"msg":`...)
		buf = AppendString(buf, f.Msg)
	}
	if len(f.Data) > 0 {
		sep()
		buf = append(buf, `"d":`...)
		buf = append(buf, f.Data...)
	}
	return append(buf, '}')
}

// AppendString appends s as a JSON string, as json.Marshal writes it
// (jx.AppendString).
func AppendString(buf []byte, s string) []byte { return jx.AppendString(buf, s) }
