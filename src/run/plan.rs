//! Planning: which cases run (filter, version condition, partition) and in which groups.
//!
//! Permission grants are global on a real server, so cases are grouped by the exact grant
//! set their setup needs: groups run one after another (grants applied before a group and
//! restored after it), the cases inside a group run concurrently. Cases without grants form
//! the first group and see the server's own permissions.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use crate::case::{Case, Suite, Version};

/// Why a `--filter` or `--partition` is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// Not of the form `hash:K/N` with `1 <= K <= N`.
    #[error("`{0}` is not a partition: expected hash:K/N with 1 <= K <= N, e.g. hash:1/3")]
    Partition(String),
    /// A pattern that is not a valid glob.
    #[error("`{pattern}` is not a glob: {message}")]
    Glob {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
}

/// `--partition hash:K/N`: this run takes the cases whose id hashes to bucket K of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// 1-based bucket.
    pub index: u64,
    /// Number of buckets.
    pub count: u64,
}

impl FromStr for Partition {
    type Err = SelectionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || SelectionError::Partition(s.to_owned());
        let rest = s.strip_prefix("hash:").ok_or_else(usage)?;
        let (k, n) = rest.split_once('/').ok_or_else(usage)?;
        let (index, count): (u64, u64) = (
            k.parse().map_err(|_| usage())?,
            n.parse().map_err(|_| usage())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(usage());
        }
        Ok(Partition { index, count })
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "hash:{}/{}", self.index, self.count)
    }
}

impl Partition {
    /// Whether `id` falls in this partition. FNV-1a of the id: stable across runs and
    /// platforms, and adding a case never moves another.
    pub fn contains(&self, id: &str) -> bool {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in id.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash % self.count == self.index - 1
    }
}

/// `--filter`: comma-separated patterns; a pattern with `*`, `?` or `[` is a glob over the
/// case id, any other is a substring of it.
#[derive(Debug, Clone)]
pub struct Filter {
    text: String,
    globs: globset::GlobSet,
    substrings: Vec<String>,
}

impl FromStr for Filter {
    type Err = SelectionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut builder = globset::GlobSetBuilder::new();
        let mut substrings = Vec::new();
        for pattern in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if pattern.contains(['*', '?', '[']) {
                let glob = globset::GlobBuilder::new(pattern)
                    .literal_separator(false)
                    .build()
                    .map_err(|e| SelectionError::Glob {
                        pattern: pattern.to_owned(),
                        message: e.to_string(),
                    })?;
                builder.add(glob);
            } else {
                substrings.push(pattern.to_owned());
            }
        }
        let globs = builder.build().map_err(|e| SelectionError::Glob {
            pattern: s.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Filter {
            text: s.to_owned(),
            globs,
            substrings,
        })
    }
}

impl Filter {
    /// A filter that selects exactly the case `id`.
    pub fn exact(id: &str) -> Filter {
        Filter::exactly([id])
    }

    /// A filter that selects exactly the cases `ids`.
    pub fn exactly<'a>(ids: impl IntoIterator<Item = &'a str>) -> Filter {
        let mut builder = globset::GlobSetBuilder::new();
        let mut text = Vec::new();
        for id in ids {
            if let Ok(glob) = globset::GlobBuilder::new(&globset::escape(id))
                .literal_separator(false)
                .build()
            {
                builder.add(glob);
            }
            text.push(id);
        }
        let globs = builder
            .build()
            .unwrap_or_else(|_| globset::GlobSet::empty());
        Filter {
            text: text.join(","),
            globs,
            substrings: Vec::new(),
        }
    }

    /// Whether the filter selects `id`.
    pub fn matches(&self, id: &str) -> bool {
        self.globs.is_match(id) || self.substrings.iter().any(|s| id.contains(s.as_str()))
    }

    /// The filter as given.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A planned case.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    /// Its number in the plan (names carry it).
    pub number: usize,
    /// The case.
    pub case: &'a Arc<Case>,
    /// Why it does not run, if it does not.
    pub skip: Option<String>,
}

/// Cases that share one grant set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Permission → role list applied for the group (empty: the server's own).
    pub grants: Vec<(String, Vec<String>)>,
    /// Indexes into [`Plan::cases`].
    pub members: Vec<usize>,
    /// How many distinct grant sets of the cases the group holds (more than one once groups
    /// are merged, see [`super::grouping`]).
    pub sets: usize,
}

/// The plan of a run.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// Every case of the partition, in suite order, with its skip reason.
    pub cases: Vec<Planned<'a>>,
    /// Groups of runnable cases, default-grant group first.
    pub groups: Vec<Group>,
}

impl Plan<'_> {
    /// How many cases of the plan run (the others are skipped).
    pub fn selected(&self) -> usize {
        self.cases.iter().filter(|c| c.skip.is_none()).count()
    }
}

/// Plans `suite` for a server of `version`.
pub fn plan<'a>(
    suite: &'a Suite,
    filter: Option<&Filter>,
    partition: Option<Partition>,
    version: &Version,
) -> Plan<'a> {
    let mut cases = Vec::new();
    let mut by_grants: BTreeMap<Vec<(String, Vec<String>)>, Vec<usize>> = BTreeMap::new();
    for case in suite
        .cases
        .iter()
        .filter(|c| partition.is_none_or(|p| p.contains(&c.id)))
    {
        let skip = if filter.is_some_and(|f| !f.matches(&case.id)) {
            Some("not selected by --filter".to_owned())
        } else if !case.versions.contains(version) {
            let needs = if case.requires.is_empty() {
                String::new()
            } else {
                format!(
                    " (the releases with what it requires: {})",
                    case.requires.join(", ")
                )
            };
            Some(format!(
                "applies to server versions {}{needs}, the target is {version}",
                describe_range(case)
            ))
        } else {
            None
        };
        let index = cases.len();
        if skip.is_none() {
            let mut grants: Vec<(String, Vec<String>)> = case
                .setup
                .permissions
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            grants.sort();
            by_grants.entry(grants).or_default().push(index);
        }
        cases.push(Planned {
            number: index + 1,
            case,
            skip,
        });
    }
    let groups = by_grants
        .into_iter()
        .map(|(grants, members)| Group {
            grants,
            members,
            sets: 1,
        })
        .collect();
    Plan { cases, groups }
}

fn describe_range(case: &Case) -> String {
    match (&case.versions.since, &case.versions.until) {
        (Some(s), Some(u)) => format!(">= {s} and < {u}"),
        (Some(s), None) => format!(">= {s}"),
        (None, Some(u)) => format!("< {u}"),
        (None, None) => "any".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_split_ids_without_overlap() {
        let ids: Vec<String> = (0..200).map(|i| format!("case/{i}")).collect();
        let parts: Vec<Partition> = (1..=3)
            .map(|k| {
                format!("hash:{k}/3")
                    .parse()
                    .unwrap_or(Partition { index: 1, count: 1 })
            })
            .collect();
        for id in &ids {
            assert_eq!(parts.iter().filter(|p| p.contains(id)).count(), 1, "{id}");
        }
        assert!(
            parts
                .iter()
                .all(|p| ids.iter().filter(|i| p.contains(i)).count() > 40)
        );
    }

    #[test]
    fn bad_partitions_are_refused() {
        for bad in ["1/3", "hash:0/3", "hash:4/3", "hash:a/b", "hash:1/0"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn filters_match_substrings_and_globs() {
        let f: Filter = "groups.invite/room/*,no-grant"
            .parse()
            .unwrap_or_else(|_| unreachable!());
        assert!(f.matches("groups.invite/room/direct-room"));
        assert!(f.matches("channels.invite/no-grant/member"));
        assert!(!f.matches("channels.invite/room/archived"));
    }
}
