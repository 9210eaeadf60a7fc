package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"yunxin/proto"
	"yunxin/server/store"
)

// teamCols are the columns of a proto.Team (scanTeam).
const teamCols = `id, name, type, owner, icon, intro, announcement, client_custom, server_custom, join_mode, invite_mode,
	be_invite_mode, update_info_mode, update_custom_mode, mute_mode, max_members, members, member_ver, created_ms, updated_ms, dismissed`

func scanTeam(row scanner) (proto.Team, error) {
	var t proto.Team
	err := row.Scan(&t.ID, &t.Name, &t.Type, &t.Owner, &t.Icon, &t.Intro, &t.Announcement, &t.ClientCustom, &t.ServerCustom,
		&t.JoinMode, &t.InviteMode, &t.BeInviteMode, &t.UpdateInfoMode, &t.UpdateCustomMode, &t.MuteMode, &t.MaxMembers,
		&t.Members, &t.MemberVer, &t.Created, &t.Updated, &t.Dismissed)
	return t, err
}

// tmCols are the columns of a proto.TeamMember (scanMember).
const tmCols = `tid, account, type, nick, custom, muted, inviter, joined_ms, notify, valid, ver, left_seq, join_seq`

func scanMember(row scanner) (proto.TeamMember, error) {
	var m proto.TeamMember
	err := row.Scan(&m.TeamID, &m.Account, &m.Type, &m.Nick, &m.Custom, &m.Muted, &m.Inviter, &m.Joined, &m.Notify, &m.Valid, &m.Ver, &m.LeftSeq, &m.JoinSeq)
	return m, err
}

// teamErr is a *store.TeamError.
func teamErr(code int, format string, args ...any) error {
	return store.TeamErrorf(code, format, args...)
}

// teamTx is one team write in progress: the team as read at its start,
// and what the write has appended so far.
type teamTx struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
	t   proto.Team
	now int64
	w   store.TeamWrite
	// bumped: the team's member_ver was moved by this write (once).
	bumped bool
}

// readTeam reads tid in tx; TeamError 803 if there is none (or, with
// live, if it is dismissed).
func readTeam(ctx context.Context, tx queryer, tid string, live bool) (proto.Team, error) {
	t, err := scanTeam(tx.QueryRowContext(ctx, `SELECT `+teamCols+` FROM teams WHERE id = ?`, tid))
	if errors.Is(err, sql.ErrNoRows) || err == nil && live && t.Dismissed {
		return t, teamErr(proto.CodeTeamNotFound, "team %s does not exist", tid)
	}
	if err != nil {
		return t, fmt.Errorf("read team %s: %w", tid, err)
	}
	return t, nil
}

// readMember reads account's member row of tid; ok false if it never was
// a member.
func readMember(ctx context.Context, tx queryer, tid, account string) (m proto.TeamMember, ok bool, err error) {
	m, err = scanMember(tx.QueryRowContext(ctx, `SELECT `+tmCols+` FROM team_members WHERE tid = ? AND account = ?`, tid, account))
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read member %s of %s: %w", account, tid, err)
	}
	return m, true, nil
}

// teamWrite runs fn in a write transaction on the live team tid.
func (s *Store) teamWrite(ctx context.Context, tid string, nowMs int64, fn func(t *teamTx) error) (store.TeamWrite, error) {
	var out store.TeamWrite
	err := s.write(ctx, func(tx *sql.Tx) error {
		t, err := readTeam(ctx, tx, tid, true)
		if err != nil {
			return err
		}
		tt := &teamTx{s: s, ctx: ctx, tx: tx, t: t, now: nowMs}
		if err := fn(tt); err != nil {
			return err
		}
		out = tt.w
		return nil
	})
	if err != nil {
		return store.TeamWrite{}, err
	}
	return out, nil
}

// member returns account's valid member row; TeamError 804 if it is not
// a valid member.
func (t *teamTx) member(account string) (proto.TeamMember, error) {
	m, ok, err := readMember(t.ctx, t.tx, t.t.ID, account)
	if err != nil {
		return m, err
	}
	if !ok || !m.Valid {
		return m, teamErr(proto.CodeTeamNotMember, "%s is not a member of team %s", account, t.t.ID)
	}
	return m, nil
}

// actor returns by's member row, or for by "" (the app's server) a row of
// the owner's rights.
func (t *teamTx) actor(by string) (proto.TeamMember, error) {
	if by == "" {
		return proto.TeamMember{TeamID: t.t.ID, Type: proto.MemberOwner, Valid: true}, nil
	}
	return t.member(by)
}

// isAdmin reports whether m is the owner or a manager.
func isAdmin(m proto.TeamMember) bool {
	return m.Type == proto.MemberOwner || m.Type == proto.MemberManager
}

// from is who a team notification message of by is from: by, or the
// owner for the app's server.
func (t *teamTx) from(by string) string {
	if by == "" {
		return t.t.Owner
	}
	return by
}

// bump moves the team's member_ver once per write and returns it.
func (t *teamTx) bump() (int64, error) {
	if t.bumped {
		return t.t.MemberVer, nil
	}
	err := t.tx.QueryRowContext(t.ctx, `UPDATE teams SET member_ver = member_ver + 1 WHERE id = ? RETURNING member_ver`, t.t.ID).Scan(&t.t.MemberVer)
	if err != nil {
		return 0, fmt.Errorf("move member version of %s: %w", t.t.ID, err)
	}
	t.bumped = true
	return t.t.MemberVer, nil
}

// setMember runs an UPDATE of account's member row (set: the SET clause,
// with its args) and stamps the row with the write's member version.
func (t *teamTx) setMember(account, set string, args ...any) error {
	ver, err := t.bump()
	if err != nil {
		return err
	}
	args = append(args, ver, t.t.ID, account)
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE team_members SET `+set+`, ver = ? WHERE tid = ? AND account = ?`, args...); err != nil {
		return fmt.Errorf("update member %s of %s: %w", account, t.t.ID, err)
	}
	return nil
}

// join makes account a valid member of type typ invited by inviter: its
// member row (a new one, or its old one valid again with the defaults),
// and its members row of the conversation with the read mark at the
// conversation's last seq.
func (t *teamTx) join(account string, typ int, inviter string) error {
	ver, err := t.bump()
	if err != nil {
		return err
	}
	conv := proto.TeamConv(t.t.ID)
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO team_members(tid, account, type, inviter, joined_ms, valid, ver, join_seq)
		VALUES(?,?,?,?,?,1,?, COALESCE((SELECT last_seq FROM conversations WHERE conv = ?), 0))
		ON CONFLICT(tid, account) DO UPDATE SET type = excluded.type, nick = '', custom = '', muted = 0, inviter = excluded.inviter,
			joined_ms = excluded.joined_ms, notify = 0, valid = 1, ver = excluded.ver, left_seq = 0, join_seq = excluded.join_seq`,
		t.t.ID, account, typ, inviter, t.now, ver, conv)
	if err != nil {
		return fmt.Errorf("add member %s to %s: %w", account, t.t.ID, err)
	}
	if err := t.expireNotes(account); err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO members(account, conv, chat_type, peer, read_seq)
		VALUES(?, ?, ?, ?, COALESCE((SELECT last_seq FROM conversations WHERE conv = ?2), 0))
		ON CONFLICT(account, conv) DO UPDATE SET read_seq = excluded.read_seq, deleted_seq = 0`,
		account, conv, proto.TeamChatType(t.t.Type), t.t.ID)
	if err != nil {
		return fmt.Errorf("add %s to the conversation of %s: %w", account, t.t.ID, err)
	}
	t.t.Members++
	return nil
}

// remove makes account's member row invalid and drops its members row of
// the conversation, keeping its read mark on the member row (left_read:
// MarkRead moves it up to LeftSeq after the leave).
func (t *teamTx) remove(account string) error {
	err := t.setMember(account, `valid = 0, muted = 0,
		left_read = COALESCE((SELECT read_seq FROM members WHERE account = ? AND conv = ?), 0)`, account, proto.TeamConv(t.t.ID))
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM members WHERE account = ? AND conv = ?`, account, proto.TeamConv(t.t.ID)); err != nil {
		return fmt.Errorf("remove %s from the conversation of %s: %w", account, t.t.ID, err)
	}
	if err := t.expireNotes(account); err != nil {
		return err
	}
	t.t.Members--
	return nil
}

// expireNotes sets account's untreated invitations to the team (its own
// inbox) and applications to it (every admin's copy) to NoteExpired, with a
// ChangeNote for each copy: called whenever account joins or leaves, so no
// stale note can make it join later. Account "" (a dismiss): everyone's.
func (t *teamTx) expireNotes(account string) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id, account FROM notes WHERE target = ? AND status = ?
		AND ((?3 = '' OR account = ?3) AND type = ? OR (?3 = '' OR src = ?3) AND type = ?) ORDER BY id`,
		t.t.ID, proto.NoteUntreated, account, t.noteType(proto.NoteTeamInvite), t.noteType(proto.NoteTeamApply))
	if err != nil {
		return fmt.Errorf("find notes of %s to team %s: %w", account, t.t.ID, err)
	}
	type copyOf struct {
		id      int64
		account string
	}
	var copies []copyOf
	for rows.Next() {
		var c copyOf
		if err := rows.Scan(&c.id, &c.account); err != nil {
			rows.Close()
			return fmt.Errorf("find notes of %s to team %s: %w", account, t.t.ID, err)
		}
		copies = append(copies, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find notes of %s to team %s: %w", account, t.t.ID, err)
	}
	for _, c := range copies {
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE notes SET status = ? WHERE id = ?`, proto.NoteExpired, c.id); err != nil {
			return fmt.Errorf("expire notification %d: %w", c.id, err)
		}
		chs, err := t.s.noteChange(t.ctx, t.tx, c.account, c.id)
		t.w.Changes = append(t.w.Changes, chs...)
		if err != nil {
			return err
		}
	}
	return nil
}

// saveTeam writes the team row's info and counts (t.t) back.
func (t *teamTx) saveTeam() error {
	x := t.t
	_, err := t.tx.ExecContext(t.ctx, `UPDATE teams SET name = ?, owner = ?, icon = ?, intro = ?, announcement = ?, client_custom = ?,
		server_custom = ?, join_mode = ?, invite_mode = ?, be_invite_mode = ?, update_info_mode = ?, update_custom_mode = ?,
		mute_mode = ?, members = ?, updated_ms = ?, dismissed = ? WHERE id = ?`,
		x.Name, x.Owner, x.Icon, x.Intro, x.Announcement, x.ClientCustom, x.ServerCustom, x.JoinMode, x.InviteMode, x.BeInviteMode,
		x.UpdateInfoMode, x.UpdateCustomMode, x.MuteMode, x.Members, x.Updated, x.Dismissed, x.ID)
	if err != nil {
		return fmt.Errorf("save team %s: %w", x.ID, err)
	}
	return nil
}

// post stores a team notification message (body note) from from in the
// team's conversation.
func (t *teamTx) post(from string, note proto.TeamNote) error {
	body, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("encode team notification: %w", err)
	}
	conv := proto.TeamConv(t.t.ID)
	var last int64
	err = t.tx.QueryRowContext(t.ctx, `SELECT last_seq FROM conversations WHERE conv = ?`, conv).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read conversation %s: %w", conv, err)
	}
	m := proto.Msg{From: from, To: t.t.ID, Conv: conv, ChatType: proto.TeamChatType(t.t.Type),
		ClientID: "tn-" + t.t.ID + "-" + strconv.FormatInt(last+1, 10), Type: proto.MsgNotification, Body: body}
	m, err = t.s.insertMsg(t.ctx, t.tx, t.s.q.insertMsg, m, t.now)
	if isUnique(err) {
		// The server refuses client ids starting "tn-" (its send op); a
		// message stored past that check blocks the notification.
		return fmt.Errorf("team notification %s: a message of %s has that client id already (client ids starting tn- are reserved): %w",
			m.ClientID, from, err)
	}
	if err != nil {
		return err
	}
	t.w.Msgs = append(t.w.Msgs, m)
	return nil
}

// fanOut saves the team row and appends a ChangeTeam (the team and each
// one's own row) to the log of every valid member and of each of also
// (members the write removed: their rows get the conversation's last seq
// as LeftSeq, so it is called after the write's messages are posted).
func (t *teamTx) fanOut(also ...string) error {
	if err := t.saveTeam(); err != nil {
		return err
	}
	for _, a := range also {
		_, err := t.tx.ExecContext(t.ctx, `UPDATE team_members SET left_seq = COALESCE((SELECT last_seq FROM conversations WHERE conv = ?), 0)
			WHERE tid = ? AND account = ? AND valid = 0`, proto.TeamConv(t.t.ID), t.t.ID, a)
		if err != nil {
			return fmt.Errorf("record where %s left %s: %w", a, t.t.ID, err)
		}
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+tmCols+` FROM team_members WHERE tid = ? AND valid = 1`, t.t.ID)
	if err != nil {
		return fmt.Errorf("members of %s: %w", t.t.ID, err)
	}
	var ms []proto.TeamMember
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("members of %s: %w", t.t.ID, err)
		}
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("members of %s: %w", t.t.ID, err)
	}
	for _, a := range also {
		m, ok, err := readMember(t.ctx, t.tx, t.t.ID, a)
		if err != nil {
			return err
		}
		if ok && !m.Valid {
			ms = append(ms, m)
		}
	}
	return t.tellAll(ms)
}

// tellAll appends the ChangeTeam of the team and each of ms (an account
// listed twice once) to its account's log, as tell does, in two statements whatever their number:
// the accounts' counters move in one upsert, the entries go in one insert
// (both read their rows from a JSON array).
func (t *teamTx) tellAll(ms []proto.TeamMember) error {
	seen := make(map[string]bool, len(ms))
	uniq := ms[:0:0]
	for _, m := range ms {
		if !seen[m.Account] {
			seen[m.Account] = true
			uniq = append(uniq, m)
		}
	}
	ms = uniq
	if len(ms) == 0 {
		return nil
	}
	accs := make([]string, len(ms))
	for i, m := range ms {
		accs[i] = m.Account
	}
	accJSON, err := json.Marshal(accs)
	if err != nil {
		return fmt.Errorf("encode accounts: %w", err)
	}
	rows, err := t.tx.QueryContext(t.ctx, `INSERT INTO account_ver(account, ver) SELECT value, 1 FROM json_each(?) WHERE true
		ON CONFLICT(account) DO UPDATE SET ver = ver + 1 RETURNING account, ver`, string(accJSON))
	if err != nil {
		return fmt.Errorf("move change counters: %w", err)
	}
	vers := make(map[string]int64, len(ms))
	for rows.Next() {
		var a string
		var v int64
		if err := rows.Scan(&a, &v); err != nil {
			rows.Close()
			return fmt.Errorf("move change counters: %w", err)
		}
		vers[a] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("move change counters: %w", err)
	}
	type entry struct {
		Account string `json:"a"`
		Ver     int64  `json:"v"`
		Data    string `json:"d"`
	}
	entries := make([]entry, len(ms))
	chs := make([]store.Change, len(ms))
	for i, m := range ms {
		data, err := json.Marshal(proto.TeamState{Team: t.t, Me: m})
		if err != nil {
			return fmt.Errorf("encode team state: %w", err)
		}
		v, ok := vers[m.Account]
		if !ok {
			return fmt.Errorf("no change counter for %s", m.Account)
		}
		entries[i] = entry{Account: m.Account, Ver: v, Data: string(data)}
		chs[i] = store.Change{Account: m.Account, Change: proto.Change{Ver: v, Kind: proto.ChangeTeam, Key: t.t.ID, Data: data}}
	}
	all, err := json.Marshal(entries)
	if err != nil {
		return fmt.Errorf("encode changes: %w", err)
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO changes(account, ver, kind, key, deleted, data)
		SELECT value->>'a', value->>'v', ?, ?, 0, value->>'d' FROM json_each(?) WHERE true
		ON CONFLICT(account, kind, key) DO UPDATE SET ver = excluded.ver, deleted = excluded.deleted, data = excluded.data`,
		proto.ChangeTeam, t.t.ID, string(all))
	if err != nil {
		return fmt.Errorf("append team changes: %w", err)
	}
	t.w.Changes = append(t.w.Changes, chs...)
	return nil
}

// tell appends the ChangeTeam of the team and m to m's account's log.
func (t *teamTx) tell(m proto.TeamMember) error {
	data, err := json.Marshal(proto.TeamState{Team: t.t, Me: m})
	if err != nil {
		return fmt.Errorf("encode team state: %w", err)
	}
	ch, err := t.s.appendChange(t.ctx, t.tx, m.Account, proto.Change{Kind: proto.ChangeTeam, Key: t.t.ID, Data: data})
	if err != nil {
		return err
	}
	t.w.Changes = append(t.w.Changes, ch)
	return nil
}

// note adds n to account's inbox.
func (t *teamTx) note(account string, n proto.SysNote) error {
	chs, err := t.s.addNote(t.ctx, t.tx, account, n)
	t.w.Changes = append(t.w.Changes, chs...)
	return err
}

// noteType maps a normal/advanced note type to the super team's one.
func (t *teamTx) noteType(typ int) int {
	if t.t.Type != proto.TeamSuper {
		return typ
	}
	switch typ {
	case proto.NoteTeamApply:
		return proto.NoteSuperApply
	case proto.NoteTeamApplyReject:
		return proto.NoteSuperApplyReject
	case proto.NoteTeamInvite:
		return proto.NoteSuperInvite
	default:
		return proto.NoteSuperInviteReject
	}
}

// candidates sorts accounts (deduplicated, leaving out skip) into those
// that exist, are not valid members and do not have by on their blacklist
// (ok) and the others (failed).
func (t *teamTx) candidates(by string, accounts []string, skip string) (ok, failed []string, err error) {
	seen := map[string]bool{skip: true}
	for _, a := range accounts {
		if seen[a] {
			continue
		}
		seen[a] = true
		var one int
		err := t.tx.QueryRowContext(t.ctx, `SELECT 1 FROM users WHERE accid = ?`, a).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			failed = append(failed, a)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("look up %s: %w", a, err)
		}
		if by != "" {
			black, err := inRelation(t.ctx, t.tx, a, proto.ListBlack, by)
			if err != nil {
				return nil, nil, err
			}
			if black {
				failed = append(failed, a)
				continue
			}
		}
		if t.t.ID != "" {
			m, found, err := readMember(t.ctx, t.tx, t.t.ID, a)
			if err != nil {
				return nil, nil, err
			}
			if found && m.Valid {
				failed = append(failed, a)
				continue
			}
		}
		ok = append(ok, a)
	}
	return ok, failed, nil
}

// checkModes returns a 414 TeamError for a mode out of its range.
func checkModes(join, invite, beInvite, info, custom, mute *int) error {
	for _, c := range []struct {
		name string
		v    *int
		ok   func(int) bool
	}{
		{"joinMode", join, func(v int) bool { return v >= proto.JoinAnyone && v <= proto.JoinNobody }},
		{"inviteMode", invite, func(v int) bool { return v == proto.ModeManagers || v == proto.ModeEveryone }},
		{"beInviteMode", beInvite, func(v int) bool { return v == proto.BeInviteNeedsConsent || v == proto.BeInviteAtOnce }},
		{"updateInfoMode", info, func(v int) bool { return v == proto.ModeManagers || v == proto.ModeEveryone }},
		{"updateCustomMode", custom, func(v int) bool { return v == proto.ModeManagers || v == proto.ModeEveryone }},
		{"muteMode", mute, func(v int) bool { return v == proto.MuteNone || v == proto.MuteNormal || v == proto.MuteAll }},
	} {
		if c.v != nil && !c.ok(*c.v) {
			return teamErr(414, "%s %d is not valid", c.name, *c.v)
		}
	}
	return nil
}

// CreateTeam implements store.Teams.
func (s *Store) CreateTeam(ctx context.Context, owner string, req proto.CreateTeamReq, maxMembers int, nowMs int64) (proto.Team, []string, store.TeamWrite, error) {
	var team proto.Team
	var failed []string
	var w store.TeamWrite
	err := s.write(ctx, func(tx *sql.Tx) error {
		if req.Type < proto.TeamNormal || req.Type > proto.TeamSuper {
			return teamErr(414, "type %d is not valid", req.Type)
		}
		if err := checkModes(&req.JoinMode, &req.InviteMode, &req.BeInviteMode, &req.UpdateInfoMode, &req.UpdateCustomMode, &req.MuteMode); err != nil {
			return err
		}
		if req.Type == proto.TeamNormal {
			// The modes are for advanced and super teams only (the doc's
			// 只有高级群有效): a normal team ignores them.
			req.JoinMode, req.InviteMode, req.BeInviteMode, req.UpdateInfoMode, req.UpdateCustomMode, req.MuteMode = 0, 0, 0, 0, 0, 0
		}
		var owned int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM teams WHERE owner = ? AND dismissed = 0`, owner).Scan(&owned); err != nil {
			return fmt.Errorf("count teams of %s: %w", owner, err)
		}
		if owned >= proto.MaxTeamsCreated {
			return teamErr(proto.CodeTeamCreateLimit, "%s owns %d teams already", owner, owned)
		}
		limit := maxMembers // the cap for the type
		if limit <= 0 {
			limit = proto.DefaultTeamMembers
			if req.Type == proto.TeamSuper {
				limit = proto.DefaultSuperMembers
			}
		}
		if req.MaxMembers > 0 && req.MaxMembers < limit {
			limit = req.MaxMembers
		}
		t := &teamTx{s: s, ctx: ctx, tx: tx, now: nowMs, t: proto.Team{Type: req.Type}}
		ok, bad, err := t.candidates(owner, req.Members, owner)
		if err != nil {
			return err
		}
		failed = bad
		if 1+len(ok) > limit {
			return teamErr(proto.CodeTeamMemberLimit, "%d members do not fit %d", 1+len(ok), limit)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `UPDATE counters SET value = value + 1 WHERE name = 'team_id' RETURNING value`).Scan(&id); err != nil {
			return fmt.Errorf("next team id: %w", err)
		}
		t.t = proto.Team{ID: strconv.FormatInt(id, 10), Name: req.Name, Type: req.Type, Owner: owner, Icon: req.Icon, Intro: req.Intro,
			Announcement: req.Announcement, ClientCustom: req.ClientCustom, JoinMode: req.JoinMode, InviteMode: req.InviteMode,
			BeInviteMode: req.BeInviteMode, UpdateInfoMode: req.UpdateInfoMode, UpdateCustomMode: req.UpdateCustomMode,
			MuteMode: req.MuteMode, MaxMembers: limit, Created: nowMs, Updated: nowMs}
		_, err = tx.ExecContext(ctx, `INSERT INTO teams(id, name, type, owner, max_members, created_ms, updated_ms) VALUES(?,?,?,?,?,?,?)`,
			t.t.ID, t.t.Name, t.t.Type, owner, limit, nowMs, nowMs)
		if err != nil {
			return fmt.Errorf("insert team: %w", err)
		}
		if err := t.join(owner, proto.MemberOwner, ""); err != nil {
			return err
		}
		atOnce := req.Type == proto.TeamNormal || req.BeInviteMode == proto.BeInviteAtOnce
		var added []string
		for _, a := range ok {
			if atOnce {
				if err := t.join(a, proto.MemberNormal, owner); err != nil {
					return err
				}
				added = append(added, a)
				continue
			}
			n := proto.SysNote{Type: t.noteType(proto.NoteTeamInvite), From: owner, To: t.t.ID, Time: nowMs, Ps: req.Postscript}
			if err := t.note(a, n); err != nil {
				return err
			}
		}
		if err := t.post(owner, proto.TeamNote{Op: proto.TeamOpInvite, Accounts: added}); err != nil {
			return err
		}
		if err := t.fanOut(); err != nil {
			return err
		}
		team, w = t.t, t.w
		return nil
	})
	if err != nil {
		return proto.Team{}, nil, store.TeamWrite{}, fmt.Errorf("create team of %s: %w", owner, err)
	}
	return team, failed, w, nil
}

// Team implements store.Teams.
func (s *Store) Team(ctx context.Context, tid string) (proto.Team, error) {
	return readTeam(ctx, s.r, tid, false)
}

// TeamMember implements store.Teams.
func (s *Store) TeamMember(ctx context.Context, tid, account string) (proto.TeamMember, error) {
	m, ok, err := readMember(ctx, s.r, tid, account)
	if err != nil {
		return m, err
	}
	if !ok {
		return m, teamErr(proto.CodeTeamNotMember, "%s never was a member of team %s", account, tid)
	}
	return m, nil
}

// TeamMembers implements store.Teams.
func (s *Store) TeamMembers(ctx context.Context, tid string, since, afterVer int64, afterAccount string, limit int) ([]proto.TeamMember, bool, error) {
	out := []proto.TeamMember{}
	if _, err := readTeam(ctx, s.r, tid, false); err != nil {
		return nil, false, err
	}
	if limit <= 0 {
		return out, false, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+tmCols+` FROM team_members WHERE tid = ? AND ver > ? AND (? > 0 OR valid = 1)
		AND (ver > ? OR ver = ? AND account > ?) ORDER BY ver, account LIMIT ?`,
		tid, since, since, afterVer, afterVer, afterAccount, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("members of %s: %w", tid, err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, false, fmt.Errorf("members of %s: %w", tid, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("members of %s: %w", tid, err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// TeamAccounts implements store.Teams.
//
// The lists are cached with the team's member_ver they were read at (every
// write that changes member rows moves it): a team message's fan-out asks
// for them per message, and a super team's is thousands of rows, where
// member_ver is one primary-key lookup. member_ver is read before the rows,
// so a list cached with a version is never older than that version.
func (s *Store) TeamAccounts(ctx context.Context, tid string) ([]string, error) {
	var ver int64
	err := s.r.QueryRowContext(ctx, `SELECT member_ver FROM teams WHERE id = ?`, tid).Scan(&ver)
	if errors.Is(err, sql.ErrNoRows) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("member version of %s: %w", tid, err)
	}
	if accs, ok := s.teamAccs.get(tid, ver); ok {
		return accs, nil
	}
	accs, err := s.readTeamAccounts(ctx, tid)
	if err != nil {
		return nil, err
	}
	s.teamAccs.put(tid, ver, accs)
	return accs, nil
}

// teamAccounts caches TeamAccounts' lists by team id, with the member_ver
// each was read at. It holds at most maxCachedAccounts accounts in all
// (then it starts over).
type teamAccounts struct {
	mu    sync.Mutex
	lists map[string]teamAccountsEntry
	held  int
}

type teamAccountsEntry struct {
	ver  int64
	accs []string
}

const maxCachedAccounts = 200_000

func (c *teamAccounts) get(tid string, ver int64) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lists[tid]
	return e.accs, ok && e.ver == ver
}

func (c *teamAccounts) put(tid string, ver int64, accs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.lists[tid]; ok {
		if old.ver > ver {
			return // a newer list is in
		}
		c.held -= len(old.accs)
	}
	if c.lists == nil || c.held+len(accs) > maxCachedAccounts {
		c.lists, c.held = map[string]teamAccountsEntry{}, 0
	}
	c.lists[tid] = teamAccountsEntry{ver: ver, accs: accs}
	c.held += len(accs)
}

// readTeamAccounts reads the valid members of tid.
func (s *Store) readTeamAccounts(ctx context.Context, tid string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT account FROM team_members WHERE tid = ? AND valid = 1 ORDER BY account`, tid)
	if err != nil {
		return nil, fmt.Errorf("accounts of %s: %w", tid, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("accounts of %s: %w", tid, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts of %s: %w", tid, err)
	}
	return out, nil
}

// MyTeams implements store.Teams.
func (s *Store) MyTeams(ctx context.Context, account string, invalidToo bool) ([]proto.TeamState, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tmCols+` FROM team_members WHERE account = ? AND (? OR valid = 1) ORDER BY tid`, account, invalidToo)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", account, err)
	}
	var ms []proto.TeamMember
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("teams of %s: %w", account, err)
		}
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("teams of %s: %w", account, err)
	}
	out := []proto.TeamState{}
	for _, m := range ms {
		t, err := readTeam(ctx, s.r, m.TeamID, false)
		if err != nil {
			return nil, err
		}
		out = append(out, proto.TeamState{Team: t, Me: m})
	}
	return out, nil
}

// UpdateTeam implements store.Teams.
func (s *Store) UpdateTeam(ctx context.Context, by, tid string, upd proto.TeamUpdate, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		me, err := t.actor(by)
		if err != nil {
			return err
		}
		if err := checkModes(upd.JoinMode, upd.InviteMode, upd.BeInviteMode, upd.UpdateInfoMode, upd.UpdateCustomMode, upd.MuteMode); err != nil {
			return err
		}
		modes := upd.JoinMode != nil || upd.InviteMode != nil || upd.BeInviteMode != nil || upd.UpdateInfoMode != nil ||
			upd.UpdateCustomMode != nil || upd.MuteMode != nil
		info := upd.Name != nil || upd.Icon != nil || upd.Intro != nil || upd.Announcement != nil
		if upd.ServerCustom != nil && by != "" {
			return teamErr(proto.CodeTeamPermission, "only the app's server sets serverCustom")
		}
		if t.t.Type == proto.TeamNormal {
			if modes {
				return teamErr(proto.CodeTeamType, "a normal team has no modes")
			}
			if me.Type != proto.MemberOwner {
				return teamErr(proto.CodeTeamPermission, "only the owner updates a normal team")
			}
		} else {
			admin := isAdmin(me)
			if modes && !admin ||
				info && !admin && t.t.UpdateInfoMode != proto.ModeEveryone ||
				upd.ClientCustom != nil && !admin && t.t.UpdateCustomMode != proto.ModeEveryone {
				return teamErr(proto.CodeTeamPermission, "%s may not make this update", by)
			}
		}
		// Apply only what changes; note records the changed fields.
		var note proto.TeamUpdate
		changed := false
		str := func(p *string, dst *string, rec **string) {
			if p != nil && *p != *dst {
				*dst, *rec, changed = *p, p, true
			}
		}
		num := func(p *int, dst *int, rec **int) {
			if p != nil && *p != *dst {
				*dst, *rec, changed = *p, p, true
			}
		}
		x := &t.t
		str(upd.Name, &x.Name, &note.Name)
		str(upd.Icon, &x.Icon, &note.Icon)
		str(upd.Intro, &x.Intro, &note.Intro)
		str(upd.Announcement, &x.Announcement, &note.Announcement)
		str(upd.ClientCustom, &x.ClientCustom, &note.ClientCustom)
		str(upd.ServerCustom, &x.ServerCustom, &note.ServerCustom)
		num(upd.JoinMode, &x.JoinMode, &note.JoinMode)
		num(upd.InviteMode, &x.InviteMode, &note.InviteMode)
		num(upd.BeInviteMode, &x.BeInviteMode, &note.BeInviteMode)
		num(upd.UpdateInfoMode, &x.UpdateInfoMode, &note.UpdateInfoMode)
		num(upd.UpdateCustomMode, &x.UpdateCustomMode, &note.UpdateCustomMode)
		num(upd.MuteMode, &x.MuteMode, &note.MuteMode)
		if !changed {
			return nil // nothing to write
		}
		x.Updated = nowMs
		if err := t.post(t.from(by), proto.TeamNote{Op: proto.TeamOpUpdate, Update: &note}); err != nil {
			return err
		}
		return t.fanOut()
	})
	if err != nil {
		return w, fmt.Errorf("update team %s by %q: %w", tid, by, err)
	}
	return w, nil
}

// DismissTeam implements store.Teams.
func (s *Store) DismissTeam(ctx context.Context, by, tid string, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		me, err := t.actor(by)
		if err != nil {
			return err
		}
		if me.Type != proto.MemberOwner {
			return teamErr(proto.CodeTeamPermission, "only the owner dismisses a team")
		}
		if err := t.post(t.from(by), proto.TeamNote{Op: proto.TeamOpDismiss}); err != nil {
			return err
		}
		all, err := accountList(ctx, t.tx, `SELECT account FROM team_members WHERE tid = ? AND valid = 1`, tid)
		if err != nil {
			return fmt.Errorf("members of %s: %w", tid, err)
		}
		for _, a := range all {
			if err := t.remove(a); err != nil {
				return err
			}
		}
		if err := t.expireNotes(""); err != nil { // invitations of non-members too
			return err
		}
		t.t.Dismissed, t.t.Updated = true, nowMs
		return t.fanOut(all...)
	})
	if err != nil {
		return w, fmt.Errorf("dismiss team %s by %q: %w", tid, by, err)
	}
	return w, nil
}

// fits returns 801 when n more members do not fit the team.
func (t *teamTx) fits(n int) error {
	if t.t.Members+n > t.t.MaxMembers {
		return teamErr(proto.CodeTeamMemberLimit, "team %s has %d of %d members: %d more do not fit", t.t.ID, t.t.Members, t.t.MaxMembers, n)
	}
	return nil
}

// InviteToTeam implements store.Teams.
func (s *Store) InviteToTeam(ctx context.Context, by, tid string, accounts []string, ps string, consent bool, nowMs int64) ([]string, bool, store.TeamWrite, error) {
	return s.InviteToTeamExt(ctx, by, tid, accounts, ps, "", consent, nowMs)
}

// InviteToTeamExt implements store.Teams.
func (s *Store) InviteToTeamExt(ctx context.Context, by, tid string, accounts []string, ps, ext string, consent bool, nowMs int64) ([]string, bool, store.TeamWrite, error) {
	var failed []string
	pending := false
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		me, err := t.actor(by)
		if err != nil {
			return err
		}
		if t.t.Type != proto.TeamNormal && t.t.InviteMode == proto.ModeManagers && !isAdmin(me) {
			return teamErr(proto.CodeTeamPermission, "only the owner and managers invite to team %s", tid)
		}
		ok, bad, err := t.candidates(by, accounts, "")
		if err != nil {
			return err
		}
		failed = bad
		if len(ok) == 0 {
			return nil
		}
		if err := t.fits(len(ok)); err != nil {
			return err
		}
		atOnce := t.t.Type == proto.TeamNormal || t.t.BeInviteMode == proto.BeInviteAtOnce || by == "" && !consent
		if !atOnce {
			pending = true
			for _, a := range ok {
				n := proto.SysNote{Type: t.noteType(proto.NoteTeamInvite), From: t.from(by), To: tid, Time: nowMs, Ps: ps, Ext: ext}
				if err := t.note(a, n); err != nil {
					return err
				}
			}
			return nil
		}
		for _, a := range ok {
			if err := t.join(a, proto.MemberNormal, t.from(by)); err != nil {
				return err
			}
		}
		if err := t.post(t.from(by), proto.TeamNote{Op: proto.TeamOpInvite, Accounts: ok}); err != nil {
			return err
		}
		return t.fanOut()
	})
	if err != nil {
		return nil, false, w, fmt.Errorf("invite to team %s by %q: %w", tid, by, err)
	}
	return failed, pending, w, nil
}

// ApplyToTeam implements store.Teams.
func (s *Store) ApplyToTeam(ctx context.Context, account, tid, ps string, nowMs int64) (bool, store.TeamWrite, error) {
	pending := false
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		if t.t.Type == proto.TeamNormal {
			return teamErr(proto.CodeTeamType, "a normal team cannot be applied to")
		}
		if m, ok, err := readMember(ctx, t.tx, tid, account); err != nil {
			return err
		} else if ok && m.Valid {
			return teamErr(proto.CodeTeamAlready, "%s is a member of team %s already", account, tid)
		}
		switch t.t.JoinMode {
		case proto.JoinNobody:
			return teamErr(proto.CodeTeamPermission, "team %s takes no applications", tid)
		case proto.JoinApproval:
			pending = true
			admins, err := accountList(ctx, t.tx, `SELECT account FROM team_members WHERE tid = ? AND valid = 1 AND type IN (?, ?)`,
				tid, proto.MemberOwner, proto.MemberManager)
			if err != nil {
				return fmt.Errorf("admins of %s: %w", tid, err)
			}
			for _, a := range admins {
				n := proto.SysNote{Type: t.noteType(proto.NoteTeamApply), From: account, To: tid, Time: nowMs, Ps: ps}
				if err := t.note(a, n); err != nil {
					return err
				}
			}
			return nil
		}
		if err := t.fits(1); err != nil {
			return err
		}
		if err := t.join(account, proto.MemberNormal, ""); err != nil {
			return err
		}
		if err := t.post(account, proto.TeamNote{Op: proto.TeamOpPass, Accounts: []string{account}}); err != nil {
			return err
		}
		return t.fanOut()
	})
	if err != nil {
		return false, w, fmt.Errorf("%s applies to team %s: %w", account, tid, err)
	}
	return pending, w, nil
}

// AnswerApplication implements store.Teams.
func (s *Store) AnswerApplication(ctx context.Context, by, tid, applicant string, accept bool, ps string, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		me, err := t.member(by)
		if err != nil {
			return err
		}
		if !isAdmin(me) {
			return teamErr(proto.CodeTeamPermission, "only the owner and managers answer applications")
		}
		rows, err := t.tx.QueryContext(ctx, `SELECT id, account FROM notes WHERE src = ? AND target = ? AND type = ? AND status = ? ORDER BY id`,
			applicant, tid, t.noteType(proto.NoteTeamApply), proto.NoteUntreated)
		if err != nil {
			return fmt.Errorf("find the application: %w", err)
		}
		type copyOf struct {
			id      int64
			account string
		}
		var copies []copyOf
		for rows.Next() {
			var c copyOf
			if err := rows.Scan(&c.id, &c.account); err != nil {
				rows.Close()
				return fmt.Errorf("find the application: %w", err)
			}
			copies = append(copies, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find the application: %w", err)
		}
		if len(copies) == 0 {
			return teamErr(404, "no pending application of %s to team %s", applicant, tid)
		}
		status := proto.NoteDeclined
		if accept {
			status = proto.NotePassed
		}
		for _, c := range copies {
			if _, err := t.tx.ExecContext(ctx, `UPDATE notes SET status = ? WHERE id = ?`, status, c.id); err != nil {
				return fmt.Errorf("answer the application: %w", err)
			}
			chs, err := s.noteChange(ctx, t.tx, c.account, c.id)
			t.w.Changes = append(t.w.Changes, chs...)
			if err != nil {
				return err
			}
		}
		if !accept {
			return t.note(applicant, proto.SysNote{Type: t.noteType(proto.NoteTeamApplyReject), From: by, To: tid, Time: nowMs, Ps: ps})
		}
		if m, ok, err := readMember(ctx, t.tx, tid, applicant); err != nil {
			return err
		} else if ok && m.Valid {
			return nil // joined meanwhile
		}
		if err := t.fits(1); err != nil {
			return err
		}
		if err := t.join(applicant, proto.MemberNormal, by); err != nil {
			return err
		}
		if err := t.post(by, proto.TeamNote{Op: proto.TeamOpPass, Accounts: []string{applicant}}); err != nil {
			return err
		}
		return t.fanOut()
	})
	if err != nil {
		return w, fmt.Errorf("%s answers the application of %s to team %s: %w", by, applicant, tid, err)
	}
	return w, nil
}

// AnswerInvitation implements store.Teams.
func (s *Store) AnswerInvitation(ctx context.Context, invitee, tid, inviter string, accept bool, ps string, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		var id int64
		err := t.tx.QueryRowContext(ctx, `SELECT id FROM notes WHERE account = ? AND src = ? AND target = ? AND type = ? AND status = ?
			ORDER BY id DESC LIMIT 1`, invitee, inviter, tid, t.noteType(proto.NoteTeamInvite), proto.NoteUntreated).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return teamErr(404, "no pending invitation of %s to team %s by %s", invitee, tid, inviter)
		}
		if err != nil {
			return fmt.Errorf("find the invitation: %w", err)
		}
		if accept {
			// The inviter must still be a valid member allowed to invite.
			inv, ok, err := readMember(ctx, t.tx, tid, inviter)
			if err != nil {
				return err
			}
			if !ok || !inv.Valid || t.t.Type != proto.TeamNormal && t.t.InviteMode == proto.ModeManagers && !isAdmin(inv) {
				return teamErr(404, "the invitation of %s to team %s by %s is no longer valid", invitee, tid, inviter)
			}
		}
		status := proto.NoteDeclined
		if accept {
			status = proto.NotePassed
		}
		// The answer first: the join below expires the invitee's other
		// untreated invitations to the team.
		if _, err := t.tx.ExecContext(ctx, `UPDATE notes SET status = ? WHERE id = ?`, status, id); err != nil {
			return fmt.Errorf("answer the invitation: %w", err)
		}
		chs, err := s.noteChange(ctx, t.tx, invitee, id)
		t.w.Changes = append(t.w.Changes, chs...)
		if err != nil {
			return err
		}
		if accept {
			if m, ok, err := readMember(ctx, t.tx, tid, invitee); err != nil {
				return err
			} else if !ok || !m.Valid {
				if err := t.fits(1); err != nil {
					return err
				}
				if err := t.join(invitee, proto.MemberNormal, inviter); err != nil {
					return err
				}
				if err := t.post(invitee, proto.TeamNote{Op: proto.TeamOpAccept, Accounts: []string{invitee}}); err != nil {
					return err
				}
				if err := t.fanOut(); err != nil {
					return err
				}
			}
			return nil
		}
		return t.note(inviter, proto.SysNote{Type: t.noteType(proto.NoteTeamInviteRejct), From: invitee, To: tid, Time: nowMs, Ps: ps})
	})
	if err != nil {
		return w, fmt.Errorf("%s answers the invitation of %s to team %s: %w", invitee, inviter, tid, err)
	}
	return w, nil
}

// KickFromTeam implements store.Teams.
func (s *Store) KickFromTeam(ctx context.Context, by, tid string, accounts []string, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		me, err := t.actor(by)
		if err != nil {
			return err
		}
		if len(accounts) == 0 {
			return teamErr(414, "no accounts to kick")
		}
		if !isAdmin(me) || t.t.Type == proto.TeamNormal && me.Type != proto.MemberOwner {
			return teamErr(proto.CodeTeamPermission, "%s may not kick from team %s", by, tid)
		}
		var out []string
		seen := map[string]bool{}
		for _, a := range accounts {
			if seen[a] {
				continue
			}
			seen[a] = true
			m, err := t.member(a)
			if err != nil {
				return err
			}
			if m.Type == proto.MemberOwner || me.Type == proto.MemberManager && m.Type != proto.MemberNormal {
				return teamErr(proto.CodeTeamPermission, "%s may not kick %s", by, a)
			}
			out = append(out, a)
		}
		for _, a := range out {
			if err := t.remove(a); err != nil {
				return err
			}
		}
		if err := t.post(t.from(by), proto.TeamNote{Op: proto.TeamOpKick, Accounts: out}); err != nil {
			return err
		}
		return t.fanOut(out...)
	})
	if err != nil {
		return w, fmt.Errorf("kick from team %s by %q: %w", tid, by, err)
	}
	return w, nil
}

// QuitTeam implements store.Teams.
func (s *Store) QuitTeam(ctx context.Context, account, tid string, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		me, err := t.member(account)
		if err != nil {
			return err
		}
		if me.Type == proto.MemberOwner {
			return teamErr(proto.CodeTeamPermission, "the owner cannot quit team %s: transfer it first", tid)
		}
		if err := t.remove(account); err != nil {
			return err
		}
		if err := t.post(account, proto.TeamNote{Op: proto.TeamOpLeave, Accounts: []string{account}}); err != nil {
			return err
		}
		return t.fanOut(account)
	})
	if err != nil {
		return w, fmt.Errorf("%s quits team %s: %w", account, tid, err)
	}
	return w, nil
}

// TransferTeam implements store.Teams.
func (s *Store) TransferTeam(ctx context.Context, by, tid, newOwner string, leave bool, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		me, err := t.member(by)
		if err != nil {
			return err
		}
		if me.Type != proto.MemberOwner {
			return teamErr(proto.CodeTeamPermission, "only the owner transfers team %s", tid)
		}
		if newOwner == by {
			return teamErr(414, "account %s owns team %s already", newOwner, tid)
		}
		if _, err := t.member(newOwner); err != nil {
			return err
		}
		var owned int
		if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM teams WHERE owner = ? AND dismissed = 0`, newOwner).Scan(&owned); err != nil {
			return fmt.Errorf("count teams of %s: %w", newOwner, err)
		}
		if owned >= proto.MaxTeamsCreated {
			return teamErr(proto.CodeTeamCreateLimit, "%s owns %d teams already", newOwner, owned)
		}
		// An owner is never muted (nobody could unmute it).
		if err := t.setMember(newOwner, `type = ?, muted = 0`, proto.MemberOwner); err != nil {
			return err
		}
		if err := t.setMember(by, `type = ?`, proto.MemberNormal); err != nil {
			return err
		}
		t.t.Owner, t.t.Updated = newOwner, nowMs
		if err := t.post(by, proto.TeamNote{Op: proto.TeamOpTransfer, Accounts: []string{newOwner}}); err != nil {
			return err
		}
		if leave {
			if err := t.remove(by); err != nil {
				return err
			}
			if err := t.post(by, proto.TeamNote{Op: proto.TeamOpLeave, Accounts: []string{by}}); err != nil {
				return err
			}
		}
		return t.fanOut(by)
	})
	if err != nil {
		return w, fmt.Errorf("transfer team %s by %s to %s: %w", tid, by, newOwner, err)
	}
	return w, nil
}

// SetManagers implements store.Teams.
func (s *Store) SetManagers(ctx context.Context, by, tid string, accounts []string, add bool, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		if t.t.Type == proto.TeamNormal {
			return teamErr(proto.CodeTeamType, "a normal team has no managers")
		}
		me, err := t.member(by)
		if err != nil {
			return err
		}
		if me.Type != proto.MemberOwner {
			return teamErr(proto.CodeTeamPermission, "only the owner appoints or removes managers")
		}
		from, to := proto.MemberNormal, proto.MemberManager
		if !add {
			from, to = to, from
		}
		var out []string
		seen := map[string]bool{}
		for _, a := range accounts {
			if seen[a] {
				continue
			}
			seen[a] = true
			m, err := t.member(a)
			if err != nil {
				return err
			}
			if m.Type == proto.MemberOwner {
				return teamErr(proto.CodeTeamPermission, "the owner cannot be a manager")
			}
			if m.Type == from {
				out = append(out, a)
			}
		}
		if len(out) == 0 {
			return nil // nothing changes
		}
		for _, a := range out {
			if err := t.setMember(a, `type = ?`, to); err != nil {
				return err
			}
		}
		op := proto.TeamOpAddMgr
		if !add {
			op = proto.TeamOpDelMgr
		}
		if err := t.post(by, proto.TeamNote{Op: op, Accounts: out}); err != nil {
			return err
		}
		return t.fanOut()
	})
	if err != nil {
		return w, fmt.Errorf("set managers of team %s by %s: %w", tid, by, err)
	}
	return w, nil
}

// MuteMember implements store.Teams.
func (s *Store) MuteMember(ctx context.Context, by, tid, account string, mute bool, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		if t.t.Type == proto.TeamNormal {
			return teamErr(proto.CodeTeamType, "a normal team's members cannot be muted")
		}
		me, err := t.actor(by)
		if err != nil {
			return err
		}
		m, err := t.member(account)
		if err != nil {
			return err
		}
		if !isAdmin(me) || m.Type == proto.MemberOwner || me.Type == proto.MemberManager && m.Type != proto.MemberNormal {
			return teamErr(proto.CodeTeamPermission, "%s may not mute %s", by, account)
		}
		if m.Muted == mute {
			return nil
		}
		if err := t.setMember(account, `muted = ?`, mute); err != nil {
			return err
		}
		if err := t.post(t.from(by), proto.TeamNote{Op: proto.TeamOpMute, Accounts: []string{account}, Mute: mute}); err != nil {
			return err
		}
		return t.fanOut()
	})
	if err != nil {
		return w, fmt.Errorf("mute %s in team %s by %q: %w", account, tid, by, err)
	}
	return w, nil
}

// UpdateMember implements store.Teams. A member's nick or custom info
// posts no team notification message (NetEase has no operation for it);
// it moves MemberVer and the row's Ver, and appends a ChangeTeam to every
// valid member's log (fanOut, as a mute or a manager change: one entry
// per member, up to MaxMembers, per nick change).
func (s *Store) UpdateMember(ctx context.Context, by, tid, account string, nick, custom *string, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		me, err := t.member(by)
		if err != nil {
			return err
		}
		m, err := t.member(account)
		if err != nil {
			return err
		}
		if by != account {
			if custom != nil || !isAdmin(me) || me.Type == proto.MemberManager && m.Type != proto.MemberNormal {
				return teamErr(proto.CodeTeamPermission, "%s may not update %s", by, account)
			}
		}
		if nick != nil && len([]rune(*nick)) > proto.MaxTeamNickRunes {
			return teamErr(414, "nick is longer than %d characters", proto.MaxTeamNickRunes)
		}
		if (nick == nil || *nick == m.Nick) && (custom == nil || *custom == m.Custom) {
			return nil
		}
		if err := t.setMember(account, `nick = COALESCE(?, nick), custom = COALESCE(?, custom)`, nick, custom); err != nil {
			return err
		}
		// Every valid member's log (NetEase's onTeamMemberChanged): the
		// ChangeTeam shows the moved MemberVer, and a device that fetched
		// the members reads the row with TeamMembers(since).
		return t.fanOut()
	})
	if err != nil {
		return w, fmt.Errorf("update member %s of team %s by %s: %w", account, tid, by, err)
	}
	return w, nil
}

// SetTeamNotify implements store.Teams.
func (s *Store) SetTeamNotify(ctx context.Context, account, tid string, notify int, nowMs int64) (store.TeamWrite, error) {
	w, err := s.teamWrite(ctx, tid, nowMs, func(t *teamTx) error {
		if notify != proto.NotifyAll && notify != proto.NotifyNone && notify != proto.NotifyManagers {
			return teamErr(414, "notify %d is not valid", notify)
		}
		m, err := t.member(account)
		if err != nil {
			return err
		}
		if m.Notify == notify {
			return nil
		}
		// No MemberVer move: notify is private to its account.
		if _, err := t.tx.ExecContext(ctx, `UPDATE team_members SET notify = ? WHERE tid = ? AND account = ?`, notify, tid, account); err != nil {
			return fmt.Errorf("set notify of %s in %s: %w", account, tid, err)
		}
		m, err = t.member(account)
		if err != nil {
			return err
		}
		return t.tell(m)
	})
	if err != nil {
		return w, fmt.Errorf("set notify of %s in team %s: %w", account, tid, err)
	}
	return w, nil
}

// mayPost reads tid's team and account's member row in q (the send's
// transaction) and returns nil when account may post a message of
// chatType there now, or the refusal of store.Teams.SendTeam: 803 (no
// team, or dismissed), 805 (chatType not the team's), 804 (not a valid
// member), 812 (muted, or the team's MuteMode).
func mayPost(ctx context.Context, q queryer, tid, account string, chatType int) error {
	t, err := readTeam(ctx, q, tid, true)
	if err != nil {
		return err
	}
	if want := proto.TeamChatType(t.Type); chatType != want {
		return teamErr(proto.CodeTeamType, "team %s takes chatType %d, not %d", tid, want, chatType)
	}
	m, ok, err := readMember(ctx, q, tid, account)
	if err != nil {
		return err
	}
	if !ok || !m.Valid {
		return teamErr(proto.CodeTeamNotMember, "%s is not a member of team %s", account, tid)
	}
	switch {
	case m.Muted && m.Type != proto.MemberOwner:
		return teamErr(proto.CodeTeamMuted, "%s is muted in team %s", account, tid)
	case t.Type == proto.TeamNormal: // no modes
	case t.MuteMode == proto.MuteNormal && m.Type == proto.MemberNormal,
		t.MuteMode == proto.MuteAll && m.Type != proto.MemberOwner:
		return teamErr(proto.CodeTeamMuted, "team %s is muted", tid)
	}
	return nil
}
