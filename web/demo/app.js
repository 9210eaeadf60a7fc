// yunxinIM web demo: a chat app written only against the APICloud yunxinIM
// plugin API (api.require('yunxinIM')), as an APICloud page would be.
// User data (message text, file names, places, account names) is always
// rendered with textContent or as attribute values, never with innerHTML;
// URLs from message bodies are used only when they are http(s):, blob: (or
// data: for media sources). The people features (contacts, inbox, profiles)
// are in people.js, started below as `people`; the teams (the Teams tab,
// team pages, team notification lines) in teams.js, as `teams`.
(function () {
  'use strict';
  var yunxinIM = api.require('yunxinIM');
  var PAGE = 20;
  var STORE = { account: 'yunxinIM.demo.account', token: 'yunxinIM.demo.token' };
  // Message body types (the doc's appendix 消息体).
  var TEXT = 0, IMAGE = 1, VOICE = 2, VIDEO = 3, LOCATION = 4, NOTIFICATION = 5, FILE = 6, TIP = 10;
  var KIND = { 0: 'text', 1: 'image', 2: 'voice', 3: 'video', 4: 'location', 5: 'notification', 6: 'file', 10: 'tip' };

  var $ = function (id) { return document.getElementById(id); };
  var me = '';            // logged-in account
  var sessions = {};      // sessionId → recent session
  var current = '';       // open conversation
  var shown = [];         // entries {msg, el, …} of the open conversation, oldest first
  var byId = {};          // messageId → entry
  var gen = 0;            // bumps when the open conversation changes
  var reconnecting = false; // the SDK lost the connection and is retrying
  var reachedStart = false; // the server has nothing older than the oldest shown message
  var cleared = false;    // the open conversation was cleared on this device (the server still has it)
  var uploads = {};       // messageId → upload progress 0…1 of an outgoing attachment
  var downloads = {};     // messageId → {running, progress, path, error} of a download()
  var urlToId = {};       // attachment url → messageId, for the download events
  var recalled = {};      // sessionId → {messageId → {by, text, timestamp}}: recalls seen by this page
  var chatTypes = {};     // sessionId → its chatType: 0 P2P, 1 team, 5 super team

  // ---- helpers ----------------------------------------------------------

  function storage(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key) || '';
      if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
    } catch (e) { /* private mode */ }
    return '';
  }

  // A session's chatType (0 for a chat with an account).
  function ct(sid) { return chatTypes[sid] || 0; }
  function isTeam(sid) { return ct(sid) === 1 || ct(sid) === 5; }
  function rememberChatType(s) {
    var t = typeof s.chatType === 'number' ? s.chatType : s.session && s.session.chatType;
    if (sidOf(s)) chatTypes[sidOf(s)] = t || 0;
  }
  // A session's name and avatar: a team's, or an account's.
  function nameOf(sid) { return isTeam(sid) ? teams.name(sid) : people.name(sid); }
  function avatarOf(sid, cls) { return isTeam(sid) ? teams.avatar(sid, cls) : people.avatar(sid, cls); }

  // Team refusals of a send, in words.
  var TEAM_SEND = { 803: 'Not sent: the team does not exist any more', 804: 'Not sent: you are not a member of this team', 812: 'Not sent: you are muted in this team' };

  // Errors that come from the connection (timeout, not connected, rate
  // limited, server error) go away by themselves once the SDK is back
  // online (clearConnectionErrors); the others stay until the next action.
  var CONNECTION_CODES = { 408: true, 415: true, 416: true, 500: true };

  // A message refused because the receiver has the sender on its
  // blacklist (7101).
  var BLOCKED = 7101;
  var BLOCKED_TEXT = 'Not sent: blocked by the receiver';

  function showError(id, err) {
    var el = $(id);
    if (err && err.code === BLOCKED && id === 'chatError') err = { code: BLOCKED, msg: BLOCKED_TEXT };
    if (err && TEAM_SEND[err.code] && id === 'chatError') err = { code: err.code, msg: TEAM_SEND[err.code] };
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

  // h makes an element with a class and, optionally, its text.
  function h(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function button(cls, label, title, onclick) {
    var b = h('button', cls, label);
    b.type = 'button';
    if (title) b.title = title;
    b.addEventListener('click', function (e) { e.stopPropagation(); onclick(); });
    return b;
  }

  function bodyOf(m) {
    var b = m && m.body;
    if (typeof b === 'string') { try { b = JSON.parse(b); } catch (e) { b = { type: TEXT, text: b }; } }
    return b && typeof b === 'object' ? b : {};
  }

  function typeOf(m) { var t = bodyOf(m).type; return typeof t === 'number' ? t : TEXT; }

  function hasAttachment(type) { return type === IMAGE || type === VOICE || type === VIDEO || type === FILE; }

  // safeURL returns u when it is a URL the page may load or link to
  // (http:, https:, blob:; data: only as a media source), else ''.
  function safeURL(u, media) {
    if (typeof u !== 'string' || !u) return '';
    try {
      var p = new URL(u, location.href).protocol;
      return p === 'http:' || p === 'https:' || p === 'blob:' || (media && p === 'data:') ? u : '';
    } catch (e) { return ''; }
  }

  function bytes(n) {
    if (!(n >= 0)) return '';
    if (n < 1024) return n + ' B';
    var units = ['KB', 'MB', 'GB'], v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ' + units[i];
  }

  function duration(ms) {
    if (!(ms > 0)) return '';
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + ':' + ('0' + s % 60).slice(-2);
  }

  // summaryOf is the one-line text of a message for the session list.
  function summaryOf(m) {
    if (!m) return '';
    var b = bodyOf(m);
    switch (typeOf(m)) {
      case TEXT: return typeof b.text === 'string' ? b.text : '';
      case IMAGE: return '[Picture]';
      case VOICE: return '[Voice] ' + duration(b.duration);
      case VIDEO: return '[Video] ' + duration(b.duration);
      case LOCATION: return '[Location] ' + (b.title || '');
      case FILE: return '[File] ' + (b.displayName || '');
      case TIP: return b.text || '';
      case NOTIFICATION: return teams.noteLine(m);
      default: return '[Message]';
    }
  }

  function clock(ms) {
    if (!ms) return '';
    var d = new Date(ms), now = new Date();
    var hm = ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
    return d.toDateString() === now.toDateString() ? hm : (d.getMonth() + 1) + '/' + d.getDate() + ' ' + hm;
  }

  function sidOf(x) { return x.sessionId || (x.session && x.session.sessionId) || ''; }

  // people.js: names, avatars, mute states, the contacts and inbox tabs and
  // the profile page.
  var people = window.demoPeople({
    yunxinIM: yunxinIM, $: $, h: h, button: button, showError: showError, safeURL: safeURL, clock: clock,
    changed: function () { renderSessions(); renderPeer(); refreshSenders(); teams.refresh(); },
    openChat: function (id) { people.showTab('chats'); startChat(id); },
    teamName: function (tid) { return teams.name(tid); },
    teamNote: function (n, acts, li, reload) { return teams.inboxNote(n, acts, li, reload); },
    tabShown: function (tab) { if (tab === 'teams') teams.tabShown(); }
  });
  var teams = window.demoTeams({
    yunxinIM: yunxinIM, $: $, h: h, button: button, showError: showError, safeURL: safeURL, clock: clock, people: people,
    changed: function () { renderSessions(); renderPeer(); refreshSenders(); },
    openChat: function (tid, chatType) { people.showTab('chats'); startChat(tid, null, chatType); }
  });

  // ---- views ------------------------------------------------------------

  function showLogin() {
    me = ''; current = ''; reconnecting = false; sessions = {}; shown = []; byId = {};
    uploads = {}; downloads = {}; urlToId = {}; recalled = {}; chatTypes = {};
    stopRecording(false);
    $('chatView').hidden = true;
    $('loginView').hidden = false;
    $('logout').hidden = true;
    people.stop();
    teams.stop();
    $('account').value = storage(STORE.account);
    $('token').value = '';
    renderSessions();
    clearConversation();
    ($('account').value ? $('token') : $('account')).focus();
  }

  function showChat(account) {
    me = account;
    $('loginView').hidden = true;
    $('chatView').hidden = false;
    $('logout').hidden = false;
    people.start(account);
    teams.start(account);
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
      if (step === 8 && me) { loadSessions(); people.synced(); teams.synced(); }
      if (step === 5 || step === 9) refreshPending();
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
      (ret.recentSessions || []).forEach(function (s) { sessions[sidOf(s)] = s; rememberChatType(s); });
      renderSessions();
    });
  }

  function sessionTime(s) {
    return s.updateTime || (s.lastMessage && s.lastMessage.timestamp) || 0;
  }

  // The list's items are kept across renders, keyed by session id, and only
  // what changed is written: an element replaced between a press and its
  // release loses the click (seen on WebKit while a reload's sync rendered
  // the list again and again).
  var sessionItems = {}; // sessionId → { li, avatar, avatarKey, name, nameKey, time, prev, badge }

  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

  // keyOfAvatar is what an avatar shows (its initials, colour and image),
  // not the state of its image's loading.
  function keyOfAvatar(el) {
    var imgs = Array.prototype.map.call(el.querySelectorAll('img'), function (i) { return i.getAttribute('src'); });
    return el.className.replace(/\bhas-image\b/, '') + '|' + el.style.cssText + '|' + el.textContent + '|' + imgs.join(' ');
  }

  function sessionItem(sid) {
    var it = sessionItems[sid];
    if (it) return it;
    var li = document.createElement('li');
    li.dataset.sessionId = sid;
    it = { li: li, avatar: h('span'), avatarKey: null, name: h('span', 'name'), nameKey: null, time: h('span', 'time'),
      prev: h('span', 'preview'), badge: h('span', 'unread') };
    it.name.title = sid;
    li.append(it.avatar, it.name, it.time, it.prev, it.badge);
    li.addEventListener('click', function () { openConversation(sid); });
    sessionItems[sid] = it;
    return it;
  }

  function renderSessions() {
    var ul = $('sessions');
    var list = Object.keys(sessions).map(function (k) { return sessions[k]; });
    list.sort(function (a, b) { return sessionTime(b) - sessionTime(a); });
    var seen = {};
    list.forEach(function (s, i) {
      var sid = sidOf(s);
      seen[sid] = true;
      var it = sessionItem(sid);
      // A muted chat (setMute, or a team with no alerts) shows its count in grey, not the red alert.
      var muted = isTeam(sid) ? teams.isQuiet(sid) : people.isMuted(sid);
      var cls = 'session' + (sid === current ? ' active' : '') + (muted ? ' muted' : '');
      if (it.li.className !== cls) it.li.className = cls;
      var avatar = avatarOf(sid), avatarKey = keyOfAvatar(avatar);
      if (it.avatarKey !== avatarKey) { it.li.replaceChild(avatar, it.avatar); it.avatar = avatar; it.avatarKey = avatarKey; }
      var nameKey = nameOf(sid) + (muted ? '\u0000muted' : '');
      if (it.nameKey !== nameKey) {
        it.nameKey = nameKey;
        it.name.replaceChildren(nameOf(sid));
        if (muted) it.name.appendChild(people.mutedIcon());
      }
      setText(it.time, clock(sessionTime(s)));
      setText(it.prev, s.lastMessage ? summaryOf(s.lastMessage) : s.content || '');
      var badgeCls = 'unread' + (muted ? ' muted' : '');
      if (it.badge.className !== badgeCls) it.badge.className = badgeCls;
      setText(it.badge, String(s.unreadCount || 0));
      it.badge.hidden = !s.unreadCount;
      var title = muted && s.unreadCount ? s.unreadCount + ' unread (muted)' : '';
      if (it.badge.title !== title) it.badge.title = title;
      if (ul.children[i] !== it.li) ul.insertBefore(it.li, ul.children[i] || null);
    });
    Object.keys(sessionItems).forEach(function (sid) {
      if (!seen[sid]) { sessionItems[sid].li.remove(); delete sessionItems[sid]; }
    });
    $('noSessions').hidden = list.length > 0;
    people.need(list.map(sidOf).filter(function (sid) { return !isTeam(sid); }));
  }

  yunxinIM.addSessionListen(function (ret) {
    var s = ret.recentSession, sid = s ? sidOf(s) : (ret.session && ret.session.sessionId);
    if (!sid) return;
    if (ret.eventType === 'didRemoveRecentSession') {
      delete sessions[sid];
    } else if (s) {
      sessions[sid] = s;
      rememberChatType(s);
      if (sid === current && s.unreadCount > 0 && document.visibilityState !== 'hidden') markRead(sid);
    }
    renderSessions();
  });

  $('newChatForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var peer = $('peer').value.trim();
    if (!peer) return;
    startChat(peer, function () { $('peer').value = ''; });
  });

  // startChat opens the conversation with peer (an account, or a team with
  // chatType 1 or 5), creating its session.
  function startChat(peer, done, chatType) {
    showError('chatError', null);
    chatType = chatType || 0;
    yunxinIM.creatRecentSession({ sessionId: peer, chatType: chatType }, function (ret, err) {
      // Online, the SDK checks that the account exists (404 if not); the
      // conversation opens only when it does.
      people.closeProfile();
      teams.close();
      if (err && err.code === 404) return showError('chatError', { msg: 'There is no ' + (chatType ? 'team' : 'account') + ' "' + peer + '": check the name' });
      if (err) return showError('chatError', err);
      if (done) done();
      if (!sessions[peer]) {
        sessions[peer] = { sessionId: peer, session: { sessionId: peer, chatType: chatType }, unreadCount: 0, updateTime: Date.now() };
      }
      chatTypes[peer] = chatType;
      renderSessions();
      openConversation(peer);
    });
  }

  // ---- conversation -----------------------------------------------------

  function clearConversation() {
    gen++;
    shown = []; byId = {};
    reachedStart = false; cleared = false;
    var box = $('messages');
    Array.prototype.slice.call(box.querySelectorAll('.msg')).forEach(function (el) { el.remove(); });
    renderPeer();
    $('clearChat').hidden = !current;
    resetClearChat();
    $('locationForm').hidden = true;
    updateOlder();
  }

  // renderPeer draws the conversation's header: the peer's avatar, name
  // and mute state, and the button to its profile.
  function renderPeer() {
    $('peerName').textContent = current ? nameOf(current) : 'Pick a conversation';
    $('peerName').title = current;
    $('peerAvatar').replaceChildren();
    if (current) $('peerAvatar').appendChild(avatarOf(current, 'small'));
    $('peerMuted').hidden = !current || isTeam(current) || !people.isMuted(current);
    $('peerProfile').hidden = !current || isTeam(current);
    $('teamInfo').hidden = !current || !isTeam(current);
  }
  $('peerProfile').addEventListener('click', function () { if (current) people.openProfile(current); });
  $('teamInfo').addEventListener('click', function () { if (isTeam(current)) teams.open(current); });

  // refreshSenders redraws the sender names of the shown messages.
  function refreshSenders() {
    shown.forEach(function (e) { if (e.recalled || typeOf(e.msg) === NOTIFICATION) renderMessage(e); else renderSender(e); });
  }

  function openConversation(sid) {
    current = sid;
    people.closeProfile();
    teams.close();
    showError('chatError', null);
    clearConversation();
    renderSessions();
    var g = gen;
    yunxinIM.messagesInSession({ sessionId: sid, chatType: ct(sid), limit: PAGE }, function (ret, err) {
      if (g !== gen) return;
      if (err) return showError('chatError', err);
      (ret.messages || []).forEach(function (m) { addMessage(m); });
      addRecalledPlaceholders();
      updateOlder();
      scrollToBottom();
      markRead(sid);
    });
    $('text').focus();
  }

  // updateOlder shows "Load older messages" unless the server said there is
  // nothing older, or the conversation is new and empty.
  function updateOlder() {
    var s = sessions[current];
    var hasHistory = shown.length > 0 || cleared || !!(s && (s.lastMessage || s.lastMessageId));
    $('loadOlder').hidden = !current || reachedStart || !hasHistory;
    $('historyStart').hidden = !current || !reachedStart;
    $('emptyHint').hidden = !current || shown.length > 0 || hasHistory;
  }

  // The oldest shown message that is still in the cache (recalled ones are
  // gone from it), and the oldest one the server knows (sent or received).
  function oldestCached() {
    for (var i = 0; i < shown.length; i++) if (!shown[i].recalled) return shown[i].msg;
    return null;
  }
  function oldestOnServer() {
    for (var i = 0; i < shown.length; i++) {
      var m = shown[i].msg;
      if (!shown[i].recalled && (!isOut(m) || m.deliveryState === 2)) return m;
    }
    return null;
  }

  // "Load older": the local cache first (messagesInSession); once it has no
  // more, the server's history (pullMessageHistory, kept in the cache with
  // persist) — a new device or a cleared chat pages back to the very start.
  $('loadOlder').addEventListener('click', function () {
    var btn = $('loadOlder');
    if (btn.disabled || !current) return;
    var g = gen, sid = current;
    btn.disabled = true;
    btn.textContent = 'Loading…';
    var done = function (err) {
      if (g !== gen) return;
      btn.disabled = false;
      btn.textContent = 'Load older messages';
      if (err) showError('chatError', err);
      updateOlder();
    };
    var keep = keepScroll();
    var fromServer = function (got) {
      var anchor = oldestOnServer(), want = Math.max(PAGE - got, 1);
      var p = { sessionId: sid, chatType: ct(sid), limit: want, persist: true };
      if (anchor) p.messageId = anchor.messageId;
      yunxinIM.pullMessageHistory(p, function (ret, err) {
        if (g !== gen) return;
        if (err) return done(err);
        var msgs = (ret && ret.messages) || [], added = 0;
        msgs.forEach(function (m) { if (!byId[m.messageId]) added++; addMessage(m); });
        if (msgs.length < want || added === 0) reachedStart = true;
        keep();
        done();
      });
    };
    var anchor = oldestCached();
    if (!anchor) return fromServer(0);
    yunxinIM.messagesInSession({ sessionId: sid, chatType: ct(sid), messageId: anchor.messageId, limit: PAGE, direction: 'QUERY_OLD' }, function (ret, err) {
      if (g !== gen) return;
      if (err) return done(err);
      var msgs = ret.messages || [];
      msgs.forEach(function (m) { addMessage(m); });
      keep();
      if (msgs.length >= PAGE) return done();
      fromServer(msgs.length);
    });
  });

  // keepScroll returns a function that keeps the view where it was after
  // messages were added above it.
  function keepScroll() {
    var box = $('messages'), before = box.scrollHeight, top = box.scrollTop;
    return function () { box.scrollTop = top + box.scrollHeight - before; };
  }

  // Clear chat: two clicks (the second within 4 s) delete the conversation's
  // messages on this device (deleteAllmessagesInSession).
  var clearTimer = 0;
  function resetClearChat() {
    clearTimeout(clearTimer);
    clearTimer = 0;
    var b = $('clearChat');
    b.textContent = 'Clear chat';
    b.classList.remove('confirm');
  }
  $('clearChat').addEventListener('click', function () {
    var b = $('clearChat');
    if (!clearTimer) {
      b.textContent = 'Delete all messages here? Click again';
      b.classList.add('confirm');
      clearTimer = setTimeout(resetClearChat, 4000);
      return;
    }
    resetClearChat();
    var sid = current, g = gen;
    yunxinIM.deleteAllmessagesInSession({ sessionId: sid, chatType: ct(sid) }, function (ret, err) {
      if (err) return showError('chatError', err);
      if (g !== gen) return;
      shown.forEach(function (e) { e.el.remove(); });
      shown = []; byId = {}; delete recalled[sid];
      reachedStart = false; cleared = true;
      updateOlder();
    });
  });

  function isOut(m) { return m.isOutgoingMsg !== undefined ? m.isOutgoingMsg : m.from === me; }

  // addMessage adds m to the open conversation in time order, or updates it.
  function addMessage(m) {
    var known = byId[m.messageId];
    if (known) { if (!known.recalled) { known.msg = m; renderMessage(known); } return known; }
    var el = document.createElement('div');
    el.dataset.messageId = m.messageId;
    var entry = { msg: m, el: el };
    insertEntry(entry);
    renderMessage(entry);
    return entry;
  }

  function insertEntry(entry) {
    byId[entry.msg.messageId] = entry;
    var t = entry.msg.timestamp || 0, i = shown.length;
    while (i > 0 && (shown[i - 1].msg.timestamp || 0) > t) i--;
    var next = shown[i];
    shown.splice(i, 0, entry);
    if (next) $('messages').insertBefore(entry.el, next.el); else $('messages').appendChild(entry.el);
    if (shown.length === 1) updateOlder();
  }

  function removeEntry(id) {
    var entry = byId[id];
    if (!entry) return;
    delete byId[id];
    var i = shown.indexOf(entry);
    if (i >= 0) shown.splice(i, 1);
    entry.el.remove();
  }

  // renderMessage draws entry: the body once per message (so that media
  // keep playing while its state changes), then its state, progress and
  // actions.
  function renderMessage(entry) {
    var m = entry.msg, el = entry.el;
    if (entry.recalled) return renderRecalled(entry);
    var type = typeOf(m), b = bodyOf(m), out = isOut(m);
    var failed = out && m.deliveryState === 0, pending = out && m.deliveryState === 1;
    var line = type === TIP || type === NOTIFICATION;
    el.className = 'msg ' + (line ? 'tip' : out ? 'out' : 'in') + ' kind-' + (KIND[type] || 'other') +
      (failed ? ' failed' : '') + (pending ? ' pending' : '');
    el.dataset.type = type;
    if (!entry.body || entry.type !== type) {
      entry.type = type;
      entry.body = buildBody(entry, type);
      entry.meta = h('div', 'meta');
      entry.actions = h('div', 'actions');
      entry.actKey = null; // its buttons are made below
      el.replaceChildren(entry.body.node, entry.meta, entry.actions);
    }
    entry.body.update(m, b);
    renderSender(entry);

    // Upload progress of an outgoing attachment.
    var bar = el.querySelector(':scope > progress.upload');
    if (pending && hasAttachment(type)) {
      if (!bar) { bar = h('progress', 'upload'); bar.max = 1; el.insertBefore(bar, entry.meta); }
      bar.value = uploads[m.messageId] || 0;
      bar.title = 'uploading ' + Math.round((uploads[m.messageId] || 0) * 100) + '%';
    } else if (bar) {
      bar.remove();
    }

    var meta = entry.meta;
    meta.replaceChildren(h('span', 'time', clock(m.timestamp)));
    if (out && !line) {
      var tick = h('span', 'tick' + (m.isRemoteRead ? ' read' : ''),
        failed ? '!' : pending ? '…' : m.isRemoteRead ? '✓✓' : '✓');
      tick.title = failed ? 'not sent' : pending ? (reconnecting ? 'waiting for the connection' : 'sending') : m.isRemoteRead ? 'read' : 'sent';
      meta.appendChild(tick);
      if (pending && reconnecting) meta.appendChild(h('span', 'waiting', 'waiting for the connection'));
    }
    // Refused because the receiver has the sender on its blacklist (7101).
    if (failed && m.isBlackListed) meta.appendChild(h('span', 'blocked', 'blocked by the receiver'));
    // Retry is made once per message and moved back in: a new button per
    // render could lose a click between its press and release (see below).
    if (failed) {
      if (!entry.retry) entry.retry = button('retry', 'Retry', 'Send it again', function () { resend(entry); });
      meta.appendChild(entry.retry);
    }

    // While it is being sent (uploading, or waiting in the outbox) a message
    // can be canceled; once sent, recalled; any other time, deleted here.
    // The buttons are made again only when the set changes: an upload's
    // progress renders the message many times a second, and a button
    // replaced between a press and its release loses the click (Cancel,
    // on WebKit).
    var recallable = out && m.deliveryState === 2 && type !== NOTIFICATION;
    var actKey = (pending ? 'c' : '') + (recallable ? 'r' : '') + (!pending ? 'd' : '');
    if (entry.actKey !== actKey) {
      entry.actKey = actKey;
      var acts = [];
      if (pending) acts.push(button('cancel', 'Cancel', 'Stop sending it', function () { cancelSend(entry); }));
      if (recallable) acts.push(button('revoke', 'Recall', 'Recall it for everyone (within 2 minutes)', function () { recall(entry); }));
      if (!pending) acts.push(button('delete', 'Delete', 'Delete it on this device', function () { deleteMessage(entry); }));
      entry.actions.replaceChildren.apply(entry.actions, acts);
    }
  }

  // renderSender shows an incoming message's senderName (the sender's
  // current nickname) above it, when the SDK gives one (in a team, the
  // sender's name always).
  function renderSender(entry) {
    var m = entry.msg, el = entry.el, t = typeOf(m);
    var name = !entry.recalled && !isOut(m) && t !== TIP && t !== NOTIFICATION ?
      (typeof m.senderName === 'string' && m.senderName) || (isTeam(sidOf(m)) ? people.name(m.from) : '') : '';
    var label = el.querySelector(':scope > .sender');
    if (!name) { if (label) label.remove(); return; }
    if (!label) { label = h('div', 'sender'); el.insertBefore(label, el.firstChild); }
    label.textContent = name;
    label.title = m.from || '';
  }

  // buildBody makes the element of a message body by type; update fills it
  // from the (changing) message.
  function buildBody(entry, type) {
    var node, update;
    switch (type) {
      case IMAGE: {
        node = h('a', 'image-link');
        node.target = '_blank';
        node.rel = 'noopener';
        var img = h('img', 'image');
        img.decoding = 'async';
        node.appendChild(img);
        var offerImg = sources(img, 'src');
        update = function (m, b) {
          img.alt = b.displayName || 'picture';
          fit(img, b.size, 240, 240);
          node.href = safeURL(b.url) || safeURL(b.path) || '#';
          node.title = 'Open the full picture';
          offerImg([b.thumbPath, b.path, b.thumbUrl, b.url]);
        };
        break;
      }
      case VOICE: {
        // The player shows the length once it knows it (a recording from
        // MediaRecorder has none in its header): until then, the body's.
        node = h('div', 'voice');
        var audio = h('audio');
        audio.controls = true;
        audio.preload = 'metadata';
        var len = h('span', 'duration');
        node.append(audio, len);
        audio.addEventListener('loadedmetadata', function () { len.hidden = isFinite(audio.duration) && audio.duration > 0; });
        var offerAudio = sources(audio, 'src');
        update = function (m, b) {
          len.textContent = duration(b.duration);
          offerAudio([b.path, b.url]);
        };
        break;
      }
      case VIDEO: {
        node = h('div', 'video-wrap');
        // Nothing loads before play: the cover is the poster, the length is the body's.
        var video = h('video', 'video');
        video.controls = true;
        video.preload = 'none';
        video.playsInline = true;
        var vlen = h('span', 'duration');
        node.append(video, vlen);
        var offerVideo = sources(video, 'src');
        update = function (m, b) {
          fit(video, b.coverSize || b.size, 280, 210);
          if (!video.getAttribute('poster')) {
            var poster = safeURL(b.coverPath, true) || safeURL(b.coverUrl, true);
            if (poster) video.poster = poster;
          }
          vlen.textContent = duration(b.duration);
          offerVideo([b.path, b.url]);
        };
        break;
      }
      case LOCATION: {
        node = h('a', 'location');
        node.target = '_blank';
        node.rel = 'noopener';
        var pin = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
        pin.setAttribute('viewBox', '0 0 24 24');
        pin.setAttribute('class', 'pin');
        var path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
        path.setAttribute('d', 'M12 22s-7-6.7-7-12a7 7 0 0 1 14 0c0 5.3-7 12-7 12zm0-9.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z');
        pin.appendChild(path);
        var place = h('span', 'place'), coords = h('span', 'coords'), map = h('span', 'map', 'Open in OpenStreetMap');
        var info = h('span', 'info');
        info.append(place, coords, map);
        node.append(pin, info);
        update = function (m, b) {
          var lat = Number(b.latitude), lng = Number(b.longitude);
          place.textContent = b.title || 'Location';
          coords.textContent = isFinite(lat) && isFinite(lng) ? lat.toFixed(5) + ', ' + lng.toFixed(5) : '';
          if (isFinite(lat) && isFinite(lng)) {
            node.href = 'https://www.openstreetmap.org/?mlat=' + lat + '&mlon=' + lng + '#map=16/' + lat + '/' + lng;
          }
        };
        break;
      }
      case FILE: {
        node = h('div', 'file');
        var icon = h('span', 'file-icon');
        var name = h('span', 'file-name'), size = h('span', 'file-size'), action = h('span', 'file-action');
        var finfo = h('span', 'file-info');
        finfo.append(name, size, action);
        node.append(icon, finfo);
        update = function (m, b) {
          var n = b.displayName || 'file', dot = n.lastIndexOf('.');
          icon.textContent = dot > 0 && n.length - dot <= 5 ? n.slice(dot + 1).toUpperCase() : 'FILE';
          name.textContent = n;
          name.title = n;
          size.textContent = bytes(b.fileLength);
          renderFileAction(entry, action, m, b);
        };
        break;
      }
      case TIP: {
        node = h('span', 'text');
        update = function (m, b) { node.textContent = b.text || ''; };
        break;
      }
      case NOTIFICATION: {
        // A team notification: "alice invited bob", a grey line in the middle.
        node = h('span', 'text team-note');
        update = function (m) { node.textContent = teams.noteLine(m); };
        break;
      }
      case TEXT: {
        node = h('div', 'text');
        update = function (m, b) { node.textContent = typeof b.text === 'string' ? b.text : ''; };
        break;
      }
      default:
        node = h('div', 'text unsupported', 'This message type is not supported by the demo');
        update = function () {};
    }
    return { node: node, update: update };
  }

  // sources keeps a media element's source: it tries the candidate URLs in
  // order, moving on when one fails (a local blob gone with a reload), and
  // takes new candidates as the message gains them (the url after the upload).
  function sources(elem, attr) {
    var tried = {}, failed = false;
    var list = [];
    function next() {
      for (var i = 0; i < list.length; i++) {
        if (!tried[list[i]]) { tried[list[i]] = true; failed = false; elem[attr] = list[i]; return; }
      }
      failed = true;
    }
    elem.addEventListener('error', next);
    return function (cands) {
      cands.forEach(function (c) { c = safeURL(c, true); if (c && list.indexOf(c) < 0) list.push(c); });
      if (!elem.getAttribute(attr) || failed) next();
    };
  }

  // fit sets width and height (from the body's size) scaled into maxW×maxH,
  // so the layout does not jump when the media loads.
  function fit(elem, size, maxW, maxH) {
    if (!size || !(size.w > 0) || !(size.h > 0)) return;
    var k = Math.min(1, maxW / size.w, maxH / size.h);
    elem.width = Math.max(1, Math.round(size.w * k));
    elem.height = Math.max(1, Math.round(size.h * k));
  }

  // The file card's action: Download (download()), its progress, then a
  // Save link (<a download>) to the local copy. A file sent from this device
  // has its original here: no action.
  function renderFileAction(entry, action, m, b) {
    var d = downloads[m.messageId];
    var local = (d && d.path) || (!isOut(m) && m.attachmentDownloadState === 3 && b.path) || '';
    if (isOut(m) && b.path && !(d && (d.running || d.path))) {
      action.replaceChildren();
    } else if (d && d.running) {
      var bar = h('progress', 'download-progress');
      bar.max = 1;
      bar.value = d.progress || 0;
      action.replaceChildren(bar, h('span', 'pct', Math.round((d.progress || 0) * 100) + '%'));
    } else if (safeURL(local)) {
      var a = h('a', 'save', 'Save');
      a.href = local;
      a.download = b.displayName || 'file';
      a.title = 'Save ' + (b.displayName || 'the file');
      action.replaceChildren(a);
    } else if (safeURL(b.url)) {
      var btn = button('download', 'Download', 'Download ' + (b.displayName || 'the file'), function () { download(entry); });
      action.replaceChildren(btn);
      if (d && d.error) action.appendChild(h('span', 'error', d.error));
    } else {
      action.replaceChildren();
    }
  }

  function download(entry) {
    var m = entry.msg, b = bodyOf(m), id = m.messageId;
    downloads[id] = { running: true, progress: 0 };
    urlToId[b.url] = id;
    renderMessage(entry);
    yunxinIM.download({ urlString: b.url }, function (ret, err) {
      var d = downloads[id] = downloads[id] || {};
      d.running = false;
      if (err || !ret || !ret.status || !ret.path) {
        d.error = 'Download failed' + (err && err.msg ? ': ' + err.msg : '');
      } else {
        d.path = ret.path;
        d.progress = 1;
        d.error = '';
      }
      if (byId[id]) renderMessage(byId[id]);
    });
  }

  function renderRecalled(entry) {
    var r = entry.recalled, el = entry.el;
    el.className = 'msg tip recalled';
    var line = h('span', 'text', (r.by === me ? 'You' : people.name(r.by)) + ' recalled a message');
    var parts = [line];
    if (r.by === me && r.text) {
      parts.push(button('reedit', 'Re-edit', 'Put the text back into the message box', function () {
        $('text').value = r.text;
        $('text').focus();
      }));
    }
    el.replaceChildren.apply(el, parts);
    entry.body = null;
  }

  // markRecalled replaces a recalled message by "… recalled a message"
  // (kept for this page's life: the message itself leaves the cache).
  function markRecalled(sid, id, by, msg) {
    var m = msg || (byId[id] && byId[id].msg);
    var r = {
      by: by, timestamp: m ? m.timestamp : Date.now(),
      text: m && typeOf(m) === TEXT && isOut(m) ? bodyOf(m).text : ''
    };
    (recalled[sid] = recalled[sid] || {})[id] = r;
    if (sid !== current) return;
    var entry = byId[id];
    if (!entry && m) entry = addRecalledEntry(id, r);
    if (!entry) return;
    var stick = nearBottom();
    entry.recalled = r;
    renderMessage(entry);
    if (stick) scrollToBottom();
  }

  function addRecalledEntry(id, r) {
    var oldest = shown.length ? shown[0].msg.timestamp : 0;
    if (shown.length && r.timestamp < oldest) return null; // older than what is shown: it shows when paged to
    var el = document.createElement('div');
    el.dataset.messageId = id;
    var entry = { msg: { messageId: id, timestamp: r.timestamp }, el: el, recalled: r };
    insertEntry(entry);
    return entry;
  }

  function addRecalledPlaceholders() {
    var rs = recalled[current] || {};
    Object.keys(rs).forEach(function (id) {
      if (!byId[id]) { var e = addRecalledEntry(id, rs[id]); if (e) renderMessage(e); }
    });
  }

  function recall(entry) {
    var m = entry.msg, sid = sidOf(m);
    showError('chatError', null);
    yunxinIM.revokeMessage({ sessionId: sid, chatType: ct(sid), messageId: m.messageId }, function (ret, err) {
      if (err) {
        return showError('chatError', err.code === 508 ? { code: 508, msg: 'Too late to recall this message: ' + (err.msg || 'the time to recall it is over') } : err);
      }
      markRecalled(sid, m.messageId, me, m);
    });
  }

  function deleteMessage(entry) {
    var m = entry.msg, sid = sidOf(m);
    showError('chatError', null);
    yunxinIM.deleteMessage({ sessionId: sid, chatType: ct(sid), messageId: m.messageId }, function (ret, err) {
      if (err) return showError('chatError', err);
      removeEntry(m.messageId);
      updateOlder();
    });
  }

  function resend(entry) {
    var m = entry.msg;
    showError('chatError', null);
    delete canceled[m.messageId];
    yunxinIM.resendMessage({ sessionId: sidOf(m), chatType: ct(sidOf(m)), messageId: m.messageId }, function (ret, err) {
      if (err) showError('chatError', err);
      if (ret && ret.message && byId[ret.message.messageId]) addMessage(ret.message);
    });
  }

  // canceled: messageId → true for the sends canceled here, whose failure
  // ("sending cancelled") is what the user asked for, not an error to show.
  var canceled = {}, cancelAt = 0;
  function quietCancel(err) { return err && Date.now() - cancelAt < 30000 && /cancel/i.test(err.msg || ''); }

  function cancelSend(entry) {
    var m = entry.msg;
    canceled[m.messageId] = true;
    cancelAt = Date.now();
    yunxinIM.cancelSendingMessage({ sessionId: sidOf(m), chatType: ct(sidOf(m)), messageId: m.messageId }, function (ret, err) {
      if (err) showError('chatError', err);
    });
  }

  // A tap on a message shows its actions on touch screens (no hover).
  $('messages').addEventListener('click', function (e) {
    var msg = e.target.closest && e.target.closest('.msg');
    if (!msg || e.target.closest('a, button, audio, video')) return;
    var open = msg.classList.contains('show-actions');
    Array.prototype.forEach.call($('messages').querySelectorAll('.msg.show-actions'), function (x) { x.classList.remove('show-actions'); });
    if (!open) msg.classList.add('show-actions');
  });

  // refreshPending redraws the messages waiting to be sent ("waiting for
  // the connection" while offline).
  function refreshPending() {
    shown.forEach(function (e) { if (!e.recalled && isOut(e.msg) && e.msg.deliveryState === 1) renderMessage(e); });
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
      yunxinIM.markAllMessagesReadInSession({ sessionId: sid, chatType: ct(sid) }, function () {});
      for (var i = shown.length - 1; i >= 0; i--) {
        if (isTeam(sid)) break; // read receipts here are P2P's
        if (!shown[i].recalled && !isOut(shown[i].msg)) {
          var id = shown[i].msg.messageId;
          if (receipted[sid] !== id) {
            receipted[sid] = id;
            yunxinIM.sendMessageReceipt({ sessionId: sid, chatType: ct(sid), messageId: id }, function () {});
          }
          break;
        }
      }
    }, 30);
  }

  // ---- sending ----------------------------------------------------------

  // sent handles a send method's callback: the message is shown already
  // (willSendMessage); a failure is shown until the next action.
  function sentCallback(g) {
    return function (ret, err) {
      if (quietCancel(err)) return;
      if (err) return showError('chatError', err);
      showError('chatError', null);
      if (g === gen && ret && ret.message && sidOf(ret.message) === current) addMessage(ret.message);
    };
  }

  function needConversation() {
    if (current) return true;
    showError('chatError', { msg: 'Pick a conversation or start a new chat first' });
    return false;
  }

  function send() {
    var input = $('text'), text = input.value;
    if (!needConversation()) return;
    if (!text.trim()) return;
    input.value = '';
    var sid = current, g = gen;
    yunxinIM.sendText({ sessionId: sid, chatType: ct(sid), text: text }, function (ret, err) {
      if (quietCancel(err)) return; // canceled here: it shows as not sent, with Retry
      if (err) {
        showError('chatError', err.code === 415 ? { code: 415, msg: 'Not sent: offline. It reconnects by itself; send again when it is back' } : err);
        // Refused by the receiver's blacklist, the message stays, failed, with Retry.
        if (g === gen && !input.value && err.code !== BLOCKED) input.value = text;
        return;
      }
      showError('chatError', null);
      if (g === gen && ret.message) { addMessage(ret.message); scrollToBottom(); }
    });
  }

  $('composer').addEventListener('submit', function (e) { e.preventDefault(); send(); });
  $('text').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });

  // Files: a picture, a sound or a video the browser can show goes as an
  // image, voice or video message; anything else as a file.
  var IMAGE_TYPES = { 'image/png': 1, 'image/jpeg': 1, 'image/gif': 1, 'image/webp': 1, 'image/bmp': 1, 'image/avif': 1 };
  function methodFor(file) {
    var t = (file.type || '').toLowerCase();
    if (IMAGE_TYPES[t]) return 'sendImage';
    if (/^audio\//.test(t) && document.createElement('audio').canPlayType(t)) return 'sendVoice';
    if (/^video\//.test(t) && document.createElement('video').canPlayType(t)) return 'sendVideo';
    return 'sendFile';
  }

  function sendFiles(files) {
    if (!needConversation()) return;
    showError('chatError', null);
    Array.prototype.forEach.call(files, function (file) {
      var method = methodFor(file), p = { sessionId: current, chatType: ct(current), path: file };
      if (method !== 'sendVoice' && file.name) p.displayName = file.name;
      yunxinIM[method](p, sentCallback(gen));
    });
    scrollToBottom();
  }

  $('attach').addEventListener('click', function () { if (needConversation()) $('fileInput').click(); });
  $('fileInput').addEventListener('change', function () {
    var files = Array.prototype.slice.call(this.files || []);
    this.value = '';
    if (files.length) sendFiles(files);
  });

  // Drop files on the conversation, or paste them into the message box.
  var conv = $('conversation'), dragDepth = 0;
  function hasFiles(e) { return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], 'Files') >= 0; }
  conv.addEventListener('dragenter', function (e) { if (!hasFiles(e)) return; e.preventDefault(); dragDepth++; conv.classList.add('dragging'); });
  conv.addEventListener('dragover', function (e) { if (hasFiles(e)) e.preventDefault(); });
  conv.addEventListener('dragleave', function () { if (--dragDepth <= 0) { dragDepth = 0; conv.classList.remove('dragging'); } });
  conv.addEventListener('drop', function (e) {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    conv.classList.remove('dragging');
    if (e.dataTransfer.files.length) sendFiles(e.dataTransfer.files);
  });
  $('text').addEventListener('paste', function (e) {
    var files = e.clipboardData && e.clipboardData.files;
    if (files && files.length) { e.preventDefault(); sendFiles(files); }
  });

  // Tip: the message box's text as a tip (a gray line in the middle).
  $('tip').addEventListener('click', function () {
    var input = $('text'), text = input.value;
    if (!needConversation()) return;
    if (!text.trim()) { showError('chatError', { msg: 'Type the text of the tip first' }); input.focus(); return; }
    input.value = '';
    yunxinIM.sendTip({ sessionId: current, chatType: ct(current), text: text }, sentCallback(gen));
  });

  // Voice: record with the microphone (MediaRecorder); a second click sends.
  var rec = null;
  if (window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) $('record').hidden = false;
  function stopRecording(send) {
    if (!rec) return;
    var r = rec;
    rec = null;
    clearInterval(r.timer);
    $('record').classList.remove('recording');
    $('recordTime').textContent = '';
    $('record').title = 'Record a voice message';
    r.send = send;
    if (r.recorder.state !== 'inactive') r.recorder.stop(); else r.stream.getTracks().forEach(function (t) { t.stop(); });
  }
  $('record').addEventListener('click', function () {
    if (rec) return stopRecording(true);
    if (!needConversation()) return;
    var sid = current, g = gen;
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var recorder = new MediaRecorder(stream), chunks = [], began = Date.now();
      var r = rec = { recorder: recorder, stream: stream, send: false };
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        var ms = Date.now() - began;
        if (!r.send || g !== gen) return;
        if (ms < 500) return showError('chatError', { msg: 'Too short: click the microphone again to stop and send' });
        var blob = new Blob(chunks, { type: recorder.mimeType || 'audio/webm' }); // e.g. "audio/webm;codecs=opus"
        yunxinIM.sendVoice({ sessionId: sid, chatType: ct(sid), path: blob, duration: ms }, sentCallback(g));
      };
      recorder.start(250);
      $('record').classList.add('recording');
      $('record').title = 'Stop and send';
      r.timer = setInterval(function () { $('recordTime').textContent = duration(Date.now() - began) || '0:00'; }, 250);
    }, function (err) {
      showError('chatError', { msg: 'No microphone: ' + (err && err.message || 'permission denied') });
    });
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    stopRecording(false);
    $('locationForm').hidden = true;
  });

  // Location: the browser's position when it gives one, else typed in.
  $('location').addEventListener('click', function () {
    if (!needConversation()) return;
    var form = $('locationForm');
    if (!form.hidden) { form.hidden = true; return; }
    form.hidden = false;
    $('locationStatus').textContent = '';
    $('lat').focus();
    if (!navigator.geolocation) { $('locationStatus').textContent = 'Type the coordinates.'; return; }
    $('locationStatus').textContent = 'Finding your position…';
    var g = gen;
    navigator.geolocation.getCurrentPosition(function (pos) {
      if (g !== gen || form.hidden) return;
      if (!$('lat').value && !$('lng').value) {
        $('lat').value = pos.coords.latitude.toFixed(6);
        $('lng').value = pos.coords.longitude.toFixed(6);
      }
      $('locationStatus').textContent = 'Your position (±' + Math.round(pos.coords.accuracy) + ' m).';
    }, function () {
      if (g === gen) $('locationStatus').textContent = 'Position not available: type the coordinates.';
    }, { timeout: 10000, maximumAge: 60000 });
  });
  $('locationCancel').addEventListener('click', function () { $('locationForm').hidden = true; });
  $('locationForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var lat = parseFloat($('lat').value), lng = parseFloat($('lng').value);
    if (!(lat >= -90 && lat <= 90) || !(lng >= -180 && lng <= 180)) {
      $('locationStatus').textContent = 'Latitude is −90…90 and longitude −180…180.';
      return;
    }
    if (!needConversation()) return;
    yunxinIM.sendLocation({ sessionId: current, chatType: ct(current), latitude: lat, longitude: lng, address: $('place').value.trim() }, sentCallback(gen));
    $('locationForm').hidden = true;
    $('lat').value = ''; $('lng').value = ''; $('place').value = '';
  });

  // ---- live messages ----------------------------------------------------

  function showLive(m) {
    if (!m || sidOf(m) !== current) return;
    var stick = nearBottom();
    addMessage(m);
    if (stick) scrollToBottom();
  }

  yunxinIM.addMessageListen(function (ret) {
    var m = ret.message, id = m ? m.messageId : urlToId[ret.urlString];
    switch (ret.eventType) {
      case 'willSendMessage':
      case 'sendingMessage':
      case 'uploadAttachmentSuccess':
      case 'sendMessageFinish':
      case 'sendMessageFail':
        if (ret.eventType !== 'willSendMessage' && ret.eventType !== 'sendingMessage' && m) delete uploads[m.messageId];
        if (m && m.deliveryState === 0 && ret.eventType === 'sendMessageFinish' && ret.msg && !canceled[m.messageId]) {
          if (sidOf(m) === current) showError('chatError', { code: ret.code, msg: 'Not sent: ' + ret.msg });
          if (sidOf(m) === current && (ret.code === BLOCKED || m.isBlackListed)) showError('chatError', { code: BLOCKED });
        }
        showLive(m);
        break;
      case 'sendMessageProgress':
        if (m && typeof ret.progress === 'number') {
          uploads[m.messageId] = ret.progress;
          if (byId[m.messageId]) showLive(m);
        }
        break;
      case 'fetchMessageAttachmentProgress':
        if (id && typeof ret.progress === 'number') {
          var d = downloads[id] = downloads[id] || {};
          if (!d.path) { d.running = true; d.progress = ret.progress; }
          if (byId[id]) renderMessage(byId[id]);
        }
        break;
      case 'fetchMessageAttachmentFinish':
        if (id) {
          var f = downloads[id] = downloads[id] || {};
          if (ret.success === false) { f.running = false; f.error = 'Download failed' + (ret.msg ? ': ' + ret.msg : ''); }
          else if (m && bodyOf(m).path) { f.running = false; f.path = bodyOf(m).path; f.progress = 1; }
          if (m) showLive(m); else if (byId[id]) renderMessage(byId[id]);
        }
        break;
      case 'onRecvRevokeMessageNotification':
        var n = ret.notification || {};
        var nsid = (n.session && n.session.sessionId) || n.sessionId || (n.message && sidOf(n.message));
        if (nsid && n.message && n.message.messageId) markRecalled(nsid, n.message.messageId, n.fromUserId || n.messageFromUserId || nsid, n.message);
        break;
      case 'onRecvMessages':
        var mine = (ret.messages || []).filter(function (x) { return sidOf(x) === current; });
        if (!mine.length) break;
        var bottom = nearBottom();
        mine.forEach(function (x) { addMessage(x); });
        if (bottom || mine.some(isOut)) scrollToBottom();
        if (mine.some(function (x) { return !isOut(x); }) && document.visibilityState !== 'hidden') markRead(current);
        break;
      case 'onRecvMessageReceipts':
        (ret.receipts || []).forEach(function (r) {
          if (sidOf(r) !== current) return;
          var upto = -1;
          shown.forEach(function (e, i) { if (e.msg.messageId === r.messageId) upto = i; });
          shown.forEach(function (e, i) {
            var x = e.msg;
            if (!e.recalled && isOut(x) && !x.isRemoteRead && x.deliveryState === 2 && (upto < 0 || i <= upto)) {
              x.isRemoteRead = true;
              renderMessage(e);
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
