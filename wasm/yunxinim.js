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
 * on; deliver is always the one final answer. hooks.yield(f) calls f back in
 * a task of its own (a send's answer comes first, its cache write after).
 * Page callbacks always run in a microtask, outside Go's stack, and their
 * exceptions are rethrown
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
 * Tabs: the tabs of one browser profile logged in to one account share one
 * connection: a leader tab runs the account on its Go and serves the others
 * over a BroadcastChannel (the "Tabs" section below). yunxinIM.__tab
 * ({role, account, id}, not enumerable) shows a tab's part; it is for
 * tests and debugging and may change.
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
  // KIND is the event kind of listener method name, from Go's table (the
  // tabs code tells account and message events apart by it).
  function KIND(name) { return LISTEN[name] ? LISTEN[name][0] : ''; }

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
  var callbacks = {};    // id → {done(ret, err), prog(ret)}: the calls Go runs
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

  // run runs one call of the page: a listener method here, any other on
  // the engine that serves this tab (tabs.route: this tab's Go, or the
  // leader tab's).
  function run(name, json, callback) {
    var l = LISTEN[name];
    if (l) return listen(name, l[0], l[1], callback);
    if (typeof json !== 'string') {
      return fail(callback, 414, 'parameter params cannot be converted to JSON: ' + (json && json.message || json));
    }
    tabs.route(name, json,
      function (ret, err) { answer(callback, ret, err); },
      function (ret) { if (typeof callback === 'function') answer(callback, ret); });
  }

  // goRun runs a call on this tab's Go: done(ret, err) gets the final
  // answer, prog(ret) (optional) the interim ones.
  function goRun(name, json, done, prog) {
    if (!goCall) return done({ status: false }, { code: 500, msg: dead || 'yunxinIM is not ready' });
    var id = nextId++;
    callbacks[id] = { done: done, prog: prog };
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
    // The tabs first: a leader's channel is closed before its Go's calls
    // fail, so the other tabs' calls go to the next leader (or answer 415).
    if (tabs) tabs.died();
    var q = queue; queue = [];
    q.forEach(function (c) { if (!isListen(c[0])) fail(c[2], 500, msg); });
    Object.keys(callbacks).forEach(function (id) { deliverError(+id, msg); });
    rejectReady(new Error(msg));
  }

  function deliverError(id, msg) {
    var c = callbacks[id];
    delete callbacks[id];
    if (c) c.done({ status: false }, { code: 500, msg: msg });
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
      var c = callbacks[id];
      delete callbacks[id];
      var env;
      try { env = JSON.parse(json); } catch (e) { env = { ret: { status: false }, err: { code: 500, msg: 'bad result: ' + e.message } }; }
      if (c) c.done(env.ret, env.err);
      else if (env.err) console.warn('yunxinIM: ' + env.err.code + ' ' + env.err.msg);
    },
    // progress hands the callback an interim ret without ending the call.
    progress: function (id, json) {
      var c = callbacks[id];
      if (!c || !c.prog) return;
      var ret;
      try { ret = JSON.parse(json); } catch (e) { return; }
      c.prog(ret);
    },
    // event is an event of this tab's engine: tabs also hands it to the
    // other tabs when this tab holds the connection.
    event: function (kind, json) { tabs.engineEvent(kind, json); },
    // yield calls f in a task of its own, after the microtasks queued so
    // far (a callback deliver queued, and what the page chains on it): a
    // send goes on with its cache write once the page heard its answer. A
    // MessageChannel message, not a timer: timers are throttled in
    // background tabs.
    yield: function (f) {
      if (typeof MessageChannel !== 'function') return setTimeout(f, 0);
      var c = new MessageChannel();
      c.port1.onmessage = function () { c.port1.close(); f(); };
      c.port2.postMessage(null);
    }
  };

  // deliverEvent calls this tab's listeners of kind with the event json.
  // Outside solo mode an onRecvMessages drops the messages this tab's
  // listeners already got (seen): when the connection moves to another tab,
  // that tab's sync may bring again a message the old one had announced
  // but not yet recorded as synced in the shared cache.
  function deliverEvent(kind, json) {
    var list = listeners[kind];
    var ret;
    try { ret = JSON.parse(json); } catch (e) { console.error('yunxinIM: bad event: ' + e.message); return; }
    if (!ret) return;
    if (kind === KIND('addMessageListen') && ret.eventType === 'onRecvMessages' && tabs.shared() && Array.isArray(ret.messages)) {
      var fresh = ret.messages.filter(function (m) { return !m || !m.messageId || seen.add(m.messageId); });
      if (!fresh.length) return;
      ret.messages = fresh;
    }
    if (kind === KIND('addAccountListen')) tabs.accountEvent(ret);
    if (kind === KIND('addMessageListen')) tabs.gapNote(ret);
    if (!list || !list.length) return;
    list.slice().forEach(function (fn) { later(function () { fn(ret); }); });
  }

  // seen is a bounded set of message ids: add reports whether id is new.
  var seen = {
    max: 2000, set: new Set(), order: [],
    add: function (id) {
      if (this.set.has(id)) return false;
      this.set.add(id);
      this.order.push(id);
      if (this.order.length > this.max) this.set.delete(this.order.shift());
      return true;
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
    var meta = once('loadedmetadata'), stage = 'metadata';
    el.src = u;
    var p = meta.then(function () {
      if (video && !el.videoWidth) throw new Error('it has no picture');
      if (isFinite(el.duration)) return el.duration;
      stage = 'duration scan';
      // Done at the seek's end, or as soon as the browser learns the
      // duration (a durationchange can come without a seeked).
      var known = new Promise(function (res) {
        el.addEventListener('durationchange', function () { if (isFinite(el.duration)) res(); });
      });
      return Promise.race([seek(1e101), known]).then(function () { return isFinite(el.duration) ? el.duration : el.currentTime; });
    }).then(function (d) {
      // A duration still unknown after the scan (Infinity, or the seek
      // target as currentTime) or above a day is no duration: 0.
      if (!isFinite(d) || d < 0 || d > MAX_DURATION) d = 0;
      var r = { duration: Math.round(d * 1000) };
      if (!video) return r;
      r.w = el.videoWidth; r.h = el.videoHeight;
      stage = 'cover frame';
      var at = Math.min(0.5, d / 2);
      // Firefox at times never ends this seek on a video that is in no
      // document (it may hold back decoding an invisible video): after 5 s
      // the frame at hand is drawn if there is one, else the element is put
      // in the page (1 px, nearly transparent) and seeks again.
      return withTimeout(seek(at), 5000, 'seek').catch(function (e) {
        if (e.message !== 'seek timed out') throw e;
        if (el.readyState >= 2) return;
        el.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none';
        (document.body || document.documentElement).appendChild(el);
        return seek(at);
      }).then(function () {
        return thumbnail(el, r.w, r.h, false);
      }).then(function (t) { t.duration = r.duration; t.w = r.w; t.h = r.h; return t; });
    });
    function end() { el.removeAttribute('src'); el.load(); URL.revokeObjectURL(u); if (el.parentNode) el.parentNode.removeChild(el); }
    return withTimeout(p, 20000, 'reading the media').then(function (r) { end(); return r; }, function (e) {
      end();
      if (/timed out$/.test(e.message)) e.message += ' (at the ' + stage + ')';
      throw e;
    });
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

  // tabsStore is store for the tabs' own small database ("yunxinIM-tabs",
  // object store "unbinds": the unbind count by lock name, see Tabs). It is
  // used at a login, a takeover and a logout only, so it opens the database
  // for each use and closes it after (a logged-out page holds no IndexedDB
  // connection, and another tab's upgrade or delete is never blocked by it).
  function tabsStore(mode, fn) {
    return new Promise(function (res, rej) {
      var q = indexedDB.open('yunxinIM-tabs', 1);
      q.onupgradeneeded = function () { q.result.createObjectStore('unbinds'); };
      q.onerror = function () { rej(q.error || new Error('cannot open the tabs store')); };
      q.onsuccess = function () {
        var d = q.result, tx;
        try { tx = d.transaction('unbinds', mode); } catch (e) { d.close(); return rej(e); }
        var r = fn(tx.objectStore('unbinds'));
        tx.oncomplete = function () { d.close(); res(r ? r.result : undefined); };
        tx.onerror = tx.onabort = function () { d.close(); rej(tx.error || new Error('the tabs store transaction failed')); };
      };
    });
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
    // WebKit cannot store a Blob in IndexedDB in an ephemeral session
    // (Safari's private browsing, WebDriver): there it stores the bytes.
    keep: function (key, blob) {
      forget(key);
      return store('readwrite', function (s) { s.put(blob, key); }).catch(function (e) {
        return blob.arrayBuffer().then(function (buf) {
          var rec = { bytes: buf, type: blob.type || '', name: typeof blob.name === 'string' ? blob.name : null,
            lastModified: blob.lastModified || 0 };
          return store('readwrite', function (s) { s.put(rec, key); });
        }).catch(function () { throw e; });
      });
    },
    // get(key) → the kept Blob (a File if it had a name), undefined if none.
    get: function (key) {
      return store('readonly', function (s) { return s.get(key); }).then(function (v) {
        if (!v || v instanceof Blob || !(v.bytes instanceof ArrayBuffer)) return v;
        return v.name !== null ? new File([v.bytes], v.name, { type: v.type, lastModified: v.lastModified })
          : new Blob([v.bytes], { type: v.type });
      });
    },
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

  // ---- Tabs: one connection per account per browser profile.
  //
  // The tabs of one profile that log in to the same account (same appKey,
  // server and account: the key) share one engine run: a leader tab, elected
  // with a Web Lock named after the key, runs it on its own Go and serves the
  // other tabs (followers) over a BroadcastChannel of the same name. Every
  // tab loads its own Go (the listener table and the calls made before a
  // login come from it, and a follower can take over without a download).
  // A tab's role: solo (no Web Locks or BroadcastChannel, or opted out with
  // data-shared-tabs="false" / init({sharedTabs: false}): one engine per
  // tab), idle (no account bound: calls run here), pending (asking for the
  // lock), leader, follower.
  //
  // Messages on the channel, each with from (the sender's tab id) and, when
  // meant for one tab, to:
  //   hello                       a follower looks for its leader
  //   welcome {replay, binding}   the leader answers: the account events of
  //                               its current login so far, and its binding
  //                               call (name, params) for a takeover
  //   call {id, name, json, blobs}   a follower's call; blobs: the Blobs of
  //                               the blob: URLs in json, by URL
  //   ret {id, env, blobs} / prog {id, ret, blobs}   its answer / interim ret
  //   event {kind, json, blobs}   an event of the leader's engine
  //   binding {binding}           the leader's binding call changed (a login
  //                               upgraded an openLocalCache, a new token):
  //                               the one a takeover runs
  //   leader {binding}            a follower took over the connection
  //   bye                         the leader goes (page hidden, another account,
  //                               its Go stopped)
  //   unbound {reason}            logged out, kicked, or the login failed:
  //                               every tab of the account is logged out
  var BINDING = { login: 1, autoLogin: 1, openLocalCache: 1 };
  // Calls a new leader can run again when the leader died while running them.
  var READ_ONLY = {};
  ('isLogined currentAccount localUserInfo fetchUserInfos allRecentSessions allUnreadCount messagesInSession ' +
    'pullMessageHistory messagesInSessionWithMessageIds myFriends isMyFriend myBlackList isUserInBlackList ' +
    'myMuteUserList isMute searchUser getUserInfoList fetchSystemNotifications allNotificationsUnreadCount ' +
    'allMyTeams fetchTeamMembers teamMember isMyTeam fetchTeamMutedMembers fetchTeamNotifyState')
    .split(' ').forEach(function (n) { READ_ONLY[n] = 1; });
  var SENDS = { sendText: 1, sendImage: 1, sendVoice: 1, sendVideo: 1, sendFile: 1, sendLocation: 1, sendTip: 1, forwardMessage: 1, resendMessage: 1 };
  // TABS_PROTOCOL is the version of the messages above. It is part of the
  // key: tabs running another version of this loader (a page reloaded after
  // a deploy next to one that was not) never share a channel; each version
  // keeps its own connection until the old tabs are gone.
  var TABS_PROTOCOL = 1;
  var HELLO_EVERY = 200;     // ms between hellos while no leader answered
  // Calls a follower sends again to the next leader when its leader went
  // while running them: running them twice does no harm.
  var AGAIN = { logout: 1, download: 1, cancelTask: 1 };
  var MAX_REPLAY = 64;       // account events kept for a follower's replay
  var BLOB_URL = /blob:[^"\\\s]+/g;

  var tabs = (function () {
    var canShare = !!(global.navigator && navigator.locks && typeof navigator.locks.request === 'function' &&
      typeof global.BroadcastChannel === 'function' && typeof global.AbortController === 'function');
    var t = {
      id: Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10),
      role: canShare && String(config.sharedTabs) !== 'false' ? 'idle' : 'solo',
      key: '', account: '', lockName: '',
      ch: null,            // the channel while bound
      binding: null,       // {name, json}: the call that bound the account (the leader's, once known)
      // leader
      release: null,       // releases the lock
      bindRet: null,       // {ret, err} of the leader's binding call, once answered
      gen: 0,              // counts binding calls run here: an older one's answer binds nothing
      bindWaiters: [],     // done functions waiting for it
      loggingOut: false,   // a logout runs on this leader's Go: binding calls wait in held
      held: [],            // functions(unbound) run once that logout answered
      record: [],          // account events of the current connection attempt, as JSON
      // follower
      leader: '',          // the leader's tab id; '' while unknown
      welcomed: false,
      hello: 0,            // hello interval
      abort: null,         // AbortController of the takeover lock request
      unbinds: '',         // the account's unbind count when this tab joined (see unbindCount)
      calls: {},           // id → {id, name, json, done, prog, sent (leader id or '')}
      nextCall: 1,
      // pending
      waiting: []          // [name, json, done, prog] while asking for the lock
    };
    var keyCfg = { appKey: config.appKey || '', server: config.server || '' };
    var remote = new Map(); // a leader's blob: URL → this tab's URL of the same Blob

    Object.defineProperty(yunxinIM, '__tab', {
      enumerable: false,
      get: function () { return { role: t.role, account: t.account, id: t.id }; }
    });

    function parse(json) { try { return json ? JSON.parse(json) : {}; } catch (e) { return {}; } }

    function post(m) {
      m.from = t.id;
      try { if (t.ch) t.ch.postMessage(m); } catch (e) { console.error('yunxinIM: posting to the other tabs: ' + errMsg(e)); }
    }

    // blobsIn returns the Blobs of this tab's blob: URLs in json, by URL (null: none).
    function blobsIn(json) {
      var out = null, m = typeof json === 'string' ? json.match(BLOB_URL) : null;
      if (m) m.forEach(function (u) { var b = blobs.get(u); if (b) { out = out || {}; out[u] = b; } });
      return out;
    }

    // localize rewrites the blob: URLs of another tab in json into this
    // tab's URLs of the same Blobs (one per URL), so paths load here and
    // outlive the tab that made them.
    function localize(json, bl) {
      if (!bl || typeof json !== 'string') return json;
      return json.replace(BLOB_URL, function (u) {
        if (blobs.has(u) || !bl[u]) return u;
        var l = remote.get(u);
        if (!l) { l = URL.createObjectURL(bl[u]); blobs.set(l, bl[u]); remote.set(u, l); }
        return l;
      });
    }

    // mine rewrites the blob: URLs of a follower's call (json, with their
    // Blobs bl) into this leader's own URLs of the same Blobs: what Go
    // keeps and announces (paths in rets, events, the shared cache) then
    // works in this page and outlives the follower.
    function mine(json, bl) {
      if (!bl || typeof json !== 'string') return json;
      return json.replace(BLOB_URL, function (u) { return bl[u] ? blobURL(bl[u]) : u; });
    }

    // inherit: this tab took over; the old leader's URLs it had localized
    // (remote) are readable by its Go from now on (they are in the cache).
    function inherit() { remote.forEach(function (l, u) { if (!blobs.has(u) && blobs.has(l)) blobs.set(u, blobs.get(l)); }); }

    function keyOf(account) { return JSON.stringify([TABS_PROTOCOL, keyCfg.appKey, keyCfg.server, account]); }

    // route runs one call of this tab's page where it belongs.
    function route(name, json, done, prog) {
      if (name === 'init') { noteInit(json); return goRun(name, json, done, prog); }
      if (t.role === 'solo') return goRun(name, json, done, prog);
      if (t.role === 'pending') return t.waiting.push([name, json, done, prog]);
      if (BINDING[name]) return bind(name, json, done, prog);
      if (t.role === 'follower') return forward(name, json, done, prog);
      if (t.role === 'leader') return lead(name, json, done, prog);
      goRun(name, json, done, prog);
    }

    // noteInit follows init's appKey, server and sharedTabs (the latter
    // only while no account is bound).
    function noteInit(json) {
      var p = parse(json);
      if (!p || typeof p !== 'object') return;
      if (typeof p.appKey === 'string') keyCfg.appKey = p.appKey;
      if (typeof p.server === 'string') keyCfg.server = p.server;
      if (p.sharedTabs === false || p.sharedTabs === 'false') { if (t.role === 'idle') t.role = 'solo'; }
      else if ((p.sharedTabs === true || p.sharedTabs === 'true') && t.role === 'solo' && canShare) t.role = 'idle';
    }

    // bind runs a binding call (login, autoLogin, openLocalCache).
    function bind(name, json, done, prog) {
      var p = parse(json);
      var account = p && typeof p.account === 'string' ? p.account : '';
      if (!account) return goRun(name, json, done, prog); // Go answers 414
      var key = keyOf(account);
      if (t.key === key) {
        // The leader's own page: as in a tab of its own, a login cancels
        // the one in progress or replaces the one done (runBinding); the
        // followers hear the new login's events.
        if (t.role === 'leader') {
          // After a logout in flight: this call binds anew once it answered.
          if (t.loggingOut) return t.held.push(function () { route(name, json, done, prog); });
          return runBinding(name, json, done);
        }
        return forward(name, json, done, prog, true);
      }
      if (t.role === 'leader') {
        // The old run ends at once, in the order of the page's calls (as a
        // login for another account in a tab of its own would end it); the
        // followers take the old account over.
        // A's lock is released once its logout answered: no second
        // connection of A meanwhile.
        var rel = t.release; t.release = null;
        goRun('logout', '', function () { if (rel) rel(); });
        post({ t: 'bye' });
        unbind('', true);
      } else if (t.role === 'follower') unbind('this tab logged in to another account');
      claim(key, account, name, json, done, prog);
    }

    // claim asks for the account's lock: the first tab gets it and leads.
    function claim(key, account, name, json, done, prog) {
      gapReset();
      t.role = 'pending';
      t.key = key;
      t.account = account;
      t.lockName = 'yunxinIM ' + key;
      t.binding = { name: name, json: json };
      t.unbinds = unbindCount(); // a Promise: the baseline
      var got = false;
      navigator.locks.request(t.lockName, { ifAvailable: true }, function (lock) {
        if (dead) { // Go stopped meanwhile: this tab neither leads nor follows
          var w = [[name, json, done, prog]].concat(t.waiting); t.waiting = [];
          t.role = 'idle'; t.key = t.account = t.lockName = ''; t.binding = null;
          w.forEach(function (c) { c[2]({ status: false }, { code: 500, msg: dead }); });
          return;
        }
        if (!lock) { follow(done, prog); return; }
        got = true;
        return new Promise(function (res) {
          t.release = res;
          lead0(done);
        });
      }).catch(function (e) {
        if (got) return;
        console.error('yunxinIM: Web Locks failed, this tab keeps its own connection: ' + errMsg(e));
        var w = t.waiting; t.waiting = [];
        t.role = 'solo'; t.key = t.account = '';
        goRun(name, json, done, prog);
        w.forEach(function (c) { route(c[0], c[1], c[2], c[3]); });
      });
    }

    function flushWaiting() {
      var w = t.waiting; t.waiting = [];
      w.forEach(function (c) { route(c[0], c[1], c[2], c[3]); });
    }

    function openChannel(onmessage) {
      if (!t.ch) t.ch = new BroadcastChannel(t.lockName);
      t.ch.onmessage = function (e) { var m = e.data; if (m && (!m.to || m.to === t.id)) onmessage(m); };
    }

    // ---- leader

    // lead0 makes this tab the leader and runs its binding call.
    function lead0(done) {
      t.role = 'leader';
      t.leader = t.id;
      openChannel(onLeaderMessage);
      runBinding(t.binding.name, t.binding.json, done);
      flushWaiting();
    }

    // runBinding runs the binding call on this tab's Go; its answer goes to
    // done and to every tab waiting for it. A failure ends the binding.
    function runBinding(name, json, done) {
      t.binding = { name: name, json: json };
      t.bindRet = null;
      t.record = [];
      var mine = ++t.gen, key = t.key;
      goRun(name, json, function (ret, err) {
        if (t.gen !== mine || t.role !== 'leader') {
          // A later binding call ended it: Go says so for the same account;
          // for another account bind's logout ended it, said the same way.
          if (err && t.key !== key) err = { code: 415, msg: 'cancelled by a newer login' };
          return done(ret, err);
        }
        t.bindRet = { ret: ret, err: err };
        // The followers take over with this call from now on.
        if (!err) post({ t: 'binding', binding: t.binding });
        var w = t.bindWaiters; t.bindWaiters = [];
        done(ret, err);
        w.forEach(function (d) { d(ret, err); });
        if (err) unbindAll('the login failed: ' + err.msg);
      });
    }

    // leaderBinding answers a follower's binding call for the bound account
    // from the leader's state: its engine is logged in (or logging in)
    // already, and a second Login would restart the run. An openLocalCache
    // binding is upgraded by a login.
    function leaderBinding(name, json, done) {
      if (t.binding.name === 'openLocalCache' && name !== 'openLocalCache' && t.bindRet && !t.bindRet.err) {
        return runBinding(name, json, done);
      }
      if (t.bindRet) return done(t.bindRet.ret, t.bindRet.err);
      if (t.binding.name === 'openLocalCache' && name !== 'openLocalCache') {
        // A login while the cache opens: it upgrades once that is done.
        return t.bindWaiters.push(function (ret, err) {
          if (err || t.role !== 'leader') return done(ret, err);
          leaderBinding(name, json, done);
        });
      }
      t.bindWaiters.push(done);
    }

    // lead runs a non-binding call on the leader's engine.
    // A logout holds the binding calls that come while it runs (held):
    // when it ends the binding they bind anew (a follower's are routed again
    // by the follower on "unbound"), else they run then.
    function lead(name, json, done, prog) {
      if (name !== 'logout') return goRun(name, json, done, prog);
      var mine = t.gen;
      t.loggingOut = true;
      goRun(name, json, function (ret, err) {
        done(ret, err);
        if (t.role !== 'leader') return; // unbound meanwhile (held calls ran then)
        t.loggingOut = false;
        var h = t.held; t.held = [];
        var end = !err && t.gen === mine; // a newer binding call ran meanwhile: it stays
        if (end) unbindAll('logged out');
        h.forEach(function (f) { f(end); });
      }, prog);
    }

    function onLeaderMessage(m) {
      switch (m.t) {
        case 'hello':
          post({ t: 'welcome', to: m.from, replay: t.record.slice(), binding: t.binding });
          break;
        case 'call':
          m.json = mine(m.json, m.blobs);
          var reply = function (ret, err) {
            var env = JSON.stringify({ ret: ret === undefined ? null : ret, err: err || null });
            post({ t: 'ret', to: m.from, id: m.id, env: env, blobs: blobsIn(env) });
          };
          var progress = function (ret) {
            var j = JSON.stringify(ret);
            post({ t: 'prog', to: m.from, id: m.id, ret: j, blobs: blobsIn(j) });
          };
          if (BINDING[m.name]) {
            var p = parse(m.json);
            if (keyOf(p.account) !== t.key) return reply({ status: false }, { code: 415, msg: 'the tab holding the connection is bound to another account' });
            // During a logout: if it ends the binding, the follower routes
            // this call again on "unbound"; else it is answered then.
            if (t.loggingOut) return t.held.push(function (unbound) { if (!unbound) leaderBinding(m.name, m.json, reply); });
            return leaderBinding(m.name, m.json, reply);
          }
          lead(m.name, m.json, reply, progress);
          break;
      }
    }

    // engineEvent is an event of this tab's Go: the leader records account
    // events for replays, hands every event to the followers once, and
    // ends the binding everywhere on a kick or a final login failure.
    function engineEvent(kind, json) {
      var ev = null;
      if (t.role === 'leader') {
        if (kind === KIND('addAccountListen')) {
          ev = parse(json);
          if (ev.eventType === 'login' && ev.step === 1) t.record = [];
          t.record.push(json);
          if (t.record.length > MAX_REPLAY) t.record.shift();
        }
        post({ t: 'event', kind: kind, json: json, blobs: blobsIn(json) });
      }
      deliverEvent(kind, json);
      if (ev && (ev.eventType === 'kickout' || ev.eventType === 'autoLoginFailed')) unbindAll(ev.eventType);
    }

    // unbindAll ends the account's binding in every tab (the leader's engine
    // is logged out already).
    function unbindAll(reason) {
      t.bumping = bumpUnbindCount();
      // Tabs still waiting for the binding call hear why before "unbound".
      var w = t.bindWaiters; t.bindWaiters = [];
      w.forEach(function (d) { d({ status: false }, { code: 415, msg: 'not logged in: ' + reason }); });
      post({ t: 'unbound', reason: reason });
      unbind();
    }

    // unbindCount resolves to the number of unbinds of the bound account in
    // this profile ('' when it cannot be read). The leader counts one up
    // before it releases the lock; a follower that gets the lock with another
    // count than when it joined knows the account was logged out meanwhile
    // (its "unbound" not handled yet: a frozen or busy tab) and does not log
    // it in again. The count is kept in IndexedDB, not localStorage: an
    // IndexedDB write that completed is seen by every transaction that starts
    // after it, in every tab (Firefox's localStorage is not synchronized
    // between its content processes that way: a follower could get the lock
    // before it sees the count).
    function unbindCount() {
      var k = t.lockName;
      return tabsStore('readonly', function (s) { return s.get(k); })
        .then(function (v) { return String(v || 0); }, function () { return ''; });
    }
    function bumpUnbindCount() {
      var k = t.lockName;
      return tabsStore('readwrite', function (s) {
        var r = s.get(k);
        r.onsuccess = function () { s.put((r.result || 0) + 1, k); };
      }).catch(function (e) { console.warn('yunxinIM: cannot record the logout for the other tabs: ' + errMsg(e)); });
    }

    // ---- follower

    function follow(done, prog) {
      t.role = 'follower';
      t.leader = '';
      t.welcomed = false;
      openChannel(onFollowerMessage);
      var b = t.binding;
      forward(b.name, b.json, done, prog, true);
      sayHello();
      t.hello = setInterval(sayHello, HELLO_EVERY);
      // Wait for the lock: this tab takes over when the leader goes.
      var ac = new AbortController();
      t.abort = ac;
      navigator.locks.request(t.lockName, { signal: ac.signal }, function () {
        if (t.abort !== ac || t.role !== 'follower') return; // unbound meanwhile: release at once
        t.abort = null;
        var joined = t.unbinds;
        return Promise.all([joined, unbindCount()]).then(function (n) {
          if (t.role !== 'follower' || t.unbinds !== joined) return; // unbound meanwhile
          if (n[0] !== n[1]) { unbind(); return; } // logged out: its "unbound" is still on the way
          return new Promise(function (res) { t.release = res; takeover(); });
        });
      }).catch(function () {}); // aborted
      flushWaiting();
    }

    function sayHello() { if (!t.welcomed) post({ t: 'hello' }); else { clearInterval(t.hello); t.hello = 0; } }

    // forward sends a call to the leader (as soon as one is known).
    function forward(name, json, done, prog, binding) {
      var c = { id: t.nextCall++, name: name, json: json, done: done, prog: prog, binding: !!binding, sent: '' };
      t.calls[c.id] = c;
      send(c);
    }

    function send(c) {
      if (!t.leader || !t.welcomed || t.role !== 'follower') return;
      c.sent = t.leader;
      post({ t: 'call', to: t.leader, id: c.id, name: c.name, json: c.json, blobs: blobsIn(c.json) });
    }

    function sendAll() { for (var id in t.calls) if (!t.calls[id].sent) send(t.calls[id]); }

    function onFollowerMessage(m) {
      var c;
      switch (m.t) {
        case 'welcome':
          if (t.welcomed) return;
          t.leader = m.from;
          t.welcomed = true;
          if (m.binding) t.binding = m.binding;
          (m.replay || []).forEach(function (j) { deliverEvent(KIND('addAccountListen'), j); });
          sendAll();
          gapBaseline();
          break;
        case 'leader':
          lost(m.from);
          if (t.welcomed) handover();
          t.leader = m.from;
          t.welcomed = true;
          if (m.binding) t.binding = m.binding;
          sendAll();
          break;
        case 'binding':
          if (m.from === t.leader && m.binding) t.binding = m.binding;
          break;
        case 'event':
          // From the leader, or from one that is going (after its bye, or
          // before the next leader's announcement): only leaders post events.
          if (t.welcomed) deliverEvent(m.kind, localize(m.json, m.blobs));
          break;
        case 'ret':
          c = t.calls[m.id];
          if (!c || c.sent !== m.from) return;
          delete t.calls[m.id];
          var env = parse(localize(m.env, m.blobs));
          c.done(env.ret, env.err || undefined);
          break;
        case 'prog':
          c = t.calls[m.id];
          if (c && c.sent === m.from && c.prog) c.prog(parse(localize(m.ret, m.blobs)));
          break;
        case 'bye':
          // New calls wait for the next leader; the going one may still
          // answer the calls it has (lost decides once a tab got the lock).
          if (m.from === t.leader) t.leader = '';
          break;
        case 'unbound': // only a leader posts it, also to a follower it has not welcomed yet
          unbind();
          break;
      }
    }

    // lost: a tab got the lock, so the leaders before it (all but next) are
    // gone. Their unanswered calls that can run twice are sent again to the
    // next leader; the others may have taken effect and answer 415.
    function lost(next) {
      for (var k in t.calls) {
        var c = t.calls[k];
        if (!c.sent || c.sent === next) continue;
        if (c.binding || BINDING[c.name] || READ_ONLY[c.name] || AGAIN[c.name]) { c.sent = ''; continue; }
        delete t.calls[k];
        c.done({ status: false }, { code: 415, msg: SENDS[c.name] ?
          'the tab holding the connection closed while sending: if willSendMessage came and reSend was not false, the message waits in the outbox and goes out after the next sync (sendMessageFinish tells)' :
          'the tab holding the connection closed during ' + c.name + ': it may have taken effect' });
      }
    }

    // takeover: this follower got the lock, the leader is gone. It logs
    // the account in on its own engine with the leader's binding call,
    // announces itself and runs the calls that waited.
    function takeover() {
      inherit();
      lost(t.id);
      if (t.welcomed) handover();
      t.role = 'leader';
      t.leader = t.id;
      if (t.hello) { clearInterval(t.hello); t.hello = 0; }
      openChannel(onLeaderMessage);
      post({ t: 'leader', binding: t.binding });
      var calls = t.calls; t.calls = {};
      var own = null;
      for (var k in calls) if (calls[k].binding && !own) own = calls[k];
      runBinding(t.binding.name, t.binding.json, own ? own.done : function () {});
      for (k in calls) {
        var c = calls[k];
        if (c === own) continue;
        if (BINDING[c.name]) leaderBinding(c.name, c.json, c.done);
        else lead(c.name, c.json, c.done, c.prog);
      }
    }

    // ---- handover gaps
    //
    // The old leader may have recorded messages in the shared cache (so the
    // new leader's sync does not bring them again) whose events it could
    // not post any more: its document was going. Each tab keeps, per
    // session, the highest seq (the server's per-session order) it knows
    // its listeners were told of or need not be: the sessions' last
    // messages when it joined (baseline), then every message its
    // onRecvMessages brought. Once the new leader's sync is done (step 8),
    // fillGap hands the listeners what the cache has above that. State is
    // reset whenever the tab binds or unbinds.
    var gap = { pending: false, gen: 0, seqs: new Map(), from: new Map(), own: new Set() };
    var GAP_PAGE = 100, GAP_PAGES = 20; // a gap above 2000 messages in a session: the oldest stay in history only

    function sessKey(sid, ct) { return (ct || 0) + ':' + sid; }

    function gapReset() { gap.pending = false; gap.gen++; gap.seqs = new Map(); gap.from = new Map(); gap.own = new Set(); }

    // gapNote records what this tab's listeners got: received messages
    // (their seq) and this profile's own sends (never filled as received).
    function gapNote(ev) {
      if (t.role === 'solo') return;
      if (ev.eventType === 'willSendMessage' || ev.eventType === 'sendMessageFinish') {
        if (ev.message && ev.message.messageId) gap.own.add(ev.message.messageId);
        return;
      }
      if (ev.eventType !== 'onRecvMessages' || !Array.isArray(ev.messages)) return;
      ev.messages.forEach(function (m) {
        if (!m || !m.seq) return;
        var k = sessKey(m.sessionId, m.chatType);
        if (!(gap.seqs.get(k) >= m.seq)) gap.seqs.set(k, m.seq);
      });
    }

    // gapBaseline records the sessions' last messages when this tab joins a
    // leader: what came before is not news for this tab.
    function gapBaseline() {
      var g = gap.gen;
      route('allRecentSessions', '', function (ret) {
        if (g !== gap.gen) return;
        ((ret && ret.recentSessions) || []).forEach(function (r) {
          var m = r.lastMessage;
          if (!m || !m.seq) return;
          var k = sessKey(m.sessionId, m.chatType);
          if (!(gap.seqs.get(k) >= m.seq)) gap.seqs.set(k, m.seq);
        });
      });
    }

    // handover: the connection moves to another tab. The cursors are
    // taken now: the new leader's sync may announce later messages before
    // its step 8, which must not move the gap's start.
    function handover() { if (!gap.pending) gap.from = new Map(gap.seqs); gap.pending = true; }

    function accountEvent(ev) {
      if (ev.eventType === 'login' && ev.step === 8 && gap.pending && t.role !== 'solo') {
        gap.pending = false;
        fillGap();
      }
    }

    // fillGap hands this tab's listeners, as onRecvMessages, the messages of
    // the cache above each session's seq that they did not get (by id),
    // except this profile's own sends, paging back from the newest.
    function fillGap() {
      var g = gap.gen;
      route('allRecentSessions', '', function (ret) {
        if (g !== gap.gen) return;
        var found = [], left = 0;
        ((ret && ret.recentSessions) || []).forEach(function (r) {
          var m = r.lastMessage, sr = r.session || {};
          var sid = sr.sessionId || r.sessionId, ct = sr.chatType || 0;
          var from = gap.from.get(sessKey(sid, ct)) || 0;
          if (!m || !m.seq || m.seq <= from) return;
          left++;
          page(sid, ct, from, '', 0);
        });
        function page(sid, ct, from, anchor, n) {
          route('messagesInSession', JSON.stringify({ sessionId: sid, chatType: ct, messageId: anchor, limit: GAP_PAGE }), function (ret) {
            var ms = (ret && ret.messages) || [], more = ms.length >= GAP_PAGE, oldest = null;
            ms.forEach(function (m) {
              if (!m || !m.messageId) return;
              if (!oldest || m.seq < oldest.seq) oldest = m;
              if (m.seq > from && !gap.own.has(m.messageId) && !seen.set.has(m.messageId)) found.push(m);
            });
            if (more && oldest && oldest.seq > from + 1 && n + 1 < GAP_PAGES) return page(sid, ct, from, oldest.messageId, n + 1);
            if (--left || g !== gap.gen || !found.length) return;
            found.sort(function (a, b) { return a.timestamp - b.timestamp || a.seq - b.seq; });
            deliverEvent(KIND('addMessageListen'), JSON.stringify({ eventType: 'onRecvMessages', messages: found }));
          });
        }
      });
    }

    // ---- both

    // unbind makes this tab idle and releases the lock (the unbind count
    // keeps a follower that gets it from logging the account in again;
    // the lock is released only once that count is written, so that a
    // follower that gets the lock sees it). A follower's unanswered
    // calls: when it leaves for another account (why), they answer 415;
    // else those the leader may have run (sent, not read-only) answer 415
    // "may have taken effect", and the others are routed again once idle
    // (a binding call claims the account anew; never run on this tab's Go
    // while bound elsewhere). Binding calls a leader's own page made during
    // its logout bind anew (lead). handover: the leader hands the account
    // over (another account, its Go stopped).
    function unbind(why, handover) {
      var wasLeader = t.role === 'leader';
      if (t.hello) { clearInterval(t.hello); t.hello = 0; }
      if (t.abort) { t.abort.abort(); t.abort = null; }
      if (t.ch) { t.ch.onmessage = null; t.ch.close(); t.ch = null; }
      var rel = t.release; t.release = null;
      var bumping = t.bumping; t.bumping = null;
      if (rel) { if (wasLeader && !handover && bumping) bumping.then(rel, rel); else rel(); }
      var calls = t.calls;
      t.calls = {};
      t.role = 'idle';
      t.key = t.account = t.leader = t.unbinds = '';
      t.binding = t.bindRet = null;
      t.welcomed = false;
      t.loggingOut = false;
      var w = t.bindWaiters; t.bindWaiters = [];
      w.forEach(function (d) { d({ status: false }, { code: 415, msg: 'not logged in' }); });
      var h = t.held; t.held = [];
      h.forEach(function (f) { f(true); });
      gapReset();
      var again = [];
      for (var k in calls) {
        var c = calls[k];
        if (why) c.done({ status: false }, { code: 415, msg: why });
        else if (c.sent && !c.binding && !BINDING[c.name] && !READ_ONLY[c.name]) {
          c.done({ status: false }, { code: 415, msg: 'the account was logged out during ' + c.name + ': it may have taken effect' });
        } else again.push(c);
      }
      again.forEach(function (c) { route(c.name, c.json, c.done, c.prog); });
    }

    // died: this tab's Go stopped (every call of its page answers 500 from
    // now on). A leader hands the account over at once (bye, lock
    // released); a follower leaves: it could not take over.
    function died() {
      if (t.role === 'solo' || t.role === 'idle' || t.role === 'pending') return; // pending: claim sees dead
      var calls = t.calls; t.calls = {};
      if (t.role === 'leader') post({ t: 'bye' });
      unbind('', true);
      for (var k in calls) calls[k].done({ status: false }, { code: 500, msg: dead });
    }

    // The leader says bye when its page goes (best effort: its lock goes
    // with the document anyway).
    // A page kept in the back-forward cache (persisted) may come back: it
    // keeps the lock, and the browser evicts it if it is needed.
    global.addEventListener('pagehide', function (e) { if (t.role === 'leader' && !e.persisted) post({ t: 'bye' }); });

    return {
      route: route,
      engineEvent: engineEvent,
      accountEvent: accountEvent,
      gapNote: gapNote,
      died: died,
      shared: function () { return t.role !== 'solo'; }
    };
  })();

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
