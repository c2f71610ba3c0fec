-- Disaster recovery (`sentinel-sidecar rebuild-state`): what Postgres needs
-- to rebuild the quarantines in Redis after Redis was lost.
--
-- The quarantine rule a block event carried (docs/events.md), so that a
-- replay applies the rule of the policy that judged the request. Added
-- without a default: no table rewrite; older rows read as NULL.
ALTER TABLE events ADD COLUMN quarantine jsonb;

-- The replay reads only recent events that carry a rule.
CREATE INDEX events_quarantine_time ON events (time)
    WHERE quarantine IS NOT NULL;

-- Quarantines lifted through the admin API: a replay skips the blocks a
-- release already forgave.
CREATE TABLE quarantine_releases (
    client_id   text NOT NULL,
    released_at timestamptz NOT NULL DEFAULT now(),
    released_by text NOT NULL
);

CREATE INDEX quarantine_releases_client ON quarantine_releases (client_id, released_at);
