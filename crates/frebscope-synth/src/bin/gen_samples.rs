//! Writes the demo farm in `samples/`: one day of FREB traces from an ARR front end and two
//! backends, with the failures frebscope is meant to explain, and `samples/README.md` listing
//! every scenario with the verdict it should get.
//!
//! Deterministic: no clock, no randomness; running it twice gives identical bytes.
//!
//! ```text
//! cargo run -p frebscope-synth --bin gen_samples            # writes ./samples
//! cargo run -p frebscope-synth --bin gen_samples -- DIR     # writes DIR
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use frebscope_synth::events::ServerStats;
use frebscope_synth::recipes::{
    self, AncmOutcome, AncmRequest, ArrForward, ArrOutcome, AspNetRequest, Request,
};
use frebscope_synth::{Status, TraceSpec, file_name, render};

const ARR_IP: &str = "10.0.1.10";
const HOST: &str = "shop.example.com";
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
const MONITOR: &str = "FarmMonitor/2.3 (+probe)";
const WSAECONN_GONE: u32 = 0x8007_04CD;

/// One server's identity.
#[derive(Clone, Copy)]
struct Server {
    name: &'static str,
    ip: &'static str,
}

const ARR01: Server = Server {
    name: "ARR01",
    ip: "10.0.1.10",
};
const WEB01: Server = Server {
    name: "WEB01",
    ip: "10.0.1.11",
};
const WEB02: Server = Server {
    name: "WEB02",
    ip: "10.0.1.12",
};

/// A backend application pool in one worker process.
#[derive(Clone, Copy)]
struct Pool {
    server: Server,
    name: &'static str,
    pid: u32,
}

/// A trace with what the README says about it.
struct Sample {
    server: &'static str,
    site: u32,
    spec: TraceSpec,
    what: String,
    verdict: &'static str,
    why: String,
    /// Index of the linked backend trace (same X-ARR-LOG-ID).
    link: Option<usize>,
}

struct Farm {
    samples: Vec<Sample>,
    seq: u64,
}

fn day(h: u32, m: u32, s: u32, ms: i64) -> DateTime<Utc> {
    let t = Utc
        .with_ymd_and_hms(2025, 3, 11, h, m, s)
        .single()
        .expect("fixed, valid date");
    t + Duration::milliseconds(ms)
}

/// A deterministic GUID from a sequence number (splitmix64 scrambled).
fn guid(seq: u64) -> String {
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66_D1CE_4E5B;
    let mut next = || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let a = next();
    let b = next();
    frebscope_synth::guid(a, b)
}

impl Farm {
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn base(
        &mut self,
        pool: Pool,
        site: u32,
        start: DateTime<Utc>,
        path: &str,
        query: &str,
    ) -> Request {
        let (server, pid) = (pool.server, pool.pid);
        let pool = pool.name;
        let n = self.next();
        Request {
            computer: server.name.into(),
            site_id: site,
            app_pool: pool.into(),
            process_id: pid,
            thread_id: 3000 + (n as u32 * 148) % 9000,
            start,
            activity_id: format!(
                "{{{:08X}-{:04X}-FB00-B63F-84710C7967BB}}",
                0x8000_0000u64 + n * 37,
                n % 7
            ),
            scheme: "http".into(),
            host: HOST.into(),
            port: 80,
            path: path.into(),
            query: query.into(),
            verb: "GET".into(),
            client: (ARR_IP.into(), (49_152 + n * 211 % 16_000) as u16),
            local_address: server.ip.into(),
            headers: Vec::new(),
            physical_root: "D:\\sites\\shop".into(),
            conn_id: 1_610_612_736 + n * 3,
            request_body: 0,
            response_body: 0,
            managed_pipeline: false,
            rewrite_installed: false,
        }
    }

    /// The request a browser sends to the front end.
    fn front(&mut self, start: DateTime<Utc>, path: &str, query: &str, agent: &str) -> Request {
        let mut r = self.base(
            Pool {
                server: ARR01,
                name: "ArrFront",
                pid: 2284,
            },
            1,
            start,
            path,
            query,
        );
        let n = self.seq;
        r.scheme = "https".into();
        r.port = 443;
        r.client = (
            format!("203.0.113.{}", 10 + n * 7 % 200),
            (50_000 + n * 97 % 15_000) as u16,
        );
        r.physical_root = "D:\\sites\\arr-front".into();
        r.rewrite_installed = true;
        r.headers = vec![
            ("Connection".into(), "keep-alive".into()),
            (
                "Accept".into(),
                "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8".into(),
            ),
            ("Accept-Encoding".into(), "gzip, deflate, br".into()),
            ("Accept-Language".into(), "en-GB,en;q=0.9,de;q=0.7".into()),
            ("Host".into(), HOST.into()),
            ("User-Agent".into(), agent.into()),
        ];
        r
    }

    /// The request the backend receives from ARR, carrying `log_id`.
    fn via_arr(
        &mut self,
        pool: Pool,
        start: DateTime<Utc>,
        path: &str,
        query: &str,
        log_id: &str,
    ) -> Request {
        let mut r = self.base(pool, 2, start, path, query);
        let original = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        r.headers = vec![
            (
                "Accept".into(),
                "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8".into(),
            ),
            ("Accept-Encoding".into(), "gzip, deflate, br".into()),
            ("Accept-Language".into(), "en-GB,en;q=0.9,de;q=0.7".into()),
            ("Host".into(), HOST.into()),
            ("Max-Forwards".into(), "10".into()),
            ("User-Agent".into(), BROWSER.into()),
            ("X-Original-URL".into(), original),
            (
                "X-Forwarded-For".into(),
                format!(
                    "203.0.113.{}:{}",
                    10 + self.seq * 7 % 200,
                    50_000 + self.seq * 97 % 15_000
                ),
            ),
            (
                "X-ARR-SSL".into(),
                "2048|256|CN=Example Issuing CA 2|CN=shop.example.com".into(),
            ),
            ("X-ARR-LOG-ID".into(), log_id.into()),
        ];
        self.app_kind(&mut r);
        r
    }

    /// A request sent straight to a backend by an internal client (no ARR).
    fn direct(
        &mut self,
        pool: Pool,
        start: DateTime<Utc>,
        path: &str,
        agent: &str,
        client: &str,
    ) -> Request {
        let mut r = self.base(pool, 2, start, path, "");
        let host = format!("{}.corp.example", pool.server.name.to_lowercase());
        r.host = host.clone();
        r.client = (client.into(), (51_000 + self.seq * 13 % 9000) as u16);
        r.headers = vec![
            ("Connection".into(), "Keep-Alive".into()),
            ("Accept".into(), "application/json".into()),
            ("Host".into(), host),
            ("User-Agent".into(), agent.into()),
        ];
        self.app_kind(&mut r);
        r
    }

    fn app_kind(&self, r: &mut Request) {
        r.managed_pipeline = r.app_pool == "Catalog";
    }

    /// Adds an ARR front-end trace (site 1) that forwarded to the backend trace `backend`.
    fn add_front(
        &mut self,
        spec: TraceSpec,
        backend: usize,
        what: impl Into<String>,
        verdict: &'static str,
        why: impl Into<String>,
    ) {
        let front = self.add(spec, 1, what, verdict, why);
        self.samples[front].link = Some(backend);
    }

    fn add(
        &mut self,
        spec: TraceSpec,
        site: u32,
        what: impl Into<String>,
        verdict: &'static str,
        why: impl Into<String>,
    ) -> usize {
        let server = match spec.computer.as_str() {
            "ARR01" => "ARR01",
            "WEB01" => "WEB01",
            _ => "WEB02",
        };
        self.samples.push(Sample {
            server,
            site,
            spec,
            what: what.into(),
            verdict,
            why: why.into(),
            link: None,
        });
        self.samples.len() - 1
    }

    fn arr(
        &mut self,
        start: DateTime<Utc>,
        path: &str,
        query: &str,
        (target, log_id): (Server, &str),
        outcome: ArrOutcome,
        body: usize,
    ) -> TraceSpec {
        let mut req = self.front(start, path, query, BROWSER);
        req.response_body = body;
        let (farm, rule, pattern) = if path.starts_with("/orders") {
            ("orders-farm", "ARR_orders-farm_loadbalance", "^orders/(.*)")
        } else {
            (
                "catalog-farm",
                "ARR_catalog-farm_loadbalance",
                "^catalog/(.*)",
            )
        };
        let n = self.seq;
        let fwd = ArrForward {
            rule: rule.into(),
            pattern: pattern.into(),
            farm: farm.into(),
            server: target.name.into(),
            log_id: log_id.into(),
            stats: ServerStats {
                total_requests: 1200 + n * 53,
                failed_requests: n % 9,
                current_requests: 1 + n % 4,
                bytes_sent: 3_400_000 + n * 7919,
                bytes_received: 88_000_000 + n * 104_729,
                response_time_ms: 180 + n * 17 % 400,
            },
            outcome,
        };
        recipes::arr_forward(&req, &fwd)
    }
}

fn aspnet(
    status: Status,
    ms: u64,
    exception: Option<(&str, &str)>,
    domain: Option<&str>,
    flush_error: u32,
) -> AspNetRequest {
    AspNetRequest {
        app_domain_start: domain.map(str::to_owned),
        status,
        handler_ms: ms,
        exception: exception.map(|(k, m)| (k.to_owned(), m.to_owned())),
        flush_error,
    }
}

fn ancm(started: Option<(u32, u16, u64)>, outcome: AncmOutcome) -> AncmRequest {
    AncmRequest {
        app_config_path: "/LM/W3SVC/2/ROOT/orders".into(),
        started,
        outcome,
    }
}

fn build() -> Farm {
    let mut f = Farm {
        samples: Vec::new(),
        seq: 0,
    };
    let ok = Status::new(200, 0);
    let nf = Status::new(404, 0);
    let w1_orders_1 = Pool {
        server: WEB01,
        name: "Orders",
        pid: 4812,
    };
    let w1_orders_2 = Pool {
        server: WEB01,
        name: "Orders",
        pid: 9304,
    };
    let w1_orders_3 = Pool {
        server: WEB01,
        name: "Orders",
        pid: 11876,
    };
    let w1_catalog_1 = Pool {
        server: WEB01,
        name: "Catalog",
        pid: 5220,
    };
    let w1_catalog_2 = Pool {
        server: WEB01,
        name: "Catalog",
        pid: 10448,
    };
    let w2_orders_1 = Pool {
        server: WEB02,
        name: "Orders",
        pid: 3904,
    };
    let w2_orders_2 = Pool {
        server: WEB02,
        name: "Orders",
        pid: 8716,
    };
    let w2_catalog = Pool {
        server: WEB02,
        name: "Catalog",
        pid: 6128,
    };

    // --- relayed and static 404s ------------------------------------------------------------
    for (pool, t, path, arr_t) in [
        (
            w1_catalog_1,
            day(7, 42, 10, 233),
            "/catalog/images/banner-spring.png",
            day(7, 42, 10, 219),
        ),
        (
            w2_catalog,
            day(7, 58, 31, 604),
            "/catalog/content/fonts/brand.woff2",
            day(7, 58, 31, 590),
        ),
        (
            w2_catalog,
            day(18, 5, 47, 77),
            "/catalog/images/promo/easter.jpg",
            day(18, 5, 47, 61),
        ),
    ] {
        let log_id = guid(f.next() + 1000);
        let req = f.via_arr(pool, t, path, "", &log_id);
        let backend = f.add(
            recipes::static_not_found(&req),
            2,
            format!("404 for a missing static file `{path}` (IIS Web Core, MAP_REQUEST_HANDLER, 0x80070002), forwarded by ARR01"),
            "-",
            "status below 500",
        );
        let front = f.arr(
            arr_t,
            path,
            "",
            (pool.server, &log_id),
            ArrOutcome::Response {
                status: nf,
                backend_ms: 31,
            },
            0,
        );
        f.add_front(
            front,
            backend,
            format!(
                "ARR relays the backend's 404 for `{path}` (ErrorCode 0 after ARR_RESPONSE_HEADERS)"
            ),
            "-",
            "status below 500",
        );
    }
    for (t, path, agent) in [
        (
            day(8, 33, 15, 500),
            "/robots.txt",
            "Mozilla/5.0 (compatible; ExampleBot/1.1)",
        ),
        (
            day(18, 12, 40, 12),
            "/wp-login.php",
            "python-requests/2.31.0",
        ),
    ] {
        let req = f.front(t, path, "", agent);
        f.add(
            recipes::static_not_found(&req),
            1,
            format!("404 on the front end itself: `{path}` matches no rewrite rule"),
            "-",
            "status below 500",
        );
    }
    // Probes and timeline traces: one or more per worker process.
    for (pool, t, path) in [
        (w1_orders_1, day(8, 5, 12, 0), "/orders/health/live"),
        (w2_orders_1, day(8, 20, 44, 310), "/orders/health/live"),
        (w1_catalog_1, day(10, 22, 3, 870), "/catalog/health.aspx"),
        (w1_orders_1, day(11, 48, 30, 402), "/orders/health/live"),
        (w2_catalog, day(12, 30, 19, 55), "/catalog/health.aspx"),
        (w1_catalog_2, day(13, 58, 2, 640), "/catalog/health.aspx"),
        (w2_orders_1, day(14, 50, 10, 129), "/orders/health/live"),
        (w1_orders_2, day(17, 28, 40, 980), "/orders/health/live"),
        (w1_orders_3, day(19, 31, 10, 301), "/orders/health/live"),
    ] {
        let req = f.direct(pool, t, path, MONITOR, "10.0.5.20");
        f.add(
            recipes::static_not_found(&req),
            2,
            format!(
                "404 from the monitoring probe on an old health URL ({} pool, PID {})",
                pool.name, pool.pid
            ),
            "-",
            "status below 500; marks the process timeline",
        );
    }

    // --- slow successes: the process timeline ------------------------------------------------
    for (pool, t, path, query, ms, body) in [
        (
            w1_orders_1,
            day(8, 47, 3, 211),
            "/orders/api/reports/daily",
            "region=emea",
            14_180,
            60_000,
        ),
        (
            w2_catalog,
            day(9, 12, 40, 7),
            "/catalog/search",
            "q=garden+chair&page=3",
            11_790,
            50_000,
        ),
        (
            w2_orders_1,
            day(9, 52, 19, 900),
            "/orders/api/reports/daily",
            "region=amer",
            12_610,
            45_000,
        ),
        (
            w1_orders_2,
            day(13, 25, 40, 18),
            "/orders/api/reports/weekly",
            "",
            13_140,
            70_000,
        ),
        (
            w2_orders_2,
            day(16, 7, 44, 300),
            "/orders/api/reports/daily",
            "region=apac",
            15_020,
            40_000,
        ),
    ] {
        let log_id = guid(f.next() + 1000);
        let mut req = f.via_arr(pool, t, path, query, &log_id);
        req.response_body = body;
        let spec = if pool.name == "Orders" {
            recipes::ancm_request(
                &req,
                &ancm(
                    None,
                    AncmOutcome::Response {
                        status: ok,
                        backend_ms: ms,
                        flush_error: 0,
                    },
                ),
            )
        } else {
            recipes::aspnet_request(&req, &aspnet(ok, ms, None, None, 0))
        };
        f.add(
            spec,
            2,
            format!("200 in {:.1} s (`{path}`): slow but answered within ARR's 30 s; traced for TIME_TAKEN", ms as f64 / 1000.0),
            "-",
            "status below 500; marks the process timeline",
        );
    }
    // A 23 s request both servers traced: front end rule is 20 s, backend 10 s.
    {
        let log_id = guid(f.next() + 1000);
        let path = "/catalog/export/pricelist";
        let mut req = f.via_arr(w2_catalog, day(16, 40, 3, 512), path, "format=csv", &log_id);
        req.response_body = 70_000;
        let b = f.add(
            recipes::aspnet_request(&req, &aspnet(ok, 23_310, None, None, 0)),
            2,
            "200 in 23.3 s: price list export",
            "-",
            "status below 500",
        );
        let front = f.arr(
            day(16, 40, 3, 498),
            path,
            "format=csv",
            (WEB02, &log_id),
            ArrOutcome::Response {
                status: ok,
                backend_ms: 23_340,
            },
            75_000,
        );
        f.add_front(
            front,
            b,
            "ARR 200 in 23.4 s for the same export (TIME_TAKEN rule of 20 s)",
            "-",
            "status below 500",
        );
    }

    // --- configuration ----------------------------------------------------------------------
    for t in [day(9, 31, 5, 640), day(9, 31, 48, 102)] {
        let path = if t.timestamp() % 2 == 0 {
            "/catalog/"
        } else {
            "/catalog/product/1187"
        };
        let log_id = guid(f.next() + 1000);
        let req = f.via_arr(w1_catalog_1, t, path, "", &log_id);
        f.add(
            recipes::config_error(
                &req,
                "D:\\sites\\shop\\catalog\\web.config",
                42,
                "Cannot add duplicate collection entry of type 'mimeMap' with unique key attribute 'fileExtension' set to '.woff2'",
            ),
            2,
            "500.19 after a bad web.config deploy: RequestFilteringModule at BEGIN_REQUEST, 0x800700B7, duplicate mimeMap entry (shape-B root)",
            "config",
            "R20: 500.19 with ConfigExceptionInfo; IIS rejected the request before the application ran",
        );
    }

    // --- front end cannot reach WEB02 (network blip) -----------------------------------------
    for (t, path, after) in [
        (day(10, 14, 37, 250), "/catalog/product/2291", 21_047),
        (day(10, 15, 2, 813), "/orders/api/cart", 2_016),
    ] {
        let log_id = guid(f.next() + 1000);
        let spec = f.arr(
            t,
            path,
            "",
            (WEB02, &log_id),
            ArrOutcome::CannotConnect { after_ms: after },
            0,
        );
        f.add(
            spec,
            1,
            format!("ARR 502.3 0x80072EFD (cannot connect) to WEB02 after {:.1} s during a network blip; no backend trace exists", after as f64 / 1000.0),
            "proxy",
            "R9: ARR 502.3 with ERROR_WINHTTP_CANNOT_CONNECT; the request never reached a backend",
        );
    }

    // --- worker failures in old, long-running processes --------------------------------------
    {
        let mut req = f.direct(
            w1_orders_1,
            day(10, 41, 27, 95),
            "/orders/api/sync/batch",
            "OrdersSync/4.2 (.NET 8)",
            "10.0.4.31",
        );
        req.verb = "POST".into();
        req.request_body = 48_000;
        f.add(
            recipes::ancm_request(&req, &ancm(None, AncmOutcome::ForwardFail { error: 0x8007_2EFE, after_ms: 3_410 })),
            2,
            "ANCM 502.3 0x80072EFE (connection aborted): the dotnet process died mid-request; w3wp PID 4812 had been up since morning. Direct call from an internal batch job",
            "worker",
            "R6: ANCM 502.3 with ERROR_WINHTTP_CONNECTION_ERROR",
        );
    }
    for (t, path, kind, message) in [
        (
            day(11, 3, 55, 431),
            "/catalog/product/2291",
            "System.NullReferenceException",
            "Object reference not set to an instance of an object.",
        ),
        (
            day(16, 20, 9, 742),
            "/catalog/cart/checkout",
            "System.Data.SqlClient.SqlException",
            "Transaction (Process ID 73) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.",
        ),
    ] {
        let log_id = guid(f.next() + 1000);
        let req = f.via_arr(w2_catalog, t, path, "", &log_id);
        f.add(
            recipes::aspnet_request(&req, &aspnet(Status::new(500, 0), 640, Some((kind, message)), None, 0)),
            2,
            format!("ASP.NET 500 by ManagedPipelineHandler, ErrorCode 0: unhandled {kind} (PID 6128, up all day)"),
            "worker",
            "R20a: handler module set 500 with ErrorCode 0; the application failed",
        );
    }
    // Slow request in the old Catalog process: ARR gives up at 30 s.
    {
        let log_id = guid(f.next() + 1000);
        let path = "/catalog/export/orders";
        let mut req = f.via_arr(
            w2_catalog,
            day(14, 27, 31, 288),
            path,
            "from=2025-01-01",
            &log_id,
        );
        req.response_body = 60_000;
        let b = f.add(
            recipes::aspnet_request(&req, &aspnet(ok, 52_300, None, None, WSAECONN_GONE)),
            2,
            "200 after 52.3 s in the old Catalog process; the flush fails with 0x800704CD because ARR had already given up",
            "-",
            "status below 500 (explains the linked ARR 502.3)",
        );
        let front = f.arr(
            day(14, 27, 31, 270),
            path,
            "from=2025-01-01",
            (WEB02, &log_id),
            ArrOutcome::Timeout { after_ms: 30_000 },
            0,
        );
        f.add_front(
            front,
            b,
            "ARR 502.3 0x80072EE2 (timeout, 30 s) while WEB02 Catalog took 52 s in a long-running process",
            "worker",
            "R8: linked backend trace (same X-ARR-LOG-ID) is slow and not first-for-PID: slow backend",
        );
    }

    // --- cold starts after idle ---------------------------------------------------------------
    // WEB01 drained 11:50-13:05; both pools idle out; the first requests after 13:10 start them.
    {
        let log_id = guid(f.next() + 1000);
        let path = "/orders/api/cart";
        let mut req = f.via_arr(w1_orders_2, day(13, 10, 2, 405), path, "", &log_id);
        req.response_body = 24_000;
        let b = f.add(
            recipes::ancm_request(
                &req,
                &ancm(Some((15_032, 31_764, 36_800)), AncmOutcome::Response { status: ok, backend_ms: 1_560, flush_error: WSAECONN_GONE }),
            ),
            2,
            "Cold start: first request in the new Orders process (PID 9304, previous 4812 last seen 11:48). ANCM_START_APPLICATION_SUCCESS after 36.8 s, 200 after 38.4 s, flush fails (ARR gone)",
            "-",
            "status below 500 (explains the linked ARR 502.3)",
        );
        let front = f.arr(
            day(13, 10, 2, 390),
            path,
            "",
            (WEB01, &log_id),
            ArrOutcome::Timeout { after_ms: 30_000 },
            0,
        );
        f.add_front(
            front,
            b,
            "ARR 502.3 0x80072EE2 (timeout, 30 s) while WEB01 Orders was starting",
            "startup",
            "R8: the linked backend trace is the first of a new process for its pool (cold start)",
        );
    }
    {
        let log_id = guid(f.next() + 1000);
        let path = "/catalog/";
        let req = f.via_arr(w1_catalog_2, day(13, 10, 9, 731), path, "", &log_id);
        let b = f.add(
            recipes::aspnet_request(
                &req,
                &aspnet(
                    Status::new(500, 0),
                    42_700,
                    Some((
                        "System.Data.SqlClient.SqlException",
                        "Connection Timeout Expired. The timeout period elapsed while attempting to consume the pre-login handshake acknowledgement.",
                    )),
                    Some("/LM/W3SVC/2/ROOT/catalog-1-133862850097311234"),
                    WSAECONN_GONE,
                ),
            ),
            2,
            "Cold start: first request in the new Catalog process (PID 10448, previous 5220). App domain start and compilation, then a 500 after 42.7 s",
            "startup",
            "R19: 5xx, first trace of a new process for the pool, timeTaken >= 10 s",
        );
        let front = f.arr(
            day(13, 10, 9, 716),
            path,
            "",
            (WEB01, &log_id),
            ArrOutcome::Timeout { after_ms: 30_000 },
            0,
        );
        f.add_front(
            front,
            b,
            "ARR 502.3 0x80072EE2 (timeout, 30 s) while WEB01 Catalog was starting",
            "startup",
            "R8: the linked backend trace is first-for-PID",
        );
    }
    // WEB02 Orders idles out after 14:50 and is cold at 15:42.
    {
        let log_id = guid(f.next() + 1000);
        let path = "/orders/api/orders";
        let mut req = f.via_arr(
            w2_orders_2,
            day(15, 42, 18, 77),
            path,
            "status=open",
            &log_id,
        );
        req.response_body = 0;
        let b = f.add(
            recipes::ancm_request(&req, &ancm(None, AncmOutcome::ForwardFail { error: 0x8007_2EFD, after_ms: 36_900 })),
            2,
            "Cold start: first request in the new Orders process on WEB02 (PID 8716, previous 3904 last seen 14:50). ANCM 502.3 0x80072EFD after 36.9 s: the app was not listening yet",
            "startup",
            "R5: ANCM 502.3 cannot connect, first trace of a new process",
        );
        let front = f.arr(
            day(15, 42, 18, 61),
            path,
            "status=open",
            (WEB02, &log_id),
            ArrOutcome::Timeout { after_ms: 30_000 },
            0,
        );
        f.add_front(
            front,
            b,
            "ARR 502.3 0x80072EE2 (timeout, 30 s) while WEB02 Orders was starting",
            "startup",
            "R8: the linked backend trace is first-for-PID",
        );
    }
    // WEB01 Orders idles out again after 17:28; the 19:05 request starts PID 11876.
    {
        let log_id = guid(f.next() + 1000);
        let path = "/orders/api/cart";
        let req = f.via_arr(w1_orders_3, day(19, 5, 33, 514), path, "", &log_id);
        let b = f.add(
            recipes::ancm_request(
                &req,
                &ancm(
                    Some((17_288, 28_119, 33_100)),
                    AncmOutcome::Response { status: Status::new(500, 0), backend_ms: 11_480, flush_error: WSAECONN_GONE },
                ),
            ),
            2,
            "Cold start: first request in Orders PID 11876 (previous 9304 last seen 17:28). Started after 33.1 s, then Kestrel answered 500 after 44.6 s in all",
            "startup",
            "R19: 5xx, first trace of a new process for the pool, timeTaken >= 10 s",
        );
        let front = f.arr(
            day(19, 5, 33, 498),
            path,
            "",
            (WEB01, &log_id),
            ArrOutcome::Timeout { after_ms: 30_000 },
            0,
        );
        f.add_front(
            front,
            b,
            "ARR 502.3 0x80072EE2 (timeout, 30 s) while WEB01 Orders was starting again",
            "startup",
            "R8: the linked backend trace is first-for-PID",
        );
    }

    // --- a hang in a warm process: ANCM requestTimeout ------------------------------------------
    {
        let log_id = guid(f.next() + 1000);
        let path = "/orders/api/invoices/88412/pdf";
        let req = f.via_arr(w2_orders_2, day(16, 55, 30, 620), path, "", &log_id);
        let b = f.add(
            recipes::ancm_request(&req, &ancm(None, AncmOutcome::ForwardFail { error: 0x8007_2EE2, after_ms: 120_000 })),
            2,
            "ANCM 502.3 0x80072EE2 after 120 s (requestTimeout): the invoice renderer hung in a process that had been serving for an hour",
            "worker",
            "R4: ANCM timeout ~ requestTimeout, not first-for-PID, no ANCM_START_APPLICATION_SUCCESS",
        );
        let front = f.arr(
            day(16, 55, 30, 604),
            path,
            "",
            (WEB02, &log_id),
            ArrOutcome::Timeout { after_ms: 30_000 },
            0,
        );
        f.add_front(
            front,
            b,
            "ARR 502.3 0x80072EE2 (timeout, 30 s) for the hung invoice request",
            "worker",
            "R8: linked backend trace is slow and not first-for-PID",
        );
    }
    // --- ARR timeout with no backend trace ------------------------------------------------------
    {
        let log_id = guid(f.next() + 1000);
        let spec = f.arr(
            day(17, 5, 12, 333),
            "/orders/api/returns",
            "",
            (WEB01, &log_id),
            ArrOutcome::Timeout { after_ms: 30_000 },
            0,
        );
        f.add(
            spec,
            1,
            "ARR 502.3 0x80072EE2 (timeout, 30 s) to WEB01 Orders; no backend trace carries its X-ARR-LOG-ID",
            "proxy",
            "R8 without a linked backend trace: ARR's timeout was shorter than the backend's execution",
        );
    }
    f
}

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("samples"), PathBuf::from);
    let farm = build();
    for server in ["ARR01", "WEB01", "WEB02"] {
        let dir = out.join(server);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
    }
    // Number files per directory in time order, as IIS's counter does.
    let mut order: Vec<usize> = (0..farm.samples.len()).collect();
    order.sort_by_key(|&i| {
        (
            farm.samples[i].server,
            farm.samples[i].site,
            farm.samples[i].spec.start,
        )
    });
    let mut counters: BTreeMap<(&str, u32), u32> = BTreeMap::new();
    let mut paths = vec![PathBuf::new(); farm.samples.len()];
    let mut total = 0usize;
    for &i in &order {
        let s = &farm.samples[i];
        let n = counters.entry((s.server, s.site)).or_insert(0);
        *n += 1;
        let rel = Path::new(s.server)
            .join("FailedReqLogFiles")
            .join(format!("W3SVC{}", s.site))
            .join(file_name(*n));
        let full = out.join(&rel);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        let xml = render(&s.spec);
        total += xml.len();
        fs::write(&full, xml)?;
        paths[i] = rel;
    }
    let configs = frebscope_synth::iis_config::demo_farm();
    for file in &configs {
        let full = out.join(&file.path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&full, &file.text)?;
    }
    write_events(&out)?;
    let mut text = readme(&farm, &paths, total);
    text.push_str(EVENTS_README);
    fs::write(out.join("README.md"), text)?;
    eprintln!(
        "wrote {} traces, {} bytes, to {}",
        farm.samples.len(),
        total,
        out.display()
    );
    Ok(())
}

/// First and last trace of a process.
type Span = (DateTime<Utc>, DateTime<Utc>);

fn readme(farm: &Farm, paths: &[PathBuf], total: usize) -> String {
    let mut by_time: Vec<usize> = (0..farm.samples.len()).collect();
    by_time.sort_by_key(|&i| (farm.samples[i].spec.start, farm.samples[i].server));
    let mut s = String::new();
    s.push_str("# Demo farm: one day of FREB traces\n\n");
    s.push_str(
        "Generated by `cargo run -p frebscope-synth --bin gen_samples` (deterministic; do not edit by hand).\n",
    );
    s.push_str(
        "Every byte is produced by `frebscope::synth`; the layout follows what IIS writes.\n\n",
    );
    s.push_str("## The farm\n\n");
    s.push_str("* `ARR01` - ARR front end, site 1, pool `ArrFront` (PID 2284 all day). URL Rewrite sends\n");
    s.push_str("  `/orders/*` to `orders-farm` and `/catalog/*` to `catalog-farm`, both made of WEB01 and WEB02.\n");
    s.push_str(
        "  Farm timeout (protocol@timeout) 30 s, the IIS default. Tracing rule: status 404, 502-504, or time taken >= 20 s.\n",
    );
    s.push_str(
        "* `WEB01`, `WEB02` - backends, site 2, pools `Orders` (ASP.NET Core out of process,\n",
    );
    s.push_str("  AspNetCoreModuleV2, requestTimeout 2 min) and `Catalog` (ASP.NET 4.8,\n");
    s.push_str("  ManagedPipelineHandler). Pool idle timeout 20 min. Tracing rule: status 400-599, or time\n");
    s.push_str("  taken >= 10 s.\n\n");
    s.push_str("Each server's configuration sits where an admin share would show it:\n");
    s.push_str(
        "`<SERVER>/c$/Windows/System32/inetsrv/config/applicationHost.config`, and the Orders\n",
    );
    s.push_str(
        "application's web.config at `WEB0x/d$/sites/shop/orders/web.config` (its physicalPath\n",
    );
    s.push_str("`D:\\sites\\shop\\orders`). They tell the same story as the traces: the backend pools are\n");
    s.push_str("OnDemand with the default 20 min idle timeout and nothing preloaded, Orders runs ASP.NET\n");
    s.push_str(
        "Core out of process with requestTimeout 2 min (set in its web.config), and ARR01 routes\n",
    );
    s.push_str("`/orders` to `orders-farm` (protocol timeout 30 s, written) and `/catalog` to\n");
    s.push_str("`catalog-farm` (30 s, the farm's schema default). `frebscope config samples/` audits them;\n");
    s.push_str("`frebscope scan samples/` reads them too and states its hints in their terms.\n\n");
    s.push_str(
        "Worker processes (w3wp PIDs) per pool, with the gaps that made IIS shut them down:\n\n",
    );
    s.push_str("| server | pool | PID | traces from | note |\n|---|---|---|---|---|\n");
    let mut pids: BTreeMap<(&str, &str, u32), Span> = BTreeMap::new();
    for smp in &farm.samples {
        let e = pids
            .entry((smp.server, smp.spec.app_pool.as_str(), smp.spec.process_id))
            .or_insert((smp.spec.start, smp.spec.start));
        e.0 = e.0.min(smp.spec.start);
        e.1 = e.1.max(smp.spec.start);
    }
    let mut seen_pool: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    let mut rows: Vec<_> = pids.into_iter().collect();
    rows.sort_by_key(|((server, pool, _), (first, _))| (*server, *pool, *first));
    for ((server, pool, pid), (first, last)) in rows {
        let count = seen_pool.entry((server, pool)).or_insert(0);
        *count += 1;
        let note = if *count == 1 {
            "first process seen"
        } else {
            "new process after an idle gap: cold start"
        };
        let _ = writeln!(
            s,
            "| {server} | {pool} | {pid} | {} - {} | {note} |",
            first.format("%H:%M"),
            last.format("%H:%M")
        );
    }
    s.push_str("\n## Expected verdicts\n\n");
    s.push_str(
        "`verdict` is what the diagnosis should say under frebscope's verdict rules (R1–R21)\n",
    );
    s.push_str(
        "(`-` = status below 500, no verdict). Traces linked by `X-ARR-LOG-ID` name each other.\n",
    );
    s.push_str(
        "ARR front-end traces carry it in `GENERAL_SET_REQUEST_HEADER`, backend traces in the\n",
    );
    s.push_str("`GENERAL_REQUEST_HEADERS` block.\n\n");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for smp in &farm.samples {
        *counts.entry(smp.verdict).or_insert(0) += 1;
    }
    s.push_str("| time (UTC) | file | status | ms | what happened | verdict | why | linked trace |\n|---|---|---|---|---|---|---|---|\n");
    for i in by_time {
        let smp = &farm.samples[i];
        let link = farm.samples.iter().enumerate().find_map(|(j, o)| {
            if smp.link.is_some() {
                smp.link.map(|l| paths[l].display().to_string())
            } else if o.link == Some(i) {
                Some(paths[j].display().to_string())
            } else {
                None
            }
        });
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} | {} | **{}** | {} | {} |",
            smp.spec.start.format("%H:%M:%S"),
            paths[i].display(),
            smp.spec.status,
            smp.spec.time_taken_ms,
            smp.what,
            smp.verdict,
            smp.why,
            link.map_or_else(|| "".to_owned(), |l| format!("`{l}`")),
        );
    }
    s.push_str("\n## Totals\n\n");
    let _ = writeln!(s, "{} traces, {} bytes.", farm.samples.len(), total);
    for (verdict, n) in counts {
        let _ = writeln!(s, "* `{verdict}`: {n}");
    }
    s.push_str("\nAll dates are 2025-03-11. No `freb.xsl` is included; open the files with frebscope or any\nXML viewer.\n");
    s
}

/// The servers' event logs over the same day, as their admins exported them: WEB01's System
/// and Application logs with `wevtutil qe ... /f:xml`, WEB02's with `Get-WinEvent | Export-Csv`
/// from Windows PowerShell 5.1 on a machine an hour ahead of UTC (CET).
fn write_events(out: &Path) -> std::io::Result<()> {
    use frebscope_synth::event_export::{
        self as ex, ancm_process_exit, ancm_process_start, application_crash, was_idle_shutdown,
        was_scheduled_recycle,
    };
    let web01 = "WEB01.shop.local";
    let web02 = "WEB02.shop.local";
    let orders_root = "C:\\inetpub\\shop\\orders\\";
    let dotnet = "C:\\Program Files\\dotnet\\dotnet.exe";
    let mut web01_system = vec![
        // Idle timeout 20 min after each process's last request.
        was_idle_shutdown(day(10, 42, 3, 410), web01, 5220, "Catalog", 20),
        was_idle_shutdown(day(12, 8, 30, 655), web01, 4812, "Orders", 20),
        was_idle_shutdown(day(14, 18, 2, 120), web01, 10448, "Catalog", 20),
        was_idle_shutdown(day(17, 48, 40, 905), web01, 9304, "Orders", 20),
        was_idle_shutdown(day(19, 51, 10, 330), web01, 11876, "Orders", 20),
        // A pool no trace comes from: its recycle concerns nothing.
        was_scheduled_recycle(day(3, 0, 0, 12), web01, 2920, "Reports"),
    ];
    let mut web01_application = vec![
        // The morning start of Orders, hours before any failure.
        ancm_process_start(day(8, 4, 58, 201), web01, 2, 3176, 21744, 4812),
        // The dotnet process of Orders crashes mid-request at 10:41:27 and ANCM starts another.
        application_crash(
            day(10, 41, 30, 512),
            web01,
            "dotnet.exe",
            dotnet,
            3176,
            0xe043_4352,
        ),
        ancm_process_exit(
            day(10, 41, 30, 790),
            web01,
            2,
            orders_root,
            3176,
            21744,
            4812,
        ),
        ancm_process_start(day(10, 41, 33, 64), web01, 2, 6004, 25318, 4812),
        // The cold starts of 13:10 and 19:05.
        ancm_process_start(day(13, 10, 38, 845), web01, 2, 7720, 15507, 9304),
        ancm_process_start(day(19, 6, 6, 118), web01, 2, 12440, 30112, 11876),
    ];
    let mut web02 = vec![
        was_idle_shutdown(day(15, 10, 10, 577), web02, 3904, "Orders", 20),
        // Written when the start completed, after the request that waited for it had failed.
        ancm_process_start(day(15, 42, 58, 402), web02, 2, 9040, 18223, 8716),
        ancm_process_start(day(8, 19, 40, 16), web02, 2, 2616, 17002, 3904),
        // After the day's last failure of the pool: concerns none of them.
        was_idle_shutdown(day(17, 17, 30, 240), web02, 8716, "Orders", 20),
    ];
    ex::number(&mut web01_system, 48_211);
    ex::number(&mut web01_application, 130_977);
    let mut web02_system: Vec<_> = web02
        .iter()
        .filter(|e| e.channel == "System")
        .cloned()
        .collect();
    let mut web02_application: Vec<_> = web02
        .iter()
        .filter(|e| e.channel == "Application")
        .cloned()
        .collect();
    ex::number(&mut web02_system, 51_004);
    ex::number(&mut web02_application, 88_410);
    web02 = web02_system.into_iter().chain(web02_application).collect();
    // Get-WinEvent lists newest first.
    web02.sort_by_key(|e| std::cmp::Reverse(e.time));
    let dir = out.join("events");
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    fs::write(
        dir.join("WEB01-System.xml"),
        ex::wevtutil_xml(&web01_system),
    )?;
    fs::write(
        dir.join("WEB01-Application.xml"),
        ex::wevtutil_xml(&web01_application),
    )?;
    let cet = chrono::FixedOffset::east_opt(3600).expect("a valid offset");
    fs::write(
        dir.join("WEB02-events.csv"),
        ex::powershell_csv(&web02, cet),
    )?;
    Ok(())
}

const EVENTS_README: &str = r#"
## Event logs

`events/` holds the backends' event logs for the same day, as their admins exported them:

* `WEB01-System.xml`, `WEB01-Application.xml`: `wevtutil qe System /f:xml` and
  `wevtutil qe Application /f:xml` (one event per line, no root element);
* `WEB02-events.csv`: `Get-WinEvent -LogName System,Application | Export-Csv` from Windows
  PowerShell 5.1 on a machine set to CET, so its local times need `--events-utc-offset +01:00`.

What they say:

| time (UTC) | server | event | what it proves |
|---|---|---|---|
| 03:00:00 | WEB01 | WAS 5076, pool Reports | a scheduled recycle of a pool no trace comes from: changes nothing |
| 08:04:58 | WEB01 | ANCM 1001, w3wp 4812 | the morning start of Orders, hours before any failure: changes nothing |
| 08:19:40 | WEB02 | ANCM 1001, w3wp 3904 | the morning start of Orders on WEB02: changes nothing |
| 10:41:30 | WEB01 | Application Error 1000 dotnet.exe, ANCM 1030 | the crash behind the 10:41:27 ANCM 502.3 (0x80072EFE) |
| 10:41:33 | WEB01 | ANCM 1001 | ANCM started a new dotnet process in the same w3wp |
| 10:42:03 | WEB01 | WAS 5186, Catalog 5220 | idle shutdown: the Catalog process of 13:10 is new |
| 12:08:30 | WEB01 | WAS 5186, Orders 4812 | idle shutdown: the Orders process of 13:10 is new |
| 13:10:38 | WEB01 | ANCM 1001, w3wp 9304 | the cold start of 13:10 completed |
| 14:18:02 | WEB01 | WAS 5186, Catalog 10448 | idle shutdown after the day's Catalog use |
| 15:10:10 | WEB02 | WAS 5186, Orders 3904 | idle shutdown: the Orders process of 15:42 is new |
| 15:42:58 | WEB02 | ANCM 1001 | written 3 s after the 15:42:18 502.3 (0x80072EFD) that waited for it |
| 17:17:30 | WEB02 | WAS 5186, Orders 8716 | after the pool's last failure: changes nothing |
| 17:48:40 | WEB01 | WAS 5186, Orders 9304 | idle shutdown: the Orders process of 19:05 is new |
| 19:06:06 | WEB01 | ANCM 1001, w3wp 11876 | the cold start of 19:05 completed |
| 19:51:10 | WEB01 | WAS 5186, Orders 11876 | after the pool's last failure: changes nothing |

`frebscope scan samples/ --events samples/events --events-utc-offset +01:00` gives the same
verdicts as without the events; the startup and crash verdicts then name the event that proves
them and are `high` instead of `medium`.
"#;
