-- Call recordings: the index of every recorded call's audio file
-- (records/YYYYMMDD/<guid>.<format> under the data folder), and the
-- per-queue and per-campaign switch that says which calls are recorded.
-- All DATETIME values are UTC.

-- +goose Up
-- A recording; state is recording, stored, ready or failed (see
-- centralita.RecordingState); tags are the Agents/TagRecord texts joined by
-- a newline.
CREATE TABLE recordings (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  guid        TEXT     NOT NULL UNIQUE,
  uniqueid    TEXT     NOT NULL DEFAULT '',
  calldate    DATETIME NOT NULL,
  queue_name  TEXT     NOT NULL DEFAULT '',
  campaign    TEXT     NOT NULL DEFAULT '',
  agent       TEXT     NOT NULL DEFAULT '',
  source      TEXT     NOT NULL DEFAULT '',
  destination TEXT     NOT NULL DEFAULT '',
  duration    INTEGER  NOT NULL DEFAULT 0,
  format      TEXT     NOT NULL DEFAULT '',
  state       TEXT     NOT NULL,
  tags        TEXT     NOT NULL DEFAULT '',
  rating      INTEGER  NOT NULL DEFAULT 0,
  error       TEXT     NOT NULL DEFAULT '',
  created_at  DATETIME NOT NULL,
  updated_at  DATETIME NOT NULL
);
CREATE INDEX recordings_uniqueid ON recordings (uniqueid);
CREATE INDEX recordings_calldate ON recordings (calldate);
CREATE INDEX recordings_state ON recordings (state);

ALTER TABLE queues ADD COLUMN record BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN record BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE campaigns DROP COLUMN record;
ALTER TABLE queues DROP COLUMN record;
DROP TABLE recordings;
