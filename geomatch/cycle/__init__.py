"""The programme's annual cycle (年度考核周期): evaluation, next year's quotas,
commendations with publicity, and spot checks.

One module per job:

* :mod:`geomatch.cycle.quotas` — 奖补/推荐指标: integer quotas proportional to scores
  with floors and caps (largest remainder or Sainte-Laguë, exact);
* :mod:`geomatch.cycle.commend` — 表彰推荐: unit stage, national CP-SAT stage, 公示 and
  objections; :mod:`geomatch.cycle.forms` fills 附件1/附件2;
* :mod:`geomatch.cycle.spotcheck` — 抽查: a πps sample with exact inclusion
  probabilities and an inspection itinerary from Beijing;
* :mod:`geomatch.cycle.evaluate` — 评估考核: agreement grades and unit scores.
"""
