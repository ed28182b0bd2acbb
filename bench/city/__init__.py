"""The city-size data set of bench/make_city.py (issue 14 item 2), one module per part: the COPY writer (copying),
the org tree and people (org), registries (registries), tickets with their events (tickets), visits (visits)."""
