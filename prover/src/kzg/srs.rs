//! The KZG structured reference string (SRS): `[τ^i]G1` for `i < 2^k`, and
//! `G2`, `[τ]G2`, for a `τ` nobody knows.
//!
//! Two file formats load into halo2's `ParamsKZG<Bn256>` ([`load`] tells them
//! apart by their first bytes):
//!
//! - **snarkjs Powers of Tau** (`.ptau`, e.g. the Hermez/Polygon ceremony's
//!   `powersOfTau28_hez_final_<n>.ptau`): the bytes `ptau`, a `u32` version,
//!   a `u32` section count, then sections, each a `u32` id, a `u64` byte
//!   length and its body (all little-endian). Section 1 (header) holds `n8`
//!   (`u32`, 32 for BN254), the base-field modulus (`n8` bytes) and `power`
//!   (`u32`: the file has `2^power` G2 powers and `2^(power+1) - 1` G1
//!   powers); section 2 the G1 powers `[τ^i]G1`, each `x ‖ y`; section 3 the
//!   G2 powers `[τ^i]G2`, each `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`. Every coordinate
//!   is `n8` bytes, little-endian, in Montgomery form (`a·2^256 mod q`, the
//!   same representation halo2curves keeps in memory). We read the first
//!   `2^k` G1 powers and the first two G2 powers, check every point is on its
//!   curve, and compute the Lagrange basis (halo2's `from_parts`).
//! - **halo2's own** (`ParamsKZG::write_custom` with `SerdeFormat::RawBytes`,
//!   what `zkr wrap --save-srs` writes and what PSE publishes for halo2): `k`
//!   as a `u32`, `2^k` G1 points (the powers), `2^k` G1 points (the Lagrange
//!   basis), then `G2` and `[τ]G2`; points are raw Montgomery coordinates
//!   (`x ‖ y` as 32-byte words), checked to be on the curve when read.
//!
//! A larger SRS is cut down to `2^k` points (its first powers are the smaller
//! SRS). Either way [`check_powers`] then verifies with one pairing equation
//! that the G1 points are successive powers of the `τ` in `[τ]G2`.
//! [`insecure_local`] makes a fresh SRS from a random `τ` that is dropped at
//! once: fine for tests and benchmarks, not for a deployment (whoever ran it
//! could have kept `τ`).

use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fq2, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_proofs::halo2curves::pairing::{MillerLoopResult, MultiMillerLoop};
use halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use rand_core::{OsRng, RngCore};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why an SRS file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SrsError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is malformed.
    #[error("{path}: {what}")]
    Format {
        /// The file.
        path: PathBuf,
        /// Which part, and what was expected.
        what: String,
    },
    /// The file holds fewer points than the circuit needs.
    #[error("{path}: holds 2^{has} powers, the circuit needs 2^{needs}")]
    TooSmall {
        /// The file.
        path: PathBuf,
        /// log2 of its powers.
        has: u32,
        /// log2 of what is needed.
        needs: u32,
    },
    /// The points are not powers of the `τ` in `[τ]G2`.
    #[error("{path}: the G1 points are not successive powers of the tau in [tau]G2 (pairing check failed)")]
    NotPowers {
        /// The file.
        path: PathBuf,
    },
}

/// A fresh SRS of `2^k` powers of a random `τ` that is dropped at once.
pub fn insecure_local(k: u32) -> ParamsKZG<Bn256> {
    ParamsKZG::setup(k, OsRng)
}

/// Loads `2^k` powers from a snarkjs `.ptau` file or a halo2 params file
/// (see the module doc), checking the points.
pub fn load(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>, SrsError> {
    let bytes = std::fs::read(path).map_err(|source| SrsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let params = if bytes.starts_with(b"ptau") {
        Ptau { path, bytes: &bytes }.params(k)?
    } else {
        read_halo2(path, &bytes, k)?
    };
    if !check_powers(&params) {
        return Err(SrsError::NotPowers {
            path: path.to_path_buf(),
        });
    }
    Ok(params)
}

/// `[τ]G1` of `params` in raw form (64 bytes): two SRS share it exactly
/// when they share `τ` (a larger SRS cut down keeps it), so it names the
/// setup that keys and proofs were made on.
pub fn fingerprint(params: &ParamsKZG<Bn256>) -> Vec<u8> {
    params.get_g().get(1).map_or_else(Vec::new, |tau| {
        let mut bytes = tau.x.to_raw_bytes();
        bytes.extend(tau.y.to_raw_bytes());
        bytes
    })
}

/// Writes `params` in halo2's format (checked coordinates, module doc).
pub fn save(params: &ParamsKZG<Bn256>, path: &Path) -> Result<(), SrsError> {
    let mut out = Vec::new();
    let io = |source| SrsError::Io {
        path: path.to_path_buf(),
        source,
    };
    params.write_custom(&mut out, SerdeFormat::RawBytes).map_err(io)?;
    std::fs::write(path, out).map_err(io)
}

/// Whether `params`' G1 points are `[τ^i]G1` for the `τ` of its `[τ]G2`:
/// with random `r_i`, `e(Σ r_i·g_{i+1}, G2) = e(Σ r_i·g_i, [τ]G2)`.
pub fn check_powers(params: &ParamsKZG<Bn256>) -> bool {
    let g = params.get_g();
    if g.len() < 2 {
        return true;
    }
    let r: Vec<Fr> = (0..g.len() - 1).map(|_| Fr::from(OsRng.next_u64())).collect();
    let shifted = best_multiexp(&r, &g[1..]).to_affine();
    let base = best_multiexp(&r, &g[..g.len() - 1]).to_affine();
    let g2 = params.g2().into();
    let s_g2 = (-params.s_g2()).into();
    Bn256::multi_miller_loop(&[(&shifted, &g2), (&base, &s_g2)])
        .final_exponentiation()
        .is_identity()
        .into()
}

fn read_halo2(path: &Path, bytes: &[u8], k: u32) -> Result<ParamsKZG<Bn256>, SrsError> {
    let mut reader = bytes;
    let mut params =
        ParamsKZG::<Bn256>::read_custom(&mut reader, SerdeFormat::RawBytes).map_err(|e| SrsError::Format {
            path: path.to_path_buf(),
            what: format!("not a halo2 KZG params file (k, 2^k powers and Lagrange points, G2, [tau]G2): {e}"),
        })?;
    if params.k() < k {
        return Err(SrsError::TooSmall {
            path: path.to_path_buf(),
            has: params.k(),
            needs: k,
        });
    }
    if params.k() > k {
        params.downsize(k);
    }
    Ok(params)
}

/// A snarkjs Powers of Tau file in memory.
struct Ptau<'a> {
    path: &'a Path,
    bytes: &'a [u8],
}

/// Bytes of a BN254 base-field element in a `.ptau` file.
const PTAU_N8: usize = 32;

impl Ptau<'_> {
    fn error(&self, what: impl Into<String>) -> SrsError {
        SrsError::Format {
            path: self.path.to_path_buf(),
            what: what.into(),
        }
    }

    /// The body of section `id`.
    fn section(&self, id: u32) -> Result<&[u8], SrsError> {
        let mut reader = self.bytes.get(12..).ok_or_else(|| self.error("truncated header"))?;
        let count = u32::from_le_bytes(self.bytes[8..12].try_into().expect("4 bytes"));
        for _ in 0..count {
            let mut head = [0u8; 12];
            reader
                .read_exact(&mut head)
                .map_err(|_| self.error("truncated section table"))?;
            let section = u32::from_le_bytes(head[..4].try_into().expect("4 bytes"));
            let len = u64::from_le_bytes(head[4..].try_into().expect("8 bytes"));
            let len = usize::try_from(len)
                .ok()
                .filter(|&len| len <= reader.len())
                .ok_or_else(|| self.error(format!("section {section} runs past the end of the file")))?;
            if section == id {
                return Ok(&reader[..len]);
            }
            reader = &reader[len..];
        }
        Err(self.error(format!("no section {id}")))
    }

    /// The error for point `index` of `section` (built only on failure:
    /// points are read by the million).
    fn bad_point(&self, section: &str, index: usize) -> SrsError {
        self.error(format!(
            "{section}, point {index}: a coordinate is not below the modulus, or the point is not on the curve"
        ))
    }

    fn g1(&self, bytes: &[u8], index: usize) -> Result<G1Affine, SrsError> {
        let x = Fq::from_raw_bytes(&bytes[..PTAU_N8]);
        let y = Fq::from_raw_bytes(&bytes[PTAU_N8..]);
        x.zip(y)
            .and_then(|(x, y)| G1Affine::from_xy(x, y).into())
            .ok_or_else(|| self.bad_point("section 2 (tauG1)", index))
    }

    fn g2(&self, bytes: &[u8], index: usize) -> Result<G2Affine, SrsError> {
        let fq2 = |at: usize| {
            let c0 = Fq::from_raw_bytes(&bytes[at..at + PTAU_N8])?;
            let c1 = Fq::from_raw_bytes(&bytes[at + PTAU_N8..at + 2 * PTAU_N8])?;
            Some(Fq2 { c0, c1 })
        };
        fq2(0)
            .zip(fq2(2 * PTAU_N8))
            .and_then(|(x, y)| G2Affine::from_xy(x, y).into())
            .ok_or_else(|| self.bad_point("section 3 (tauG2)", index))
    }

    fn params(&self, k: u32) -> Result<ParamsKZG<Bn256>, SrsError> {
        let header = self.section(1)?;
        if header.len() < 4 + PTAU_N8 + 4 {
            return Err(self.error("section 1 (header) is too short"));
        }
        let n8 = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        if n8 != PTAU_N8 || header[4..4 + n8] != base_modulus_le() {
            return Err(
                self.error("section 1 (header): not a BN254 ceremony (n8 must be 32 and q BN254's base modulus)")
            );
        }
        let power = u32::from_le_bytes(header[4 + n8..8 + n8].try_into().expect("4 bytes"));
        if power < k {
            return Err(SrsError::TooSmall {
                path: self.path.to_path_buf(),
                has: power,
                needs: k,
            });
        }
        let n = 1usize << k;
        let g1_bytes = 2 * PTAU_N8;
        let tau_g1 = self.section(2)?;
        if tau_g1.len() < n * g1_bytes {
            return Err(self.error(format!("section 2 (tauG1) holds fewer than 2^{k} points")));
        }
        let g = tau_g1
            .chunks(g1_bytes)
            .take(n)
            .enumerate()
            .map(|(i, bytes)| self.g1(bytes, i))
            .collect::<Result<Vec<_>, _>>()?;
        let g2_bytes = 4 * PTAU_N8;
        let tau_g2 = self.section(3)?;
        if tau_g2.len() < 2 * g2_bytes {
            return Err(self.error("section 3 (tauG2) holds fewer than two points"));
        }
        let g2 = self.g2(&tau_g2[..g2_bytes], 0)?;
        let s_g2 = self.g2(&tau_g2[g2_bytes..2 * g2_bytes], 1)?;
        if g[0] != G1Affine::generator() || g2 != G2Affine::generator() {
            return Err(self.error("the first powers are not the generators of G1 and G2"));
        }
        Ok(ParamsKZG::<Bn256>::setup(0, OsRng).from_parts(k, g, None, g2, s_g2))
    }
}

/// BN254's base-field modulus, little-endian (as a `.ptau` header holds it).
fn base_modulus_le() -> [u8; PTAU_N8] {
    let hex = Fq::MODULUS.trim_start_matches("0x");
    let mut le = [0u8; PTAU_N8];
    for (i, byte) in le.iter_mut().enumerate() {
        let at = hex.len() - 2 * (i + 1);
        *byte = u8::from_str_radix(&hex[at..at + 2], 16).expect("the modulus is hex");
    }
    le
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::ff::Field;

    /// A `.ptau` file (sections 1 to 3) of `2^power` powers of `tau`; the G1
    /// point `corrupt` (if any) is replaced by another point on the curve.
    fn ptau_bytes(tau: Fr, power: u32, corrupt: Option<usize>) -> Vec<u8> {
        let n = 1usize << power;
        let (mut g1_section, mut g2_section) = (Vec::new(), Vec::new());
        let mut acc = Fr::ONE;
        for i in 0..2 * n - 1 {
            let exponent = if corrupt == Some(i) { acc + Fr::ONE } else { acc };
            let p = (G1Affine::generator() * exponent).to_affine();
            g1_section.extend(p.x.to_raw_bytes());
            g1_section.extend(p.y.to_raw_bytes());
            if i < n {
                let q = (G2Affine::generator() * acc).to_affine();
                for c in [q.x.c0, q.x.c1, q.y.c0, q.y.c1] {
                    g2_section.extend(c.to_raw_bytes());
                }
            }
            acc *= tau;
        }
        let mut header = (PTAU_N8 as u32).to_le_bytes().to_vec();
        header.extend(base_modulus_le());
        header.extend(power.to_le_bytes());
        header.extend(power.to_le_bytes());
        let mut out = b"ptau".to_vec();
        out.extend(1u32.to_le_bytes());
        out.extend(3u32.to_le_bytes());
        for (id, body) in [(1u32, header), (2, g1_section), (3, g2_section)] {
            out.extend(id.to_le_bytes());
            out.extend((body.len() as u64).to_le_bytes());
            out.extend(body);
        }
        out
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn ptau_and_halo2_files_load_to_the_same_powers() {
        let dir = tempfile::tempdir().unwrap();
        let tau = Fr::random(OsRng);
        let ptau = write(dir.path(), "test.ptau", &ptau_bytes(tau, 4, None));
        let params = load(&ptau, 3).expect("a well-formed ptau loads");
        assert_eq!(params.k(), 3);
        let mut power = Fr::ONE;
        for point in params.get_g() {
            assert_eq!(*point, (G1Affine::generator() * power).to_affine());
            power *= tau;
        }
        assert_eq!(params.s_g2(), (G2Affine::generator() * tau).to_affine());

        // Saved in halo2's format and loaded back: the same SRS, Lagrange basis included.
        let halo2 = dir.path().join("test.srs");
        save(&params, &halo2).unwrap();
        let reloaded = load(&halo2, 3).unwrap();
        let bytes = |p: &ParamsKZG<Bn256>| {
            let mut out = Vec::new();
            p.write_custom(&mut out, SerdeFormat::RawBytes).unwrap();
            out
        };
        assert_eq!(bytes(&reloaded), bytes(&params));
        // A larger file serves a smaller circuit; a smaller one does not.
        assert_eq!(load(&halo2, 2).unwrap().get_g(), &params.get_g()[..4]);
        assert!(matches!(
            load(&halo2, 4),
            Err(SrsError::TooSmall { has: 3, needs: 4, .. })
        ));
        assert!(matches!(
            load(&ptau, 5),
            Err(SrsError::TooSmall { has: 4, needs: 5, .. })
        ));
    }

    #[test]
    fn malformed_srs_files_are_rejected_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let tau = Fr::random(OsRng);
        // A point that is on the curve but not the next power of tau.
        let forged = write(dir.path(), "forged.ptau", &ptau_bytes(tau, 3, Some(5)));
        assert!(matches!(load(&forged, 3), Err(SrsError::NotPowers { .. })));
        // Beyond the first 2^k powers the forged point is not read.
        assert!(load(&forged, 2).is_ok());

        let good = ptau_bytes(tau, 3, None);
        let truncated = write(dir.path(), "truncated.ptau", &good[..good.len() - 100]);
        let err = load(&truncated, 3).unwrap_err().to_string();
        assert!(
            err.contains("truncated.ptau") && err.contains("runs past the end"),
            "{err}"
        );

        // A coordinate off the curve (y + 1).
        let mut off_curve = good.clone();
        let first_y = 12 + (12 + 4 + 32 + 8) + 12 + 32;
        off_curve[first_y] ^= 1;
        let off_curve = write(dir.path(), "off-curve.ptau", &off_curve);
        let err = load(&off_curve, 3).unwrap_err().to_string();
        assert!(err.contains("tauG1") && err.contains("point 0"), "{err}");

        let not_params = write(dir.path(), "junk.srs", b"not an SRS at all");
        assert!(matches!(load(&not_params, 3), Err(SrsError::Format { .. })));
    }
}
