-- The schema of the first release (main at c82d040), which created its
-- tables with IF NOT EXISTS and had no goose table: a database it wrote
-- passes this migration unchanged and is then marked as version 1.

-- +goose Up
CREATE TABLE IF NOT EXISTS users (
	accid      TEXT PRIMARY KEY,
	name       TEXT NOT NULL DEFAULT '',
	icon       TEXT NOT NULL DEFAULT '',
	salt       BLOB NOT NULL,
	token_hash BLOB NOT NULL,
	created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	conv        TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	cid         TEXT NOT NULL,
	sender      TEXT NOT NULL,
	receiver    TEXT NOT NULL,
	chat_type   INTEGER NOT NULL,
	type        INTEGER NOT NULL,
	body        TEXT NOT NULL,
	ext         TEXT NOT NULL DEFAULT '',
	time_ms     INTEGER NOT NULL,
	from_client INTEGER NOT NULL DEFAULT 0,
	UNIQUE(conv, seq),
	UNIQUE(sender, cid)
);
CREATE TABLE IF NOT EXISTS convs (
	account        TEXT NOT NULL,
	conv           TEXT NOT NULL,
	chat_type      INTEGER NOT NULL,
	peer           TEXT NOT NULL,
	last_seq       INTEGER NOT NULL DEFAULT 0,
	last_time      INTEGER NOT NULL DEFAULT 0,
	read_seq       INTEGER NOT NULL DEFAULT 0,
	unread         INTEGER NOT NULL DEFAULT 0,
	peer_read_seq  INTEGER NOT NULL DEFAULT 0,
	peer_read_time INTEGER NOT NULL DEFAULT 0,
	ver            INTEGER NOT NULL,
	PRIMARY KEY(account, conv)
);
CREATE INDEX IF NOT EXISTS convs_account_ver ON convs(account, ver);
CREATE TABLE IF NOT EXISTS account_ver (
	account TEXT PRIMARY KEY,
	ver     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE account_ver;
DROP TABLE convs;
DROP TABLE messages;
DROP TABLE users;
