-- eXpand panel modules: key-value lists (simple and range), the agents'
-- pending outgoing calls, and agent forms with their entries. All DATETIME
-- values are UTC. Names, keys, queue and agent names and uniqueids compare
-- byte for byte (utf8mb4_bin), as in SQLite; utf8mb4_bin still ignores
-- trailing spaces, so the application refuses names and keys that start
-- or end with white space.

-- +goose Up
-- A list; type is simple or range.
CREATE TABLE lists (
  id          BIGINT        NOT NULL AUTO_INCREMENT,
  name        VARCHAR(64)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  alias       VARCHAR(128)  NOT NULL DEFAULT '',
  description VARCHAR(1024) NOT NULL DEFAULT '',
  type        VARCHAR(16)   NOT NULL,
  created_at  DATETIME(6)   NOT NULL,
  updated_at  DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY lists_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- An element of a list: entry_key alone (simple), or the range
-- entry_key..key_end of digit keys of one length (range).
CREATE TABLE list_entries (
  id        BIGINT        NOT NULL AUTO_INCREMENT,
  list_id   BIGINT        NOT NULL,
  entry_key VARCHAR(128)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  key_end   VARCHAR(128)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  value     VARCHAR(1024) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  UNIQUE KEY list_entries_key (list_id, entry_key),
  CONSTRAINT list_entries_list FOREIGN KEY (list_id) REFERENCES lists (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A pending outgoing call of the agents' panel. phones is a JSON array of
-- strings, links a JSON object; status is PENDING, COMPLETED or CANCELED
-- (EXPIRED is computed from expires_at, NULL when the call never expires).
-- queue_name is not a foreign key: a call outlives a deleted queue.
CREATE TABLE outgoing_calls (
  id             BIGINT        NOT NULL AUTO_INCREMENT,
  queue_name     VARCHAR(128)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  phones         TEXT          NOT NULL,
  contact        VARCHAR(255)  NOT NULL DEFAULT '',
  subject        VARCHAR(1024) NOT NULL DEFAULT '',
  calldate       DATETIME(6)   NOT NULL,
  expiration_sec INT           NOT NULL DEFAULT 0,
  expires_at     DATETIME(6)   NULL,
  agent          VARCHAR(64)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  status         VARCHAR(16)   NOT NULL,
  links          TEXT          NOT NULL,
  created_at     DATETIME(6)   NOT NULL,
  updated_at     DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  KEY outgoing_calls_calldate (calldate),
  KEY outgoing_calls_queue (queue_name, status),
  KEY outgoing_calls_agent (agent, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- An agent form.
CREATE TABLE forms (
  id         BIGINT        NOT NULL AUTO_INCREMENT,
  name       VARCHAR(64)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  message    TEXT          NOT NULL,
  created_at DATETIME(6)   NOT NULL,
  updated_at DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY forms_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A form's fields in order; options is a JSON array of strings.
CREATE TABLE form_fields (
  form_id  BIGINT       NOT NULL,
  position INT          NOT NULL,
  name     VARCHAR(64)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  label    VARCHAR(255) NOT NULL DEFAULT '',
  type     VARCHAR(16)  NOT NULL,
  required BOOLEAN      NOT NULL DEFAULT FALSE,
  options  TEXT         NOT NULL,
  PRIMARY KEY (form_id, position),
  CONSTRAINT form_fields_form FOREIGN KEY (form_id) REFERENCES forms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The queues a form is used in (names, not foreign keys).
CREATE TABLE form_queues (
  form_id    BIGINT       NOT NULL,
  queue_name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  PRIMARY KEY (form_id, queue_name),
  CONSTRAINT form_queues_form FOREIGN KEY (form_id) REFERENCES forms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A filled-in form, one per form and call; data is a JSON object of field
-- name to [{"label","value"}].
CREATE TABLE form_entries (
  id               BIGINT       NOT NULL AUTO_INCREMENT,
  oid              CHAR(24)     NOT NULL,
  form_id          BIGINT       NOT NULL,
  uniqueid         VARCHAR(64)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  incomingcall_id  BIGINT       NOT NULL DEFAULT 0,
  queue_name       VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  agent_number     VARCHAR(32)  NOT NULL DEFAULT '',
  agent_username   VARCHAR(64)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  extension        VARCHAR(80)  NOT NULL DEFAULT '',
  audio_filename   VARCHAR(255) NOT NULL DEFAULT '',
  call_chunk       VARCHAR(128) NOT NULL DEFAULT '',
  session_id       VARCHAR(128) NOT NULL DEFAULT '',
  data             MEDIUMTEXT   NOT NULL,
  created_at       DATETIME(6)  NOT NULL,
  updated_at       DATETIME(6)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY form_entries_oid (oid),
  UNIQUE KEY form_entries_call (form_id, uniqueid),
  KEY form_entries_created (form_id, created_at),
  KEY form_entries_incoming (form_id, incomingcall_id),
  CONSTRAINT form_entries_form FOREIGN KEY (form_id) REFERENCES forms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE form_entries;
DROP TABLE form_queues;
DROP TABLE form_fields;
DROP TABLE forms;
DROP TABLE outgoing_calls;
DROP TABLE list_entries;
DROP TABLE lists;
