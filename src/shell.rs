//! Quoting values for the command lines frebscope prints.
//!
//! Hints end with a line to paste (`appcmd`, PowerShell), and `scan` ends with the `frebscope
//! show` line that opens an example trace. Pool names, site names and paths in those lines come
//! from traces and file names, which an attacker chooses: a pool named
//! `Pool" & calc.exe & rem "` must not turn a pasted fix into a program launch. Every value
//! placed in a printed command goes through [`quote`] for the shell that line is written for,
//! and every line says which shell that is ([`FixLine`]), because the shells disagree: `&` runs
//! a second command in cmd.exe but is an error in PowerShell, `%windir%` expands in cmd.exe
//! only, `$(...)` runs code in PowerShell and POSIX shells but not in cmd.exe.

use std::fmt;

use serde::Serialize;

/// A shell a printed command is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    /// cmd.exe (an elevated Command Prompt).
    Cmd,
    /// Windows PowerShell or PowerShell 7.
    PowerShell,
    /// sh, bash, zsh.
    Posix,
}

impl Shell {
    /// The name printed before a line: `cmd`, `PowerShell`, `sh`.
    pub fn label(self) -> &'static str {
        match self {
            Shell::Cmd => "cmd",
            Shell::PowerShell => "PowerShell",
            Shell::Posix => "sh",
        }
    }
}

impl fmt::Display for Shell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One command to paste, with the shell it is written for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixLine {
    /// The shell that reads this line as intended.
    pub shell: Shell,
    /// The command, every value in it quoted for `shell`.
    pub line: String,
}

impl FixLine {
    /// A line for `shell`.
    pub fn new(shell: Shell, line: impl Into<String>) -> FixLine {
        FixLine {
            shell,
            line: line.into(),
        }
    }
}

/// `value` as one literal argument of `shell`, quotes included.
///
/// - PowerShell: single quotes, in which nothing expands; a quote inside is doubled (the
///   typographic single quotes, which PowerShell also takes as quotes, too).
/// - POSIX: single quotes; a quote inside becomes `'\''`.
/// - cmd.exe: double quotes, in which `&`, `|`, `<`, `>` and `^` are literal. cmd.exe has no
///   way to write a literal `"`, and expands `%name%` (and `!name!`) even inside quotes, so
///   those characters (and control characters, which end or break a line) are replaced by
///   `_`: the command then names something that does not exist and fails, instead of doing
///   something else. Use [`cmd_can_carry`] to prefer another shell for such a value.
pub fn quote(shell: Shell, value: &str) -> String {
    match shell {
        Shell::PowerShell => {
            let mut out = String::with_capacity(value.len() + 2);
            out.push('\'');
            for ch in value.chars() {
                if is_powershell_single_quote(ch) {
                    out.push(ch);
                }
                out.push(ch);
            }
            out.push('\'');
            out
        }
        Shell::Posix => format!("'{}'", value.replace('\'', "'\\''")),
        Shell::Cmd => {
            let inner: String = value
                .chars()
                .map(|ch| if cmd_breaks(ch) { '_' } else { ch })
                .collect();
            format!("\"{inner}\"")
        }
    }
}

/// True when [`quote`] for cmd.exe keeps `value` unchanged.
pub fn cmd_can_carry(value: &str) -> bool {
    !value.chars().any(cmd_breaks)
}

/// Characters that cmd.exe cannot hold literally inside double quotes at its prompt.
fn cmd_breaks(ch: char) -> bool {
    matches!(ch, '"' | '%' | '!') || ch.is_control()
}

/// `'` and the quotes PowerShell's tokenizer treats the same (‘ ’ ‚ ‛).
fn is_powershell_single_quote(ch: char) -> bool {
    matches!(ch, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}')
}

/// A value that is one literal argument both in cmd.exe and in PowerShell when written in
/// double quotes: nothing either shell expands or ends a string with.
pub fn double_quotes_safe_for_windows_shells(value: &str) -> bool {
    !value
        .chars()
        .any(|ch| cmd_breaks(ch) || matches!(ch, '$' | '`' | '\u{201c}' | '\u{201d}' | '\u{201e}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_single_quotes_double_every_quote() {
        assert_eq!(quote(Shell::PowerShell, "Orders"), "'Orders'");
        assert_eq!(quote(Shell::PowerShell, "it's"), "'it''s'");
        assert_eq!(
            quote(Shell::PowerShell, "a\u{2019}b"),
            "'a\u{2019}\u{2019}b'"
        );
        assert_eq!(
            quote(Shell::PowerShell, "$env:x `whoami`"),
            "'$env:x `whoami`'"
        );
    }

    #[test]
    fn posix_single_quotes_close_and_reopen() {
        assert_eq!(
            quote(Shell::Posix, "'$(touch X)'"),
            "''\\''$(touch X)'\\'''"
        );
        assert_eq!(quote(Shell::Posix, "a b"), "'a b'");
    }

    #[test]
    fn cmd_double_quotes_lose_what_cmd_would_expand() {
        assert_eq!(
            quote(Shell::Cmd, "Default Web Site"),
            "\"Default Web Site\""
        );
        assert_eq!(
            quote(Shell::Cmd, "Pool\" & calc.exe & rem \""),
            "\"Pool_ & calc.exe & rem _\""
        );
        assert_eq!(quote(Shell::Cmd, "%PATH%!x!"), "\"_PATH__x_\"");
        assert!(cmd_can_carry("a & b | c > d ^ e"));
        assert!(!cmd_can_carry("50%"));
    }
}
