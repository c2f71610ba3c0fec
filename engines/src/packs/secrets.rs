//! Secrets: credentials with a recognisable shape (provider prefixes, PEM
//! private key blocks, JWTs) and values assigned to credential-named keys.
//! Runs on the canonical fold, where case is kept: most of these formats are
//! case-sensitive.

use crate::rules::Rule;
use crate::validators::Validator;

pub(crate) static RULES: &[Rule] = &[
    Rule::value(
        "secrets.aws_access_key_id",
        "aws_access_key",
        0.9,
        r"(?-u:\b)(?P<v>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16})(?-u:\b)",
    ),
    // The 40-character secret key, only next to its name: on its own it is
    // indistinguishable from any other base64 string.
    Rule::value(
        "secrets.aws_secret_access_key",
        "aws_secret_key",
        0.95,
        r#"(?i:aws_?secret_?access_?key|aws_?secret(?:_?key)?|secret_?access_?key)["']?\s*(?:[:=]|=>)\s*["']?(?P<v>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
    )
    .validate(Validator::MixedCase),
    Rule::value(
        "secrets.github_token",
        "github_token",
        0.95,
        r"(?-u:\b)(?P<v>gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{40,251})(?-u:\b)",
    ),
    Rule::value("secrets.gitlab_token", "gitlab_token", 0.95, r"(?-u:\b)(?P<v>glpat-[A-Za-z0-9_-]{20,64})"),
    Rule::value(
        "secrets.slack_token",
        "slack_token",
        0.9,
        r"(?-u:\b)(?P<v>xox[abprs]-[A-Za-z0-9-]{10,250})",
    )
    .validate(Validator::Token),
    Rule::value(
        "secrets.slack_webhook",
        "slack_token",
        0.9,
        r"(?P<v>https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32})",
    ),
    // "sk-...", "sk-proj-...": letters and digits, so prose like
    // "sk-this-is-a-placeholder" does not count.
    Rule::value(
        "secrets.openai_key",
        "openai_key",
        0.9,
        r"(?-u:\b)(?P<v>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250})",
    )
    .validate(Validator::Token),
    Rule::value(
        "secrets.anthropic_key",
        "anthropic_key",
        0.95,
        r"(?-u:\b)(?P<v>sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{32,250})",
    ),
    Rule::value(
        "secrets.stripe_key",
        "stripe_key",
        0.9,
        r"(?-u:\b)(?P<v>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,250})(?-u:\b)",
    ),
    Rule::value("secrets.google_api_key", "google_api_key", 0.85, r"(?-u:\b)(?P<v>AIza[0-9A-Za-z_-]{35})"),
    // A PEM private key block: header line, optional "Proc-Type:"-style
    // headers, base64 body, END line. A truncated block (no END) runs to
    // where the body's characters stop. No lazy "anything until END": that
    // would rescan the rest of the text for every BEGIN.
    Rule::value(
        "secrets.private_key",
        "private_key",
        0.99,
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\s*(?:[A-Za-z-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=\s]*(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?",
    ),
    // Header and payload are base64url JSON ("eyJ" is `{"`). Often a
    // short-lived session token, hence below the block threshold alone.
    Rule::value(
        "secrets.jwt",
        "jwt",
        0.7,
        r"(?-u:\b)(?P<v>eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})",
    ),
    // Credentials inside a connection URL: "postgres://user:secret@host".
    Rule::value(
        "secrets.connection_string_password",
        "connection_string",
        0.85,
        r"(?i:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver)://[^\s:/@]+:(?P<v>[^\s@/]{3,})@",
    ),
    // "password = Tr0ub4dor&3", "api_key: 'a1b2...'": a value with letters
    // and digits assigned to a credential-named key.
    Rule::value(
        "secrets.assigned_credential",
        "password",
        0.65,
        r#"(?i:password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|client[_-]?secret|пароль)["']?\s*(?:[:=]|=>)\s*["']?(?P<v>[^\s"'`,;]{8,128})"#,
    )
    .validate(Validator::Token),
];
