//! The version-8 content checksum Power Apps stamps in `checksum.json` (`C8_<base64>`).

use crate::model::MsApp;

/// Whole-app checksum and per-file checksums (entry name -> `C8_...`), in checksum order.
#[derive(Debug, Clone, PartialEq)]
pub struct Checksums {
    pub whole: String,
    pub per_file: Vec<(String, String)>,
}

/// Computes the checksum of an app's entries (entries whose name ends in `checksum.json` are
/// skipped).
pub fn compute(app: &MsApp) -> Checksums {
    let _ = app;
    todo!("checksum::compute")
}
