-- Revoked messages and conversations deleted from an account's session
-- list. A revoked message keeps its row (so that seqs stay contiguous) with
-- its body and ext erased ('') and revoked_ms > 0; a member row's
-- deleted_seq is the conversation's last seq when the account deleted it
-- (deleteRemoteSessions): the conversation is left out of the account's
-- list until a message with a higher seq arrives.

-- +goose Up
ALTER TABLE messages ADD COLUMN revoked_ms INTEGER NOT NULL DEFAULT 0; -- when it was revoked; 0: not revoked
ALTER TABLE messages ADD COLUMN revoked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN revoke_ps TEXT NOT NULL DEFAULT ''; -- the revoke's postscript
ALTER TABLE members ADD COLUMN deleted_seq INTEGER NOT NULL DEFAULT 0;

-- +goose Down
-- An older server reads a revoked message as an ordinary one: give it a
-- valid (empty) JSON body; the content stays gone.
UPDATE messages SET body = '{}' WHERE revoked_ms > 0;
ALTER TABLE members DROP COLUMN deleted_seq;
ALTER TABLE messages DROP COLUMN revoke_ps;
ALTER TABLE messages DROP COLUMN revoked_by;
ALTER TABLE messages DROP COLUMN revoked_ms;
