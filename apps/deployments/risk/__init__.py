"""The risk score of a deployment (0–100) from the records, with each factor's contribution and the numbers behind
it: `score` computes it (pure), `selectors` read the records it needs, `services` store it, `policy` holds the
approval rules that use it, `backtest` measures how well it separated failed deployments from successful ones (its
stored results are `RiskBacktest`, in apps/deployments/models/risk.py)."""
