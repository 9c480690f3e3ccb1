"""The audit findings register: findings raised on deployments, models and reviews, tracked to closure."""
