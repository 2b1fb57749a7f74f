//! Paginated listings: how `offset` and `count` are read and how a page is answered
//! (`{<items>, count, offset, total}`), shared by `channels.members` / `groups.members`,
//! `rooms.adminRooms` and `users.list`.
//!
//! Owns `API_Default_Count` (50) and `API_Upper_Count_Limit` (100). It must not filter or sort:
//! callers hand over the full, ordered list.

use serde_json::{Map, Value, json};

use super::envelope::{Reply, success};

/// `API_Default_Count`: the page size when `count` is absent, zero or unreadable.
const DEFAULT_COUNT: usize = 50;
/// `API_Upper_Count_Limit`: the largest page.
const MAX_COUNT: usize = 100;

/// Which slice of a listing was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    offset: usize,
    count: usize,
}

impl Page {
    /// Reads `offset` and `count` through `value` (the query parameter's last occurrence);
    /// anything that is not a non-negative integer counts as 0.
    pub(crate) fn read<'a>(value: impl Fn(&str) -> Option<&'a str>) -> Page {
        let number = |key: &str| {
            value(key)
                .and_then(|text| text.trim().parse::<usize>().ok())
                .unwrap_or(0)
        };
        let count = match number("count") {
            0 => DEFAULT_COUNT,
            count => count.min(MAX_COUNT),
        };
        Page {
            offset: number("offset"),
            count,
        }
    }

    /// `{<key>: <the page's items>, count, offset, total}` with `success: true`.
    pub(crate) fn answer(self, key: &str, items: Vec<Value>) -> Reply {
        let total = items.len();
        let page: Vec<Value> = items
            .into_iter()
            .skip(self.offset)
            .take(self.count)
            .collect();
        let count = page.len();
        let mut body = Map::new();
        body.insert(key.to_owned(), Value::Array(page));
        body.insert("count".into(), json!(count));
        body.insert("offset".into(), json!(self.offset));
        body.insert("total".into(), json!(total));
        success(Value::Object(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(offset: Option<&'static str>, count: Option<&'static str>) -> Page {
        Page::read(|key| match key {
            "offset" => offset,
            "count" => count,
            _ => None,
        })
    }

    #[test]
    fn defaults_and_limits() {
        assert_eq!(
            page(None, None),
            Page {
                offset: 0,
                count: DEFAULT_COUNT
            }
        );
        assert_eq!(
            page(Some(" 3 "), Some("500")),
            Page {
                offset: 3,
                count: MAX_COUNT
            }
        );
        assert_eq!(
            page(Some("-2"), Some("0")),
            Page {
                offset: 0,
                count: DEFAULT_COUNT
            }
        );
    }

    #[test]
    fn answers_the_slice_with_the_total() {
        let items = (0..5).map(|n| json!(n)).collect();
        let Ok(axum::Json(body)) = page(Some("1"), Some("2")).answer("users", items) else {
            panic!("a page is a success");
        };
        assert_eq!(
            body,
            json!({"users": [1, 2], "count": 2, "offset": 1, "total": 5, "success": true})
        );
    }
}
