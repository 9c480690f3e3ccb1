"""The roles of DESIGN.md §1: their definitions, competency profiles, the groups kept in sync, and role reads."""
