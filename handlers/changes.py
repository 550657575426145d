"""What changed between two data versions: new TIC months, a new IIP quarter, the 10-year yield and
the mortgage rate week over week, and revisions to history.

Pure: two `Datasets` in, one frozen `Changes` out. A briefing compares the version it is about to
send with the one the channel last received; `reset-bot data refresh` compares each new version
with the previous one (stored with the version, shown by `/reset sources`). Resources that only
refreshed versions carry (``market_rates``, ``iip_quarterly_fred``) are optional everywhere.

A *revision* is an observation present in both versions (same period and key) whose value moved by
more than `REVISION_REL_TOL` of its old value. New periods are never revisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from handlers.datasets import Datasets
from handlers.formatting import bp, figure, month, rate_pct, usd_bn_exact, usd_tn
from metrics.holdings import NON_COUNTRY_LABELS, TIC_TOTAL

#: Relative change below which a value counts as unchanged (0.01%: a $0.1bn revision of the
#: $9.3T TIC total is noise, TIC's $3.8bn revision of Dec 2025 is not).
REVISION_REL_TOL = 1e-4
#: Holder labels in treasury_holdings that are totals or memo lines, not holders.
TIC_AGGREGATES = NON_COUNTRY_LABELS
RATE_LABELS = {"DGS10": "10-year Treasury yield", "MORTGAGE30US": "30-year mortgage rate"}
MAX_REVISION_LINES = 4


@dataclass(frozen=True)
class SeriesSpec:
    """How to compare one resource: its time column, the other key columns and the values."""

    title: str
    period: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    unit: str  # "usd_bn" or "pct" (for display)


SERIES: dict[str, SeriesSpec] = {
    "treasury_holdings": SeriesSpec("TIC Treasury holdings", "month", ("holder",), ("usd_bn",), "usd_bn"),
    "iip_annual": SeriesSpec("net IIP (annual)", "year", (), ("net_usd_bn",), "usd_bn"),
    "gdp_annual": SeriesSpec("GDP (annual)", "year", (), ("gdp_usd_bn",), "usd_bn"),
    "iip_quarterly": SeriesSpec("IIP (BEA releases)", "period", ("vintage",),
                                ("assets_usd_bn", "liabilities_usd_bn", "net_usd_bn"), "usd_bn"),
    "iip_quarterly_fred": SeriesSpec("IIP (FRED, quarterly)", "quarter", (),
                                     ("assets_usd_bn", "liabilities_usd_bn", "net_usd_bn"), "usd_bn"),
    "market_rates": SeriesSpec("market rates", "date", ("series",), ("value_pct",), "pct"),
    "cofer": SeriesSpec("COFER reserve shares", "quarter", (),
                        ("usd_share_pct", "eur_share_pct", "total_fx_reserves_usd_bn"), "pct"),
    "gold_reserves": SeriesSpec("official gold", "quarter_end", (),
                                ("gold_all_usd_bn", "gold_us_usd_bn", "total_reserves_all_usd_bn"), "usd_bn"),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Revision(_Frozen):
    resource: str
    period: str
    item: str  # holder, series or column that was revised ("" for a one-value series)
    old: float
    new: float
    unit: str  # "usd_bn", "pct" (of the column; "_pct" columns are percent)

    def line(self) -> str:
        what = " ".join(p for p in (self.period, self.item) if p)
        return f"{what} {figure(self.old, self.unit)} → {figure(self.new, self.unit)}"


class TicMonth(_Frozen):
    month: str  # YYYY-MM
    total_usd_bn: float
    change_usd_bn: float | None  # on the month before (None if that month is not in the data)
    movers: tuple[tuple[str, float], ...] = ()  # largest holder changes on the month, $ bn


class IipQuarter(_Frozen):
    quarter: str  # YYYYQn
    net_usd_bn: float
    assets_usd_bn: float | None
    liabilities_usd_bn: float | None
    resource: str


class RateMove(_Frozen):
    series: str
    label: str
    date: str
    value_pct: float
    week_ago_date: str
    week_ago_pct: float

    @property
    def change_bp(self) -> float:
        return (self.value_pct - self.week_ago_pct) * 100


class NewPeriods(_Frozen):
    resource: str
    title: str
    periods: tuple[str, ...]


class Changes(_Frozen):
    """Differences between ``old_version`` and ``new_version`` (Datasets.version ids)."""

    old_version: str
    new_version: str
    tic_months: tuple[TicMonth, ...] = ()
    iip_quarter: IipQuarter | None = None
    rates: tuple[RateMove, ...] = ()
    new_periods: tuple[NewPeriods, ...] = ()
    new_resources: tuple[str, ...] = ()  # titles of datasets the old version did not have
    revisions: tuple[Revision, ...] = ()

    @property
    def has_new_data(self) -> bool:
        return bool(self.tic_months or self.iip_quarter or self.new_periods or self.new_resources)

    def revisions_by_resource(self) -> dict[str, list[Revision]]:
        out: dict[str, list[Revision]] = {}
        for revision in self.revisions:
            out.setdefault(revision.resource, []).append(revision)
        return out

    def summary_lines(self, *, max_revision_lines: int = MAX_REVISION_LINES) -> list[str]:
        """Short plain lines (Slack mrkdwn-safe) for a briefing's "What changed" and `/reset sources`.

        Empty when nothing a reader would notice changed (new data, moves, revisions).
        """
        lines: list[str] = []
        for m in self.tic_months:
            text = f"TIC: new month {month(m.month)} — foreign holdings of Treasuries {usd_bn_exact(m.total_usd_bn)}"
            if m.change_usd_bn is not None:
                text += f", {usd_bn_exact(m.change_usd_bn, signed=True)} on the month"
            if m.movers:
                text += " (" + ", ".join(f"{h} {usd_bn_exact(v, signed=True)}" for h, v in m.movers) + ")"
            lines.append(text + ".")
        if self.iip_quarter:
            q = self.iip_quarter
            text = f"IIP: new quarter {q.quarter} — net position {usd_tn(q.net_usd_bn)}"
            if q.assets_usd_bn is not None and q.liabilities_usd_bn is not None:
                text += f" (assets {usd_tn(q.assets_usd_bn)}, liabilities {usd_tn(q.liabilities_usd_bn)})"
            lines.append(text + ".")
        for r in self.rates:
            lines.append(f"{r.label[0].upper() + r.label[1:]} {rate_pct(r.value_pct)} on {r.date}, {bp(r.change_bp)} "
                         f"on the week "
                         f"({rate_pct(r.week_ago_pct)} on {r.week_ago_date}).")
        if self.new_periods:
            periods = "; ".join(f"{p.title} {', '.join(p.periods[-3:])}" for p in self.new_periods)
            lines.append(f"New data: {periods}.")
        for title in self.new_resources:
            lines.append(f"New dataset in service: {title}.")
        groups = sorted(self.revisions_by_resource().items(), key=lambda kv: -len(kv[1]))
        for resource, revisions in groups[:max_revision_lines]:
            title = SERIES[resource].title if resource in SERIES else resource
            largest = max(revisions, key=lambda r: abs(r.new - r.old))
            noun = "figure" if len(revisions) == 1 else "figures"
            lines.append(f"Revised history: {title}, {len(revisions)} {noun} (largest: {largest.line()}).")
        rest = sum(len(revisions) for _, revisions in groups[max_revision_lines:])
        if rest:
            lines.append(f"…and {rest} more revised figures in other datasets.")
        return lines


# ------------------------------------------------------------------------------------------
# Comparing two versions
# ------------------------------------------------------------------------------------------


def what_changed(old: Datasets, new: Datasets, *, rel_tol: float = REVISION_REL_TOL) -> Changes:
    """Everything in ``new`` that ``old`` did not show: new periods, rate moves, revisions."""
    revisions: list[Revision] = []
    new_periods: list[NewPeriods] = []
    for name, spec in SERIES.items():
        if name not in new.frames:
            continue
        if name not in old.frames:
            continue  # a dataset the old version did not have: listed in new_resources
        revisions += find_revisions(name, old.frames[name], new.frames[name], rel_tol=rel_tol)
        if name in ("treasury_holdings", "iip_quarterly", "iip_quarterly_fred", "market_rates"):
            continue  # reported in their own lines
        added = sorted(set(_periods(new.frames[name], spec)) - set(_periods(old.frames[name], spec)))
        if added:
            new_periods.append(NewPeriods(resource=name, title=spec.title, periods=tuple(added)))
    new_resources = tuple(new.sources[n].title if n in new.sources else n
                          for n in sorted(set(new.frames) - set(old.frames)))
    return Changes(
        old_version=old.version,
        new_version=new.version,
        tic_months=_tic_months(old, new),
        iip_quarter=_iip_quarter(old, new),
        rates=_rates(new),
        new_periods=tuple(new_periods),
        new_resources=new_resources,
        revisions=tuple(revisions),
    )


def find_revisions(resource: str, old: pd.DataFrame, new: pd.DataFrame, *, rel_tol: float = REVISION_REL_TOL,
                   abs_tol: float = 1e-9) -> list[Revision]:
    """Observations in both frames (same period and keys) whose value moved by more than
    ``max(abs_tol, rel_tol·|old|)``, oldest period first. Values missing on either side are skipped."""
    spec = SERIES[resource]
    columns = [spec.period, *spec.keys]
    if any(c not in old.columns or c not in new.columns for c in columns):
        return []
    left, right = _keyed(old, spec), _keyed(new, spec)
    out: list[Revision] = []
    for value in spec.values:
        if value not in old.columns or value not in new.columns:
            continue
        merged = left.assign(old_value=old[value].to_numpy(dtype="float64")).merge(
            right.assign(new_value=new[value].to_numpy(dtype="float64")), on=["period_key", *spec.keys], how="inner"
        )
        both = merged["old_value"].notna() & merged["new_value"].notna()
        diff = (merged["new_value"] - merged["old_value"]).abs()
        moved = merged[both & (diff > np.maximum(abs_tol, rel_tol * merged["old_value"].abs()))]
        unit = "pct" if value.endswith("_pct") else "usd_bn"
        for row in moved.to_dict("records"):
            keys = [str(row[k]) for k in spec.keys if k != "vintage"]
            if len(spec.values) > 1:
                keys.append(value.removesuffix("_usd_bn").removesuffix("_pct"))
            out.append(Revision(resource=resource, period=row["period_key"], item=" ".join(keys),
                                old=float(row["old_value"]), new=float(row["new_value"]), unit=unit))
    return sorted(out, key=lambda r: r.period)


def _keyed(frame: pd.DataFrame, spec: SeriesSpec) -> pd.DataFrame:
    out = frame[list(spec.keys)].copy() if spec.keys else pd.DataFrame(index=frame.index)
    out.insert(0, "period_key", _periods(frame, spec))
    for key in spec.keys:
        out[key] = out[key].map(_text)
    return out.reset_index(drop=True)


def _periods(frame: pd.DataFrame, spec: SeriesSpec) -> list[str]:
    return [_text(v) for v in frame[spec.period]] if spec.period in frame.columns else []


def _text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return str(value.strftime("%Y-%m-%d"))
    if isinstance(value, (np.integer, int)):
        return str(int(value))
    return "" if value is None or value is pd.NaT else str(value)


def _tic_months(old: Datasets, new: Datasets) -> tuple[TicMonth, ...]:
    if "treasury_holdings" not in new.frames or "treasury_holdings" not in old.frames:
        return ()
    frame = new.frames["treasury_holdings"]
    added = sorted(set(frame["month"]) - set(old.frames["treasury_holdings"]["month"]))
    by_month = {m: dict(zip(g["holder"], g["usd_bn"])) for m, g in frame.groupby("month", sort=True)}
    out = []
    for m in added:
        values = by_month[m]
        if TIC_TOTAL not in values:
            continue
        before = by_month.get(_previous_month(m))
        change = values[TIC_TOTAL] - before[TIC_TOTAL] if before and TIC_TOTAL in before else None
        movers: tuple[tuple[str, float], ...] = ()
        if before:
            deltas = [(h, v - before[h]) for h, v in values.items() if h in before and h not in TIC_AGGREGATES]
            deltas.sort(key=lambda hv: -abs(hv[1]))
            movers = tuple((h, round(d, 1)) for h, d in deltas[:3] if abs(d) >= 0.05)
        out.append(TicMonth(month=m, total_usd_bn=float(values[TIC_TOTAL]),
                            change_usd_bn=None if change is None else round(float(change), 1), movers=movers))
    return tuple(out)


def _previous_month(label: str) -> str:
    year, mon = int(label[:4]), int(label[5:7])
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def _latest_quarter(datasets: Datasets) -> tuple[str, str] | None:
    """(quarter, resource) of the newest IIP quarter in either quarterly resource."""
    found = []
    if "iip_quarterly_fred" in datasets.frames and len(datasets.frames["iip_quarterly_fred"]):
        found.append((str(datasets.frames["iip_quarterly_fred"]["quarter"].max()), "iip_quarterly_fred"))
    if "iip_quarterly" in datasets.frames and len(datasets.frames["iip_quarterly"]):
        found.append((str(datasets.frames["iip_quarterly"]["period"].max()), "iip_quarterly"))
    return max(found) if found else None


def _iip_quarter(old: Datasets, new: Datasets) -> IipQuarter | None:
    latest_new, latest_old = _latest_quarter(new), _latest_quarter(old)
    if latest_new is None or (latest_old is not None and latest_new[0] <= latest_old[0]):
        return None
    quarter, resource = latest_new
    frame = new.frames[resource]
    column = "quarter" if resource == "iip_quarterly_fred" else "period"
    rows = frame[frame[column] == quarter]
    if resource == "iip_quarterly" and "vintage" in rows:
        rows = rows.sort_values("vintage")
    row = rows.iloc[-1]

    def value(name: str) -> float | None:
        return float(row[name]) if name in row and pd.notna(row[name]) else None

    net = value("net_usd_bn")
    if net is None:
        return None
    return IipQuarter(quarter=quarter, net_usd_bn=net, assets_usd_bn=value("assets_usd_bn"),
                      liabilities_usd_bn=value("liabilities_usd_bn"), resource=resource)


def _rates(new: Datasets) -> tuple[RateMove, ...]:
    if "market_rates" not in new.frames:
        return ()
    frame = new.frames["market_rates"]
    out = []
    for series, label in RATE_LABELS.items():
        rows = frame[frame["series"] == series].sort_values("date")
        if rows.empty:
            continue
        latest = rows.iloc[-1]
        earlier = rows[rows["date"] <= latest["date"] - timedelta(days=7)]
        if earlier.empty:
            continue
        before = earlier.iloc[-1]
        out.append(RateMove(series=series, label=label, date=_text(latest["date"]),
                            value_pct=float(latest["value_pct"]),
                            week_ago_date=_text(before["date"]), week_ago_pct=float(before["value_pct"])))
    return tuple(out)
