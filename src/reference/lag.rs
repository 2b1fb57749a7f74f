//! The permission lag: a change of a permission's role list, or of the roles a user holds,
//! reaches permission checks only some time after it was stored, as Rocket.Chat's role cache
//! lags behind the stored documents.
//!
//! Owns, per key, the earlier role lists that checks still see and the instant each stops
//! being seen. The store keeps one [`Lagging`] for permissions and one for role holders and
//! asks it, at check time, what a check sees; reads of the stored documents are never lagged.
//! It must not know what the keys mean.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use super::clock::Moment;

/// Role lists still seen by permission checks after a change, per key.
#[derive(Debug)]
pub(crate) struct Lagging<K> {
    lag: Duration,
    /// Per key, oldest first: (the instant the change takes effect, the list before it).
    pending: HashMap<K, Vec<(Moment, Vec<String>)>>,
}

impl<K: Hash + Eq> Lagging<K> {
    /// Changes take effect `lag` after they are made (at once for a zero lag).
    pub(crate) fn new(lag: Duration) -> Lagging<K> {
        Lagging {
            lag,
            pending: HashMap::new(),
        }
    }

    /// Notes that the list of `key` changes at `now` from `before`: checks keep seeing
    /// `before` until `now + lag`.
    pub(crate) fn change(&mut self, key: K, before: Vec<String>, now: Moment) {
        if self.lag.is_zero() {
            return;
        }
        let entries = self.pending.entry(key).or_default();
        entries.retain(|(effective, _)| *effective > now);
        entries.push((now.after(self.lag), before));
    }

    /// The list a check at `now` sees for the key `key()` builds, when that is not the stored
    /// one: the list before the oldest change that has not taken effect yet. The key is only
    /// built when some change was ever lagged.
    pub(crate) fn seen(&self, key: impl FnOnce() -> K, now: Moment) -> Option<&[String]> {
        if self.pending.is_empty() {
            return None;
        }
        self.pending
            .get(&key())?
            .iter()
            .find(|(effective, _)| *effective > now)
            .map(|(_, before)| before.as_slice())
    }
}

impl<K> Default for Lagging<K> {
    fn default() -> Self {
        Lagging {
            lag: Duration::ZERO,
            pending: HashMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn each_change_takes_effect_after_the_lag() {
        let mut lagging = Lagging::new(Duration::from_millis(100));
        let start = Moment::from_millis(1_000);
        lagging.change("p", roles(&["admin"]), start);
        let later = Moment::from_millis(1_050);
        lagging.change("p", roles(&["admin", "user"]), later);
        assert_eq!(lagging.seen(|| "p", start), Some(&roles(&["admin"])[..]));
        assert_eq!(
            lagging.seen(|| "p", Moment::from_millis(1_120)),
            Some(&roles(&["admin", "user"])[..])
        );
        assert_eq!(lagging.seen(|| "p", Moment::from_millis(1_150)), None);
        assert_eq!(lagging.seen(|| "q", start), None);
    }

    #[test]
    fn without_a_lag_nothing_is_kept() {
        let mut lagging = Lagging::default();
        lagging.change("p", roles(&["admin"]), Moment::from_millis(0));
        assert_eq!(lagging.seen(|| "p", Moment::from_millis(0)), None);
    }
}
