-- Workflow runs: the columns runs are listed and found by, and the whole run
-- as a JSON document (doc). A run is written when it starts and replaced
-- when it ends.
CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    workflow_id   TEXT NOT NULL,
    status        TEXT NOT NULL,
    model         TEXT NOT NULL DEFAULT '',
    instance      TEXT NOT NULL DEFAULT '',
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    latency_ms    INTEGER NOT NULL DEFAULT 0,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    trace_id      TEXT NOT NULL DEFAULT '',
    error_code    TEXT NOT NULL DEFAULT '',
    variables     TEXT NOT NULL DEFAULT '{}',
    doc           BLOB NOT NULL
) WITHOUT ROWID;
-- A workflow's history, newest first, without a sort.
CREATE INDEX runs_workflow ON runs (workflow_id, started_at, id);
-- The runs still marked running: few, looked up at start-up.
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';
