//! Wiring the TFTP service into `kindling serve`: the boot files (TFTP
//! root and iPXE directory, shared with HTTP), the server socket on its own
//! thread, and one single-threaded runtime per CPU that transfers are spread
//! over, so thousands of transfers never wait behind HTTP work.

use std::net::{SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{Context, bail};
use bootfiles::BootFiles;
use netio::{BindOptions, PktSocket};
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;

/// The boot files HTTP and TFTP serve, or `None` when there are none
/// (no --tftp-root and no iPXE package).
pub fn boot_files(args: &ServeArgs) -> anyhow::Result<Option<Arc<BootFiles>>> {
    let ipxe = match &args.ipxe_dir {
        Some(d) => Some(d.clone()),
        None => bootfiles::find_ipxe_dir(),
    };
    if args.tftp_root.is_none() && ipxe.is_none() {
        if args.tftp == Some(true) {
            bail!(
                "--tftp has nothing to serve: no --tftp-root, and no iPXE binaries in {} (apt-get install ipxe, or pass --ipxe-dir)",
                bootfiles::IPXE_DIRS.join(" or ")
            );
        }
        return Ok(None);
    }
    let files = BootFiles::new(args.tftp_root.as_deref(), ipxe.as_deref()).context("--tftp-root / --ipxe-dir")?;
    for (label, dir) in files.roots() {
        tracing::info!(source = label, dir = %dir.display(), "boot files");
    }
    Ok(Some(Arc::new(files)))
}

pub struct TftpHandle {
    thread: JoinHandle<()>,
    workers: Vec<Worker>,
}

/// A transfer runtime's thread and the signal that lets it finish.
struct Worker {
    thread: JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl TftpHandle {
    pub fn join(self) {
        let _ = self.thread.join();
        for worker in self.workers {
            let _ = worker.stop.send(());
            let _ = worker.thread.join();
        }
    }
}

/// One single-threaded runtime per CPU for transfers, each parked on a
/// stop signal so its handle stays usable.
fn transfer_workers() -> anyhow::Result<(Vec<tokio::runtime::Handle>, Vec<Worker>)> {
    let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut handles = Vec::new();
    let mut threads = Vec::new();
    for i in 0..n {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("a TFTP worker runtime")?;
        handles.push(runtime.handle().clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name(format!("tftp-{i}")).spawn(move || {
            runtime.block_on(async move {
                let _ = rx.await;
            });
        })?;
        threads.push(Worker { thread, stop: tx });
    }
    Ok((handles, threads))
}

pub fn start(
    args: &ServeArgs,
    files: Arc<BootFiles>,
    events: Option<Arc<recorder::EventSink>>,
    stop: CancellationToken,
) -> anyhow::Result<TftpHandle> {
    let addr: SocketAddrV4 = match args.tftp_address.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}").parse(),
        None => args.tftp_address.parse(),
    }
    .with_context(|| format!("--tftp-address {:?} must be an IPv4 HOST:PORT", args.tftp_address))?;
    let config = tftp_server::Config {
        max_transfers: args.tftp_max_transfers.max(1),
        events,
        ..Default::default()
    };
    let (handles, workers) = transfer_workers()?;
    let (thread, local) = crate::runtime::service_thread("tftp".into(), move || async move {
        let opts = BindOptions {
            reuse_addr: true,
            recv_buffer: Some(4 << 20),
            ..Default::default()
        };
        let socket = PktSocket::bind(addr, &opts).context("TFTP")?;
        let local = socket.local_addr()?;
        Ok((local, tftp_server::serve(socket, files, config, handles, stop)))
    })?;
    crate::serve::ready_line("tftp", SocketAddr::V4(local));
    Ok(TftpHandle { thread, workers })
}
