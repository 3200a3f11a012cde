//! `zkr demo` runs every stage on the bundled data, prints its stage table
//! and exits 0.

use std::process::Command;

#[test]
fn demo_runs_every_stage_and_exits_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_zkr"))
        .arg("demo")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("zkr runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "zkr demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for stage in [
        "backend selection",
        "GPU kernel self-test",
        "execute sample block",
        "zkEVM prove+aggregate",
        "L1 settle wrap proof",
    ] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(stage))
            .unwrap_or_else(|| panic!("no row for stage {stage:?} in:\n{stdout}"));
        assert!(row.contains(" ok "), "stage {stage:?} did not succeed: {row}");
    }
    assert!(stdout.contains("equals sequential"), "{stdout}");
    assert!(
        stdout.contains("aggregated into one plonky2 proof and verified"),
        "{stdout}"
    );
}
