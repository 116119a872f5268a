//! The broker: Redis connections with bounded waits, the key layout, and the Lua scripts that
//! make each step of a task's life atomic.
//!
//! # Keys
//!
//! | key | type | what |
//! |---|---|---|
//! | `potok:tasks` | stream, consumer group `workers` | every pool's chunks; fields `p` pool, `c` chunk number, `r` retries, `l` lease (ms), `b` build id, `h` task identity, `d` arguments |
//! | `potok:pool:ID` | hash, with a TTL the pool refreshes | exists while the pool lives: name, host, pid, build, `duplicates`, `done` |
//! | `potok:pool:ID:results` | stream | finished chunks: `c`, `w` worker, `d` outcomes; or `c`, `e` error (gave up) |
//! | `potok:pool:ID:who` | hash | per chunk: the workers that lost it and why |
//! | `potok:dead` | stream, capped at about 10,000 | the chunks that were given up, with their data and error |
//! | `potok:workers` | hash | worker name (`host:pid`) → what it is; each also has `potok:worker:NAME` with a TTL while it lives |
//!
//! # A chunk's life
//!
//! ```text
//!  pool: XADD potok:tasks ─▶ pending in the stream
//!  worker: XREADGROUP ─▶ leased to it (in the group's pending list; delivery count 1)
//!     │  while it runs: RENEW every third of the lease (XCLAIM JUSTID: idle time back to 0,
//!     │  delivery count unchanged), only while it is still the owner
//!     ├─ done ─▶ FINISH: if still the owner, XACK + XDEL + XADD to the pool's results, in one
//!     │          script; otherwise it counts a duplicate and delivers nothing
//!     ├─ other build ─▶ REFUSE: noted, handed to the pseudo-consumer `potok:refused` with an
//!     │                 idle time past the lease, so the next RECLAIM takes it at once
//!     └─ died / stalled ─▶ idle past the lease ─▶ RECLAIM (any worker, every 200 ms):
//!            delivery count ≤ retries: XCLAIM to itself (count + 1), run again;
//!            else: the error (every worker named) to the pool's results and the chunk, with
//!            its data, to potok:dead; XACK + XDEL
//! ```
//!
//! Each `XCLAIM` names the entry's own lease, so pools with different leases share the one
//! stream (`XAUTOCLAIM` takes a single minimum idle time per call, which is why RECLAIM reads
//! the pending list with `XPENDING … IDLE` and claims entry by entry instead).

use std::time::Duration;

use redis::Value;

/// The stream of every pool's chunks.
pub(crate) const TASKS: &str = "potok:tasks";
/// The workers' consumer group on [`TASKS`].
pub(crate) const GROUP: &str = "workers";
/// Chunks given up on.
pub(crate) const DEAD: &str = "potok:dead";
/// Worker names and descriptions.
pub(crate) const WORKERS: &str = "potok:workers";
/// The least lease a pool may ask for, and the idle time below which RECLAIM looks at nothing.
pub(crate) const MIN_LEASE: Duration = Duration::from_millis(500);

pub(crate) fn pool_key(id: &str) -> String {
    format!("potok:pool:{id}")
}

pub(crate) fn results_key(id: &str) -> String {
    format!("potok:pool:{id}:results")
}

pub(crate) fn who_key(id: &str) -> String {
    format!("potok:pool:{id}:who")
}

/// `PEXPIRE key (PTTL meta)`, only when the pool's key has a TTL (a negative one would delete).
const LUA_HELPERS: &str = r"
local function follow_ttl(key, meta)
  local ttl = redis.call('PTTL', meta)
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
end
local function owner_of(id)
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if #p == 0 then return false end
  return p[1][2]
end
";

/// KEYS[1] tasks; ARGV: group, me, entry id, pool, chunk, payload. 1 if delivered, 0 if it was
/// a late duplicate.
const FINISH: &str = r"
local meta = 'potok:pool:' .. ARGV[4]
if owner_of(ARGV[3]) ~= ARGV[2] then
  if redis.call('EXISTS', meta) == 1 then redis.call('HINCRBY', meta, 'duplicates', 1) end
  return 0
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
if redis.call('EXISTS', meta) == 1 then
  local results = meta .. ':results'
  redis.call('XADD', results, '*', 'c', ARGV[5], 'w', ARGV[2], 'd', ARGV[6])
  follow_ttl(results, meta)
  redis.call('HDEL', meta .. ':who', ARGV[5])
  redis.call('HINCRBY', meta, 'done', 1)
end
return 1
";

/// KEYS[1] tasks; ARGV: group, me, ids... Renews the leases still held; returns the lost ids.
const RENEW: &str = r"
local lost = {}
for i = 3, #ARGV do
  if owner_of(ARGV[i]) == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
";

/// KEYS[1] tasks; ARGV: group, me, entry id, pool, chunk, reason, lease ms.
const REFUSE: &str = r"
if owner_of(ARGV[3]) ~= ARGV[2] then return 0 end
local meta = 'potok:pool:' .. ARGV[4]
if redis.call('EXISTS', meta) == 0 then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
  redis.call('XDEL', KEYS[1], ARGV[3])
  return 0
end
local who = meta .. ':who'
local note = ARGV[2] .. ' refused it: ' .. ARGV[6]
local past = redis.call('HGET', who, ARGV[5])
if past then note = past .. '; ' .. note end
redis.call('HSET', who, ARGV[5], note)
follow_ttl(who, meta)
redis.call('XCLAIM', KEYS[1], ARGV[1], 'potok:refused', 0, ARGV[3], 'IDLE', ARGV[7], 'JUSTID')
return 1
";

/// KEYS[1] tasks, KEYS[2] dead; ARGV: group, me, floor ms, count. Returns the entries claimed.
const RECLAIM: &str = r"
local pend = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', tonumber(ARGV[3]), '-', '+', tonumber(ARGV[4]))
local out = {}
for _, p in ipairs(pend) do
  local id, owner, idle, n = p[1], p[2], p[3], p[4]
  local e = redis.call('XRANGE', KEYS[1], id, id)
  if #e == 0 then
    redis.call('XACK', KEYS[1], ARGV[1], id)
  else
    local f = e[1][2]
    local h = {}
    for i = 1, #f, 2 do h[f[i]] = f[i + 1] end
    local meta = 'potok:pool:' .. h.p
    if redis.call('EXISTS', meta) == 0 then
      redis.call('XACK', KEYS[1], ARGV[1], id)
      redis.call('XDEL', KEYS[1], id)
    elseif idle >= tonumber(h.l) then
      local who = meta .. ':who'
      local hist = redis.call('HGET', who, h.c)
      if owner ~= 'potok:refused' then
        local note = owner .. ' held it past its lease (' .. h.l .. ' ms: it died, stalled or was stopped)'
        if hist then hist = hist .. '; ' .. note else hist = note end
      end
      if not hist then hist = '' end
      if n >= 1 + tonumber(h.r) then
        local err = 'gave up after ' .. n .. ' attempt(s) (' .. h.r .. ' retries): ' .. hist
        local results = meta .. ':results'
        redis.call('XADD', results, '*', 'c', h.c, 'e', err)
        follow_ttl(results, meta)
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'pool', h.p, 'chunk', h.c, 'entry', id, 'error', err, 'h', h.h, 'd', h.d)
        redis.call('XACK', KEYS[1], ARGV[1], id)
        redis.call('XDEL', KEYS[1], id)
        redis.call('HDEL', who, h.c)
      else
        redis.call('HSET', who, h.c, hist)
        follow_ttl(who, meta)
        local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], h.l, id)
        if #c > 0 and c[1] then out[#out + 1] = c[1] end
      end
    end
  end
end
return out
";

/// The scripts a connection may run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Script {
    Finish,
    Renew,
    Refuse,
    Reclaim,
}

impl Script {
    fn body(self) -> String {
        let main = match self {
            Script::Finish => FINISH,
            Script::Renew => RENEW,
            Script::Refuse => REFUSE,
            Script::Reclaim => RECLAIM,
        };
        format!("{LUA_HELPERS}{main}")
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Where the broker is: the parsed URL and the timeout for every wait on it.
#[derive(Debug, Clone)]
pub(crate) struct Broker {
    client: redis::Client,
    /// The URL without a password, for messages.
    pub(crate) shown: String,
    pub(crate) timeout: Duration,
}

impl Broker {
    /// Parses `url`; nothing is sent yet.
    pub(crate) fn parse(url: &str, timeout: Duration) -> Result<Broker, super::ConnectError> {
        let bad = |why: &str| super::ConnectError::BadUrl {
            url: url.to_owned(),
            why: why.to_owned(),
        };
        let scheme = url.split("://").next().unwrap_or("");
        if !url.contains("://") {
            return Err(bad("no scheme"));
        }
        match scheme {
            "redis" | "redis+unix" | "unix" => {}
            "rediss" => return Err(bad("TLS (rediss://) is not built into potok")),
            _ => return Err(bad(&format!("the scheme {scheme:?} is not redis://"))),
        }
        let client = redis::Client::open(url).map_err(|e| bad(&e.to_string()))?;
        let info = client.get_connection_info();
        let shown = match &info.addr {
            redis::ConnectionAddr::Tcp(host, port) => {
                format!("redis://{host}:{port}/{}", info.redis.db)
            }
            redis::ConnectionAddr::Unix(path) => {
                format!("redis+unix://{}?db={}", path.display(), info.redis.db)
            }
            other => format!("{other}"),
        };
        Ok(Broker {
            client,
            shown,
            timeout,
        })
    }

    /// A fresh connection for reading streams only: no scripts (its
    /// [`script_cmd`](Conn::script_cmd) must not be used), no version check.
    pub(crate) fn connect_plain(&self) -> Result<Conn, super::ConnectError> {
        let unreachable = |why: String| super::ConnectError::Unreachable {
            url: self.shown.clone(),
            why,
        };
        let con = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| unreachable(describe(&e, self.timeout)))?;
        con.set_read_timeout(Some(self.timeout))
            .and_then(|()| con.set_write_timeout(Some(self.timeout)))
            .map_err(|e| unreachable(describe(&e, self.timeout)))?;
        Ok(Conn {
            con,
            timeout: self.timeout,
            shas: Vec::new(),
            shown: self.shown.clone(),
        })
    }

    /// A fresh connection, with the scripts loaded, the version checked and the workers'
    /// consumer group made if it is missing (a broker restarted without persistence has none).
    pub(crate) fn connect(&self) -> Result<Conn, super::ConnectError> {
        let mut conn = self.connect_plain()?;
        let info = conn
            .query(redis::cmd("INFO").arg("server"))
            .map_err(super::ConnectError::Broker)?;
        let info = String::from_utf8_lossy(&bytes(&info)).into_owned();
        let version = info
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .unwrap_or("?")
            .trim()
            .to_owned();
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if major < 7 {
            return Err(super::ConnectError::Broker(format!(
                "Redis {version} at {}; potok::cluster needs Redis 7 or later",
                self.shown
            )));
        }
        for script in [
            Script::Finish,
            Script::Renew,
            Script::Refuse,
            Script::Reclaim,
        ] {
            let sha = conn
                .query(redis::cmd("SCRIPT").arg("LOAD").arg(script.body()))
                .map_err(super::ConnectError::Broker)?;
            conn.shas
                .push(String::from_utf8_lossy(&bytes(&sha)).into_owned());
        }
        // The group may already exist: that is the normal case.
        match conn.query(
            redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(TASKS)
                .arg(GROUP)
                .arg("0")
                .arg("MKSTREAM"),
        ) {
            Ok(_) => {}
            Err(e) if e.contains("BUSYGROUP") => {}
            Err(e) => return Err(super::ConnectError::Broker(e)),
        }
        Ok(conn)
    }
}

/// One connection to the broker; every wait on it is bounded.
pub(crate) struct Conn {
    con: redis::Connection,
    timeout: Duration,
    shas: Vec<String>,
    pub(crate) shown: String,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("broker", &self.shown).finish()
    }
}

/// A redis error in words, naming a timeout as one.
fn describe(err: &redis::RedisError, timeout: Duration) -> String {
    if err.is_timeout() {
        format!("no answer within {timeout:?}")
    } else if err.is_connection_dropped() || err.is_connection_refusal() {
        format!("the connection failed ({err})")
    } else {
        err.to_string()
    }
}

impl Conn {
    /// Runs one command.
    pub(crate) fn query(&mut self, cmd: &redis::Cmd) -> Result<Value, String> {
        cmd.query::<Value>(&mut self.con)
            .map_err(|e| self.explain(&e))
    }

    /// Runs a command that blocks on the server for up to `block` (XREAD … BLOCK).
    pub(crate) fn query_blocking(
        &mut self,
        cmd: &redis::Cmd,
        block: Duration,
    ) -> Result<Value, String> {
        let patient = Some(block + self.timeout);
        self.con
            .set_read_timeout(patient)
            .map_err(|e| self.explain(&e))?;
        let out = self.query(cmd);
        let _ = self.con.set_read_timeout(Some(self.timeout));
        out
    }

    /// Runs several commands in one round trip.
    pub(crate) fn pipe(&mut self, pipe: &redis::Pipeline) -> Result<Vec<Value>, String> {
        pipe.query::<Vec<Value>>(&mut self.con)
            .map_err(|e| self.explain(&e))
    }

    /// Runs several commands in one round trip, the last of which may block on the server for
    /// up to `block`.
    pub(crate) fn pipe_blocking(
        &mut self,
        pipe: &redis::Pipeline,
        block: Duration,
    ) -> Result<Vec<Value>, String> {
        let patient = Some(block + self.timeout);
        self.con
            .set_read_timeout(patient)
            .map_err(|e| self.explain(&e))?;
        let out = self.pipe(pipe);
        let _ = self.con.set_read_timeout(Some(self.timeout));
        out
    }

    /// Writes the commands of `pipe` without reading any reply: the caller reads them later,
    /// one [`recv`](Self::recv) each, in order (before anything else is sent that expects a
    /// reply).
    pub(crate) fn send(&mut self, pipe: &redis::Pipeline) -> Result<(), String> {
        self.con
            .send_packed_command(&pipe.get_packed_pipeline())
            .map_err(|e| self.explain(&e))
    }

    /// Reads the next reply of what [`send`](Self::send) wrote, waiting at most `patience`
    /// (at least the broker timeout); an error reply is an error.
    pub(crate) fn recv(&mut self, patience: Duration) -> Result<Value, String> {
        let patience = patience.max(self.timeout);
        if patience != self.timeout {
            self.con
                .set_read_timeout(Some(patience))
                .map_err(|e| self.explain(&e))?;
        }
        let out = self.con.recv_response();
        if patience != self.timeout {
            let _ = self.con.set_read_timeout(Some(self.timeout));
        }
        match out {
            Ok(Value::ServerError(e)) => Err(format!("{}: {e:?}", self.shown)),
            Ok(v) => Ok(v),
            Err(e) => Err(self.explain(&e)),
        }
    }

    /// The EVALSHA command for `script` (keys first, then arguments added by the caller).
    pub(crate) fn script_cmd(&self, script: Script, keys: &[&str]) -> redis::Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(&self.shas[script.index()]).arg(keys.len());
        for k in keys {
            cmd.arg(*k);
        }
        cmd
    }

    fn explain(&self, err: &redis::RedisError) -> String {
        format!("{}: {}", self.shown, describe(err, self.timeout))
    }
}

/// A reply as bytes (bulk or simple strings; empty otherwise).
pub(crate) fn bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::BulkString(b) => b.clone(),
        Value::SimpleString(s) => s.clone().into_bytes(),
        Value::VerbatimString { text, .. } => text.clone().into_bytes(),
        Value::Int(i) => i.to_string().into_bytes(),
        Value::Okay => b"OK".to_vec(),
        _ => Vec::new(),
    }
}

/// A reply as text.
pub(crate) fn text(v: &Value) -> String {
    String::from_utf8_lossy(&bytes(v)).into_owned()
}

/// A reply as an integer (integers and numeric strings).
pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        other => text(other).parse().ok(),
    }
}

/// A reply as an array (empty for nil).
pub(crate) fn array(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) | Value::Set(items) => items,
        _ => &[],
    }
}

/// One stream entry: its id and fields.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) fields: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Entry {
    /// The value of field `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    /// The value of field `name` as text.
    pub(crate) fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }
}

/// Entries from a reply of the form `[[id, [field, value, ...]], ...]` (XRANGE, XCLAIM, the
/// RECLAIM script); entries deleted meanwhile (nil) are skipped.
pub(crate) fn entries(v: &Value) -> Vec<Entry> {
    array(v)
        .iter()
        .filter_map(|e| {
            let parts = array(e);
            let id = text(parts.first()?);
            let flat = array(parts.get(1)?);
            let fields = flat
                .chunks_exact(2)
                .map(|kv| (bytes(&kv[0]), bytes(&kv[1])))
                .collect();
            Some(Entry { id, fields })
        })
        .collect()
}

/// Entries from an XREAD / XREADGROUP reply over one stream (nil when the wait ran out).
pub(crate) fn read_reply(v: &Value) -> Vec<Entry> {
    match v {
        Value::Array(streams) => streams
            .iter()
            .flat_map(|s| array(s).get(1).map(entries).unwrap_or_default())
            .collect(),
        Value::Map(streams) => streams.iter().flat_map(|(_, e)| entries(e)).collect(),
        _ => Vec::new(),
    }
}

/// This machine's name (from `/etc/hostname` or the kernel), for worker and pool names.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}
