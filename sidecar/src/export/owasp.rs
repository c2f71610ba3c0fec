//! Engine categories -> OWASP Top 10 for LLM Applications 2025 ids.
//!
//! - LLM01 Prompt Injection: instruction overrides, role tags, indirect
//!   injection, jailbreaks, and the evasion disguises (they exist only to
//!   smuggle an injection past the rules).
//! - LLM02 Sensitive Information Disclosure: PII and secrets in traffic, and
//!   exfiltration. Exfiltration is filed here rather than under LLM06: what
//!   its rules catch is data being sent out (by URL, DNS, markdown image or
//!   "repeat the conversation"), whatever the channel; LLM06 is about the
//!   model acting beyond its remit.
//! - LLM05 Improper Output Handling: code injection (SQL, NoSQL, LDAP, XPath,
//!   templates, XSS, commands) is harmful once a model's output reaches an
//!   interpreter downstream.
//! - LLM06 Excessive Agency: tool abuse (shell, path traversal, privilege
//!   escalation, persistence, secret files): an agent made to use its tools
//!   against its host.
//! - LLM07 System Prompt Leakage: prompt leaks asked for, and answers that
//!   echo a system prompt or carry one of its canaries.
//! - LLM10 Unbounded Consumption: requests refused as too large (no
//!   category; see [`label`]) or over a rate limit (`rate_limited`, set by
//!   the filter rather than an engine).
//!
//! A category without an entry (a policy's custom rule, or a new engine
//! category; a unit test catches the latter) is [`UNMAPPED`].

pub const UNMAPPED: &str = "unmapped";

pub fn owasp_llm(category: &str) -> &'static str {
    match category {
        // injection, jailbreak
        "instruction_override" | "role_injection" | "indirect_injection" | "jailbreak"
        // evasion
        | "encoded_payload" | "homoglyph" | "invisible_characters" | "leetspeak"
        | "obfuscation" | "reversed" | "rot13" | "spaced_letters" | "split_words" => {
            "LLM01:2025"
        }
        // pii
        "credit_card" | "date_of_birth" | "email" | "iban" | "ip_address" | "national_id"
        | "passport" | "phone"
        // secrets
        | "anthropic_key" | "aws_access_key" | "aws_secret_key" | "azure_key" | "basic_auth"
        | "connection_string" | "gcp_credential" | "generic_secret" | "github_token"
        | "gitlab_token" | "google_api_key" | "huggingface_token" | "jwt" | "npm_token"
        | "openai_key" | "password" | "private_key" | "sendgrid_key" | "sentry_token"
        | "slack_token" | "stripe_key" | "twilio_key" | "vault_token"
        // exfiltration
        | "conversation_exfiltration" | "data_exfiltration" | "dns_exfiltration"
        | "exfil_endpoint" | "markdown_exfiltration" | "url_exfiltration" => "LLM02:2025",
        // code_injection
        "command_injection" | "ldap_injection" | "nosql_injection" | "sql_injection"
        | "template_injection" | "xpath_injection" | "xss" => "LLM05:2025",
        // tool_abuse
        "path_traversal" | "persistence" | "privilege_escalation" | "secret_file_access"
        | "shell_injection" | "tool_abuse" => "LLM06:2025",
        "prompt_leak" | "system_prompt_leak" | "canary" => "LLM07:2025",
        "rate_limited" => "LLM10:2025",
        _ => UNMAPPED,
    }
}

/// The OWASP id of an incident, by its verdict and category. None for a
/// quarantined client's refused request: it repeats earlier incidents (which
/// carry their own ids) rather than naming a new risk.
pub fn label(verdict: &str, category: Option<&str>) -> Option<&'static str> {
    match (verdict, category) {
        ("quarantined", _) => None,
        ("too_large", None) => Some("LLM10:2025"),
        // An answer that could not be read (compressed, too large): no
        // risk is named, the gap is.
        ("unscanned", _) => Some(UNMAPPED),
        (_, Some(category)) => Some(owasp_llm(category)),
        (_, None) => Some(UNMAPPED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentinel_engines::{Engine, Scanner};

    /// Fails for a category added to an engine without an OWASP id here.
    #[test]
    fn every_engine_category_is_mapped() {
        let scanner = Scanner::builder()
            .engines(&Engine::ALL)
            .build()
            .expect("engines build");
        let categories = scanner.categories();
        assert!(categories.len() > 40, "{categories:?}");
        let unmapped: Vec<&str> = categories
            .into_iter()
            .filter(|c| owasp_llm(c) == UNMAPPED)
            .collect();
        assert_eq!(
            unmapped,
            Vec::<&str>::new(),
            "categories without an OWASP id"
        );
    }

    #[test]
    fn mapping() {
        let cases = [
            ("instruction_override", "LLM01:2025"),
            ("jailbreak", "LLM01:2025"),
            ("rot13", "LLM01:2025"),
            ("email", "LLM02:2025"),
            ("aws_access_key", "LLM02:2025"),
            ("markdown_exfiltration", "LLM02:2025"),
            ("sql_injection", "LLM05:2025"),
            ("shell_injection", "LLM06:2025"),
            ("prompt_leak", "LLM07:2025"),
            ("my_custom_rule", UNMAPPED),
        ];
        for (category, id) in cases {
            assert_eq!(owasp_llm(category), id, "{category}");
        }
        assert_eq!(label("block", Some("prompt_leak")), Some("LLM07:2025"));
        assert_eq!(label("allow", Some("email")), Some("LLM02:2025"));
        assert_eq!(label("too_large", None), Some("LLM10:2025"));
        assert_eq!(
            label("rate_limited", Some("rate_limited")),
            Some("LLM10:2025")
        );
        assert_eq!(label("quarantined", Some("quarantined")), None);
        assert_eq!(label("block", None), Some(UNMAPPED));
    }
}
