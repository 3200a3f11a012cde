//! The Solidity compiler: npm's solc-js at the version the contracts' pragma
//! names, driven through its standard-JSON interface so that the output
//! depends only on the source, its unit name and the settings here (not on
//! paths or the working directory).
//!
//! The compiler is `$ZKR_SOLCJS` when set, otherwise the `solcjs` that
//! `npm ci --prefix verifier-contract/solc` installs (`scripts/test` runs it).

use serde_json::{json, Value};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The compiler version the contracts are written for (the generated
/// verifier's pragma pins it).
pub const SOLC_VERSION: &str = "0.8.19";

/// Why compiling failed.
#[derive(Debug, thiserror::Error)]
pub enum SolcError {
    /// No compiler at the expected place.
    #[error("solcjs not found at {path} (run `npm ci --prefix verifier-contract/solc`, or set ZKR_SOLCJS)")]
    NotFound {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The compiler could not be run or talked to.
    #[error("running {path}: {source}")]
    Run {
        /// The compiler.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The compiler is another version.
    #[error("{path} is solc {found}, the contracts need {SOLC_VERSION}")]
    Version {
        /// The compiler.
        path: PathBuf,
        /// What it reported.
        found: String,
    },
    /// The compiler's output is not the standard-JSON output expected.
    #[error("solc output: {0}")]
    Output(String),
    /// The source has errors.
    #[error("{unit}: {messages}")]
    Compile {
        /// The source unit.
        unit: String,
        /// solc's formatted error messages.
        messages: String,
    },
}

/// One compiled contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// Creation code (constructor arguments go after it).
    pub bytecode: Vec<u8>,
    /// Bytes of the runtime code the creation code deploys (EIP-170 caps it).
    pub runtime_size: usize,
    /// The ABI, as solc writes it.
    pub abi: Value,
}

/// A located solc-js.
#[derive(Clone, Debug)]
pub struct Solc {
    path: PathBuf,
}

impl Solc {
    /// Finds the compiler and checks its version.
    pub fn locate() -> Result<Self, SolcError> {
        let path = std::env::var_os("ZKR_SOLCJS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("solc/node_modules/.bin/solcjs"));
        if !path.exists() {
            return Err(SolcError::NotFound { path });
        }
        let solc = Self { path };
        let output = Command::new(&solc.path)
            .arg("--version")
            .output()
            .map_err(|source| solc.run_error(source))?;
        let found = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !found.starts_with(&format!("{SOLC_VERSION}+")) {
            return Err(SolcError::Version { path: solc.path, found });
        }
        Ok(solc)
    }

    fn run_error(&self, source: std::io::Error) -> SolcError {
        SolcError::Run {
            path: self.path.clone(),
            source,
        }
    }

    /// Compiles contract `contract` of the source unit `unit` (a file name,
    /// recorded in the bytecode's metadata hash), with the optimiser at 200
    /// runs when `optimize`.
    pub fn compile(&self, unit: &str, source: &str, contract: &str, optimize: bool) -> Result<Compiled, SolcError> {
        let input = json!({
            "language": "Solidity",
            "sources": { unit: { "content": source } },
            "settings": {
                "optimizer": { "enabled": optimize, "runs": 200 },
                "outputSelection": { unit: { contract: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
            },
        });
        // solc-js exits before a pipe has taken more than 64 KiB of its
        // output, so its output goes to a file.
        let mut output = tempfile::tempfile().map_err(|source| self.run_error(source))?;
        let stdout_file = output.try_clone().map_err(|source| self.run_error(source))?;
        let mut child = Command::new(&self.path)
            .arg("--standard-json")
            .stdin(Stdio::piped())
            .stdout(stdout_file)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| self.run_error(source))?;
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input.to_string().as_bytes())
            .map_err(|source| self.run_error(source))?;
        child.wait().map_err(|source| self.run_error(source))?;
        let mut stdout = String::new();
        output
            .seek(SeekFrom::Start(0))
            .and_then(|_| output.read_to_string(&mut stdout))
            .map_err(|source| self.run_error(source))?;
        // solc-js prints notices (e.g. about SMT solvers) before the JSON.
        let json_start = stdout
            .find('{')
            .ok_or_else(|| SolcError::Output(format!("no JSON in {stdout:?}")))?;
        let result: Value =
            serde_json::from_str(&stdout[json_start..]).map_err(|e| SolcError::Output(e.to_string()))?;
        let errors: Vec<String> = result["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["severity"] == "error")
            .map(|e| e["formattedMessage"].as_str().unwrap_or("(no message)").to_string())
            .collect();
        if !errors.is_empty() {
            return Err(SolcError::Compile {
                unit: unit.to_string(),
                messages: errors.join("\n"),
            });
        }
        let entry = &result["contracts"][unit][contract];
        let hex_code = entry["evm"]["bytecode"]["object"]
            .as_str()
            .ok_or_else(|| SolcError::Output(format!("no bytecode for {unit}:{contract}")))?;
        let bytecode = hex::decode(hex_code).map_err(|e| SolcError::Output(format!("bytecode of {contract}: {e}")))?;
        let runtime_hex = entry["evm"]["deployedBytecode"]["object"]
            .as_str()
            .ok_or_else(|| SolcError::Output(format!("no runtime code for {unit}:{contract}")))?;
        Ok(Compiled {
            bytecode,
            runtime_size: runtime_hex.len() / 2,
            abi: entry["abi"].clone(),
        })
    }
}
