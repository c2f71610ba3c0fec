use std::fmt;

/// Error building a scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    UnknownEngine(String),
    /// A rule's pattern does not compile (a bug in a pack, caught by tests).
    BadRule {
        rule: String,
        reason: String,
    },
}

impl Error {
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind }
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::UnknownEngine(name) => write!(
                f,
                "unknown engine {name:?} (known: injection, jailbreak, pii, secrets)"
            ),
            ErrorKind::BadRule { rule, reason } => {
                write!(f, "rule {rule} does not compile: {reason}")
            }
        }
    }
}

impl std::error::Error for Error {}
