//go:build js && wasm

package jsapi

import (
	"context"
	"sync"
	"time"

	"github.com/hack-pad/safejs"
	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// The loader's hooks object, set before the wasm runs:
//
//	hooks.ready(call, listeners)  Go is ready; call(name, paramsJSON, id) runs a
//	                              method; listeners is ListenersJSON(), the
//	                              listener methods and their event kinds
//	hooks.deliver(id, json)       the envelope {"ret":…,"err":…} of call id
//	hooks.progress(id, json)      an interim ret of call id (upload's progress),
//	                              before its envelope; the call goes on
//	hooks.event(kind, json)       a listener event of one of those kinds
//	hooks.yield(f)                calls f in a task of its own, once the
//	                              microtasks queued before ran
//
// Every Go→JS call goes through safejs, so a throwing hook is an error here,
// never a panic.

// Bridge connects one Engine to the loader's hooks.
type Bridge struct {
	engine Engine
	hooks  safejs.Value
	fn     safejs.Func

	// resume is the function hooks.yield calls back; it hands resumed a
	// token (see yieldToPage).
	resume  safejs.Func
	resumed chan struct{}

	// While a barrier call (autoLogin, logout) runs, later calls wait in
	// pending, in the page's order, and start one by one when it returns.
	// So do the calls made while a call that answered early (a send, see
	// WithEarly) has not returned: holds counts those.
	mu      sync.Mutex
	busy    uint64 // the running barrier call's number, 0 when none
	holds   int
	seq     uint64
	pending []pendingCall
}

type pendingCall struct {
	name, params string
	id           int
}

// barrierMethods are the calls every later call waits for, as the plugin's
// native code runs them before it returns: after autoLogin({…}) or
// openLocalCache({…}) the cached data is readable at once, after logout()
// isLogined is false, after markAllNotificationsAsRead() or
// deleteAllNotifications() (called without a callback: the page cannot
// wait for them) the unread count is 0.
var barrierMethods = map[string]bool{
	"autoLogin": true, "logout": true, "openLocalCache": true,
	"markAllNotificationsAsRead": true, "deleteAllNotifications": true,
}

// barrierWait bounds the wait for a barrier call (a blocked IndexedDB upgrade
// must not stall every later call).
const barrierWait = 10 * time.Second

// Emitter returns the emit function for core.NewClient: it marshals each
// event's Data once and hands it to hooks.event(kind, json).
func Emitter(hooks safejs.Value) func(core.Event) {
	return func(ev core.Event) {
		defer func() {
			if v := recover(); v != nil {
				consoleError(panicMessage("event "+ev.Kind, v))
			}
		}()
		b, err := ev.AppendData(nil)
		if err != nil {
			consoleError("yunxinIM: cannot encode a " + ev.Kind + " event: " + err.Error())
			return
		}
		if _, err := hooks.Call("event", ev.Kind, string(b)); err != nil {
			consoleError("yunxinIM: hooks.event failed: " + err.Error())
		}
	}
}

// New makes the JS function call(name, paramsJSON, callbackID) that runs
// methods of e and delivers their envelopes to hooks.deliver. It does not
// tell the loader; Install does.
func New(e Engine, hooks safejs.Value) (*Bridge, error) {
	b := &Bridge{engine: e, hooks: hooks, resumed: make(chan struct{}, 1024)}
	fn, err := safejs.FuncOf(b.jsCall)
	if err != nil {
		return nil, err
	}
	b.fn = fn
	// One token per yield: a yielding goroutine waits at once, in the same
	// Go turn as its hooks.yield, so tokens never pile up.
	if b.resume, err = safejs.FuncOf(func(safejs.Value, []safejs.Value) any {
		select {
		case b.resumed <- struct{}{}:
		default:
		}
		return nil
	}); err != nil {
		fn.Release()
		return nil, err
	}
	return b, nil
}

// Install is New followed by hooks.ready(call, ListenersJSON()).
func Install(e Engine, hooks safejs.Value) (*Bridge, error) {
	b, err := New(e, hooks)
	if err != nil {
		return nil, err
	}
	if _, err := hooks.Call("ready", b.fn.Value(), ListenersJSON()); err != nil {
		b.fn.Release()
		return nil, err
	}
	return b, nil
}

// Func returns the JS function call(name, paramsJSON, callbackID).
func (b *Bridge) Func() safejs.Value { return b.fn.Value() }

// jsCall is the JS-called function. It never blocks and never panics: it
// reads its arguments and starts the call's goroutine.
func (b *Bridge) jsCall(_ safejs.Value, args []safejs.Value) (result any) {
	defer func() {
		if v := recover(); v != nil {
			consoleError(panicMessage("call", v))
			result = nil
		}
	}()
	name, _ := argString(args, 0)
	params, _ := argString(args, 1)
	id := 0
	if len(args) > 2 && args[2].Type() == safejs.TypeNumber {
		if f, err := args[2].Float(); err == nil && f >= 0 && f <= 1<<52 {
			id = int(f)
		}
	}
	b.mu.Lock()
	if b.blocked() {
		b.pending = append(b.pending, pendingCall{name, params, id})
		b.mu.Unlock()
		return nil
	}
	b.start(pendingCall{name, params, id}, nil)
	b.mu.Unlock()
	return nil
}

// start starts c's goroutine; with b.mu held. A barrier call makes b busy.
// started, if not nil, is closed once the goroutine runs.
func (b *Bridge) start(c pendingCall, started chan struct{}) {
	var n uint64
	if barrierMethods[c.name] {
		b.seq++
		n = b.seq
		b.busy = n
		time.AfterFunc(barrierWait, func() { b.release(n) })
	}
	go b.run(c, n, started)
}

// release ends barrier call n (when it returned or timed out) and starts the
// calls that waited for it, one after the other in the page's order, until
// the next barrier call.
func (b *Bridge) release(n uint64) {
	b.mu.Lock()
	if b.busy != n {
		b.mu.Unlock()
		return
	}
	b.busy = 0
	b.drain()
}

// blocked reports whether a new call must wait in pending; with b.mu held.
func (b *Bridge) blocked() bool { return b.busy != 0 || b.holds > 0 }

// hold makes later calls wait until the returned function is called (or
// barrierWait passed): a call answered early and has not returned yet.
func (b *Bridge) hold() (unhold func()) {
	b.mu.Lock()
	b.holds++
	b.mu.Unlock()
	var once sync.Once
	unhold = func() {
		once.Do(func() {
			b.mu.Lock()
			b.holds--
			b.drain()
		})
	}
	time.AfterFunc(barrierWait, unhold)
	return unhold
}

// drain starts the calls that waited, one after the other in the page's
// order, until one blocks the rest again (a barrier call). It is called
// with b.mu held and returns with it released.
func (b *Bridge) drain() {
	for len(b.pending) > 0 && !b.blocked() {
		c := b.pending[0]
		b.pending = b.pending[1:]
		started := make(chan struct{})
		b.start(c, started)
		b.mu.Unlock()
		<-started // it runs until it blocks: the next one starts after it
		b.mu.Lock()
	}
	b.mu.Unlock()
}

func argString(args []safejs.Value, i int) (string, bool) {
	if i >= len(args) || args[i].Type() != safejs.TypeString {
		return "", false
	}
	s, err := args[i].String()
	return s, err == nil
}

// run executes one call and delivers its envelope exactly once. barrier is
// the call's barrier number (0 for an ordinary call).
func (b *Bridge) run(c pendingCall, barrier uint64, started chan struct{}) {
	if started != nil {
		close(started)
	}
	var env []byte
	var answered sync.Once // delivered early
	unhold := func() {}
	defer func() {
		if v := recover(); v != nil {
			env = Recovered(c.name, v)
		}
		delivered := true
		answered.Do(func() { delivered = false })
		if delivered {
			if env != nil && !okEnvelope(env) {
				consoleError("yunxinIM: " + c.name + " failed after it answered: " + string(env))
			}
			unhold()
		} else {
			b.deliver(c.id, env)
		}
		if barrier != 0 {
			go b.release(barrier)
		}
	}()
	ctx := context.Background()
	if c.id != 0 {
		ctx = WithProgress(ctx, func(ret []byte) { b.progress(c.id, ret) })
		ctx = WithEarly(ctx, func(early []byte) {
			answered.Do(func() {
				unhold = b.hold() // before the page hears it: its next calls wait for this one
				b.deliver(c.id, early)
				// The call goes on (the cache write of a send) once the
				// page's callback ran: that callback and what it chains
				// come first, not after the work that follows.
				b.yieldToPage()
			})
		})
	}
	env = Call(ctx, b.engine, c.name, c.params)
}

// okEnvelope reports whether env is a success envelope (no "err").
func okEnvelope(env []byte) bool {
	var e envelopeErr
	return jx.Unmarshal(env, &e) == nil && len(e.Err) == 0
}

// progress hands an interim ret of call id to hooks.progress.
func (b *Bridge) progress(id int, ret []byte) {
	defer func() {
		if v := recover(); v != nil {
			consoleError(panicMessage("progress", v))
		}
	}()
	if _, err := b.hooks.Call("progress", id, string(ret)); err != nil {
		consoleError("yunxinIM: hooks.progress failed: " + err.Error())
	}
}

func (b *Bridge) deliver(id int, env []byte) {
	defer func() {
		if v := recover(); v != nil {
			consoleError(panicMessage("deliver", v))
		}
	}()
	if env == nil {
		env = Fail(proto.CodeServer, "no result")
	}
	if _, err := b.hooks.Call("deliver", id, string(env)); err != nil {
		consoleError("yunxinIM: hooks.deliver failed: " + err.Error())
	}
}

// yieldToPage returns once the page's event loop has run a task
// (hooks.yield, a MessageChannel message: timers are throttled in
// background tabs): the microtasks queued before it, a callback deliver
// queued and the promise reactions chained on it, run first. With a loader
// that has no yield hook it returns at once.
func (b *Bridge) yieldToPage() {
	if _, err := b.hooks.Call("yield", b.resume.Value()); err == nil {
		<-b.resumed
	}
}

func consoleError(msg string) {
	if c, err := safejs.Global().Get("console"); err == nil {
		_, _ = c.Call("error", msg)
	}
}
