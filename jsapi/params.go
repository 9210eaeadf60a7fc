package jsapi

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"yunxin/core"
	"yunxin/internal/jx"
)

// params are a call's decoded params: the members of the page's params
// object, each still JSON. A missing params, null, or anything that is not an
// object counts as {} so the first required parameter is the one named in
// the 414.
//
// The helpers below only convert: they check a value's JS type (string,
// number, boolean, array, object) and turn it into a Go value, with a 414
// naming the parameter when the type is wrong. Limits on the values
// (lengths, counts, ranges, blank text, account id rules) are core's; the
// people handlers check theirs too (see the package doc).
type params map[string]jx.RawMessage

func decodeParams(raw string) (params, error) {
	b := bytes.TrimSpace([]byte(raw))
	if len(b) == 0 || b[0] != '{' {
		if len(b) > 0 && !jx.Valid(b) {
			return nil, core.BadParam("params", "must be a JSON object")
		}
		return params{}, nil
	}
	var p params
	if err := jx.UnmarshalRawMap(b, &p); err != nil {
		return nil, core.BadParam("params", "must be a JSON object")
	}
	return p, nil
}

// get returns the parameter's JSON, or nil when it is missing or null.
func (p params) get(name string) jx.RawMessage {
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
	var s string
	if v[0] != '"' || jx.UnmarshalString(v, &s) != nil {
		return "", core.BadParam(name, "must be a string")
	}
	return s, nil
}

// need returns a required string parameter: absent (undefined) or null is
// not a string. Whether "" is acceptable is core's to say.
func (p params) need(name string) (string, error) {
	if !p.has(name) {
		return "", core.BadParam(name, "must be a string")
	}
	return p.str(name)
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

// rounded returns an optional whole-number parameter (def when absent) from
// any finite JSON number, rounded to the nearest integer: sizes and
// durations a page computes (audio.duration*1000, a scaled width) are
// rarely whole. It must fit an int32, as with integer.
func (p params) rounded(name string, def int) (int, error) {
	f, err := p.number(name, float64(def))
	if err != nil {
		return 0, err
	}
	f = math.Round(f)
	if math.Abs(f) > 1<<31 {
		return 0, core.BadParam(name, "is out of range")
	}
	return int(f), nil
}

// needInt returns a required integer parameter.
func (p params) needInt(name string) (int, error) {
	if !p.has(name) {
		return 0, core.BadParam(name, "must be a number")
	}
	return p.integer(name, 0)
}

// parseInt converts a JS number to a Go int: it must be a whole number an
// int32 holds (what the plugin's native code reads).
func parseInt(name, s string) (int, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, core.BadParam(name, "must be an integer")
	}
	return int(f), nil
}

// number returns an optional number parameter (def when absent): any
// finite JSON number.
func (p params) number(name string, def float64) (float64, error) {
	v := p.get(name)
	if v == nil {
		return def, nil
	}
	if !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return 0, core.BadParam(name, "must be a number")
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, core.BadParam(name, "must be a finite number")
	}
	return f, nil
}

// needNumber returns a required number parameter.
func (p params) needNumber(name string) (float64, error) {
	if !p.has(name) {
		return 0, core.BadParam(name, "must be a number")
	}
	return p.number(name, 0)
}

// path returns a required path parameter: the loader turns a File or Blob
// into a blob: URL, so what arrives is a string; anything else (a FileList,
// an {}) is named as what the page should have passed.
func (p params) path(name string) (string, error) {
	v := p.get(name)
	var s string
	if v == nil || v[0] != '"' || jx.UnmarshalString(v, &s) != nil {
		return "", core.BadParam(name, "must be a File, a Blob or a URL string")
	}
	return s, nil
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

// strings returns a required array of strings.
func (p params) strings(name string) ([]string, error) {
	v := p.get(name)
	var raw []jx.RawMessage
	if v == nil || v[0] != '[' || jx.UnmarshalRawSlice(v, &raw) != nil {
		return nil, core.BadParam(name, "must be an array of strings")
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		if len(r) == 0 || r[0] != '"' || jx.UnmarshalString(r, &out[i]) != nil {
			return nil, core.BadParam(name, "must be an array of strings")
		}
	}
	return out, nil
}

// object returns an optional JSON-object parameter as written (nil when
// absent).
func (p params) object(name string) (jx.RawMessage, error) {
	v := p.get(name)
	if v == nil {
		return nil, nil
	}
	if v[0] != '{' {
		return nil, core.BadParam(name, "must be an object")
	}
	return v, nil
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
		if err := jx.UnmarshalString(v, &s); err != nil {
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
	*dst = n
	return nil
}
