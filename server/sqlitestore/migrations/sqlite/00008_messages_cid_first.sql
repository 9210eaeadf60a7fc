-- A message's dedupe key (sender, cid) is indexed cid first (issue 10). The
-- SDK's message ids begin with their time in ms, so new entries land at the
-- index's right edge, a few pages per commit; ordered by sender, each
-- sender's entry dirtied a page of its own (1.8 of the 3.3 pages a send
-- wrote to the WAL, with 1 KB pages). The constraint is the same set of
-- rows. SQLite cannot change a table's UNIQUE constraint in place, so the
-- table is rebuilt: a one-time copy of every message at start.

-- +goose Up
CREATE TABLE messages_new (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	conv          TEXT NOT NULL,
	seq           INTEGER NOT NULL,
	cid           TEXT NOT NULL,
	sender        TEXT NOT NULL,
	receiver      TEXT NOT NULL,
	chat_type     INTEGER NOT NULL,
	type          INTEGER NOT NULL,
	body          TEXT NOT NULL,
	ext           TEXT NOT NULL DEFAULT '',
	time_ms       INTEGER NOT NULL,
	from_client   INTEGER NOT NULL DEFAULT 0,
	revoked_ms    INTEGER NOT NULL DEFAULT 0,
	revoked_by    TEXT NOT NULL DEFAULT '',
	revoke_ps     TEXT NOT NULL DEFAULT '',
	nick          TEXT NOT NULL DEFAULT '',
	team_receipt  INTEGER NOT NULL DEFAULT 0,
	receipt_total INTEGER NOT NULL DEFAULT 0,
	receipt_read  INTEGER NOT NULL DEFAULT 0,
	UNIQUE(conv, seq),
	UNIQUE(cid, sender)
);
INSERT INTO messages_new(id, conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client,
	revoked_ms, revoked_by, revoke_ps, nick, team_receipt, receipt_total, receipt_read)
SELECT id, conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client,
	revoked_ms, revoked_by, revoke_ps, nick, team_receipt, receipt_total, receipt_read FROM messages ORDER BY id;
-- Server ids never go back: the new table carries the old one's high-water
-- mark (the rename below renames its sqlite_sequence row too).
DELETE FROM sqlite_sequence WHERE name = 'messages_new';
INSERT INTO sqlite_sequence(name, seq) SELECT 'messages_new', seq FROM sqlite_sequence WHERE name = 'messages';
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

-- +goose Down
CREATE TABLE messages_old (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	conv          TEXT NOT NULL,
	seq           INTEGER NOT NULL,
	cid           TEXT NOT NULL,
	sender        TEXT NOT NULL,
	receiver      TEXT NOT NULL,
	chat_type     INTEGER NOT NULL,
	type          INTEGER NOT NULL,
	body          TEXT NOT NULL,
	ext           TEXT NOT NULL DEFAULT '',
	time_ms       INTEGER NOT NULL,
	from_client   INTEGER NOT NULL DEFAULT 0,
	revoked_ms    INTEGER NOT NULL DEFAULT 0,
	revoked_by    TEXT NOT NULL DEFAULT '',
	revoke_ps     TEXT NOT NULL DEFAULT '',
	nick          TEXT NOT NULL DEFAULT '',
	team_receipt  INTEGER NOT NULL DEFAULT 0,
	receipt_total INTEGER NOT NULL DEFAULT 0,
	receipt_read  INTEGER NOT NULL DEFAULT 0,
	UNIQUE(conv, seq),
	UNIQUE(sender, cid)
);
INSERT INTO messages_old(id, conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client,
	revoked_ms, revoked_by, revoke_ps, nick, team_receipt, receipt_total, receipt_read)
SELECT id, conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client,
	revoked_ms, revoked_by, revoke_ps, nick, team_receipt, receipt_total, receipt_read FROM messages ORDER BY id;
DELETE FROM sqlite_sequence WHERE name = 'messages_old';
INSERT INTO sqlite_sequence(name, seq) SELECT 'messages_old', seq FROM sqlite_sequence WHERE name = 'messages';
DROP TABLE messages;
ALTER TABLE messages_old RENAME TO messages;
