//! The `config` command on configuration files in real shapes (an ARR server with farms, a
//! plain backend with a web.config, IIS Express, shared configuration, an Azure transform, a
//! broken file), and `scan --config`.

mod common;

use std::fs;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{crate_dir, utf16};
use serde_json::Value;

fn cases() -> &'static str {
    "tests/cases/config"
}

/// Runs frebscope in the crate folder; returns (exit code, stdout, stderr).
fn frebscope(args: &[&str]) -> (i32, String, String) {
    let out = cargo_bin_cmd!("frebscope")
        .current_dir(crate_dir())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn audit_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["config", "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = frebscope(&all);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}")),
    )
}

fn ids(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_farm_as_a_table() {
    let (code, out, err) = frebscope(&["config", &format!("{}/farm", cases())]);
    assert_eq!(code, 0, "{err}");
    // Windows joins the walked paths with `\`: one form for the snapshot on every platform.
    insta::assert_snapshot!("config_farm_table", out.replace('\\', "/"));
}

fn keys_of(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(keys: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    keys.sort();
    keys
}

#[test]
fn json_has_the_documented_shape() {
    let (code, json) = audit_json(&[&format!("{}/farm", cases())]);
    assert_eq!(code, 0);
    assert_eq!(keys_of(&json), sorted(&["files", "findings"]));
    for file in json["files"].as_array().unwrap() {
        assert_eq!(
            keys_of(file),
            sorted(&["path", "server", "kind", "error"]),
            "{file}"
        );
    }
    let kinds: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"applicationHost")
            && kinds.contains(&"webConfig")
            && kinds.contains(&"redirection"),
        "{kinds:?}"
    );
    let findings = json["findings"].as_array().unwrap();
    for f in findings {
        assert_eq!(
            keys_of(f),
            sorted(&[
                "id", "severity", "server", "pool", "site", "app", "setting", "value", "source",
                "why", "fix"
            ]),
            "{f}"
        );
        for fix in f["fix"].as_array().unwrap() {
            assert!(
                ["cmd", "powershell"].contains(&fix["shell"].as_str().unwrap()),
                "{fix}"
            );
        }
    }
    // Ranked: no finding after one of lower severity.
    let rank = |s: &str| {
        ["high", "medium", "low", "info"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let severities: Vec<usize> = findings
        .iter()
        .map(|f| rank(f["severity"].as_str().unwrap()))
        .collect();
    assert!(
        severities.windows(2).all(|w| w[0] <= w[1]),
        "{severities:?}"
    );
    // The backend's web.config (reached as WEB01/d$/apps/api) sets the requestTimeout the
    // farm is compared with.
    let short = findings
        .iter()
        .find(|f| f["id"] == "arr-timeout-short")
        .unwrap();
    assert_eq!(short["server"], "ARR01");
    assert!(
        short["value"].as_str().unwrap().contains("00:05:00"),
        "{short}"
    );
    assert!(
        // Windows joins the paths it finds with `\`.
        short["source"]
            .as_str()
            .unwrap()
            .replace('\\', "/")
            .contains("d$/apps/api/web.config:8"),
        "{short}"
    );
    // applicationPoolDefaults' schedule silences periodic-recycle-drifts on WEB01; its idle
    // timeout is named as coming from there.
    let cold = findings
        .iter()
        .find(|f| f["id"] == "pool-cold-start" && f["server"] == "WEB01")
        .unwrap();
    assert!(
        cold["source"]
            .as_str()
            .unwrap()
            .contains("applicationPoolDefaults ("),
        "{cold}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f["id"] == "periodic-recycle-drifts" && f["server"] == "WEB01")
    );
    // The front end's web.config (physicalPath %SystemDrive%\inetpub\front, reached as
    // ARR01/c$/inetpub/front) adds a tracing rule for 502-504 to the ones of its <location>.
    assert!(
        !findings
            .iter()
            .any(|f| f["id"] == "freb-rule-misses-502" && f["server"] == "ARR01")
    );
    let areas = findings
        .iter()
        .find(|f| f["id"] == "freb-arr-areas-missing")
        .unwrap();
    assert_eq!(areas["site"], "Front");
    // The unused pool gets nothing.
    assert!(!findings.iter().any(|f| f["pool"] == "Unused"));
}

#[test]
fn every_contract_id_is_documented() {
    let docs = fs::read_to_string(crate_dir().join("docs/config-findings.md")).unwrap();
    let source = fs::read_to_string(crate_dir().join("src/iis/findings.rs")).unwrap()
        + &fs::read_to_string(crate_dir().join("src/iis/mod.rs")).unwrap();
    for id in [
        "pool-cold-start",
        "preload-without-always-running",
        "always-running-without-preload",
        "appinit-module-missing",
        "periodic-recycle-drifts",
        "recycle-storm",
        "overlapped-recycle-disabled",
        "arr-timeout-short",
        "arr-pool-idle",
        "freb-rule-misses-502",
        "freb-logging-disabled",
        "freb-arr-areas-missing",
        "freb-retention-default",
        "encrypted-value",
        "shared-config",
        "pool-missing",
        "config-override-locked",
        "freb-module-missing",
        "preload-on-arr",
    ] {
        assert!(docs.contains(&format!("`{id}`")), "{id} is not documented");
        assert!(
            source.contains(&format!("\"{id}\"")),
            "{id} is never reported"
        );
    }
}

#[test]
fn csv_cells_cannot_become_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("findings.csv");
    let (code, _, err) = frebscope(&[
        "config",
        &format!("{}/farm", cases()),
        "--csv",
        csv_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "severity",
            "server",
            "pool",
            "site",
            "app",
            "setting",
            "value",
            "source",
            "why",
            "fix_cmd",
            "fix_powershell"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty());
    let sites: Vec<&str> = rows.iter().map(|r| &r[4]).collect();
    assert!(sites.contains(&"'=HYPERLINK(\"http://x\")"), "{sites:?}");
    assert!(rows.iter().all(|r| !r.iter().any(|c| c.starts_with('='))));
}

#[test]
fn hostile_pool_names_get_safe_fix_lines() {
    let (_, json) = audit_json(&[&format!("{}/farm", cases())]);
    let hostile: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["pool"].as_str().is_some_and(|p| p.contains("$(calc)")))
        .collect();
    assert!(!hostile.is_empty());
    for f in hostile {
        for fix in f["fix"].as_array().unwrap() {
            let line = fix["command"].as_str().unwrap();
            match fix["shell"].as_str().unwrap() {
                // `"` and `%` cannot be quoted for cmd: the line says so instead.
                "cmd" => assert!(
                    line.starts_with("rem not printed") && !line.contains("calc"),
                    "{line}"
                ),
                _ => {
                    assert!(
                        line.contains("'IIS:\\AppPools\\Pay \"&\" 100%$(calc)''s'"),
                        "{line}"
                    );
                    assert!(!line.contains("%windir%"), "{line}");
                }
            }
        }
    }
}

#[test]
fn a_broken_file_is_named_with_line_and_column_and_the_others_are_audited() {
    let (code, json) = audit_json(&[&format!("{}/broken", cases()), &format!("{}/farm", cases())]);
    assert_eq!(code, 2);
    let broken: Vec<&Value> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["error"].is_null())
        .collect();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0]["server"], "WEB03");
    let error = broken[0]["error"].as_str().unwrap();
    assert!(
        error.contains("applicationHost.config:7:5: malformed XML"),
        "{error}"
    );
    assert!(ids(&json).contains(&"arr-timeout-short".to_owned()));
}

#[test]
fn azure_transforms_are_refused_with_a_reason() {
    let (code, out, err) = frebscope(&["config", &format!("{}/azure", cases())]);
    assert_eq!(code, 2);
    assert!(
        err.contains("an XDT transform (Azure App Service applicationHost.xdt)"),
        "{err}"
    );
    assert!(out.contains("1 not read"), "{out}");
}

#[test]
fn doctype_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("applicationHost.config");
    fs::write(
        &path,
        "<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [<!ENTITY boom \"x\">]>\n<configuration/>\n",
    )
    .unwrap();
    let (code, _, err) = frebscope(&["config", &format!("WEB09={}", path.display())]);
    assert_eq!(code, 2);
    assert!(err.contains(":2: a <!DOCTYPE> is refused"), "{err}");
}

#[test]
fn utf16_and_utf8_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    let source = crate_dir()
        .join(cases())
        .join("farm/ARR01/c$/Windows/System32/inetsrv/config/applicationHost.config");
    let text = fs::read_to_string(&source).unwrap();
    let copy = dir.path().join("ARR01/c$/Windows/System32/inetsrv/config");
    fs::create_dir_all(&copy).unwrap();
    fs::write(
        copy.join("applicationHost.config"),
        utf16(&text.replace("UTF-8", "UTF-16"), false, true),
    )
    .unwrap();
    let (code, utf16) = audit_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{utf16}");
    let (_, utf8) = audit_json(&[&format!("ARR01={}", source.display())]);
    let strip = |j: &Value| -> Vec<(String, String, String)> {
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] != "arr-timeout-short")
            .map(|f| {
                (
                    f["id"].to_string(),
                    f["value"].to_string(),
                    f["setting"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&utf16), strip(&utf8));
}

#[test]
fn iis_express_files_have_no_server_name_and_say_so() {
    let (code, out, err) = frebscope(&["config", &format!("{}/iisexpress", cases())]);
    assert_eq!(code, 0);
    assert!(err.contains("no server name could be found"), "{err}");
    assert!(out.contains("freb-rule-misses-502"), "{out}");
    let (_, named) = audit_json(&[&format!(
        "DEVBOX={}/iisexpress/applicationhost.config",
        cases()
    )]);
    assert!(
        named["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["server"] == "DEVBOX")
    );
}

#[test]
fn shared_configuration_is_followed() {
    let (code, json) = audit_json(&[&format!("{}/shared", cases())]);
    assert_eq!(code, 0, "{json}");
    let found = ids(&json);
    assert!(found.contains(&"shared-config".to_owned()), "{found:?}");
    // The shared file is audited as WEB04's configuration, the stale local copy is not.
    let storm = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "recycle-storm")
        .unwrap();
    assert_eq!(storm["server"], "WEB04");
    assert!(!json.to_string().contains("StaleLocalPool"));
    assert!(
        !json.to_string().contains("c2hhcmVkLXNlY3JldA"),
        "the password is never printed"
    );
    // A share that cannot be reached is reported, and the run is partial.
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("WEB05/c$/Windows/System32/inetsrv/config");
    fs::create_dir_all(&conf).unwrap();
    fs::write(
        conf.join("redirection.config"),
        "<configuration><configurationRedirection enabled=\"true\" path=\"\\\\nowhere\\share\" /></configuration>",
    )
    .unwrap();
    let (code, json) = audit_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    let error = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f["error"].as_str())
        .unwrap();
    assert!(
        error.contains("shared configuration") && error.contains("could not be read"),
        "{error}"
    );
}

#[test]
fn samples_config_shows_the_farm_story() {
    let (code, json) = audit_json(&["samples"]);
    assert_eq!(code, 0);
    let f = json["findings"].as_array().unwrap();
    let has = |id: &str, server: &str, pool: &str| {
        f.iter().any(|x| {
            x["id"] == id && x["server"] == server && (pool.is_empty() || x["pool"] == pool)
        })
    };
    for server in ["WEB01", "WEB02"] {
        assert!(has("pool-cold-start", server, "Orders"), "{server}");
        assert!(has("pool-cold-start", server, "Catalog"), "{server}");
    }
    assert!(has("arr-timeout-short", "ARR01", ""));
    assert!(has("arr-pool-idle", "ARR01", "ArrFront"));
}

/// The root holds no configuration: only what --config names is read.
fn web01_traces() -> String {
    "samples/WEB01/FailedReqLogFiles".to_owned()
}

#[test]
fn scan_with_config_states_the_configuration() {
    let (code, out, err) = frebscope(&["scan", "samples", "--json", "--no-progress"]);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    // Windows joins the paths it finds with `\`.
    let titles: Vec<String> = json["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().replace('\\', "/"))
        .collect();
    assert!(
        titles.iter().any(|t| t.starts_with("pool Orders on WEB01, WEB02: OnDemand, idleTimeout 20 min, /orders not preloaded: 5 failures came from cold starts after ≥ 20 min idle")),
        "{titles:?}"
    );
    assert!(
        !titles.iter().any(|t| t.contains("during cold starts")),
        "the generic hint is replaced: {titles:?}"
    );
    assert!(
        titles.iter().any(|t| t
            .starts_with("ARR01: webFarm orders-farm protocol@timeout is 30 s (samples/ARR01/c$/")),
        "{titles:?}"
    );
    // The evidence names where the timeout came from.
    let (_, rows, _) = frebscope(&[
        "requests", "samples", "--status", "502.3", "--server", "ARR01", "--csv", "-",
    ]);
    // Windows joins the paths it finds with `\`.
    assert!(rows.replace('\\', "/").contains("[configured webFarm orders-farm protocol@timeout 30 s on ARR01: samples/ARR01/c$/Windows/System32/inetsrv/config/applicationHost.config:"), "{rows}");
    assert!(
        rows.contains(
            "[configured webFarm catalog-farm protocol@timeout 30 s on ARR01: schema default]"
        ),
        "{rows}"
    );
}

#[test]
fn configured_timeouts_replace_the_defaults() {
    // A farm timeout of 45 s: the 30 s ARR timeouts of the samples no longer match R8's
    // "about the proxy timeout", so no trace is explained by it.
    let dir = tempfile::tempdir().unwrap();
    let source =
        crate_dir().join("samples/ARR01/c$/Windows/System32/inetsrv/config/applicationHost.config");
    let text = fs::read_to_string(source).unwrap().replace(
        "<protocol timeout=\"00:00:30\" />",
        "<protocol timeout=\"00:00:45\" />",
    );
    let path = dir.path().join("applicationHost.config");
    fs::write(&path, text).unwrap();
    let arg = format!("ARR01={}", path.display());
    let (_, rows, _) = frebscope(&[
        "requests",
        "samples/ARR01/FailedReqLogFiles",
        "--url",
        "/orders/",
        "--status",
        "502.3",
        "--config",
        &arg,
        "--csv",
        "-",
    ]);
    assert!(!rows.contains(",R8,"), "{rows}");
    let (_, default_rows, _) = frebscope(&[
        "requests",
        "samples/ARR01/FailedReqLogFiles",
        "--url",
        "/orders/",
        "--status",
        "502.3",
        "--csv",
        "-",
    ]);
    assert!(default_rows.contains(",R8,"), "{default_rows}");
}

#[test]
fn a_status_scan_says_when_tracing_misses_that_status() {
    let arg = format!("WEB01={}/nocover/applicationHost.config", cases());
    let (code, out, err) = frebscope(&[
        "scan",
        &web01_traces(),
        "--status",
        "502",
        "--config",
        &arg,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    // Windows joins the paths it finds with `\`.
    let titles: Vec<String> = json["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().replace('\\', "/"))
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t == "site Shop on WEB01 has tracing rules, but none captures 502"),
        "{titles:?}"
    );
    // The pool is already what the hint would ask for: it is not asked again.
    let warm = crate_dir()
        .join(cases())
        .join("nocover/applicationHost.config");
    let text = fs::read_to_string(warm).unwrap().replace(
        "<add name=\"Orders\" managedRuntimeVersion=\"\" />",
        "<add name=\"Orders\" managedRuntimeVersion=\"\" startMode=\"AlwaysRunning\"><processModel idleTimeout=\"00:00:00\" /></add>",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("applicationHost.config");
    fs::write(&path, text).unwrap();
    let arg = format!("WEB01={}", path.display());
    let (_, out, _) = frebscope(&["scan", &web01_traces(), "--config", &arg, "--json"]);
    let json: Value = serde_json::from_str(&out).unwrap();
    let orders: Vec<&Value> = json["hints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["title"]
                .as_str()
                .unwrap()
                .starts_with("pool Orders on WEB01")
        })
        .collect();
    assert_eq!(orders.len(), 1, "{json}");
    let command: String = orders[0]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["line"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !command.contains("startMode") && !command.contains("idleTimeout"),
        "{command}"
    );
    assert!(command.contains("/preloadEnabled:true"), "{command}");
}

#[test]
fn an_unreadable_config_makes_a_scan_partial() {
    let arg = format!("WEB03={}/broken", cases());
    let (code, _, err) = frebscope(&["scan", &web01_traces(), "--config", &arg]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("malformed XML"), "{err}");
}

#[test]
fn config_files_under_a_scan_root_are_not_traces() {
    let (_, out, _) = frebscope(&["scan", "samples", "--json"]);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["totals"]["found"], 44);
    assert_eq!(json["totals"]["skipped"], 0);
}

#[test]
fn show_names_the_configured_timeout() {
    let (code, out, err) = frebscope(&[
        "show",
        "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000012.xml",
        "--no-color",
        "--config",
        "ARR01=samples/ARR01/c$/Windows/System32/inetsrv/config",
    ]);
    assert_eq!(code, 0, "{err}");
    // The evidence wraps to the page: compare it as one line.
    let evidence = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        // Windows joins the paths it finds with `\`.
        evidence.replace('\\', "/").contains("[configured webFarm orders-farm protocol@timeout 30 s on ARR01: samples/ARR01/c$/Windows/System32/inetsrv/config/applicationHost.config:"),
        "{out}"
    );
}

#[test]
fn the_html_report_carries_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let (code, _, err) = frebscope(&["scan", "samples", "--html", page.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let html = fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("arr-timeout-short (server ARR01)"),
        "the findings"
    );
    // The configuration-backed hints keep their two labelled forms.
    assert!(
        html.contains("Set-ItemProperty -LiteralPath &#39;IIS:\\AppPools\\Orders&#39;")
            || html.contains("Set-ItemProperty -LiteralPath 'IIS:\\AppPools\\Orders'")
    );
    assert!(
        !html.contains("[powershell] "),
        "labels are read, not shown"
    );
}
