"""DDL of the SQLite document store: snap_*, tx_* (trades), sim_* (flows, weather), plant_imports,
doc_<name>."""

from __future__ import annotations

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS snap_headers (
        grid_id TEXT NOT NULL,
        start TEXT NOT NULL,
        production_wh INTEGER NOT NULL,
        consumption_wh INTEGER NOT NULL,
        net_wh INTEGER NOT NULL,
        surplus_wh INTEGER NOT NULL,
        deficit_wh INTEGER NOT NULL,
        export_wh INTEGER NOT NULL,
        import_wh INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (grid_id, start)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS snap_lines (
        grid_id TEXT NOT NULL,
        prosumer_id TEXT NOT NULL,
        start TEXT NOT NULL,
        produced_wh INTEGER NOT NULL,
        consumed_wh INTEGER NOT NULL,
        net_wh INTEGER NOT NULL,
        missing INTEGER NOT NULL,
        body TEXT,
        community_id TEXT,
        PRIMARY KEY (grid_id, prosumer_id, start)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS snap_lines_by_start ON snap_lines (grid_id, start)",
    """CREATE TABLE IF NOT EXISTS tx_trades (
        id TEXT PRIMARY KEY,
        grid_id TEXT NOT NULL,
        timeframe_start TEXT NOT NULL,
        line INTEGER NOT NULL,
        seller TEXT NOT NULL,
        buyer TEXT NOT NULL,
        energy_wh INTEGER NOT NULL,
        amount_minor INTEGER NOT NULL,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS tx_by_time ON tx_trades (grid_id, timeframe_start, line)",
    "CREATE INDEX IF NOT EXISTS tx_by_seller ON tx_trades (grid_id, seller, timeframe_start)",
    "CREATE INDEX IF NOT EXISTS tx_by_buyer ON tx_trades (grid_id, buyer, timeframe_start)",
    """CREATE TABLE IF NOT EXISTS sim_flows (
        grid_id TEXT NOT NULL,
        prosumer_id TEXT NOT NULL,
        start TEXT NOT NULL,
        produced_wh INTEGER NOT NULL,
        consumed_wh INTEGER NOT NULL,
        own_use_wh INTEGER NOT NULL,
        to_battery_wh INTEGER NOT NULL,
        from_battery_wh INTEGER NOT NULL,
        bought_wh INTEGER NOT NULL,
        sold_wh INTEGER NOT NULL,
        losses_wh INTEGER NOT NULL,
        stored_wh INTEGER NOT NULL,
        capacity_wh INTEGER NOT NULL,
        PRIMARY KEY (grid_id, prosumer_id, start)
    ) WITHOUT ROWID""",
    # no (grid_id, start) index: it cost a simulation 40 % of the flows' bytes and a third of
    # their write time; a timeframe's flows are read by skipping through the grid's prosumers
    "DROP INDEX IF EXISTS sim_flows_by_start",
    """CREATE TABLE IF NOT EXISTS sim_weather (
        grid_id TEXT NOT NULL,
        time TEXT NOT NULL,
        wind_speed_m_s TEXT NOT NULL,
        ghi_w_m2 TEXT NOT NULL,
        temperature_c TEXT NOT NULL,
        PRIMARY KEY (grid_id, time)
    ) WITHOUT ROWID""",
    # per prosumer and closed timeframe: its share of the plant's delivered Wh and carbon grams
    """CREATE TABLE IF NOT EXISTS plant_imports (
        grid_id TEXT NOT NULL,
        prosumer_id TEXT NOT NULL,
        start TEXT NOT NULL,
        imported_wh INTEGER NOT NULL,
        carbon_g INTEGER NOT NULL,
        PRIMARY KEY (grid_id, prosumer_id, start)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS plant_imports_by_start ON plant_imports (grid_id, start)",
    # domain events written with document changes, until the event log holds them
    """CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL
    )""",
)


# Columns added after a table was first created: (table, column, DDL adding it to an older file).
ADDED_COLUMNS = (
    ("snap_lines", "community_id", "ALTER TABLE snap_lines ADD COLUMN community_id TEXT"),
    # a trade in the clearing's shape: these columns and an empty body (see sqlite_trades)
    ("tx_trades", "currency", "ALTER TABLE tx_trades ADD COLUMN currency TEXT"),
    ("tx_trades", "unit_price", "ALTER TABLE tx_trades ADD COLUMN unit_price TEXT"),
    ("tx_trades", "kind", "ALTER TABLE tx_trades ADD COLUMN kind TEXT"),
    ("tx_trades", "order_id", "ALTER TABLE tx_trades ADD COLUMN order_id TEXT"),
)


def collection_ddl(table: str) -> str:
    """DDL of one generic collection table `doc_<name>` (name already validated)."""
    return f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, body TEXT NOT NULL)"
