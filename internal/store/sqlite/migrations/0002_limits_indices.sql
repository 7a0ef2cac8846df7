-- Name history and exchange limit prices (the limit rule's inputs), and
-- indices. Same shapes as Tushare's namechange, stk_limit, index_basic and
-- index_daily.

-- The name in effect on a day is the row with the newest start_date on or
-- before it; the key leads with ts_code so that lookup is one index seek.
CREATE TABLE namechange (
    ts_code       TEXT NOT NULL,
    start_date    TEXT NOT NULL,
    name          TEXT NOT NULL,
    end_date      TEXT,
    ann_date      TEXT,
    change_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (ts_code, start_date, name)
) WITHOUT ROWID;
-- The order in which the name history is read (the name in effect is the
-- last row of a stock starting on or before the day), without a sort.
CREATE INDEX namechange_asof ON namechange (ts_code, start_date, ann_date, name);

-- Clustered by day like the bars, which it is joined with.
CREATE TABLE stk_limit (
    trade_date TEXT NOT NULL,
    ts_code    TEXT NOT NULL,
    pre_close  REAL,
    up_limit   REAL,
    down_limit REAL,
    PRIMARY KEY (trade_date, ts_code)
) WITHOUT ROWID;
CREATE INDEX stk_limit_code_date ON stk_limit (ts_code, trade_date);

CREATE TABLE index_basic (
    ts_code    TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    market     TEXT NOT NULL DEFAULT '',
    publisher  TEXT NOT NULL DEFAULT '',
    category   TEXT NOT NULL DEFAULT '',
    base_date  TEXT,
    base_point REAL NOT NULL DEFAULT 0,
    list_date  TEXT,
    synthetic  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE index_daily (
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
CREATE INDEX index_daily_code_date ON index_daily (ts_code, trade_date);

-- A counter per table, bumped in the transaction of every write to it, so a
-- reader can tell cheaply whether a table changed since it last looked —
-- whichever process wrote. The day reads keep stock_basic and namechange in
-- memory while their counters stand still.
CREATE TABLE data_version (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
