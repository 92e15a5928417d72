//! Development tasks of frebscope, run with `cargo xtask TASK`.
//!
//! `cargo xtask assets [DIR]` writes the man page and the shell completions (bash, zsh, fish,
//! PowerShell) to DIR (default `target/assets`), generated from the same clap definition the
//! binary parses its command line with, so they cannot fall behind its options.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

// The binary's command-line definition, compiled here as it is in the binary; only its clap
// derive is used.
#[allow(dead_code)]
#[path = "../../src/cli.rs"]
mod cli;

const USAGE: &str = "usage: cargo xtask assets [DIR]   (man page and shell completions; DIR defaults to target/assets)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("", &[][..]),
    };
    match (task, rest) {
        ("assets", [] | [_]) => {
            let dir = rest.first().map_or_else(default_dir, PathBuf::from);
            match write_assets(&dir) {
                Ok(written) => {
                    for path in written {
                        println!("wrote {}", path.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("xtask: could not write to {}: {err}", dir.display());
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/assets")
}

/// The file each shell loads its completions from, as the shell's documentation names it.
fn completion_file(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "frebscope.bash",
        Shell::Zsh => "_frebscope",
        Shell::Fish => "frebscope.fish",
        Shell::PowerShell => "_frebscope.ps1",
        Shell::Elvish => "frebscope.elv",
        _ => "frebscope.completion",
    }
}

const SHELLS: [Shell; 4] = [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell];

/// Writes `frebscope.1` (with one page per subcommand, `frebscope-scan.1`...) and
/// `completions/` under `dir`; returns the files written.
fn write_assets(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let man = dir.join("man");
    fs::create_dir_all(&man)?;
    let command = cli::Cli::command();
    clap_mangen::generate_to(command.clone(), &man)?;
    written.extend(sorted_files(&man)?);
    let completions = dir.join("completions");
    fs::create_dir_all(&completions)?;
    for shell in SHELLS {
        let path = completions.join(completion_file(shell));
        let mut file = io::BufWriter::new(fs::File::create(&path)?);
        clap_complete::generate(shell, &mut command.clone(), "frebscope", &mut file);
        io::Write::flush(&mut file)?;
        written.push(path);
    }
    Ok(written)
}

fn sorted_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_and_completions_know_every_subcommand_and_option() {
        let dir = std::env::temp_dir().join(format!("frebscope-xtask-{}", std::process::id()));
        let written = write_assets(&dir).expect("assets are written");
        let text = |name: &str| {
            let path = written
                .iter()
                .find(|p| p.ends_with(name))
                .unwrap_or_else(|| panic!("{name} not among {written:?}"));
            fs::read_to_string(path).expect("readable")
        };
        let man = text("frebscope.1");
        assert!(man.contains(".TH frebscope"), "{man}");
        for sub in ["scan", "requests", "show"] {
            assert!(man.contains(sub), "{sub} missing from the man page");
        }
        assert!(text("frebscope-scan.1").contains("arr\\-timeout"));
        for name in [
            "frebscope.bash",
            "_frebscope",
            "frebscope.fish",
            "_frebscope.ps1",
        ] {
            let completion = text(name);
            for word in ["scan", "arr-timeout", "color"] {
                assert!(completion.contains(word), "{word} missing from {name}");
            }
        }
        fs::remove_dir_all(&dir).expect("temporary assets are removed");
    }
}
