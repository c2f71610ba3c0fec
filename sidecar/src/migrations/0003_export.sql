-- Incidents: `GET /v1/incidents` and the SIEM export (sidecar/src/export).
--
-- `tx` is the transaction that inserted the event. The export reads only
-- transactions older than every running one, in (tx, id) order, so an
-- insert that commits late can never land behind its cursor. Added without
-- a value and given its default afterwards, so that neither statement
-- rewrites the table; rows from before this migration read as tx 0.
ALTER TABLE events ADD COLUMN tx xid8;
ALTER TABLE events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();

-- Partial indexes on the incident condition (`incident::PREDICATE`): the
-- listing pages over (time, id), the export over (tx, id).
CREATE INDEX events_incidents_time ON events (time, id)
    WHERE (verdict <> 'allow' OR jsonb_array_length(detections) > 0);
CREATE INDEX events_incidents_tx ON events ((COALESCE(tx, '0'::xid8)), id)
    WHERE (verdict <> 'allow' OR jsonb_array_length(detections) > 0);

-- How far each export stream got: moved only after its sink accepted a
-- batch (at-least-once delivery).
CREATE TABLE export_cursor (
    name       text PRIMARY KEY,
    tx         xid8 NOT NULL DEFAULT '0',
    id         text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
