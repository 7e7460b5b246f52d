"""The storage edges the service layer speaks to: small Protocols, one adapter per engine.

Documents are plain dicts of JSON types. Instants are ISO 8601 UTC strings with a `Z`
(``2026-10-01T00:15:00Z``): they sort as text, so both document engines order and range them alike.
Energy is integer Wh, money integer minor units; prices are decimal strings.

Where each port lives (adapters are checked against these Protocols by mypy):
- `Stores` (what services receive as `container`): `models/bootstrap.py` `Container`.
- `UnitOfWork` and `Registry`: `models/sql/uow.py`, `models/sql/registry.py` (SQLAlchemy).
- `Reads` (hot Core reads): `models/sql/reads.py`.
- `Collection`, `Snapshots`, `Trades`, `FlowStore`, `WeatherStore`, `PlantImportStore`,
  `DocumentStores`: `models/documents/` (SQLite, pymongo).
- `Clock`: `models/services/clock.py` `utcnow`.
- `TaskQueue`: `models/queue/huey_tasks.py` (huey: SQLite file or Redis).
- `MessageBus`: `models/mqtt/bus.py` (paho-mqtt).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, TypeAlias

Doc = dict[str, Any]
ReadingLine: TypeAlias = tuple[str, int, int]  # prosumer_id, produced_wh, consumed_wh
Docs = list[Doc]  # (TransactionStore has a method named `list`)
# total(key, count): count(), or a count taken recently under the same key (list endpoints)
Totals = Callable[[Hashable, Callable[[], int]], int] | None


# ---------------------------------------------------------------------------------------------
# Records of the relational registry, as services see them (the SQL adapter's rows fit these).
# Instants are naive UTC datetimes; prices exact Decimals; energy integer Wh.


class GridRecord(Protocol):
    id: str
    name: str
    timezone: str
    timeframe_minutes: int
    currency: str
    import_price: Decimal
    feed_in_price: Decimal
    mechanism: str
    wei_per_minor_unit: Decimal
    latitude: Decimal | None
    longitude: Decimal | None
    created_at: datetime
    updated_at: datetime


class ProsumerRecord(Protocol):
    id: str
    grid_id: str
    name: str
    address: str
    kind: str
    wallet: str
    active: bool
    members: int | None
    community_id: str | None
    created_at: datetime
    updated_at: datetime


class AssetRecord(Protocol):
    """A prosumer's asset; `parameters` holds its type's fields (integers and decimal strings)."""

    id: str
    prosumer_id: str
    type: str
    name: str
    enabled: bool
    parameters: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ControlsRecord(Protocol):
    prosumer_id: str
    input_ratio: Decimal
    output_ratio: Decimal
    updated_at: datetime


class PlantRecord(Protocol):
    grid_id: str
    max_output_w: int
    status: str
    ratio: Decimal
    buffer_capacity_wh: int
    carbon_g_per_kwh: int
    updated_at: datetime


class ReadingRecord(Protocol):
    prosumer_id: str
    start: datetime
    grid_id: str
    produced_wh: int
    consumed_wh: int
    updated_at: datetime


class TimeframeRecord(Protocol):
    """A closing or closed timeframe; an open one has no record."""

    grid_id: str
    start: datetime
    status: str
    snapshot_hash: str | None
    trades_hash: str | None
    closed_at: datetime | None


class OrderRecord(Protocol):
    id: str
    grid_id: str
    prosumer_id: str
    timeframe_start: datetime
    side: str
    energy_wh: int
    limit_price: Decimal
    status: str
    filled_wh: int
    trade_ids: list[str]
    idempotency_key: str
    request_hash: str
    created_at: datetime
    updated_at: datetime


class PartnerRecord(Protocol):
    id: str
    grid_id: str
    name: str
    trust_level: int
    datapoints: int
    created_at: datetime
    updated_at: datetime


class KeyRecord(Protocol):
    id: str
    prefix: str
    secret_hash: str
    name: str
    role: str
    grid_id: str | None
    prosumer_id: str | None
    partner_id: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class DeploymentRecord(Protocol):
    chain_id: int
    address: str
    deployed_at: datetime


class Registry(Protocol):
    """The relational registry in domain words, inside one unit of work."""

    def delete(self, record: object) -> None:
        """Remove a grid or prosumer record (after the service checked it may go)."""

    # grids
    def add_grid(self, **fields: Any) -> GridRecord: ...

    def grid(self, grid_id: str) -> GridRecord | None: ...

    def grids(
        self, page: int, size: int, ids: Sequence[str] | None = None
    ) -> tuple[Sequence[GridRecord], int]: ...

    def lock_grid(self, grid_id: str) -> GridRecord | None:
        """The grid, locked until commit: serializes a grid's reading writes and closes."""

    def grid_has_dependents(self, grid_id: str) -> bool: ...

    def purge_grid(self, grid_id: str) -> None:
        """Delete the grid with its prosumers, assets, readings, timeframes, orders, keys,
        partners, webhooks, corrections and communities (`flask demo --reset`; the API never
        deletes history)."""

    def delete_partners_and_keys(self, grid_id: str) -> None: ...

    # prosumers
    def add_prosumer(self, **fields: Any) -> ProsumerRecord: ...

    def prosumer(self, prosumer_id: str) -> ProsumerRecord | None: ...

    def prosumer_ids(self, grid_id: str) -> list[str]: ...

    def prosumer_grids(self, ids: Sequence[str]) -> dict[str, tuple[str, bool]]: ...

    def members_at(self, grid_id: str, before: datetime) -> list[str]: ...

    def wallets(self, grid_id: str) -> dict[str, str]: ...

    def wallet_owner(self, grid_id: str, wallet: str) -> str | None: ...

    def count_prosumer_history(self, prosumer_id: str) -> int: ...

    # assets, controls, plant
    def add_asset(self, **fields: Any) -> AssetRecord: ...

    def asset(self, asset_id: str) -> AssetRecord | None: ...

    def assets(
        self, prosumer_id: str, page: int, size: int
    ) -> tuple[Sequence[AssetRecord], int]: ...

    def controls(self, prosumer_id: str) -> ControlsRecord | None: ...

    def add_controls(self, **fields: Any) -> ControlsRecord: ...

    def delete_assets_and_controls(self, prosumer_id: str) -> None: ...

    def plant(self, grid_id: str) -> PlantRecord | None: ...

    def add_plant(self, **fields: Any) -> PlantRecord: ...

    def delete_plant(self, grid_id: str) -> None: ...

    # what a simulation reads (active prosumers of a grid, oldest first, and theirs)
    def active_prosumers(self, grid_id: str) -> Sequence[ProsumerRecord]: ...

    def grid_assets(self, grid_id: str) -> Sequence[AssetRecord]:
        """Assets of the grid's active prosumers, by prosumer then creation."""

    def grid_controls(self, grid_id: str) -> Mapping[str, ControlsRecord]: ...

    # readings
    def readings_at(self, grid_id: str, start: datetime) -> dict[str, tuple[int, int]]: ...

    def readings_between(
        self, grid_id: str, start_from: datetime, start_to: datetime
    ) -> dict[datetime, dict[str, tuple[int, int]]]:
        """Per timeframe start in [start_from, start_to), `readings_at` (only those with any)."""

    def count_readings(self, grid_id: str, start: datetime) -> int: ...

    def upsert_readings(
        self, grid_id: str, updated_at: datetime, frames: Mapping[datetime, Sequence[ReadingLine]]
    ) -> tuple[int, int]:
        """Set-based, in the open transaction: insert each (prosumer_id, produced_wh,
        consumed_wh) line of each timeframe start that has no reading, update those whose energy
        differs (with `updated_at`), leave equal ones untouched; (inserted, updated)."""

    def readings(
        self, prosumer_id: str, start_from: datetime, start_to: datetime, page: int, size: int
    ) -> tuple[Sequence[ReadingRecord], int]: ...

    def first_reading(self, grid_id: str) -> datetime | None: ...

    # timeframes
    def begin_closing(self, grid_id: str, start: datetime) -> TimeframeRecord:
        """Record a timeframe as `closing`: its readings and orders are frozen from now on."""

    def begin_closing_many(self, grid_id: str, starts: Sequence[datetime]) -> None:
        """`begin_closing` for several timeframes at once."""

    def timeframes_between(
        self, grid_id: str, start_from: datetime, start_to: datetime
    ) -> Sequence[TimeframeRecord]:
        """Closing and closed timeframes in [start_from, start_to), oldest first."""

    def timeframe(self, grid_id: str, start: datetime) -> TimeframeRecord | None: ...

    def timeframes_with_status(
        self, grid_id: str, status: str, start_from: datetime, start_to: datetime
    ) -> list[datetime]: ...

    def last_closed(self, grid_id: str) -> datetime | None: ...

    # orders
    def add_order(self, **fields: Any) -> OrderRecord: ...

    def order(self, order_id: str) -> OrderRecord | None: ...

    def order_by_key(self, prosumer_id: str, key: str) -> OrderRecord | None: ...

    def orders_at(
        self, grid_id: str, start: datetime, status: str | None = None
    ) -> Sequence[OrderRecord]: ...

    def orders_between(
        self, grid_id: str, start_from: datetime, start_to: datetime, status: str
    ) -> Sequence[OrderRecord]:
        """Orders with `status` for timeframes in [start_from, start_to), by creation."""

    def orders(
        self, prosumer_id: str, page: int, size: int
    ) -> tuple[Sequence[OrderRecord], int]: ...

    # keys and partners
    def add_key(self, **fields: Any) -> KeyRecord: ...

    def key(self, key_id: str) -> KeyRecord | None: ...

    def keys(
        self, grid_id: str | None, page: int, size: int
    ) -> tuple[Sequence[KeyRecord], int]: ...

    def touch_key(self, key_id: str, now: datetime) -> None: ...

    def delete_keys_of(
        self, *, prosumer_id: str | None = None, partner_id: str | None = None
    ) -> None: ...

    def add_partner(self, **fields: Any) -> PartnerRecord: ...

    def partner(self, partner_id: str) -> PartnerRecord | None: ...

    def partners(
        self, grid_id: str, page: int, size: int
    ) -> tuple[Sequence[PartnerRecord], int]: ...

    def debit_datapoints(self, partner_id: str, cost: int) -> bool:
        """Atomically take `cost` datapoints; False when the balance is too low."""

    def credit_datapoints(self, partner_id: str, amount: int, maximum: int, now: datetime) -> bool:
        """Atomically add `amount` datapoints; False when the balance would exceed `maximum`."""

    # the settlement contract's deployments
    def add_deployment(self, chain_id: int, address: str, deployed_at: datetime) -> None: ...

    def deployment(self, chain_id: int) -> DeploymentRecord | None: ...


# --- communities, peaks and device commands (section owned by the communities work) ----------


class CommunityRecord(Protocol):
    """A community; `autarkic`, `peak_id` and `evaluated_start` are its demand-response state."""

    id: str
    grid_id: str
    name: str
    peak_threshold_w: int
    peak_hysteresis: Decimal
    autarkic: bool
    peak_id: str | None
    evaluated_start: datetime | None
    created_at: datetime
    updated_at: datetime


class PeakRecord(Protocol):
    id: str
    community_id: str
    grid_id: str
    started_at: datetime
    ended_at: datetime | None
    peak_w: int
    peak_at: datetime
    threshold_w: int
    created_at: datetime
    updated_at: datetime


class CommandRecord(Protocol):
    """A pause or resume of one scheduled load; `seq` grows with every command recorded."""

    seq: int
    id: str
    grid_id: str
    community_id: str
    prosumer_id: str
    asset_id: str
    peak_id: str
    action: str
    power_w: int
    timeframe: datetime
    issued_at: datetime


# (readings, produced Wh, consumed Wh, readings of members expected in the timeframe)
Sums = tuple[int, int, int, int]


class Communities(Protocol):
    """Communities, their peaks and device commands, inside one unit of work."""

    def add(self, **fields: Any) -> CommunityRecord: ...

    def get(self, community_id: str) -> CommunityRecord | None: ...

    def listing(
        self, grid_id: str, page: int, size: int
    ) -> tuple[Sequence[CommunityRecord], int]: ...

    def of_grid(self, grid_id: str) -> Sequence[CommunityRecord]:
        """Every community of the grid, by id."""

    def has_members(self, community_id: str) -> bool: ...

    def delete(self, community: CommunityRecord) -> None:
        """Remove a community without members, with its peaks."""

    def delete_of_grid(self, grid_id: str) -> None:
        """Remove a grid's communities and their peaks (the grid has no prosumers left)."""

    def membership(self, grid_id: str) -> dict[str, str]:
        """Community of each prosumer of the grid that belongs to one."""

    def communities_of(self, prosumer_ids: Sequence[str]) -> set[str]: ...

    def expected(
        self, grid_id: str, before: datetime, community_ids: Sequence[str] | None = None
    ) -> dict[str | None, int]:
        """Active prosumers registered before `before`, counted per community (None: outside)."""

    def sums_at(
        self,
        grid_id: str,
        start: datetime,
        before: datetime,
        community_ids: Sequence[str] | None = None,
    ) -> dict[str | None, Sums]:
        """One timeframe's readings summed per community of their prosumers (None: outside);
        the last count is of readings by active prosumers registered before `before`."""

    def prosumers_mark(self, grid_id: str) -> tuple[Any, ...]:
        """How many prosumers the grid has and their newest `updated_at` (every write of a
        prosumer sets it): what counts of its members depend on."""

    def fingerprint(self, grid_id: str, start: datetime) -> tuple[Any, ...]:
        """What a timeframe's per-community sums depend on, cheaply: its readings' count, newest
        change and sums, and the grid's prosumers' count and newest change (every write of a
        reading or a prosumer sets its `updated_at`)."""

    def sums_by_start(
        self, community_id: str, start_from: datetime, start_to: datetime
    ) -> dict[datetime, tuple[int, int, int]]:
        """A community's (readings, produced, consumed) per timeframe in [start_from, start_to)."""

    def member_since(self, community_id: str) -> list[datetime]:
        """When each active member of the community was registered."""

    def scheduled_loads(self, community_id: str) -> Sequence[AssetRecord]:
        """Scheduled loads of the community's active prosumers."""

    def mark_pending(self, grid_id: str, starts: Sequence[datetime], now: datetime) -> bool:
        """Mark the timeframes due for peak evaluation (in the readings' transaction) when the
        grid has communities; True when the grid had none marked before."""

    def pending(self, grid_id: str, limit: int) -> list[datetime]:
        """The grid's marked timeframes, oldest first."""

    def unmark(self, grid_id: str, start: datetime) -> None:
        """Remove a mark (its evaluation is in this unit of work)."""

    def pending_grids(self, marked_before: datetime) -> list[str]:
        """Grids with a mark older than `marked_before`."""

    def add_peak(self, **fields: Any) -> PeakRecord: ...

    def peak(self, peak_id: str) -> PeakRecord | None: ...

    def peaks(
        self, community_id: str, start_from: datetime, start_to: datetime, page: int, size: int
    ) -> tuple[Sequence[PeakRecord], int]:
        """Peaks overlapping [start_from, start_to), oldest first, and how many."""

    def add_command(self, **fields: Any) -> CommandRecord:
        """Record a command; its `seq` is assigned at once."""

    def commands(self, prosumer_id: str, after: int, limit: int) -> Sequence[CommandRecord]:
        """A prosumer's commands with seq > `after`, oldest first."""

    def paused_by(self, peak_id: str) -> dict[str, CommandRecord]:
        """The last command of each asset the peak commanded, where it is a pause."""

    def command_history(self, grid_id: str) -> Sequence[CommandRecord]:
        """Every command of the grid, by seq (what a simulation replays)."""

    def notifications(
        self, community_id: str, types: Sequence[str], after: int, limit: int
    ) -> list[tuple[int, Doc]]:
        """(event log position, {type, occurred_at, data}) of the community's aggregate events
        of these types after a position, oldest first."""


# --- events and webhooks (section owned by the events work) -----------------------------------


class EventScope(Protocol):
    """Which events a reader may see: all (admin), one grid (operator), or one prosumer's
    own events and its grid's and community's aggregates (prosumer)."""

    @property
    def grid_id(self) -> str | None: ...

    @property
    def prosumer_id(self) -> str | None: ...

    @property
    def community_id(self) -> str | None: ...


class EventLog(Protocol):
    """The ordered log of domain events; positions grow with commit order."""

    def append(self, events: Sequence[Doc]) -> int:
        """Append events not yet in the log (by id) after the newest position; how many."""

    def page(
        self, after: int, scope: EventScope, types: Sequence[str], limit: int
    ) -> list[tuple[int, Doc]]:
        """(position, event) after a position, oldest first, within the scope and types."""

    def newest(self, scope: EventScope, types: Sequence[str]) -> int:
        """The newest position within the scope and types (0: none)."""


class WebhookRecord(Protocol):
    id: str
    grid_id: str | None
    url: str
    event_types: list[str]
    active: bool
    secret: str
    cursor: int
    created_at: datetime
    updated_at: datetime


class DeliveryRecord(Protocol):
    id: str
    webhook_id: str
    event_position: int
    event_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    lease_until: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


class Webhooks(Protocol):
    """Webhook subscriptions and their deliveries, inside one unit of work."""

    def add(self, **fields: Any) -> WebhookRecord: ...

    def get(self, webhook_id: str) -> WebhookRecord | None: ...

    def listing(
        self, grid_id: str | None, page: int, size: int
    ) -> tuple[Sequence[WebhookRecord], int]: ...

    def active(self) -> Sequence[WebhookRecord]:
        """Active subscriptions, locked for fan-out until commit."""

    def delete(self, webhook: WebhookRecord) -> None:
        """Remove a subscription and its deliveries."""

    def add_deliveries(self, rows: list[dict[str, Any]]) -> None: ...

    def delivery(self, delivery_id: str) -> DeliveryRecord | None: ...

    def deliveries(
        self, webhook_id: str, page: int, size: int
    ) -> tuple[Sequence[DeliveryRecord], int]: ...

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DeliveryRecord]:
        """Pending deliveries due by `now` and not leased, leased until `lease_until`."""

    def record_attempts(self, rows: list[dict[str, Any]]) -> None:
        """Set each delivery's fields (`id` names it; deleted ones are skipped)."""

    def events_by_position(self, positions: Sequence[int]) -> dict[int, Doc]: ...


class WebhookRefused(ValueError):
    """A webhook URL that deliveries may not reach (scheme, private address, ...)."""


class Outbound(Protocol):
    """Signed webhook requests to subscribers (Standard Webhooks), with outbound safety."""

    def check_url(self, url: str) -> None:
        """WebhookRefused unless `url` is http(s) to a host deliveries may reach."""

    def post(self, url: str, secret: str, msg_id: str, body: str) -> tuple[int | None, str | None]:
        """POST a signed body within the timeout, no redirects: (status code, error)."""


# --- corrections of closed timeframes (section owned by the corrections work) ---------------


class CorrectionRecord(Protocol):
    """A correction: `applying` until its version and adjustments are stored, then `applied`;
    `readings` are its lines ({prosumer_id, produced_wh, consumed_wh})."""

    id: str
    grid_id: str
    timeframe_start: datetime
    version: int
    status: str
    reason: str
    readings: list[dict[str, Any]]
    idempotency_key: str
    request_hash: str
    created_by: str
    created_role: str
    created_at: datetime
    applied_at: datetime | None
    snapshot_hash: str | None
    previous_hash: str | None


class Corrections(Protocol):
    """Correction records, inside one unit of work."""

    def add(self, **fields: Any) -> CorrectionRecord: ...

    def get(self, correction_id: str) -> CorrectionRecord | None: ...

    def by_key(self, grid_id: str, key: str) -> CorrectionRecord | None: ...

    def of_timeframe(self, grid_id: str, start: datetime) -> Sequence[CorrectionRecord]:
        """A timeframe's corrections by version."""

    def unfinished(self, grid_id: str) -> Sequence[CorrectionRecord]:
        """A grid's corrections not yet applied (a crash stopped them), oldest first."""

    def applied_ids(self, grid_id: str, ids: Sequence[str]) -> set[str]:
        """Which of these corrections are applied."""


class UnitOfWork(Protocol):
    """`with uow:` opens one transaction; `commit()` makes it durable, leaving rolls it back."""

    @property
    def registry(self) -> Registry: ...

    @property
    def events(self) -> EventLog:
        """The event log, written in this unit of work's transaction (the SQL outbox)."""

    @property
    def webhooks(self) -> Webhooks: ...

    @property
    def corrections(self) -> Corrections: ...

    @property
    def communities(self) -> Communities: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


# The fields of a `Reads.prosumer_page` row, in order (plain tuples, instants as stored).
PROSUMER_PAGE_FIELDS = (
    "id",
    "grid_id",
    "name",
    "address",
    "kind",
    "wallet",
    "active",
    "members",
    "created_at",
    "updated_at",
    "community_id",
)


class Reads(Protocol):
    """Hot reads outside a unit of work: each read sees its own snapshot (rows, not records)."""

    def key_by_prefix(self, prefix: str) -> KeyRecord | None: ...

    def prosumer(self, prosumer_id: str) -> ProsumerRecord | None:
        """The prosumer's row (a tuple of its columns, also readable by attribute), or None."""

    def grid_exists(self, grid_id: str) -> bool: ...

    def count_prosumers(self, grid_id: str, **filters: Any) -> int:
        """How many of a grid's prosumers match the filters (kind, active, name_prefix)."""

    def prosumer_page(self, grid_id: str, page: int, size: int, **filters: Any) -> list[Any]:
        """One page of rows by name, then id; instants may be stored text (see `as_record`)."""


class Clock(Protocol):
    """Now, as naive UTC to the microsecond (the system clock is `models.services.clock`)."""

    def __call__(self) -> datetime: ...


class TaskQueue(Protocol):
    """Background work for worker processes: a named task (`models.services.tasks`) with JSON
    keyword arguments, run at least once (retried after a failure or a killed worker)."""

    def enqueue(self, task: str, delay_s: float = 0.0, **kwargs: Any) -> None:
        """Queue `task(container, **kwargs)`, to start no sooner than `delay_s` from now."""


class MessageBus(Protocol):
    """The MQTT broker as services see it: retained device commands out, simulated meters."""

    def publish(self, topic: str, payload: Doc, retain: bool = False) -> None:
        """Publish `payload` as JSON at QoS 1; returns once the broker has it."""

    def publish_many(self, messages: Sequence[tuple[str, Doc]]) -> None:
        """Publish (topic, payload) pairs at QoS 1, not retained; returns once the broker has
        them all (ConnectionError if it does not take them in time)."""


class Stores(Protocol):
    """Every store of one process, as services receive it (`container`)."""

    @property
    def config(self) -> Mapping[str, Any]:
        """The validated settings (api/config.py)."""

    def uow(self, write: bool = True) -> UnitOfWork:
        """A unit of work; read-only ones never take SQLite's write lock."""

    def reading(self) -> AbstractContextManager[Reads]:
        """Hot reads for the length of the `with` block."""

    @property
    def documents(self) -> DocumentStores: ...

    @property
    def chain(self) -> Ledger:
        """The chain client (settlement's `Ledger` port)."""

    @property
    def tasks(self) -> TaskQueue:
        """The task queue that runs background work in a worker process (`flask worker`)."""

    @property
    def outbound(self) -> Outbound:
        """Webhook requests to subscribers."""

    @property
    def bus(self) -> MessageBus | None:
        """The MQTT broker on MQTT_URL (device commands out), None when none is configured."""


# The document stores under the names the architecture uses.
Snapshots: TypeAlias = "SnapshotStore"
Trades: TypeAlias = "TransactionStore"


class Collection(Protocol):
    """A keyed document collection with equality queries (settlement state, small volumes)."""

    def get(self, key: str) -> Doc | None: ...

    def put(self, key: str, doc: Doc, events: Sequence[Doc] = ()) -> None:
        """Insert or replace the document stored under `key` (with its outbox `events`)."""

    def put_many(self, docs: Mapping[str, Doc], events: Mapping[str, Sequence[Doc]] = {}) -> None:  # noqa: B006
        """Insert or replace many documents in one round trip; `events[key]` are written to
        the outbox in the same store step as the document stored under `key`."""

    def insert_if_absent(self, key: str, doc: Doc) -> Doc:
        """Store `doc` unless `key` exists; return what is stored under `key` afterwards."""

    def update(
        self, key: str, changes: Doc, expect: Doc | None = None, events: Sequence[Doc] = ()
    ) -> bool:
        """Set top-level fields of `key`; only when every `expect` field equals. True if applied;
        `events` go to the outbox in the same store step, and only if it applied."""

    def find(
        self,
        where: Mapping[str, Any] | None = None,
        sort: list[tuple[str, int]] | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[Doc]:
        """Documents whose top-level fields equal `where`, sorted by (field, 1|-1) pairs."""

    def count(self, where: Mapping[str, Any] | None = None) -> int: ...

    def delete_many(self, where: Mapping[str, Any]) -> int:
        """Remove the documents whose top-level fields equal `where`; how many."""


class SnapshotStore(Protocol):
    """Immutable grid snapshots, one per closed (grid, timeframe)."""

    def save(self, snapshot: Doc) -> Doc:
        """Store a snapshot unless one exists for (grid_id, start); return the stored one."""

    def save_many(self, snapshots: Sequence[Doc]) -> list[Doc]:
        """`save` for each snapshot, in as few store round trips as the engine allows."""

    def delete_grid(self, grid_id: str) -> None:
        """Remove every snapshot of the grid (`flask demo --reset` only: they are immutable)."""

    def get(self, grid_id: str, start: str) -> Doc | None:
        """The full snapshot with its per-prosumer `lines`, or None."""

    def list_totals(
        self, grid_id: str, start_from: str, start_to: str, skip: int, limit: int
    ) -> tuple[list[Doc], int]:
        """Snapshots without lines, `start_from <= start < start_to`, oldest first; the total."""

    def netto(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        skip: int,
        limit: int,
        community_id: str | None = None,
    ) -> tuple[list[Doc], int, Doc]:
        """Per-prosumer sums over the range (by prosumer_id), the prosumer count, grid totals.

        With `community_id`: only lines naming that community (its members at each close), and
        instead of grid totals its {produced_wh, consumed_wh, net_wh, timeframes}."""


class TransactionStore(Protocol):
    """Trades produced by clearing; ids are deterministic (grid, timeframe, line)."""

    def save_timeframe(self, grid_id: str, start: str, trades: Iterable[Doc]) -> None:
        """Write a timeframe's trades idempotently: same ids, same content, never duplicates."""

    def save_timeframes(self, grid_id: str, trades: Mapping[str, Iterable[Doc]]) -> None:
        """`save_timeframe` for several timeframes (trades by timeframe start) at once."""

    def delete_grid(self, grid_id: str) -> None:
        """Remove every trade of the grid (`flask demo --reset` only)."""

    def timeframe(self, grid_id: str, start: str) -> list[Doc]:
        """All trades of one timeframe in line order."""

    def list(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
        skip: int,
        limit: int,
    ) -> tuple[list[Doc], int]:
        """Trades in range, newest timeframe first then line; `party` is seller or buyer."""

    def page(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
        skip: int,
        limit: int,
    ) -> Docs:
        """`list` without its count."""

    def count(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
    ) -> int:
        """How many trades `list` pages through."""

    def party_sums(self, grid_id: str, start_from: str, start_to: str, party: str) -> Doc:
        """{sold_wh, bought_wh, received_minor, paid_minor, trades} of one party over the range."""

    def all_party_sums(self, grid_id: str, start_from: str, start_to: str) -> dict[str, Doc]:
        """The same sums for every party that traded in the range."""

    def per_timeframe(self, grid_id: str, start_from: str, start_to: str, party: str) -> Docs:
        """{start, received_minor, paid_minor} per timeframe of one party, oldest first."""


class FlowStore(Protocol):
    """Simulated energy flows, one document per (grid, prosumer, timeframe), integer Wh."""

    def upsert(self, docs: Iterable[Doc]) -> None:
        """Insert or replace documents keyed by (grid_id, prosumer_id, start)."""

    def upsert_rows(self, rows: Iterable[Sequence[str | int]]) -> None:
        """The same for plain rows in bulk: each row FLOW_KEY then FLOW_FIELDS values, in the
        order of `models/documents/shapes.py` (ints only; TypeError otherwise, nothing written
        of its batch)."""

    def delete_grid(self, grid_id: str) -> None:
        """Remove every flow of the grid."""

    def at(self, grid_id: str, start: str) -> dict[str, Doc]:
        """One timeframe's flows by prosumer_id."""

    def of_prosumer(
        self, grid_id: str, prosumer_id: str, start_from: str, start_to: str, skip: int, limit: int
    ) -> tuple[Docs, int]:
        """A prosumer's flows with `start_from <= start < start_to`, oldest first; the total."""


class PlantImportStore(Protocol):
    """Per prosumer and closed timeframe: its share of the plant's delivered Wh and carbon grams."""

    def save_timeframe(self, grid_id: str, start: str, rows: Mapping[str, tuple[int, int]]) -> None:
        """Make `rows` {prosumer_id: (imported_wh, carbon_g)} the timeframe's rows, idempotently."""

    def save_timeframes(
        self, grid_id: str, rows: Mapping[str, Mapping[str, tuple[int, int]]]
    ) -> None:
        """`save_timeframe` for several timeframes (rows by timeframe start) at once."""

    def delete_grid(self, grid_id: str) -> None:
        """Remove every row of the grid (`flask demo --reset`)."""

    def sums(self, grid_id: str, prosumer_id: str, start_from: str, start_to: str) -> Doc:
        """{imported_wh, carbon_g, timeframes} of a prosumer, `start_from <= start < start_to`."""


class WeatherStore(Protocol):
    """A grid's measured weather series: rows {time, wind_speed_m_s, ghi_w_m2, temperature_c}."""

    def replace(self, grid_id: str, rows: Sequence[Doc]) -> None:
        """Make `rows` the grid's whole series (idempotent)."""

    def series(self, grid_id: str, start_from: str = "", start_to: str = "~") -> Docs:
        """Rows with `start_from <= time < start_to`, by time."""


class Outbox(Protocol):
    """Domain events written with document changes, waiting to be appended to the event log."""

    def pending(self, limit: int) -> Docs:
        """Up to `limit` waiting events, oldest first."""

    def remove(self, ids: Sequence[str]) -> None:
        """Forget events the event log now holds."""


class DocumentStores(Protocol):
    """Everything the document engine holds, opened from one URL."""

    snapshots: SnapshotStore
    transactions: TransactionStore
    flows: FlowStore
    weather: WeatherStore
    outbox: Outbox
    plant_imports: PlantImportStore

    def collection(self, name: str) -> Collection: ...

    def ping(self, timeout_s: float) -> None:
        """Raise if the engine does not answer within the timeout."""

    def close(self) -> None: ...


# --- Ledger: the settlement chain (section owned by the settlement work) ------------------------
# Amounts are wei (int), ids and hashes 0x-hex text or 32-byte `bytes` (period ids, roots, grid
# keys), addresses 0x-hex text. A receipt is the node's mapping: blockNumber, blockHash (bytes or
# 0x text), gasUsed, status. The adapter is ledger/ (`ledger.chain.Chain`).


class LedgerError(Exception):
    """A chain operation failed: reverted, rejected, mismatched or timed out."""


class LedgerUnavailable(LedgerError):
    """The node could not be reached."""


class LedgerTimeout(LedgerError):
    """A transaction was not mined in time; its outcome is still unknown."""


class LedgerReverted(LedgerError):
    """A call or mined transaction reverted; `reason` is the revert message if the node gave one."""

    def __init__(self, message: str, reason: str | None = None, tx_hash: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.tx_hash = tx_hash


Receipt = Mapping[str, Any]


class RawTx(Protocol):
    """A signed transaction: broadcast `raw`; `tx_hash` is known before it is sent."""

    @property
    def raw(self) -> str: ...

    @property
    def tx_hash(self) -> str: ...


class SignedTx(RawTx, Protocol):
    """An operator transaction signed locally with an explicit nonce (record it, then send)."""

    @property
    def nonce(self) -> int: ...


class Nonces(Protocol):
    """Hands out the operator's next nonces."""

    def next(self) -> int: ...


class Ledger(Protocol):
    """The operator's view of the chain and of the Settlement contract on it."""

    tx_wait_s: float  # how long to wait for a transaction to be mined

    @property
    def chain_id(self) -> int: ...

    @property
    def operator(self) -> str: ...

    # node: health, accounts, sending and receipts
    def ping(self) -> int:
        """The latest block number; LedgerUnavailable if the node does not answer."""

    def has_code(self, address: str) -> bool: ...

    def balance(self, address: str) -> int: ...

    def nonce_manager(self) -> Nonces:
        """Nonces from the operator's pending transaction count."""

    def operator_nonce_latest(self) -> int:
        """The operator's mined transaction count (nonces below it are used up)."""

    def send_raw(self, raw: str) -> str:
        """Broadcast a signed tx (already known counts as sent); its hash."""

    def receipt_or_none(self, tx_hash: str) -> Receipt | None: ...

    def wait_receipt(self, tx_hash: str, timeout_s: float | None = None) -> Receipt:
        """The receipt; LedgerTimeout if not mined in time, LedgerReverted if it reverted."""

    def replacement(self, raw: str) -> SignedTx | None:
        """The tx re-signed with higher fees if a fee spike priced it out, else None."""

    # the Settlement contract
    def deploy(self) -> str:
        """Deploy the contract with the operator as owner; its address."""

    def post_root(
        self,
        address: str,
        period_id: bytes,
        root: bytes,
        count: int,
        wei_per_minor: int,
        nonce: int,
        gas: int | None = None,
    ) -> SignedTx:
        """Sign (not send) posting a period's root, item count and rate."""

    def pay_credits(
        self,
        address: str,
        period_id: bytes,
        items: list[tuple[int, str, int]],
        nonce: int,
        gas: int | None = None,
    ) -> SignedTx:
        """Sign (not send) paying (index, account, wei) credits."""

    def settled_bits(
        self, address: str, period_id: bytes, indices: Iterable[int]
    ) -> dict[int, bool]:
        """Which of a period's items the contract marks settled."""

    def period_state(self, address: str, period_id: bytes) -> dict[str, Any]:
        """{root, count, wei_per_minor, posted} as stored for a period."""

    def deferred(self, address: str, period_id: bytes, from_block: int = 0) -> dict[int, int]:
        """{index: wei} of credits the contract could not push and owes."""

    def owed(self, address: str, account: str) -> int:
        """Wei the contract holds for `account`."""

    def debit_call(
        self,
        address: str,
        grid_key: bytes,
        period_number: int,
        index: int,
        account: str,
        amount_minor: int,
        wei_per_minor: int,
        proof: list[bytes],
    ) -> dict[str, Any]:
        """The pay_debit call a prosumer signs: {from, to, data, value, chain_id}."""

    def check_debit_tx(self, raw_signed_tx: str, expected: Mapping[str, Any]) -> RawTx:
        """Decode a prosumer-signed payment; LedgerError unless it matches `expected`."""
