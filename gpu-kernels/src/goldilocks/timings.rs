//! Where a kernel call spent its time.

use std::ops::AddAssign;
use std::time::Duration;

/// Wall-clock breakdown of one GPU call. Each phase waits for the device
/// before the next starts, so the parts do not overlap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Host-to-device copies (input data, twiddle and constant tables).
    pub upload: Duration,
    /// Kernel execution, from submit until the device is idle.
    pub compute: Duration,
    /// Device-to-host copies of the results.
    pub download: Duration,
    /// Host-side work around the kernels (format conversion, transposition).
    pub host: Duration,
}

impl Timings {
    /// Sum of every phase.
    pub fn total(&self) -> Duration {
        self.upload + self.compute + self.download + self.host
    }

    /// Transfers only (upload + download).
    pub fn transfers(&self) -> Duration {
        self.upload + self.download
    }
}

impl AddAssign for Timings {
    fn add_assign(&mut self, other: Self) {
        self.upload += other.upload;
        self.compute += other.compute;
        self.download += other.download;
        self.host += other.host;
    }
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "upload {:.2} ms, compute {:.2} ms, download {:.2} ms, host {:.2} ms",
            ms(self.upload),
            ms(self.compute),
            ms(self.download),
            ms(self.host)
        )
    }
}

/// A duration in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
