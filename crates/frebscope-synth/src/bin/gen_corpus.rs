//! Writes a large, share-shaped benchmark corpus of FREB traces.
//!
//! ```text
//! cargo run --release -p frebscope-synth --bin gen_corpus -- --out DIR [--traces N] [--seed S]
//! ```
//!
//! Layout: `DIR/<SERVER>/FailedReqLogFiles/W3SVC<site>/fr######.xml`, two ARR front ends and
//! six backends. The status mix is that of a busy farm's tracing share: mostly 404s and slow
//! 200s, application 500s, a few 500.19, and 502.3 rare (~2-3 %). File sizes follow what real
//! traces show (84 KB - 1 MB, median ~200 KB) by sizing the captured bodies, so 4,000 traces
//! come to about 1 GB.
//!
//! Same arguments, same bytes: every trace draws from its own generator seeded by `--seed` and
//! its index, so the parallel writing order does not matter.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use frebscope_synth::events::ServerStats;
use frebscope_synth::recipes::{
    self, AncmOutcome, AncmRequest, ArrForward, ArrOutcome, AspNetRequest, Request,
};
use frebscope_synth::{Status, TraceSpec, file_name, render_into};
use rayon::prelude::*;

/// splitmix64: tiny, good enough for picking scenarios, and reproducible everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, n)`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        frebscope_synth::guid(a, b)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NotFound,
    SlowAspNet,
    SlowAncm,
    AspNet500,
    Ancm500,
    Config,
    ArrRelayed404,
    ArrTimeout,
    ArrCannotConnect,
    Ancm502,
}

/// Share of each kind, in per mille.
const MIX: &[(Kind, u64)] = &[
    (Kind::NotFound, 330),
    (Kind::SlowAspNet, 170),
    (Kind::SlowAncm, 150),
    (Kind::AspNet500, 130),
    (Kind::Ancm500, 80),
    (Kind::Config, 30),
    (Kind::ArrRelayed404, 85),
    (Kind::ArrTimeout, 12),
    (Kind::ArrCannotConnect, 6),
    (Kind::Ancm502, 7),
];

const FRONTS: &[&str] = &["ARR01", "ARR02"];
const BACKENDS: &[&str] = &["WEB01", "WEB02", "WEB03", "WEB04", "WEB05", "WEB06"];

/// One planned file.
struct Plan {
    index: u64,
    kind: Kind,
    server: &'static str,
    site: u32,
    number: u32,
    start: DateTime<Utc>,
    target: usize,
}

struct Args {
    out: PathBuf,
    traces: u64,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut out = None;
    let mut traces = 4200;
    let mut seed = 1;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--traces" => {
                traces = value("--traces")?
                    .parse()
                    .map_err(|e| format!("--traces: {e}"))?
            }
            "--seed" => {
                seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "-h" | "--help" => {
                return Err("usage: gen_corpus --out DIR [--traces N] [--seed S]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        out: out.ok_or("--out DIR is required")?,
        traces,
        seed,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let t0 = Instant::now();
    let plans = plan(&args);
    let base = calibrate();
    let written: Result<Vec<usize>, String> = plans
        .par_iter()
        .map_init(
            || String::with_capacity(1 << 20),
            |buf, p| {
                let spec = build(p, args.seed, &base);
                buf.clear();
                render_into(&spec, buf);
                let path = args
                    .out
                    .join(p.server)
                    .join("FailedReqLogFiles")
                    .join(format!("W3SVC{}", p.site))
                    .join(file_name(p.number));
                write(&path, buf.as_bytes()).map(|()| buf.len())
            },
        )
        .collect();
    match written {
        Ok(sizes) => {
            let total: usize = sizes.iter().sum();
            let mut sorted = sizes.clone();
            sorted.sort_unstable();
            let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
            eprintln!(
                "wrote {} traces, {:.1} MiB (median {} KB, min {} KB, max {} KB) to {} in {:.1} s",
                sizes.len(),
                total as f64 / 1048576.0,
                median / 1000,
                sorted.first().copied().unwrap_or(0) / 1000,
                sorted.last().copied().unwrap_or(0) / 1000,
                args.out.display(),
                t0.elapsed().as_secs_f64()
            );
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Decides kind, server, time, number and size of every file, sequentially (cheap), so that
/// numbering per directory follows time as IIS's counter does.
fn plan(args: &Args) -> Vec<Plan> {
    let mut rng = Rng::new(args.seed, u64::MAX);
    let total_weight: u64 = MIX.iter().map(|(_, w)| w).sum();
    let span_ms: i64 = 7 * 24 * 3600 * 1000;
    let step = (span_ms / args.traces.max(1) as i64).max(1);
    let mut t = Utc
        .with_ymd_and_hms(2025, 3, 3, 0, 0, 0)
        .single()
        .expect("fixed, valid date");
    let mut counters = std::collections::HashMap::new();
    let mut plans = Vec::with_capacity(args.traces as usize);
    for index in 0..args.traces {
        t += Duration::milliseconds(1 + rng.below(2 * step as u64) as i64);
        let mut pick = rng.below(total_weight);
        let mut kind = Kind::NotFound;
        for (k, w) in MIX {
            if pick < *w {
                kind = *k;
                break;
            }
            pick -= w;
        }
        let front = matches!(
            kind,
            Kind::ArrRelayed404 | Kind::ArrTimeout | Kind::ArrCannotConnect
        );
        let (server, site) = if front {
            (FRONTS[rng.below(FRONTS.len() as u64) as usize], 1)
        } else {
            (
                BACKENDS[rng.below(BACKENDS.len() as u64) as usize],
                2 + rng.below(2) as u32,
            )
        };
        let n = counters.entry((server, site)).or_insert(0u32);
        *n += 1;
        // Log-normal around 200 KB, clamped to what real traces span.
        let target = (215_000.0 * (0.5 * rng.normal()).exp()).clamp(84_000.0, 900_000.0) as usize;
        plans.push(Plan {
            index,
            kind,
            server,
            site,
            number: *n,
            start: t,
            target,
        });
    }
    plans
}

/// Rendered size of each kind with empty bodies, so bodies can be sized to hit a target.
fn calibrate() -> Vec<(Kind, usize)> {
    MIX.iter()
        .map(|(k, _)| {
            let p = Plan {
                index: 0,
                kind: *k,
                server: "WEB01",
                site: 2,
                number: 1,
                start: Utc
                    .with_ymd_and_hms(2025, 3, 3, 0, 0, 0)
                    .single()
                    .expect("valid"),
                target: 0,
            };
            let mut s = String::new();
            render_into(&build(&p, 0, &[]), &mut s);
            (*k, s.len())
        })
        .collect()
}

fn build(p: &Plan, seed: u64, base: &[(Kind, usize)]) -> TraceSpec {
    let mut rng = Rng::new(seed, p.index);
    let base_len = base
        .iter()
        .find(|(k, _)| *k == p.kind)
        .map_or(0, |(_, l)| *l);
    // Escaping expands listing HTML by ~1.45 and JSON by ~1.9.
    let deficit = p.target.saturating_sub(base_len);
    let pool_is_core = p.site == 3;
    let pid = 2000
        + (p.server.len() as u32 * 977 + p.site * 131 + (p.start.timestamp() / 86_400) as u32 * 17)
            % 20_000;
    let mut req = Request {
        computer: p.server.into(),
        site_id: p.site,
        app_pool: match (p.site, pool_is_core) {
            (1, _) => "ArrFront".into(),
            (_, true) => "Orders".into(),
            _ => "Catalog".into(),
        },
        process_id: pid,
        thread_id: 1000 + rng.below(12_000) as u32,
        start: p.start,
        activity_id: format!(
            "{{{:08X}-{:04X}-FB00-B63F-84710C7967BB}}",
            0x8000_0000u64 | (p.index & 0x7fff_ffff),
            rng.below(16)
        ),
        scheme: "http".into(),
        host: "shop.example.com".into(),
        port: 80,
        path: String::new(),
        query: String::new(),
        verb: "GET".into(),
        client: (
            format!("10.0.1.{}", 10 + rng.below(2)),
            49_152 + rng.below(16_000) as u16,
        ),
        local_address: format!("10.0.1.{}", 11 + rng.below(6)),
        headers: Vec::new(),
        physical_root: "D:\\sites\\shop".into(),
        conn_id: 1_610_612_736 + p.index * 2,
        request_body: 0,
        response_body: 0,
        managed_pipeline: p.site == 2,
        rewrite_installed: p.site == 1,
    };
    let item = rng.below(90_000);
    req.path = match p.kind {
        Kind::NotFound | Kind::ArrRelayed404 => format!("/catalog/images/p/{item}.jpg"),
        Kind::SlowAspNet | Kind::AspNet500 | Kind::Config => format!("/catalog/product/{item}"),
        _ => format!("/orders/api/orders/{item}"),
    };
    if rng.below(3) == 0 {
        req.query = format!("ref=mail&amp=1&page={}", rng.below(40));
    }
    let log_id = rng.guid();
    req.headers = vec![
        ("Accept".into(), "text/html,application/json;q=0.9,*/*;q=0.8".into()),
        ("Host".into(), "shop.example.com".into()),
        (
            "User-Agent".into(),
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36".into(),
        ),
    ];
    if p.site != 1 {
        req.headers.push(("X-ARR-LOG-ID".into(), log_id.clone()));
    }
    let html_body = (deficit as f64 / 1.45) as usize;
    let json_body = (deficit as f64 / 1.9) as usize;
    let ok = Status::new(200, 0);
    let slow = 10_000 + rng.below(20_000);
    match p.kind {
        Kind::NotFound => {
            req.verb = "POST".into();
            req.request_body = json_body;
            recipes::static_not_found(&req)
        }
        Kind::Config => {
            req.request_body = json_body;
            req.verb = "POST".into();
            recipes::config_error(
                &req,
                "D:\\sites\\shop\\catalog\\web.config",
                10 + rng.below(200) as u32,
                "Cannot add duplicate collection entry of type 'add' with unique key attribute 'name' set to 'X-Frame-Options'",
            )
        }
        Kind::SlowAspNet | Kind::AspNet500 => {
            let failed = p.kind == Kind::AspNet500;
            if failed {
                req.verb = "POST".into();
                req.request_body = json_body;
            } else {
                req.response_body = html_body;
            }
            recipes::aspnet_request(
                &req,
                &AspNetRequest {
                    app_domain_start: None,
                    status: if failed { Status::new(500, 0) } else { ok },
                    handler_ms: if failed { 50 + rng.below(2000) } else { slow },
                    exception: failed.then(|| {
                        (
                            "System.InvalidOperationException".to_owned(),
                            format!("Sequence contains no elements (product {item})"),
                        )
                    }),
                    flush_error: 0,
                },
            )
        }
        Kind::SlowAncm | Kind::Ancm500 | Kind::Ancm502 => {
            req.app_pool = "Orders".into();
            req.managed_pipeline = false;
            let outcome = match p.kind {
                Kind::SlowAncm => {
                    req.response_body = json_body;
                    AncmOutcome::Response {
                        status: ok,
                        backend_ms: slow,
                        flush_error: 0,
                    }
                }
                Kind::Ancm500 => {
                    req.verb = "POST".into();
                    req.request_body = json_body;
                    AncmOutcome::Response {
                        status: Status::new(500, 0),
                        backend_ms: 40 + rng.below(900),
                        flush_error: 0,
                    }
                }
                _ => {
                    req.verb = "POST".into();
                    req.request_body = json_body;
                    let (error, after_ms) = match rng.below(3) {
                        0 => (0x8007_2EFD, 1_000 + rng.below(3_000)),
                        1 => (0x8007_2EE2, 120_000),
                        _ => (0x8007_2EFE, 200 + rng.below(5_000)),
                    };
                    AncmOutcome::ForwardFail { error, after_ms }
                }
            };
            recipes::ancm_request(
                &req,
                &AncmRequest {
                    app_config_path: format!("/LM/W3SVC/{}/ROOT/orders", p.site),
                    started: None,
                    outcome,
                },
            )
        }
        Kind::ArrRelayed404 | Kind::ArrTimeout | Kind::ArrCannotConnect => {
            req.scheme = "https".into();
            req.port = 443;
            req.client = (
                format!("198.51.100.{}", rng.below(250)),
                50_000 + rng.below(15_000) as u16,
            );
            req.verb = "POST".into();
            req.request_body = json_body;
            let outcome = match p.kind {
                Kind::ArrRelayed404 => ArrOutcome::Response {
                    status: Status::new(404, 0),
                    backend_ms: 20 + rng.below(200),
                },
                Kind::ArrTimeout => ArrOutcome::Timeout { after_ms: 30_000 },
                _ => ArrOutcome::CannotConnect {
                    after_ms: 1_000 + rng.below(20_000),
                },
            };
            recipes::arr_forward(
                &req,
                &ArrForward {
                    rule: "ARR_shop-farm_loadbalance".into(),
                    pattern: "(.*)".into(),
                    farm: "shop-farm".into(),
                    server: BACKENDS[rng.below(BACKENDS.len() as u64) as usize].into(),
                    log_id,
                    stats: ServerStats {
                        total_requests: rng.below(100_000),
                        failed_requests: rng.below(300),
                        current_requests: rng.below(20),
                        bytes_sent: rng.below(1 << 32),
                        bytes_received: rng.below(1 << 36),
                        response_time_ms: 50 + rng.below(900),
                    },
                    outcome,
                },
            )
        }
    }
}
