-- Teams (issue 8): a row per team, a row per (team, account) that ever
-- joined, and a counter of team ids. Additive (Up): the team's conversation and
-- its members' read marks are the conversations and members rows that
-- exist already (conv 't:<tid>'), its applications and invitations rows of
-- notes, its notification messages rows of messages.

-- +goose Up
CREATE TABLE teams (
	id                 TEXT PRIMARY KEY,
	name               TEXT NOT NULL,
	type               INTEGER NOT NULL, -- 0 normal, 1 advanced, 2 super
	owner              TEXT NOT NULL,
	icon               TEXT NOT NULL DEFAULT '',
	intro              TEXT NOT NULL DEFAULT '',
	announcement       TEXT NOT NULL DEFAULT '',
	client_custom      TEXT NOT NULL DEFAULT '',
	server_custom      TEXT NOT NULL DEFAULT '',
	join_mode          INTEGER NOT NULL DEFAULT 0,
	invite_mode        INTEGER NOT NULL DEFAULT 0,
	be_invite_mode     INTEGER NOT NULL DEFAULT 0,
	update_info_mode   INTEGER NOT NULL DEFAULT 0,
	update_custom_mode INTEGER NOT NULL DEFAULT 0,
	mute_mode          INTEGER NOT NULL DEFAULT 0,
	max_members        INTEGER NOT NULL,
	members            INTEGER NOT NULL DEFAULT 0, -- valid members
	member_ver         INTEGER NOT NULL DEFAULT 0, -- moved by every write that changes member rows
	created_ms         INTEGER NOT NULL,
	updated_ms         INTEGER NOT NULL,
	dismissed          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX teams_owner ON teams(owner, dismissed); -- teams an account owns (MaxTeamsCreated)

-- One row per account that ever joined a team; valid = 0 once it left,
-- was kicked or the team was dismissed. ver is the team's member_ver of
-- the row's last change.
CREATE TABLE team_members (
	tid       TEXT NOT NULL,
	account   TEXT NOT NULL,
	type      INTEGER NOT NULL, -- 0 normal, 1 owner, 2 manager
	nick      TEXT NOT NULL DEFAULT '',
	custom    TEXT NOT NULL DEFAULT '',
	muted     INTEGER NOT NULL DEFAULT 0,
	inviter   TEXT NOT NULL DEFAULT '',
	joined_ms INTEGER NOT NULL,
	notify    INTEGER NOT NULL DEFAULT 0,
	valid     INTEGER NOT NULL DEFAULT 1,
	ver       INTEGER NOT NULL,
	left_seq  INTEGER NOT NULL DEFAULT 0, -- invalid rows: the conversation's last seq when it left (history up to there)
	join_seq  INTEGER NOT NULL DEFAULT 0, -- the conversation's last seq when it (last) joined: its history starts after it
	PRIMARY KEY(tid, account)
);
CREATE INDEX team_members_ver ON team_members(tid, ver, account); -- incremental member lists
CREATE INDEX team_members_account ON team_members(account, valid); -- an account's teams

-- A team's applications and invitations to answer or expire (AnswerApplication,
-- AnswerInvitation, and the expiry when an account joins or leaves).
CREATE INDEX notes_team ON notes(target, src, type, status);

-- Team ids are numbers from a store-wide counter (never reused).
INSERT INTO counters(name, value) VALUES('team_id', 100000) ON CONFLICT(name) DO NOTHING;

-- +goose Down
-- An older server knows no teams: the team conversations ('t:' ids), their
-- members rows, messages and log entries, and the team applications and
-- invitations (notification types 0-3, 15-18) go with the teams. The
-- counter 'team_id' stays, as 'conv_stamp' does: ids never go back.
DROP INDEX notes_team;
DELETE FROM changes WHERE kind = 'team' OR key LIKE 't:%';
DELETE FROM changes WHERE kind = 'sysnote' AND key IN (SELECT CAST(id AS TEXT) FROM notes WHERE type IN (0, 1, 2, 3, 15, 16, 17, 18));
DELETE FROM notes WHERE type IN (0, 1, 2, 3, 15, 16, 17, 18);
DELETE FROM members WHERE conv LIKE 't:%';
DELETE FROM messages WHERE conv LIKE 't:%';
DELETE FROM conversations WHERE conv LIKE 't:%';
DROP TABLE team_members;
DROP TABLE teams;
