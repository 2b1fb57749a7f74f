//! Concurrent work in lanes: tasks run `jobs` at a time, each inside its lane (see
//! [`crate::target::LANE`]), so the requests it makes are attributed to it.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use super::Interrupt;

/// Runs `work(item)` for every `(lane, item)`, `jobs` at a time. An `interrupt` abandons what
/// runs and starts nothing more. Returns, by position in `items`, the output of each task that
/// finished, or what its panic said.
pub(super) async fn in_lanes<I, T, Fut>(
    items: Vec<(usize, I)>,
    jobs: usize,
    interrupt: Option<&Interrupt>,
    mut work: impl FnMut(I) -> Fut,
) -> BTreeMap<usize, Result<T, String>>
where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut position_of_task = std::collections::HashMap::new();
    for (position, (lane, item)) in items.into_iter().enumerate() {
        let semaphore = semaphore.clone();
        let future = work(item);
        let handle = tasks.spawn(crate::target::LANE.scope(lane, async move {
            let _permit = semaphore.acquire_owned().await;
            future.await
        }));
        position_of_task.insert(handle.id(), position);
    }
    let mut out = BTreeMap::new();
    let interrupted = async {
        match interrupt {
            Some(i) => i.wait().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            next = tasks.join_next_with_id() => match next {
                None => break,
                Some(Ok((id, value))) => {
                    if let Some(&position) = position_of_task.get(&id) {
                        out.insert(position, Ok(value));
                    }
                }
                Some(Err(e)) => {
                    if let Some(&position) = position_of_task.get(&e.id()) && e.is_panic() {
                        out.insert(position, Err(e.to_string()));
                    }
                }
            },
            () = &mut interrupted => {
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                break;
            }
        }
    }
    out
}
