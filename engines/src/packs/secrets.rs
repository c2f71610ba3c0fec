//! Secrets: credentials with a recognisable shape (provider prefixes, PEM
//! private key blocks, JWTs) and values assigned to credential-named keys.
//! Runs on the canonical fold, where case is kept: most of these formats are
//! case-sensitive.
//!
//! Decisions:
//! - Well-known documentation keys (`AKIAIOSFODNN7EXAMPLE`, Stripe's
//!   `sk_live_4eC39HqLyjWDarjtT1zdp7dc`) do fire: they have the exact shape
//!   of a live key, a scanner cannot tell a copied example from a leak, and
//!   a policy allow-list silences them where docs are pasted on purpose.
//!   Placeholders that do not have the shape ("sk-...", "sk-your-key-here",
//!   "glpat-xxxxxxxxxxxxxxxxxxxx", "postgres://user:password@host") do not:
//!   the `Key` and `NotPlaceholder` validators refuse them.
//! - Generic values (no provider prefix) only count after a credential-named
//!   key and when random-looking (`Validator::HighEntropy`, 3.5 bits/char,
//!   16+ characters): a UUID or a git SHA counts as a secret after
//!   `api_key=`, and as nothing after `commit` or `request_id=`.

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
    )
    .validate(Validator::Key),
    // Personal, deploy, runner, pipeline-trigger and feed tokens.
    Rule::value(
        "secrets.gitlab_token",
        "gitlab_token",
        0.95,
        r"(?-u:\b)(?P<v>gl(?:pat|dt|rt|ptt|ft|soat|cbt)-[A-Za-z0-9_-]{20,64})",
    )
    .validate(Validator::Key),
    // Runner registration token.
    Rule::value(
        "secrets.gitlab_runner_registration",
        "gitlab_token",
        0.9,
        r"(?-u:\b)(?P<v>GR1348941[A-Za-z0-9_-]{20,64})",
    )
    .validate(Validator::Key),
    Rule::value(
        "secrets.slack_token",
        "slack_token",
        0.9,
        r"(?-u:\b)(?P<v>(?:xox[abprs]|xapp)-[A-Za-z0-9-]{10,250})",
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
    .validate(Validator::Key),
    Rule::value(
        "secrets.anthropic_key",
        "anthropic_key",
        0.95,
        r"(?-u:\b)(?P<v>sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{32,250})",
    )
    .validate(Validator::Key),
    Rule::value(
        "secrets.stripe_key",
        "stripe_key",
        0.9,
        r"(?-u:\b)(?P<v>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,250})(?-u:\b)",
    )
    .validate(Validator::Key),
    Rule::value(
        "secrets.stripe_webhook_secret",
        "stripe_key",
        0.9,
        r"(?-u:\b)(?P<v>whsec_[A-Za-z0-9+/]{32,64})",
    )
    .validate(Validator::Key),
    Rule::value(
        "secrets.npm_token",
        "npm_token",
        0.9,
        r"(?-u:\b)(?P<v>npm_[A-Za-z0-9]{36})(?-u:\b)",
    )
    .validate(Validator::Key),
    Rule::value(
        "secrets.huggingface_token",
        "huggingface_token",
        0.9,
        r"(?-u:\b)(?P<v>hf_[A-Za-z0-9]{34})(?-u:\b)",
    )
    .validate(Validator::Key),
    // HashiCorp Vault service / batch / recovery tokens.
    Rule::value(
        "secrets.vault_token",
        "vault_token",
        0.9,
        r"(?-u:\b)(?P<v>hv[sbr]\.[A-Za-z0-9_-]{24,512})",
    )
    .validate(Validator::Key),
    // Sentry organisation and user auth tokens.
    Rule::value(
        "secrets.sentry_token",
        "sentry_token",
        0.9,
        r"(?-u:\b)(?P<v>sntrys_[A-Za-z0-9+/=_-]{40,512}|sntryu_[0-9a-f]{64})",
    )
    .validate(Validator::Key),
    // GCP service-account JSON: the key id sits next to the private key.
    Rule::value(
        "secrets.gcp_private_key_id",
        "gcp_credential",
        0.9,
        r#""private_key_id"\s*:\s*"(?P<v>[0-9a-f]{40})""#,
    ),
    // OAuth client secret ("GOCSPX-" + 28) and access token ("ya29.").
    Rule::value(
        "secrets.gcp_oauth_client_secret",
        "gcp_credential",
        0.9,
        r"(?-u:\b)(?P<v>GOCSPX-[A-Za-z0-9_-]{28})(?-u:\b)",
    )
    .validate(Validator::Key),
    Rule::value(
        "secrets.gcp_access_token",
        "gcp_credential",
        0.85,
        r"(?-u:\b)(?P<v>ya29\.[A-Za-z0-9_-]{30,512})",
    )
    .validate(Validator::Key),
    // Azure storage / Service Bus / Event Hubs connection strings.
    Rule::value(
        "secrets.azure_account_key",
        "azure_key",
        0.95,
        r"(?i:AccountKey|SharedAccessKey)=(?P<v>[A-Za-z0-9+/]{40,86}={0,2})(?:[^A-Za-z0-9+/=]|$)",
    )
    .validate(Validator::Key),
    // Shared access signature: "sig=" in a query that also has "sv=" etc.
    Rule::value(
        "secrets.azure_sas_signature",
        "azure_key",
        0.85,
        r"[?&]sig=(?P<v>[A-Za-z0-9%+/]{40,128}(?:%3[Dd]|=){0,2})",
    )
    .validate(Validator::Key)
    .near(&["sv=", "se=", "sp=", "spr=", "srt=", "sr=", "st="]),
    // Entra ID (Azure AD) client secret: three characters, a digit, "Q~".
    Rule::value(
        "secrets.azure_client_secret",
        "azure_key",
        0.85,
        r"(?-u:\b)(?P<v>[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})",
    )
    .validate(Validator::Key),
    // Twilio API key SID ("SK" + 32 hex) and, next to its name, the account
    // SID ("AC" + 32 hex) and the auth token (32 hex).
    Rule::value(
        "secrets.twilio_api_key",
        "twilio_key",
        0.9,
        r"(?-u:\b)(?P<v>SK[0-9a-f]{32})(?-u:\b)",
    )
    .validate(Validator::Key),
    Rule::value(
        "secrets.twilio_account_sid",
        "twilio_key",
        0.85,
        r"(?-u:\b)(?P<v>AC[0-9a-f]{32})(?-u:\b)",
    )
    .validate(Validator::Key)
    .near(&["twilio", "account_sid", "account sid", "accountsid", "sid"]),
    Rule::value(
        "secrets.twilio_auth_token",
        "twilio_key",
        0.9,
        r#"(?i:twilio_?auth_?token|twilio[_ ](?:auth[_ ])?token)["']?(?:\s*(?:[:=]|=>)\s*|\s+)["']?(?P<v>[0-9a-f]{32})(?-u:\b)"#,
    )
    .validate(Validator::Key),
    Rule::value(
        "secrets.sendgrid_key",
        "sendgrid_key",
        0.95,
        r"(?-u:\b)(?P<v>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})",
    )
    .validate(Validator::Key),
    Rule::value("secrets.google_api_key", "google_api_key", 0.85, r"(?-u:\b)(?P<v>AIza[0-9A-Za-z_-]{35})")
        .validate(Validator::Key),
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
        r"(?i:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|ftps?|sftp|smtps?|ldaps?|jdbc:[a-z]+)://[^\s:/@]*:(?P<v>[^\s@/]{3,128})@",
    )
    .validate(Validator::NotPlaceholder),
    // "password = Tr0ub4dor&3", "api_key: 'a1b2...'": a value with letters
    // and digits assigned to a credential-named key.
    Rule::value(
        "secrets.assigned_credential",
        "password",
        0.65,
        r#"(?i:password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|client[_-]?secret|пароль)["']?\s{0,32}(?:[:=]|=>)\s{0,32}["']?(?P<v>[^\s"'`,;]{8,128})"#,
    )
    .validate(Validator::Token),
    // HTTP basic credentials: base64 of "user:password".
    Rule::value(
        "secrets.basic_auth_header",
        "basic_auth",
        0.85,
        r#"(?i:authorization)["'\]]{0,2}\s*[:=]\s*["']?(?i:basic)\s+(?P<v>[A-Za-z0-9+/]{8,512}={0,2})"#,
    )
    .validate(Validator::BasicAuth),
    // A random-looking value assigned to a token-named key ("api_key=",
    // "secret:", `"token":"..."`, "X-Api-Key: ..."); see `HighEntropy`.
    // Below every provider rule, so a recognised key keeps its own category.
    Rule::value(
        "secrets.high_entropy_assignment",
        "generic_secret",
        0.8,
        r#"(?i:api[_-]?key|apikey|api[_-]?secret|secret(?:[_-]?key)?|access[_-]?key|private[_-]?key|token|access[_-]?token|auth[_-]?token|refresh[_-]?token|bearer|authorization|client[_-]?secret|credentials?|signing[_-]?key|encryption[_-]?key)["'\]]{0,2}\s{0,32}(?:[:=]|=>)\s{0,32}["']?(?:Bearer\s{1,8})?(?P<v>[A-Za-z0-9+/=_.~-]{15,255}[A-Za-z0-9+/=_~-])"#,
    )
    .validate(Validator::HighEntropy)
    .not_near(NOT_A_SECRET),
    // The same in quotes, where the value may hold any symbol but a quote
    // or a space (`secret_key: "&)-pFGVrd...^T3%iNH!"`), and where a
    // camelCase name ending in Key/Secret/Token (`supabaseKey = "..."`)
    // also counts: code assigns credentials that way.
    Rule::value(
        "secrets.high_entropy_quoted",
        "generic_secret",
        0.8,
        concat!(
            r#"(?:(?i:api[_-]?key|apikey|api[_-]?secret|secret(?:[_-]?key)?|access[_-]?key|private[_-]?key|token|access[_-]?token|auth[_-]?token|refresh[_-]?token|client[_-]?secret|credentials?|signing[_-]?key|encryption[_-]?key|password|passwd)|[a-z0-9](?:Key|Secret|Token))"#,
            r#"["'\]]{0,2}\s{0,32}(?:[:=]|=>)\s{0,32}["'](?P<v>[^"'\s\\]{16,256})["']"#,
        ),
    )
    .validate(Validator::HighEntropy)
    .not_near(NOT_A_SECRET),
];

/// Key names that contain "token" but hold a position, not a credential.
const NOT_A_SECRET: &[&str] = &[
    "page_token",
    "pagetoken",
    "next_token",
    "continuation",
    "cursor",
];
