use std::fmt;

/// Error building a scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    UnknownEngine(String),
    /// A rule's pattern does not compile (a bug in a pack, caught by
    /// tests), or a custom rule is invalid; `rule` is its id.
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
            ErrorKind::UnknownEngine(name) => {
                write!(f, "unknown engine {name:?} (known:")?;
                for (i, engine) in crate::Engine::ALL.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{engine}")?;
                }
                f.write_str(")")
            }
            ErrorKind::BadRule { rule, reason } => {
                write!(f, "bad rule {rule}: {reason}")
            }
        }
    }
}

impl std::error::Error for Error {}
