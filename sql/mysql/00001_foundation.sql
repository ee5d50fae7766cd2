-- Foundation: access keys, users, and Asterisk's own cdr and queue_log tables.
-- All DATETIME values are UTC. A real Asterisk sharing these tables should
-- write UTC too (cdr_adaptive_odbc: usegmtime=yes).

-- +goose Up
CREATE TABLE access_keys (
  id           BIGINT       NOT NULL AUTO_INCREMENT,
  description  VARCHAR(255) NOT NULL,
  hash         CHAR(64)     NOT NULL,
  created_at   DATETIME(6)  NOT NULL,
  last_used_at DATETIME(6)  NULL,
  revoked_at   DATETIME(6)  NULL,
  PRIMARY KEY (id),
  UNIQUE KEY access_keys_hash (hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE users (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  username      VARCHAR(80)  NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  role          VARCHAR(20)  NOT NULL,
  created_at    DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Asterisk's cdr table (the cdr_mysql / cdr_adaptive_odbc layout), plus an
-- id primary key that Asterisk leaves to AUTO_INCREMENT.
CREATE TABLE cdr (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  calldate    DATETIME     NOT NULL DEFAULT '1970-01-01 00:00:00',
  clid        VARCHAR(80)  NOT NULL DEFAULT '',
  src         VARCHAR(80)  NOT NULL DEFAULT '',
  dst         VARCHAR(80)  NOT NULL DEFAULT '',
  dcontext    VARCHAR(80)  NOT NULL DEFAULT '',
  channel     VARCHAR(80)  NOT NULL DEFAULT '',
  dstchannel  VARCHAR(80)  NOT NULL DEFAULT '',
  lastapp     VARCHAR(80)  NOT NULL DEFAULT '',
  lastdata    VARCHAR(80)  NOT NULL DEFAULT '',
  duration    INT          NOT NULL DEFAULT 0,
  billsec     INT          NOT NULL DEFAULT 0,
  disposition VARCHAR(45)  NOT NULL DEFAULT '',
  amaflags    INT          NOT NULL DEFAULT 0,
  accountcode VARCHAR(80)  NOT NULL DEFAULT '',
  uniqueid    VARCHAR(150) NOT NULL DEFAULT '',
  userfield   VARCHAR(255) NOT NULL DEFAULT '',
  linkedid    VARCHAR(150) NOT NULL DEFAULT '',
  peeraccount VARCHAR(80)  NOT NULL DEFAULT '',
  sequence    INT          NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY calldate (calldate),
  KEY uniqueid (uniqueid),
  KEY linkedid (linkedid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Asterisk's realtime queue_log table, plus an id primary key.
CREATE TABLE queue_log (
  id        BIGINT       NOT NULL AUTO_INCREMENT,
  time      DATETIME(6)  NOT NULL,
  callid    VARCHAR(80)  NOT NULL DEFAULT '',
  queuename VARCHAR(80)  NOT NULL DEFAULT '',
  agent     VARCHAR(80)  NOT NULL DEFAULT '',
  event     VARCHAR(32)  NOT NULL DEFAULT '',
  data1     VARCHAR(255) NOT NULL DEFAULT '',
  data2     VARCHAR(255) NOT NULL DEFAULT '',
  data3     VARCHAR(255) NOT NULL DEFAULT '',
  data4     VARCHAR(255) NOT NULL DEFAULT '',
  data5     VARCHAR(255) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY queue_log_time (time),
  KEY queue_log_callid (callid),
  KEY queue_log_queue_time (queuename, time),
  KEY queue_log_agent_time (agent, time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE queue_log;
DROP TABLE cdr;
DROP TABLE users;
DROP TABLE access_keys;
