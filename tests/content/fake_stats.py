"""A stand-in for the parts not built in this branch: some service-performance keys, fixed values."""

FIGURES = {
    "enterprise_visits": 2810,
    "problems_collected": 1043,
    "problems_resolved": 1042,
    "problem_resolution_rate": 0.999,
    "filing_avg_working_days": 1.0,
    "auto_subsidy_amount": "67645000.00",
}


def figures(*, start, end) -> dict:
    return dict(FIGURES)
