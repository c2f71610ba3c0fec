-- Decision events (docs/events.md); `id` is the filter's idempotency key.
CREATE TABLE events (
    id          text PRIMARY KEY,
    request_id  text NOT NULL,
    time        timestamptz NOT NULL,
    client_id   text NOT NULL,
    method      text NOT NULL,
    authority   text NOT NULL,
    path        text NOT NULL,
    verdict     text NOT NULL,
    category    text,
    risk        real NOT NULL,
    mode        text NOT NULL,
    detections  jsonb NOT NULL,
    text_sha256 text NOT NULL,
    latency_us  bigint NOT NULL,
    pod         text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_client_id_time ON events (client_id, time);
CREATE INDEX events_request_id ON events (request_id);
CREATE INDEX events_time ON events (time);
