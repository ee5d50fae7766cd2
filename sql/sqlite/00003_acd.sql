-- Voice ACD: queues, agents, their memberships, pause reasons, and the log of
-- CRM push attempts. All DATETIME values are UTC. The foreign keys rely on
-- PRAGMA foreign_keys=1, which store sets on every connection.

-- +goose Up
CREATE TABLE queues (
  name               TEXT     NOT NULL PRIMARY KEY,
  description        TEXT     NOT NULL DEFAULT '',
  strategy           TEXT     NOT NULL DEFAULT '',
  ring_timeout_sec   INTEGER  NOT NULL DEFAULT 0,
  retry_sec          INTEGER  NOT NULL DEFAULT 0,
  wrapup_sec         INTEGER  NOT NULL DEFAULT 0,
  service_level_sec  INTEGER  NOT NULL DEFAULT 0,
  service_level2_sec INTEGER  NOT NULL DEFAULT 0,
  penalty_step_sec   INTEGER  NOT NULL DEFAULT 0,
  max_wait_sec       INTEGER  NOT NULL DEFAULT 0,
  overflow_queue     TEXT     NOT NULL DEFAULT '',
  overflow_sound     TEXT     NOT NULL DEFAULT '',
  music_class        TEXT     NOT NULL DEFAULT '',
  announce_sec       INTEGER  NOT NULL DEFAULT 0,
  created_at         DATETIME NOT NULL,
  updated_at         DATETIME NOT NULL
);

-- Agents; interface and logged_in_at are set while the agent is logged in.
CREATE TABLE agents (
  number       TEXT     NOT NULL PRIMARY KEY,
  username     TEXT     NOT NULL UNIQUE,
  name         TEXT     NOT NULL DEFAULT '',
  email        TEXT     NOT NULL DEFAULT '',
  interface    TEXT     NOT NULL DEFAULT '',
  logged_in_at DATETIME NULL,
  created_at   DATETIME NOT NULL,
  updated_at   DATETIME NOT NULL
);

-- An agent's membership of a queue, with its pause in that queue; deleting
-- the queue or the agent deletes the membership.
CREATE TABLE queue_members (
  queue_name   TEXT     NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
  agent_number TEXT     NOT NULL REFERENCES agents (number) ON DELETE CASCADE,
  penalty      INTEGER  NOT NULL DEFAULT 0,
  position     INTEGER  NOT NULL DEFAULT 0,
  paused       BOOLEAN  NOT NULL DEFAULT 0,
  pause_reason TEXT     NOT NULL DEFAULT '',
  paused_at    DATETIME NULL,
  PRIMARY KEY (queue_name, agent_number)
);
CREATE INDEX queue_members_agent ON queue_members (agent_number);

-- Pause reasons, by the DTMF code an agent dials for them.
CREATE TABLE pause_reasons (
  code TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL DEFAULT ''
);

-- Every attempt to call the CRM, with what was sent and what came back.
CREATE TABLE crm_pushes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  method      TEXT     NOT NULL,
  uniqueid    TEXT     NOT NULL DEFAULT '',
  target      TEXT     NOT NULL DEFAULT '',
  attempt     INTEGER  NOT NULL DEFAULT 1,
  request     TEXT     NOT NULL DEFAULT '',
  response    TEXT     NOT NULL DEFAULT '',
  status      TEXT     NOT NULL,
  error       TEXT     NOT NULL DEFAULT '',
  duration_ms INTEGER  NOT NULL DEFAULT 0,
  created_at  DATETIME NOT NULL
);
CREATE INDEX crm_pushes_created ON crm_pushes (created_at);
CREATE INDEX crm_pushes_uniqueid ON crm_pushes (uniqueid);

-- The state of each (queue, agent) pair at a moment (reports whose period
-- starts while an agent is logged in or paused).
CREATE INDEX queue_log_queue_agent_time ON queue_log (queuename, agent, time);

-- +goose Down
DROP INDEX queue_log_queue_agent_time;
DROP TABLE crm_pushes;
DROP TABLE pause_reasons;
DROP TABLE queue_members;
DROP TABLE agents;
DROP TABLE queues;
