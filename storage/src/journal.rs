//! The write-ahead log: the source of truth every in-memory table is rebuilt from.
//!
//! Frame layout (big-endian): `len: u32 | crc32(payload): u32 | version: u8 | payload`.
//! `len` counts the version byte and the payload. A frame is valid only if it is complete
//! and its CRC matches; replay stops at the first invalid frame, reports its offset and
//! moves the unreadable tail aside (`journal.corrupt-<offset>`) so nothing is silently served
//! and nothing is silently destroyed.
//!
//! Two backends sit behind [`Log`]: [`FileJournal`] (default: append + one `fdatasync` per
//! batch) and [`SledLog`] (sled 0.34.7, `flush()` per batch). Group commit is done above
//! the backend by [`Committer`]: writers enqueue frames, one thread drains everything queued,
//! writes it, syncs once and acknowledges the whole batch.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam::channel::{bounded, unbounded, Receiver, Sender};
use parking_lot::Mutex;

use crate::error::StorageError;
use crate::rows::{readable_format, ROW_FORMAT_VERSION};

/// Largest frame accepted (1 GiB): a COPY bigger than this must be split by the client.
pub const MAX_FRAME_BYTES: usize = 1 << 30;
/// Most frames written before one sync, so a burst cannot delay acknowledgements unboundedly.
pub const MAX_GROUP_FRAMES: usize = 4096;

const HEADER_BYTES: usize = 9;

/// What replay found.
#[derive(Debug, Default, Clone)]
pub struct ReplayStats {
    pub frames: u64,
    pub bytes: u64,
    /// Set when an invalid tail was found: (offset, bytes moved aside).
    pub corrupt_tail: Option<(u64, u64)>,
}

/// What replay feeds each valid frame to: its row format version and payload.
pub type ReplayFn<'a> = dyn FnMut(u8, &[u8]) -> Result<(), StorageError> + 'a;

/// A durable, ordered log of opaque payloads.
pub trait Log: Send {
    /// Append all payloads and make them durable with one sync.
    fn append_batch(&mut self, payloads: &[Vec<u8>]) -> Result<(), StorageError>;
    /// Feed every valid payload, in order, to `f` with its row format version.
    fn replay(&mut self, f: &mut ReplayFn<'_>) -> Result<ReplayStats, StorageError>;
    fn name(&self) -> &'static str;
}

pub fn encode_frame(payload: &[u8], out: &mut Vec<u8>) {
    let len = (payload.len() + 1) as u32;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_be_bytes());
    out.push(ROW_FORMAT_VERSION);
    out.extend_from_slice(payload);
}

/// Append-only journal file with CRC frames.
pub struct FileJournal {
    path: PathBuf,
    file: File,
    scratch: Vec<u8>,
}

impl FileJournal {
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("journal.bjl");
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        // Make the file's directory entry durable too.
        File::open(dir)?.sync_all()?;
        Ok(FileJournal {
            path,
            file,
            scratch: Vec::new(),
        })
    }
}

/// Largest unreadable region searched for later valid frames (larger: refuse to open).
const MAX_SCAN_BYTES: u64 = 4 << 30;

/// The offset of the first complete, checksummed frame after the bad one at `bad`, if any.
fn later_valid_frame(path: &Path, bad: u64, total: u64) -> Result<Option<u64>, StorageError> {
    let rest = total - bad;
    if rest > MAX_SCAN_BYTES {
        return Err(StorageError::Corrupt(format!(
            "journal {} is damaged at byte {bad} with {rest} bytes after it: refusing to open",
            path.display()
        )));
    }
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(bad))?;
    let mut buf = Vec::with_capacity(rest as usize);
    f.read_to_end(&mut buf)?;
    for o in 1..buf.len().saturating_sub(HEADER_BYTES - 1) {
        let h = &buf[o..o + HEADER_BYTES];
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if !readable_format(h[8]) || len == 0 || o + 8 + len > buf.len() {
            continue;
        }
        let crc = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        if crc32fast::hash(&buf[o + HEADER_BYTES..o + 8 + len]) == crc {
            return Ok(Some(bad + o as u64));
        }
    }
    Ok(None)
}

fn unknown_version(version: u8, at: u64) -> StorageError {
    StorageError::Corrupt(format!(
        "journal frame at {at} is in row format {version}; this Bijli reads format \
         2 to {ROW_FORMAT_VERSION} only (open it with the Bijli that wrote it and export)"
    ))
}

impl Log for FileJournal {
    fn append_batch(&mut self, payloads: &[Vec<u8>]) -> Result<(), StorageError> {
        self.scratch.clear();
        for p in payloads {
            encode_frame(p, &mut self.scratch);
        }
        self.file.write_all(&self.scratch)?;
        self.file.sync_data()?;
        Ok(())
    }

    fn replay(&mut self, f: &mut ReplayFn<'_>) -> Result<ReplayStats, StorageError> {
        let mut file = File::open(&self.path)?;
        let total = file.metadata()?.len();
        let mut reader = std::io::BufReader::with_capacity(1 << 20, &mut file);
        let mut stats = ReplayStats::default();
        let mut offset: u64 = 0;
        let mut header = [0u8; HEADER_BYTES];
        let mut payload = Vec::new();
        loop {
            if offset == total {
                break;
            }
            let mut version = ROW_FORMAT_VERSION;
            let valid = (|| -> std::io::Result<bool> {
                if total - offset < HEADER_BYTES as u64 {
                    return Ok(false);
                }
                reader.read_exact(&mut header)?;
                let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as u64;
                let crc = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
                version = header[8];
                if len == 0 || len as usize > MAX_FRAME_BYTES + 1 || offset + 8 + len > total {
                    return Ok(false);
                }
                payload.resize((len - 1) as usize, 0);
                reader.read_exact(&mut payload)?;
                Ok(crc32fast::hash(&payload) == crc)
            })()?;
            // A whole, checksummed frame of another format is data this build cannot read:
            // refuse to open rather than move acknowledged writes aside as a torn tail.
            if valid && !readable_format(version) {
                return Err(unknown_version(version, offset));
            }
            if !valid {
                let lost = total - offset;
                drop(reader);
                // A torn tail is the end of the last write. A bad frame with valid frames
                // after it is corruption in the middle: moving it aside would drop
                // acknowledged writes, so refuse to open and leave the file as it is.
                if let Some(next) = later_valid_frame(&self.path, offset, total)? {
                    return Err(StorageError::Corrupt(format!(
                        "journal {} is damaged at byte {offset}, and valid frames follow from \
                         byte {next}: refusing to open (nothing was changed; restore the file \
                         from a copy or a replica)",
                        self.path.display()
                    )));
                }
                move_tail_aside(&self.path, offset, lost)?;
                stats.corrupt_tail = Some((offset, lost));
                break;
            }
            f(version, &payload)?;
            offset += 8 + payload.len() as u64 + 1;
            stats.frames += 1;
        }
        stats.bytes = offset;
        Ok(stats)
    }

    fn name(&self) -> &'static str {
        "journal"
    }
}

/// Copy the unreadable tail to a side file for inspection, then cut it off the journal so
/// new frames follow the last valid one.
fn move_tail_aside(path: &Path, offset: u64, lost: u64) -> Result<(), StorageError> {
    let mut src = File::open(path)?;
    src.seek(SeekFrom::Start(offset))?;
    let mut tail = Vec::with_capacity(lost as usize);
    src.read_to_end(&mut tail)?;
    let side = path.with_extension(format!("corrupt-{offset}"));
    let mut out = File::create(&side)?;
    out.write_all(&tail)?;
    out.sync_all()?;
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(offset)?;
    f.sync_all()?;
    Ok(())
}

/// sled 0.34.7 as a log backend: key = big-endian sequence number, value = framed payload
/// (sled checksums its own pages; the frame CRC is kept so both backends verify the same way).
pub struct SledLog {
    db: sled::Db,
    tree: sled::Tree,
    next: u64,
}

impl SledLog {
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        let db = sled::Config::new()
            .path(dir.join("sled"))
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let tree = db.open_tree("journal")?;
        let next = match tree.last()? {
            Some((k, _)) => key_to_u64(&k) + 1,
            None => 0,
        };
        Ok(SledLog { db, tree, next })
    }
}

fn key_to_u64(k: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = k.len().min(8);
    b[..n].copy_from_slice(&k[..n]);
    u64::from_be_bytes(b)
}

impl Log for SledLog {
    fn append_batch(&mut self, payloads: &[Vec<u8>]) -> Result<(), StorageError> {
        let mut batch = sled::Batch::default();
        for p in payloads {
            let mut framed = Vec::with_capacity(p.len() + HEADER_BYTES);
            encode_frame(p, &mut framed);
            batch.insert(&self.next.to_be_bytes(), framed);
            self.next += 1;
        }
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    fn replay(&mut self, f: &mut ReplayFn<'_>) -> Result<ReplayStats, StorageError> {
        let mut stats = ReplayStats::default();
        for item in self.tree.iter() {
            let (k, v) = item?;
            let ok = v.len() >= HEADER_BYTES && {
                let crc = u32::from_be_bytes([v[4], v[5], v[6], v[7]]);
                crc32fast::hash(&v[HEADER_BYTES..]) == crc
            };
            if ok && !readable_format(v[8]) {
                return Err(unknown_version(v[8], key_to_u64(&k)));
            }
            if !ok {
                return Err(StorageError::Corrupt(format!(
                    "sled journal entry {} fails its checksum",
                    key_to_u64(&k)
                )));
            }
            f(v[8], &v[HEADER_BYTES..])?;
            stats.frames += 1;
            stats.bytes += v.len() as u64;
        }
        Ok(stats)
    }

    fn name(&self) -> &'static str {
        "sled"
    }
}

struct Pending {
    payload: Vec<u8>,
    done: Sender<Result<(), String>>,
}

/// Group commit: one thread owns the log; writers block on [`Committer::submit`] until their
/// frame is durable. Frames are written in submission order.
pub struct Committer {
    tx: Mutex<Option<Sender<Pending>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    poisoned: Arc<Mutex<Option<String>>>,
}

/// A submitted frame; wait on it to know it is durable.
pub struct Ticket(Receiver<Result<(), String>>);

impl Ticket {
    pub fn wait(self) -> Result<(), StorageError> {
        match self.0.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StorageError::Durability(e)),
            Err(_) => Err(StorageError::Durability("journal writer stopped".into())),
        }
    }
}

impl Committer {
    pub fn start(mut log: Box<dyn Log>) -> Committer {
        let (tx, rx): (Sender<Pending>, Receiver<Pending>) = unbounded();
        let poisoned = Arc::new(Mutex::new(None::<String>));
        let p2 = poisoned.clone();
        let thread = std::thread::Builder::new()
            .name("bijli-journal".into())
            .spawn(move || {
                let mut batch: Vec<Pending> = Vec::new();
                let mut payloads: Vec<Vec<u8>> = Vec::new();
                while let Ok(first) = rx.recv() {
                    batch.push(first);
                    while batch.len() < MAX_GROUP_FRAMES {
                        match rx.try_recv() {
                            Ok(p) => batch.push(p),
                            Err(_) => break,
                        }
                    }
                    payloads.clear();
                    payloads.extend(batch.iter_mut().map(|p| std::mem::take(&mut p.payload)));
                    let res = log.append_batch(&payloads).map_err(|e| e.to_string());
                    if let Err(e) = &res {
                        // A failed sync leaves memory ahead of disk: refuse all further writes.
                        *p2.lock() = Some(e.clone());
                    }
                    for p in batch.drain(..) {
                        let _ = p.done.send(res.clone());
                    }
                }
            })
            .ok();
        Committer {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(thread),
            poisoned,
        }
    }

    /// Enqueue one payload; the caller must hold the store's write order (see `Store`).
    pub fn submit(&self, payload: Vec<u8>) -> Result<Ticket, StorageError> {
        if let Some(e) = self.poisoned.lock().as_ref() {
            return Err(StorageError::Durability(format!(
                "journal failed earlier, writes refused: {e}"
            )));
        }
        if payload.len() > MAX_FRAME_BYTES {
            return Err(StorageError::TooLarge(payload.len()));
        }
        let (done, rx) = bounded(1);
        let guard = self.tx.lock();
        let tx = guard
            .as_ref()
            .ok_or_else(|| StorageError::Durability("store is shut down".into()))?;
        tx.send(Pending { payload, done })
            .map_err(|_| StorageError::Durability("journal writer stopped".into()))?;
        Ok(Ticket(rx))
    }

    /// Stop the writer after it has written everything queued.
    pub fn shutdown(&self) {
        self.tx.lock().take();
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(log: &mut dyn Log) -> (Vec<Vec<u8>>, ReplayStats) {
        let mut out = Vec::new();
        let stats = log
            .replay(&mut |_, p| {
                out.push(p.to_vec());
                Ok(())
            })
            .unwrap();
        (out, stats)
    }

    #[test]
    fn file_journal_round_trip_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = FileJournal::open(dir.path()).unwrap();
            j.append_batch(&[b"one".to_vec(), b"two".to_vec()]).unwrap();
            j.append_batch(&[b"three".to_vec()]).unwrap();
        }
        // Tear the last frame: drop its final byte.
        let path = dir.path().join("journal.bjl");
        let len = std::fs::metadata(&path).unwrap().len();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len - 1).unwrap();
        let mut j = FileJournal::open(dir.path()).unwrap();
        let (frames, stats) = collect(&mut j);
        assert_eq!(frames, vec![b"one".to_vec(), b"two".to_vec()]);
        assert!(stats.corrupt_tail.is_some());
        // New frames follow the last valid one.
        j.append_batch(&[b"four".to_vec()]).unwrap();
        let mut j = FileJournal::open(dir.path()).unwrap();
        let (frames, stats) = collect(&mut j);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[2], b"four".to_vec());
        assert!(stats.corrupt_tail.is_none());
    }

    #[test]
    fn flipped_bit_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = FileJournal::open(dir.path()).unwrap();
            j.append_batch(&[b"hello world".to_vec()]).unwrap();
        }
        let path = dir.path().join("journal.bjl");
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let mut j = FileJournal::open(dir.path()).unwrap();
        let (frames, stats) = collect(&mut j);
        assert!(frames.is_empty());
        assert_eq!(stats.corrupt_tail.map(|t| t.0), Some(0));
    }

    #[test]
    fn damage_before_valid_frames_refuses_and_keeps_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = FileJournal::open(dir.path()).unwrap();
            j.append_batch(&[b"first frame".to_vec()]).unwrap();
            j.append_batch(&[b"second frame".to_vec(), b"third".to_vec()])
                .unwrap();
        }
        let path = dir.path().join("journal.bjl");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[HEADER_BYTES + 2] ^= 0x01; // inside the first frame's payload
        std::fs::write(&path, &bytes).unwrap();
        let mut j = FileJournal::open(dir.path()).unwrap();
        let err = j.replay(&mut |_, _| Ok(())).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("damaged at byte 0") && msg.contains("valid frames follow"),
            "{msg}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing moved aside");
    }

    #[test]
    fn frame_of_another_format_refuses_and_keeps_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = FileJournal::open(dir.path()).unwrap();
            j.append_batch(&[b"one".to_vec(), b"two".to_vec()]).unwrap();
        }
        // Rewrite the second frame's version byte (the checksum covers only the payload).
        let path = dir.path().join("journal.bjl");
        let mut bytes = std::fs::read(&path).unwrap();
        let second = HEADER_BYTES + 3;
        bytes[second + 8] = ROW_FORMAT_VERSION + 1;
        std::fs::write(&path, &bytes).unwrap();
        let mut j = FileJournal::open(dir.path()).unwrap();
        let err = j.replay(&mut |_, _| Ok(())).unwrap_err();
        assert!(err.to_string().contains("row format"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing moved aside");
        let aside = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().contains("corrupt")
            })
            .count();
        assert_eq!(aside, 0);
    }

    #[test]
    fn sled_log_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = SledLog::open(dir.path()).unwrap();
            s.append_batch(&[b"a".to_vec(), b"b".to_vec()]).unwrap();
        }
        let mut s = SledLog::open(dir.path()).unwrap();
        s.append_batch(&[b"c".to_vec()]).unwrap();
        let (frames, _) = collect(&mut s);
        assert_eq!(frames, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn committer_groups_and_acknowledges() {
        let dir = tempfile::tempdir().unwrap();
        let c = Committer::start(Box::new(FileJournal::open(dir.path()).unwrap()));
        let tickets: Vec<_> = (0..100u32)
            .map(|i| c.submit(i.to_be_bytes().to_vec()).unwrap())
            .collect();
        for t in tickets {
            t.wait().unwrap();
        }
        c.shutdown();
        let mut j = FileJournal::open(dir.path()).unwrap();
        let (frames, _) = collect(&mut j);
        assert_eq!(frames.len(), 100);
        assert_eq!(frames[99], 99u32.to_be_bytes().to_vec());
    }
}
