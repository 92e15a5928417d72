//! The `frebscope` binary: parse the command line, run, map the outcome to an exit code.
//!
//! Exit codes: 0 when every file was read, 2 when results were produced but some files were
//! skipped, 1 when nothing could be done (bad arguments, missing root). A closed pipe
//! (`frebscope requests ... | head`) ends the run quietly with 0, as ripgrep does.

mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use frebscope::TerminalGuard;
use frebscope::config::Environment;
use frebscope::discover::resolve_root;
use frebscope::run::{RunStatus, Streams, run};

fn main() -> ExitCode {
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
    let config = match cli.into_config(&Environment::current(), &resolve_root) {
        Ok(config) => config,
        Err(error) => {
            let _ = writeln!(err, "frebscope: {error}");
            return ExitCode::from(1);
        }
    };
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let width = (!terminal).then_some(160);
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

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
