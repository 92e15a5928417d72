//! ANSI colour on a Windows console.
//!
//! The classic Windows console (cmd.exe or PowerShell in conhost, as on Server 2016 and 2019)
//! prints ANSI escapes as text (`←[1;36m`) unless its virtual-terminal mode is on, and programs
//! must turn that mode on themselves. frebscope writes colour to stdout only, so when colour is
//! wanted this turns the mode on for stdout, once, at start; when it cannot be turned on (a
//! console older than Windows 10, or no console at all) the run is plain. The `console` crate
//! does the Windows calls, and also knows the MSYS/Cygwin terminals (Git Bash), which read
//! escapes without that mode. Elsewhere terminals read ANSI escapes as they are.

/// Makes stdout ready for ANSI colour; false when it cannot show colour. Call it only once
/// colour is wanted: on Windows it changes the console's mode.
pub fn stdout_takes_ansi() -> bool {
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
