//! A throw-away PostgreSQL server for the tests and the bench: a fresh cluster in a temporary
//! directory, on a free port of 127.0.0.1, password (SCRAM) authentication over TCP, with
//! PostgreSQL's durable defaults or with durability off for speed ([`Durability`]). [`Postgres::stop`] (or dropping the value) shuts it down and deletes the directory.
//!
//! The server runs as a child of xtask, so Ctrl-C in the terminal stops it too; a directory
//! left behind by an interrupted run is removed by the next one. `initdb` refuses to run as
//! root, so as root the cluster belongs to the `postgres` system user.

use crate::cmd;
use anyhow::{Context, Result, bail};
use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DIR_PREFIX: &str = "webchat-xtask-pg-";
const USER: &str = "webchat";
const PASSWORD: &str = "webchat";
const DATABASE: &str = "webchat";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const SERVER_SETTINGS: &[&str] = &["max_connections=200"];
/// What [`Durability::Off`] adds: a commit no longer waits for the disk, and a power cut can
/// lose acknowledged transactions or corrupt the cluster.
const DURABILITY_OFF: &[&str] = &[
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
];

/// Whether the server keeps committed transactions across a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// PostgreSQL's defaults: what production runs, and what the bench's budgets are judged on.
    Durable,
    /// Off, for the tests' speed and the bench's ceiling row.
    Off,
}

/// Servers started by this process so far: each gets its own directory.
static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A running throw-away server.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    owner: Option<Owner>,
    port: u16,
    durability: Durability,
    server: Option<Child>,
}

/// The system user that owns the cluster when xtask runs as root.
#[derive(Debug, Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
}

impl Postgres {
    pub fn start(durability: Durability) -> Result<Self> {
        let bin = bin_dir()?;
        let owner = cluster_owner()?;
        remove_stale_dirs(&bin, owner);

        let started = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("{DIR_PREFIX}{}.{started}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .with_context(|| format!("could not remove {}", dir.display()))?;
        }
        fs::create_dir(&dir).with_context(|| format!("could not create {}", dir.display()))?;
        let mut postgres = Self {
            bin,
            dir,
            owner,
            port: 0,
            durability,
            server: None,
        };
        postgres.initialise()?;
        postgres.port = free_port()?;
        postgres.launch()?;
        postgres.create_database()?;
        Ok(postgres)
    }

    /// The connection URL the tests use.
    pub fn url(&self) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{DATABASE}",
            self.port
        )
    }

    /// Shuts the server down and deletes its directory, reporting what went wrong.
    pub fn stop(mut self) -> Result<()> {
        self.shut_down()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn initialise(&self) -> Result<()> {
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))?;
        let password_file = self.dir.join("password");
        fs::write(&password_file, PASSWORD)?;
        if let Some(owner) = self.owner {
            for path in [&self.dir, &password_file] {
                std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid))
                    .with_context(|| format!("could not hand {} to postgres", path.display()))?;
            }
        }
        let mut initdb = self.tool("initdb");
        initdb
            .arg("--pgdata")
            .arg(self.data_dir())
            .args(["--username", USER, "--encoding", "UTF8", "--no-locale"])
            .args(["--auth-local", "trust", "--auth-host", "scram-sha-256"])
            .arg(format!("--pwfile={}", password_file.display()))
            .arg("--no-sync");
        run_quietly(&mut initdb)
    }

    fn launch(&mut self) -> Result<()> {
        let log_path = self.dir.join("postgres.log");
        let log = File::create(&log_path)?;
        let mut postgres = self.tool("postgres");
        postgres
            .arg("-D")
            .arg(self.data_dir())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()));
        let durability_off = match self.durability {
            Durability::Durable => &[][..],
            Durability::Off => DURABILITY_OFF,
        };
        for setting in SERVER_SETTINGS.iter().chain(durability_off) {
            postgres.args(["-c", setting]);
        }
        postgres
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        println!("$ {}", cmd::describe(&postgres));
        self.server = Some(postgres.spawn().context("could not start postgres")?);

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let ready = self
                .tool("pg_isready")
                .args([
                    "--quiet",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &self.port.to_string(),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return Ok(());
            }
            if let Some(status) = self.server.as_mut().and_then(|s| s.try_wait().ok()?) {
                bail!(
                    "postgres exited at start ({status}); its log:\n{}",
                    fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "postgres was not ready within {} s; its log:\n{}",
                    READY_TIMEOUT.as_secs(),
                    fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn create_database(&self) -> Result<()> {
        run_quietly(
            self.tool("createdb")
                .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
                .args(["--username", USER, DATABASE])
                .env("PGPASSWORD", PASSWORD),
        )
    }

    fn shut_down(&mut self) -> Result<()> {
        let mut outcome = Ok(());
        if let Some(mut server) = self.server.take() {
            let stopped = run_quietly(
                self.tool("pg_ctl")
                    .arg("--pgdata")
                    .arg(self.data_dir())
                    .args(["--mode", "fast", "--wait", "stop"]),
            );
            if let Err(error) = stopped {
                let _ = server.kill();
                outcome = Err(error.context("pg_ctl stop failed; killed postgres"));
            }
            let _ = server.wait();
        }
        if self.dir.exists()
            && let Err(error) = fs::remove_dir_all(&self.dir)
        {
            let error = anyhow::Error::new(error)
                .context(format!("could not delete {}", self.dir.display()));
            outcome = outcome.and(Err(error));
        }
        outcome
    }

    /// A PostgreSQL program, run as the cluster owner with the cluster directory as cwd (the
    /// owner may not be allowed into the caller's cwd).
    fn tool(&self, program: &str) -> Command {
        tool_command(&self.bin, program, &self.dir, self.owner)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Err(error) = self.shut_down() {
            eprintln!("xtask: warning: {error:#}");
        }
    }
}

/// `cargo xtask postgres-check`: start a server, query it, stop it.
pub fn self_check() -> Result<()> {
    let postgres = Postgres::start(Durability::Off)?;
    let dir = postgres.dir.clone();
    println!("started: {}", postgres.url());
    let version = cmd::probe(postgres.tool("psql").arg(postgres.url()).args([
        "--tuples-only",
        "--command",
        "select version()",
    ]))
    .context("could not query the server with psql")?;
    println!("query: {version}");
    postgres.stop()?;
    if dir.exists() {
        bail!("{} is still there after stop", dir.display());
    }
    println!("stopped and deleted {}", dir.display());
    Ok(())
}

fn tool_command(bin: &Path, program: &str, cwd: &Path, owner: Option<Owner>) -> Command {
    let mut command = Command::new(bin.join(program));
    command.current_dir(cwd);
    if let Some(owner) = owner {
        command.uid(owner.uid).gid(owner.gid).env("HOME", cwd);
    }
    command
}

fn run_quietly(command: &mut Command) -> Result<()> {
    let line = cmd::describe(command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    if !output.status.success() {
        bail!(
            "`{line}` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// PostgreSQL 15 from the Debian packages, else the newest installed major version, else
/// whatever `pg_config` reports.
fn bin_dir() -> Result<PathBuf> {
    let preferred = Path::new("/usr/lib/postgresql/15/bin");
    if preferred.join("initdb").exists() {
        return Ok(preferred.to_path_buf());
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let from_pg_config = cmd::probe(Command::new("pg_config").arg("--bindir"))
        .map(PathBuf::from)
        .filter(|bin| bin.join("initdb").exists());
    from_pg_config.context(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and \
         `pg_config --bindir`); install PostgreSQL 15",
    )
}

/// `None` when xtask is not root: the cluster then belongs to the current user.
fn cluster_owner() -> Result<Option<Owner>> {
    // `/proc/self` belongs to the effective user of the process reading it.
    let running_as_root = fs::metadata("/proc/self")?.uid() == 0;
    if !running_as_root {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd")?;
    let owner = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"postgres")).then(|| {
            Some(Owner {
                uid: fields.get(2)?.parse().ok()?,
                gid: fields.get(3)?.parse().ok()?,
            })
        })?
    });
    owner
        .map(Some)
        .context("running as root but there is no `postgres` system user to own the cluster")
}

/// Removes directories of earlier runs whose xtask process is gone, stopping a server that
/// may still run in one.
fn remove_stale_dirs(bin: &Path, owner: Option<Owner>) {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(DIR_PREFIX))
            .map(|rest| rest.split('.').next().unwrap_or(rest))
        else {
            continue;
        };
        if Path::new("/proc").join(pid).exists() {
            continue;
        }
        let dir = entry.path();
        let data = dir.join("data");
        if data.join("postmaster.pid").exists() {
            let _ = tool_command(bin, "pg_ctl", &dir, owner)
                .arg("--pgdata")
                .arg(&data)
                .args(["--mode", "immediate", "--wait", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}
