//go:build js && wasm

// Package stackerr adds stack traces to verbose error messages.
package stackerr

import (
	"runtime"
	"strconv"
	"strings"
)

type stackError struct {
	err   error
	stack *stacktrace
}

// WithStack returns 'err' with a stack trace in its verbose formatter output.
// Returns nil if err is nil.
func WithStack(err error) error {
	if err == nil {
		return nil
	}

	return &stackError{
		err:   err,
		stack: collectStacktrace(3),
	}
}

func (s *stackError) Error() string {
	return s.err.Error()
}

func (s *stackError) Unwrap() error {
	return s.err
}

// StackTrace returns the stack trace collected when the error was wrapped.
//
// yunxin patch: upstream has a Format(fmt.State, rune) method instead, which
// appends this trace to "%+v" and prints Error() for %v, %s and %q (what fmt
// does without it). It is removed so the package does not import fmt; a
// caller that wants the trace asserts interface{ StackTrace() string }.
func (s *stackError) StackTrace() string {
	return s.stack.text()
}

type stacktrace struct {
	callers []uintptr
}

func collectStacktrace(skip int) *stacktrace {
	const (
		maxFrames = 32
	)
	pc := make([]uintptr, maxFrames)
	n := runtime.Callers(1+skip, pc)
	return &stacktrace{
		callers: pc[:n],
	}
}

// text is the trace, a function and its file:line per frame. yunxin patch:
// upstream names it String; the linker then kept it in every binary (-2.7 KB
// brotli without it), as *stacktrace is reachable from an error stored in an
// interface and some String() string interface call always is too.
func (s *stacktrace) text() string {
	var sb strings.Builder
	frames := runtime.CallersFrames(s.callers)
	for frame, next := frames.Next(); next; frame, next = frames.Next() {
		funcName := "unknown"
		if frame.Func != nil {
			funcName = frame.Func.Name()
		}
		// yunxin patch: upstream writes fmt.Sprintf("%s\n\t%s:%d\n", ...).
		sb.WriteString(funcName + "\n\t" + frame.File + ":" + strconv.Itoa(frame.Line) + "\n")
	}
	return sb.String()
}
