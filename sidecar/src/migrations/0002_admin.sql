-- Admin API bearer tokens, stored only as SHA-256 hashes.
CREATE TABLE admin_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL,
    token_sha256 text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- Policy versions: each change is a new row; the highest version is current.
CREATE TABLE policies (
    version    bigserial PRIMARY KEY,
    body       jsonb NOT NULL,
    author     text NOT NULL,
    comment    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
