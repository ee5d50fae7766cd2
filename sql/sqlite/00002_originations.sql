-- Click-to-call origination jobs (eXpand originateCall), kept so a restart
-- of Centralita does not lose their outcome.

-- +goose Up
CREATE TABLE originations (
  id           TEXT     NOT NULL PRIMARY KEY,
  src          TEXT     NOT NULL,
  src_callerid TEXT     NOT NULL DEFAULT '',
  dst          TEXT     NOT NULL,
  dst_callerid TEXT     NOT NULL DEFAULT '',
  timeout_sec  INTEGER  NOT NULL,
  callinfo     TEXT     NOT NULL DEFAULT '',
  status       INTEGER  NOT NULL,
  src_channel  TEXT     NOT NULL DEFAULT '',
  dst_channel  TEXT     NOT NULL DEFAULT '',
  bridge       TEXT     NOT NULL DEFAULT '',
  cause        INTEGER  NOT NULL DEFAULT 0,
  key_id       INTEGER  NOT NULL DEFAULT 0,
  created_at   DATETIME NOT NULL,
  answered_at  DATETIME NULL,
  ended_at     DATETIME NULL
);
CREATE INDEX originations_open ON originations (ended_at);
CREATE INDEX originations_created ON originations (created_at);

-- +goose Down
DROP TABLE originations;
