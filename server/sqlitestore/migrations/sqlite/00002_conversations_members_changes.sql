-- One row per conversation plus one row per member instead of one row per
-- (account, conversation); unread counts are derived, no longer stored; a
-- change log per account (account_ver stays its counter, so the cursors
-- clients already hold keep working).

-- +goose Up
CREATE TABLE conversations (
	conv      TEXT PRIMARY KEY,
	chat_type INTEGER NOT NULL,
	last_seq  INTEGER NOT NULL,
	last_time INTEGER NOT NULL,
	stamp     INTEGER NOT NULL -- from counters 'conv_stamp', moved by every message
);
CREATE UNIQUE INDEX conversations_stamp ON conversations(stamp);

CREATE TABLE members (
	account      TEXT NOT NULL,
	conv         TEXT NOT NULL,
	chat_type    INTEGER NOT NULL,
	peer         TEXT NOT NULL, -- the session id from account's side: the other account (P2P), the team id
	read_seq     INTEGER NOT NULL DEFAULT 0,
	receipt_seq  INTEGER NOT NULL DEFAULT 0, -- the receipt account sent: it has read up to here
	receipt_time INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY(account, conv)
);
CREATE INDEX members_conv ON members(conv);

CREATE TABLE changes (
	account TEXT NOT NULL,
	ver     INTEGER NOT NULL, -- from account_ver
	kind    TEXT NOT NULL,
	key     TEXT NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0,
	data    TEXT, -- JSON; NULL when deleted
	PRIMARY KEY(account, ver),
	UNIQUE(account, kind, key)
);

-- Store-wide counters by name. Down keeps this table, so that after a down
-- and up the stamps carry on above every stamp a client may hold as its
-- cursor (they never go back).
CREATE TABLE IF NOT EXISTS counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO counters(name, value) VALUES('conv_stamp', 0) ON CONFLICT(name) DO NOTHING;

-- The old rows of one conversation agree on last_seq/last_time; max() is
-- there in case they do not. Stamps follow the order of the last messages,
-- numbered on from the counter.
INSERT INTO conversations(conv, chat_type, last_seq, last_time, stamp)
SELECT conv, chat_type, last_seq, last_time,
	(SELECT value FROM counters WHERE name = 'conv_stamp') + ROW_NUMBER() OVER (ORDER BY last_time, conv)
FROM (SELECT conv, MIN(chat_type) AS chat_type, MAX(last_seq) AS last_seq, MAX(last_time) AS last_time
	FROM convs GROUP BY conv);
UPDATE counters SET value = value + (SELECT COUNT(*) FROM conversations) WHERE name = 'conv_stamp';

-- A member's receipt is the other member's old peer_read_seq/peer_read_time
-- (for a note to self, the other member is itself).
INSERT INTO members(account, conv, chat_type, peer, read_seq, receipt_seq, receipt_time)
SELECT c.account, c.conv, c.chat_type, c.peer, c.read_seq,
	COALESCE(o.peer_read_seq, 0), COALESCE(o.peer_read_time, 0)
FROM convs c LEFT JOIN convs o ON o.conv = c.conv AND o.account = c.peer;

DROP TABLE convs;

-- +goose Down
CREATE TABLE convs (
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
CREATE INDEX convs_account_ver ON convs(account, ver);
-- Every row gets its account's counter moved by one as ver, so an old
-- client syncs all its conversations again.
INSERT INTO account_ver(account, ver) SELECT DISTINCT account, 0 FROM members WHERE true
	ON CONFLICT(account) DO NOTHING;
UPDATE account_ver SET ver = ver + 1;
INSERT INTO convs(account, conv, chat_type, peer, last_seq, last_time, read_seq, unread, peer_read_seq, peer_read_time, ver)
SELECT m.account, m.conv, m.chat_type, m.peer, c.last_seq, c.last_time, m.read_seq,
	(SELECT COUNT(*) FROM messages x WHERE x.conv = m.conv AND x.seq > m.read_seq AND x.sender != m.account),
	COALESCE(o.receipt_seq, 0), COALESCE(o.receipt_time, 0),
	(SELECT ver FROM account_ver a WHERE a.account = m.account)
FROM members m JOIN conversations c ON c.conv = m.conv
LEFT JOIN members o ON o.conv = m.conv AND o.account = m.peer;
-- counters stays (see Up). Sends no longer move it (a stamp is the highest
-- one plus one): it takes the highest stamp given out.
UPDATE counters SET value = MAX(value, (SELECT COALESCE(MAX(stamp), 0) FROM conversations)) WHERE name = 'conv_stamp';
DROP TABLE changes;
DROP TABLE members;
DROP TABLE conversations;
