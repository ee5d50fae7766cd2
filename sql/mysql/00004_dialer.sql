-- Outbound dialer: campaigns, their contacts with a state log and dial
-- attempts, the do-not-call list, and dispositions (configured and given).
-- All DATETIME values are UTC.

-- +goose Up
-- A campaign; windows and retries are JSON ([]CallWindow, map of outcome to
-- RetryRule). queue_name is not a foreign key: a campaign outlives a queue
-- that is deleted and recreated.
CREATE TABLE campaigns (
  id                BIGINT       NOT NULL AUTO_INCREMENT,
  name              VARCHAR(128) NOT NULL,
  mode              VARCHAR(16)  NOT NULL DEFAULT '',
  state             VARCHAR(16)  NOT NULL DEFAULT '',
  queue_name        VARCHAR(128) NOT NULL DEFAULT '',
  callerid          VARCHAR(80)  NOT NULL DEFAULT '',
  max_lines         INT          NOT NULL DEFAULT 0,
  ring_timeout_sec  INT          NOT NULL DEFAULT 0,
  power_ratio       DOUBLE       NOT NULL DEFAULT 0,
  abandon_limit_pct DOUBLE       NOT NULL DEFAULT 0,
  time_zone         VARCHAR(64)  NOT NULL DEFAULT '',
  windows           TEXT         NOT NULL,
  retries           TEXT         NOT NULL,
  abandon_message   VARCHAR(255) NOT NULL DEFAULT '',
  created_at        DATETIME(6)  NOT NULL,
  updated_at        DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY campaigns_name (name),
  KEY campaigns_state (state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A contact of a campaign's base. info is a JSON object ('{}' when empty),
-- alternates the alternate numbers joined by ':'. dial_number is the number
-- being dialled now (number, or alternate alt_index), kept by the store so a
-- claim can refuse a number that is already in flight.
CREATE TABLE contacts (
  id              BIGINT       NOT NULL AUTO_INCREMENT,
  campaign_id     BIGINT       NOT NULL,
  number          VARCHAR(40)  NOT NULL,
  dial_number     VARCHAR(40)  NOT NULL,
  name            VARCHAR(128) NOT NULL DEFAULT '',
  data            TEXT         NOT NULL,
  info            TEXT         NOT NULL,
  alternates      TEXT         NOT NULL,
  alt_index       INT          NOT NULL DEFAULT 0,
  priority        INT          NOT NULL DEFAULT 0,
  time_zone       VARCHAR(64)  NOT NULL DEFAULT '',
  agent           VARCHAR(80)  NOT NULL DEFAULT '',
  base            VARCHAR(255) NOT NULL DEFAULT '',
  enabled         BOOLEAN      NOT NULL DEFAULT TRUE,
  state           VARCHAR(16)  NOT NULL,
  attempts        INT          NOT NULL DEFAULT 0,
  next_at         DATETIME(6)  NULL,
  last_attempt_at DATETIME(6)  NULL,
  last_outcome    VARCHAR(16)  NOT NULL DEFAULT '',
  state_at        DATETIME(6)  NOT NULL,
  added_at        DATETIME(6)  NOT NULL,
  in_flight       BOOLEAN      NOT NULL DEFAULT FALSE,
  PRIMARY KEY (id),
  KEY contacts_claim (campaign_id, state, enabled, in_flight, priority, next_at),
  KEY contacts_number (campaign_id, number),
  KEY contacts_dial_number (campaign_id, dial_number, in_flight),
  KEY contacts_state_at (campaign_id, state_at),
  KEY contacts_added_at (campaign_id, added_at),
  KEY contacts_in_flight (in_flight),
  CONSTRAINT contacts_campaign FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A contact's state log.
CREATE TABLE contact_log (
  id         BIGINT       NOT NULL AUTO_INCREMENT,
  contact_id BIGINT       NOT NULL,
  time       DATETIME(6)  NOT NULL,
  transition VARCHAR(255) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY contact_log_contact_time (contact_id, time),
  CONSTRAINT contact_log_contact FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A dial attempt of a contact; ended_at NULL while it is under way.
CREATE TABLE attempts (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  contact_id  BIGINT       NOT NULL,
  campaign_id BIGINT       NOT NULL,
  number      VARCHAR(40)  NOT NULL,
  call_id     VARCHAR(150) NOT NULL DEFAULT '',
  agent       VARCHAR(80)  NOT NULL DEFAULT '',
  started_at  DATETIME(6)  NOT NULL,
  answered_at DATETIME(6)  NULL,
  ended_at    DATETIME(6)  NULL,
  outcome     VARCHAR(16)  NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY attempts_contact (contact_id),
  KEY attempts_ended (ended_at),
  KEY attempts_call (call_id),
  CONSTRAINT attempts_contact FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The do-not-call list; campaign is a campaign name or '*' for all.
CREATE TABLE blacklist (
  id         BIGINT       NOT NULL AUTO_INCREMENT,
  phone      VARCHAR(40)  NOT NULL,
  campaign   VARCHAR(128) NOT NULL,
  username   VARCHAR(80)  NOT NULL DEFAULT '',
  company    VARCHAR(128) NOT NULL DEFAULT '',
  job_title  VARCHAR(128) NOT NULL DEFAULT '',
  name       VARCHAR(128) NOT NULL DEFAULT '',
  created_at DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY blacklist_campaign_phone (campaign, phone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The dispositions configured per campaign (tipificaciones), by campaign
-- name; l2 and l3 are '' when the disposition has fewer levels.
CREATE TABLE dispositions (
  campaign        VARCHAR(128) NOT NULL,
  l1              VARCHAR(128) NOT NULL,
  l2              VARCHAR(128) NOT NULL DEFAULT '',
  l3              VARCHAR(128) NOT NULL DEFAULT '',
  action          VARCHAR(32)  NOT NULL DEFAULT '',
  completes       BOOLEAN      NOT NULL DEFAULT FALSE,
  txtcode         VARCHAR(64)  NOT NULL DEFAULT '',
  retry_delay_sec INT          NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign, l1, l2, l3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The dispositions agents gave calls (Integra api/DispositionCall).
CREATE TABLE call_dispositions (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  campaign         VARCHAR(128) NOT NULL,
  agent            VARCHAR(80)  NOT NULL,
  callerid         VARCHAR(80)  NOT NULL DEFAULT '',
  guid             VARCHAR(150) NOT NULL DEFAULT '',
  l1               VARCHAR(128) NOT NULL DEFAULT '',
  l2               VARCHAR(128) NOT NULL DEFAULT '',
  l3               VARCHAR(128) NOT NULL DEFAULT '',
  d1               VARCHAR(255) NOT NULL DEFAULT '',
  d2               VARCHAR(255) NOT NULL DEFAULT '',
  comment          TEXT         NOT NULL,
  schedule         DATETIME(6)  NULL,
  camptoreschedule VARCHAR(128) NOT NULL DEFAULT '',
  tag              VARCHAR(255) NOT NULL DEFAULT '',
  created_at       DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  KEY call_dispositions_guid (guid),
  KEY call_dispositions_campaign_created (campaign, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE call_dispositions;
DROP TABLE dispositions;
DROP TABLE blacklist;
DROP TABLE attempts;
DROP TABLE contact_log;
DROP TABLE contacts;
DROP TABLE campaigns;
