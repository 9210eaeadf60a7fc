-- The read mark of a team conversation its member left (issue 8): when a
-- member leaves, is kicked or its team is dismissed, its members row of the
-- conversation goes (IsMember false, no unread, no sync row) and its read
-- mark moves to its team member row, where a read from any of its devices
-- can still move it up to left_seq (the ChangeConv reaches the others).
-- Additive (Up).

-- +goose Up
ALTER TABLE team_members ADD COLUMN left_read INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE team_members DROP COLUMN left_read;
