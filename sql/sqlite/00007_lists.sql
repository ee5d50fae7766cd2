-- eXpand panel modules: key-value lists (simple and range), the agents'
-- pending outgoing calls, and agent forms with their entries. All DATETIME
-- values are UTC. The foreign keys rely on PRAGMA foreign_keys=1.

-- +goose Up
-- A list; type is simple or range.
CREATE TABLE lists (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT     NOT NULL UNIQUE,
  alias       TEXT     NOT NULL DEFAULT '',
  description TEXT     NOT NULL DEFAULT '',
  type        TEXT     NOT NULL,
  created_at  DATETIME NOT NULL,
  updated_at  DATETIME NOT NULL
);

-- An element of a list: entry_key alone (simple), or the range
-- entry_key..key_end of digit keys of one length (range).
CREATE TABLE list_entries (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  list_id   INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  entry_key TEXT    NOT NULL,
  key_end   TEXT    NOT NULL DEFAULT '',
  value     TEXT    NOT NULL DEFAULT '',
  UNIQUE (list_id, entry_key)
);

-- A pending outgoing call of the agents' panel. phones is a JSON array of
-- strings, links a JSON object; status is PENDING, COMPLETED or CANCELED
-- (EXPIRED is computed from expires_at, NULL when the call never expires).
CREATE TABLE outgoing_calls (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  queue_name     TEXT     NOT NULL,
  phones         TEXT     NOT NULL,
  contact        TEXT     NOT NULL DEFAULT '',
  subject        TEXT     NOT NULL DEFAULT '',
  calldate       DATETIME NOT NULL,
  expiration_sec INTEGER  NOT NULL DEFAULT 0,
  expires_at     DATETIME NULL,
  agent          TEXT     NOT NULL DEFAULT '',
  status         TEXT     NOT NULL,
  links          TEXT     NOT NULL,
  created_at     DATETIME NOT NULL,
  updated_at     DATETIME NOT NULL
);
CREATE INDEX outgoing_calls_calldate ON outgoing_calls (calldate);
CREATE INDEX outgoing_calls_queue ON outgoing_calls (queue_name, status);
CREATE INDEX outgoing_calls_agent ON outgoing_calls (agent, status);

-- An agent form.
CREATE TABLE forms (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT     NOT NULL UNIQUE,
  message    TEXT     NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);

-- A form's fields in order; options is a JSON array of strings.
CREATE TABLE form_fields (
  form_id  INTEGER NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name     TEXT    NOT NULL,
  label    TEXT    NOT NULL DEFAULT '',
  type     TEXT    NOT NULL,
  required BOOLEAN NOT NULL DEFAULT 0,
  options  TEXT    NOT NULL,
  PRIMARY KEY (form_id, position)
);

-- The queues a form is used in (names, not foreign keys).
CREATE TABLE form_queues (
  form_id    INTEGER NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
  queue_name TEXT    NOT NULL,
  PRIMARY KEY (form_id, queue_name)
);

-- A filled-in form, one per form and call; data is a JSON object of field
-- name to [{"label","value"}].
CREATE TABLE form_entries (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  oid             TEXT     NOT NULL UNIQUE,
  form_id         INTEGER  NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
  uniqueid        TEXT     NOT NULL,
  incomingcall_id INTEGER  NOT NULL DEFAULT 0,
  queue_name      TEXT     NOT NULL DEFAULT '',
  agent_number    TEXT     NOT NULL DEFAULT '',
  agent_username  TEXT     NOT NULL DEFAULT '',
  extension       TEXT     NOT NULL DEFAULT '',
  audio_filename  TEXT     NOT NULL DEFAULT '',
  call_chunk      TEXT     NOT NULL DEFAULT '',
  session_id      TEXT     NOT NULL DEFAULT '',
  data            TEXT     NOT NULL,
  created_at      DATETIME NOT NULL,
  updated_at      DATETIME NOT NULL,
  UNIQUE (form_id, uniqueid)
);
CREATE INDEX form_entries_created ON form_entries (form_id, created_at);
CREATE INDEX form_entries_incoming ON form_entries (form_id, incomingcall_id);

-- +goose Down
DROP TABLE form_entries;
DROP TABLE form_queues;
DROP TABLE form_fields;
DROP TABLE forms;
DROP TABLE outgoing_calls;
DROP TABLE list_entries;
DROP TABLE lists;
