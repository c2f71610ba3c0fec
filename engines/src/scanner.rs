use crate::{Engine, Error, Verdict};

/// Compiled engines. Build once (per VM / process), scan with `&self`.
#[derive(Debug)]
pub struct Scanner {
    engines: Vec<Engine>,
}

#[derive(Debug, Default)]
pub struct ScannerBuilder {
    engines: Option<Vec<Engine>>,
}

impl Scanner {
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    pub fn engines(&self) -> &[Engine] {
        &self.engines
    }

    pub fn scan(&self, _text: &str) -> Verdict {
        // Placeholder until the rule packs land; the API is final.
        Verdict::default()
    }
}

impl ScannerBuilder {
    /// Restricts the scanner to these engines (default: all).
    pub fn engines(mut self, engines: &[Engine]) -> Self {
        self.engines = Some(engines.to_vec());
        self
    }

    pub fn build(self) -> Result<Scanner, Error> {
        Ok(Scanner {
            engines: self.engines.unwrap_or_else(|| Engine::ALL.to_vec()),
        })
    }
}
