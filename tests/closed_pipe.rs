//! A reader that goes away (`frebscope requests ... | head`) ends the run quietly with 0, on
//! every platform and whatever code the system reports it with (EPIPE on Unix; 232, or 233
//! under Wine, on Windows).

use std::process::{Command, Stdio};

/// Runs frebscope with a stdout whose reading end is already closed, so the first write fails.
fn run_into_a_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_frebscope"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run frebscope")
}

#[test]
fn every_command_exits_quietly_when_stdout_closes() {
    let trace = "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000006.xml";
    for args in [
        &["requests", "samples", "--no-progress"][..],
        &["requests", "samples", "--no-progress", "--csv", "-"],
        &["requests", "samples", "--no-progress", "--json"],
        &["scan", "samples", "--no-progress"],
        &["scan", "samples", "--no-progress", "--json"],
        &["show", trace],
    ] {
        let output = run_into_a_closed_pipe(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(0),
            "frebscope {args:?}: {stderr}"
        );
        assert_eq!(stderr, "", "frebscope {args:?}");
    }
}
