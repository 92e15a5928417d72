//! The `frebscope` binary: parse the command line, run, map the outcome to an exit code.
//!
//! Exit codes: 0 when every file was read, 2 when results were produced but some files were
//! skipped, 1 when nothing could be done (bad arguments, missing root). A closed pipe
//! (`frebscope requests ... | head`) ends the run quietly with 0, as ripgrep does.

mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
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
    let config = match cli.into_config(&Environment::current(), &resolve_root) {
        Ok(config) => config,
        Err(err) => {
            let _ = writeln!(io::stderr(), "frebscope: {err}");
            return ExitCode::from(1);
        }
    };
    let stdout = io::stdout();
    let width = (!stdout.is_terminal()).then_some(160);
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr().lock();
    let mut streams = Streams {
        out: &mut out,
        err: &mut err,
        width,
    };
    match run(&config, &mut streams) {
        Ok(RunStatus::Complete) => ExitCode::SUCCESS,
        Ok(RunStatus::Partial) => ExitCode::from(2),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr(), "frebscope: {error:#}");
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
