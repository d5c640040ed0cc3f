//! A concurrent fsync load on the disk the SQLite store writes to (`--fsync-load`): another
//! process on the same machine committing to its own database, as a busy host would. One
//! thread appends 4 KiB to a file in the same directory and fsyncs it, over and over, until
//! dropped, so every commit of the store queues behind somebody else's.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The running load; stops (and removes its file) when dropped.
pub(crate) struct FsyncLoad {
    stop: Arc<AtomicBool>,
    syncs: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
}

impl FsyncLoad {
    /// Starts the load in `dir`.
    pub(crate) fn start(dir: &std::path::Path) -> Self {
        let path = dir.join(format!("hris-sync-fsync-load-{}", std::process::id()));
        let stop = Arc::new(AtomicBool::new(false));
        let syncs = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (stop, syncs, path) = (stop.clone(), syncs.clone(), path.clone());
            std::thread::spawn(move || {
                let mut file = std::fs::File::create(&path).expect("the load file can be made");
                let block = [0x5Au8; 4096];
                let mut written = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    file.write_all(&block)
                        .expect("the load file can be written");
                    file.sync_all().expect("the load file can be synced");
                    syncs.fetch_add(1, Ordering::Relaxed);
                    written += block.len();
                    // Keep the file small: start over every 16 MiB.
                    if written >= 16 << 20 {
                        file.set_len(0).expect("the load file can be truncated");
                        written = 0;
                    }
                }
            })
        };
        Self {
            stop,
            syncs,
            thread: Some(thread),
            path,
        }
    }

    /// How many fsyncs the load has made so far.
    pub(crate) fn syncs(&self) -> usize {
        self.syncs.load(Ordering::Relaxed)
    }
}

impl Drop for FsyncLoad {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}
