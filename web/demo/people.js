// yunxinIM web demo: people. The contacts tab (friends, "add a friend",
// user search), the notification inbox (friend requests to accept or
// reject, the unread badge, custom notifications as toasts) and the profile
// page (edit your own; others' with chat, friend, block and mute actions).
// Like app.js it uses only the plugin API (yunxinIM.*, callback style).
//
// app.js starts it with demoPeople(ui) and asks it for display names,
// avatars and mute states; it tells app.js when those change (ui.changed)
// and asks it to open a chat (ui.openChat). User data is rendered with
// textContent or as attribute values only.
window.demoPeople = function (ui) {
  'use strict';
  var yunxinIM = ui.yunxinIM, $ = ui.$, h = ui.h, button = ui.button, showError = ui.showError;

  // Friend operations (requestFriend's operation) and handle states of a
  // system notification (handleStatus), the doc's numbers.
  var ADD = 1, REQUEST = 2, ACCEPT = 3, REJECT = 4;
  var UNTREATED = 0;
  var STATE = { 0: 'pending', 1: 'accepted', 2: 'rejected', 3: 'ignored', 4: 'expired' };
  var STATE_TEXT = { 1: 'Accepted', 2: 'Rejected', 3: 'Ignored', 4: 'Expired' };
  var GENDER = { 1: 'Male', 2: 'Female' };

  var me = '';
  var users = {};    // userId → user object (the doc's 用户信息), whatever told us last
  var friends = {};  // userId → user object of a friend (myFriends)
  var blocked = {};  // userId → user object (myBlackList)
  var muted = {};    // userId → true (myMuteUserList)
  var notes = [];    // system notifications, newest first
  var unread = 0;    // allNotificationsUnreadCount
  var tab = 'chats';
  var profileId = '';  // the open profile, '' when none
  var pgen = 0;        // bumps when the open profile changes
  var asked = {};      // userId → true: fetchUserInfos asked this page life
  var toasted = {};    // notificationId → true: shown as a toast

  // ---- names and avatars -------------------------------------------------

  function info(id) {
    var u = users[id] || friends[id];
    return (u && u.userInfo) || null;
  }

  // name is what the demo calls an account: your alias of a friend, else
  // the nickname, else the account id.
  function name(id) {
    var f = friends[id], u = users[id], i = info(id);
    return (f && f.alias) || (u && u.alias) || (i && i.nickName) || id || '';
  }

  function initials(text) {
    var words = String(text || '?').trim().split(/\s+/).filter(Boolean);
    var first = function (w) { return Array.from(w)[0] || ''; };
    var s = words.length > 1 ? first(words[0]) + first(words[1]) : first(words[0] || '?');
    return s.toUpperCase();
  }

  function hue(id) {
    var n = 0;
    for (var i = 0; i < id.length; i++) n = (n * 31 + id.charCodeAt(i)) % 360;
    return n;
  }

  // avatar is the account's picture (its avatarUrl), or its initials on a
  // colour of its own when it has none or the picture does not load.
  function avatar(id, cls) {
    var box = h('span', 'avatar' + (cls ? ' ' + cls : ''));
    box.dataset.userId = id;
    var letters = h('span', 'initials', initials(name(id)));
    box.style.backgroundColor = 'hsl(' + hue(id || '?') + ', 55%, 52%)';
    box.appendChild(letters);
    var i = info(id), url = i && (ui.safeURL(i.thumbAvatarUrl) || ui.safeURL(i.avatarUrl));
    if (url) {
      var img = h('img');
      img.alt = '';
      img.decoding = 'async';
      img.referrerPolicy = 'no-referrer';
      img.addEventListener('load', function () { box.classList.add('has-image'); });
      img.addEventListener('error', function () { img.remove(); box.classList.remove('has-image'); });
      img.src = url;
      if (img.complete && img.naturalWidth > 0) box.classList.add('has-image'); // cached: no flash of initials
      box.appendChild(img);
    }
    return box;
  }

  function mutedIcon() {
    var s = h('span', 'muted-icon');
    s.title = 'Muted: no unread alerts';
    return s;
  }

  // remember keeps user objects from any answer or event.
  function remember(list) {
    (list || []).forEach(function (u) {
      if (!u || !u.userId) return;
      var old = users[u.userId];
      // A user object without its profile (not cached) keeps the one known.
      if (!u.userInfo && old && old.userInfo) u = Object.assign({}, u, { userInfo: old.userInfo });
      users[u.userId] = u;
    });
  }

  // need asks the server for the profiles of accounts the page shows (chat
  // partners who are not friends) once per page life, at most 150 at a
  // time (fetchUserInfos' limit).
  var needTimer = 0, needing = {};
  function need(ids) {
    (ids || []).forEach(function (id) { if (id && !asked[id] && !info(id)) needing[id] = true; });
    if (needTimer || !Object.keys(needing).length || !me) return;
    needTimer = setTimeout(function () {
      needTimer = 0;
      var ids = Object.keys(needing).slice(0, 150);
      ids.forEach(function (id) { asked[id] = true; delete needing[id]; });
      yunxinIM.fetchUserInfos({ users: ids }, function (ret, err) {
        if (err || !ret) { ids.forEach(function (id) { delete asked[id]; }); return; } // offline: ask again later
        remember(ret.users);
        changed();
        if (Object.keys(needing).length) need([]);
      });
    }, 50);
  }

  // withProfile runs fn once the profile of id is known (fetched from the
  // server if it is not cached), or could not be had.
  function withProfile(id, fn) {
    if (!id || info(id)) return fn();
    yunxinIM.fetchUserInfos({ users: [id] }, function (ret) {
      if (ret && ret.users) remember(ret.users);
      fn();
    });
  }

  // changed redraws everything that shows names, avatars or mute states.
  function changed() {
    renderMe();
    renderFriends();
    renderNotes();
    if (profileId) renderProfile();
    ui.changed();
  }

  // ---- loading -------------------------------------------------------------

  function loadFriends() {
    yunxinIM.myFriends(function (ret, err) {
      if (err) return; // not logged in yet, or the cache is closed: the lists stay
      friends = {};
      ((ret && ret.users) || []).forEach(function (u) { if (u && u.userId) friends[u.userId] = u; });
      remember(ret && ret.users);
      changed();
    });
  }

  function loadBlocked() {
    yunxinIM.myBlackList(function (ret, err) {
      if (err) return;
      blocked = {};
      ((ret && ret.blackUsers) || []).forEach(function (u) { if (u && u.userId) blocked[u.userId] = u; });
      remember(ret && ret.blackUsers);
      changed();
    });
  }

  function loadMuted() {
    yunxinIM.myMuteUserList(function (ret, err) {
      if (err) return;
      muted = {};
      ((ret && ret.muteUsers) || []).forEach(function (u) { if (u && u.userId) muted[u.userId] = true; });
      remember(ret && ret.muteUsers);
      changed();
    });
  }

  function loadMe() {
    if (!me) return;
    yunxinIM.localUserInfo({ userId: me }, function (ret) {
      if (ret && ret.user) { remember([ret.user]); changed(); }
    });
  }

  function loadUnread() {
    yunxinIM.allNotificationsUnreadCount(function (ret) {
      if (ret && typeof ret.unreadCount === 'number') setUnread(ret.unreadCount);
    });
  }

  function loadNotes() {
    yunxinIM.fetchSystemNotifications({ limit: 100 }, function (ret, err) {
      if (err) return;
      notes = ((ret && ret.notifications) || []).slice().sort(function (a, b) {
        return (b.timestamp || 0) - (a.timestamp || 0) || (b.notificationId || 0) - (a.notificationId || 0);
      });
      need(notes.map(function (n) { return n.sourceID; }));
      renderNotes();
    });
  }

  function loadAll() {
    loadMe();
    loadFriends();
    loadBlocked();
    loadMuted();
    loadUnread();
    loadNotes();
  }

  // ---- header: you ---------------------------------------------------------

  function renderMe() {
    var b = $('me');
    if (!me) { b.replaceChildren(); b.hidden = true; return; }
    b.hidden = false;
    b.replaceChildren(avatar(me, 'small'), h('span', 'me-name', name(me)));
    b.title = 'Your profile (' + me + ')';
  }

  $('me').addEventListener('click', function () { if (me) openProfile(me); });

  // ---- tabs ----------------------------------------------------------------

  function showTab(which) {
    tab = which;
    ['chats', 'contacts', 'inbox', 'teams'].forEach(function (t) {
      var b = $('tab' + t.charAt(0).toUpperCase() + t.slice(1));
      b.classList.toggle('active', t === which);
      b.setAttribute('aria-selected', t === which ? 'true' : 'false');
      $(t + 'Panel').hidden = t !== which;
    });
    if (which === 'inbox') { loadNotes(); markRead(); }
    if (which === 'contacts') { loadFriends(); loadBlocked(); }
    if (ui.tabShown) ui.tabShown(which);
  }

  Array.prototype.forEach.call(document.querySelectorAll('#tabs .tab'), function (b) {
    b.addEventListener('click', function () { showTab(b.dataset.tab); });
  });

  // ---- contacts ------------------------------------------------------------

  function personItem(u, extra) {
    var id = u.userId;
    var li = h('li', 'person');
    li.dataset.userId = id;
    var who = h('span', 'who');
    var top = h('span', 'name', name(id));
    if (muted[id]) top.appendChild(mutedIcon());
    who.appendChild(top);
    var sub = name(id) !== id ? id : (info(id) && info(id).sign) || '';
    if (sub) who.appendChild(h('span', 'sub', sub));
    li.append(avatar(id), who);
    if (extra) li.appendChild(extra);
    li.tabIndex = 0;
    li.addEventListener('click', function () { openProfile(id); });
    li.addEventListener('keydown', function (e) { if (e.key === 'Enter') openProfile(id); });
    return li;
  }

  function byName(a, b) { return name(a.userId).localeCompare(name(b.userId)); }

  function renderFriends() {
    var list = Object.keys(friends).map(function (k) { return friends[k]; }).sort(byName);
    $('friends').replaceChildren.apply($('friends'), list.map(function (u) { return personItem(u); }));
    $('noFriends').hidden = list.length > 0;
    $('friendCount').textContent = list.length ? String(list.length) : '';
    var bl = Object.keys(blocked).map(function (k) { return blocked[k]; }).sort(byName);
    $('blocked').replaceChildren.apply($('blocked'), bl.map(function (u) { return personItem(u); }));
    $('blockedBox').hidden = bl.length === 0;
    $('blockedCount').textContent = String(bl.length);
  }

  function note(id, text, ok) {
    var el = $(id);
    el.textContent = text || '';
    el.classList.toggle('ok', !!ok);
  }

  // friendError words the errors of requestFriend a person can act on.
  function friendError(err, id) {
    if (!err) return err;
    if (err.code === 404) return { code: 404, msg: 'There is no account "' + id + '" (or no request from it to answer)' };
    if (err.code === 7101) return { code: 7101, msg: id + ' does not accept friend requests from you' };
    if (err.code === 415) return { code: 415, msg: 'Offline: try again when it is back online' };
    return err;
  }

  $('addFriendForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var id = $('friendId').value.trim(), msg = $('friendMessage').value, direct = $('friendDirect').checked;
    showError('contactsError', null);
    note('friendNote', '');
    if (!id) { $('friendId').focus(); return note('friendNote', 'Type the account to add'); }
    if (id === me) return note('friendNote', 'That is you');
    $('addFriend').disabled = true;
    var p = { userId: id, operation: direct ? ADD : REQUEST };
    if (msg.trim()) p.message = msg;
    yunxinIM.requestFriend(p, function (ret, err) {
      $('addFriend').disabled = false;
      if (err || !ret || !ret.status) return showError('contactsError', friendError(err, id) || { msg: 'Not sent' });
      $('friendId').value = '';
      $('friendMessage').value = '';
      note('friendNote', direct ? id + ' is now your friend' : 'Request sent to ' + id, true);
      if (direct) loadFriends();
    });
  });
  $('friendDirect').addEventListener('change', function () {
    $('addFriend').textContent = this.checked ? 'Add friend' : 'Send request';
  });

  $('searchForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = $('searchText').value.trim();
    if (!text) { $('searchText').focus(); return; }
    showError('contactsError', null);
    $('search').disabled = true;
    yunxinIM.searchUser({ searchContent: text, searchRange: Number($('searchRange').value), searchContentOption: 3, ignoreingCase: true }, function (ret, err) {
      $('search').disabled = false;
      if (err) return showError('contactsError', err);
      var found = (ret && ret.users) || [];
      remember(found);
      $('searchBox').hidden = false;
      $('searchResults').replaceChildren.apply($('searchResults'), found.map(function (u) {
        return personItem(u, friends[u.userId] ? h('span', 'tag', 'Friend') : u.userId === me ? h('span', 'tag', 'You') : null);
      }));
      $('searchNote').textContent = found.length ? '' : 'Nobody matches "' + text + '".';
    });
  });
  $('searchClose').addEventListener('click', function () {
    $('searchBox').hidden = true;
    $('searchResults').replaceChildren();
    $('searchText').value = '';
  });

  // ---- inbox ---------------------------------------------------------------

  function setUnread(n) {
    unread = n > 0 ? n : 0;
    var b = $('inboxBadge');
    b.textContent = unread > 99 ? '99+' : String(unread);
    b.hidden = !unread;
    $('tabInbox').title = unread ? unread + ' unread notification' + (unread === 1 ? '' : 's') : '';
  }

  // markRead marks the inbox read while it is open and the page is seen.
  var readTimer = 0;
  function markRead() {
    if (readTimer || tab !== 'inbox' || document.visibilityState === 'hidden' || !me) return;
    readTimer = setTimeout(function () {
      readTimer = 0;
      yunxinIM.markAllNotificationsAsRead(function (ret, err) { if (err) showError('inboxError', err); });
    }, 30);
  }
  document.addEventListener('visibilitychange', function () { if (unread) markRead(); });

  var TEAM_TEXT = {
    0: 'asks to join the team', 1: 'rejected your application to the team', 2: 'invites you to the team',
    3: 'declined your invitation to the team', 15: 'asks to join the super team', 16: 'rejected your application to the super team',
    17: 'invites you to the super team', 18: 'declined your invitation to the super team'
  };

  function noteText(n) {
    if (n.type === 5) {
      switch (n.operation) {
        case ADD: return 'added you as a friend';
        case REQUEST: return 'wants to be your friend';
        case ACCEPT: return 'accepted your friend request';
        case REJECT: return 'declined your friend request';
        default: return 'friend notification';
      }
    }
    var team = n.targetID && ui.teamName ? ui.teamName(n.targetID) : n.targetID;
    return (TEAM_TEXT[n.type] || 'notification') + (team ? ' ' + team : '');
  }

  // A request waits for an answer: a type-5 "asks to be your friend" (or
  // a team application or invitation) not handled yet.
  function answerable(n) { return n.type === 5 && n.operation === REQUEST && (n.handleStatus || 0) === UNTREATED; }

  function renderNotes() {
    var ul = $('notifications');
    ul.replaceChildren.apply(ul, notes.map(function (n) {
      var li = h('li', 'notice' + (n.read ? '' : ' unread'));
      li.dataset.notificationId = String(n.notificationId);
      li.dataset.type = String(n.type);
      if (n.type === 5 && n.operation === REQUEST) li.dataset.state = STATE[n.handleStatus || 0] || 'pending';
      var body = h('div', 'body');
      var line = h('div', 'line');
      var who = h('strong', 'who', name(n.sourceID));
      who.title = n.sourceID;
      who.tabIndex = 0;
      who.addEventListener('click', function () { openProfile(n.sourceID); });
      line.append(who, document.createTextNode(' ' + noteText(n)));
      body.appendChild(line);
      if (n.postscript) body.appendChild(h('div', 'ps', '“' + n.postscript + '”'));
      body.appendChild(h('div', 'when', ui.clock(n.timestamp)));
      var acts = h('div', 'note-actions');
      if (answerable(n)) {
        acts.append(
          button('accept', 'Accept', 'Become friends with ' + n.sourceID, function () { answer(n, ACCEPT, acts); }),
          button('reject secondary', 'Reject', 'Decline the request', function () { answer(n, REJECT, acts); }));
      } else if (n.type === 5 && n.operation === REQUEST) {
        acts.appendChild(h('span', 'state ' + (STATE[n.handleStatus] || ''), STATE_TEXT[n.handleStatus] || ''));
      } else if (ui.teamNote) {
        ui.teamNote(n, acts, li, loadNotes); // a team application or invitation: teams.js answers it
      }
      li.append(avatar(n.sourceID), body, acts);
      return li;
    }));
    $('noNotifications').hidden = notes.length > 0;
  }

  function answer(n, op, acts) {
    showError('inboxError', null);
    Array.prototype.forEach.call(acts.querySelectorAll('button'), function (b) { b.disabled = true; });
    yunxinIM.requestFriend({ userId: n.sourceID, operation: op }, function (ret, err) {
      if (err || !ret || !ret.status) {
        Array.prototype.forEach.call(acts.querySelectorAll('button'), function (b) { b.disabled = false; });
        showError('inboxError', friendError(err, n.sourceID) || { msg: 'Not done' });
        return loadNotes(); // it may have expired meanwhile
      }
      loadNotes();
      if (op === ACCEPT) loadFriends();
    });
  }

  // Clear: two clicks (the second within 4 s) delete every notification.
  var clearTimer = 0;
  function resetClear() {
    clearTimeout(clearTimer);
    clearTimer = 0;
    $('inboxClear').textContent = 'Clear';
    $('inboxClear').classList.remove('confirm');
  }
  $('inboxClear').addEventListener('click', function () {
    if (!clearTimer) {
      $('inboxClear').textContent = 'Delete all? Click again';
      $('inboxClear').classList.add('confirm');
      clearTimer = setTimeout(resetClear, 4000);
      return;
    }
    resetClear();
    showError('inboxError', null);
    yunxinIM.deleteAllNotifications(function (ret, err) {
      if (err) return showError('inboxError', err);
      loadNotes();
      loadUnread();
    });
  });

  // ---- toasts ---------------------------------------------------------------

  function toast(title, text, cls) {
    var t = h('div', 'toast' + (cls ? ' ' + cls : ''));
    t.setAttribute('role', 'status');
    t.append(h('strong', null, title), h('span', 'toast-text', text));
    var gone = function () { t.remove(); };
    t.addEventListener('click', gone);
    $('toasts').appendChild(t);
    while ($('toasts').children.length > 4) $('toasts').firstChild.remove();
    setTimeout(gone, 8000);
    return t;
  }

  // ---- profile ---------------------------------------------------------------

  // openProfile shows the profile of id in the main pane: the cached one at
  // once, then the server's (fetchUserInfos, then localUserInfo).
  function openProfile(id) {
    if (!id || !me) return;
    profileId = id;
    var g = ++pgen;
    showError('profileError', null);
    note('profileNote', '');
    $('conversation').hidden = true;
    $('profileView').hidden = false;
    $('profileView').dataset.userId = id;
    $('profileView').dataset.loaded = '';
    formDirty = false;
    rel = {};
    renderProfile();
    var readLocal = function (done) {
      yunxinIM.localUserInfo({ userId: id }, function (ret) {
        if (g !== pgen) return;
        if (ret && ret.user) remember([ret.user]);
        $('profileView').dataset.loaded = 'true';
        renderProfile();
        if (done) done(ret && ret.user);
      });
    };
    readLocal();
    if (id !== me) {
      yunxinIM.fetchUserInfos({ users: [id] }, function (ret, err) {
        if (g !== pgen) return;
        if (err) return; // offline: the cached profile stays
        var got = ((ret && ret.users) || []).some(function (u) { return u && u.userId === id; });
        readLocal(function (u) {
          if (!got && !(u && u.userInfo)) showError('profileError', { code: 404, msg: 'There is no account "' + id + '"' });
        });
      });
      relations(id, g);
    }
  }

  function closeProfile() {
    if (!profileId) return;
    profileId = '';
    pgen++;
    $('profileView').hidden = true;
    $('conversation').hidden = false;
  }

  $('profileBack').addEventListener('click', closeProfile);

  // rel: the open profile's relations: friend, black, mute (undefined while
  // unknown).
  var rel = {};
  function relations(id, g) {
    var left = 3, got = {};
    var done = function () { if (--left === 0 && g === pgen) { rel = got; renderProfile(); } };
    yunxinIM.isMyFriend({ userId: id }, function (ret) { got.friend = !!(ret && ret.isFriend); done(); });
    yunxinIM.isUserInBlackList({ userId: id }, function (ret) { got.black = !!(ret && ret.isBlack); done(); });
    yunxinIM.isMute({ userId: id }, function (ret) { got.mute = !!(ret && ret.isMute); done(); });
  }

  var formDirty = false; // the own profile's form was typed into
  var loaded = {};       // the own profile as the form was filled from it

  function renderProfile() {
    var id = profileId;
    if (!id) return;
    var i = info(id) || {}, own = id === me;
    $('profileAvatar').replaceChildren(avatar(id, 'big'));
    $('profileName').textContent = name(id);
    $('profileId').textContent = id;
    $('profileSign').textContent = i.sign || '';
    var tags = [];
    if (own) tags.push(h('span', 'tag', 'You'));
    if (!own && rel.friend) tags.push(h('span', 'tag friend', 'Friend'));
    if (!own && rel.black) tags.push(h('span', 'tag blocked', 'Blocked'));
    if (!own && rel.mute) tags.push(h('span', 'tag muted', 'Muted'));
    $('profileTags').replaceChildren.apply($('profileTags'), tags);

    var dl = $('profileFields'), rows = [];
    var f = friends[id] || users[id];
    if (!own && f && f.alias) rows.push(['Alias', f.alias]);
    if (i.nickName && name(id) !== i.nickName) rows.push(['Nickname', i.nickName]);
    if (GENDER[i.gender]) rows.push(['Gender', GENDER[i.gender]]);
    if (i.birth) rows.push(['Birthday', i.birth]);
    if (i.email) rows.push(['Email', i.email]);
    if (i.mobile) rows.push(['Mobile', i.mobile]);
    dl.replaceChildren();
    rows.forEach(function (r) { dl.append(h('dt', null, r[0]), h('dd', 'field-' + r[0].toLowerCase(), r[1])); });
    dl.hidden = own || rows.length === 0;

    $('profileForm').hidden = !own;
    if (own && !formDirty) fillForm(i);
    renderActions(id, own);
  }

  function renderActions(id, own) {
    var box = $('profileActions');
    if (own) { box.replaceChildren(); return; }
    var acts = [button('chat', 'Chat', 'Open the conversation', function () { ui.openChat(id); })];
    if (rel.friend === true) {
      acts.push(confirmButton('unfriend danger', 'Delete friend', 'Delete ' + id + '? Click again', function () {
        relation('deleteFriend', { userId: id }, 'Deleted from your friends');
      }));
    } else if (rel.friend === false) {
      acts.push(button('befriend', 'Add friend', 'Ask ' + id + ' to be your friend', function () {
        relation('requestFriend', { userId: id, operation: REQUEST }, 'Request sent');
      }));
    }
    if (rel.black === true) {
      acts.push(button('unblock', 'Unblock', 'Take ' + id + ' off your blacklist', function () {
        relation('removeFromBlackList', { userId: id }, 'Unblocked');
      }));
    } else if (rel.black === false) {
      acts.push(button('block danger', 'Block', 'Refuse messages and requests from ' + id, function () {
        relation('addToBlackList', { userId: id }, 'Blocked: ' + id + ' cannot message you');
      }));
    }
    if (rel.mute === true) {
      acts.push(button('unmute', 'Unmute', 'Show unread alerts for ' + id + ' again', function () {
        relation('setMute', { userId: id, isNotify: false }, 'Unmuted');
      }));
    } else if (rel.mute === false) {
      acts.push(button('mute', 'Mute', 'No unread alerts for ' + id + ' (on all your devices)', function () {
        relation('setMute', { userId: id, isNotify: true }, 'Muted');
      }));
    }
    box.replaceChildren.apply(box, acts);
  }

  // confirmButton asks for a second click within 4 s before onconfirm.
  function confirmButton(cls, label, ask, onconfirm) {
    var timer = 0, b;
    b = button(cls, label, '', function () {
      if (!timer) {
        b.textContent = ask;
        b.classList.add('confirm');
        timer = setTimeout(function () { timer = 0; b.textContent = label; b.classList.remove('confirm'); }, 4000);
        return;
      }
      clearTimeout(timer);
      timer = 0;
      onconfirm();
    });
    return b;
  }

  // relation runs a friend, blacklist or mute method for the open profile
  // and reads its relations again.
  function relation(method, params, done) {
    var id = profileId, g = pgen;
    showError('profileError', null);
    note('profileNote', '');
    Array.prototype.forEach.call($('profileActions').querySelectorAll('button'), function (b) { b.disabled = true; });
    yunxinIM[method](params, function (ret, err) {
      if (g !== pgen) return;
      if (err || !ret || !ret.status) {
        showError('profileError', method === 'requestFriend' ? friendError(err, id) : err || { msg: 'Not done' });
      } else {
        note('profileNote', done, true);
      }
      relations(id, g);
      if (method === 'requestFriend' || method === 'deleteFriend') loadFriends();
      if (method === 'addToBlackList' || method === 'removeFromBlackList') loadBlocked();
      if (method === 'setMute') loadMuted();
    });
  }

  // The own profile's form: filled from the profile until it is typed into
  // (an update from another device then does not overwrite what is being
  // typed); Save sends the fields that changed.
  var FORM = [['nickName', 'pfNick'], ['avatar', 'pfAvatar', 'avatarUrl'], ['sign', 'pfSign'], ['gender', 'pfGender'],
    ['email', 'pfEmail'], ['birth', 'pfBirth'], ['mobile', 'pfMobile']];

  function fillForm(i) {
    loaded = {};
    FORM.forEach(function (f) {
      var v = i[f[2] || f[0]];
      v = v === undefined || v === null ? (f[0] === 'gender' ? 0 : '') : v;
      loaded[f[0]] = String(v);
      $(f[1]).value = String(v);
    });
  }

  $('profileForm').addEventListener('input', function () { formDirty = true; });
  $('profileForm').addEventListener('change', function () { formDirty = true; });

  $('profileForm').addEventListener('submit', function (e) {
    e.preventDefault();
    if (profileId !== me) return;
    var upd = {}, n = 0;
    FORM.forEach(function (f) {
      var v = $(f[1]).value;
      if (f[0] !== 'gender') v = v.trim();
      if (v !== loaded[f[0]]) { upd[f[0]] = f[0] === 'gender' ? Number(v) : v; n++; }
    });
    showError('profileError', null);
    note('profileNote', '');
    if (!n) return note('profileNote', 'Nothing changed');
    $('pfSave').disabled = true;
    var g = pgen;
    yunxinIM.updateMyUserInfo({ userInfo: upd }, function (ret, err) {
      $('pfSave').disabled = false;
      if (g !== pgen) return;
      if (err || !ret || !ret.status) return showError('profileError', err || { msg: 'Not saved' });
      Object.keys(upd).forEach(function (k) { loaded[k] = String(upd[k]); });
      formDirty = false;
      note('profileNote', 'Saved', true);
      loadMe();
    });
  });

  // ---- live changes ------------------------------------------------------------

  // Friend events come in both platforms' shapes (iOS user, Android
  // changeUser/addUser/removeUser/muteUser): the demo takes the profiles
  // they carry and reads the lists again, which covers both.
  yunxinIM.addFriendListen(function (ret) {
    if (!ret || !ret.eventType || !me) return;
    if (ret.user) remember([ret.user]);
    if (ret.changeUser) remember(ret.changeUser);
    switch (ret.eventType) {
      case 'onFriendChanged': loadFriends(); break;
      case 'onBlackListChanged': loadBlocked(); break;
      case 'onMuteListChanged': loadMuted(); break;
      case 'onUserInfoChanged':
        // Read each changed profile from the cache too: the event may carry
        // the account only.
        var ids = (ret.changeUser || []).concat(ret.user ? [ret.user] : []).map(function (u) { return u && u.userId; });
        ids.filter(Boolean).forEach(function (id) {
          yunxinIM.localUserInfo({ userId: id }, function (r) { if (r && r.user) { remember([r.user]); changed(); } });
        });
        changed();
        break;
    }
    if (profileId && profileId !== me && ret.eventType !== 'onUserInfoChanged') relations(profileId, pgen);
  });

  yunxinIM.addNotificationListen(function (ret) {
    if (!ret || !ret.eventType || !me) return;
    switch (ret.eventType) {
      case 'onSystemNotificationCountChanged':
        if (typeof ret.unreadCount === 'number') setUnread(ret.unreadCount);
        if (unread) markRead();
        break;
      case 'onReceiveSystemNotification':
        var n = ret.notification;
        if (typeof ret.unreadCount === 'number') setUnread(ret.unreadCount);
        loadNotes();
        if (n && tab === 'inbox') markRead();
        // A new friend or team notification pops up once (the SDK reports
        // a notification again when it is answered).
        if (n && tab !== 'inbox' && !n.read && (n.type === 5 || TEAM_TEXT[n.type]) && n.sourceID !== me && !toasted[n.notificationId] &&
            !((n.operation === REQUEST || TEAM_TEXT[n.type]) && (n.handleStatus || 0) !== UNTREATED)) {
          toasted[n.notificationId] = true;
          withProfile(n.sourceID, function () {
            var t = toast(name(n.sourceID), noteText(n) + (n.postscript ? ': “' + n.postscript + '”' : ''), 'system');
            t.title = 'Open the inbox';
            t.addEventListener('click', function () { showTab('inbox'); });
          });
        }
        break;
      case 'onReceiveCustomSystemNotification':
        var c = ret.systemNotification || {};
        withProfile(c.sender, function () {
          toast('Notification' + (c.sender ? ' from ' + name(c.sender) : ''), String(c.content || ''), 'custom');
        });
        break;
    }
  });

  // ---- app.js's side ---------------------------------------------------------------

  return {
    // start: account logged in (or its cache opened): load its people.
    start: function (account) {
      if (me !== account) { users = {}; friends = {}; blocked = {}; muted = {}; notes = []; asked = {}; }
      me = account;
      renderMe();
      loadAll();
    },
    // synced: the login's sync is done: read everything again.
    synced: function () { if (me) loadAll(); },
    // stop: logged out.
    stop: function () {
      me = ''; users = {}; friends = {}; blocked = {}; muted = {}; notes = []; asked = {}; needing = {};
      clearTimeout(needTimer); needTimer = 0;
      closeProfile();
      showTab('chats');
      setUnread(0);
      renderMe();
      renderFriends();
      renderNotes();
      $('searchBox').hidden = true;
      $('toasts').replaceChildren();
      ['contactsError', 'inboxError', 'profileError'].forEach(function (e) { showError(e, null); });
    },
    name: name,
    avatar: avatar,
    mutedIcon: mutedIcon,
    isMuted: function (id) { return !!muted[id]; },
    need: need,
    openProfile: openProfile,
    closeProfile: closeProfile,
    showTab: showTab,
    toast: toast,
    friendIds: function () { return Object.keys(friends); }
  };
};
