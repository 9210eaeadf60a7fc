-- People: profiles (more columns on users, with a version), the sender's
-- nickname on each message, friendships, the blacklist and mute list,
-- system notifications (the inbox) and the inbox marks. Additive: an
-- existing data directory gains the columns with their defaults (every
-- profile at version 1, last updated when it was created).

-- +goose Up
ALTER TABLE users ADD COLUMN sign TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN gender INTEGER NOT NULL DEFAULT 0; -- 0 unknown, 1 male, 2 female
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN birth TEXT NOT NULL DEFAULT ''; -- yyyy-MM-dd
ALTER TABLE users ADD COLUMN mobile TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN ex TEXT NOT NULL DEFAULT ''; -- the profile's custom field
ALTER TABLE users ADD COLUMN ver INTEGER NOT NULL DEFAULT 1; -- the profile's version: 1 at creation, +1 per update
ALTER TABLE users ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0; -- the profile's last update
ALTER TABLE users ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0; -- user/block: logins refused
UPDATE users SET updated_ms = created_ms;

ALTER TABLE messages ADD COLUMN nick TEXT NOT NULL DEFAULT ''; -- the sender's nickname when it was stored

-- One row per side of a friendship: owner's view of friend. A row with
-- is_friend = 0 is a former friendship whose alias the owner kept.
CREATE TABLE friends (
	owner      TEXT NOT NULL,
	friend     TEXT NOT NULL,
	is_friend  INTEGER NOT NULL DEFAULT 1,
	alias      TEXT NOT NULL DEFAULT '',
	ext        TEXT NOT NULL DEFAULT '',
	server_ext TEXT NOT NULL DEFAULT '',
	created_ms INTEGER NOT NULL, -- since when they are friends
	updated_ms INTEGER NOT NULL, -- the row's last change (friend/get's updatetime)
	PRIMARY KEY(owner, friend)
);
CREATE INDEX friends_owner_updated ON friends(owner, updated_ms);
CREATE INDEX friends_friend ON friends(friend, is_friend); -- who has this account as a friend (profile fan-out)

-- The blacklist ('black') and the mute list ('mute') of owner.
CREATE TABLE relations (
	owner      TEXT NOT NULL,
	list       TEXT NOT NULL,
	account    TEXT NOT NULL,
	created_ms INTEGER NOT NULL,
	PRIMARY KEY(owner, list, account)
);

-- System notifications, one row per notification of account's inbox; the
-- id is store-wide and increasing (AUTOINCREMENT: never reused, even after
-- the newest rows are deleted). src is sourceID (who did it), target
-- targetID.
CREATE TABLE notes (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	account TEXT NOT NULL,
	type    INTEGER NOT NULL,
	src     TEXT NOT NULL,
	target  TEXT NOT NULL,
	time_ms INTEGER NOT NULL,
	ps      TEXT NOT NULL DEFAULT '',
	op      INTEGER NOT NULL DEFAULT 0,
	status  INTEGER NOT NULL DEFAULT 0,
	ext     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notes_account ON notes(account, id);
CREATE INDEX notes_pending ON notes(account, src, type, op, status); -- a friend request to answer

-- An inbox's read and delete marks (notification ids).
CREATE TABLE notes_marks (
	account    TEXT PRIMARY KEY,
	read_to    INTEGER NOT NULL DEFAULT 0,
	deleted_to INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
-- The counter of custom notification ids (counters 'custom_id') stays, as
-- 'conv_stamp' does: ids never go back.
DROP TABLE notes_marks;
DROP TABLE notes;
DROP TABLE relations;
DROP TABLE friends;
DELETE FROM changes WHERE kind IN ('user', 'friend', 'black', 'mute', 'sysnote', 'sysmark', 'custom');
ALTER TABLE messages DROP COLUMN nick;
ALTER TABLE users DROP COLUMN blocked;
ALTER TABLE users DROP COLUMN updated_ms;
ALTER TABLE users DROP COLUMN ver;
ALTER TABLE users DROP COLUMN ex;
ALTER TABLE users DROP COLUMN mobile;
ALTER TABLE users DROP COLUMN birth;
ALTER TABLE users DROP COLUMN email;
ALTER TABLE users DROP COLUMN gender;
ALTER TABLE users DROP COLUMN sign;
