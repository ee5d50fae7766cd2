-- Foundation: access keys, users, and Asterisk's own cdr and queue_log tables.
-- All DATETIME values are UTC.

-- +goose Up
CREATE TABLE access_keys (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  description  TEXT     NOT NULL,
  hash         TEXT     NOT NULL UNIQUE,
  created_at   DATETIME NOT NULL,
  last_used_at DATETIME NULL,
  revoked_at   DATETIME NULL
);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  username      TEXT     NOT NULL UNIQUE,
  password_hash TEXT     NOT NULL,
  role          TEXT     NOT NULL,
  created_at    DATETIME NOT NULL
);

CREATE TABLE cdr (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  calldate    DATETIME NOT NULL DEFAULT '1970-01-01 00:00:00',
  clid        VARCHAR(80)  NOT NULL DEFAULT '',
  src         VARCHAR(80)  NOT NULL DEFAULT '',
  dst         VARCHAR(80)  NOT NULL DEFAULT '',
  dcontext    VARCHAR(80)  NOT NULL DEFAULT '',
  channel     VARCHAR(80)  NOT NULL DEFAULT '',
  dstchannel  VARCHAR(80)  NOT NULL DEFAULT '',
  lastapp     VARCHAR(80)  NOT NULL DEFAULT '',
  lastdata    VARCHAR(80)  NOT NULL DEFAULT '',
  duration    INTEGER      NOT NULL DEFAULT 0,
  billsec     INTEGER      NOT NULL DEFAULT 0,
  disposition VARCHAR(45)  NOT NULL DEFAULT '',
  amaflags    INTEGER      NOT NULL DEFAULT 0,
  accountcode VARCHAR(80)  NOT NULL DEFAULT '',
  uniqueid    VARCHAR(150) NOT NULL DEFAULT '',
  userfield   VARCHAR(255) NOT NULL DEFAULT '',
  linkedid    VARCHAR(150) NOT NULL DEFAULT '',
  peeraccount VARCHAR(80)  NOT NULL DEFAULT '',
  sequence    INTEGER      NOT NULL DEFAULT 0
);
CREATE INDEX cdr_calldate ON cdr (calldate);
CREATE INDEX cdr_uniqueid ON cdr (uniqueid);
CREATE INDEX cdr_linkedid ON cdr (linkedid);

CREATE TABLE queue_log (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  time      DATETIME     NOT NULL,
  callid    VARCHAR(80)  NOT NULL DEFAULT '',
  queuename VARCHAR(80)  NOT NULL DEFAULT '',
  agent     VARCHAR(80)  NOT NULL DEFAULT '',
  event     VARCHAR(32)  NOT NULL DEFAULT '',
  data1     VARCHAR(255) NOT NULL DEFAULT '',
  data2     VARCHAR(255) NOT NULL DEFAULT '',
  data3     VARCHAR(255) NOT NULL DEFAULT '',
  data4     VARCHAR(255) NOT NULL DEFAULT '',
  data5     VARCHAR(255) NOT NULL DEFAULT ''
);
CREATE INDEX queue_log_time ON queue_log (time);
CREATE INDEX queue_log_callid ON queue_log (callid);
CREATE INDEX queue_log_queue_time ON queue_log (queuename, time);
CREATE INDEX queue_log_agent_time ON queue_log (agent, time);

-- +goose Down
DROP TABLE queue_log;
DROP TABLE cdr;
DROP TABLE users;
DROP TABLE access_keys;
