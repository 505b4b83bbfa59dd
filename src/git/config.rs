//! The configuration msapp-merge registers with git, and the `git config` calls that read and
//! write it in one scope.
//!
//! Every key has a known value (or, for commands, a known shape: one program word followed by our
//! exact arguments), so install and uninstall can tell our own values, including those written by
//! an earlier install from another location, from values the user wrote.

use std::ffi::OsString;

use super::shell;
use super::{Git, Scope, git_failure};
use crate::error::Result;

/// Name of the merge and diff driver for whole apps (`merge=msapp diff=msapp`).
pub const APP_DRIVER: &str = "msapp";

/// Config key recording that msapp-merge installed into a scope (value: `msapp-merge <version>`).
pub const MARKER_KEY: &str = "msapp-merge.installed-by";

/// What `merge.<driver>.recursive` names: git's built-in `binary` driver, which for the inner
/// merge of several merge bases (criss-cross histories) keeps the older ancestor. The result is
/// always a valid file, and our driver never sees git's "Temporary merge branch" inputs.
pub const RECURSIVE: &str = "binary";

/// Arguments of the app merge driver after the program word (placeholders expanded by git; git
/// single-quotes `%P %S %X %Y` itself, `%O %A %B` are plain temp-file names).
pub const MERGE_ARGS: &str =
    "merge --marker-size %L --path %P --base-label %S --ours-label %X --theirs-label %Y %O %A %B";

/// Arguments of the textconv command after the program word (git appends the file path).
/// The text version is part of the command because git keeps textconv's output per blob
/// (`cachetextconv`) and starts that cache afresh only when the command changes: a release
/// whose text differs bumps [`crate::render::TEXT_VERSION`], and `install` writes the new
/// command (`doctor` says when the configured one is older).
pub fn textconv_args() -> String {
    format!("textconv --text-version {}", crate::render::TEXT_VERSION)
}

/// Textconv commands earlier releases wrote; still ours, but their text is outdated.
const OLDER_TEXTCONV_ARGS: &[&str] = &["textconv"];

/// Hunk headers for the textconv output: the `=== <member path>` file separators, and control
/// header lines such as `    Label1 As label:` or `"'My Label' As label":`, shown without
/// indentation and colon. Two patterns, one per line, as git's `xfuncname` allows.
pub const XFUNCNAME: &str = "^(=== .+)$\n^[ \t]*(\"?([^\"': \t][^\"':]*|'[^']*') As [^\":]+\"?):$";

/// Words for `--word-diff`/`--color-words` on formulas: identifiers, numbers, two-character
/// operators, and any other single non-space character.
pub const WORD_REGEX: &str =
    "[A-Za-z_][A-Za-z0-9_]*|[0-9]+([.][0-9]+)?|<>|<=|>=|&&|[|][|]|[^[:space:]]";

/// Per-file merge drivers for committed unpacked trees (`pac canvas unpack` layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKind {
    /// `Src/**/*.fx.yaml`: controls and formulas.
    FxYaml,
    /// Editor state and entropy: volatile data that may be regenerated.
    Cache,
    /// `Entropy/checksum.json`: recomputed, never merged by hand.
    Checksum,
    /// Manifest, data sources, connections, packages: conflict unless trivially mergeable.
    Strict,
}

impl TreeKind {
    pub const ALL: [TreeKind; 4] = [
        TreeKind::FxYaml,
        TreeKind::Cache,
        TreeKind::Checksum,
        TreeKind::Strict,
    ];

    /// The value of `merge-file --kind`.
    pub fn kind_arg(self) -> &'static str {
        match self {
            TreeKind::FxYaml => "fx-yaml",
            TreeKind::Cache => "cache",
            TreeKind::Checksum => "checksum",
            TreeKind::Strict => "strict",
        }
    }

    /// The merge driver name used in `.gitattributes` (`merge=<name>`).
    pub fn driver_name(self) -> &'static str {
        match self {
            TreeKind::FxYaml => "msapp-fxyaml",
            TreeKind::Cache => "msapp-cache",
            TreeKind::Checksum => "msapp-checksum",
            TreeKind::Strict => "msapp-strict",
        }
    }

    fn description(self) -> &'static str {
        match self {
            TreeKind::FxYaml => "Power Apps .fx.yaml source (msapp-merge)",
            TreeKind::Cache => "Power Apps editor state and entropy (msapp-merge)",
            TreeKind::Checksum => "Power Apps checksum.json (msapp-merge)",
            TreeKind::Strict => "Power Apps manifest, data sources and packages (msapp-merge)",
        }
    }

    /// Arguments of this kind's merge driver after the program word.
    pub fn merge_args(self) -> String {
        format!(
            "merge-file --kind {} --marker-size %L --path %P --base-label %S --ours-label %X --theirs-label %Y %O %A %B",
            self.kind_arg()
        )
    }
}

/// How a value written by msapp-merge is recognised when read back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// Exactly this value.
    Fixed,
    /// A program word followed by these arguments; `%` in the program is doubled when git
    /// expands placeholders in this key (merge drivers).
    Command {
        args: String,
        percent: bool,
        /// The arguments earlier releases wrote for this key.
        older: &'static [&'static str],
    },
    /// The install marker: any `msapp-merge <version>`.
    Marker,
}

/// One config key msapp-merge writes, with the value it writes now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    shape: Shape,
}

impl Entry {
    fn fixed(key: String, value: &str) -> Self {
        Entry {
            key,
            value: value.to_string(),
            shape: Shape::Fixed,
        }
    }

    fn command(key: String, program: &str, args: &str, percent: bool) -> Self {
        let word = shell::quote(program);
        let word = if percent {
            shell::escape_percent(&word)
        } else {
            word
        };
        Entry {
            key,
            value: format!("{word} {args}"),
            shape: Shape::Command {
                args: args.to_string(),
                percent,
                older: &[],
            },
        }
    }

    /// The same command as earlier releases wrote it with these arguments instead.
    fn written_before_as(mut self, older_args: &'static [&'static str]) -> Self {
        if let Shape::Command { older, .. } = &mut self.shape {
            *older = older_args;
        }
        self
    }

    /// Whether `value` is one msapp-merge writes for this key: the current value, the same
    /// command run from another place (`program` is the program being installed now), or the
    /// command an earlier release wrote.
    pub fn is_ours(&self, value: &str, program: &str) -> bool {
        match &self.shape {
            Shape::Fixed => value == self.value,
            Shape::Marker => value.starts_with("msapp-merge "),
            Shape::Command { args, older, .. } => self
                .command_args(value, program)
                .is_some_and(|rest| rest == *args || older.contains(&rest.as_str())),
        }
    }

    /// Whether `value` is msapp-merge's command as an earlier release wrote it.
    pub fn is_outdated(&self, value: &str, program: &str) -> bool {
        match &self.shape {
            Shape::Command { older, .. } => self
                .command_args(value, program)
                .is_some_and(|rest| older.contains(&rest.as_str())),
            _ => false,
        }
    }

    /// The arguments of `value` when its program is msapp-merge.
    fn command_args(&self, value: &str, program: &str) -> Option<String> {
        let Shape::Command { percent, .. } = &self.shape else {
            return None;
        };
        let line = if *percent {
            shell::unescape_percent(value)
        } else {
            value.to_string()
        };
        let (word, rest) = shell::split_first_word(&line)?;
        let rest = rest.strip_prefix(' ')?;
        (word == program || is_msapp_merge_program(&word)).then(|| rest.to_string())
    }

    /// Whether this key names a command whose program must be reachable.
    pub fn is_command(&self) -> bool {
        matches!(self.shape, Shape::Command { .. })
    }

    /// The program word of a command value as git's shell will see it.
    pub fn program_of(&self, value: &str) -> Option<String> {
        let line = match &self.shape {
            Shape::Command { percent: true, .. } => shell::unescape_percent(value),
            _ => value.to_string(),
        };
        shell::split_first_word(&line).map(|(word, _)| word)
    }
}

/// Whether a program path names an msapp-merge binary (any directory, `.exe` or not).
pub fn is_msapp_merge_program(word: &str) -> bool {
    let name = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let lower = name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".exe").unwrap_or(&lower);
    stem == "msapp-merge"
}

/// Everything install writes, in write order, for `program` (the unquoted program path or
/// name). The marker comes last so its presence means the rest was written.
pub fn planned_entries(program: &str) -> Vec<Entry> {
    let mut entries = vec![
        Entry::fixed(
            format!("merge.{APP_DRIVER}.name"),
            "Power Apps canvas app (.msapp) merge by msapp-merge",
        ),
        Entry::command(
            format!("merge.{APP_DRIVER}.driver"),
            program,
            MERGE_ARGS,
            true,
        ),
        Entry::fixed(format!("merge.{APP_DRIVER}.recursive"), RECURSIVE),
        Entry::command(
            format!("diff.{APP_DRIVER}.textconv"),
            program,
            &textconv_args(),
            false,
        )
        .written_before_as(OLDER_TEXTCONV_ARGS),
        Entry::fixed(format!("diff.{APP_DRIVER}.cachetextconv"), "true"),
        Entry::fixed(format!("diff.{APP_DRIVER}.binary"), "true"),
        Entry::fixed(format!("diff.{APP_DRIVER}.xfuncname"), XFUNCNAME),
        Entry::fixed(format!("diff.{APP_DRIVER}.wordRegex"), WORD_REGEX),
    ];
    for kind in TreeKind::ALL {
        let driver = kind.driver_name();
        entries.push(Entry::fixed(
            format!("merge.{driver}.name"),
            kind.description(),
        ));
        entries.push(Entry::command(
            format!("merge.{driver}.driver"),
            program,
            &kind.merge_args(),
            true,
        ));
        entries.push(Entry::fixed(format!("merge.{driver}.recursive"), RECURSIVE));
    }
    entries.push(Entry {
        key: MARKER_KEY.to_string(),
        value: format!("msapp-merge {}", env!("CARGO_PKG_VERSION")),
        shape: Shape::Marker,
    });
    entries
}

/// The config sections install creates (removed by uninstall once empty).
pub fn sections() -> Vec<String> {
    let mut sections = vec![format!("merge.{APP_DRIVER}"), format!("diff.{APP_DRIVER}")];
    sections.extend(
        TreeKind::ALL
            .iter()
            .map(|k| format!("merge.{}", k.driver_name())),
    );
    sections.push("msapp-merge".to_string());
    sections
}

fn scoped(scope: &Scope, rest: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["config".into()];
    args.extend(scope.args());
    args.extend(rest.iter().map(OsString::from));
    args
}

fn split_nul(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// All values of `key` in one scope (empty when unset).
pub fn get_all(git: &Git, scope: &Scope, key: &str) -> Result<Vec<String>> {
    let args = scoped(scope, &["-z", "--get-all", key]);
    let out = git.output(&args)?;
    match out.status.code() {
        Some(0) => {
            // Each value ends with NUL, so the last piece is the empty remainder after it.
            let mut values: Vec<String> = out
                .stdout
                .split(|b| *b == 0)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            values.pop();
            Ok(values)
        }
        Some(1) => Ok(Vec::new()),
        _ => Err(git_failure(&args, &out)),
    }
}

/// Sets `key` to `value` in one scope, replacing every earlier value.
pub fn set(git: &Git, scope: &Scope, key: &str, value: &str) -> Result<()> {
    let args = scoped(scope, &["--replace-all", key, value]);
    git.run(&args).map(drop)
}

/// Removes every value of `key` in one scope (no error when it is already gone).
pub fn unset_all(git: &Git, scope: &Scope, key: &str) -> Result<()> {
    let args = scoped(scope, &["--unset-all", key]);
    let out = git.output(&args)?;
    match out.status.code() {
        Some(0) | Some(5) => Ok(()),
        _ => Err(git_failure(&args, &out)),
    }
}

/// Key names (as git prints them, lower-case) set in one scope under `section`.
pub fn keys_in_section(git: &Git, scope: &Scope, section: &str) -> Result<Vec<String>> {
    let pattern = format!("^{}\\.", regex_escape(section));
    let args = scoped(scope, &["-z", "--get-regexp", &pattern]);
    let out = git.output(&args)?;
    match out.status.code() {
        // With -z each entry is "key\nvalue\0" (or just "key\0" for a bare boolean).
        Some(0) => Ok(split_nul(&out.stdout)
            .into_iter()
            .map(|entry| entry.split('\n').next().unwrap_or_default().to_string())
            .collect()),
        Some(1) => Ok(Vec::new()),
        _ => Err(git_failure(&args, &out)),
    }
}

/// Removes `section` from one scope when no key is left in it, so uninstall leaves no empty
/// `[merge "msapp"]` header behind.
pub fn remove_section_if_empty(git: &Git, scope: &Scope, section: &str) -> Result<()> {
    if !keys_in_section(git, scope, section)?.is_empty() {
        return Ok(());
    }
    // Fails with "no such section" when there is nothing to remove, which is fine.
    let args = scoped(scope, &["--remove-section", section]);
    git.output(&args).map(drop)
}

/// Effective values of `key` (all scopes, as git resolves them), each with its origin
/// (`file:/path/to/config`, `command line:`...), last one winning.
pub fn effective_with_origin(git: &Git, key: &str) -> Result<Vec<(String, String)>> {
    let args: Vec<OsString> = ["config", "-z", "--show-origin", "--get-all", key]
        .iter()
        .map(OsString::from)
        .collect();
    let out = git.output(&args)?;
    match out.status.code() {
        Some(0) => {
            let parts: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
            Ok(parts
                .chunks_exact(2)
                .map(|pair| {
                    let text = |i: usize| {
                        pair.get(i)
                            .map(|b| String::from_utf8_lossy(b).into_owned())
                            .unwrap_or_default()
                    };
                    (text(0), text(1))
                })
                .collect())
        }
        Some(1) => Ok(Vec::new()),
        _ => Err(git_failure(&args, &out)),
    }
}

fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(entries: &[Entry], key: &str) -> Entry {
        entries.iter().find(|e| e.key == key).unwrap().clone()
    }

    #[test]
    fn merge_driver_has_every_placeholder() {
        let entries = planned_entries("msapp-merge");
        let driver = entry(&entries, "merge.msapp.driver");
        assert_eq!(
            driver.value,
            "msapp-merge merge --marker-size %L --path %P --base-label %S --ours-label %X --theirs-label %Y %O %A %B"
        );
        for p in ["%O", "%A", "%B", "%L", "%P", "%S", "%X", "%Y"] {
            assert!(driver.value.contains(p), "{p}");
        }
        let fx = entry(&entries, "merge.msapp-fxyaml.driver");
        assert!(
            fx.value
                .starts_with("msapp-merge merge-file --kind fx-yaml ")
        );
        assert_eq!(
            entry(&entries, "diff.msapp.textconv").value,
            format!(
                "msapp-merge textconv --text-version {}",
                crate::render::TEXT_VERSION
            )
        );
        assert_eq!(entries.last().unwrap().key, MARKER_KEY);
    }

    #[test]
    fn program_paths_are_quoted_and_percent_escaped() {
        let entries = planned_entries("/opt/100% apps/msapp-merge");
        let driver = entry(&entries, "merge.msapp.driver");
        assert!(
            driver
                .value
                .starts_with("'/opt/100%% apps/msapp-merge' merge ")
        );
        let textconv = entry(&entries, "diff.msapp.textconv");
        assert_eq!(
            textconv.value,
            "'/opt/100% apps/msapp-merge' textconv --text-version 2"
        );
        assert_eq!(
            driver.program_of(&driver.value).unwrap(),
            "/opt/100% apps/msapp-merge"
        );
        assert!(driver.is_ours(&driver.value, "/opt/100% apps/msapp-merge"));
    }

    #[test]
    fn recognises_our_values_from_other_installs_only() {
        let entries = planned_entries("/new/place/msapp-merge");
        let driver = entry(&entries, "merge.msapp.driver");
        let program = "/new/place/msapp-merge";
        let old = format!("'/old place/msapp-merge' {MERGE_ARGS}");
        assert!(driver.is_ours(&old, program));
        assert!(driver.is_ours(&format!("msapp-merge {MERGE_ARGS}"), program));
        assert!(driver.is_ours(&format!("C:/x/MSAPP-MERGE.EXE {MERGE_ARGS}"), program));
        assert!(!driver.is_ours("msapp-merge merge %O %A %B", program));
        assert!(!driver.is_ours(&format!("other-tool {MERGE_ARGS}"), program));
        assert!(!driver.is_ours("", program));
        let custom = planned_entries("my-wrapper");
        let custom_driver = entry(&custom, "merge.msapp.driver");
        assert!(custom_driver.is_ours(&custom_driver.value, "my-wrapper"));
        let name = entry(&entries, "merge.msapp.name");
        assert!(!name.is_ours("my own name", program));
        let marker = entry(&entries, MARKER_KEY);
        assert!(marker.is_ours("msapp-merge 0.0.1", program));
        // The textconv command of earlier releases is ours, and outdated.
        let textconv = entry(&entries, "diff.msapp.textconv");
        assert!(textconv.is_ours("msapp-merge textconv", program));
        assert!(textconv.is_outdated("msapp-merge textconv", program));
        assert!(textconv.is_ours(&textconv.value, program));
        assert!(!textconv.is_outdated(&textconv.value, program));
        assert!(!textconv.is_ours("msapp-merge textconv --text-version 1", program));
        assert!(!textconv.is_outdated("other-tool textconv", program));
        assert!(!driver.is_outdated(&old, program));
        assert!(!marker.is_ours("someone", program));
    }

    #[test]
    fn sections_cover_every_key() {
        let sections = sections();
        for e in planned_entries("msapp-merge") {
            let (section, _) = e.key.rsplit_once('.').unwrap();
            assert!(sections.iter().any(|s| s == section), "{}", e.key);
        }
    }

    #[test]
    fn escapes_regex_metacharacters() {
        assert_eq!(regex_escape("merge.msapp-x"), "merge\\.msapp-x");
    }
}
