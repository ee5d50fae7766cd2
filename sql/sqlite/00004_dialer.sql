-- Outbound dialer: campaigns, their contacts with a state log and dial
-- attempts, the do-not-call list, and dispositions (configured and given).
-- All DATETIME values are UTC. The foreign keys rely on PRAGMA
-- foreign_keys=1, which store sets on every connection.

-- +goose Up
-- A campaign; windows and retries are JSON ([]CallWindow, map of outcome to
-- RetryRule). queue_name is not a foreign key: a campaign outlives a queue
-- that is deleted and recreated.
CREATE TABLE campaigns (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  name              TEXT     NOT NULL UNIQUE,
  mode              TEXT     NOT NULL DEFAULT '',
  state             TEXT     NOT NULL DEFAULT '',
  queue_name        TEXT     NOT NULL DEFAULT '',
  callerid          TEXT     NOT NULL DEFAULT '',
  max_lines         INTEGER  NOT NULL DEFAULT 0,
  ring_timeout_sec  INTEGER  NOT NULL DEFAULT 0,
  power_ratio       REAL     NOT NULL DEFAULT 0,
  abandon_limit_pct REAL     NOT NULL DEFAULT 0,
  time_zone         TEXT     NOT NULL DEFAULT '',
  windows           TEXT     NOT NULL DEFAULT 'null',
  retries           TEXT     NOT NULL DEFAULT 'null',
  abandon_message   TEXT     NOT NULL DEFAULT '',
  created_at        DATETIME NOT NULL,
  updated_at        DATETIME NOT NULL
);
CREATE INDEX campaigns_state ON campaigns (state);

-- A contact of a campaign's base. info is a JSON object ('{}' when empty),
-- alternates the alternate numbers joined by ':'. dial_number is the number
-- being dialled now (number, or alternate alt_index), kept by the store so a
-- claim can refuse a number that is already in flight.
CREATE TABLE contacts (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id     INTEGER  NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  number          TEXT     NOT NULL,
  dial_number     TEXT     NOT NULL,
  name            TEXT     NOT NULL DEFAULT '',
  data            TEXT     NOT NULL DEFAULT '',
  info            TEXT     NOT NULL DEFAULT '{}',
  alternates      TEXT     NOT NULL DEFAULT '',
  alt_index       INTEGER  NOT NULL DEFAULT 0,
  priority        INTEGER  NOT NULL DEFAULT 0,
  time_zone       TEXT     NOT NULL DEFAULT '',
  agent           TEXT     NOT NULL DEFAULT '',
  base            TEXT     NOT NULL DEFAULT '',
  enabled         BOOLEAN  NOT NULL DEFAULT 1,
  state           TEXT     NOT NULL,
  attempts        INTEGER  NOT NULL DEFAULT 0,
  next_at         DATETIME NULL,
  last_attempt_at DATETIME NULL,
  last_outcome    TEXT     NOT NULL DEFAULT '',
  state_at        DATETIME NOT NULL,
  added_at        DATETIME NOT NULL,
  in_flight       BOOLEAN  NOT NULL DEFAULT 0
);
CREATE INDEX contacts_claim ON contacts (campaign_id, state, enabled, in_flight, priority, next_at);
CREATE INDEX contacts_number ON contacts (campaign_id, number);
CREATE INDEX contacts_dial_number ON contacts (campaign_id, dial_number, in_flight);
CREATE INDEX contacts_state_at ON contacts (campaign_id, state_at);
CREATE INDEX contacts_added_at ON contacts (campaign_id, added_at);
CREATE INDEX contacts_in_flight ON contacts (in_flight);

-- A contact's state log.
CREATE TABLE contact_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id INTEGER  NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  time       DATETIME NOT NULL,
  transition TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX contact_log_contact_time ON contact_log (contact_id, time);

-- A dial attempt of a contact; ended_at NULL while it is under way.
CREATE TABLE attempts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  contact_id  INTEGER  NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  campaign_id INTEGER  NOT NULL,
  number      TEXT     NOT NULL,
  call_id     TEXT     NOT NULL DEFAULT '',
  agent       TEXT     NOT NULL DEFAULT '',
  started_at  DATETIME NOT NULL,
  answered_at DATETIME NULL,
  ended_at    DATETIME NULL,
  outcome     TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX attempts_contact ON attempts (contact_id);
CREATE INDEX attempts_ended ON attempts (ended_at);
CREATE INDEX attempts_call ON attempts (call_id);

-- The do-not-call list; campaign is a campaign name or '*' for all.
CREATE TABLE blacklist (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  phone      TEXT     NOT NULL,
  campaign   TEXT     NOT NULL,
  username   TEXT     NOT NULL DEFAULT '',
  company    TEXT     NOT NULL DEFAULT '',
  job_title  TEXT     NOT NULL DEFAULT '',
  name       TEXT     NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  UNIQUE (campaign, phone)
);

-- The dispositions configured per campaign (tipificaciones), by campaign
-- name; l2 and l3 are '' when the disposition has fewer levels.
CREATE TABLE dispositions (
  campaign        TEXT    NOT NULL,
  l1              TEXT    NOT NULL,
  l2              TEXT    NOT NULL DEFAULT '',
  l3              TEXT    NOT NULL DEFAULT '',
  action          TEXT    NOT NULL DEFAULT '',
  completes       BOOLEAN NOT NULL DEFAULT 0,
  txtcode         TEXT    NOT NULL DEFAULT '',
  retry_delay_sec INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign, l1, l2, l3)
);

-- The dispositions agents gave calls (Integra api/DispositionCall).
CREATE TABLE call_dispositions (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign         TEXT     NOT NULL,
  agent            TEXT     NOT NULL,
  callerid         TEXT     NOT NULL DEFAULT '',
  guid             TEXT     NOT NULL DEFAULT '',
  l1               TEXT     NOT NULL DEFAULT '',
  l2               TEXT     NOT NULL DEFAULT '',
  l3               TEXT     NOT NULL DEFAULT '',
  d1               TEXT     NOT NULL DEFAULT '',
  d2               TEXT     NOT NULL DEFAULT '',
  comment          TEXT     NOT NULL DEFAULT '',
  schedule         DATETIME NULL,
  camptoreschedule TEXT     NOT NULL DEFAULT '',
  tag              TEXT     NOT NULL DEFAULT '',
  created_at       DATETIME NOT NULL
);
CREATE INDEX call_dispositions_guid ON call_dispositions (guid);
CREATE INDEX call_dispositions_campaign_created ON call_dispositions (campaign, created_at);

-- +goose Down
DROP TABLE call_dispositions;
DROP TABLE dispositions;
DROP TABLE blacklist;
DROP TABLE attempts;
DROP TABLE contact_log;
DROP TABLE contacts;
DROP TABLE campaigns;
