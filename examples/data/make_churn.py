"""Writes churn.csv: 5,000 synthetic telecom customers, one row each, with a churn target.

Seeded (numpy's PCG64, seed 20), numpy and the standard library only, so the file is the same
on every run. The target depends on interactions (a month-to-month contract with high charges,
a support-call threshold, short tenure) that no single column separates, and the file has the
faults real exports have. See README.md beside it for the columns and the faults on purpose."""
import csv
from pathlib import Path

import numpy as np

N = 5000
rng = np.random.default_rng(20)

tenure = rng.integers(1, 73, N)                                    # months with us, 1..72
contract = rng.choice(["month-to-month", "one-year", "two-year"], N, p=[0.5, 0.3, 0.2])
contract_years = np.select([contract == "one-year", contract == "two-year"], [1, 2], 0)
monthly = np.round(np.clip(rng.normal(68, 22, N), 18, 130), 2)
total = np.round(monthly * tenure * rng.uniform(0.93, 1.02, N), 2)
support_calls = rng.poisson(1.4, N)
plan = rng.choice(["basic", "standard", "premium"], N, p=[0.4, 0.4, 0.2])
payment = rng.choice(["card", "bank transfer", "electronic check", "mailed check"], N, p=[0.3, 0.25, 0.3, 0.15])
region = rng.choice(["north", "south", "east", "west"], N)
paperless = rng.random(N) < 0.6
age = np.clip(np.round(rng.normal(44, 14, N)), 18, 90).astype(int)

# Churn: interactions and thresholds, so that no single column (and no linear score of one)
# tells it, while a model of several columns does. Intercept tuned for about 20% positives.
m2m = contract == "month-to-month"
logit = (
    -2.5
    + 1.6 * (m2m & (monthly > 75))
    + 0.5 * m2m
    - 0.9 * contract_years
    + 1.5 * (support_calls >= 3)
    + 1.1 * (tenure < 12)
    - 0.012 * tenure
    + 0.7 * (payment == "electronic check")
    + 0.5 * ((plan == "premium") & (support_calls >= 2))
    + 0.3 * paperless
)
churned = rng.random(N) < 1 / (1 + np.exp(-logit))

# Leakage: days since the customer cancelled exists only for churners (and some of them).
days_since_cancellation = np.where(churned & (rng.random(N) < 0.9), rng.integers(1, 60, N), -1)

# Faults on purpose.
plan_spellings = {"basic": ["basic", "Basic", "BASIC", "basic "], "standard": ["standard", "Standard", "std"], "premium": ["premium", "Premium", "PREMIUM"]}
plan_text = [plan_spellings[p][rng.integers(0, len(plan_spellings[p]))] if rng.random() < 0.3 else plan_spellings[p][0] for p in plan]
monthly_missing = rng.random(N) < 0.04
payment_missing = rng.random(N) < 0.06
age_missing = rng.random(N) < 0.08
total_blank = tenure == 1  # new customers have no total yet: a blank cell, as in the Telco export


def total_text(value: float, i: int) -> str:
    """total_charges as text with a currency: "$1,234.50", "1234.50 USD" or a bare number."""
    style = i % 5
    if style == 0:
        return f"{value:.2f} USD"
    if style in (1, 2):
        return f"${value:,.2f}"
    return f"{value:.2f}"


out = Path(__file__).with_name("churn.csv")
with out.open("w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["customer_id", "age", "region", "tenure_months", "contract", "contract_years", "plan", "monthly_charges", "total_charges",
                "support_calls", "payment_method", "paperless_billing", "days_since_cancellation", "churned"])
    for i in range(N):
        w.writerow([
            f"C{100000 + i}",
            "" if age_missing[i] else int(age[i]),
            region[i],
            int(tenure[i]),
            contract[i],
            int(contract_years[i]),
            plan_text[i],
            "" if monthly_missing[i] else f"{monthly[i]:.2f}",
            "" if total_blank[i] else total_text(float(total[i]), i),
            int(support_calls[i]),
            "" if payment_missing[i] else payment[i],
            "yes" if paperless[i] else "no",
            "" if days_since_cancellation[i] < 0 else int(days_since_cancellation[i]),
            int(churned[i]),
        ])
print(f"{out}: {N} rows, {churned.mean():.1%} churned")
