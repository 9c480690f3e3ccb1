"""KPI targets: set and cleared by deployment managers (on the KPI page or in the admin), every change audited."""
