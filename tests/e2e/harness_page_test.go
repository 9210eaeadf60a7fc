package e2e

import (
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
)

// pageServer is the test app: a separate origin (not the IM server's) that
// serves a bare page including the SDK's script tag, so the tests exercise
// cross-origin loading, CORS and YUNXIN_ALLOWED_ORIGINS like a real app does.
//
//	/?im=HOST:PORT           the page, loading the SDK from the IM server
//	/?im=HOST:PORT&sdk=local the page, loading the SDK from this origin's /sdk/
//	                         (a copy of web/sdk, like an app hosting the SDK
//	                         itself), so the page still loads while the IM
//	                         server is down
//	/raw/NAME                a page a test put there with serveHTML (e.g. the
//	                         README's snippet, exactly as a user would copy it)
type pageServer struct {
	*httptest.Server
	raw sync.Map // NAME → HTML
}

// serveHTML makes html the page at /raw/name and returns its URL.
func (p *pageServer) serveHTML(name, html string) string {
	p.raw.Store(name, html)
	return p.URL + "/raw/" + name
}

// withConsoleRecorder puts consoleRecorderJS first into html (after its
// doctype, if any), so that the harness reads the page's console on every
// engine; the rest of the page is served as given.
func withConsoleRecorder(html string) string {
	tag := "<script>" + consoleRecorderJS + "</script>\n"
	if strings.HasPrefix(strings.ToLower(html), "<!doctype") {
		if i := strings.IndexByte(html, '>'); i >= 0 {
			return html[:i+1] + "\n" + tag + html[i+1:]
		}
	}
	return tag + html
}

func newPageServer() *pageServer {
	p := &pageServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/raw/{name}", func(w http.ResponseWriter, r *http.Request) {
		html, ok := p.raw.Load(r.PathValue("name"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, withConsoleRecorder(html.(string)))
	})
	mux.Handle("/sdk/", http.StripPrefix("/sdk/", http.FileServer(http.Dir(sdkDir))))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		im := r.URL.Query().Get("im")
		sdkBase := "http://" + im
		if r.URL.Query().Get("sdk") == "local" {
			sdkBase = ""
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		pageTmpl.Execute(w, map[string]any{
			"SDK":    sdkBase + "/sdk/yunxinim.js",
			"AppKey": appKey,
			"WS":     "ws://" + im + "/ws",
			// Trusted JS (a constant of the harness), not escaped.
			"Recorder": template.JS(consoleRecorderJS),
		})
	})
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	p.Server = httptest.NewServer(mux)
	return p
}

// pageURL is the test page for the IM server s; local serves the SDK from the
// page's own origin.
func (p *pageServer) pageURL(s *imServer, local bool) string {
	return p.pageURLAt(s.addr, local)
}

// pageURLAt is pageURL for the IM server at addr (host:port), e.g. a
// throttle in front of one.
func (p *pageServer) pageURLAt(addr string, local bool) string {
	q := url.Values{"im": {addr}}
	if local {
		q.Set("sdk", "local")
	}
	return p.URL + "/?" + q.Encode()
}

// The page records, in window globals the harness reads:
//
//	events         every listener event: {kind: account|message|session|friend|notification|team, at, ret}
//	sdkAtOnce      window.yunxinIM existed right after the script tag
//	consoleLines   console output and uncaught errors (consoleRecorderJS)
//	sdkReady       null while loading, true when ready and listeners are added,
//	               or a string saying what went wrong
//	pageErrors     uncaught errors and unhandled rejections
//	extraCallbacks methods whose callback was called more than once
//
// and exposes call(method, params, timeoutMs) → Promise<{ret, err}> (or
// {timeout: true}, {missing: true}, {thrown: "…"}). params undefined calls
// method(callback); anything else calls method(params, callback).
var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>yunxinIM e2e page</title>
<script>{{.Recorder}}</script>
<script>
window.events = [];
window.pageErrors = [];
window.extraCallbacks = [];
window.sdkReady = null;
window.addEventListener('error', function (e) { pageErrors.push('error: ' + (e.message || e)); });
window.addEventListener('unhandledrejection', function (e) { pageErrors.push('unhandledrejection: ' + (e.reason && e.reason.stack || e.reason)); });
window.clone = function (v) {
  if (v === undefined) return null;
  try { return JSON.parse(JSON.stringify(v)); } catch (e) { return {unclonable: String(e)}; }
};
</script>
<script src="{{.SDK}}" data-app-key="{{.AppKey}}" data-server="{{.WS}}"></script>
<script>
window.sdkAtOnce = typeof window.yunxinIM === 'object' && window.yunxinIM !== null;
window.call = function (method, params, timeoutMs) {
  return new Promise(function (resolve) {
    var settled = false, calls = 0;
    var timer = setTimeout(function () { if (!settled) { settled = true; resolve({timeout: true}); } }, timeoutMs || 15000);
    var cb = function (ret, err) {
      calls++;
      if (calls > 1) { extraCallbacks.push(method); return; }
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ret: clone(ret), err: clone(err)});
    };
    var f = window.yunxinIM && window.yunxinIM[method];
    if (typeof f !== 'function') { clearTimeout(timer); settled = true; resolve({missing: true}); return; }
    try {
      if (params === undefined) f.call(window.yunxinIM, cb); else f.call(window.yunxinIM, params, cb);
    } catch (e) {
      if (!settled) { settled = true; clearTimeout(timer); resolve({thrown: String(e && e.stack || e)}); }
    }
  });
};
(function () {
  function record(kind) {
    return function (ret) { events.push({kind: kind, at: Date.now(), ret: clone(ret)}); };
  }
  if (!window.sdkAtOnce) { window.sdkReady = 'window.yunxinIM does not exist right after the script tag'; return; }
  if (!window.yunxinIM.ready || typeof window.yunxinIM.ready.then !== 'function') {
    window.sdkReady = 'yunxinIM.ready is not a Promise';
    return;
  }
  window.yunxinIM.ready.then(function () {
    try {
      yunxinIM.addAccountListen(record('account'));
      yunxinIM.addMessageListen(record('message'));
      yunxinIM.addSessionListen(record('session'));
      yunxinIM.addFriendListen(record('friend'));
      yunxinIM.addNotificationListen(record('notification'));
      yunxinIM.addTeamListen(record('team'));
      window.sdkReady = true;
    } catch (e) {
      window.sdkReady = 'adding listeners threw: ' + (e && e.stack || e);
    }
  }, function (e) {
    window.sdkReady = 'yunxinIM.ready rejected: ' + (e && e.stack || e);
  });
})();
</script>
</head><body><p>yunxinIM e2e test page</p></body></html>
`))
