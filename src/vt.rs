//! ANSI colour on a Windows console.
//!
//! The classic Windows console (cmd.exe or PowerShell in conhost, as on Server 2016 and 2019)
//! prints ANSI escapes as text (`←[1;36m`) unless its virtual-terminal mode is on, and programs
//! must turn that mode on themselves. frebscope writes colour to stdout only, so when a run will
//! colour a console, this turns the mode on for stdout, once, before anything is written; when
//! it cannot be turned on (a console older than Windows 10) the run is plain. The `console`
//! crate does the Windows calls, and also knows the MSYS/Cygwin terminals (Git Bash), which read
//! escapes without that mode. Output that is not a console (`--color always | less -R`) is left
//! as the configuration says, and terminals elsewhere read ANSI escapes as they are.

use std::io::IsTerminal;

use frebscope::config::Config;

/// Turns on the console's virtual-terminal mode when the run colours a console, and turns the
/// run's colour off when the console cannot take it.
pub(crate) fn prepare(config: &mut Config) {
    let color = match config {
        Config::Scan(scan) => &mut scan.color,
        Config::Requests(requests) => &mut requests.color,
        Config::Show(show) => &mut show.view.color,
        Config::Watch(watch) => &mut watch.color,
        // The configuration audit and the event listings write no colour.
        Config::Config(_) | Config::Events(_) | Config::Timeline(_) => return,
    };
    if *color && std::io::stdout().is_terminal() && !stdout_takes_ansi() {
        *color = false;
    }
}

/// Makes a console stdout ready for ANSI colour; false when it cannot show colour.
fn stdout_takes_ansi() -> bool {
    #[cfg(windows)]
    {
        console::Term::stdout().features().colors_supported()
    }
    #[cfg(not(windows))]
    {
        true
    }
}

#[cfg(all(test, windows))]
mod tests {
    use std::io::IsTerminal;

    /// A console takes colour once its virtual-terminal mode is on (Windows 10, Server 2016 and
    /// later, and Wine's console); a pipe or a file never does.
    #[test]
    fn colour_exactly_when_stdout_is_a_console() {
        if std::env::var_os("NO_COLOR").is_some() {
            eprintln!("skipped: NO_COLOR is set, which turns colour off whatever stdout is");
            return;
        }
        assert_eq!(super::stdout_takes_ansi(), std::io::stdout().is_terminal());
    }
}
