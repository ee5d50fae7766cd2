-- Click-to-call origination jobs (eXpand originateCall), kept so a restart
-- of Centralita does not lose their outcome.

-- +goose Up
CREATE TABLE originations (
  id           VARCHAR(32)  NOT NULL,
  src          VARCHAR(80)  NOT NULL,
  src_callerid VARCHAR(80)  NOT NULL DEFAULT '',
  dst          VARCHAR(80)  NOT NULL,
  dst_callerid VARCHAR(80)  NOT NULL DEFAULT '',
  timeout_sec  INT          NOT NULL,
  callinfo     VARCHAR(255) NOT NULL DEFAULT '',
  status       INT          NOT NULL,
  src_channel  VARCHAR(150) NOT NULL DEFAULT '',
  dst_channel  VARCHAR(150) NOT NULL DEFAULT '',
  bridge       VARCHAR(150) NOT NULL DEFAULT '',
  cause        INT          NOT NULL DEFAULT 0,
  key_id       BIGINT       NOT NULL DEFAULT 0,
  created_at   DATETIME(6)  NOT NULL,
  answered_at  DATETIME(6)  NULL,
  ended_at     DATETIME(6)  NULL,
  PRIMARY KEY (id),
  KEY originations_open (ended_at),
  KEY originations_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE originations;
