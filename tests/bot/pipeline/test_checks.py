"""The plausibility checks of `bot.pipeline.checks`, as a refresh meets them: a file that parses
but cannot be right (a unit change, a future period, a period going backwards, a file cut short,
a "revision" larger than any real one) is refused and the version in service stays."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from bot.pipeline.checks import ImplausibleData, check
from bot.pipeline.refresh import (
    refresh_all,
)
from bot.pipeline.versions import PublishedVersions
from tests.bot.pipeline.publishers import (
    FORMAT,
    FRED,
    NOW,
    RAW,
    TIC,
    Publishers,
    drop_newest_month,
    settings_for,
)


@pytest.mark.parametrize("edit, says", [
    (lambda text: text.replace("2026-06-26,4.49", "2026-06-26,449"),  # basis points, not percent
     "market_rates: 2026-06-26, DGS10: value_pct = 449 is implausible "
     "(expected: the 10-year yield is between 0% and 20%)"),
    (lambda text: text + "2026-07-15,4.40\n",  # an observation dated after today
     "market_rates: period 2026-07-15 is in the future (today is 2026-07-01)"),
    (lambda text: text.replace("2026-06-26,4.49", "2026-06-26,-0.5"),
     "value_pct = -0.5 is implausible"),
])
def test_an_implausible_value_is_refused(tmp_path, edit, says):
    dgs10 = edit((FORMAT / "fred/dgs10.csv").read_text()).encode()
    report = refresh_all(settings_for(tmp_path), Publishers(**{FRED + "DGS10": dgs10}), NOW, sources=["fred_rates"])
    assert report.result("fred_rates").outcome == "failed"
    assert says in report.result("fred_rates").detail
    assert report.published is None


def test_a_unit_change_against_the_version_in_service_is_refused(tmp_path):
    """FRED switching IIP from $ millions to $ billions would still be 'in range'; it is caught as a
    revision far larger than any real one."""
    settings = settings_for(tmp_path)
    first = refresh_all(settings, Publishers(), NOW, sources=["fred_iip_quarterly"])
    assert first.result("fred_iip_quarterly").outcome == "ok"

    def in_billions(name: str) -> bytes:
        lines = (FORMAT / "fred" / name).read_text().splitlines()
        scaled = [f"{d},{int(v) / 1000:g}" for d, v in (ln.split(",") for ln in lines[1:])]
        return ("\n".join(lines[:1] + scaled) + "\n").encode()

    later = refresh_all(settings, Publishers(**{FRED + s: in_billions(f"{s.lower()}.csv")
                                                for s in ("IIPUSASSQ", "IIPUSLIAQ", "IIPUSNETIQ")}),
                        NOW + timedelta(days=1), sources=["fred_iip_quarterly"])
    result = later.result("fred_iip_quarterly")
    assert result.outcome == "failed"
    assert result.detail == ("iip_quarterly_fred: 2025Q3 assets: 41,270.00 → 41.27 is a larger change than any real "
                             "revision (unit or layout change?)")
    assert later.published is None
    assert PublishedVersions.for_state_dir(settings.state_dir).pointer() == first.published


def test_a_period_going_backwards_is_refused(tmp_path):
    """Table 5 of an older release (no 2026-04) against data in service that has 2026-04."""
    older = drop_newest_month((RAW / "tic/slt_table5.txt").read_text()).encode()
    report = refresh_all(settings_for(tmp_path), Publishers(**{TIC + "slt_table5.txt": older}), NOW, sources=["tic"])
    assert report.result("tic").outcome == "failed"
    assert report.result("tic").detail == ("treasury_holdings: the newest period 2026-03 is older than 2026-04 in the "
                                          "data in service (a period going backwards)")


def test_a_file_cut_short_at_the_top_is_refused_as_missing_periods(tmp_path):
    lines = (RAW / "fred/gdp.csv").read_text().splitlines()
    cut = ("\n".join(lines[:1] + lines[20:]) + "\n").encode()  # 1929-1947 lost
    report = refresh_all(settings_for(tmp_path), Publishers(**{FRED + "GDPA": cut}), NOW, sources=["fred_gdp"])
    assert report.result("fred_gdp").outcome == "failed"
    says = "19 period(s) in service are missing from the new file (first 1929, last 1947)"
    assert says in report.result("fred_gdp").detail


# ------------------------------------------------------------------------------ the checks on their own


def quarters(net: float) -> pd.DataFrame:
    return pd.DataFrame({"quarter": ["2025Q2", "2025Q3"], "assets_usd_bn": [40_000.0, 41_270.0],
                         "liabilities_usd_bn": [66_000.0, 68_890.0], "net_usd_bn": [-26_000.0, net]})


def test_a_file_that_adds_up_passes_and_a_broken_identity_is_named():
    check("iip_quarterly_fred", quarters(-27_620.0), None, NOW)  # assets - liabilities = net
    with pytest.raises(ImplausibleData) as refused:
        check("iip_quarterly_fred", quarters(-2_762.0), None, NOW)  # net divided by 10
    assert refused.value.resource == "iip_quarterly_fred"
    assert str(refused.value) == ("iip_quarterly_fred: 2025Q3: net -2,762.0 ≠ assets 41,270.0 - liabilities "
                                  "68,890.0 ($bn)")


def test_an_empty_table_is_never_plausible():
    with pytest.raises(ImplausibleData, match="no rows"):
        check("iip_quarterly_fred", quarters(-27_620.0).iloc[0:0], None, NOW)
