package jsapi

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"yunxin/core"
	"yunxin/proto"
)

// params are a call's decoded params: the members of the page's params
// object, each still JSON. A missing params, null, or anything that is not an
// object counts as {} so the first required parameter is the one named in
// the 414.
type params map[string]json.RawMessage

func decodeParams(raw string) (params, error) {
	b := bytes.TrimSpace([]byte(raw))
	if len(b) == 0 || b[0] != '{' {
		if len(b) > 0 && !json.Valid(b) {
			return nil, core.BadParam("params", "must be a JSON object")
		}
		return params{}, nil
	}
	var p params
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, core.BadParam("params", "must be a JSON object")
	}
	return p, nil
}

// get returns the parameter's JSON, or nil when it is missing or null.
func (p params) get(name string) json.RawMessage {
	v, ok := p[name]
	if !ok || len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

func (p params) has(name string) bool { return p.get(name) != nil }

// str returns an optional string parameter ("" when absent).
func (p params) str(name string) (string, error) {
	v := p.get(name)
	if v == nil {
		return "", nil
	}
	if v[0] != '"' {
		return "", core.BadParam(name, "must be a string")
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", core.BadParam(name, "must be a string")
	}
	return s, nil
}

// need returns a required, non-empty string parameter of at most max bytes.
func (p params) need(name string, max int) (string, error) {
	if !p.has(name) {
		return "", core.BadParam(name, "must be a string")
	}
	s, err := p.str(name)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", core.BadParam(name, "must not be empty")
	}
	if max > 0 && len(s) > max {
		return "", core.BadParam(name, "is longer than "+strconv.Itoa(max)+" bytes")
	}
	return s, nil
}

// account returns a required account id parameter (NIM's accid rules).
func (p params) account(name string) (string, error) {
	s, err := p.need(name, 0)
	if err != nil {
		return "", err
	}
	if !proto.ValidAccount(s) {
		return "", core.BadParam(name, "must be an account id (1-32 letters, digits, _ . @ -)")
	}
	return s, nil
}

// integer returns an optional integer parameter (def when absent). Only JSON
// numbers are accepted: "1" where a number belongs is a 414.
func (p params) integer(name string, def int) (int, error) {
	v := p.get(name)
	if v == nil {
		return def, nil
	}
	if !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return 0, core.BadParam(name, "must be a number")
	}
	return parseInt(name, string(v))
}

func parseInt(name, s string) (int, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, core.BadParam(name, "must be an integer")
	}
	return int(f), nil
}

// boolean returns an optional boolean parameter (def when absent).
func (p params) boolean(name string, def bool) (bool, error) {
	switch string(p.get(name)) {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, core.BadParam(name, "must be a boolean")
}

// chatType returns the chatType parameter (0 when absent); every chat type
// but P2P answers 414 "chatType N not supported yet".
func (p params) chatType(name string) (int, error) {
	ct, err := p.integer(name, proto.ChatP2P)
	if err != nil {
		return 0, err
	}
	if ct != proto.ChatP2P {
		return 0, core.ErrNotSupported("chatType " + strconv.Itoa(ct))
	}
	return ct, nil
}

// strings returns a required array of non-empty strings.
func (p params) strings(name string, max int) ([]string, error) {
	v := p.get(name)
	if v == nil || v[0] != '[' {
		return nil, core.BadParam(name, "must be an array of strings")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return nil, core.BadParam(name, "must be an array of strings")
	}
	if len(raw) > max {
		return nil, core.BadParam(name, "has more than "+strconv.Itoa(max)+" entries")
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		var s string
		if len(r) == 0 || r[0] != '"' || json.Unmarshal(r, &s) != nil || s == "" {
			return nil, core.BadParam(name, "must be an array of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

// object returns an optional JSON-object parameter, compacted, at most max
// bytes (nil when absent).
func (p params) object(name string, max int) (json.RawMessage, error) {
	v := p.get(name)
	if v == nil {
		return nil, nil
	}
	if v[0] != '{' {
		return nil, core.BadParam(name, "must be an object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return nil, core.BadParam(name, "must be an object")
	}
	if buf.Len() > max {
		return nil, core.BadParam(name, "is longer than "+strconv.Itoa(max)+" bytes as JSON")
	}
	return json.RawMessage(buf.Bytes()), nil
}

// text returns the required message text.
func (p params) text(name string) (string, error) {
	if !p.has(name) {
		return "", core.BadParam(name, "must be a string")
	}
	s, err := p.str(name)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", core.BadParam(name, "must not be empty")
	}
	if utf8.RuneCountInString(s) > proto.MaxTextRunes {
		return "", core.BadParam(name, "is longer than "+strconv.Itoa(proto.MaxTextRunes)+" characters")
	}
	return s, nil
}

// Config values come from config.xml-like sources (data-* attributes) as
// strings as often as typed JSON: the helpers below accept both.

func (p params) cfgString(name string, dst *string) error {
	if !p.has(name) {
		return nil
	}
	s, err := p.str(name)
	if err != nil {
		return err
	}
	*dst = strings.TrimSpace(s)
	return nil
}

// cfgScalar returns the config value name as text: a JSON string unquoted
// and trimmed, or any other JSON value as written. ok is false when the
// value is absent or the empty string (config.xml's value="": the default).
func (p params) cfgScalar(name, what string) (s string, ok bool, err error) {
	v := p.get(name)
	if v == nil {
		return "", false, nil
	}
	s = string(v)
	if v[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false, core.BadParam(name, "must be "+what)
		}
		s = strings.TrimSpace(s)
	}
	return s, s != "", nil
}

func (p params) cfgBool(name string, dst *bool) error {
	s, ok, err := p.cfgScalar(name, "a boolean")
	if !ok {
		return err
	}
	switch strings.ToLower(s) {
	case "true":
		*dst = true
		return nil
	case "false":
		*dst = false
		return nil
	}
	n, err := parseInt(name, s)
	if err != nil {
		return core.BadParam(name, "must be a boolean")
	}
	*dst = n != 0
	return nil
}

func (p params) cfgInt(name string, dst *int) error {
	s, ok, err := p.cfgScalar(name, "a number")
	if !ok {
		return err
	}
	n, err := parseInt(name, s)
	if err != nil {
		return err
	}
	if n < 0 {
		return core.BadParam(name, "must not be negative")
	}
	*dst = n
	return nil
}
