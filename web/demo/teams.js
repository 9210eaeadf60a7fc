// yunxinIM web demo: teams. The Teams tab (create a team, apply to join one
// by its id, the list of your teams, live), the team page (info and its
// editing, your notify state, the members with their roles and the actions
// your role allows, invite, leave, dismiss), the lines of team notification
// messages in a team chat, and the Accept / Reject of team applications and
// invitations in the inbox. Like app.js it uses only the plugin API
// (yunxinIM.*, callback style); user data is rendered with textContent or
// as attribute values only.
//
// app.js starts it with demoTeams(ui) after people.js and asks it for team
// names, avatars and notification lines; it tells app.js when those change
// (ui.changed) and asks it to open a team chat (ui.openChat(teamId,
// chatType)).
window.demoTeams = function (ui) {
  'use strict';
  var yunxinIM = ui.yunxinIM, $ = ui.$, h = ui.h, button = ui.button, showError = ui.showError, people = ui.people;

  // The doc's numbers: team types (team.type), chat types of team sessions,
  // member types, join modes, notify states, team notification operations
  // (the body's operation) and the team system notification types.
  var NORMAL = 0, ADVANCED = 1, SUPER = 2;
  var CHAT_TEAM = 1, CHAT_SUPER = 5;
  var OWNER = 1, MANAGER = 2, APPLICANT = 3;
  var TYPE_TEXT = { 0: 'Normal team', 1: 'Advanced team', 2: 'Super team' };
  var JOIN_TEXT = { 0: 'Anyone may join', 1: 'Needs approval', 2: 'Nobody may join' };
  var NOTIFY_ALL = 0, NOTIFY_NONE = 1, NOTIFY_MANAGERS = 2;
  var OP = { INVITE: 0, KICK: 1, LEAVE: 2, UPDATE: 3, DISMISS: 4, PASS: 5, TRANSFER: 6, ADD_MGR: 7, DEL_MGR: 8, ACCEPT: 9, MUTE: 10 };
  var APPLY = { 0: true, 15: true }, INVITE = { 2: true, 17: true };
  var NOT_ALLOWED = 802;

  var me = '';
  var teams = {};     // teamId → team object (the doc's 群组信息), also of teams no longer yours
  var mine = [];      // allMyTeams' ids, by name
  var openId = '';    // the team whose page is open, '' when none
  var members = [];   // its members (fetchTeamMembers)
  var tgen = 0;       // bumps when the open team page changes
  var answered = {};  // notificationId → 1 accepted / 2 rejected here (until the SDK says so)

  // ---- names and avatars ------------------------------------------------------

  function name(tid) { var t = teams[tid]; return (t && t.teamName) || tid || ''; }
  function chatTypeOf(t) { return t && t.type === SUPER ? CHAT_SUPER : CHAT_TEAM; }
  function known(tid) { return !!teams[tid]; }

  function hue(id) {
    var n = 7;
    for (var i = 0; i < id.length; i++) n = (n * 31 + id.charCodeAt(i)) % 360;
    return n;
  }

  // avatar is the team's picture, else its name's first letter on a
  // rounded square of the team's own colour.
  function avatar(tid, cls) {
    var box = h('span', 'avatar team' + (cls ? ' ' + cls : ''));
    box.dataset.teamId = tid;
    box.style.backgroundColor = 'hsl(' + hue(tid || '?') + ', 45%, 48%)';
    box.appendChild(h('span', 'initials', (Array.from(String(name(tid)).trim())[0] || '#').toUpperCase()));
    var t = teams[tid], url = t && (ui.safeURL(t.thumbAvatarUrl) || ui.safeURL(t.avatarUrl));
    if (url) {
      var img = h('img');
      img.alt = '';
      img.referrerPolicy = 'no-referrer';
      img.addEventListener('load', function () { box.classList.add('has-image'); });
      img.addEventListener('error', function () { img.remove(); box.classList.remove('has-image'); });
      img.src = url;
      box.appendChild(img);
    }
    return box;
  }

  function who(id) { return id === me ? 'You' : people.name(id); }
  function list(ids) {
    ids = (ids || []).map(function (id) { return id === me ? 'you' : people.name(id); });
    if (ids.length <= 2) return ids.join(' and ');
    return ids.slice(0, -1).join(', ') + ' and ' + ids[ids.length - 1];
  }

  // ---- team notification messages -----------------------------------------------

  // noteLine is the grey line of a team notification message (body type 5:
  // operation, targets, update, isMute), e.g. "alice invited bob".
  function noteLine(m) {
    var b = m.body;
    if (typeof b === 'string') { try { b = JSON.parse(b); } catch (e) { b = {}; } }
    b = b || {};
    var by = who(m.from), t = b.targets || [];
    people.need([m.from].concat(t));
    switch (b.operation) {
      case OP.INVITE: return t.length ? by + ' invited ' + list(t) : by + ' created the team'; // creating posts an invite of those added at once
      case OP.KICK: return by + ' removed ' + list(t) + ' from the team';
      case OP.LEAVE: return by + ' left';
      case OP.UPDATE: return by + ' ' + updateText(b.update || {});
      case OP.DISMISS: return by + ' dismissed the team';
      case OP.PASS: return by + ' approved ' + list(t) + (t.length > 1 ? ' to join' : ' joining');
      case OP.TRANSFER: return by + ' made ' + list(t) + ' the owner';
      case OP.ADD_MGR: return by + ' made ' + list(t) + (t.length > 1 ? ' managers' : ' a manager');
      case OP.DEL_MGR: return by + ' removed ' + list(t) + ' as manager' + (t.length > 1 ? 's' : '');
      case OP.ACCEPT: return by + ' joined the team';
      case OP.MUTE: return by + (b.isMute ? ' muted ' : ' unmuted ') + list(t);
      default: return 'The team changed';
    }
  }

  function updateText(u) {
    if (typeof u.teamName === 'string') return 'changed the name to “' + u.teamName + '”';
    if (typeof u.announcement === 'string') return u.announcement ? 'changed the announcement: “' + u.announcement + '”' : 'cleared the announcement';
    if (typeof u.intro === 'string') return u.intro ? 'changed the introduction to “' + u.intro + '”' : 'cleared the introduction';
    if (typeof u.joinMode === 'number') return 'set joining to “' + (JOIN_TEXT[u.joinMode] || u.joinMode) + '”';
    if (u.inAllMuteMode !== undefined || u.muteMode !== undefined) {
      return u.inAllMuteMode || u.muteMode ? 'muted the team' : 'unmuted the team';
    }
    if (u.avatarUrl !== undefined || u.teamAvatarUrl !== undefined) return 'changed the team picture';
    return 'updated the team info';
  }

  // ---- the Teams tab ---------------------------------------------------------------

  function loadTeams() {
    yunxinIM.allMyTeams(function (ret) {
      if (!me) return;
      var got = (ret && ret.teams) || [];
      got.forEach(function (t) { if (t && t.teamId) teams[t.teamId] = t; });
      mine = got.filter(function (t) { return t && t.teamId; }).map(function (t) { return t.teamId; });
      Object.keys(teams).forEach(function (tid) { if (mine.indexOf(tid) < 0) teams[tid].isMyTeam = false; });
      renderList();
      ui.changed();
      if (openId) renderTeam();
    });
  }

  function renderList() {
    var ids = mine.slice().sort(function (a, b) { return name(a).localeCompare(name(b)); });
    var ul = $('teamList');
    ul.replaceChildren.apply(ul, ids.map(function (tid) {
      var t = teams[tid];
      var li = h('li', 'person team-item');
      li.dataset.teamId = tid;
      var w = h('span', 'who');
      var top = h('span', 'name', name(tid));
      if (t.notifyState === NOTIFY_NONE) top.appendChild(people.mutedIcon());
      w.append(top, h('span', 'sub', (TYPE_TEXT[t.type] || 'Team') + ' · ' + (t.memberNumber || 0) + ' member' + (t.memberNumber === 1 ? '' : 's')));
      li.append(avatar(tid), w);
      li.tabIndex = 0;
      li.title = 'Open the team chat (' + tid + ')';
      var open = function () { ui.openChat(tid, chatTypeOf(t)); };
      li.addEventListener('click', open);
      li.addEventListener('keydown', function (e) { if (e.key === 'Enter') open(); });
      return li;
    }));
    $('noTeams').hidden = ids.length > 0;
    $('teamCount').textContent = ids.length ? String(ids.length) : '';
  }

  // The create form's member picker: your friends, checked to invite.
  function renderPicker() {
    var box = $('teamPick'), was = {};
    Array.prototype.forEach.call(box.querySelectorAll('input:checked'), function (c) { was[c.value] = true; });
    var ids = people.friendIds().sort(function (a, b) { return people.name(a).localeCompare(people.name(b)); });
    box.replaceChildren.apply(box, ids.map(function (id) {
      var l = h('label', 'check pick');
      var c = h('input');
      c.type = 'checkbox';
      c.value = id;
      c.checked = !!was[id];
      l.append(c, document.createTextNode(' ' + people.name(id)));
      l.title = id;
      return l;
    }));
    box.hidden = ids.length === 0;
  }

  function note(id, text, ok) {
    var el = $(id);
    el.textContent = text || '';
    el.classList.toggle('ok', !!ok);
  }

  function splitIds(text) { return String(text || '').split(/[\s,;]+/).filter(Boolean); }

  $('teamTypeNew').addEventListener('change', function () {
    $('teamJoinNewLabel').hidden = Number(this.value) !== ADVANCED;
  });

  $('createTeamForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var teamName = $('teamNameNew').value.trim();
    var type = Number($('teamTypeNew').value);
    var users = [];
    Array.prototype.forEach.call($('teamPick').querySelectorAll('input:checked'), function (c) { users.push(c.value); });
    splitIds($('teamUsersNew').value).forEach(function (id) { if (users.indexOf(id) < 0 && id !== me) users.push(id); });
    showError('teamsError', null);
    note('createTeamNote', '');
    var option = { name: teamName, type: type };
    if (type === ADVANCED) option.joinMode = Number($('teamJoinNew').value);
    $('createTeam').disabled = true;
    yunxinIM.createTeam({ users: users, option: option }, function (ret, err) {
      $('createTeam').disabled = false;
      if (err || !ret || !ret.status) return showError('teamsError', err || { msg: 'Not created' });
      var failed = ret.failedUserIds || [];
      var text = '“' + teamName + '” created';
      if (users.length && type === ADVANCED) text += ': invitations sent to ' + (users.length - failed.length);
      if (failed.length) text += '; could not invite ' + failed.join(', ');
      note('createTeamNote', text, true);
      $('teamNameNew').value = '';
      $('teamUsersNew').value = '';
      Array.prototype.forEach.call($('teamPick').querySelectorAll('input:checked'), function (c) { c.checked = false; });
      teams[ret.teamId] = teams[ret.teamId] || { teamId: ret.teamId, teamName: teamName, type: type, owner: me, isMyTeam: true };
      loadTeams();
      ui.openChat(ret.teamId, chatTypeOf(teams[ret.teamId]));
    });
  });

  $('applyTeamForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var tid = $('applyTeamId').value.trim(), msg = $('applyTeamMsg').value.trim();
    showError('teamsError', null);
    note('applyNote', '');
    if (!tid) return;
    var p = { teamId: tid };
    if (msg) p.message = msg;
    $('applyTeam').disabled = true;
    yunxinIM.applyToTeam(p, function (ret, err) {
      $('applyTeam').disabled = false;
      if (err || !ret || !ret.status) {
        if (err && err.code === 803) err = { code: 803, msg: 'There is no team "' + tid + '"' };
        if (err && err.code === 809) err = { code: 809, msg: 'You are in that team already' };
        return showError('teamsError', err || { msg: 'Not sent' });
      }
      $('applyTeamId').value = '';
      $('applyTeamMsg').value = '';
      if (ret.applyStatus === 1) { note('applyNote', 'You joined team ' + tid, true); loadTeams(); }
      else note('applyNote', 'Application sent: waiting for the owner or a manager', true);
    });
  });

  // ---- the team page -------------------------------------------------------------------

  function open(tid) {
    if (!tid || !me) return;
    people.closeProfile();
    openId = tid;
    tgen++;
    members = [];
    showError('teamError', null);
    note('teamNote', '');
    $('conversation').hidden = true;
    $('teamView').hidden = false;
    $('teamView').dataset.loaded = '';
    formFor = '';
    renderTeam();
    loadMembers();
  }

  function close() {
    if (!openId) return;
    openId = '';
    tgen++;
    $('teamView').hidden = true;
    $('conversation').hidden = false;
  }
  $('teamBack').addEventListener('click', close);

  function loadMembers() {
    var tid = openId, g = tgen;
    yunxinIM.fetchTeamMembers({ teamId: tid }, function (ret, err) {
      if (g !== tgen) return;
      if (err && (!teams[tid] || teams[tid].isMyTeam !== false)) showError('teamError', err);
      members = (ret && ret.members) || [];
      people.need(members.map(function (m) { return m.userId; }));
      $('teamView').dataset.loaded = 'true';
      renderTeam();
    });
  }

  function myRow() {
    for (var i = 0; i < members.length; i++) if (members[i].userId === me) return members[i];
    return null;
  }

  function roleOf(m) { return m.type === OWNER ? 'owner' : m.type === MANAGER ? 'manager' : m.type === APPLICANT ? 'applicant' : 'member'; }

  var formFor = ''; // the team the edit form was filled for

  function renderTeam() {
    var tid = openId, t = teams[tid] || { teamId: tid };
    if (!tid) return;
    var isMine = t.isMyTeam !== false && mine.indexOf(tid) >= 0;
    var row = myRow(), myType = row ? row.type : (t.owner === me ? OWNER : 0);
    var isOwner = myType === OWNER, isAdmin = isOwner || myType === MANAGER;
    var advanced = t.type !== NORMAL;
    $('teamAvatar').replaceChildren(avatar(tid, 'big'));
    $('teamTitle').textContent = name(tid);
    $('teamIdText').textContent = 'Team id ' + tid;
    var tags = [h('span', 'tag', TYPE_TEXT[t.type] || 'Team')];
    if (!isMine) tags.push(h('span', 'tag blocked', 'Not a member'));
    else if (isOwner) tags.push(h('span', 'tag friend', 'You are the owner'));
    else if (myType === MANAGER) tags.push(h('span', 'tag friend', 'You are a manager'));
    if (row && row.isMuted) tags.push(h('span', 'tag muted', 'You are muted'));
    $('teamTags').replaceChildren.apply($('teamTags'), tags);
    $('teamIntro').textContent = t.intro || '';
    $('teamAnnouncement').replaceChildren();
    if (t.announcement) $('teamAnnouncement').append(h('strong', null, 'Announcement '), document.createTextNode(t.announcement));

    var dl = $('teamFields');
    dl.replaceChildren();
    var field = function (k, v) { if (v !== '' && v !== undefined) dl.append(h('dt', null, k), h('dd', null, v)); };
    field('Owner', t.owner ? people.name(t.owner) + (people.name(t.owner) !== t.owner ? ' (' + t.owner + ')' : '') : '');
    field('Members', t.memberNumber !== undefined ? String(t.memberNumber) + (t.level ? ' of ' + t.level : '') : '');
    if (advanced) field('Joining', JOIN_TEXT[t.joinMode] || '');
    if (t.createTime) field('Created', ui.clock(t.createTime));

    // Notify state: everyone's, managers' only, none.
    $('teamNotifyRow').hidden = !isMine;
    $('teamNotify').value = String(t.notifyState || 0);
    $('teamNotifyManagers').hidden = t.type !== ADVANCED;

    // The edit form: filled once per opening (and after a save), not over typing.
    $('teamForm').hidden = !isMine;
    $('tfJoinLabel').hidden = !advanced;
    if (formFor !== tid && teams[tid]) {
      formFor = tid;
      $('tfName').value = t.teamName || '';
      $('tfIntro').value = t.intro || '';
      $('tfAnnouncement').value = t.announcement || '';
      $('tfJoin').value = String(t.joinMode || 0);
    }

    // Members, owner first, then managers.
    var order = function (m) { return m.type === OWNER ? 0 : m.type === MANAGER ? 1 : 2; };
    var sorted = members.slice().sort(function (a, b) { return order(a) - order(b) || people.name(a.userId).localeCompare(people.name(b.userId)); });
    var ul = $('teamMembers');
    ul.replaceChildren.apply(ul, sorted.map(function (m) { return memberItem(tid, t, m, isOwner, isAdmin, isMine); }));
    $('memberCount').textContent = members.length ? String(members.length) : '';
    $('teamMembersBox').classList.toggle('gone', !isMine && !members.length);

    // Invite: owner and managers, or everyone when the team says so (a normal team: everyone).
    $('teamInviteForm').hidden = !isMine || (advanced && !isAdmin && t.inviteMode !== 1);

    var acts = [];
    if (isMine && isOwner) {
      acts.push(confirmButton('dismiss danger', 'Dismiss the team', 'Dismiss it for everyone? Click again', function () {
        act('dismissTeam', { teamId: tid }, 'Team dismissed');
      }));
    } else if (isMine) {
      acts.push(confirmButton('leave danger', 'Leave the team', 'Leave it? Click again', function () {
        act('quitTeam', { teamId: tid }, 'You left the team');
      }));
    }
    acts.push(button('chat secondary', 'Open the chat', 'Back to the team chat', function () { ui.openChat(tid, chatTypeOf(t)); }));
    $('teamActions').replaceChildren.apply($('teamActions'), acts);
  }

  function memberItem(tid, t, m, isOwner, isAdmin, isMine) {
    var id = m.userId, li = h('li', 'person member');
    li.dataset.userId = id;
    li.dataset.role = roleOf(m);
    var w = h('span', 'who');
    var top = h('span', 'name', people.name(id) + (id === me ? ' (you)' : ''));
    w.appendChild(top);
    if (m.nickname) w.appendChild(h('span', 'sub', 'Team nickname: ' + m.nickname));
    else if (people.name(id) !== id) w.appendChild(h('span', 'sub', id));
    var badges = h('span', 'tags');
    if (m.type === OWNER) badges.appendChild(h('span', 'tag owner', 'Owner'));
    if (m.type === MANAGER) badges.appendChild(h('span', 'tag manager', 'Manager'));
    if (m.isMuted) badges.appendChild(h('span', 'tag muted', 'Muted'));
    w.appendChild(badges);
    li.append(people.avatar(id), w);
    var acts = h('span', 'member-actions');
    var advanced = t.type !== NORMAL;
    // What your role may do to this member: the owner to anyone, a manager
    // to normal members (in a normal team only the owner removes people).
    var over = isMine && id !== me && m.type !== OWNER && (isOwner || (isAdmin && m.type !== MANAGER));
    if (over && advanced) {
      acts.appendChild(m.isMuted ?
        button('unmute-member secondary', 'Unmute', 'Let ' + id + ' send messages again', function () {
          act('muteUserFromTeam', { teamId: tid, userId: id, isMute: false }, people.name(id) + ' may send again');
        }) :
        button('mute-member secondary', 'Mute', 'Stop ' + id + ' from sending messages here', function () {
          act('muteUserFromTeam', { teamId: tid, userId: id, isMute: true }, people.name(id) + ' is muted');
        }));
    }
    if (isMine && isOwner && advanced && id !== me) {
      if (m.type === MANAGER) {
        acts.appendChild(button('unmanager secondary', 'Remove manager', 'Make ' + id + ' a normal member', function () {
          act('removeManagersFromTeam', { teamId: tid, users: [id] }, people.name(id) + ' is no longer a manager');
        }));
      } else {
        acts.appendChild(button('manager', 'Make manager', 'Let ' + id + ' manage the team', function () {
          act('addManagersToTeam', { teamId: tid, users: [id] }, people.name(id) + ' is a manager now');
        }));
      }
      acts.appendChild(confirmButton('transfer secondary', 'Make owner', 'Give the team to ' + id + '? Click again', function () {
        act('transferManagerWithTeam', { teamId: tid, newOwnerId: id, isLeave: false }, people.name(id) + ' owns the team now');
      }));
    }
    if (over && (advanced || isOwner)) {
      acts.appendChild(confirmButton('kick danger', 'Remove', 'Remove ' + id + '? Click again', function () {
        act('kickUsersFromTeam', { teamId: tid, users: [id] }, people.name(id) + ' was removed');
      }));
    }
    li.appendChild(acts);
    w.addEventListener('click', function () { close(); people.openProfile(id); });
    return li;
  }

  // act runs a team method; a refusal for the role (802) shows as a toast.
  function act(method, params, done) {
    var tid = openId, g = tgen;
    showError('teamError', null);
    note('teamNote', '');
    yunxinIM[method](params, function (ret, err) {
      if (err || !ret || !ret.status) {
        if (err && err.code === NOT_ALLOWED) return people.toast('Not allowed', (err.msg || 'your role in the team may not do this') + ' (802)', 'warn');
        if (g === tgen) showError('teamError', err || { msg: 'Not done' });
        return;
      }
      if (g === tgen) note('teamNote', done, true);
      if (method === 'dismissTeam' || method === 'quitTeam') {
        if (teams[tid]) teams[tid].isMyTeam = false;
      }
      loadTeams();
      if (g === tgen) loadMembers();
    });
  }

  // confirmButton asks for a second click within 4 s before onconfirm; the
  // asking state outlives a redraw of the page (a member event meanwhile).
  var asking = {}; // button key → until (ms)
  function confirmButton(cls, label, ask, onconfirm) {
    var key = openId + '|' + cls + '|' + ask, b;
    var show = function () {
      var on = asking[key] > Date.now();
      b.textContent = on ? ask : label;
      b.classList.toggle('confirm', on);
    };
    b = button(cls, label, '', function () {
      if (!(asking[key] > Date.now())) {
        asking[key] = Date.now() + 4000;
        show();
        setTimeout(function () { if (b.isConnected) show(); }, 4050);
        return;
      }
      delete asking[key];
      show();
      onconfirm();
    });
    show();
    return b;
  }

  // Saving the info form: each changed field with its update method, in
  // turn; the first refusal stops (802: a toast).
  $('teamForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var tid = openId, t = teams[tid] || {}, g = tgen;
    var steps = [];
    var v = $('tfName').value.trim();
    if (v !== (t.teamName || '')) steps.push(['updateTeamName', { teamId: tid, teamName: v }]);
    v = $('tfIntro').value;
    if (v !== (t.intro || '')) steps.push(['updateTeamIntro', { teamId: tid, intro: v }]);
    v = $('tfAnnouncement').value;
    if (v !== (t.announcement || '')) steps.push(['updateTeamAnnouncement', { teamId: tid, announcement: v }]);
    if (t.type !== NORMAL) {
      var j = Number($('tfJoin').value);
      if (j !== (t.joinMode || 0)) steps.push(['updateTeamJoinMode', { teamId: tid, joinMode: j }]);
    }
    showError('teamError', null);
    note('teamNote', '');
    if (!steps.length) return note('teamNote', 'Nothing changed');
    $('tfSave').disabled = true;
    var next = function () {
      var s = steps.shift();
      if (!s) {
        $('tfSave').disabled = false;
        if (g === tgen) { note('teamNote', 'Saved', true); formFor = ''; }
        return loadTeams();
      }
      yunxinIM[s[0]](s[1], function (ret, err) {
        if (err || !ret || !ret.status) {
          $('tfSave').disabled = false;
          if (err && err.code === NOT_ALLOWED) {
            people.toast('Not allowed', 'Only the owner or a manager may change the team info (802)', 'warn');
          } else if (g === tgen) {
            showError('teamError', err || { msg: 'Not saved' });
          }
          return;
        }
        next();
      });
    };
    next();
  });

  $('teamNotify').addEventListener('change', function () {
    var tid = openId, state = Number(this.value), sel = this;
    yunxinIM.updateTeamNotifyState({ teamId: tid, notifyState: state }, function (ret, err) {
      if (err || !ret || !ret.status) {
        showError('teamError', err || { msg: 'Not changed' });
        sel.value = String((teams[tid] && teams[tid].notifyState) || 0);
        return;
      }
      if (teams[tid]) teams[tid].notifyState = state;
      note('teamNote', state === NOTIFY_NONE ? 'No alerts from this team' : state === NOTIFY_MANAGERS ? 'Alerts for the managers’ messages only' : 'Alerts for every message', true);
      loadTeams();
    });
  });

  $('teamInviteForm').addEventListener('submit', function (e) {
    e.preventDefault();
    var tid = openId, g = tgen, users = splitIds($('teamInviteIds').value);
    if (!users.length) return;
    showError('teamError', null);
    note('teamNote', '');
    $('teamInvite').disabled = true;
    yunxinIM.invitationToTeam({ teamId: tid, users: users }, function (ret, err) {
      $('teamInvite').disabled = false;
      if (err || !ret || !ret.status) {
        if (err && err.code === NOT_ALLOWED) return people.toast('Not allowed', 'Only the owner or a manager may invite (802)', 'warn');
        return showError('teamError', err || { msg: 'Not invited' });
      }
      $('teamInviteIds').value = '';
      var added = (ret.members || []).length;
      if (g === tgen) note('teamNote', added ? list(users) + (users.length > 1 ? ' joined' : ' joined') : 'Invitation sent to ' + list(users) + ': waiting for them to accept', true);
      loadTeams();
      if (g === tgen) loadMembers();
    });
  });

  // ---- the inbox: applications and invitations ----------------------------------------------

  // inboxNote draws the state and the Accept / Reject buttons of a team
  // application (types 0, 15: you own or manage the team) or invitation
  // (types 2, 17) in the inbox; false for other notifications.
  function inboxNote(n, acts, li, reload) {
    if (!APPLY[n.type] && !INVITE[n.type]) return false;
    var state = answered[n.notificationId] || n.handleStatus || 0;
    if (n.handleStatus) delete answered[n.notificationId];
    li.dataset.state = { 0: 'pending', 1: 'accepted', 2: 'rejected', 3: 'ignored', 4: 'expired' }[state] || 'pending';
    if (state) {
      acts.appendChild(h('span', 'state ' + li.dataset.state, { 1: 'Accepted', 2: 'Rejected', 3: 'Ignored', 4: 'Expired' }[state] || ''));
      return true;
    }
    var tid = n.targetID, from = n.sourceID, apply = !!APPLY[n.type];
    var answer = function (ok) {
      showError('inboxError', null);
      Array.prototype.forEach.call(acts.querySelectorAll('button'), function (b) { b.disabled = true; });
      var method = apply ? (ok ? 'passApplyToTeam' : 'rejectApplyToTeam') : (ok ? 'acceptInviteWithTeam' : 'rejectInviteWithTeam');
      var p = apply ? { teamId: tid, userId: from } : { teamId: tid, invitorId: from };
      yunxinIM[method](p, function (ret, err) {
        if (err || !ret || !ret.status) {
          Array.prototype.forEach.call(acts.querySelectorAll('button'), function (b) { b.disabled = false; });
          if (err && err.code === NOT_ALLOWED) people.toast('Not allowed', (err.msg || 'only the owner or a manager may answer') + ' (802)', 'warn');
          else showError('inboxError', err || { msg: 'Not done' });
          return reload(); // it may have expired meanwhile
        }
        answered[n.notificationId] = ok ? 1 : 2;
        reload();
        loadTeams();
        if (openId === tid) loadMembers();
      });
    };
    acts.append(
      button('accept', 'Accept', apply ? 'Let ' + from + ' join the team' : 'Join the team', function () { answer(true); }),
      button('reject secondary', 'Reject', apply ? 'Decline the application' : 'Decline the invitation', function () { answer(false); }));
    return true;
  }

  // ---- live changes -------------------------------------------------------------------------

  yunxinIM.addTeamListen(function (ret) {
    if (!ret || !me) return;
    var got = (ret.teams || []).slice();
    if (ret.team) got.push(ret.team);
    got.forEach(function (t) { if (t && t.teamId) teams[t.teamId] = Object.assign({}, teams[t.teamId], t); });
    if (ret.eventType === 'onTeamRemoved' && ret.team && teams[ret.team.teamId]) teams[ret.team.teamId].isMyTeam = false;
    var touched = got.some(function (t) { return t && t.teamId === openId; }) ||
      (ret.updateMembers || []).concat(ret.removedMembers || []).some(function (m) { return m && m.teamId === openId; });
    loadTeams();
    if (openId && touched) loadMembers();
  });

  return {
    // start: logged in (or the cache opened): load the teams.
    start: function (account) {
      if (me !== account) { teams = {}; mine = []; answered = {}; }
      me = account;
      loadTeams();
    },
    synced: function () { if (me) loadTeams(); },
    stop: function () {
      me = ''; teams = {}; mine = []; answered = {};
      close();
      renderList();
      $('createTeamForm').reset();
      ['createTeamNote', 'applyNote'].forEach(function (id) { note(id, ''); });
      showError('teamsError', null);
    },
    // tabShown: the Teams tab opened.
    tabShown: function () { renderPicker(); loadTeams(); },
    known: known,
    name: name,
    avatar: avatar,
    chatType: function (tid) { return teams[tid] ? chatTypeOf(teams[tid]) : 0; },
    isMyTeam: function (tid) { return !!teams[tid] && teams[tid].isMyTeam !== false && mine.indexOf(tid) >= 0; },
    // refresh: names or avatars of people changed.
    refresh: function () { if (!me) return; renderList(); if (!$('teamsPanel').hidden) renderPicker(); if (openId) renderTeam(); },
    isQuiet: function (tid) { return !!teams[tid] && teams[tid].notifyState === NOTIFY_NONE; },
    noteLine: noteLine,
    inboxNote: inboxNote,
    open: open,
    close: close,
    isOpen: function () { return !!openId; }
  };
};
