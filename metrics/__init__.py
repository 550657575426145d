"""Pure models behind Reset Bot's answers: the external gap, Treasury holdings, flows,
refinancing, the yield-shock model, gold vs Treasuries and claim verdicts.

Everything here is pure (numpy, pandas, pydantic only): functions take frames, series, plain
numbers or frozen pydantic models and return new ones, never modifying their inputs. Units are
in the names (``usd_bn`` = $ billions, ``bp`` = basis points, ``pct`` = percent) or docstrings.
"""

from metrics.claims import Verdict, judge_direction, judge_level, relative_deviation_pct
from metrics.flows import HOLDINGS_CHANGE_CAVEAT, FlowBreakdown, RegionChange, region_shares
from metrics.gap import (
    DEFAULT_MAX_DISCREPANCY_USD_BN,
    NetPosition,
    net_pct_gdp_history,
    net_position,
    pct_of_gdp,
)
from metrics.gold import Crossover, GoldBase, GoldCrossover, crossover, gold_vs_treasuries
from metrics.holdings import (
    NON_COUNTRY_LABELS,
    RankedHolder,
    aggregate,
    holder_change,
    pivot_holdings,
    ranking,
    share_of,
)
from metrics.refinancing import (
    RefinancingWall,
    YearCost,
    extra_interest_usd_bn,
    phased_interest_cost,
    refinancing_wall,
)
from metrics.series import Change, LabelNotFoundError, change_between
from metrics.shock import (
    DEFAULT_MONTHS,
    INTEREST_REPORT_YEARS,
    PATH_MONTHS,
    EpisodePrediction,
    InterestYear,
    Leg,
    LegAmount,
    PathPoint,
    Range,
    ShockInput,
    ShockMode,
    ShockResult,
    YieldCalibration,
    calibration_from_table,
    decay_toward_long_run,
    episode_prediction,
    interest_cost_of_rate_rise,
    leg_amount,
    shock_impact,
)

__all__ = [
    "Change",
    "Crossover",
    "DEFAULT_MAX_DISCREPANCY_USD_BN",
    "DEFAULT_MONTHS",
    "EpisodePrediction",
    "FlowBreakdown",
    "GoldBase",
    "GoldCrossover",
    "HOLDINGS_CHANGE_CAVEAT",
    "INTEREST_REPORT_YEARS",
    "InterestYear",
    "LabelNotFoundError",
    "Leg",
    "LegAmount",
    "NON_COUNTRY_LABELS",
    "NetPosition",
    "PATH_MONTHS",
    "PathPoint",
    "Range",
    "RankedHolder",
    "RefinancingWall",
    "RegionChange",
    "ShockInput",
    "ShockMode",
    "ShockResult",
    "Verdict",
    "YearCost",
    "YieldCalibration",
    "aggregate",
    "calibration_from_table",
    "change_between",
    "crossover",
    "decay_toward_long_run",
    "episode_prediction",
    "extra_interest_usd_bn",
    "gold_vs_treasuries",
    "holder_change",
    "interest_cost_of_rate_rise",
    "judge_direction",
    "judge_level",
    "leg_amount",
    "net_pct_gdp_history",
    "net_position",
    "pct_of_gdp",
    "phased_interest_cost",
    "pivot_holdings",
    "ranking",
    "refinancing_wall",
    "region_shares",
    "relative_deviation_pct",
    "share_of",
    "shock_impact",
]
