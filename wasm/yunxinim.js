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
 * with hooks.event(kind, json). Page callbacks always run in a microtask,
 * outside Go's stack, and their exceptions are rethrown asynchronously so
 * they reach the console and never Go.
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
      json = params === undefined || params === null ? '' : JSON.stringify(params);
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
    event: function (kind, json) {
      var list = listeners[kind];
      if (!list || !list.length) return;
      var ret;
      try { ret = JSON.parse(json); } catch (e) { console.error('yunxinIM: bad event: ' + e.message); return; }
      list.slice().forEach(function (fn) { later(function () { fn(ret); }); });
    }
  };
  Object.defineProperty(global, '__yunxinIM_hooks', { value: hooks, configurable: true });

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
