-- Team message receipts (issue 8): a team message that asks for receipts
-- keeps, on its messages row, the flag, the number of other valid members
-- when it was stored (receipt_total) and the number of receipts counted so
-- far (receipt_read), so that pulls and history stay one query; a row per
-- (message, reader) makes each member count once. Additive (Up).

-- +goose Up
ALTER TABLE messages ADD COLUMN team_receipt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN receipt_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN receipt_read INTEGER NOT NULL DEFAULT 0;

CREATE TABLE team_receipts (
	conv    TEXT NOT NULL,
	seq     INTEGER NOT NULL,
	account TEXT NOT NULL, -- the reader
	time_ms INTEGER NOT NULL,
	PRIMARY KEY(conv, seq, account)
) WITHOUT ROWID;

-- +goose Down
-- An older server knows no team receipts: the counts and the readers go,
-- and so do the log entries that reported them.
DELETE FROM changes WHERE kind = 'treceipt';
DROP TABLE team_receipts;
ALTER TABLE messages DROP COLUMN receipt_read;
ALTER TABLE messages DROP COLUMN receipt_total;
ALTER TABLE messages DROP COLUMN team_receipt;
