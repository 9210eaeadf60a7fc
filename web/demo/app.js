// yunxinIM web demo: a chat app written only against the APICloud yunxinIM
// plugin API (api.require('yunxinIM')), as an APICloud page would be.
// Message text is always rendered with textContent, never innerHTML.
(function () {
  'use strict';
  var yunxinIM = api.require('yunxinIM');
  var PAGE = 20;
  var STORE = { account: 'yunxinIM.demo.account', token: 'yunxinIM.demo.token' };

  var $ = function (id) { return document.getElementById(id); };
  var me = '';            // logged-in account
  var sessions = {};      // sessionId → recent session
  var current = '';       // open conversation
  var shown = [];         // messages of the open conversation, oldest first
  var byId = {};          // messageId → {msg, el}
  var gen = 0;            // bumps when the open conversation changes
  var reconnecting = false; // the SDK lost the connection and is retrying

  // ---- helpers ----------------------------------------------------------

  function storage(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key) || '';
      if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
    } catch (e) { /* private mode */ }
    return '';
  }

  // Errors that come from the connection (timeout, not connected, rate
  // limited, server error) go away by themselves once the SDK is back
  // online (clearConnectionErrors); the others stay until the next action.
  var CONNECTION_CODES = { 408: true, 415: true, 416: true, 500: true };

  function showError(id, err) {
    var el = $(id);
    el.textContent = err ? (err.msg || 'error') + (err.code ? ' (' + err.code + ')' : '') : '';
    el.dataset.connection = err && CONNECTION_CODES[err.code] ? 'true' : '';
  }

  function clearConnectionErrors() {
    ['chatError', 'loginError'].forEach(function (id) {
      if ($(id).dataset.connection) showError(id, null);
    });
  }

  function setStatus(text, cls) {
    var s = $('status');
    s.textContent = text;
    s.className = 'status ' + cls;
  }

  function textOf(m) {
    if (!m) return '';
    var b = m.body;
    if (typeof b === 'string') { try { b = JSON.parse(b); } catch (e) { return b; } }
    if (b && typeof b.text === 'string') return b.text;
    return '[unsupported message]';
  }

  function clock(ms) {
    if (!ms) return '';
    var d = new Date(ms), now = new Date();
    var hm = ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
    return d.toDateString() === now.toDateString() ? hm : (d.getMonth() + 1) + '/' + d.getDate() + ' ' + hm;
  }

  function sidOf(x) { return x.sessionId || (x.session && x.session.sessionId) || ''; }

  // ---- views ------------------------------------------------------------

  function showLogin() {
    me = ''; current = ''; reconnecting = false; sessions = {}; shown = []; byId = {};
    $('chatView').hidden = true;
    $('loginView').hidden = false;
    $('logout').hidden = true;
    $('me').textContent = '';
    $('account').value = storage(STORE.account);
    $('token').value = '';
    renderSessions();
    clearConversation();
    ($('account').value ? $('token') : $('account')).focus();
  }

  function showChat(account) {
    me = account;
    $('me').textContent = account;
    $('loginView').hidden = true;
    $('chatView').hidden = false;
    $('logout').hidden = false;
    loadSessions();
  }

  // ---- login ------------------------------------------------------------

  $('loginForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var account = $('account').value.trim(), token = $('token').value;
    showError('loginError', null);
    $('login').disabled = true;
    yunxinIM.login({ account: account, token: token }, function (ret, err) {
      $('login').disabled = false;
      if (!ret || !ret.status) return showError('loginError', err);
      storage(STORE.account, account);
      storage(STORE.token, token);
      showChat(account);
    });
  });

  $('logout').addEventListener('click', function () {
    storage(STORE.token, null);
    me = ''; // leaving: the disconnect that follows is not a reconnect
    yunxinIM.logout(function () { setStatus('offline', 'offline'); showLogin(); });
  });

  // Login steps as the status pill shows them. Once logged in (me is set,
  // by login or autoLogin) the SDK reconnects by itself: a failed connect or
  // a drop then means "reconnecting…", not "connect failed".
  var STEPS = {
    1: ['connecting…', 'connecting'], 2: ['connected', 'connecting'], 3: ['connect failed', 'offline'],
    4: ['logging in…', 'connecting'], 5: ['online', 'online'], 6: ['login failed', 'offline'],
    7: ['syncing…', 'online'], 8: ['online', 'online'], 9: ['disconnected', 'offline']
  };
  yunxinIM.addAccountListen(function (ret) {
    if (ret.eventType === 'login') {
      var step = ret.step, s = STEPS[step];
      if (step === 5) reconnecting = false;
      else if ((step === 3 || step === 9) && me) reconnecting = true;
      if (reconnecting) s = ['reconnecting…', 'connecting'];
      if (s && (me || step !== 9)) setStatus(s[0], s[1]); // a logout's or kick's drop keeps its own status
      if (step === 5 || step === 8) clearConnectionErrors();
      if (step === 8 && me) loadSessions();
    } else if (ret.eventType === 'kickout') {
      storage(STORE.token, null);
      setStatus('kicked out', 'offline');
      showLogin();
      showError('loginError', { msg: 'Logged out: ' + (ret.reasonDesc || 'this account logged in elsewhere') });
    } else if (ret.eventType === 'autoLoginFailed') {
      // The SDK has stopped (wrong token, origin not allowed, retry limit
      // reached, local cache closed): whatever the code, back to the login
      // view with the reason. Only a refused token is forgotten.
      if (ret.code === 302) storage(STORE.token, null);
      setStatus('login failed', 'offline');
      showLogin();
      showError('loginError', ret);
    }
  });

  // ---- sessions ---------------------------------------------------------

  function loadSessions() {
    yunxinIM.allRecentSessions(function (ret, err) {
      if (err) return showError('chatError', err);
      sessions = {};
      (ret.recentSessions || []).forEach(function (s) { sessions[sidOf(s)] = s; });
      renderSessions();
    });
  }

  function sessionTime(s) {
    return s.updateTime || (s.lastMessage && s.lastMessage.timestamp) || 0;
  }

  function renderSessions() {
    var ul = $('sessions');
    var list = Object.keys(sessions).map(function (k) { return sessions[k]; });
    list.sort(function (a, b) { return sessionTime(b) - sessionTime(a); });
    var frag = document.createDocumentFragment();
    list.forEach(function (s) {
      var sid = sidOf(s);
      var li = document.createElement('li');
      li.className = 'session' + (sid === current ? ' active' : '');
      li.dataset.sessionId = sid;
      var name = document.createElement('span'); name.className = 'name'; name.textContent = sid;
      var time = document.createElement('span'); time.className = 'time'; time.textContent = clock(sessionTime(s));
      var prev = document.createElement('span'); prev.className = 'preview';
      prev.textContent = s.content || textOf(s.lastMessage) || '';
      var badge = document.createElement('span'); badge.className = 'unread';
      badge.textContent = String(s.unreadCount || 0);
      badge.hidden = !s.unreadCount;
      li.append(name, time, prev, badge);
      li.addEventListener('click', function () { openConversation(sid); });
      frag.appendChild(li);
    });
    ul.replaceChildren(frag);
    $('noSessions').hidden = list.length > 0;
  }

  yunxinIM.addSessionListen(function (ret) {
    var s = ret.recentSession, sid = s ? sidOf(s) : (ret.session && ret.session.sessionId);
    if (!sid) return;
    if (ret.eventType === 'didRemoveRecentSession') {
      delete sessions[sid];
    } else if (s) {
      sessions[sid] = s;
      if (sid === current && s.unreadCount > 0 && document.visibilityState !== 'hidden') markRead(sid);
    }
    renderSessions();
  });

  $('newChatForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var peer = $('peer').value.trim();
    if (!peer) return;
    showError('chatError', null);
    yunxinIM.creatRecentSession({ sessionId: peer, chatType: 0 }, function (ret, err) {
      // Online, the SDK checks that the account exists (404 if not); the
      // conversation opens only when it does.
      if (err && err.code === 404) return showError('chatError', { msg: 'There is no account "' + peer + '": check the name' });
      if (err) return showError('chatError', err);
      $('peer').value = '';
      if (!sessions[peer]) {
        sessions[peer] = { sessionId: peer, session: { sessionId: peer, chatType: 0 }, unreadCount: 0, updateTime: Date.now() };
      }
      renderSessions();
      openConversation(peer);
    });
  });

  // ---- conversation -----------------------------------------------------

  function clearConversation() {
    gen++;
    shown = []; byId = {};
    var box = $('messages');
    Array.prototype.slice.call(box.querySelectorAll('.msg')).forEach(function (el) { el.remove(); });
    $('loadOlder').hidden = true;
    $('peerName').textContent = current || 'Pick a conversation';
  }

  function openConversation(sid) {
    current = sid;
    showError('chatError', null);
    clearConversation();
    renderSessions();
    var g = gen;
    yunxinIM.messagesInSession({ sessionId: sid, chatType: 0, limit: PAGE }, function (ret, err) {
      if (g !== gen) return;
      if (err) return showError('chatError', err);
      var msgs = ret.messages || [];
      msgs.forEach(function (m) { addMessage(m, false); });
      $('loadOlder').hidden = msgs.length < PAGE;
      scrollToBottom();
      markRead(sid);
    });
    $('text').focus();
  }

  $('loadOlder').addEventListener('click', function () {
    if (!shown.length) return;
    var g = gen, box = $('messages'), before = box.scrollHeight;
    yunxinIM.messagesInSession({ sessionId: current, chatType: 0, messageId: shown[0].messageId, limit: PAGE, direction: 'QUERY_OLD' }, function (ret, err) {
      if (g !== gen) return;
      if (err) return showError('chatError', err);
      var msgs = ret.messages || [];
      for (var i = msgs.length - 1; i >= 0; i--) addMessage(msgs[i], true);
      $('loadOlder').hidden = msgs.length < PAGE;
      box.scrollTop += box.scrollHeight - before;
    });
  });

  function isOut(m) { return m.isOutgoingMsg !== undefined ? m.isOutgoingMsg : m.from === me; }

  // addMessage adds or updates m in the open conversation; prepend puts a new one first.
  function addMessage(m, prepend) {
    var known = byId[m.messageId];
    if (known) { known.msg = m; renderMessage(known); return; }
    var el = document.createElement('div');
    el.dataset.messageId = m.messageId;
    var text = document.createElement('div'); text.className = 'text';
    var meta = document.createElement('div'); meta.className = 'meta';
    el.append(text, meta);
    var entry = { msg: m, el: el };
    byId[m.messageId] = entry;
    var box = $('messages');
    if (prepend) {
      shown.unshift(m);
      $('loadOlder').after(el);
    } else {
      shown.push(m);
      box.appendChild(el);
    }
    renderMessage(entry);
  }

  function renderMessage(entry) {
    var m = entry.msg, el = entry.el, out = isOut(m);
    var i = shown.findIndex(function (x) { return x.messageId === m.messageId; });
    if (i >= 0) shown[i] = m;
    var failed = out && m.deliveryState === 0;
    el.className = 'msg ' + (out ? 'out' : 'in') + (failed ? ' failed' : '');
    el.querySelector('.text').textContent = textOf(m);
    var meta = el.querySelector('.meta');
    meta.textContent = clock(m.timestamp);
    if (out) {
      var tick = document.createElement('span');
      tick.className = 'tick' + (m.isRemoteRead ? ' read' : '');
      tick.textContent = failed ? '!' : m.deliveryState === 1 ? '…' : m.isRemoteRead ? '✓✓' : '✓';
      tick.title = failed ? 'not sent' : m.deliveryState === 1 ? 'sending' : m.isRemoteRead ? 'read' : 'sent';
      meta.appendChild(tick);
    }
  }

  function scrollToBottom() { var box = $('messages'); box.scrollTop = box.scrollHeight; }

  function nearBottom() { var box = $('messages'); return box.scrollHeight - box.scrollTop - box.clientHeight < 80; }

  // markRead clears the open conversation's unread count and sends the peer
  // a read receipt for its newest incoming message. Calls within one moment
  // (a message and its session update) are coalesced.
  var readTimer = 0, receipted = {};
  function markRead(sid) {
    if (sid !== current || readTimer) return;
    readTimer = setTimeout(function () {
      readTimer = 0;
      if (sid !== current) return;
      yunxinIM.markAllMessagesReadInSession({ sessionId: sid, chatType: 0 }, function () {});
      for (var i = shown.length - 1; i >= 0; i--) {
        if (!isOut(shown[i])) {
          var id = shown[i].messageId;
          if (receipted[sid] !== id) {
            receipted[sid] = id;
            yunxinIM.sendMessageReceipt({ sessionId: sid, chatType: 0, messageId: id }, function () {});
          }
          break;
        }
      }
    }, 30);
  }

  // ---- sending ----------------------------------------------------------

  function send() {
    var input = $('text'), text = input.value;
    if (!current) return showError('chatError', { msg: 'Pick a conversation or start a new chat first' });
    if (!text.trim()) return;
    input.value = '';
    var sid = current, g = gen;
    yunxinIM.sendText({ sessionId: sid, chatType: 0, text: text }, function (ret, err) {
      if (err) {
        showError('chatError', err.code === 415 ? { code: 415, msg: 'Not sent: offline. It reconnects by itself; send again when it is back' } : err);
        if (g === gen && !input.value) input.value = text;
        return;
      }
      showError('chatError', null);
      if (g === gen && ret.message) { addMessage(ret.message, false); scrollToBottom(); }
    });
  }

  $('composer').addEventListener('submit', function (e) { e.preventDefault(); send(); });
  $('text').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });

  // ---- live messages ----------------------------------------------------

  yunxinIM.addMessageListen(function (ret) {
    switch (ret.eventType) {
      case 'willSendMessage':
      case 'sendMessageFinish':
      case 'sendMessageFail':
        if (ret.message && sidOf(ret.message) === current) {
          var stick = nearBottom();
          addMessage(ret.message, false);
          if (stick) scrollToBottom();
        }
        break;
      case 'onRecvMessages':
        var mine = (ret.messages || []).filter(function (m) { return sidOf(m) === current; });
        if (!mine.length) break;
        var bottom = nearBottom();
        mine.forEach(function (m) { addMessage(m, false); });
        if (bottom || mine.some(isOut)) scrollToBottom();
        if (mine.some(function (m) { return !isOut(m); }) && document.visibilityState !== 'hidden') markRead(current);
        break;
      case 'onRecvMessageReceipts':
        (ret.receipts || []).forEach(function (r) {
          if (sidOf(r) !== current) return;
          var upto = shown.findIndex(function (m) { return m.messageId === r.messageId; });
          shown.forEach(function (m, i) {
            if (isOut(m) && !m.isRemoteRead && m.deliveryState === 2 && (upto < 0 || i <= upto)) {
              m.isRemoteRead = true;
              renderMessage(byId[m.messageId]);
            }
          });
        });
        break;
    }
  });

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && current && sessions[current] && sessions[current].unreadCount) markRead(current);
  });

  // ---- start ------------------------------------------------------------

  var account = storage(STORE.account), token = storage(STORE.token);
  if (account && token) {
    // Cached sessions show at once, even offline; the login goes on in the background.
    setStatus('connecting…', 'connecting');
    me = account; // autoLogin retries by itself from the start
    yunxinIM.autoLogin({ account: account, token: token }, function (ret, err) {
      if (err) { showLogin(); return showError('loginError', err); }
      showChat(account);
    });
  } else {
    showLogin();
  }
})();
