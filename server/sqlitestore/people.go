package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"yunxin/proto"
	"yunxin/server/store"
)

// profileCols are the columns of a proto.UserInfo (scanProfile).
const profileCols = `accid, name, icon, sign, gender, email, birth, mobile, ex, ver, updated_ms`

func scanProfile(row scanner) (proto.UserInfo, error) {
	var u proto.UserInfo
	err := row.Scan(&u.Account, &u.Name, &u.Icon, &u.Sign, &u.Gender, &u.Email, &u.Birth, &u.Mobile, &u.Ext, &u.Ver, &u.Time)
	return u, err
}

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// profileChunk bounds the accounts of one Profiles query (SQLite's
// variables).
const profileChunk = 500

// Profiles implements store.People.
func (s *Store) Profiles(ctx context.Context, accounts []string) ([]proto.UserInfo, error) {
	var uniq []string
	seen := make(map[string]bool, len(accounts))
	for _, a := range accounts {
		if !seen[a] {
			seen[a] = true
			uniq = append(uniq, a)
		}
	}
	found := make(map[string]proto.UserInfo, len(uniq))
	for chunk := range slices.Chunk(uniq, profileChunk) {
		args := make([]any, len(chunk))
		for i, a := range chunk {
			args[i] = a
		}
		q := `SELECT ` + profileCols + ` FROM users WHERE accid IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		if err := scanProfiles(ctx, s.r, q, args, func(u proto.UserInfo) { found[u.Account] = u }); err != nil {
			return nil, fmt.Errorf("profiles: %w", err)
		}
	}
	out := make([]proto.UserInfo, 0, len(found))
	for _, a := range uniq {
		if u, ok := found[a]; ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// scanProfiles runs query (which selects profileCols) and calls fn with
// each profile.
func scanProfiles(ctx context.Context, db queryer, query string, args []any, fn func(proto.UserInfo)) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanProfile(rows)
		if err != nil {
			return err
		}
		fn(u)
	}
	return rows.Err()
}

// profileOf reads account's profile in tx; ErrNotFound if there is none.
func profileOf(ctx context.Context, tx *sql.Tx, account string) (proto.UserInfo, error) {
	u, err := scanProfile(tx.QueryRowContext(ctx, `SELECT `+profileCols+` FROM users WHERE accid = ?`, account))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", account, store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("read profile of %q: %w", account, err)
	}
	return u, nil
}

// UpdateProfile implements store.People.
func (s *Store) UpdateProfile(ctx context.Context, account string, upd proto.UpdateUserReq, nowMs int64) (proto.UserInfo, []store.Change, error) {
	var u proto.UserInfo
	var changes []store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := profileOf(ctx, tx, account)
		if err != nil {
			return err
		}
		if sameProfile(old, upd) {
			u = old // nothing changes: nothing to write, no one to tell
			return nil
		}
		u, err = scanProfile(tx.QueryRowContext(ctx, `UPDATE users SET name = COALESCE(?, name), icon = COALESCE(?, icon),
			sign = COALESCE(?, sign), gender = COALESCE(?, gender), email = COALESCE(?, email), birth = COALESCE(?, birth),
			mobile = COALESCE(?, mobile), ex = COALESCE(?, ex), ver = ver + 1, updated_ms = ?
			WHERE accid = ? RETURNING `+profileCols,
			upd.Name, upd.Icon, upd.Sign, upd.Gender, upd.Email, upd.Birth, upd.Mobile, upd.Ext, nowMs, account))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		// The account itself, whoever has it as a friend, its P2P partners.
		to, err := accountList(ctx, tx, `SELECT ? UNION SELECT owner FROM friends WHERE friend = ? AND is_friend = 1
			UNION SELECT peer FROM members WHERE account = ? AND chat_type = ?`, account, account, account, proto.ChatP2P)
		if err != nil {
			return fmt.Errorf("whom to tell: %w", err)
		}
		data, err := json.Marshal(u)
		if err != nil {
			return fmt.Errorf("encode profile: %w", err)
		}
		changes, err = s.appendToAll(ctx, tx, to, proto.Change{Kind: proto.ChangeUser, Key: account, Data: data})
		return err
	})
	if err != nil {
		return proto.UserInfo{}, nil, fmt.Errorf("update profile of %q: %w", account, err)
	}
	return u, changes, nil
}

// sameProfile reports whether every field upd sets already has that value
// in u.
func sameProfile(u proto.UserInfo, upd proto.UpdateUserReq) bool {
	same := func(p *string, v string) bool { return p == nil || *p == v }
	return same(upd.Name, u.Name) && same(upd.Icon, u.Icon) && same(upd.Sign, u.Sign) &&
		(upd.Gender == nil || *upd.Gender == u.Gender) && same(upd.Email, u.Email) && same(upd.Birth, u.Birth) &&
		same(upd.Mobile, u.Mobile) && same(upd.Ext, u.Ext)
}

// accountList runs query, which selects one column of accounts, in tx.
func accountList(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// idList runs query, which returns one column of ids, in tx.
func idList(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// likeEscaper escapes LIKE's wildcards (and the escape character, \).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchUsers implements store.People. IgnoreCase matches with LIKE, which
// folds ASCII letters only: "É" does not match "é".
func (s *Store) SearchUsers(ctx context.Context, q proto.SearchReq) ([]proto.UserInfo, bool, error) {
	out := []proto.UserInfo{}
	limit := q.Limit
	if limit <= 0 || limit > proto.MaxSearch {
		limit = proto.MaxSearch
	}
	match, arg := `instr(%s, ?) > 0`, any(q.Text)
	if q.IgnoreCase {
		match, arg = `%s LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(q.Text)+"%"
	}
	var where string
	var args []any
	switch q.Fields {
	case proto.SearchID:
		where, args = fmt.Sprintf(match, "accid"), []any{arg}
	case proto.SearchNick:
		where, args = fmt.Sprintf(match, "name"), []any{arg}
	case proto.SearchAll:
		where, args = "("+fmt.Sprintf(match, "accid")+" OR "+fmt.Sprintf(match, "name")+")", []any{arg, arg}
	default:
		return out, false, nil // aliases are the client's to match
	}
	query := `SELECT ` + profileCols + ` FROM users WHERE blocked = 0 AND accid > ? AND ` + where + ` ORDER BY accid LIMIT ?`
	args = append(append([]any{q.After}, args...), limit+1)
	if err := scanProfiles(ctx, s.r, query, args, func(u proto.UserInfo) { out = append(out, u) }); err != nil {
		return nil, false, fmt.Errorf("search users: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// SetBlocked implements store.People.
func (s *Store) SetBlocked(ctx context.Context, account string, blocked bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET blocked = ? WHERE accid = ?`, blocked, account)
		if err != nil {
			return fmt.Errorf("block %q: %w", account, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("block %q: %w", account, err)
		} else if n == 0 {
			return fmt.Errorf("block %q: %w", account, store.ErrNotFound)
		}
		return nil
	})
}

// friendRow is one side of a friendship as stored.
type friendRow struct {
	proto.Friend
	isFriend bool
}

// friendOf reads owner's row of friend in tx; ok false when there is none.
func friendOf(ctx context.Context, tx *sql.Tx, owner, friend string) (r friendRow, ok bool, err error) {
	r.Account = friend
	err = tx.QueryRowContext(ctx, `SELECT is_friend, alias, ext, server_ext, created_ms, updated_ms FROM friends
		WHERE owner = ? AND friend = ?`, owner, friend).
		Scan(&r.isFriend, &r.Alias, &r.Ext, &r.ServerExt, &r.Time, &r.Update)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read friend %s of %s: %w", friend, owner, err)
	}
	return r, true, nil
}

// areFriends reports whether a has b as a friend, in tx.
func areFriends(ctx context.Context, tx *sql.Tx, a, b string) (bool, error) {
	r, ok, err := friendOf(ctx, tx, a, b)
	return ok && r.isFriend, err
}

// Befriend implements store.People.
func (s *Store) Befriend(ctx context.Context, from, to string, op int, msg string, nowMs int64) ([]store.Change, error) {
	var changes []store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		if op < proto.FriendAdd || op > proto.FriendReject {
			return fmt.Errorf("unknown friend operation %d", op)
		}
		if _, err := profileOf(ctx, tx, to); err != nil {
			return err
		}
		if op != proto.FriendReject {
			black, err := inRelation(ctx, tx, to, proto.ListBlack, from)
			if err != nil {
				return err
			}
			if black {
				return store.ErrBlacklisted
			}
		}
		friends, err := areFriends(ctx, tx, from, to)
		if err != nil {
			return err
		}
		add := func(ch []store.Change, err error) error {
			changes = append(changes, ch...)
			return err
		}
		switch op {
		case proto.FriendAdd:
			if friends {
				return nil // already friends: nothing to write
			}
			if err := add(s.makeFriends(ctx, tx, from, to, nowMs)); err != nil {
				return err
			}
		case proto.FriendRequest:
			if friends {
				return nil
			}
			// An untreated request of from in to's inbox is asked again:
			// it gets the new postscript and time in place (same id, so
			// asking again and again takes one row of the inbox).
			ids, err := idList(ctx, tx, `SELECT id FROM notes WHERE account = ? AND src = ? AND type = ? AND op = ? AND status = ?
				ORDER BY id DESC`, to, from, proto.NoteFriend, proto.FriendRequest, proto.NoteUntreated)
			if err != nil {
				return fmt.Errorf("find an untreated request: %w", err)
			}
			if len(ids) == 0 {
				break // a new request: added below
			}
			// Older untreated ones (stored before requests were updated
			// in place) expire.
			for _, id := range ids[1:] {
				if _, err := tx.ExecContext(ctx, `UPDATE notes SET status = ? WHERE id = ?`, proto.NoteExpired, id); err != nil {
					return fmt.Errorf("expire an older request: %w", err)
				}
				if err := add(s.noteChange(ctx, tx, to, id)); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE notes SET ps = ?, time_ms = ? WHERE id = ?`, msg, nowMs, ids[0]); err != nil {
				return fmt.Errorf("renew the request: %w", err)
			}
			return add(s.noteChange(ctx, tx, to, ids[0]))
		case proto.FriendAccept, proto.FriendReject:
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM notes WHERE account = ? AND src = ? AND type = ? AND op = ? AND status = ?
				ORDER BY id DESC LIMIT 1`, from, to, proto.NoteFriend, proto.FriendRequest, proto.NoteUntreated).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("no pending request from %s: %w", to, store.ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("find the request: %w", err)
			}
			status := proto.NotePassed
			if op == proto.FriendReject {
				status = proto.NoteDeclined
			}
			if _, err := tx.ExecContext(ctx, `UPDATE notes SET status = ? WHERE id = ?`, status, id); err != nil {
				return fmt.Errorf("answer the request: %w", err)
			}
			if err := add(s.noteChange(ctx, tx, from, id)); err != nil {
				return err
			}
			if op == proto.FriendAccept && !friends {
				if err := add(s.makeFriends(ctx, tx, from, to, nowMs)); err != nil {
					return err
				}
			}
		}
		n := proto.SysNote{Type: proto.NoteFriend, From: from, To: to, Time: nowMs, Ps: msg, Op: op}
		return add(s.addNote(ctx, tx, to, n))
	})
	if err != nil {
		return nil, fmt.Errorf("friend op %d of %s to %s: %w", op, from, to, err)
	}
	return changes, nil
}

// makeFriends makes a and b friends at nowMs in tx: each side's row (a
// kept alias stays), and in each log a ChangeFriend and the other's
// ChangeUser.
func (s *Store) makeFriends(ctx context.Context, tx *sql.Tx, a, b string, nowMs int64) ([]store.Change, error) {
	var changes []store.Change
	for _, side := range [][2]string{{a, b}, {b, a}} {
		owner, friend := side[0], side[1]
		_, err := tx.ExecContext(ctx, `INSERT INTO friends(owner, friend, is_friend, created_ms, updated_ms) VALUES(?, ?, 1, ?, ?)
			ON CONFLICT(owner, friend) DO UPDATE SET is_friend = 1, created_ms = excluded.created_ms, updated_ms = excluded.updated_ms`,
			owner, friend, nowMs, nowMs)
		if err != nil {
			return changes, fmt.Errorf("add friend %s of %s: %w", friend, owner, err)
		}
		ch, err := s.friendChange(ctx, tx, owner, friend)
		if err != nil {
			return changes, err
		}
		changes = append(changes, ch)
		p, err := profileOf(ctx, tx, friend)
		if err != nil {
			return changes, err
		}
		data, err := json.Marshal(p)
		if err != nil {
			return changes, fmt.Errorf("encode profile: %w", err)
		}
		ch, err = s.appendChange(ctx, tx, owner, proto.Change{Kind: proto.ChangeUser, Key: friend, Data: data})
		if err != nil {
			return changes, err
		}
		changes = append(changes, ch)
	}
	return changes, nil
}

// friendChange appends owner's row of friend, as stored, to owner's log as
// a ChangeFriend.
func (s *Store) friendChange(ctx context.Context, tx *sql.Tx, owner, friend string) (store.Change, error) {
	r, _, err := friendOf(ctx, tx, owner, friend)
	if err != nil {
		return store.Change{}, err
	}
	data, err := json.Marshal(r.Friend)
	if err != nil {
		return store.Change{}, fmt.Errorf("encode friend: %w", err)
	}
	return s.appendChange(ctx, tx, owner, proto.Change{Kind: proto.ChangeFriend, Key: friend, Data: data})
}

// noteCols are the columns of a proto.SysNote (scanNote).
const noteCols = `id, type, src, target, time_ms, ps, op, status, ext`

func scanNote(row scanner) (proto.SysNote, error) {
	var n proto.SysNote
	err := row.Scan(&n.ID, &n.Type, &n.From, &n.To, &n.Time, &n.Ps, &n.Op, &n.Status, &n.Ext)
	return n, err
}

// addNote stores n (its ID assigned) in account's inbox and appends its
// ChangeNote to account's log, in tx.
func (s *Store) addNote(ctx context.Context, tx *sql.Tx, account string, n proto.SysNote) ([]store.Change, error) {
	err := tx.QueryRowContext(ctx, `INSERT INTO notes(account, type, src, target, time_ms, ps, op, status, ext)
		VALUES(?,?,?,?,?,?,?,?,?) RETURNING id`, account, n.Type, n.From, n.To, n.Time, n.Ps, n.Op, n.Status, n.Ext).Scan(&n.ID)
	if err != nil {
		return nil, fmt.Errorf("add notification for %s: %w", account, err)
	}
	return s.noteChange(ctx, tx, account, n.ID)
}

// noteChange appends the notification of account's inbox with id, as
// stored, to account's log as a ChangeNote.
func (s *Store) noteChange(ctx context.Context, tx *sql.Tx, account string, id int64) ([]store.Change, error) {
	n, err := scanNote(tx.QueryRowContext(ctx, `SELECT `+noteCols+` FROM notes WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("read notification %d: %w", id, err)
	}
	data, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("encode notification: %w", err)
	}
	ch, err := s.appendChange(ctx, tx, account, proto.Change{Kind: proto.ChangeNote, Key: proto.NoteKey(id), Data: data})
	if err != nil {
		return nil, err
	}
	return []store.Change{ch}, nil
}

// Unfriend implements store.People.
func (s *Store) Unfriend(ctx context.Context, account, friend string, removeAlias bool, nowMs int64) ([]store.Change, error) {
	var changes []store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		if ok, err := areFriends(ctx, tx, account, friend); err != nil || !ok {
			return err // not friends: nothing to write
		}
		for _, side := range [][2]string{{account, friend}, {friend, account}} {
			owner, other := side[0], side[1]
			r, ok, err := friendOf(ctx, tx, owner, other)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			// A row with nothing left to keep goes.
			if owner == account && removeAlias || r.Alias == "" && r.Ext == "" && r.ServerExt == "" {
				_, err = tx.ExecContext(ctx, `DELETE FROM friends WHERE owner = ? AND friend = ?`, owner, other)
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE friends SET is_friend = 0, updated_ms = ? WHERE owner = ? AND friend = ?`, nowMs, owner, other)
			}
			if err != nil {
				return fmt.Errorf("end friendship of %s with %s: %w", owner, other, err)
			}
			if !r.isFriend {
				continue
			}
			ch, err := s.appendChange(ctx, tx, owner, proto.Change{Kind: proto.ChangeFriend, Key: other, Deleted: true})
			if err != nil {
				return err
			}
			changes = append(changes, ch)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unfriend %s and %s: %w", account, friend, err)
	}
	return changes, nil
}

// UpdateFriend implements store.People.
func (s *Store) UpdateFriend(ctx context.Context, account, friend string, alias, serverExt *string, nowMs int64) ([]store.Change, error) {
	var changes []store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE friends SET alias = COALESCE(?, alias), server_ext = COALESCE(?, server_ext), updated_ms = ?
			WHERE owner = ? AND friend = ? AND is_friend = 1`, alias, serverExt, nowMs, account, friend)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("not friends: %w", store.ErrNotFound)
		}
		ch, err := s.friendChange(ctx, tx, account, friend)
		if err != nil {
			return err
		}
		changes = append(changes, ch)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update friend %s of %s: %w", friend, account, err)
	}
	return changes, nil
}

// Friends implements store.People.
func (s *Store) Friends(ctx context.Context, account string, sinceMs int64) ([]proto.Friend, error) {
	out := []proto.Friend{}
	rows, err := s.r.QueryContext(ctx, `SELECT friend, alias, ext, server_ext, created_ms, updated_ms FROM friends
		WHERE owner = ? AND is_friend = 1 AND updated_ms > ? ORDER BY updated_ms, friend`, account, sinceMs)
	if err != nil {
		return nil, fmt.Errorf("friends of %s: %w", account, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f proto.Friend
		if err := rows.Scan(&f.Account, &f.Alias, &f.Ext, &f.ServerExt, &f.Time, &f.Update); err != nil {
			return nil, fmt.Errorf("friends of %s: %w", account, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("friends of %s: %w", account, err)
	}
	return out, nil
}

// relationKind is the change kind of a relation list; "" for an unknown
// list.
func relationKind(list string) string {
	switch list {
	case proto.ListBlack:
		return proto.ChangeBlack
	case proto.ListMute:
		return proto.ChangeMute
	}
	return ""
}

// SetRelation implements store.People.
func (s *Store) SetRelation(ctx context.Context, owner, list, other string, on bool, nowMs int64) ([]store.Change, error) {
	var changes []store.Change
	defer s.rels.changed(relationList{owner, list}) // once committed (or not): see relations
	err := s.write(ctx, func(tx *sql.Tx) error {
		kind := relationKind(list)
		if kind == "" {
			return fmt.Errorf("unknown list %q", list)
		}
		var res sql.Result
		var err error
		if on {
			if _, err := profileOf(ctx, tx, other); err != nil {
				return err
			}
			res, err = tx.ExecContext(ctx, `INSERT INTO relations(owner, list, account, created_ms) VALUES(?,?,?,?)
				ON CONFLICT(owner, list, account) DO NOTHING`, owner, list, other, nowMs)
		} else {
			res, err = tx.ExecContext(ctx, `DELETE FROM relations WHERE owner = ? AND list = ? AND account = ?`, owner, list, other)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // already so: nothing to write
		}
		c := proto.Change{Kind: kind, Key: other, Deleted: !on}
		if on {
			if c.Data, err = json.Marshal(proto.Relation{Account: other, Time: nowMs}); err != nil {
				return fmt.Errorf("encode relation: %w", err)
			}
		}
		ch, err := s.appendChange(ctx, tx, owner, c)
		if err != nil {
			return err
		}
		changes = append(changes, ch)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("set %s of %s on %s list (%v): %w", other, owner, list, on, err)
	}
	return changes, nil
}

// InRelation implements store.People, from the cached list (relations).
func (s *Store) InRelation(ctx context.Context, owner, list, other string) (bool, error) {
	k := relationList{owner, list}
	on, ok, gen := s.rels.get(k, other)
	if ok {
		return on, nil
	}
	set, err := s.readRelations(ctx, k)
	if err != nil {
		return false, fmt.Errorf("is %s on %s's %s list: %w", other, owner, list, err)
	}
	s.rels.put(k, set, gen)
	_, on = set[other]
	return on, nil
}

// inRelation is InRelation on db (the read pool or a write transaction).
func inRelation(ctx context.Context, db queryer, owner, list, other string) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, inRelationSQL, owner, list, other).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("is %s on %s's %s list: %w", other, owner, list, err)
	}
	return true, nil
}

// MarkNotes implements store.People.
func (s *Store) MarkNotes(ctx context.Context, account string, readTo, deleteTo int64, nowMs int64) ([]store.Change, error) {
	var changes []store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		var mark proto.NotesMark
		var top int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT read_to FROM notes_marks WHERE account = ?1), 0),
			COALESCE((SELECT deleted_to FROM notes_marks WHERE account = ?1), 0),
			COALESCE((SELECT MAX(id) FROM notes WHERE account = ?1), 0)`, account).Scan(&mark.ReadTo, &mark.DeletedTo, &top)
		if err != nil {
			return fmt.Errorf("read marks: %w", err)
		}
		next := mark
		next.ReadTo = max(mark.ReadTo, min(readTo, top))
		next.DeletedTo = max(mark.DeletedTo, min(deleteTo, top))
		if next == mark {
			return nil // nothing moved
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO notes_marks(account, read_to, deleted_to) VALUES(?,?,?)
			ON CONFLICT(account) DO UPDATE SET read_to = excluded.read_to, deleted_to = excluded.deleted_to`,
			account, next.ReadTo, next.DeletedTo)
		if err != nil {
			return fmt.Errorf("move marks: %w", err)
		}
		if next.DeletedTo > mark.DeletedTo {
			// The deleted notifications and their log entries go.
			if _, err := tx.ExecContext(ctx, `DELETE FROM notes WHERE account = ? AND id <= ?`, account, next.DeletedTo); err != nil {
				return fmt.Errorf("delete notifications: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE account = ? AND kind = ? AND CAST(key AS INTEGER) <= ?`,
				account, proto.ChangeNote, next.DeletedTo); err != nil {
				return fmt.Errorf("drop deleted notifications from the log: %w", err)
			}
		}
		data, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("encode marks: %w", err)
		}
		ch, err := s.appendChange(ctx, tx, account, proto.Change{Kind: proto.ChangeNotesMark, Data: data})
		if err != nil {
			return err
		}
		changes = append(changes, ch)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark notifications of %s: %w", account, err)
	}
	return changes, nil
}

// AddCustom implements store.People. The ids come from counters
// 'custom_id'; the notification itself lives in the receivers' logs,
// trimmed at each new one (trimCustom).
func (s *Store) AddCustom(ctx context.Context, n proto.CustomNote, to []string) (proto.CustomNote, []store.Change, error) {
	var changes []store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO counters(name, value) VALUES('custom_id', 1)
			ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value`).Scan(&n.ID)
		if err != nil {
			return fmt.Errorf("next id: %w", err)
		}
		data, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		changes, err = s.appendToAll(ctx, tx, to, proto.Change{Kind: proto.ChangeCustom, Key: proto.NoteKey(n.ID), Data: data})
		if err != nil {
			return err
		}
		for _, ch := range changes {
			if err := trimCustom(ctx, tx, ch.Account, n.Time); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, nil, fmt.Errorf("store custom notification from %s: %w", n.From, err)
	}
	return n, changes, nil
}

// trimCustom drops account's stored custom notifications (ChangeCustom
// entries of its log) older than store.CustomKeep before nowMs, and all
// but the newest store.CustomKeepMax, in tx.
func trimCustom(ctx context.Context, tx *sql.Tx, account string, nowMs int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE account = ?1 AND kind = ?2
		AND (CAST(json_extract(data, '$.time') AS INTEGER) < ?3
			OR ver <= (SELECT ver FROM changes WHERE account = ?1 AND kind = ?2 ORDER BY ver DESC LIMIT 1 OFFSET ?4))`,
		account, proto.ChangeCustom, nowMs-store.CustomKeep.Milliseconds(), store.CustomKeepMax)
	if err != nil {
		return fmt.Errorf("drop old custom notifications of %s: %w", account, err)
	}
	return nil
}
