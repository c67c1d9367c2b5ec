//! Services on their own threads: each with a single-threaded tokio
//! runtime, so that DHCP, TFTP and DNS never wait behind HTTP work and a
//! packet's handling never crosses threads.

use std::future::Future;
use std::thread::JoinHandle;

use anyhow::Context;

/// Starts thread `name` with its own runtime, runs `setup` on it (binding
/// sockets needs the runtime), and once `setup` succeeds returns its value
/// to the caller while the thread goes on running the future `setup` gave.
/// A failed `setup` is returned here, before anything is served.
pub fn service_thread<T, F, S, R>(name: String, setup: F) -> anyhow::Result<(JoinHandle<()>, T)>
where
    T: Send + 'static,
    F: FnOnce() -> S + Send + 'static,
    S: Future<Output = anyhow::Result<(T, R)>>,
    R: Future<Output = ()>,
{
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<T>>();
    let thread = std::thread::Builder::new().name(name.clone()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = ready_tx.send(Err(e.into()));
                return;
            }
        };
        runtime.block_on(async move {
            match setup().await {
                Ok((value, run)) => {
                    let _ = ready_tx.send(Ok(value));
                    run.await;
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
        });
    })?;
    let value = ready_rx
        .recv()
        .with_context(|| format!("the {name} thread stopped before it was ready"))??;
    Ok((thread, value))
}
