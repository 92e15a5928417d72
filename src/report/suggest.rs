//! The `frebscope show` line that `scan` suggests, built so that following it gives the verdict
//! the scan gave: the example trace, the scan's inputs as `--context` (the cross-trace rules
//! need the neighbours), and every diagnosis option that differs from its default. Every value
//! is quoted for the shell the line names: PowerShell on Windows (cmd.exe has no quoting that
//! survives `%` in a path), POSIX sh elsewhere.

use std::time::Duration;

use crate::diagnose::Options;
use crate::discover::Root;
use crate::shell::{FixLine, Shell, quote};

/// The shell of the suggested line on this platform.
pub fn platform_shell() -> Shell {
    if cfg!(windows) {
        Shell::PowerShell
    } else {
        Shell::Posix
    }
}

/// `frebscope show FILE --context ROOT... [options]`, quoted for `shell`.
pub fn show_line(shell: Shell, file: &str, roots: &[Root], options: &Options) -> FixLine {
    let mut words = vec![
        "frebscope".to_owned(),
        "show".to_owned(),
        quote(shell, file),
    ];
    for root in roots {
        let text = match root {
            Root::Dir(p) | Root::File(p) => p.display().to_string(),
            Root::Pattern(p) => p.clone(),
        };
        words.push("--context".to_owned());
        words.push(quote(shell, &text));
    }
    let defaults = Options::default();
    let flags: [(&str, Duration, Duration); 5] = [
        (
            "--startup-window",
            options.startup_window,
            defaults.startup_window,
        ),
        (
            "--farm-timeout",
            options.farm_timeout,
            defaults.farm_timeout,
        ),
        (
            "--proxy-timeout",
            options.proxy_timeout,
            defaults.proxy_timeout,
        ),
        (
            "--ancm-request-timeout",
            options.ancm_request_timeout,
            defaults.ancm_request_timeout,
        ),
        (
            "--startup-time-limit",
            options.startup_time_limit,
            defaults.startup_time_limit,
        ),
    ];
    for (flag, value, default) in flags {
        if value != default {
            words.push(flag.to_owned());
            words.push(format!("{}ms", value.as_millis()));
        }
    }
    FixLine::new(shell, words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_line_carries_the_roots_and_changed_options() {
        let options = Options {
            farm_timeout: Duration::from_secs(45),
            ..Options::default()
        };
        let roots = [
            Root::Dir(PathBuf::from("logs [old]")),
            Root::Pattern("W3SVC*".into()),
        ];
        let line = show_line(Shell::Posix, "a'b.xml", &roots, &options);
        assert_eq!(
            line.line,
            "frebscope show 'a'\\''b.xml' --context 'logs [old]' --context 'W3SVC*' --farm-timeout 45000ms"
        );
        let line = show_line(
            Shell::PowerShell,
            "a'b.xml",
            &roots[..1],
            &Options::default(),
        );
        assert_eq!(
            line.line,
            "frebscope show 'a''b.xml' --context 'logs [old]'"
        );
    }
}
