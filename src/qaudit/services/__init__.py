"""The use cases: each takes a store, the moment treated as now, the acting user and the policy."""
