//! msapp-merge: keep Power Apps canvas apps (`.msapp`) in git and merge them like code.

pub mod app;
pub mod check;
pub mod checksum;
pub mod container;
pub mod crash;
pub mod driver;
pub mod error;
pub mod fsio;
pub mod fxyaml;
pub mod git;
pub mod json;
mod memo;
pub mod merge;
pub mod model;
mod parallel;
pub mod payaml;
pub mod render;
pub mod source;
pub mod synthetic;
pub mod templates;
pub mod xml;

pub use error::{Error, Result};
