/*
 * yunxinIM for the web: the loader.
 *
 *   <script src="/sdk/yunxinim.js" data-app-key="demo"></script>
 *   <script>var yunxinIM = api.require('yunxinIM'); yunxinIM.login({...}, function (ret, err) {...});</script>
 *
 * Defines window.yunxinIM at once (the 100 methods of the APICloud yunxinIM
 * plugin plus init), and a minimal window.api if the page has none. Calls made
 * before the WebAssembly core is ready are queued and run in order. Listener
 * lists live here; Go only emits events.
 *
 * Boundary: Go starts with hooks.ready(call, listenersJSON): call(name,
 * paramsJSON, callbackId) runs a method and returns at once; listenersJSON is
 * Go's table of listener methods, {"addAccountListen":["account",true],…}
 * (method → [event kind, adds?]), the one definition of them. Go answers with
 * hooks.deliver(callbackId, '{"ret":…,"err":…}') and emits listener events
 * with hooks.event(kind, json). A long call (upload) may first hand interim
 * rets to hooks.progress(callbackId, json): the callback runs, the call goes
 * on; deliver is always the one final answer. Page callbacks always run in a
 * microtask, outside Go's stack, and their exceptions are rethrown
 * asynchronously so they reach the console and never Go.
 *
 * Files: a File or Blob anywhere in a call's params (where the plugin doc says
 * path or filepath) becomes an object URL before the params are JSON-encoded;
 * the Blob is remembered by that URL, so Go reads it back without a fetch.
 * These URLs are never revoked: a sent message's path must keep working in
 * this page, and a Blob passed again reuses its URL. hooks.files holds the
 * helpers Go's file edge (wasm/files_js.go) awaits: reading a path, probing
 * media, upload and download with progress, and the kept-file store (its own
 * IndexedDB database, "yunxinIM-files").
 *
 * Config: the script tag's data-* attributes (data-app-key → appKey,
 * data-server → server, data-should-sync-unread-count → shouldSyncUnreadCount,
 * …), overridden key by key by yunxinIM.init({...}). server defaults to this
 * script's origin with ws:/wss: and path /ws.
 */
(function (global) {
  'use strict';
  if (global.yunxinIM && global.yunxinIM.__yunxinSDK) return; // loaded twice

  // The plugin's 100 methods, exactly as documented (typos included), and init.
  // methods:begin
  var METHODS = (
    'login autoLogin logout isLogined currentAccount addAccountListen removeAccountListen kickOtherClient ' +
    'localUserInfo openLocalCache fetchUserInfos updateMyUserInfo upload download cancelTask ' +
    'sendText sendImage sendVoice sendVideo sendFile sendLocation sendTip cancelSendingMessage resendMessage ' +
    'forwardMessage revokeMessage sendMessageReceipt sendTeamMessageReceipts addMessageListen ' +
    'allRecentSessions creatRecentSession deleteRecentSession updateRecentLocalExt allUnreadCount ' +
    'markAllMessagesReadInSession deleteRemoteSessions messagesInSession pullMessageHistory ' +
    'messagesInSessionWithMessageIds deleteMessage deleteAllmessagesInSession deleteAllMessages ' +
    'addSessionListen removeSessionListen ' +
    'myFriends requestFriend deleteFriend isMyFriend myBlackList addToBlackList removeFromBlackList ' +
    'isUserInBlackList myMuteUserList setMute isMute searchUser addFriendListen removeFriendListen getUserInfoList ' +
    'fetchSystemNotifications allNotificationsUnreadCount markAllNotificationsAsRead deleteAllNotifications ' +
    'addNotificationListen removeNotificationListen ' +
    'createTeam allMyTeams dismissTeam applyToTeam passApplyToTeam rejectApplyToTeam invitationToTeam ' +
    'acceptInviteWithTeam rejectInviteWithTeam kickUsersFromTeam quitTeam fetchTeamMembers teamMember ' +
    'updateUserNick isMyTeam transferManagerWithTeam addManagersToTeam removeManagersFromTeam ' +
    'muteUserFromTeam muteAllFromTeam fetchTeamMutedMembers updateTeamName updateTeamAvatar updateTeamIntro ' +
    'updateTeamAnnouncement updateTeamJoinMode updateTeamBeInviteMode updateTeamInviteMode ' +
    'updateTeamUpdateInfoMode updateTeamUpdateClientCustomMode updateTeamCustomInfo updateTeamNotifyState ' +
    'fetchTeamNotifyState addTeamListen removeTeamListen ' +
    'init'
  ).split(' ');
  // methods:end

  // Listener methods handled here: name → [event kind, add?], and the
  // listener lists by kind. Both come from Go at ready.
  var LISTEN = {};
  var listeners = {};

  var script = document.currentScript || (function () {
    var s = document.getElementsByTagName('script');
    for (var i = s.length - 1; i >= 0; i--) if (/yunxinim\.js(\?|#|$)/i.test(s[i].src)) return s[i];
    return null;
  })();
  var src = (script && script.src) || location.href;
  var base = new URL('.', src);
  var origin = new URL(src);

  // config: data-* attributes (camel-cased by dataset), then the defaults.
  var config = {};
  if (script && script.dataset) for (var k in script.dataset) config[k] = script.dataset[k];
  if (!config.server) config.server = (origin.protocol === 'https:' ? 'wss://' : 'ws://') + origin.host + '/ws';
  if (!config.os) config.os = osName();

  var goCall = null;     // Go's call(name, paramsJSON, id), once ready
  var dead = null;       // the failure message once loading failed or Go exited
  var queue = [];        // [name, paramsJSON or Error, callback] before ready
  var callbacks = {};    // id → callback
  var nextId = 1;
  var resolveReady, rejectReady;
  var ready = new Promise(function (res, rej) { resolveReady = res; rejectReady = rej; });
  ready.catch(function () {}); // the failure is reported through callbacks and the console

  var yunxinIM = {};
  Object.defineProperty(yunxinIM, '__yunxinSDK', { value: true });
  Object.defineProperty(yunxinIM, 'ready', { value: ready, enumerable: false });
  METHODS.forEach(function (name) {
    yunxinIM[name] = function (params, callback) { return invoke(name, params, callback); };
  });
  global.yunxinIM = yunxinIM;

  if (!global.api) {
    global.api = {
      require: function (name) {
        if (name === 'yunxinIM') return yunxinIM;
        throw new Error('api.require("' + name + '"): only the yunxinIM module is available in this browser');
      },
      alert: function (o) { global.alert(o && typeof o === 'object' ? (o.msg !== undefined ? o.msg : JSON.stringify(o)) : String(o)); }
    };
  }

  // later runs fn in a microtask, outside Go's stack; an exception reaches
  // the console through setTimeout and never the caller.
  function later(fn) {
    Promise.resolve().then(fn).catch(function (e) { setTimeout(function () { throw e; }); });
  }

  function answer(callback, ret, err) {
    if (typeof callback === 'function') {
      later(function () { if (err) callback(ret, err); else callback(ret); });
    } else if (err) {
      console.warn('yunxinIM: ' + err.code + ' ' + err.msg);
    }
  }

  function fail(callback, code, msg) { answer(callback, { status: false }, { code: code, msg: msg }); }

  function invoke(name, params, callback) {
    if (typeof params === 'function') { callback = params; params = undefined; }
    if (dead) return isListen(name) ? undefined : fail(callback, 500, dead);
    var json;
    try {
      json = params === undefined || params === null ? '' : JSON.stringify(params, blobsToURLs);
      if (json === undefined) json = '';
    } catch (e) {
      json = e;
    }
    // Before ready every call waits, listener calls too: which methods are
    // listener methods is Go's to say.
    if (!goCall) { queue.push([name, json, callback]); return; }
    run(name, json, callback);
  }

  function run(name, json, callback) {
    var l = LISTEN[name];
    if (l) return listen(name, l[0], l[1], callback);
    if (typeof json !== 'string') {
      return fail(callback, 414, 'parameter params cannot be converted to JSON: ' + (json && json.message || json));
    }
    var id = 0;
    if (typeof callback === 'function') { id = nextId++; callbacks[id] = callback; }
    try {
      goCall(name, json, id);
    } catch (e) {
      die('yunxinIM stopped: ' + (e && e.message || e));
    }
  }

  // listen adds or removes a listener. remove(fn) removes fn if it is
  // registered; remove() or remove(fn) with an fn never added (the plugin
  // doc's example) removes every listener of the kind and calls fn({status:true}).
  function listen(name, kind, add, callback) {
    var list = listeners[kind];
    if (add) {
      if (typeof callback !== 'function') {
        console.warn('yunxinIM.' + name + ': the listener must be a function');
        return;
      }
      if (list.indexOf(callback) < 0) list.push(callback);
      return;
    }
    var i = typeof callback === 'function' ? list.indexOf(callback) : -1;
    if (i >= 0) { list.splice(i, 1); return; }
    list.length = 0;
    answer(callback, { status: true });
  }

  // isListen: a listener method, also before Go said which ones there are
  // (they all end in Listen). Once dead, they add nothing and answer nothing.
  function isListen(name) { return !!LISTEN[name] || /Listen$/.test(name); }

  function die(msg) {
    if (dead) return;
    dead = msg;
    goCall = null;
    console.error(msg);
    var q = queue; queue = [];
    q.forEach(function (c) { if (!isListen(c[0])) fail(c[2], 500, msg); });
    Object.keys(callbacks).forEach(function (id) { deliverError(+id, msg); });
    rejectReady(new Error(msg));
  }

  function deliverError(id, msg) {
    var cb = callbacks[id];
    delete callbacks[id];
    fail(cb, 500, msg);
  }

  // blobsToURLs is invoke's JSON replacer: a File or Blob becomes its object URL.
  function blobsToURLs(key, v) {
    return isBlob(v) ? blobURL(v) : v;
  }

  // isBlob: a File or Blob, also one made in another window (an iframe's
  // <input type=file>), which is no instanceof this window's Blob.
  function isBlob(v) {
    if (!v || typeof v !== 'object') return false;
    if (typeof Blob === 'function' && v instanceof Blob) return true;
    var t = Object.prototype.toString.call(v);
    return t === '[object Blob]' || t === '[object File]';
  }

  // The hooks Go calls.
  var hooks = {
    ready: function (call, listenersJSON) {
      later(function () {
        if (dead) return;
        if (typeof listenersJSON !== 'string') {
          return die('yunxinIM failed to start: yunxinim.wasm is older than yunxinim.js (a cached copy?): reload the page');
        }
        try {
          LISTEN = JSON.parse(listenersJSON);
          Object.keys(LISTEN).forEach(function (name) { listeners[LISTEN[name][0]] = []; });
        } catch (e) {
          return die('yunxinIM failed to start: bad listener table: ' + (e && e.message || e));
        }
        goCall = call;
        run('init', JSON.stringify(config), null);
        var q = queue; queue = [];
        for (var i = 0; i < q.length && goCall; i++) run(q[i][0], q[i][1], q[i][2]);
        resolveReady(yunxinIM);
        whenDOMReady(function () {
          if (typeof global.apiready === 'function') global.apiready();
        });
      });
    },
    deliver: function (id, json) {
      var cb = callbacks[id];
      delete callbacks[id];
      var env;
      try { env = JSON.parse(json); } catch (e) { env = { ret: { status: false }, err: { code: 500, msg: 'bad result: ' + e.message } }; }
      answer(cb, env.ret, env.err);
    },
    // progress hands the callback an interim ret without ending the call.
    progress: function (id, json) {
      var cb = callbacks[id];
      if (!cb) return;
      var ret;
      try { ret = JSON.parse(json); } catch (e) { return; }
      answer(cb, ret);
    },
    event: function (kind, json) {
      var list = listeners[kind];
      if (!list || !list.length) return;
      var ret;
      try { ret = JSON.parse(json); } catch (e) { console.error('yunxinIM: bad event: ' + e.message); return; }
      list.slice().forEach(function (fn) { later(function () { fn(ret); }); });
    }
  };
  Object.defineProperty(global, '__yunxinIM_hooks', { value: hooks, configurable: true });

  // ---- Files: what Go's file edge (wasm/files_js.go) awaits. Each helper
  // returns a Promise (upload and download: {promise, abort}).
  var blobs = new Map();      // object URL → Blob, for the URLs made here
  var urlOf = new WeakMap();  // Blob → its object URL
  var kept = {};              // kept-file key → object URL (path)
  var THUMB = 256;            // thumbnails and video covers fit in THUMB×THUMB
  var MAX_DURATION = 86400;   // s: a probed duration above a day is taken as unknown (0)

  function blobURL(b) {
    var u = urlOf.get(b);
    if (!u) { u = URL.createObjectURL(b); urlOf.set(b, u); blobs.set(u, b); }
    return u;
  }

  function errMsg(e) { return (e && e.message) || String(e); }

  // withTimeout rejects when p takes longer than ms (media that never loads).
  function withTimeout(p, ms, what) {
    return new Promise(function (res, rej) {
      var t = setTimeout(function () { rej(new Error(what + ' timed out')); }, ms);
      p.then(function (v) { clearTimeout(t); res(v); }, function (e) { clearTimeout(t); rej(e); });
    });
  }

  // thumbnail draws src (w×h) downscaled into THUMB×THUMB: PNG where the
  // source may be transparent, else JPEG on white.
  function thumbnail(src, w, h, alpha) {
    var s = Math.min(1, THUMB / Math.max(w, h, 1));
    var c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(w * s));
    c.height = Math.max(1, Math.round(h * s));
    var g = c.getContext('2d');
    if (!alpha) { g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height); }
    g.drawImage(src, 0, 0, c.width, c.height);
    return new Promise(function (res) {
      c.toBlob(function (b) {
        res(b ? { thumb: blobURL(b), thumbW: c.width, thumbH: c.height } : {});
      }, alpha ? 'image/png' : 'image/jpeg', 0.8);
    });
  }

  function loadImg(blob) {
    return new Promise(function (res, rej) {
      var img = new Image(), u = URL.createObjectURL(blob);
      img.onload = function () { URL.revokeObjectURL(u); res(img); };
      img.onerror = function () { URL.revokeObjectURL(u); rej(new Error('the browser cannot decode it')); };
      img.src = u;
    });
  }

  function probeImage(blob) {
    var load = global.createImageBitmap ? createImageBitmap(blob).catch(function () { return loadImg(blob); }) : loadImg(blob);
    return load.then(function (img) {
      var w = img.naturalWidth || img.width, h = img.naturalHeight || img.height;
      if (!w || !h) throw new Error('the image has no size');
      return thumbnail(img, w, h, !/jpe?g/.test(blob.type)).then(function (t) {
        if (img.close) img.close();
        t.w = w; t.h = h;
        return t;
      });
    });
  }

  // probeMedia reads an audio or video file's duration (ms) and, for a
  // video, its size and a cover frame. A WebM from MediaRecorder often says
  // duration Infinity until a seek far past its end makes the browser scan it.
  function probeMedia(blob, video) {
    var el = document.createElement(video ? 'video' : 'audio');
    var u = URL.createObjectURL(blob);
    el.muted = true;
    el.preload = 'auto';
    el.setAttribute('playsinline', '');
    function once(ev) {
      return new Promise(function (res, rej) {
        function off() { el.removeEventListener(ev, ok); el.removeEventListener('error', bad); }
        function ok() { off(); res(); }
        function bad() {
          off();
          var m = el.error;
          rej(new Error('the browser cannot decode it' + (m && m.message ? ' (' + m.message + ')' : '')));
        }
        el.addEventListener(ev, ok);
        el.addEventListener('error', bad);
      });
    }
    function seek(t) { var p = once('seeked'); el.currentTime = t; return p; }
    var meta = once('loadedmetadata');
    el.src = u;
    var p = meta.then(function () {
      if (video && !el.videoWidth) throw new Error('it has no picture');
      if (isFinite(el.duration)) return el.duration;
      return seek(1e101).then(function () { return isFinite(el.duration) ? el.duration : el.currentTime; });
    }).then(function (d) {
      // A duration still unknown after the scan (Infinity, or the seek
      // target as currentTime) or above a day is no duration: 0.
      if (!isFinite(d) || d < 0 || d > MAX_DURATION) d = 0;
      var r = { duration: Math.round(d * 1000) };
      if (!video) return r;
      r.w = el.videoWidth; r.h = el.videoHeight;
      return seek(Math.min(0.5, d / 2)).then(function () {
        return thumbnail(el, r.w, r.h, false);
      }).then(function (t) { t.duration = r.duration; t.w = r.w; t.h = r.h; return t; });
    });
    function end() { el.removeAttribute('src'); el.load(); URL.revokeObjectURL(u); }
    return withTimeout(p, 20000, 'reading the media').then(function (r) { end(); return r; }, function (e) { end(); throw e; });
  }

  // The kept-file store: Blobs by key in their own database.
  var dbp = null;
  function db() {
    if (!dbp) {
      dbp = new Promise(function (res, rej) {
        var q = indexedDB.open('yunxinIM-files', 1);
        q.onupgradeneeded = function () { q.result.createObjectStore('files'); };
        q.onsuccess = function () {
          var d = q.result;
          d.onversionchange = function () { d.close(); dbp = null; };
          res(d);
        };
        q.onerror = function () { dbp = null; rej(q.error || new Error('cannot open the file store')); };
      });
    }
    return dbp;
  }
  // store runs fn(objectStore) in one transaction; the answer is the result
  // of the request fn returns, once the transaction completed. A failure
  // rejects with the failed request's error (an error event comes before
  // the transaction has one), else the transaction's (Chromium refuses a
  // write for quota when it commits), through storeError.
  function store(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (res, rej) {
        var tx = d.transaction('files', mode), r;
        try { r = fn(tx.objectStore('files')); } catch (e) { try { tx.abort(); } catch (_) {} rej(storeError(e)); return; }
        tx.oncomplete = function () { res(r ? r.result : undefined); };
        tx.onerror = function (ev) { rej(storeError(ev && ev.target && ev.target.error, tx.error)); };
        tx.onabort = function () { rej(storeError(tx.error)); };
      });
    });
  }
  // storeError is the error a file-store transaction rejects with: a full
  // site's storage (a QuotaExceededError, from the request or the
  // transaction) as an Error named QuotaExceededError that says so and what
  // frees it, else the browser's error.
  function storeError() {
    var e = null;
    for (var i = 0; i < arguments.length; i++) {
      var a = arguments[i];
      if (a && a.name === 'QuotaExceededError') {
        var q = new Error("the browser's storage for this site is full: the file cannot be kept (" + (a.message || a.name) +
          '); deleting messages (deleteAllMessages, deleteAllmessagesInSession) or clearing other data of this site frees it');
        q.name = 'QuotaExceededError';
        return q;
      }
      e = e || a;
    }
    return e || new Error('the file store transaction failed');
  }

  // forget revokes the object URL of kept file k and forgets it.
  function forget(k) {
    var u = kept[k];
    if (!u) return;
    delete kept[k];
    urlOf.delete(blobs.get(u));
    blobs.delete(u);
    URL.revokeObjectURL(u);
  }

  hooks.files = {
    // stallTimeout (ms): a fetch (resolve, download) that gets no headers,
    // or then no bytes, for this long is aborted with a TimeoutError.
    stallTimeout: 30000,
    // resolve(path, onprogress) → {promise, abort}: the promise is the Blob
    // at path (File, Blob, blob:, data:, http(s): URL); abort cancels its fetch.
    resolve: function (path, onprogress) {
      var b = blobs.get(path);
      if (b) return { promise: Promise.resolve(b), abort: function () {} };
      return hooks.files.download(path, onprogress || function () {});
    },
    url: blobURL,
    // probe(blob, kind) → {w, h, duration, thumb, thumbW, thumbH} as kind has
    // them (1 image, 2 audio, 3 video).
    probe: function (blob, kind) {
      if (kind === 1) return withTimeout(probeImage(blob), 20000, 'reading the image');
      if (kind === 2 || kind === 3) return probeMedia(blob, kind === 3);
      return Promise.resolve({});
    },
    // upload POSTs blob; promise → {status, body}; rejects on a network error.
    upload: function (url, blob, token, type, onprogress) {
      var x = new XMLHttpRequest();
      var p = new Promise(function (res, rej) {
        x.open('POST', url);
        if (token) x.setRequestHeader('Authorization', 'Bearer ' + token);
        if (type) x.setRequestHeader('Content-Type', type);
        x.upload.onprogress = function (e) { onprogress(e.loaded, e.lengthComputable ? e.total : blob.size); };
        x.onload = function () { res({ status: x.status, body: x.responseText }); };
        x.onerror = x.ontimeout = function () { rej(new TypeError('network error')); };
        x.onabort = function () { var e = new Error('aborted'); e.name = 'AbortError'; rej(e); };
        x.send(blob);
      });
      return { promise: p, abort: function () { x.abort(); } };
    },
    // download fetches url into a Blob, counting bytes (total -1: unknown).
    // It rejects with a TimeoutError when the server stalls (stallTimeout).
    download: function (url, onprogress) {
      var ac = typeof AbortController === 'function' ? new AbortController() : null;
      var ms = hooks.files.stallTimeout, timer = 0, stalled = false;
      function arm() {
        clearTimeout(timer);
        if (ac && ms > 0) timer = setTimeout(function () { stalled = true; ac.abort(); }, ms);
      }
      arm();
      var p = fetch(url, ac ? { signal: ac.signal } : {}).then(function (r) {
        arm();
        if (!r.ok) {
          return r.text().then(function (t) { var e = new Error('HTTP ' + r.status); e.status = r.status; e.body = t; throw e; });
        }
        var n = r.headers.get('Content-Length'), type = r.headers.get('Content-Type') || '';
        var total = n === null || r.headers.get('Content-Encoding') ? -1 : +n, got = 0, chunks = [];
        if (!r.body || !r.body.getReader) return r.blob();
        var reader = r.body.getReader();
        return (function pump() {
          return reader.read().then(function (c) {
            if (c.done) return new Blob(chunks, { type: type });
            arm();
            chunks.push(c.value);
            got += c.value.byteLength;
            onprogress(got, total);
            return pump();
          });
        })();
      }).then(function (b) { clearTimeout(timer); return b; }, function (e) {
        clearTimeout(timer);
        if (!stalled) throw e;
        var t = new Error('no answer from the server for ' + Math.round(ms / 1000) + ' s');
        t.name = 'TimeoutError';
        throw t;
      });
      return { promise: p, abort: function () { clearTimeout(timer); if (ac) ac.abort(); } };
    },
    // keep(key, blob) stores blob under key; an earlier path of key is revoked.
    keep: function (key, blob) {
      forget(key);
      return store('readwrite', function (s) { s.put(blob, key); });
    },
    get: function (key) { return store('readonly', function (s) { return s.get(key); }); },
    // path(key) → an object URL of the kept file, the same one each time; '' when none.
    path: function (key) {
      if (kept[key]) return Promise.resolve(kept[key]);
      return hooks.files.get(key).then(function (b) { return b ? (kept[key] = blobURL(b)) : ''; });
    },
    // remove(keys) deletes kept files and revokes their paths.
    remove: function (keys) {
      keys.forEach(forget);
      return store('readwrite', function (s) { keys.forEach(function (k) { s.delete(k); }); });
    },
    // close closes the store (it reopens on the next use) and forgets paths.
    close: function () {
      var p = dbp;
      dbp = null;
      kept = {};
      return p ? p.then(function (d) { d.close(); }, function () {}) : Promise.resolve();
    }
  };

  function whenDOMReady(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { later(fn); });
    else later(fn);
  }

  function osName() {
    var ua = navigator.userAgent || '';
    var b = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
    var p = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || '';
    return (b + ' ' + p).trim();
  }

  function loadScript(url) {
    return new Promise(function (res, rej) {
      if (typeof global.Go === 'function') return res();
      var s = document.createElement('script');
      s.src = url;
      s.onload = function () { res(); };
      s.onerror = function () { rej(new Error('cannot load ' + url)); };
      (document.head || document.documentElement).appendChild(s);
    });
  }

  function fetchWasm(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status + ' for ' + url);
      return r;
    });
  }

  function instantiate(url, response, importObject) {
    if (WebAssembly.instantiateStreaming) {
      return WebAssembly.instantiateStreaming(response, importObject).catch(function () {
        // e.g. the server's Content-Type is not application/wasm
        return fetchWasm(url).then(function (r) { return r.arrayBuffer(); })
          .then(function (b) { return WebAssembly.instantiate(b, importObject); });
      });
    }
    return response.then(function (r) { return r.arrayBuffer(); })
      .then(function (b) { return WebAssembly.instantiate(b, importObject); });
  }

  (function load() {
    var wasmURL = new URL('yunxinim.wasm', base).href;
    var execURL = new URL('wasm_exec.js', base).href;
    var response;
    try {
      if (typeof WebAssembly !== 'object') throw new Error('this browser has no WebAssembly');
      response = fetchWasm(wasmURL); // starts at once, in parallel with wasm_exec.js
      response.catch(function () {});
    } catch (e) {
      return die('yunxinIM failed to load: ' + (e && e.message || e));
    }
    loadScript(execURL).then(function () {
      var go = new global.Go();
      return instantiate(wasmURL, response, go.importObject).then(function (result) {
        go.run(result.instance || result).then(function () {
          die('yunxinIM stopped: the Go program exited');
        }, function (e) {
          die('yunxinIM stopped: ' + (e && e.message || e));
        });
      });
    }).catch(function (e) {
      die('yunxinIM failed to load: ' + (e && e.message || e));
    });
  })();
})(typeof globalThis !== 'undefined' ? globalThis : window);
