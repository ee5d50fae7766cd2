-- SMS: the persistent send queue (spool; rows stay as the sent archive), the
-- provider ids of each message's parts, the scheduler table of
-- rest-integra.md §9.4 and received messages.

-- +goose Up
CREATE TABLE sms_spool (
  id           INTEGER  NOT NULL PRIMARY KEY AUTOINCREMENT,
  batch_id     INTEGER  NOT NULL DEFAULT 0,
  direction    TEXT     NOT NULL DEFAULT 'out',
  msg_id       TEXT     NOT NULL DEFAULT '',
  recipient    TEXT     NOT NULL,
  sender       TEXT     NOT NULL DEFAULT '',
  text         TEXT     NOT NULL,
  status       TEXT     NOT NULL,
  delivery     TEXT     NOT NULL DEFAULT '',
  delivered_at DATETIME NULL,
  parts        INTEGER  NOT NULL DEFAULT 0,
  attempts     INTEGER  NOT NULL DEFAULT 0,
  next_at      DATETIME NULL,
  priority     INTEGER  NOT NULL,
  campaign     TEXT     NOT NULL DEFAULT '',
  agent        TEXT     NOT NULL DEFAULT '',
  base         TEXT     NOT NULL DEFAULT '',
  error        TEXT     NOT NULL DEFAULT '',
  claimed_by   TEXT     NOT NULL DEFAULT '',
  claimed_at   DATETIME NULL,
  created_at   DATETIME NOT NULL,
  updated_at   DATETIME NOT NULL,
  sent_at      DATETIME NULL
);
CREATE INDEX sms_spool_due ON sms_spool (status, claimed_by, priority, created_at);
CREATE INDEX sms_spool_batch ON sms_spool (batch_id);
CREATE INDEX sms_spool_base ON sms_spool (base, status);
CREATE INDEX sms_spool_created ON sms_spool (created_at);

CREATE TABLE sms_parts (
  sms_id       INTEGER  NOT NULL REFERENCES sms_spool (id) ON DELETE CASCADE,
  seq          INTEGER  NOT NULL,
  provider_id  TEXT     NOT NULL,
  delivery     TEXT     NOT NULL DEFAULT '',
  delivered_at DATETIME NULL,
  PRIMARY KEY (sms_id, seq)
);
CREATE INDEX sms_parts_provider ON sms_parts (provider_id);

CREATE TABLE sms_scheduler (
  id            INTEGER  NOT NULL PRIMARY KEY AUTOINCREMENT,
  calldate      DATETIME NOT NULL,
  campaign      TEXT     NOT NULL DEFAULT '',
  destination   TEXT     NOT NULL,
  message       TEXT     NOT NULL,
  data          TEXT     NOT NULL DEFAULT '',
  source        TEXT     NOT NULL DEFAULT '',
  agent         TEXT     NOT NULL DEFAULT '',
  spooled_id    INTEGER  NOT NULL DEFAULT 0,
  dateprocessed DATETIME NULL,
  created_at    DATETIME NOT NULL
);
CREATE INDEX sms_scheduler_due ON sms_scheduler (dateprocessed, calldate);

CREATE TABLE sms_inbound (
  id          INTEGER  NOT NULL PRIMARY KEY AUTOINCREMENT,
  sender      TEXT     NOT NULL DEFAULT '',
  recipient   TEXT     NOT NULL DEFAULT '',
  text        TEXT     NOT NULL,
  provider_id TEXT     NOT NULL DEFAULT '',
  created_at  DATETIME NOT NULL
);
CREATE INDEX sms_inbound_created ON sms_inbound (created_at);

-- +goose Down
DROP TABLE sms_inbound;
DROP TABLE sms_scheduler;
DROP TABLE sms_parts;
DROP TABLE sms_spool;
