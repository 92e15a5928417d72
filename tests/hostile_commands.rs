//! Pasting a command frebscope suggests never runs what a trace or a file name holds: every
//! value in a printed command is quoted for the shell the line names (cmd.exe, PowerShell,
//! POSIX sh), and no line mixes two shells.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{Root, trace_with, write};
use serde_json::Value;

/// Names an attacker would give a pool or a folder, one per shell trick.
const HOSTILE: [&str; 5] = [
    "Pool\" & calc.exe & rem \"",
    "'$(touch X)'",
    "%PATH%!x!",
    "`touch Y`",
    "$env:x $(touch Z)",
];

/// What a payload above would run or expand, were it read as code.
const PAYLOAD: [&str; 6] = ["calc.exe", "touch", "PATH", "env:x", "!x!", "`"];

/// The hints of a scan over one 502.4 trace per hostile pool name (ARR's "no healthy server",
/// whose hint names the pools).
fn hints() -> Vec<Value> {
    let tmp = tempfile::tempdir().unwrap();
    // One name that cmd.exe can hold in quotes, though `&` and `(` are special outside them.
    for (i, pool) in HOSTILE.iter().chain(&["Pool & Co (main)"]).enumerate() {
        let pool_xml = pool.replace('&', "&amp;").replace('"', "&quot;");
        let root = Root {
            app_pool: &pool_xml,
            status: "502.4",
            ..Root::default()
        };
        write(&tmp.path().join(format!("fr{i:06}.xml")), trace_with(&root));
    }
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", "--json", "--no-progress"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    json["hints"].as_array().unwrap().clone()
}

/// The line as cmd.exe reads it at its prompt: nothing may expand (`%name%`, `!name!`) but the
/// leading `%windir%`, and outside double quotes nothing may chain or redirect a command.
fn assert_cmd_safe(line: &str) {
    let rest = line.strip_prefix(r"%windir%").unwrap_or(line);
    assert!(
        !rest.contains('%') && !rest.contains('!'),
        "cmd expands: {line}"
    );
    let mut quoted = false;
    for ch in rest.chars() {
        match ch {
            '"' => quoted = !quoted,
            '&' | '|' | '<' | '>' | '^' if !quoted => panic!("cmd runs {ch:?}: {line}"),
            _ => {}
        }
    }
    assert!(!quoted, "unbalanced quotes: {line}");
    // Harmless even if pasted into PowerShell by mistake.
    assert!(
        !line.contains('$') && !line.contains('`'),
        "PowerShell would expand: {line}"
    );
}

/// The line with its PowerShell single-quoted strings taken out ('' is a quote inside one).
fn outside_single_quotes(line: &str) -> String {
    let quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}');
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut inside = false;
    while let Some(ch) = chars.next() {
        if quote(ch) {
            if inside && chars.peek().copied().is_some_and(quote) {
                chars.next();
                continue;
            }
            inside = !inside;
            out.push('\'');
        } else if !inside {
            out.push(ch);
        }
    }
    assert!(!inside, "unbalanced quotes: {line}");
    out
}

/// As PowerShell reads it: trace values only inside single-quoted strings, where nothing
/// expands; no cmd.exe syntax.
fn assert_powershell_safe(line: &str) {
    let code = outside_single_quotes(line);
    for payload in PAYLOAD {
        assert!(
            !code.contains(payload),
            "PowerShell runs {payload:?}: {line}"
        );
    }
    assert!(
        !line.contains("%windir%"),
        "cmd syntax in PowerShell: {line}"
    );
    assert!(!code.contains(" & "), "cmd chaining in PowerShell: {line}");
}

#[test]
fn fix_lines_quote_hostile_pool_names_for_their_shell() {
    let hints = hints();
    assert!(!hints.is_empty());
    let mut shells = std::collections::BTreeSet::new();
    let mut seen_pools = 0;
    for hint in &hints {
        for command in hint["commands"].as_array().unwrap() {
            let line = command["line"].as_str().unwrap();
            let shell = command["shell"].as_str().unwrap();
            shells.insert(shell.to_owned());
            match shell {
                "cmd" => assert_cmd_safe(line),
                "powershell" => assert_powershell_safe(line),
                other => panic!("unexpected shell {other}: {line}"),
            }
            seen_pools += HOSTILE
                .iter()
                .filter(|p| {
                    let ps = format!("'IIS:\\AppPools\\{}'", p.replace('\'', "''"));
                    line.contains(&ps)
                })
                .count();
        }
    }
    assert!(
        shells.contains("cmd") && shells.contains("powershell"),
        "{shells:?}"
    );
    // Every hostile pool has its PowerShell line, with its name intact.
    assert!(seen_pools >= HOSTILE.len(), "{hints:#?}");
}

/// The table says each line's shell.
#[test]
fn the_table_names_the_shell_of_every_line() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Root {
        status: "502.4",
        ..Root::default()
    };
    write(&tmp.path().join("fr000001.xml"), trace_with(&root));
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", "--no-progress", "--no-color"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(r"   cmd> %windir%\system32\inetsrv\appcmd.exe set apppool /apppool.name:"),
        "{text}"
    );
    assert!(
        text.contains(r"   PowerShell> Set-ItemProperty -LiteralPath 'IIS:\AppPools\OrdersPool'"),
        "{text}"
    );
    assert!(!text.contains(" & %windir%"), "{text}");
}

/// The suggested `frebscope show` line, run by a POSIX shell from a folder whose name holds
/// every trick, opens the trace and runs nothing else.
#[cfg(unix)]
#[test]
fn the_suggested_show_line_runs_nothing_but_frebscope() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(HOSTILE.join(" "));
    std::fs::create_dir(&dir).unwrap();
    write(&dir.join("fr000001.xml"), common::trace());
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", "--no-progress", "--no-color"])
        .arg(&dir)
        .current_dir(&work)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Open one trace (sh): "))
        .unwrap_or_else(|| panic!("no suggestion in:\n{text}"));
    let args = line.strip_prefix("frebscope ").expect("a frebscope line");
    let shown = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" {args} --no-color"))
        .arg(assert_cmd::cargo::cargo_bin!("frebscope"))
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(
        shown.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(String::from_utf8_lossy(&shown.stdout).contains("verdict"));
    for name in ["X", "Y", "Z"] {
        assert!(
            !work.join(name).exists(),
            "the line ran touch {name}: {line}"
        );
        assert!(
            !tmp.path().join(name).exists(),
            "the line ran touch {name}: {line}"
        );
    }
}
