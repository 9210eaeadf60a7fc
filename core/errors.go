package core

import (
	"errors"

	"yunxin/proto"
)

// Error is a failure reported to the page as err: {code, msg}, with NIM's codes.
type Error struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

func (e *Error) Error() string { return itoa(e.Code) + ": " + e.Msg }

// Errf returns an *Error with code and message.
func Errf(code int, msg string) *Error { return &Error{Code: code, Msg: msg} }

// BadParam is the 414 error for one named parameter, named as the page
// knows it: "parameter <name> <what>".
func BadParam(name, what string) *Error {
	return &Error{Code: proto.CodeBadParam, Msg: "parameter " + name + " " + what}
}

// ErrNotSupported answers chat types and methods this SDK does not implement yet.
func ErrNotSupported(what string) *Error {
	return &Error{Code: proto.CodeBadParam, Msg: what + " not supported yet"}
}

// AsError turns any error into an *Error: err itself when it is one, the
// code of the first *Error in its chain with err's whole text (the context
// it was wrapped in), or else a 500 carrying err's text.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Code: proto.CodeServer, Msg: err.Error()}
	}
	if e == err {
		return e
	}
	return &Error{Code: e.Code, Msg: err.Error()}
}

// wrapped is an error with context, like fmt.Errorf("%s: %w"), without
// pulling fmt into the wasm.
type wrapped struct {
	what string
	err  error
}

func (w *wrapped) Error() string { return w.what + ": " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

// wrap returns err with context what, nil when err is nil.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return &wrapped{what, err}
}
