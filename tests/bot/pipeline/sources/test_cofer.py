"""IMF COFER SDMX files: the world USD/EUR shares and total of this vintage; damage is refused."""

from pathlib import Path

import pandas as pd
import pytest

from bot.pipeline.sources.cofer import parse_cofer, world_table
from bot.pipeline.sources.errors import SourceFormatError

RAW = Path(__file__).resolve().parents[3] / "fixtures" / "raw" / "imf-cofer"
FILES = ("cofer_shares.xml", "cofer_total_nv.xml", "cofer_usd_nv.xml")


def read(name: str) -> str:
    return (RAW / name).read_text(encoding="utf-8")


def observations(**replaced: str) -> pd.DataFrame:
    return pd.concat([parse_cofer(replaced.get(name, read(name)), name) for name in FILES], ignore_index=True)


def test_world_shares_2025q4_in_the_march_2026_vintage():
    table = world_table(observations(), "cofer")
    assert list(table.columns) == ["quarter", "usd_share_pct", "eur_share_pct", "total_fx_reserves_usd_bn"]
    q4 = table.set_index("quarter").loc["2025Q4"]
    assert q4["usd_share_pct"] == pytest.approx(56.77, abs=0.005)  # fact sheet §7b: 56.77 (Mar-2026 release)
    assert q4["eur_share_pct"] == pytest.approx(20.25, abs=0.005)
    assert q4["total_fx_reserves_usd_bn"] == pytest.approx(13_136.8, abs=0.05)


def test_long_form_keeps_every_series_and_the_publication_date():
    frame = parse_cofer(read("cofer_total_nv.xml"), "cofer_total_nv.xml")
    assert set(frame["area"]) == {"G001", "G110", "G200"}
    assert set(frame["published"]) == {"2026-03-27"}
    world = frame[(frame["area"] == "G001")].set_index("quarter")["value"]
    assert world["2025Q3"] == pytest.approx(13_030_290_267_130.4)  # US dollars, not millions


def test_usd_amount_matches_share():
    frame = observations()
    world = frame[(frame["area"] == "G001") & (frame["quarter"] == "2025Q4") & (frame["transformation"] == "NV_USD")]
    usd, total = (world.set_index("currency").loc[c, "value"] for c in ("CI_USD", "CI_T"))
    assert usd / total * 100 == pytest.approx(56.77, abs=0.01)


def test_truncated_xml_names_the_line():
    text = read("cofer_shares.xml")
    with pytest.raises(SourceFormatError) as error:
        parse_cofer(text[: len(text) // 2], "cofer_shares.xml")
    assert error.value.line == 1 and "not well-formed" in error.value.reason


def test_non_numeric_observation():
    text = read("cofer_shares.xml").replace('OBS_VALUE="56.7701683044434"', 'OBS_VALUE="56,77"')
    with pytest.raises(SourceFormatError, match="'56,77' is not a number"):
        parse_cofer(text, "cofer_shares.xml")


def test_changed_unit_is_refused():
    text = read("cofer_shares.xml").replace('TRANSFORMATION="SHRO" UNIT="PT"', 'TRANSFORMATION="SHRO" UNIT="USD"')
    with pytest.raises(SourceFormatError, match="unit of SHRO_PT"):
        parse_cofer(text, "cofer_shares.xml")


def test_monthly_periods_are_a_layout_change():
    text = read("cofer_shares.xml").replace('TIME_PERIOD="2025-Q4"', 'TIME_PERIOD="2025-12"')
    with pytest.raises(SourceFormatError, match="not YYYY-Qn"):
        parse_cofer(text, "cofer_shares.xml")


def test_shares_without_a_total_are_refused():
    only_shares = parse_cofer(read("cofer_shares.xml"), "cofer_shares.xml")
    with pytest.raises(SourceFormatError, match="no total"):
        world_table(only_shares, "cofer")


def test_shares_that_do_not_add_up_are_refused():
    text = read("cofer_shares.xml").replace('OBS_VALUE="20.2495727539063"', 'OBS_VALUE="25.2495727539063"')
    with pytest.raises(SourceFormatError, match="add up to"):
        world_table(observations(**{"cofer_shares.xml": text}), "cofer")
