-- Voice ACD: queues, agents, their memberships, pause reasons, and the log of
-- CRM push attempts. All DATETIME values are UTC.

-- +goose Up
CREATE TABLE queues (
  name               VARCHAR(128) NOT NULL,
  description        VARCHAR(255) NOT NULL DEFAULT '',
  strategy           VARCHAR(16)  NOT NULL DEFAULT '',
  ring_timeout_sec   INT          NOT NULL DEFAULT 0,
  retry_sec          INT          NOT NULL DEFAULT 0,
  wrapup_sec         INT          NOT NULL DEFAULT 0,
  service_level_sec  INT          NOT NULL DEFAULT 0,
  service_level2_sec INT          NOT NULL DEFAULT 0,
  penalty_step_sec   INT          NOT NULL DEFAULT 0,
  max_wait_sec       INT          NOT NULL DEFAULT 0,
  overflow_queue     VARCHAR(128) NOT NULL DEFAULT '',
  overflow_sound     VARCHAR(255) NOT NULL DEFAULT '',
  music_class        VARCHAR(80)  NOT NULL DEFAULT '',
  announce_sec       INT          NOT NULL DEFAULT 0,
  created_at         DATETIME(6)  NOT NULL,
  updated_at         DATETIME(6)  NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Agents; interface and logged_in_at are set while the agent is logged in.
CREATE TABLE agents (
  number       VARCHAR(32)  NOT NULL,
  username     VARCHAR(64)  NOT NULL,
  name         VARCHAR(128) NOT NULL DEFAULT '',
  email        VARCHAR(128) NOT NULL DEFAULT '',
  interface    VARCHAR(80)  NOT NULL DEFAULT '',
  logged_in_at DATETIME(6)  NULL,
  created_at   DATETIME(6)  NOT NULL,
  updated_at   DATETIME(6)  NOT NULL,
  PRIMARY KEY (number),
  UNIQUE KEY agents_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- An agent's membership of a queue, with its pause in that queue; deleting
-- the queue or the agent deletes the membership.
CREATE TABLE queue_members (
  queue_name   VARCHAR(128) NOT NULL,
  agent_number VARCHAR(32)  NOT NULL,
  penalty      INT          NOT NULL DEFAULT 0,
  position     INT          NOT NULL DEFAULT 0,
  paused       BOOLEAN      NOT NULL DEFAULT FALSE,
  pause_reason VARCHAR(128) NOT NULL DEFAULT '',
  paused_at    DATETIME(6)  NULL,
  PRIMARY KEY (queue_name, agent_number),
  KEY queue_members_agent (agent_number),
  CONSTRAINT queue_members_queue FOREIGN KEY (queue_name) REFERENCES queues (name) ON DELETE CASCADE,
  CONSTRAINT queue_members_agent FOREIGN KEY (agent_number) REFERENCES agents (number) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Pause reasons, by the DTMF code an agent dials for them.
CREATE TABLE pause_reasons (
  code VARCHAR(32)  NOT NULL,
  name VARCHAR(128) NOT NULL DEFAULT '',
  PRIMARY KEY (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Every attempt to call the CRM, with what was sent and what came back.
CREATE TABLE crm_pushes (
  id          BIGINT        NOT NULL AUTO_INCREMENT,
  method      VARCHAR(32)   NOT NULL,
  uniqueid    VARCHAR(150)  NOT NULL DEFAULT '',
  target      VARCHAR(1024) NOT NULL DEFAULT '',
  attempt     INT           NOT NULL DEFAULT 1,
  request     TEXT          NOT NULL,
  response    TEXT          NOT NULL,
  status      VARCHAR(16)   NOT NULL,
  error       TEXT          NOT NULL,
  duration_ms BIGINT        NOT NULL DEFAULT 0,
  created_at  DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  KEY crm_pushes_created (created_at),
  KEY crm_pushes_uniqueid (uniqueid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The state of each (queue, agent) pair at a moment (reports whose period
-- starts while an agent is logged in or paused).
CREATE INDEX queue_log_queue_agent_time ON queue_log (queuename, agent, time);

-- Queue names may be 128 characters (queues.name).
ALTER TABLE queue_log MODIFY queuename VARCHAR(128) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE queue_log MODIFY queuename VARCHAR(80) NOT NULL DEFAULT '';
DROP INDEX queue_log_queue_agent_time ON queue_log;
DROP TABLE crm_pushes;
DROP TABLE pause_reasons;
DROP TABLE queue_members;
DROP TABLE agents;
DROP TABLE queues;
