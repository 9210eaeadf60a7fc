package core

import "yunxin/proto"

// Error is a failure reported to the page as err: {code, msg}, with NIM's codes.
type Error struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

func (e *Error) Error() string { return itoa(e.Code) + ": " + e.Msg }

// Errf returns an *Error with code and message.
func Errf(code int, msg string) *Error { return &Error{Code: code, Msg: msg} }

// BadParam is the 414 error for one named parameter.
func BadParam(name, what string) *Error {
	return &Error{Code: proto.CodeBadParam, Msg: "parameter " + name + " " + what}
}

// ErrNotSupported answers chat types and methods this SDK does not implement yet.
func ErrNotSupported(what string) *Error {
	return &Error{Code: proto.CodeBadParam, Msg: what + " not supported yet"}
}

// AsError turns any error into an *Error (500 for ones that are not).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Code: proto.CodeServer, Msg: err.Error()}
}
