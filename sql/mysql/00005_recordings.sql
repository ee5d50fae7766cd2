-- Call recordings: the index of every recorded call's audio file
-- (records/YYYYMMDD/<guid>.<format> under the data folder), and the
-- per-queue and per-campaign switch that says which calls are recorded.
-- All DATETIME values are UTC.

-- +goose Up
-- A recording; state is recording, stored, ready or failed (see
-- centralita.RecordingState); tags are the Agents/TagRecord texts joined by
-- a newline.
CREATE TABLE recordings (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  guid        VARCHAR(64)  NOT NULL,
  uniqueid    VARCHAR(150) NOT NULL DEFAULT '',
  calldate    DATETIME(6)  NOT NULL,
  queue_name  VARCHAR(128) NOT NULL DEFAULT '',
  campaign    VARCHAR(128) NOT NULL DEFAULT '',
  agent       VARCHAR(80)  NOT NULL DEFAULT '',
  source      VARCHAR(80)  NOT NULL DEFAULT '',
  destination VARCHAR(80)  NOT NULL DEFAULT '',
  duration    INT          NOT NULL DEFAULT 0,
  format      VARCHAR(8)   NOT NULL DEFAULT '',
  state       VARCHAR(16)  NOT NULL,
  tags        TEXT         NOT NULL,
  rating      INT          NOT NULL DEFAULT 0,
  error       VARCHAR(255) NOT NULL DEFAULT '',
  created_at  DATETIME(6)  NOT NULL,
  updated_at  DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY recordings_guid (guid),
  KEY recordings_uniqueid (uniqueid),
  KEY recordings_calldate (calldate),
  KEY recordings_state (state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

ALTER TABLE queues ADD record BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE campaigns ADD record BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE campaigns DROP COLUMN record;
ALTER TABLE queues DROP COLUMN record;
DROP TABLE recordings;
