//! Colours for `show`, and nothing else.
//!
//! Colour is decided once (`--no-color`, `NO_COLOR`, not a terminal) and passed down as a
//! [`Painter`], so that no renderer has to know why output is plain.

/// What a piece of text is, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    /// A section title.
    Heading,
    /// A label or a secondary detail.
    Dim,
    /// Errors and the statuses of failures.
    Bad,
    /// Warnings.
    Warn,
    /// Values to notice: the module that set the error, the slowest step.
    Strong,
    /// Success statuses.
    Good,
}

/// Wraps text in ANSI SGR sequences when colour is on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Painter {
    color: bool,
}

impl Painter {
    /// A painter that colours only when `color` is true.
    pub(super) fn new(color: bool) -> Self {
        Painter { color }
    }

    /// `text` in the colour of `tone`. The text must already be sanitized: the escape
    /// sequences added here are the only ones that may reach the terminal.
    pub(super) fn paint(&self, tone: Tone, text: &str) -> String {
        if !self.color || text.is_empty() {
            return text.to_owned();
        }
        let code = match tone {
            Tone::Heading => "1;36",
            Tone::Dim => "2",
            Tone::Bad => "1;31",
            Tone::Warn => "33",
            Tone::Strong => "1",
            Tone::Good => "32",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_when_colour_is_off() {
        assert_eq!(Painter::new(false).paint(Tone::Bad, "502.3"), "502.3");
        assert_eq!(
            Painter::new(true).paint(Tone::Bad, "502.3"),
            "\x1b[1;31m502.3\x1b[0m"
        );
    }
}
