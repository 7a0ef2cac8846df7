-- Tables mirror the ClickHouse schema (DESIGN.md §5). Dates are 'YYYY-MM-DD'
-- TEXT, which sorts like the date. Bar tables are clustered by
-- (trade_date, ts_code) because the hot reads (hot lists, market breadth) read
-- one whole day; a second index serves the per-code reads (K-lines, latest bar).

CREATE TABLE stock_basic (
    ts_code     TEXT PRIMARY KEY,
    symbol      TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    area        TEXT NOT NULL DEFAULT '',
    industry    TEXT NOT NULL DEFAULT '',
    market      TEXT NOT NULL DEFAULT '',
    exchange    TEXT NOT NULL DEFAULT '',
    list_date   TEXT,
    delist_date TEXT,
    list_status TEXT NOT NULL DEFAULT '',
    synthetic   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE daily (
    trade_date TEXT NOT NULL,
    ts_code    TEXT NOT NULL,
    open       REAL NOT NULL,
    high       REAL NOT NULL,
    low        REAL NOT NULL,
    close      REAL NOT NULL,
    pre_close  REAL NOT NULL,
    change     REAL NOT NULL,
    pct_chg    REAL NOT NULL,
    vol        REAL NOT NULL,
    amount     REAL NOT NULL,
    PRIMARY KEY (trade_date, ts_code)
) WITHOUT ROWID;
CREATE INDEX daily_code_date ON daily (ts_code, trade_date);

CREATE TABLE daily_basic (
    trade_date    TEXT NOT NULL,
    ts_code       TEXT NOT NULL,
    close         REAL,
    turnover_rate REAL,
    volume_ratio  REAL,
    pe            REAL,
    pe_ttm        REAL,
    pb            REAL,
    ps            REAL,
    dv_ratio      REAL,
    total_share   REAL,
    float_share   REAL,
    total_mv      REAL,
    circ_mv       REAL,
    PRIMARY KEY (trade_date, ts_code)
) WITHOUT ROWID;
CREATE INDEX daily_basic_code_date ON daily_basic (ts_code, trade_date);

CREATE TABLE adj_factor (
    ts_code    TEXT NOT NULL,
    trade_date TEXT NOT NULL,
    adj_factor REAL NOT NULL,
    PRIMARY KEY (ts_code, trade_date)
) WITHOUT ROWID;

CREATE TABLE etf_basic (
    ts_code     TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    index_code  TEXT NOT NULL DEFAULT '',
    index_name  TEXT NOT NULL DEFAULT '',
    exchange    TEXT NOT NULL DEFAULT '',
    mgr_name    TEXT NOT NULL DEFAULT '',
    list_date   TEXT,
    list_status TEXT NOT NULL DEFAULT '',
    synthetic   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE etf_daily (
    trade_date TEXT NOT NULL,
    ts_code    TEXT NOT NULL,
    open       REAL NOT NULL,
    high       REAL NOT NULL,
    low        REAL NOT NULL,
    close      REAL NOT NULL,
    pre_close  REAL NOT NULL,
    change     REAL NOT NULL,
    pct_chg    REAL NOT NULL,
    vol        REAL NOT NULL,
    amount     REAL NOT NULL,
    PRIMARY KEY (trade_date, ts_code)
) WITHOUT ROWID;
CREATE INDEX etf_daily_code_date ON etf_daily (ts_code, trade_date);

CREATE TABLE trade_cal (
    exchange      TEXT NOT NULL,
    cal_date      TEXT NOT NULL,
    is_open       INTEGER NOT NULL,
    pretrade_date TEXT,
    PRIMARY KEY (exchange, cal_date)
) WITHOUT ROWID;
CREATE INDEX trade_cal_open_date ON trade_cal (is_open, cal_date);

-- Deleting a workflow only marks it, as ClickHouse does; the row keeps the
-- document for audit and an id can be created again.
CREATE TABLE workflows (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL DEFAULT '',
    is_template INTEGER NOT NULL DEFAULT 0,
    doc         BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX workflows_live_updated ON workflows (deleted, updated_at);

CREATE TABLE sync_state (
    dataset    TEXT NOT NULL,
    trade_date TEXT NOT NULL,
    rows       INTEGER NOT NULL,
    synced_at  TEXT NOT NULL,
    PRIMARY KEY (dataset, trade_date)
) WITHOUT ROWID;
