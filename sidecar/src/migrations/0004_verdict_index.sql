-- Searching events by verdict (`GET /v1/incidents?verdict=...`, audits of
-- refusals) over a time range.
CREATE INDEX events_verdict_time ON events (verdict, time);
