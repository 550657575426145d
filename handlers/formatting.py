"""Numbers for people: $27.6T, $403bn, +20 bp, 89.7% of GDP, Sep 2025 — and user text made safe for Slack."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

MINUS = "\u2212"  # a real minus sign reads better than a hyphen in Slack


def _sign(value: float, signed: bool) -> str:
    if value < 0:
        return MINUS
    return "+" if signed and value > 0 else ""


def usd_bn(value_usd_bn: float, *, signed: bool = False, digits: int | None = None) -> str:
    """Format an amount given in $ billions: three significant figures from $1T ($27.6T, $1.21T),
    $403bn below, so that a change of $12bn on $1,210bn still shows.

    >>> usd_bn(27610), usd_bn(1209.9), usd_bn(403.1), usd_bn(-26539.5), usd_bn(12.34, signed=True)
    ('$27.6T', '$1.21T', '$403bn', '−$26.5T', '+$12.3bn')
    """
    if value_usd_bn is None or (isinstance(value_usd_bn, float) and math.isnan(value_usd_bn)):
        return "n/a"
    sign, size = _sign(value_usd_bn, signed), abs(value_usd_bn)
    # The unit is chosen on the figure as it will be rounded, so $999.95bn reads $1.00T, not $1000bn.
    if size >= 1000 or (digits is None and round(size) >= 1000):
        default = 2 if size < 9995 else 1
        return f"{sign}${size / 1000:.{default if digits is None else digits}f}T"
    if size >= 100 or (digits is None and round(size, 1) >= 100):
        return f"{sign}${size:.{0 if digits is None else digits}f}bn"
    return f"{sign}${size:.{1 if digits is None else digits}f}bn"


def usd_bn_exact(value_usd_bn: float, *, signed: bool = False) -> str:
    """An amount in $ billions to the tenth, with thousands separators and never in trillions: the
    form of a data-change notice, where a reader compares the figure with the publisher's table.
    Signed, a zero change reads "±".

    >>> usd_bn_exact(8523.46), usd_bn_exact(-12.34), usd_bn_exact(12.34, signed=True), usd_bn_exact(0, signed=True)
    ('$8,523.5bn', '−$12.3bn', '+$12.3bn', '±$0.0bn')
    """
    if signed:
        sign = "+" if value_usd_bn > 0 else MINUS if value_usd_bn < 0 else "±"
    else:
        sign = MINUS if value_usd_bn < 0 else ""
    return f"{sign}${abs(value_usd_bn):,.1f}bn"


def usd_tn(value_usd_bn: float) -> str:
    """An amount given in $ billions, in trillions to two decimals (IIP positions).

    >>> usd_tn(-26539.5), usd_tn(35012), usd_tn(0)
    ('−$26.54T', '$35.01T', '$0.00T')
    """
    sign = MINUS if value_usd_bn < 0 else ""
    return f"{sign}${abs(value_usd_bn) / 1000:,.2f}T"


def rate_pct(value_pct: float) -> str:
    """A published rate or yield in percent, to the hundredth as FRED prints it (a plain hyphen for
    a negative rate, as in the source table).

    >>> rate_pct(4.1), rate_pct(6.125), rate_pct(-0.5)
    ('4.10%', '6.12%', '-0.50%')
    """
    return f"{value_pct:.2f}%"


def figure(value: float, unit: str) -> str:
    """A published figure in its unit: ``"pct"`` as a rate (`rate_pct`), anything else as $ billions
    (`usd_bn_exact`).

    >>> figure(4.25, "pct"), figure(-1234.56, "usd_bn")
    ('4.25%', '−$1,234.6bn')
    """
    return rate_pct(value) if unit == "pct" else usd_bn_exact(value)


def bp(value_bp: float, *, signed: bool = True) -> str:
    """Basis points, rounded: '+20 bp'.

    >>> bp(20.15), bp(-3), bp(0)
    ('+20 bp', '−3 bp', '0 bp')
    """
    rounded = round(value_bp)
    return f"{_sign(rounded, signed)}{abs(rounded)} bp"


def pct(value_pct: float, *, digits: int = 1, signed: bool = False) -> str:
    """A percentage given in percent units (89.7 → '89.7%').

    >>> pct(89.74), pct(-45.1, signed=True), pct(6.15, digits=2)
    ('89.7%', '−45.1%', '6.15%')
    """
    return f"{_sign(value_pct, signed)}{abs(value_pct):.{digits}f}%"


def bp_range(central: float, low: float, high: float) -> str:
    """A central estimate in basis points with its range.

    >>> bp_range(12.4, 3, 40)
    '+12 bp (range +3 bp to +40 bp)'
    """
    return f"{bp(central)} (range {bp(low)} to {bp(high)})"


def share(fraction: float, *, digits: int = 0) -> str:
    """A fraction (0.35) as a percentage ('35%').

    >>> share(0.35), share(0.125, digits=1), share(0.005)
    ('35%', '12.5%', '0%')
    """
    return f"{fraction:.{digits}%}"


def month_count(count: int) -> str:
    """A number of months, singular or plural.

    >>> month_count(1), month_count(6), month_count(0)
    ('1 month', '6 months', '0 months')
    """
    return f"{count} month{'s' if count != 1 else ''}"


def month(label: str) -> str:
    """'2025-09' → 'Sep 2025'.

    >>> month("2025-09")
    'Sep 2025'
    """
    year, mon = label.split("-")[:2]
    return date(int(year), int(mon), 1).strftime("%b %Y")


def quarter_end(iso: str) -> str:
    """'2025-09-30' → 'Q3 2025'.

    >>> quarter_end("2025-12-31")
    'Q4 2025'
    """
    year, mon = iso.split("-")[:2]
    return f"Q{(int(mon) - 1) // 3 + 1} {year}"


def quarter_label(period: str) -> str:
    """A quarter label as the data write it ('2025Q3') as people say it ('Q3 2025').

    >>> quarter_label("2025Q3")
    'Q3 2025'
    """
    return f"Q{period[-1]} {period[:4]}"


def day(moment: date) -> str:
    """A date as '26 Mar 2025'.

    >>> day(date(2025, 3, 26))
    '26 Mar 2025'
    """
    return f"{moment:%d %b %Y}"


def utc_minute(moment: datetime) -> str:
    """An aware time in UTC to the minute: '2026-11-26 15:50 UTC'.

    >>> utc_minute(datetime(2026, 11, 26, 16, 50, 15, tzinfo=timezone(timedelta(hours=1))))
    '2026-11-26 15:50 UTC'
    """
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def iso_date(value: object) -> str:
    """A date cell (string or pandas Timestamp) as 'YYYY-MM-DD'; '' for a missing one.

    >>> import pandas as pd
    >>> iso_date(pd.Timestamp("2025-03-26")), iso_date("2025-06-30"), iso_date(None)
    ('2025-03-26', '2025-06-30', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "strftime"):
        try:
            text: str = value.strftime("%Y-%m-%d")
        except ValueError:  # NaT
            return ""
        return text
    return str(value)[:10]


def age(delta: timedelta) -> str:
    """How long ago, in the largest unit that reads naturally: minutes, then hours, then days.

    >>> age(timedelta(seconds=30)), age(timedelta(minutes=90)), age(timedelta(hours=1))
    ('1 min', '1 hour', '1 hour')
    >>> age(timedelta(hours=47)), age(timedelta(days=3, hours=5)), age(timedelta(seconds=-5))
    ('47 hours', '3 days', '1 min')
    """
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 2 * 86400:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{seconds // 86400} days"


def parse_utc(text: str) -> datetime | None:
    """An ISO time or date from our own files as an aware UTC datetime (a date: midnight UTC); None if unreadable.

    >>> parse_utc("2026-11-26T15:50:15Z"), parse_utc("2026-07-01").hour, parse_utc("soon")
    (datetime.datetime(2026, 11, 26, 15, 50, 15, tzinfo=datetime.timezone.utc), 0, None)
    """
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def escape_slack(text: str) -> str:
    """User text made inert for Slack: ``&``, ``<`` and ``>`` as the entities Slack asks for.

    Slack reads ``<…>`` as control sequences in message ``text`` and in mrkdwn (``<!channel>``
    pings everyone, ``<@U123>`` a user, ``<https://x|label>`` is a disguised link), so any text a
    user typed must be escaped before it is echoed. Only these three characters: Slack warns
    against HTML-encoding anything else. Escape once, after any shortening, so an entity is never
    cut in half.

    >>> escape_slack("<!channel> & <@U123>")
    '&lt;!channel&gt; &amp; &lt;@U123&gt;'
    >>> escape_slack("AT&T <https://evil|click>")
    'AT&amp;T &lt;https://evil|click&gt;'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def echo(text: str, limit: int = 40) -> str:
    """What the user typed, to echo inside a code span: shortened to ``limit`` characters, unable to
    leave the backticks it is shown in, then escaped for Slack (no ``<!channel>`` ping, no disguised
    link). Cut first and escape after, so an entity is never cut in half.

    >>> echo("<!channel> `x`")
    "&lt;!channel&gt; 'x'"
    >>> echo("a" * 38 + "<!here>")
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&lt;…'
    """
    text = text.replace("`", "'")
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return escape_slack(text)
