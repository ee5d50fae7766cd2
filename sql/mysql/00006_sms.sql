-- SMS: the persistent send queue (spool; rows stay as the sent archive), the
-- provider ids of each message's parts, the scheduler table of
-- rest-integra.md §9.4 and received messages.

-- +goose Up
CREATE TABLE sms_spool (
  id           BIGINT        NOT NULL AUTO_INCREMENT,
  batch_id     BIGINT        NOT NULL DEFAULT 0,
  direction    VARCHAR(3)    NOT NULL DEFAULT 'out',
  msg_id       VARCHAR(64)   NOT NULL DEFAULT '',
  recipient    VARCHAR(32)   NOT NULL,
  sender       VARCHAR(32)   NOT NULL DEFAULT '',
  text         TEXT          NOT NULL,
  status       VARCHAR(16)   NOT NULL,
  delivery     VARCHAR(16)   NOT NULL DEFAULT '',
  delivered_at DATETIME(6)   NULL,
  parts        INT           NOT NULL DEFAULT 0,
  attempts     INT           NOT NULL DEFAULT 0,
  next_at      DATETIME(6)   NULL,
  priority     INT           NOT NULL,
  campaign     VARCHAR(255)  NOT NULL DEFAULT '',
  agent        VARCHAR(80)   NOT NULL DEFAULT '',
  base         VARCHAR(255)  NOT NULL DEFAULT '',
  error        VARCHAR(500)  NOT NULL DEFAULT '',
  claimed_by   VARCHAR(64)   NOT NULL DEFAULT '',
  claimed_at   DATETIME(6)   NULL,
  created_at   DATETIME(6)   NOT NULL,
  updated_at   DATETIME(6)   NOT NULL,
  sent_at      DATETIME(6)   NULL,
  PRIMARY KEY (id),
  KEY sms_spool_due (status, claimed_by, priority, created_at),
  KEY sms_spool_batch (batch_id),
  KEY sms_spool_base (base, status),
  KEY sms_spool_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE sms_parts (
  sms_id       BIGINT       NOT NULL,
  seq          INT          NOT NULL,
  provider_id  VARCHAR(100) COLLATE utf8mb4_bin NOT NULL, -- SMSC ids are case-sensitive, as on SQLite
  delivery     VARCHAR(16)  NOT NULL DEFAULT '',
  delivered_at DATETIME(6)  NULL,
  PRIMARY KEY (sms_id, seq),
  KEY sms_parts_provider (provider_id),
  CONSTRAINT sms_parts_sms FOREIGN KEY (sms_id) REFERENCES sms_spool (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE sms_scheduler (
  id            BIGINT       NOT NULL AUTO_INCREMENT,
  calldate      DATETIME(6)  NOT NULL,
  campaign      VARCHAR(255) NOT NULL DEFAULT '',
  destination   VARCHAR(32)  NOT NULL,
  message       TEXT         NOT NULL,
  data          VARCHAR(1000) NOT NULL DEFAULT '',
  source        VARCHAR(32)  NOT NULL DEFAULT '',
  agent         VARCHAR(80)  NOT NULL DEFAULT '',
  spooled_id    BIGINT       NOT NULL DEFAULT 0,
  dateprocessed DATETIME(6)  NULL,
  created_at    DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  KEY sms_scheduler_due (dateprocessed, calldate)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE sms_inbound (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  sender      VARCHAR(32)  NOT NULL DEFAULT '',
  recipient   VARCHAR(32)  NOT NULL DEFAULT '',
  text        TEXT         NOT NULL,
  provider_id VARCHAR(100) NOT NULL DEFAULT '',
  created_at  DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  KEY sms_inbound_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE sms_inbound;
DROP TABLE sms_scheduler;
DROP TABLE sms_parts;
DROP TABLE sms_spool;
