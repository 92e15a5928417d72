//! The `frebscope` binary: parse the command line, run, map the outcome to an exit code.
//!
//! Exit codes: 0 when every file was read, 2 when results were produced but some files were
//! skipped, 1 when nothing could be done (bad arguments, missing root). A closed pipe
//! (`frebscope requests ... | head`) ends the run quietly with 0, as ripgrep does.

mod cli;
mod heap;
mod vt;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use frebscope::TerminalGuard;
use frebscope::config::Environment;
use frebscope::discover::resolve_root;
use frebscope::run::{RunStatus, Streams, run};

fn main() -> ExitCode {
    heap::return_large_blocks();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Everything for people goes through the terminal guard: standard error always, standard
    // output unless it carries CSV or JSON to a file or a pipe.
    let mut err = TerminalGuard::new(io::stderr().lock());
    let mut config = match cli.into_config(&Environment::current(), &resolve_root) {
        Ok(config) => config,
        Err(error) => {
            let _ = writeln!(err, "frebscope: {error}");
            return ExitCode::from(1);
        }
    };
    vt::prepare(&mut config);
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let width = table_width(terminal);
    let guarded = terminal || !config.stdout_is_data();
    let mut plain;
    let mut guard;
    let out: &mut dyn Write = if guarded {
        guard = TerminalGuard::new(io::BufWriter::new(stdout.lock()));
        &mut guard
    } else {
        plain = io::BufWriter::new(stdout.lock());
        &mut plain
    };
    let mut streams = Streams {
        out,
        err: &mut err,
        width,
    };
    let outcome = run(&config, &mut streams);
    let flushed = streams.out.flush();
    match outcome.and_then(|status| flushed.map(|()| status).map_err(Into::into)) {
        Ok(RunStatus::Complete) => ExitCode::SUCCESS,
        Ok(RunStatus::Partial) => ExitCode::from(2),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(err, "frebscope: {error:#}");
            let _ = err.flush();
            ExitCode::from(1)
        }
    }
}

/// The terminal's width (`COLUMNS` when set, as for other tools, else what comfy-table
/// detects); `None` for a pipe or a file without `COLUMNS`, which gets the fixed layout.
fn table_width(terminal: bool) -> Option<u16> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c >= 20);
    columns.or_else(|| {
        terminal
            .then(|| comfy_table::Table::new().width())
            .flatten()
            .or(terminal.then_some(100))
    })
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(is_closed_pipe)
    })
}

/// The reader of stdout went away. Windows reports it as 232 (`ERROR_NO_DATA`, which std calls
/// `BrokenPipe`), 109 (`ERROR_BROKEN_PIPE`, likewise) or, under Wine, 233
/// (`ERROR_PIPE_NOT_CONNECTED`, which std leaves uncategorized).
fn is_closed_pipe(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::BrokenPipe
        || (cfg!(windows) && matches!(error.raw_os_error(), Some(109 | 232 | 233)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_recognised_through_the_context() {
        let closed = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing the report");
        assert!(is_broken_pipe(&closed));
        let other = anyhow::Error::new(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!is_broken_pipe(&other.context("writing the report")));
    }

    #[test]
    fn windows_pipe_codes_are_closed_pipes() {
        for code in [109, 232, 233] {
            let error = io::Error::from_raw_os_error(code);
            assert_eq!(is_closed_pipe(&error), cfg!(windows), "os error {code}");
        }
        // ERROR_ACCESS_DENIED is not.
        assert!(!is_closed_pipe(&io::Error::from_raw_os_error(5)));
    }
}
