//! One log file: append or overwrite, rotation by size or time with a backup count, optional
//! compression of rotated files (Moler's `LOG_ROTATION`, after Python's `RotatingFileHandler`
//! and `TimedRotatingFileHandler`).
//!
//! A file is truncated at most once in a process: when `MODE: write` first opens it. Every later
//! open (a suffix changed and back, a device removed and made again, `configure` called again,
//! a rotation) appends, as Moler reopens its handlers in `a` mode: what was written is never lost.
//!
//! Records are kept in memory until [`LogFile::flush`] (the logs' background flusher calls it
//! on a timer, closing a file calls it on drop): a record costs a copy, not a write system call.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use moler_config::{LogRotation, RotationKind, WriteMode};

/// How a file is opened and rotated.
#[derive(Clone, Debug)]
pub(crate) struct FilePolicy {
    pub(crate) mode: WriteMode,
    pub(crate) rotation: LogRotation,
}

/// Records waiting past this many bytes ask for a flush now rather than on the timer.
const FLUSH_SOON: usize = 64 * 1024;

/// Records waiting past this many bytes are written by the writer itself: memory stays bounded
/// when the flusher falls behind.
const MOST_WAITING: usize = 1024 * 1024;

/// How long a rotation waits for the compression of the backup rotated before it (see
/// [`LogFile::rotate`]); a command that takes longer is left to finish on its own.
const COMPRESS_WAIT: Duration = Duration::from_secs(10);

/// A log file that rotates itself before a write that would take it to its size limit or past it.
#[derive(Debug)]
pub(crate) struct LogFile {
    path: PathBuf,
    policy: FilePolicy,
    file: File,
    /// The file's size with the records waiting: what rotation counts.
    size: u64,
    /// When a time-rotated file rotates next.
    rollover_at: Option<SystemTime>,
    /// Records written but not yet in the file, in order.
    waiting: Vec<u8>,
    /// The compression of the file rotated last, while it may still run.
    compressing: Option<std::process::Child>,
    /// [`COMPRESS_WAIT`] (shorter in tests).
    compress_wait: Duration,
}

impl LogFile {
    pub(crate) fn open(path: PathBuf, policy: FilePolicy) -> io::Result<LogFile> {
        // Python's rotating handlers always append: a size limit over a truncated file would
        // lose the older part without a backup.
        let write_mode = policy.mode == WriteMode::Write && policy.rotation.kind.is_none();
        let truncate = first_open(&path) && write_mode;
        let file = open(&path, truncate)?;
        let size = file.metadata()?.len();
        let rollover_at = match policy.rotation.kind {
            Some(RotationKind::Time) => {
                // As Python: counted from the existing file's last change, else from now.
                let since = file.metadata()?.modified().ok().filter(|_| size > 0);
                Some(since.unwrap_or_else(SystemTime::now) + interval(&policy.rotation))
            }
            _ => None,
        };
        Ok(LogFile {
            path,
            policy,
            file,
            size,
            rollover_at,
            waiting: Vec::new(),
            compressing: None,
            compress_wait: COMPRESS_WAIT,
        })
    }

    /// [`LogFile::write_at`] of a record taken now.
    pub(crate) fn write(&mut self, record: &[u8]) -> io::Result<bool> {
        self.write_at(record, None)
    }

    /// Adds `record`, taken at `taken` (`None`: now), to the file (rotating first if it is
    /// due): it waits in memory until the next [`LogFile::flush`]. True when so much waits that
    /// it should be flushed soon ([`FLUSH_SOON`]). A time-rotated file rotates before the
    /// record only if it was taken past the rollover time: a traffic record taken before the
    /// rollover and formatted after it (by the flusher) belongs to the file being rotated away.
    /// The clock is read only for a time-rotated file.
    pub(crate) fn write_at(
        &mut self,
        record: &[u8],
        taken: Option<SystemTime>,
    ) -> io::Result<bool> {
        if self.due(record.len() as u64, taken) {
            // What waits belongs to the file being rotated away.
            self.flush()?;
            self.rotate(taken.unwrap_or_else(SystemTime::now))?;
        }
        self.waiting.extend_from_slice(record);
        self.size += record.len() as u64;
        if self.waiting.len() >= MOST_WAITING {
            self.flush()?;
        }
        Ok(self.waiting.len() >= FLUSH_SOON)
    }

    /// Writes what waits to the file (one system call for many records).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if self.waiting.is_empty() {
            return Ok(());
        }
        let written = self.file.write_all(&self.waiting);
        // Written or failed, it is not tried twice (a full disk must not grow the memory).
        self.waiting.clear();
        written
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn due(&self, adding: u64, taken: Option<SystemTime>) -> bool {
        let rotation = &self.policy.rotation;
        match rotation.kind {
            None => false,
            Some(RotationKind::Size) => {
                // As Python's `shouldRollover`: a record that would take the file to the limit
                // or past it goes to a fresh one (so a file stays under the limit, unless one
                // record is bigger); an empty file is not rotated (Python 3.12.3 and later);
                // without a limit or backups there is no rollover.
                rotation.interval > 0
                    && rotation.backup_count > 0
                    && self.size > 0
                    && self.size + adding >= rotation.interval
            }
            Some(RotationKind::Time) => {
                self.rollover_at.is_some_and(|t| taken.unwrap_or_else(SystemTime::now) >= t)
            }
        }
    }

    /// Renames the file to a backup and starts it afresh (only called when [`LogFile::due`] for
    /// a record taken at `at`).
    fn rotate(&mut self, at: SystemTime) -> io::Result<()> {
        self.wait_for_compression();
        let rotation = self.policy.rotation.clone();
        let keep = rotation.backup_count;
        let rotated = match rotation.kind {
            Some(RotationKind::Size) => {
                // moler.log.(n-1) -> moler.log.n, …, moler.log -> moler.log.1 (compressed
                // backups keep their extension). `due` is false without backups.
                let extensions: &[&str] = if rotation.compress_after_rotation {
                    &["", rotation.compressed_file_extension.as_str()]
                } else {
                    &[""]
                };
                for i in (1..keep).rev() {
                    for ext in extensions {
                        let from = backup(&self.path, i, ext);
                        if from.exists() {
                            fs::rename(&from, backup(&self.path, i + 1, ext))?;
                        }
                    }
                }
                backup(&self.path, 1, "")
            }
            Some(RotationKind::Time) => {
                let stamp = jiff::Zoned::now().strftime("%Y-%m-%d_%H-%M-%S").to_string();
                let mut target = PathBuf::from(format!("{}.{stamp}", self.path.display()));
                let mut n = 1;
                while target.exists() {
                    target = PathBuf::from(format!("{}.{stamp}.{n}", self.path.display()));
                    n += 1;
                }
                self.rollover_at = Some(at + interval(&rotation));
                target
            }
            None => return Ok(()),
        };
        fs::rename(&self.path, &rotated)?;
        // The name is free now; appending rather than truncating spares whatever another
        // writer may have put there since the rename.
        self.file = open(&self.path, false)?;
        self.size = 0;
        if rotation.compress_after_rotation {
            self.compressing = compress(&rotated, &rotation);
        }
        if rotation.kind == Some(RotationKind::Time) {
            prune_timed(&self.path, keep as usize, &rotation)?;
        }
        Ok(())
    }

    /// The backup rotated last may still be compressing: its command removes its input by name
    /// (`zip -m`), which a rotation now would give to the file it rotates. So a rotation waits
    /// for it: only when a file fills faster than its last backup compresses, and for
    /// [`COMPRESS_WAIT`] at most (a command that hangs must not stop the logs: it is left to
    /// finish on its own, said on stderr).
    fn wait_for_compression(&mut self) {
        let Some(mut child) = self.compressing.take() else { return };
        let until = std::time::Instant::now() + self.compress_wait;
        // Polled: std has no wait with a time limit, and this is a rotation's rare moment.
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if std::time::Instant::now() >= until => {
                    eprintln!(
                        "moler: the compression of {}'s last backup still runs after {:?}: \
                         rotating it again anyway",
                        self.path.display(),
                        self.compress_wait
                    );
                    return reap(child);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        let _ = self.flush();
        if let Some(child) = self.compressing.take() {
            reap(child);
        }
    }
}

/// Waits for `child` on a thread of its own (a compression left running by a closed file: it
/// goes on, and is not left a zombie).
fn reap(mut child: std::process::Child) {
    let _ =
        std::thread::Builder::new().name("moler-log-compress".into()).spawn(move || child.wait());
}

/// Files this process has opened, by absolute path: only their first open may truncate.
static OPENED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// True the first time this process opens `path` (whatever the mode: a file written in append
/// mode by an earlier `configure` is not truncated by a later one in write mode either).
fn first_open(path: &Path) -> bool {
    let key = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    OPENED.lock().unwrap_or_else(PoisonError::into_inner).insert(key)
}

fn open(path: &Path, truncate: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true);
    if truncate {
        options.write(true).truncate(true);
    } else {
        options.append(true);
    }
    options.open(path)
}

fn interval(rotation: &LogRotation) -> Duration {
    Duration::from_secs(rotation.interval.max(1))
}

/// `moler.log.i` + `ext`.
fn backup(path: &Path, i: u32, ext: &str) -> PathBuf {
    PathBuf::from(format!("{}.{i}{ext}", path.display()))
}

/// Starts `COMPRESS_COMMAND` on a rotated file, in the background.
fn compress(rotated: &Path, rotation: &LogRotation) -> Option<std::process::Child> {
    let compressed = format!("{}{}", rotated.display(), rotation.compressed_file_extension);
    let command = rotation
        .compress_command
        .replace("{compressed}", &compressed)
        .replace("{log_input}", &rotated.display().to_string());
    let spawned = std::process::Command::new("sh")
        .args(["-c", &command])
        .stdin(std::process::Stdio::null())
        .spawn();
    spawned.map_err(|e| eprintln!("moler: cannot compress {}: {e}", rotated.display())).ok()
}

/// Deletes the oldest time-rotated files beyond `keep`.
fn prune_timed(path: &Path, keep: usize, rotation: &LogRotation) -> io::Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return Ok(()) };
    let prefix = format!("{}.", name.to_string_lossy());
    let mut rotated: Vec<(SystemTime, PathBuf)> = Vec::new();
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        let stamp = rest.trim_end_matches(rotation.compressed_file_extension.as_str());
        // Only our own stamps: 2026-11-22_10-00-00, perhaps with a .n
        if stamp.len() >= 19 && stamp.as_bytes()[4] == b'-' && stamp.as_bytes()[10] == b'_' {
            let modified = entry.metadata()?.modified()?;
            rotated.push((modified, entry.path()));
        }
    }
    rotated.sort();
    let excess = rotated.len().saturating_sub(keep);
    for (_, old) in rotated.into_iter().take(excess) {
        fs::remove_file(old)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(kind: Option<RotationKind>, interval: u64, backups: u32) -> FilePolicy {
        FilePolicy {
            mode: WriteMode::Append,
            rotation: LogRotation {
                kind,
                interval,
                backup_count: backups,
                ..LogRotation::default()
            },
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("moler-logfile-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The names of the files beside `moler.log` in `dir` that start as its backups' do
    /// (`moler.log.`), sorted.
    fn backups(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("moler.log."))
            .collect();
        names.sort();
        names
    }

    /// Writes `content` to `path` and sets its last change to `at`.
    fn write_changed_at(path: &Path, content: &str, at: SystemTime) {
        fs::write(path, content).unwrap();
        fs::File::options().write(true).open(path).unwrap().set_modified(at).unwrap();
    }

    #[test]
    fn size_rotation_keeps_backup_count_files() {
        let dir = temp_dir("size");
        let path = dir.join("moler.log");
        let mut file =
            LogFile::open(path.clone(), policy(Some(RotationKind::Size), 10, 2)).unwrap();
        for record in ["aaaaaaaa\n", "bbbbbbbb\n", "cccccccc\n", "dddddddd\n"] {
            file.write(record.as_bytes()).unwrap();
        }
        file.flush().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "dddddddd\n");
        assert_eq!(fs::read_to_string(dir.join("moler.log.1")).unwrap(), "cccccccc\n");
        assert_eq!(fs::read_to_string(dir.join("moler.log.2")).unwrap(), "bbbbbbbb\n");
        assert!(!dir.join("moler.log.3").exists(), "only BACKUP_COUNT backups are kept");
        fs::remove_dir_all(dir).unwrap();
    }

    /// When a size-rotated file rotates, as Python's `RotatingFileHandler` decides it (3.12.3
    /// and later, which leave an empty file alone): before a record that would take it to
    /// `MAX_BYTES` or past; never without a limit or without backups.
    #[test]
    fn size_rotation_follows_pythons_rules() {
        let dir = temp_dir("size-rules");
        let path = dir.join("moler.log");
        let read = |name: &str| fs::read_to_string(dir.join(name)).ok();
        let write_all = |interval, backups, records: &[&str]| {
            let _ = fs::remove_file(&path);
            let _ = fs::remove_file(dir.join("moler.log.1"));
            let _ = fs::remove_file(dir.join("moler.log.2"));
            let policy = policy(Some(RotationKind::Size), interval, backups);
            let mut file = LogFile::open(path.clone(), policy).unwrap();
            for record in records {
                file.write(record.as_bytes()).unwrap();
            }
            file.flush().unwrap();
        };
        // Exactly to the limit: the second record starts a fresh file.
        write_all(10, 2, &["abcd\n", "efgh\n"]);
        assert_eq!(
            (read("moler.log"), read("moler.log.1")),
            (Some("efgh\n".into()), Some("abcd\n".into()))
        );
        // One byte under it: both stay.
        write_all(11, 2, &["abcd\n", "efgh\n"]);
        assert_eq!((read("moler.log"), read("moler.log.1")), (Some("abcd\nefgh\n".into()), None));
        // A record bigger than the limit goes into the empty file; the next one rotates it.
        write_all(10, 2, &["a long record\n", "x\n"]);
        assert_eq!(
            (read("moler.log"), read("moler.log.1")),
            (Some("x\n".into()), Some("a long record\n".into()))
        );
        assert_eq!(read("moler.log.2"), None, "the empty file was not rotated");
        // No backups, or no limit: no rollover.
        for (interval, backups) in [(10, 0), (0, 2)] {
            write_all(interval, backups, &["abcdefgh\n", "ijklmnop\n", "qrstuvwx\n"]);
            let all = "abcdefgh\nijklmnop\nqrstuvwx\n";
            assert_eq!((read("moler.log").as_deref(), read("moler.log.1")), (Some(all), None));
        }
        fs::remove_dir_all(dir).unwrap();
    }

    /// A size-rotated `moler.log` (10 bytes, `backups`) in a fresh folder `name`, its rotated
    /// files compressed (with `command`, Moler's default otherwise).
    fn compressing(name: &str, backups: u32, command: Option<&str>) -> (PathBuf, LogFile) {
        let dir = temp_dir(name);
        let mut policy = policy(Some(RotationKind::Size), 10, backups);
        policy.rotation.compress_after_rotation = true;
        if let Some(command) = command {
            policy.rotation.compress_command = command.into();
        }
        let file = LogFile::open(dir.join("moler.log"), policy).unwrap();
        (dir, file)
    }

    /// What `unzip -p` gives of `name` in `dir`.
    fn unzipped(dir: &Path, name: &str) -> String {
        let out = std::process::Command::new("unzip").arg("-p").arg(dir.join(name)).output();
        String::from_utf8(out.unwrap().stdout).unwrap()
    }

    /// Waits for `moler.log.N` in `dir` to be replaced by its archive (compression runs in the
    /// background).
    fn compressed(dir: &Path, n: u32) {
        let (plain, zipped) =
            (dir.join(format!("moler.log.{n}")), dir.join(format!("moler.log.{n}.zip")));
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while plain.exists() || !zipped.exists() {
            let names =
                || fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>();
            assert!(
                std::time::Instant::now() < until,
                "moler.log.{n} was not compressed: {:?}",
                names()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `COMPRESS_AFTER_ROTATION` with Moler's default command (`zip -9mq`, the real one): each
    /// rotated file becomes `moler.log.1.zip` in the background, and the next rotation moves it
    /// on to `moler.log.2.zip` as it does plain backups.
    #[test]
    fn rotated_files_are_compressed_and_moved_on_compressed() {
        if !moler_testkit::require_tools(&["zip", "unzip"]) {
            return;
        }
        let (dir, mut file) = compressing("compress", 2, None);
        for record in ["aaaaaaaa\n", "bbbbbbbb\n"] {
            file.write(record.as_bytes()).unwrap();
        }
        compressed(&dir, 1);
        file.write(b"cccccccc\n").unwrap();
        compressed(&dir, 1);
        file.flush().unwrap();
        assert_eq!(fs::read_to_string(dir.join("moler.log")).unwrap(), "cccccccc\n");
        assert_eq!(unzipped(&dir, "moler.log.1.zip"), "bbbbbbbb\n");
        assert_eq!(unzipped(&dir, "moler.log.2.zip"), "aaaaaaaa\n", "moved on, still compressed");
        fs::remove_dir_all(dir).unwrap();
    }

    /// A rotation that comes while the previous rotated file is still being compressed (a
    /// file that fills faster than its backup compresses) waits for that compression first:
    /// otherwise `zip -m` would remove, by its name, the next file rotated to `moler.log.1`.
    #[test]
    fn a_rotation_waits_for_the_compression_before_it() {
        if !moler_testkit::require_tools(&["zip", "unzip"]) {
            return;
        }
        let slow = "sleep 0.5; zip -9mq {compressed} {log_input}";
        let (dir, mut file) = compressing("compress-slow", 3, Some(slow));
        // Three rotations at once.
        for record in ["aaaaaaaa\n", "bbbbbbbb\n", "cccccccc\n", "dddddddd\n"] {
            file.write(record.as_bytes()).unwrap();
        }
        file.flush().unwrap();
        drop(file);
        for n in [1, 3] {
            compressed(&dir, n);
        }
        assert_eq!(fs::read_to_string(dir.join("moler.log")).unwrap(), "dddddddd\n");
        assert_eq!(unzipped(&dir, "moler.log.1.zip"), "cccccccc\n");
        assert_eq!(unzipped(&dir, "moler.log.2.zip"), "bbbbbbbb\n");
        assert_eq!(unzipped(&dir, "moler.log.3.zip"), "aaaaaaaa\n");
        fs::remove_dir_all(dir).unwrap();
    }

    /// A compression that hangs is waited for only so long: the logs go on.
    #[test]
    fn a_compression_that_hangs_does_not_stop_the_logs() {
        let (dir, mut file) =
            compressing("compress-hangs", 3, Some("exec sleep 10 >/dev/null 2>&1"));
        file.compress_wait = Duration::from_millis(300);
        let started = std::time::Instant::now();
        for record in ["aaaaaaaa\n", "bbbbbbbb\n", "cccccccc\n"] {
            file.write(record.as_bytes()).unwrap();
        }
        let waited = started.elapsed();
        // Two rotations, the second after 300 ms of waiting for the first one's command.
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(waited < Duration::from_secs(8), "the command's 10 s were waited: {waited:?}");
        file.flush().unwrap();
        assert_eq!(fs::read_to_string(dir.join("moler.log")).unwrap(), "cccccccc\n");
        assert_eq!(fs::read_to_string(dir.join("moler.log.1")).unwrap(), "bbbbbbbb\n");
        assert_eq!(fs::read_to_string(dir.join("moler.log.2")).unwrap(), "aaaaaaaa\n");
        drop(file);
        fs::remove_dir_all(dir).unwrap();
    }

    /// A file closed while its last backup still compresses leaves the command to finish on
    /// its own, and then no zombie: it is waited for.
    #[test]
    fn a_compression_left_running_by_a_closed_file_is_reaped() {
        let (dir, mut file) =
            compressing("compress-reaped", 3, Some("exec sleep 0.3 >/dev/null 2>&1"));
        for record in ["aaaaaaaa\n", "bbbbbbbb\n"] {
            file.write(record.as_bytes()).unwrap();
        }
        let pid = file.compressing.as_ref().expect("the first backup compresses").id();
        drop(file);
        let proc = PathBuf::from(format!("/proc/{pid}"));
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while proc.exists() {
            let state = fs::read_to_string(proc.join("stat")).unwrap_or_default();
            assert!(std::time::Instant::now() < until, "{pid} is still there: {state}");
            std::thread::sleep(Duration::from_millis(20));
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn write_mode_truncates_once_and_append_mode_appends() {
        let dir = temp_dir("mode");
        let path = dir.join("moler.log");
        fs::write(&path, "old\n").unwrap();
        let mut file = LogFile::open(path.clone(), policy(None, 0, 0)).unwrap();
        file.write(b"new\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n", "new waits until flushed");
        file.flush().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\nnew\n");
        drop(file);
        let mut write = policy(None, 0, 0);
        write.mode = WriteMode::Write;
        let mut file = LogFile::open(path.clone(), write.clone()).unwrap();
        file.write(b"more\n").unwrap();
        file.flush().unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "old\nnew\nmore\n",
            "this process wrote it: write mode does not truncate it"
        );

        let fresh = dir.join("moler.fresh.log");
        fs::write(&fresh, "from an earlier run\n").unwrap();
        let mut file = LogFile::open(fresh.clone(), write.clone()).unwrap();
        file.write(b"first\n").unwrap();
        drop(file);
        assert_eq!(fs::read_to_string(&fresh).unwrap(), "first\n", "truncated on first open");
        let mut file = LogFile::open(fresh.clone(), write).unwrap();
        file.write(b"second\n").unwrap();
        file.flush().unwrap();
        assert_eq!(fs::read_to_string(&fresh).unwrap(), "first\nsecond\n", "reopened: appended");
        fs::remove_dir_all(dir).unwrap();
    }

    /// Records wait in memory for the flusher (the writer makes no write of its own) until
    /// [`MOST_WAITING`] bytes wait: then the writer writes them itself, so memory stays bounded.
    #[test]
    fn records_wait_for_the_flusher_up_to_a_mebibyte() {
        let dir = temp_dir("waiting");
        let path = dir.join("moler.log");
        let mut file = LogFile::open(path.clone(), policy(None, 0, 0)).unwrap();
        let record = [b'r'; 16 * 1024];
        for _ in 0..32 {
            let soon = file.write(&record).unwrap();
            assert_eq!(soon, file.waiting.len() >= FLUSH_SOON);
        }
        assert_eq!(fs::metadata(&path).unwrap().len(), 0, "512 KiB wait for the flusher");
        while file.waiting.len() + record.len() < MOST_WAITING {
            file.write(&record).unwrap();
        }
        assert_eq!(fs::metadata(&path).unwrap().len(), 0, "just under the bound: still waiting");
        file.write(&record).unwrap();
        assert!(file.waiting.is_empty(), "at the bound the writer wrote them");
        assert_eq!(fs::metadata(&path).unwrap().len() as usize, MOST_WAITING);
        fs::remove_dir_all(dir).unwrap();
    }

    /// A time-rotated file that exists counts its first rollover from its last change, as
    /// Python's `TimedRotatingFileHandler` does: one left by a run hours ago rotates at the
    /// first record. An empty one, however old, holds nothing to rotate away: counted from now.
    #[test]
    fn time_rotation_counts_from_an_existing_files_last_change() {
        let dir = temp_dir("time-existing");
        let hour = Duration::from_secs(3600);
        let two_hours_ago = SystemTime::now() - 2 * hour;
        let path = dir.join("moler.log");
        write_changed_at(&path, "from an earlier run\n", two_hours_ago);
        let mut file =
            LogFile::open(path.clone(), policy(Some(RotationKind::Time), 3600, 2)).unwrap();
        let at = file.rollover_at.unwrap();
        let off = at.duration_since(two_hours_ago + hour).unwrap_or_else(|e| e.duration());
        assert!(off < Duration::from_secs(1), "an hour after its last change: {at:?}");
        file.write(b"this run\n").unwrap();
        file.flush().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "this run\n");
        let rotated = backups(&dir);
        assert_eq!(rotated.len(), 1, "{rotated:?}");
        assert_eq!(fs::read_to_string(dir.join(&rotated[0])).unwrap(), "from an earlier run\n");

        let empty = dir.join("empty.log");
        write_changed_at(&empty, "", two_hours_ago);
        let before = SystemTime::now();
        let file = LogFile::open(empty, policy(Some(RotationKind::Time), 3600, 2)).unwrap();
        let at = file.rollover_at.unwrap();
        assert!(at >= before + hour && at <= SystemTime::now() + hour, "from now: {at:?}");
        fs::remove_dir_all(dir).unwrap();
    }

    /// Time-rotated backups made within one second share its stamp: the second and later get
    /// `.1`, `.2`, … after it, in order.
    #[test]
    fn backups_rotated_within_one_second_are_numbered_in_order() {
        let dir = temp_dir("time-same-second");
        let path = dir.join("moler.log");
        let mut file =
            LogFile::open(path.clone(), policy(Some(RotationKind::Time), 1, 50)).unwrap();
        // Four rotations within one second (tried again in the rare case a second ends among
        // them): the stamp's backups are `stamp`, `stamp.1`, `stamp.2`, `stamp.3`.
        for _attempt in 0..5 {
            for _ in 0..4 {
                file.rollover_at = Some(SystemTime::now() - Duration::from_secs(1));
                file.write(b"record\n").unwrap();
            }
            let names = backups(&dir);
            // `moler.log.` + a stamp as long as `2026-11-22_10-00-00`, then the number.
            let second_len = "moler.log.2026-11-22_10-00-00".len();
            let mut by_second: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for name in &names {
                let (second, number) = name.split_at(second_len);
                by_second.entry(second.to_owned()).or_default().push(number.to_owned());
            }
            for numbers in by_second.values() {
                let expected: Vec<String> = (0..numbers.len())
                    .map(|i| if i == 0 { String::new() } else { format!(".{i}") })
                    .collect();
                let mut numbers = numbers.clone();
                numbers.sort_by_key(|n| n.trim_start_matches('.').parse::<u32>().unwrap_or(0));
                assert_eq!(numbers, expected, "{names:?}");
            }
            if by_second.values().any(|n| n.len() >= 4) {
                fs::remove_dir_all(dir).unwrap();
                return;
            }
            for name in names {
                fs::remove_file(dir.join(name)).unwrap();
            }
        }
        panic!("no second held four rotations in five tries");
    }

    /// Pruning time-rotated backups removes only files named as this rotation names them
    /// (`moler.log.` + a stamp); other files beside the log stay, however old.
    #[test]
    fn pruning_leaves_the_files_it_did_not_rotate() {
        let dir = temp_dir("time-prune-others");
        let path = dir.join("moler.log");
        let others = [
            "moler.log.1",
            "moler.log.notes-written-by-hand",
            "moler.log.0123456789_x",
            "moler.log.2026-11",
        ];
        let long_ago = SystemTime::now() - Duration::from_secs(30 * 24 * 3600);
        for other in others {
            write_changed_at(&dir.join(other), "kept\n", long_ago);
        }
        let mut file = LogFile::open(path.clone(), policy(Some(RotationKind::Time), 1, 1)).unwrap();
        for round in 0..3 {
            file.rollover_at = Some(SystemTime::now() - Duration::from_secs(1));
            file.write(format!("round {round}\n").as_bytes()).unwrap();
        }
        file.flush().unwrap();
        for other in others {
            assert_eq!(fs::read_to_string(dir.join(other)).unwrap(), "kept\n", "{other}");
        }
        let names: Vec<String> =
            backups(&dir).into_iter().filter(|n| !others.contains(&n.as_str())).collect();
        assert_eq!(names.len(), 1, "BACKUP_COUNT 1 keeps one backup: {names:?}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn time_rotation_renames_with_a_time_stamp_and_prunes() {
        let dir = temp_dir("time");
        let path = dir.join("moler.log");
        let mut file = LogFile::open(path.clone(), policy(Some(RotationKind::Time), 1, 2)).unwrap();
        file.write(b"first\n").unwrap();
        for round in 0..3 {
            // Make the rotation due without sleeping: it is counted from `rollover_at`.
            file.rollover_at = Some(SystemTime::now() - Duration::from_secs(1));
            file.write(format!("round {round}\n").as_bytes()).unwrap();
        }
        file.flush().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "round 2\n");
        let rotated = backups(&dir);
        assert_eq!(rotated.len(), 2, "BACKUP_COUNT 2 keeps two: {rotated:?}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_record_taken_before_the_rollover_stays_in_the_file_it_was_taken_for() {
        let dir = temp_dir("time-taken");
        let path = dir.join("moler.log");
        let mut file = LogFile::open(path.clone(), policy(Some(RotationKind::Time), 1, 2)).unwrap();
        let rollover = SystemTime::now() - Duration::from_secs(1);
        file.rollover_at = Some(rollover);
        // Taken 100 ms before the rollover, written after it (a deferred traffic record).
        file.write_at(b"taken before\n", Some(rollover - Duration::from_millis(100))).unwrap();
        file.write_at(b"taken after\n", Some(rollover + Duration::from_millis(1))).unwrap();
        file.flush().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "taken after\n");
        let rotated: Vec<_> =
            fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p != &path).collect();
        assert_eq!(rotated.len(), 1, "{rotated:?}");
        assert_eq!(fs::read_to_string(&rotated[0]).unwrap(), "taken before\n");
        // The next rollover is counted from the record that made this one.
        assert_eq!(
            file.rollover_at,
            Some(rollover + Duration::from_millis(1) + Duration::from_secs(1))
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
